/* aa_fpr: how often does the analysis call a difference between two arms
 * that are the same? A benchmark, not a test: it prints its figures.
 *
 * For each trial, A and B are drawn from one population (with
 * replacement from a real run's CORE samples when a run directory is given,
 * else from a skewed synthetic distribution), n each; the unpaired
 * (Mann-Whitney) and paired (Wilcoxon on index-matched pairs) tests are run
 * at alpha 0.05, and the bootstrap CI of the median difference is checked
 * for excluding 0. The rates must be at most 5% (plus Monte Carlo error).
 *
 * Usage: aa_fpr [RUN_DIR] [trials] [n]
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "schedule.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double uniform(uint64_t *st)
{
	return (double)(schedule_rng_next(st) >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
	int trials = argc > 2 ? atoi(argv[2]) : 1000, n = argc > 3 ? atoi(argv[3]) : 50;
	double *pool = NULL;
	size_t npool = 0;
	const char *src = "synthetic log-normal (median 100 ms, sigma 0.15)";
	struct run_analysis ra;
	if (argc > 1 && analysis_load(argv[1], &ra) == 0) {
		npool = ra.arms[0].n_ok;
		pool = util_xmalloc(npool * sizeof *pool);
		for (size_t i = 0; i < npool; i++)
			pool[i] = ra.arms[0].vals[PH_CORE][i];
		src = argv[1];
	}
	uint64_t st = 20261122;
	double *a = util_xmalloc((size_t)n * sizeof *a), *b = util_xmalloc((size_t)n * sizeof *b);
	double *d = util_xmalloc((size_t)n * sizeof *d);
	int fp_mw = 0, fp_wx = 0, fp_ci = 0, fp_verdict = 0;
	for (int t = 0; t < trials; t++) {
		for (int i = 0; i < n; i++) {
			if (pool) {
				a[i] = pool[(size_t)(uniform(&st) * (double)npool)];
				b[i] = pool[(size_t)(uniform(&st) * (double)npool)];
			} else {
				double u1 = uniform(&st), u2 = uniform(&st), u3 = uniform(&st), u4 = uniform(&st);
				a[i] = 100 * exp(0.15 * sqrt(-2 * log(u1 + 1e-300)) * cos(2 * M_PI * u2));
				b[i] = 100 * exp(0.15 * sqrt(-2 * log(u3 + 1e-300)) * cos(2 * M_PI * u4));
			}
			d[i] = b[i] - a[i];
		}
		int mw = stats_mann_whitney(a, (size_t)n, b, (size_t)n, NULL) < 0.05;
		fp_mw += mw;
		fp_wx += stats_wilcoxon(d, (size_t)n, NULL) < 0.05;
		double lo, hi;
		stats_bootstrap_ci(a, (size_t)n, b, (size_t)n, stats_diff_median, 2000, 0.95,
		                   (uint64_t)t * 7919, &lo, &hi);
		int ci = lo > 0 || hi < 0;
		fp_ci += ci;
		/* gvab's verdict (unpaired form): p <= alpha AND the CI excludes 0. */
		fp_verdict += mw && ci;
	}
	/* Sequential looks (gvab gate --adaptive): n = 20, 30, ..., 60 per arm,
	 * stopping at the first rejection. Naive: alpha at every look; gvab:
	 * alpha / L at each of the L = 5 looks. */
	int seq_naive = 0, seq_gvab = 0;
	const int looks[] = {20, 30, 40, 50, 60}, L = 5;
	double *sa = util_xmalloc(60 * sizeof *sa), *sb = util_xmalloc(60 * sizeof *sb);
	double *sd = util_xmalloc(60 * sizeof *sd);
	for (int t = 0; t < trials; t++) {
		for (int i = 0; i < 60; i++) {
			if (pool) {
				sa[i] = pool[(size_t)(uniform(&st) * (double)npool)];
				sb[i] = pool[(size_t)(uniform(&st) * (double)npool)];
			} else {
				double u1 = uniform(&st), u2 = uniform(&st), u3 = uniform(&st), u4 = uniform(&st);
				sa[i] = 100 * exp(0.15 * sqrt(-2 * log(u1 + 1e-300)) * cos(2 * M_PI * u2));
				sb[i] = 100 * exp(0.15 * sqrt(-2 * log(u3 + 1e-300)) * cos(2 * M_PI * u4));
			}
			sd[i] = sb[i] - sa[i];
		}
		int naive = 0, gv = 0;
		for (int l = 0; l < L; l++) {
			double p = stats_wilcoxon(sd, (size_t)looks[l], NULL);
			naive |= p < 0.05;
			gv |= p < 0.05 / L;
		}
		seq_naive += naive;
		seq_gvab += gv;
	}
	free(sa);
	free(sb);
	free(sd);
	double se = sqrt(0.05 * 0.95 / trials);
	printf("A/A false-positive rate at alpha 0.05, %d trials of n=%d per arm, data: %s\n", trials,
	       n, src);
	printf("  Mann-Whitney (unpaired):      %.1f%%\n", 100.0 * fp_mw / trials);
	printf("  Wilcoxon signed-rank (paired): %.1f%%\n", 100.0 * fp_wx / trials);
	printf("  bootstrap CI excludes 0:       %.1f%%\n", 100.0 * fp_ci / trials);
	printf("  gvab verdict faster/slower:    %.1f%% (p <= alpha and CI excludes 0)\n",
	       100.0 * fp_verdict / trials);
	printf("  sequential, 5 looks (n=20..60), paired, naive alpha each look: %.1f%%\n",
	       100.0 * seq_naive / trials);
	printf("  sequential, 5 looks, gvab gate --adaptive (alpha/5 per look): %.1f%%\n",
	       100.0 * seq_gvab / trials);
	printf("  (Monte Carlo standard error at 5%%: %.1f points)\n", 100 * se);
	int ok = fp_verdict <= trials * (0.05 + 2 * se) && seq_gvab <= trials * (0.05 + 2 * se);
	printf("aa_fpr: verdict false-positive rate %s\n", ok ? "within 5% (+2 s.e.)" : "ABOVE 5%");
	free(a);
	free(b);
	free(d);
	free(pool);
	return ok ? 0 : 1;
}
