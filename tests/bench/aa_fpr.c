/* aa_fpr: how often do gvab's verdicts call a difference between two arms
 * that are the same? A benchmark, not a test: it prints its figures.
 *
 * For each trial, n rounds of A and B are drawn from one population (with
 * replacement from a real run's CORE samples of its first arm when a run
 * directory is given, else a skewed synthetic distribution) and decided by
 * the library exactly as `gvab report` and `gvab gate` decide
 * (tests/bench/bench_run.h): the report's faster/slower verdict and the
 * gate's FAIL must each stay at most alpha (plus Monte Carlo error).
 * Resampling makes the boots independent; tests/bench/gate_sim.c adds
 * the correlation, autocorrelation and drift of real runs.
 *
 * Usage: aa_fpr [RUN_DIR] [trials] [n]
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "rng.h"
#include "bench_run.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double uniform(uint64_t *st)
{
	return (double)(rng_next(st) >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
	int trials = argc > 2 ? atoi(argv[2]) : 1000, n = argc > 3 ? atoi(argv[3]) : 50;
	double *pool = NULL;
	size_t npool = 0;
	const char *src = "synthetic log-normal (median 100 ms, sigma 0.15)";
	struct run_analysis ra;
	if (argc > 1 && argv[1][0] && analysis_load(argv[1], &ra) == 0) {
		npool = ra.arms[0].n_ok;
		pool = util_xmalloc(npool * sizeof *pool);
		for (size_t i = 0; i < npool; i++)
			pool[i] = ra.arms[0].vals[PH_CORE][i];
		src = argv[1];
		analysis_free(&ra);
	}
	uint64_t st = 20261122;
	double *core = util_xmalloc(2 * (size_t)n * sizeof *core);
	int *arm = util_xmalloc(2 * (size_t)n * sizeof *arm);
	static const double alphas[] = {0.05, 0.01};
	int ok = 1;
	printf("A/A, %d trials of %d ABBA rounds, data: %s\n", trials, n, src);
	for (int ai = 0; ai < 2; ai++) {
		double alpha = alphas[ai];
		int sig = 0, fail = 0, pass = 0, same = 0;
		for (int t = 0; t < trials; t++) {
			for (int k = 0; k < 2 * n; k++) {
				if (pool) {
					core[k] = pool[(size_t)(uniform(&st) * (double)npool)];
				} else {
					double u1 = uniform(&st), u2 = uniform(&st);
					core[k] = 100 * exp(0.15 * sqrt(-2 * log(u1 + 1e-300)) * cos(2 * M_PI * u2));
				}
				int a_first = (k / 2) % 2 == 0;
				arm[k] = k % 2 ? a_first : !a_first;
			}
			struct comparison c = bench_decide(core, arm, n, alpha, alpha);
			sig += c.verdict == V_FASTER || c.verdict == V_SLOWER;
			fail += c.gate == GATE_FAIL;
			pass += c.gate == GATE_PASS;
			same += c.verdict == V_SAME;
		}
		double se = sqrt(alpha * (1 - alpha) / trials);
		printf("  alpha %.2g: report faster/slower %.1f%%, gate FAIL %.1f%%, gate PASS %.1f%%, "
		       "\"same\" %.1f%% (threshold 3%%; s.e. at alpha %.1f points)\n",
		       alpha, 100.0 * sig / trials, 100.0 * fail / trials, 100.0 * pass / trials,
		       100.0 * same / trials, 100 * se);
		ok &= sig <= trials * (alpha + 2 * se) && fail <= trials * (alpha + 2 * se);
	}
	printf("aa_fpr: false-positive rates %s\n", ok ? "within alpha (+2 s.e.)" : "ABOVE alpha");
	free(core);
	free(arm);
	free(pool);
	return ok ? 0 : 1;
}
