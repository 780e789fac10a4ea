/* noise_mde: how small a CORE regression one real run's noise lets a
 * 50-pair run detect. A benchmark, not a test: it prints its figures.
 *
 * From each run directory RUN it takes the same-round pairs of the first
 * two arms (measured, ok cold boots), their log ratios d_r = log(B_r / A_r)
 * less the run's median log ratio (several runs: pooled, each centred on
 * its own),
 * and prints the sd of d_r (the paired log-difference sd), a robust sd
 * (1.4826 times the median absolute deviation from the median), the lag-1
 * autocorrelation and the median shift. It then asks, by resampling the
 * run itself, what a 50-pair run on this host's noise detects with 80%
 * power at alpha 0.01 (the shared defaults, verdict.h): each trial draws
 * 50 pairs by moving-block bootstrap (blocks of 5 rounds, so lag-1
 * dependence survives) from the d_r, applies a true regression
 * delta to B and decides through the library exactly as gvab does
 * (bench_decide, as tests/bench/gate_sim.c). Two minimum detectable
 * regressions (MDE), the smallest delta on a 0.25% grid reaching 80%:
 *   slower: the report's "slower" (two-sided at alpha, interval excludes 0);
 *   FAIL:   the gate's FAIL (the whole interval beyond +threshold), the
 *           figure gate_sim and README quote (always above the threshold).
 * Beside them the normal approximation of the first,
 * (z(1 - alpha/2) + z(0.8)) * sd / sqrt(50).
 *
 * Usage: noise_mde [-t trials] RUN...   (default 400 trials per grid step)
 * Prints one line: "sd S sd_mad R lag1 L shift X% pairs N mde_slower M% mde_fail F% mde_normal Z%".
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "bench_run.h"
#include "error.h"
#include "rng.h"
#include "stats.h"
#include "util.h"
#include "verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAIRS 50
#define BLOCK 5

static uint64_t rng = 20261123;

static size_t pick(size_t n)
{
	return (size_t)(rng_next(&rng) % n);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Smallest delta on the grid where `want` (0: slower, 1: FAIL) reaches
 * 80% of trials; -1 when none up to 30%. */
static double mde(const double *a, const double *d, size_t n, int trials, int want)
{
	double core[2 * PAIRS];
	int arm[2 * PAIRS];
	for (double delta = 0.0025; delta <= 0.30 + 1e-9; delta += 0.0025) {
		int hit = 0;
		uint64_t saved = rng;
		rng = 20261123; /* the same resamples at every step: a monotone curve */
		for (int t = 0; t < trials; t++) {
			size_t r = 0;
			while (r < PAIRS) {
				size_t s = pick(n);
				for (size_t j = 0; j < BLOCK && r < PAIRS; j++, r++) {
					size_t i = (s + j) % n;
					int a_first = r % 2 == 0; /* ABBA */
					double ta = a[i], tb = a[i] * exp(d[i] + log1p(delta));
					core[2 * r] = a_first ? ta : tb;
					arm[2 * r] = !a_first;
					core[2 * r + 1] = a_first ? tb : ta;
					arm[2 * r + 1] = a_first;
				}
			}
			struct comparison c = bench_decide(core, arm, PAIRS, VERDICT_DEFAULT_ALPHA,
			                                   VERDICT_DEFAULT_ALPHA);
			hit += want ? c.gate == GATE_FAIL : c.verdict == V_SLOWER;
		}
		rng = saved;
		if (hit >= 0.8 * trials)
			return delta;
	}
	return -1;
}

/* Appends run `dir`'s same-round pairs (A's ms, log B/A less the run's
 * median log ratio) to a/d; the run's median log ratio into *shift. */
static int load_pairs(const char *dir, double **a, double **d, size_t *n, double *shift)
{
	struct run_analysis ra;
	if (analysis_load(dir, &ra) < 0) {
		fprintf(stderr, "noise_mde: %s\n", error_last());
		return -1;
	}
	if (ra.sf.narms < 2) {
		fprintf(stderr, "noise_mde: %s: want two arms, found %zu\n", dir, ra.sf.narms);
		analysis_free(&ra);
		return -1;
	}
	int maxr = 0;
	for (size_t i = 0; i < ra.sf.n; i++)
		if (ra.sf.s[i].round > maxr)
			maxr = ra.sf.s[i].round;
	double *ta = util_xcalloc((size_t)maxr + 1, sizeof *ta), *tb = util_xcalloc((size_t)maxr + 1, sizeof *tb);
	for (size_t i = 0; i < ra.sf.n; i++) {
		const struct sample *s = &ra.sf.s[i];
		if (!s->ok || s->warmup || s->kind || s->arm > 1 || s->round < 0)
			continue;
		(s->arm ? tb : ta)[s->round] = (double)s->ns[PH_CORE] / 1e6;
	}
	size_t n0 = *n;
	*a = util_xrealloc(*a, (n0 + (size_t)maxr + 1) * sizeof **a);
	*d = util_xrealloc(*d, (n0 + (size_t)maxr + 1) * sizeof **d);
	for (int r = 0; r <= maxr; r++)
		if (ta[r] > 0 && tb[r] > 0) {
			(*a)[*n] = ta[r];
			(*d)[*n] = log(tb[r] / ta[r]);
			(*n)++;
		}
	free(ta);
	free(tb);
	analysis_free(&ra);
	size_t m = *n - n0;
	if (m < 10) {
		fprintf(stderr, "noise_mde: %s: %zu same-round pairs, want at least 10\n", dir, m);
		return -1;
	}
	double *sorted = util_xmalloc(m * sizeof *sorted);
	memcpy(sorted, *d + n0, m * sizeof *sorted);
	qsort(sorted, m, sizeof *sorted, cmp_dbl);
	*shift = m % 2 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
	free(sorted);
	for (size_t i = n0; i < *n; i++)
		(*d)[i] -= *shift; /* the run's own shift removed: the noise alone */
	return 0;
}

int main(int argc, char **argv)
{
	int trials = 400, first = 1;
	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		trials = atoi(argv[2]);
		first = 3;
		if (trials < 10) {
			fprintf(stderr, "noise_mde: -t %s: want at least 10 trials\n", argv[2]);
			return 64;
		}
	}
	if (first >= argc) {
		fprintf(stderr, "usage: noise_mde [-t trials] RUN...\n");
		return 64;
	}
	double *a = NULL, *d = NULL, shift_sum = 0;
	size_t n = 0;
	for (int i = first; i < argc; i++) {
		double sh;
		if (load_pairs(argv[i], &a, &d, &n, &sh) < 0) {
			free(a);
			free(d);
			return 65;
		}
		shift_sum += sh;
	}
	double mean = 0, var = 0, lag = 0;
	for (size_t i = 0; i < n; i++)
		mean += d[i] / (double)n;
	for (size_t i = 0; i < n; i++)
		var += (d[i] - mean) * (d[i] - mean);
	for (size_t i = 1; i < n; i++)
		lag += (d[i] - mean) * (d[i - 1] - mean);
	double sd = sqrt(var / (double)(n - 1)), lag1 = var > 0 ? lag / var : 0;
	/* A robust sd beside it: 1.4826 MAD, which a few slow boots do not move. */
	double *sorted = util_xmalloc(n * sizeof *sorted);
	for (size_t i = 0; i < n; i++)
		sorted[i] = fabs(d[i]);
	qsort(sorted, n, sizeof *sorted, cmp_dbl);
	double sd_mad = 1.4826 * (n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
	double m_slow = mde(a, d, n, trials, 0), m_fail = mde(a, d, n, trials, 1);
	double m_norm = (stats_norm_quantile(1 - VERDICT_DEFAULT_ALPHA / 2) + stats_norm_quantile(0.8)) *
	                sd / sqrt(PAIRS);
	printf("sd %.4f sd_mad %.4f lag1 %+.2f shift %+.1f%% pairs %zu", sd, sd_mad, lag1,
	       100 * (exp(shift_sum / (argc - first)) - 1), n);
	if (m_slow < 0)
		printf(" mde_slower >30%%");
	else
		printf(" mde_slower %.2f%%", 100 * m_slow);
	if (m_fail < 0)
		printf(" mde_fail >30%%");
	else
		printf(" mde_fail %.2f%%", 100 * m_fail);
	printf(" mde_normal %.2f%%\n", 100 * (exp(m_norm) - 1));
	free(sorted);
	free(a);
	free(d);
	return 0;
}
