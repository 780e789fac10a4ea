/* stats: see stats.h. Written small rather than pulled from GSL: the
 * pieces needed (quantiles, two rank tests, a seeded bootstrap, erfc for the
 * normal CDF from libm) are short, and GSL's GPL licence would bind gvab's
 * licence for little gain. */
#include "stats.h"
#include "schedule.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double *sorted_copy(const double *x, size_t n)
{
	double *s = util_xmalloc((n ? n : 1) * sizeof *s);
	if (n)
		memcpy(s, x, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_double);
	return s;
}

double stats_quantile_sorted(const double *s, size_t n, double q)
{
	if (n == 0)
		return 0;
	if (n == 1)
		return s[0];
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	if (lo >= n - 1)
		return s[n - 1];
	return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

double stats_median(const double *x, size_t n)
{
	double *s = sorted_copy(x, n);
	double m = stats_quantile_sorted(s, n, 0.5);
	free(s);
	return m;
}

void stats_summarize(const double *x, size_t n, struct stats_summary *o)
{
	memset(o, 0, sizeof *o);
	o->n = n;
	if (n == 0)
		return;
	double *s = sorted_copy(x, n);
	o->median = stats_quantile_sorted(s, n, 0.5);
	o->p95 = stats_quantile_sorted(s, n, 0.95);
	o->min = s[0];
	o->max = s[n - 1];
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	o->mean = sum / (double)n;
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - o->mean) * (x[i] - o->mean);
	o->stdev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
	for (size_t i = 0; i < n; i++)
		s[i] = fabs(x[i] - o->median);
	qsort(s, n, sizeof *s, cmp_double);
	o->mad = stats_quantile_sorted(s, n, 0.5);
	free(s);
}

double stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

struct ranked {
	double v;
	int group;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

/* Assigns mid-ranks; returns sum over tie groups of (t^3 - t). */
static double midranks(struct ranked *r, size_t n, double *rank)
{
	double ties = 0;
	qsort(r, n, sizeof *r, cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && r[j + 1].v == r[i].v)
			j++;
		double avg = ((double)i + (double)j) / 2.0 + 1.0;
		for (size_t k = i; k <= j; k++)
			rank[k] = avg;
		double t = (double)(j - i + 1);
		ties += t * t * t - t;
		i = j + 1;
	}
	return ties;
}

/* Exact two-sided p of Mann-Whitney U without ties: counts of U values
 * by the recurrence f(n,m,u) = f(n-1,m,u-m) + f(n,m-1,u). */
static double mw_exact(size_t n, size_t m, double u)
{
	size_t umax = n * m;
	/* dp over (i, j) with arrays of length umax+1; memory O(n*m*umax) is
	 * too much, so iterate over i with a 2-D table over (j, u). */
	double *prev = util_xcalloc((m + 1) * (umax + 1), sizeof(double));
	double *cur = util_xcalloc((m + 1) * (umax + 1), sizeof(double));
#define AT(t, j, uu) (t)[(j) * (umax + 1) + (uu)]
	/* i = 0: f(0, j, 0) = 1 */
	for (size_t j = 0; j <= m; j++)
		AT(prev, j, 0) = 1;
	for (size_t i = 1; i <= n; i++) {
		memset(cur, 0, (m + 1) * (umax + 1) * sizeof(double));
		AT(cur, 0, 0) = 1;
		for (size_t j = 1; j <= m; j++)
			for (size_t uu = 0; uu <= i * j; uu++) {
				double v = AT(cur, j - 1, uu);
				if (uu >= j)
					v += AT(prev, j, uu - j);
				AT(cur, j, uu) = v;
			}
		double *t = prev;
		prev = cur;
		cur = t;
	}
	double total = 0, le = 0, ge = 0;
	for (size_t uu = 0; uu <= umax; uu++) {
		double c = AT(prev, m, uu);
		total += c;
		if ((double)uu <= u + 1e-9)
			le += c;
		if ((double)uu >= u - 1e-9)
			ge += c;
	}
#undef AT
	free(prev);
	free(cur);
	double p = 2.0 * fmin(le, ge) / total;
	return p > 1 ? 1 : p;
}

double stats_mann_whitney(const double *x, size_t n, const double *y, size_t m, double *u_out)
{
	if (n == 0 || m == 0) {
		if (u_out)
			*u_out = 0;
		return 1.0;
	}
	size_t N = n + m;
	struct ranked *r = util_xmalloc(N * sizeof *r);
	double *rank = util_xmalloc(N * sizeof *rank);
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){x[i], 0};
	for (size_t j = 0; j < m; j++)
		r[n + j] = (struct ranked){y[j], 1};
	double ties = midranks(r, N, rank);
	double r1 = 0;
	for (size_t i = 0; i < N; i++)
		if (r[i].group == 0)
			r1 += rank[i];
	free(r);
	free(rank);
	double u = r1 - (double)n * (double)(n + 1) / 2.0;
	if (u_out)
		*u_out = u;
	if (ties == 0 && n <= 50 && m <= 50)
		return mw_exact(n, m, u);
	double mu = (double)n * (double)m / 2.0;
	double var = (double)n * (double)m / 12.0 *
	             (((double)N + 1.0) - ties / ((double)N * ((double)N - 1.0)));
	if (var <= 0)
		return 1.0;
	double z = (fabs(u - mu) - 0.5) / sqrt(var);
	if (z < 0)
		z = 0;
	double p = 2.0 * (1.0 - stats_norm_cdf(z));
	return p > 1 ? 1 : p;
}

double stats_wilcoxon(const double *d, size_t n_all, double *w_out)
{
	struct ranked *r = util_xmalloc((n_all ? n_all : 1) * sizeof *r);
	size_t n = 0;
	for (size_t i = 0; i < n_all; i++)
		if (d[i] != 0)
			r[n++] = (struct ranked){fabs(d[i]), d[i] > 0};
	if (n == 0) {
		free(r);
		if (w_out)
			*w_out = 0;
		return 1.0;
	}
	double *rank = util_xmalloc(n * sizeof *rank);
	double ties = midranks(r, n, rank);
	double wplus = 0;
	for (size_t i = 0; i < n; i++)
		if (r[i].group)
			wplus += rank[i];
	free(r);
	free(rank);
	if (w_out)
		*w_out = wplus;
	double nn = (double)n;
	if (ties == 0 && n <= 50) {
		/* Exact: number of subsets of {1..n} with each rank sum. */
		size_t smax = n * (n + 1) / 2;
		double *c = util_xcalloc(smax + 1, sizeof *c);
		c[0] = 1;
		for (size_t k = 1; k <= n; k++)
			for (size_t s = smax; s >= k; s--)
				c[s] += c[s - k];
		double total = ldexp(1.0, (int)n), le = 0, ge = 0;
		for (size_t s = 0; s <= smax; s++) {
			if ((double)s <= wplus + 1e-9)
				le += c[s];
			if ((double)s >= wplus - 1e-9)
				ge += c[s];
		}
		free(c);
		double p = 2.0 * fmin(le, ge) / total;
		return p > 1 ? 1 : p;
	}
	double mu = nn * (nn + 1) / 4.0;
	double var = nn * (nn + 1) * (2 * nn + 1) / 24.0 - ties / 48.0;
	if (var <= 0)
		return 1.0;
	double z = (fabs(wplus - mu) - 0.5) / sqrt(var);
	if (z < 0)
		z = 0;
	double p = 2.0 * (1.0 - stats_norm_cdf(z));
	return p > 1 ? 1 : p;
}

double stats_hodges_lehmann(const double *x, size_t n, const double *y, size_t m)
{
	if (n == 0 || m == 0)
		return 0;
	double *d = util_xmalloc(n * m * sizeof *d);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			d[k++] = y[j] - x[i];
	double h = stats_median(d, k);
	free(d);
	return h;
}

double stats_diff_median(const double *x, size_t n, const double *y, size_t m)
{
	return stats_median(y, m) - stats_median(x, n);
}

double stats_diff_p95(const double *x, size_t n, const double *y, size_t m)
{
	double *a = sorted_copy(x, n), *b = sorted_copy(y, m);
	double d = stats_quantile_sorted(b, m, 0.95) - stats_quantile_sorted(a, n, 0.95);
	free(a);
	free(b);
	return d;
}

static size_t rand_index(uint64_t *st, size_t n)
{
	/* Lemire's multiply-shift; bias is < n / 2^64, negligible here. */
	return (size_t)(((unsigned __int128)schedule_rng_next(st) * n) >> 64);
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
	qsort(stat, (size_t)reps, sizeof *stat, cmp_double);
	double a = (1.0 - level) / 2.0;
	*lo = stats_quantile_sorted(stat, (size_t)reps, a);
	*hi = stats_quantile_sorted(stat, (size_t)reps, 1.0 - a);
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
	qsort(stat, (size_t)reps, sizeof *stat, cmp_double);
	double a = (1.0 - level) / 2.0;
	*lo = stats_quantile_sorted(stat, (size_t)reps, a);
	*hi = stats_quantile_sorted(stat, (size_t)reps, 1.0 - a);
	free(b);
	free(stat);
}

void stats_holm(const double *p, size_t n, double *adj)
{
	size_t *idx = util_xmalloc((n ? n : 1) * sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* insertion sort by p: n is small (phases x pairs x hosts) */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && p[idx[j]] < p[idx[j - 1]]; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	double running = 0;
	for (size_t k = 0; k < n; k++) {
		double v = (double)(n - k) * p[idx[k]];
		if (v > 1)
			v = 1;
		if (v < running)
			v = running;
		running = v;
		adj[idx[k]] = v;
	}
	free(idx);
}
