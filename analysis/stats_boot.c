/* stats_boot: percentile bootstrap intervals (see stats.h), split from
 * stats.c, which keeps the rank tests and their distribution-free
 * intervals. Resampling draws from splitmix64 (rng.h) seeded by the
 * caller, so the same samples and seed give the same interval bit for bit;
 * the intervals are descriptive only (no verdict uses them). */
#define _GNU_SOURCE
#include "stats.h"
#include "rng.h"
#include "util.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static size_t rand_index(uint64_t *st, size_t n)
{
	/* Lemire's multiply-shift; bias is < n / 2^64, negligible here. */
	return (size_t)(((unsigned __int128)rng_next(st) * n) >> 64);
}

/* The central `level` interval of the reps resampled statistics (sorts
 * stat in place). */
static void percentile_interval(double *stat, int reps, double level, double *lo, double *hi)
{
	qsort(stat, (size_t)reps, sizeof *stat, cmp_double);
	double a = (1.0 - level) / 2.0;
	*lo = stats_quantile_sorted(stat, (size_t)reps, a);
	*hi = stats_quantile_sorted(stat, (size_t)reps, 1.0 - a);
}

void stats_bootstrap_ci(const double *x, size_t n, const double *y, size_t m,
                        stats_two_sample_fn fn, int reps, double level, uint64_t seed,
                        double *lo, double *hi)
{
	if (n == 0 || m == 0 || reps < 1) {
		*lo = *hi = 0;
		return;
	}
	double *bx = util_xmalloc(n * sizeof *bx), *by = util_xmalloc(m * sizeof *by);
	double *stat = util_xmalloc((size_t)reps * sizeof *stat);
	uint64_t st = seed;
	for (int r = 0; r < reps; r++) {
		for (size_t i = 0; i < n; i++)
			bx[i] = x[rand_index(&st, n)];
		for (size_t j = 0; j < m; j++)
			by[j] = y[rand_index(&st, m)];
		stat[r] = fn(bx, n, by, m);
	}
	percentile_interval(stat, reps, level, lo, hi);
	free(bx);
	free(by);
	free(stat);
}

void stats_bootstrap_median_ci(const double *d, size_t n, int reps, double level, uint64_t seed,
                               double *lo, double *hi)
{
	if (n == 0 || reps < 1) {
		*lo = *hi = 0;
		return;
	}
	double *b = util_xmalloc(n * sizeof *b);
	double *stat = util_xmalloc((size_t)reps * sizeof *stat);
	uint64_t st = seed;
	for (int r = 0; r < reps; r++) {
		for (size_t i = 0; i < n; i++)
			b[i] = d[rand_index(&st, n)];
		stat[r] = stats_median(b, n);
	}
	percentile_interval(stat, reps, level, lo, hi);
	free(b);
	free(stat);
}
