/* stats_seq: the statistics of sequential looks and of dependent rounds
 * (see stats.h): Lan-DeMets O'Brien-Fleming-type group-sequential
 * boundaries, the variance factor an AR(1) dependence of the rounds
 * puts on a location estimate, and the sample-size planning that uses it. Split from stats.c, which keeps the rank
 * tests and their intervals. */
#define _GNU_SOURCE
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>

double stats_ar1_variance_factor(double r, size_t n)
{
	/* No shortcut for r <= 0: at 20 rounds an AR(1) of 0.45 shows r <= 0
	 * often enough that skipping the margin there let the report's false
	 * "slower" reach 1.7% (gate_sim section 6, 1500 runs). */
	if (n < 3)
		return 1;
	/* The lag-1 autocorrelation of a series whose mean is estimated is
	 * biased low, E r = phi - (1 + 4 phi) / n + O(1/n^2) (Kendall 1954;
	 * Marriott and Pope 1954): 0.39 for phi = 0.45 at 50 rounds. Inverted. */
	double nn = (double)n;
	double phi = nn > 5 ? (nn * r + 1) / (nn - 4) : r;
	/* The estimate's own noise (sd about sqrt((1 - phi^2) / n)) makes a
	 * plug-in factor too small as often as too large, and a too small one
	 * costs more coverage than a too large one gives back: phi is taken
	 * one sd above its estimate. gate_sim section 6 (1500 runs per cell,
	 * the drift shape of issue 23), with the p of stats_wilcoxon_scaled
	 * mapped from the exact null as the interval is: 98% intervals cover
	 * 98.3-99.3% at 20-100 pairs, the report's false faster/slower 1.1%,
	 * 0.5%, 0.2%, every other error <= alpha. With 0.75 sd the same p gave
	 * 1.4% false verdicts at 20 pairs (coverage 97.8-99.1%); the plug-in
	 * factor 96.2-98.0% and PASS at a true +3% 1.5-2.0%. */
	if (phi > -1 && phi < 1)
		phi += sqrt((1 - phi * phi) / nn);
	if (phi > 0.8)
		phi = 0.8;
	if (phi <= 0)
		return 1;
	/* Var(mean) / (sigma^2 / n) of a stationary AR(1):
	 * 1 + 2 sum_{k=1}^{n-1} (1 - k/n) phi^k. */
	double f = 1, pk = 1;
	for (size_t k = 1; k < n; k++) {
		pk *= phi;
		f += 2 * (1 - (double)k / nn) * pk;
		if (pk < 1e-12)
			break;
	}
	return f;
}

double stats_plan_pairs(double sd, double delta_log, double alpha, double power, double var_factor)
{
	if (!(delta_log > 0) || !(sd >= 0))
		return INFINITY;
	double z = (stats_norm_quantile(1 - alpha) + stats_norm_quantile(power)) * sd / delta_log;
	return (var_factor > 1 ? var_factor : 1) * z * z;
}

double stats_plan_mde(double sd, double n, double alpha, double power, double var_factor)
{
	if (!(n > 0))
		return INFINITY;
	return (stats_norm_quantile(1 - alpha) + stats_norm_quantile(power)) * sd *
	       sqrt((var_factor > 1 ? var_factor : 1) / n);
}

double stats_ldof_spent(double t, double alpha)
{
	if (t <= 0)
		return 0;
	if (t >= 1)
		return alpha;
	return 2 * (1 - stats_norm_cdf(stats_norm_quantile(1 - alpha / 2) / sqrt(t)));
}

/* Grid for the continuation densities: odd, for Simpson's rule. */
#define GS_GRID 2001

static double simpson(const double *f, size_t n, double h)
{
	double s = f[0] + f[n - 1];
	for (size_t i = 1; i + 1 < n; i++)
		s += f[i] * (i % 2 ? 4 : 2);
	return s * h / 3;
}

void stats_gs_bounds(const double *t, int k, double alpha, double *z)
{
	/* Armitage-McPherson-Rowe recursion (Jennison & Turnbull 2000, ch. 19)
	 * on the score scale S_j = Z_j sqrt(t_j), whose increments are
	 * independent N(0, t_j - t_{j-1}) under the null. f holds the density
	 * of S_j on paths that have not crossed yet, on a grid from -8 sd to
	 * the boundary; mass below -8 sd (1e-15) is dropped. */
	double *f = util_xmalloc(GS_GRID * sizeof *f), *g = util_xmalloc(GS_GRID * sizeof *g);
	double *tmp = util_xmalloc(GS_GRID * sizeof *tmp);
	double lo = 0, h = 0, spent = 0;
	for (int j = 0; j < k; j++) {
		double sd = sqrt(t[j]);
		double a = stats_ldof_spent(t[j], alpha), inc = a - spent, b;
		if (j == 0) {
			b = inc > 0 ? sd * stats_norm_quantile(1 - inc) : INFINITY;
		} else if (inc <= 0) {
			b = INFINITY;
		} else {
			/* Exit probability at boundary bb, decreasing in bb: bisect. */
			double dsd = sqrt(t[j] - t[j - 1]), blo = -10 * sd, bhi = 40 * sd;
			for (int it = 0; it < 200 && bhi - blo > 1e-10; it++) {
				double bb = (blo + bhi) / 2;
				for (size_t i = 0; i < GS_GRID; i++)
					tmp[i] = f[i] * (1 - stats_norm_cdf((bb - (lo + h * (double)i)) / dsd));
				if (simpson(tmp, GS_GRID, h) > inc)
					blo = bb;
				else
					bhi = bb;
			}
			b = (blo + bhi) / 2;
		}
		z[j] = isinf(b) ? INFINITY : b / sd;
		if (j + 1 == k)
			break;
		/* Density of S_j below min(b, 10 sd) for the next look. */
		double nlo = -8 * sd, nhi = fmin(b, 10 * sd), nh = (nhi - nlo) / (GS_GRID - 1);
		for (size_t i = 0; i < GS_GRID; i++) {
			double s = nlo + nh * (double)i;
			if (j == 0) {
				g[i] = exp(-s * s / (2 * t[0])) / sqrt(2 * M_PI * t[0]);
			} else {
				double dsd = sqrt(t[j] - t[j - 1]);
				for (size_t q = 0; q < GS_GRID; q++) {
					double u = (s - (lo + h * (double)q)) / dsd;
					tmp[q] = f[q] * exp(-u * u / 2) / (dsd * sqrt(2 * M_PI));
				}
				g[i] = simpson(tmp, GS_GRID, h);
			}
		}
		double *sw = f;
		f = g;
		g = sw;
		lo = nlo;
		h = nh;
		spent = a;
	}
	free(f);
	free(g);
	free(tmp);
}

double stats_sign_floor_p(size_t n, double var_factor)
{
	if (n == 0)
		return 1;
	double *d = util_xmalloc(n * sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = (double)(i + 1);
	double p = stats_wilcoxon_scaled(d, n, var_factor);
	free(d);
	return p;
}

/* Pairs up to which stats_wilcoxon's null of distinct differences is
 * exact; beyond, its normal approximation, whose floor falls as n grows. */
#define FLOOR_EXACT_MAX 50

size_t stats_sign_floor_pairs(double var_factor, double p_needed, size_t max)
{
	size_t m = max + 1; /* the fewest counts from which all reach p_needed */
	if (max > FLOOR_EXACT_MAX) {
		/* Monotone beyond the exact range: bisect it. */
		if (stats_sign_floor_p(max, var_factor) > p_needed)
			return 0;
		size_t lo = FLOOR_EXACT_MAX + 1, hi = max;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (stats_sign_floor_p(mid, var_factor) > p_needed)
				lo = mid + 1;
			else
				hi = mid;
		}
		m = lo;
		if (m > FLOOR_EXACT_MAX + 1)
			return m;
	}
	/* Into the exact range (also monotone, but short): down while reached. */
	for (size_t n = m - 1; n >= 1 && stats_sign_floor_p(n, var_factor) <= p_needed; n--)
		m = n;
	return m > max ? 0 : m;
}
