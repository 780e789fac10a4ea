/* stats: the statistics behind reports and the gate.
 *
 * Everything works on arrays of doubles (milliseconds in practice) and is
 * deterministic: resampling uses splitmix64 from a caller-given seed, so a
 * report regenerated from the same samples is identical bit for bit.
 *
 * Conventions (each checked by known-answer tests in tests/unit/test_stats.c):
 * - quantiles: linear interpolation between order statistics (R type 7,
 *   numpy's default);
 * - MAD: median absolute deviation from the median, unscaled;
 * - stdev: sample standard deviation (n - 1);
 * - Mann-Whitney U: two-sided; exact distribution when both samples have
 *   at most 50 values and there are no ties, else the normal approximation
 *   with tie correction and continuity correction;
 * - Wilcoxon signed-rank: two-sided; zero differences dropped (Wilcoxon's
 *   method); exact when n <= 50 without ties, else normal approximation with
 *   tie and continuity correction;
 * - bootstrap: percentile intervals (descriptive only: at n = 10-20 they
 *   cover less than their nominal level, so no verdict uses them);
 * - distribution-free intervals: every interval below is given by `tail`,
 *   the probability it may miss on each side, so its two-sided coverage is
 *   at least 1 - 2 * tail; an interval that cannot reach that level with
 *   so few values is (-inf, +inf);
 * - median: the order-statistic (binomial) interval [x(t+1), x(n-t)];
 * - paired shift: the one-sample Hodges-Lehmann estimate (median of the
 *   Walsh averages (d_i + d_j) / 2, i <= j) with Tukey's interval from the
 *   signed-rank distribution, so it rejects 0 exactly when the Wilcoxon
 *   test does (exact for n <= 200, normal approximation beyond);
 * - unpaired shift: the two-sample Hodges-Lehmann estimate with Moses'
 *   interval from the Mann-Whitney distribution (exact for n, m <= 50);
 *   both two-sample shift functions use every k-th value of a sample of
 *   more than 2048 (memory: they form all n * m differences);
 * - group-sequential boundaries: Lan-DeMets alpha spending of the
 *   O'Brien-Fleming type, one-sided.
 */
#ifndef GVAB_STATS_H
#define GVAB_STATS_H

#include <stddef.h>
#include <stdint.h>

struct stats_summary {
	size_t n;
	double median, p95, max, min, mean, stdev, mad;
};

/* Sorts a copy; x is not modified. n == 0 gives all zeros. */
void stats_summarize(const double *x, size_t n, struct stats_summary *out);
/* q in [0,1] of an ascending-sorted array (type 7). */
double stats_quantile_sorted(const double *sorted, size_t n, double q);
double stats_median(const double *x, size_t n);

/* Standard normal CDF. */
double stats_norm_cdf(double z);

/* Two-sided Mann-Whitney U p-value for x (n) vs y (m); *u gets U of x. */
double stats_mann_whitney(const double *x, size_t n, const double *y, size_t m, double *u);

/* Two-sided Wilcoxon signed-rank p-value of the differences d; *w gets
 * W+ (sum of ranks of positive differences). */
double stats_wilcoxon(const double *d, size_t n, double *w);

/* The same test for dependent differences: the normal approximation of
 * W+ (tie and continuity corrected) with its variance multiplied by
 * var_factor (> 1; e.g. stats_ar1_variance_factor), so it rejects exactly
 * when a Walsh interval widened by that factor excludes 0. var_factor <= 1:
 * stats_wilcoxon itself. */
double stats_wilcoxon_scaled(const double *d, size_t n, double var_factor);

/* Variance factor (>= 1) of a location estimate from n values in order
 * whose sample lag-1 autocorrelation is r, under an AR(1): r bias-corrected
 * for the estimated mean ((n r + 1) / (n - 4)), plus 0.75 of its standard
 * error sqrt((1 - phi^2) / n), capped at 0.8, then
 * 1 + 2 sum_{k<n} (1 - k/n) phi^k. 1 when that phi <= 0 or n < 3. */
double stats_ar1_variance_factor(double r, size_t n);

/* Hodges-Lehmann shift estimate: median of all (y_j - x_i). */
double stats_hodges_lehmann(const double *x, size_t n, const double *y, size_t m);

/* Statistic of two samples for the bootstrap (e.g. difference of medians). */
typedef double (*stats_two_sample_fn)(const double *x, size_t n, const double *y, size_t m);
double stats_diff_median(const double *x, size_t n, const double *y, size_t m);
double stats_diff_p95(const double *x, size_t n, const double *y, size_t m);

/* Percentile bootstrap CI (level, e.g. 0.95) of fn(y) - style two-sample
 * statistic, resampling x and y independently `reps` times. */
void stats_bootstrap_ci(const double *x, size_t n, const double *y, size_t m,
                        stats_two_sample_fn fn, int reps, double level, uint64_t seed,
                        double *lo, double *hi);

/* Percentile bootstrap CI of the median of d (paired differences). */
void stats_bootstrap_median_ci(const double *d, size_t n, int reps, double level, uint64_t seed,
                               double *lo, double *hi);

/* Order-statistic CI of the median of x: P(Bin(n, 1/2) <= t) <= tail. */
void stats_median_ci(const double *x, size_t n, double tail, double *lo, double *hi);

/* Paired shift of differences d: Hodges-Lehmann estimate and Tukey's
 * Walsh-average interval. More than 3000 values: the median and its
 * order-statistic interval instead (memory). */
void stats_walsh_ci(const double *d, size_t n, double tail, double *est, double *lo, double *hi);

/* Unpaired shift y - x: Hodges-Lehmann estimate and Moses' interval. */
void stats_shift_ci(const double *x, size_t n, const double *y, size_t m, double tail, double *est,
                    double *lo, double *hi);

/* Inverse of stats_norm_cdf (full double precision). */
double stats_norm_quantile(double p);

/* Lan-DeMets O'Brien-Fleming-type spending function, one-sided level
 * alpha: the error spent by information fraction t,
 * 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)). */
double stats_ldof_spent(double t, double alpha);

/* One-sided group-sequential boundaries z[0..k-1] (reject at look j when
 * Z_j >= z[j]) for looks at increasing information fractions t[0..k-1]
 * (t[k-1] = 1), spending alpha with stats_ldof_spent. Computed by numerical
 * integration (Simpson on 2001 points per look); accurate to about 1e-4. */
void stats_gs_bounds(const double *t, int k, double alpha, double *z);


/* Sample-size planning of a paired comparison, normal approximation on
 * the same-round log ratios (sd `sd`), the variance taken `var_factor`
 * times (>= 1; the AR(1) factor the paired interval uses):
 *   stats_plan_pairs  the pairs at which a one-sided test at `alpha`
 *       detects a change of `delta_log` (log(1 + X) for X%) with
 *       probability `power`: var_factor ((z(1-alpha) + z(power)) sd /
 *       delta_log)^2; the gate's interval then clears a threshold X for a
 *       true change 0 (PASS) or 2X (FAIL) as often. Infinity when
 *       delta_log is not above 0.
 *   stats_plan_mde    the inverse: the change (log scale) that `n` pairs
 *       detect so, (z(1-alpha) + z(power)) sd sqrt(var_factor / n). */
double stats_plan_pairs(double sd, double delta_log, double alpha, double power, double var_factor);

/* The rank test's floor for dependent rounds: the two-sided p
 * (stats_wilcoxon_scaled, variance `var_factor` times) of n distinct
 * differences all of one sign, the smallest p n pairs can give whatever
 * the change. At variance x3.9, 20 pairs give 0.016: no change of any size
 * passes alpha 0.01. */
double stats_sign_floor_p(size_t n, double var_factor);
/* The fewest pairs M whose floor, and that of every count from M to
 * `max`, is at most `p_needed` at `var_factor` (the floor is not monotone
 * in n: exact up to 50 pairs, the normal approximation beyond); 0 when no
 * count up to `max` is. */
size_t stats_sign_floor_pairs(double var_factor, double p_needed, size_t max);
double stats_plan_mde(double sd, double n, double alpha, double power, double var_factor);

/* Holm-Bonferroni: adjusted p-values, in place order preserved. */
void stats_holm(const double *p, size_t n, double *adjusted);

#endif
