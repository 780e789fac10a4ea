/* stats: see stats.h. Written small rather than pulled from GSL: the
 * pieces needed (quantiles, two rank tests, a seeded bootstrap, erfc for the
 * normal CDF from libm) are short, and GSL's GPL licence would bind gvab's
 * licence for little gain. The resampling (bootstrap) intervals are in
 * stats_boot.c, group-sequential boundaries and the AR(1) variance factor
 * in stats_seq.c. */
#define _GNU_SOURCE
#include "stats.h"
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

/* Null distribution of Mann-Whitney U without ties: returns counts c[u],
 * u = 0..n*m, of the C(n+m, n) equally likely group assignments, by the
 * recurrence f(n,m,u) = f(n-1,m,u-m) + f(n,m-1,u). Caller frees. */
static double *mw_counts(size_t n, size_t m)
{
	/* The last few tables are kept: a report or a simulation asks for the
	 * same sizes again and again. Not locked: gvab starts no threads (the
	 * campaign's host workers are forked processes). */
	enum { NCACHE = 16 };
	static double *cache[NCACHE];
	static size_t cache_n[NCACHE], cache_m[NCACHE], next;
	size_t umax = n * m;
	for (size_t i = 0; i < NCACHE; i++)
		if (cache[i] && cache_n[i] == n && cache_m[i] == m) {
			double *c = util_xmalloc((umax + 1) * sizeof *c);
			memcpy(c, cache[i], (umax + 1) * sizeof *c);
			return c;
		}
	/* A 3-D table over (i, j, u) is too much memory, so iterate over i with
	 * a 2-D table over (j, u). */
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
	double *c = util_xmalloc((umax + 1) * sizeof *c);
	for (size_t uu = 0; uu <= umax; uu++)
		c[uu] = AT(prev, m, uu);
#undef AT
	free(prev);
	free(cur);
	free(cache[next]);
	cache[next] = util_xmalloc((umax + 1) * sizeof *c);
	memcpy(cache[next], c, (umax + 1) * sizeof *c);
	cache_n[next] = n;
	cache_m[next] = m;
	next = (next + 1) % NCACHE;
	return c;
}

/* Two-sided p of a rank statistic from its null counts c[0..max]: twice
 * the smaller tail at `stat`, over `total` (<= 0: the sum of the counts). */
static double exact_two_sided(const double *c, size_t max, double stat, double total)
{
	double sum = 0, le = 0, ge = 0;
	for (size_t v = 0; v <= max; v++) {
		sum += c[v];
		if ((double)v <= stat + 1e-9)
			le += c[v];
		if ((double)v >= stat - 1e-9)
			ge += c[v];
	}
	double p = 2.0 * fmin(le, ge) / (total > 0 ? total : sum);
	return p > 1 ? 1 : p;
}

/* Two-sided p of a rank statistic by the normal approximation with
 * continuity correction: mean mu, variance var (1 when var <= 0). */
static double normal_two_sided(double stat, double mu, double var)
{
	if (var <= 0)
		return 1.0;
	double z = (fabs(stat - mu) - 0.5) / sqrt(var);
	if (z < 0)
		z = 0;
	double p = 2.0 * (1.0 - stats_norm_cdf(z));
	return p > 1 ? 1 : p;
}

/* Exact two-sided p of Mann-Whitney U without ties. */
static double mw_exact(size_t n, size_t m, double u)
{
	double *c = mw_counts(n, m);
	double p = exact_two_sided(c, n * m, u, 0);
	free(c);
	return p;
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
	return normal_two_sided(u, mu, var);
}

/* Null distribution of the signed-rank statistic W+: counts c[s],
 * s = 0..n(n+1)/2, of the subsets of {1..n} with rank sum s (out of 2^n
 * equally likely sign patterns). Caller frees. */
static double *wx_counts(size_t n)
{
	/* Kept by n as mw_counts keeps its tables: `history add` asks for the
	 * same n for every phase and arm of a run. */
	enum { NCACHE = 8 };
	static double *cache[NCACHE];
	static size_t cache_n[NCACHE], next;
	size_t smax = n * (n + 1) / 2;
	double *c = util_xcalloc(smax + 1, sizeof *c);
	for (size_t i = 0; i < NCACHE; i++)
		if (cache[i] && cache_n[i] == n) {
			memcpy(c, cache[i], (smax + 1) * sizeof *c);
			return c;
		}
	c[0] = 1;
	for (size_t k = 1; k <= n; k++)
		for (size_t s = smax; s >= k; s--)
			c[s] += c[s - k];
	free(cache[next]);
	cache[next] = util_xmalloc((smax + 1) * sizeof *c);
	memcpy(cache[next], c, (smax + 1) * sizeof *c);
	cache_n[next] = n;
	next = (next + 1) % NCACHE;
	return c;
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
		double *c = wx_counts(n);
		double p = exact_two_sided(c, n * (n + 1) / 2, wplus, ldexp(1.0, (int)n));
		free(c);
		return p;
	}
	double mu = nn * (nn + 1) / 4.0;
	double var = nn * (nn + 1) * (2 * nn + 1) / 24.0 - ties / 48.0;
	return normal_two_sided(wplus, mu, var);
}

double stats_wilcoxon_scaled(const double *d, size_t n_all, double var_factor)
{
	double p = stats_wilcoxon(d, n_all, NULL);
	if (!(var_factor > 1) || !(p < 1))
		return p;
	/* The paired interval is widened through its level: the one-sided
	 * tail t it is taken at satisfies z_t = z_tail * sqrt(var_factor)
	 * (paired_shift in analysis.c), on the same null distribution of W+ as
	 * this p (exact up to 50 pairs without ties). So the p that agrees with
	 * that interval is the unscaled one mapped the same way: its normal
	 * score divided by sqrt(var_factor). In the normal range this is the
	 * continuity-corrected normal p with the variance times var_factor; at
	 * 20 pairs all of one sign it is 2^-19 mapped (0.0046 at x2.82), where
	 * the normal approximation of W+ itself gave 0.0197, which no change of
	 * any size could pass at alpha 0.01 while the interval excluded 0. */
	double z = stats_norm_quantile(p / 2);
	double q = 2.0 * stats_norm_cdf(z / sqrt(var_factor));
	return q > 1 ? 1 : q;
}

/* Two-sample statistics use all n * m differences; beyond this many values
 * per sample (2048 * 2048 * 8 bytes = 32 MiB) every k-th value in the
 * given (time) order is used instead, a systematic subsample, so a huge or
 * hostile run costs memory it can afford. */
#define TWO_SAMPLE_MAX 2048

/* x thinned to at most TWO_SAMPLE_MAX values (a copy), or x itself. */
static const double *thin(const double *x, size_t *n, double **own)
{
	*own = NULL;
	if (*n <= TWO_SAMPLE_MAX)
		return x;
	size_t k = (*n + TWO_SAMPLE_MAX - 1) / TWO_SAMPLE_MAX, w = 0;
	*own = util_xmalloc(TWO_SAMPLE_MAX * sizeof **own);
	for (size_t i = 0; i < *n && w < TWO_SAMPLE_MAX; i += k)
		(*own)[w++] = x[i];
	*n = w;
	return *own;
}

double stats_hodges_lehmann(const double *x0, size_t n, const double *y0, size_t m)
{
	if (n == 0 || m == 0)
		return 0;
	double *ox, *oy;
	const double *x = thin(x0, &n, &ox), *y = thin(y0, &m, &oy);
	double *d = util_xmalloc(n * m * sizeof *d);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			d[k++] = y[j] - x[i];
	double h = stats_median(d, k);
	free(d);
	free(ox);
	free(oy);
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

double stats_norm_quantile(double p)
{
	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	/* Acklam's rational approximation (relative error < 1.2e-9), then one
	 * Halley step on erfc, which brings it to double precision. */
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
	                           -2.759285104469687e+02, 1.383577518672690e+02,
	                           -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
	                           -1.556989798598866e+02, 6.680131188771972e+01,
	                           -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
	                           -2.400758277161838e+00, -2.549732539343734e+00,
	                           4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
	                           2.445134137142996e+00, 3.754408661907416e+00};
	double q, r, x;
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else if (p > 1 - 0.02425) {
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	double e = stats_norm_cdf(x) - p;
	double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

/* Largest t with sum(c[0..t]) / total <= tail, or -1 when even c[0] is
 * more likely than that: the rank of the last order statistic that a
 * distribution-free interval may cut off on each side. */
static long crit_from_counts(const double *c, size_t cmax, double tail)
{
	double total = 0, cum = 0;
	for (size_t s = 0; s <= cmax; s++)
		total += c[s];
	long t = -1;
	for (size_t s = 0; s <= cmax; s++) {
		cum += c[s];
		/* relative slack: equality (e.g. exactly 2.5%) counts as within */
		if (cum / total <= tail * (1 + 1e-12))
			t = (long)s;
		else
			break;
	}
	return t;
}

/* The same from a normal approximation (mean mu, sd sigma, continuity
 * corrected) for sample sizes where exact counts are too slow. */
static long crit_normal(double mu, double sigma, double tail)
{
	double t = floor(mu - 0.5 + stats_norm_quantile(tail) * sigma);
	return t < 0 ? -1 : (long)t;
}

void stats_median_ci(const double *x, size_t n, double tail, double *lo, double *hi)
{
	*lo = -INFINITY;
	*hi = INFINITY;
	if (n == 0)
		return;
	/* P(Bin(n, 1/2) <= t) summed exactly in log space. */
	long t = -1;
	double cum = 0;
	for (size_t k = 0; k < n; k++) {
		cum += exp(lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) -
		           (double)n * M_LN2);
		if (cum <= tail * (1 + 1e-12))
			t = (long)k;
		else
			break;
	}
	if (t < 0)
		return;
	double *s = sorted_copy(x, n);
	*lo = s[t];
	*hi = s[n - 1 - (size_t)t];
	free(s);
}

/* Walsh averages beyond this many pairs would take too much memory; the
 * order-statistic interval of the median is used instead. */
#define WALSH_MAX_N 3000
/* Exact signed-rank counts up to here; a normal approximation beyond. */
#define WALSH_EXACT_N 200

void stats_walsh_ci(const double *d, size_t n, double tail, double *est, double *lo, double *hi)
{
	*est = 0;
	*lo = -INFINITY;
	*hi = INFINITY;
	if (n == 0)
		return;
	if (n > WALSH_MAX_N) {
		*est = stats_median(d, n);
		stats_median_ci(d, n, tail, lo, hi);
		return;
	}
	size_t m = n * (n + 1) / 2, k = 0;
	double *w = util_xmalloc(m * sizeof *w);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++)
			w[k++] = (d[i] + d[j]) / 2;
	qsort(w, m, sizeof *w, cmp_double);
	*est = stats_quantile_sorted(w, m, 0.5);
	long t;
	if (n <= WALSH_EXACT_N) {
		double *c = wx_counts(n);
		t = crit_from_counts(c, m, tail);
		free(c);
	} else {
		double nn = (double)n;
		t = crit_normal(nn * (nn + 1) / 4, sqrt(nn * (nn + 1) * (2 * nn + 1) / 24), tail);
	}
	if (t >= 0) {
		*lo = w[t];
		*hi = w[m - 1 - (size_t)t];
	}
	free(w);
}

void stats_shift_ci(const double *x0, size_t n, const double *y0, size_t m, double tail,
                    double *est, double *lo, double *hi)
{
	*est = 0;
	*lo = -INFINITY;
	*hi = INFINITY;
	if (n == 0 || m == 0)
		return;
	double *ox, *oy;
	const double *x = thin(x0, &n, &ox), *y = thin(y0, &m, &oy);
	size_t nm = n * m, k = 0;
	double *dd = util_xmalloc(nm * sizeof *dd);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			dd[k++] = y[j] - x[i];
	qsort(dd, nm, sizeof *dd, cmp_double);
	*est = stats_quantile_sorted(dd, nm, 0.5);
	long t;
	if (n <= 50 && m <= 50) {
		double *c = mw_counts(n, m);
		t = crit_from_counts(c, nm, tail);
		free(c);
	} else {
		double nn = (double)n, mm = (double)m;
		t = crit_normal(nn * mm / 2, sqrt(nn * mm * (nn + mm + 1) / 12), tail);
	}
	if (t >= 0) {
		*lo = dd[t];
		*hi = dd[nm - 1 - (size_t)t];
	}
	free(dd);
	free(ox);
	free(oy);
}
