/* history_detect: change points of one host series (docs/history.md).
 *
 * Method: binary segmentation with the likelihood-ratio statistic of a
 * mean shift under a model that knows each figure's own error and which
 * figures were measured in the same run (generalised least squares).
 * - Each observation is one run's figure for one revision, on the log
 *   scale: y = log(p50), or log(ratio to the anchor); its variance v from
 *   its own 95% interval, ((log hi - log lo) / (2 * 1.96))^2.
 * - Model: y_i = mu(revision) + g(run) + e_i. The run effect g is shared
 *   by every figure of a run: for absolute figures the host's speed that
 *   night, an extra variance S; for ratios to the anchor the anchor's own
 *   error, which every ratio of the run divides by: a share
 *   HISTORY_ANCHOR_SHARE of the figures' interval variance (a paired ratio
 *   to the anchor has the arm's and the anchor's error, alike when both
 *   were booted the same number of times), the rest each figure's own.
 *   Each figure has besides an extra variance t of its own (an arm's
 *   wobble from run to run).
 * - S + t from revisions measured in several runs (mean of ((y_a - y_b)^2 -
 *   v_a - v_b) / 2 over pairs from different runs); without such
 *   replicates, from neighbouring revisions of different runs (the same
 *   with a median, robust to the few steps among them). t alone from
 *   neighbouring revisions of one run (a median again; the run effect
 *   cancels there): for ratios to the anchor S is taken as 0 (the anchor
 *   takes the host out) and t the mean of the two estimates; for absolute figures t is the
 *   within-run figure (at most S + t) and S the rest.
 * - A split between revisions k-1 and k fits one mean each side by
 *   generalised least squares with that covariance (block per run: own
 *   variances plus a shared one; inverted in closed form by
 *   Sherman-Morrison, updated in O(1) as the split moves, so a scan of n
 *   figures is O(n)): D = mu_R - mu_L, z = D / sd(D). z^2 is the
 *   likelihood ratio of a change at that split, so the largest |z| is the
 *   maximum-likelihood place of a single change. Two revisions of one run
 *   differ by their own errors only: the paired design's precision.
 * - The best split of a segment (largest |z|) is tested against the
 *   largest |z| of 999 series drawn from the fitted model without a change
 *   (a parametric bootstrap from rig/core's RNG, seeded by the data, so a
 *   series always gets the same answer); for absolute figures each null
 *   series has its S estimated again from its own figures (a handful of
 *   replicates: the test pays for estimating it); t, small beside the
 *   intervals and often estimated at its bound 0, is not (that made the
 *   test worse) but carries a margin (HISTORY_T_MARGIN). p = (1 +
 *   #{null >= observed}) / (1 + draws). When p <= alpha both sides are
 *   segmented again. On a flat series the first test alone can alarm: at
 *   most alpha of the time when the model holds.
 * - Its size is exp(D) - 1 with the interval D +- z* sd, z* the null's
 *   1 - alpha quantile of the largest |z|, D and sd of the split between
 *   the two segments it separates once segmentation is done (the segment
 *   it was found in may hold other changes: sizes_refit). A change is reported (slower or faster) when
 *   its estimate reaches the minimum magnitude (the gate's threshold by
 *   default); "undecided" when it is significant toward slower, below the
 *   magnitude, but its interval reaches it; "small" otherwise.
 * Creep (+1.5% per release) has no single step above a 3% threshold, but
 * the segments before and after its middle differ by the sum: the
 * benchmark (tests/bench/history_sim.c) measures how often it is flagged. */
#define _GNU_SOURCE
#include "history_int.h"
#include "rng.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054
#define HISTORY_NULL_SIMS 999 /* null series per test: p-values in steps of 0.001 */
/* The anchor's share of a ratio's variance (see the top of the file). */
#define HISTORY_ANCHOR_SHARE 0.5
/* The estimated per-figure variance t of ratios to the anchor comes from a
 * dozen pairs; plugged in as if known, a flat 12-revision chain alarmed
 * 1.3% (+-0.1) of the time at alpha 1% (tests/bench/history_sim.c, 10000
 * series), and estimating it again in each null series does worse (the
 * estimate sits at its bound 0 half the time). So t gets a margin of this
 * many standard errors of its replicate estimate: 0.25 brings the flat
 * chain to 0.7% and costs 2 points of power on the 5% step (measured on
 * the normal-error cases; the t(4) and drifting-noise cases are then
 * checks off the calibration). As the paired interval's 0.75 s.e. margin
 * on its AR(1) factor (analysis/stats_seq.c). */
#define HISTORY_T_MARGIN 0.25
/* median of chi-square(1) is 0.4549 of its mean */
#define CHI2_1_MEDIAN 0.454936423119572

const char *history_change_name(enum history_change_kind k)
{
	static const char *const n[] = {"slower", "faster", "undecided", "small"};
	return n[k];
}

static void obs_log(const struct history_obs *o, double *y, double *v)
{
	double val = o->val > 0 ? o->val : 1e-9;
	*y = log(val);
	double se = 0;
	if (o->lo > 0 && o->hi > o->lo)
		se = (log(o->hi) - log(o->lo)) / (2 * Z95);
	if (!(se > 1e-4))
		se = 1e-4; /* a degenerate interval (too few values) still has some error */
	*v = se * se;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_inplace(double *t, size_t n)
{
	qsort(t, n, sizeof *t, cmp_dbl);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* The variance model of a series: each figure's own variance d_i (its
 * interval's, less the anchor's share, plus t) and each run's shared one
 * (the anchor's share of its figures, plus S). */
struct model {
	double S, t;  /* extra run-shared and per-figure variance */
	int from;     /* as history_detect_result.tau_from */
};

/* S and t (see the top of the file) from the figures y with interval
 * variances v; a_run[g] is run g's anchor share (0 without an anchor);
 * tmp holds nobs doubles, last nruns indices. Without within_too, S is
 * S + t and t is not estimated. */
static void model_estimate(const struct history_series *s, const double *y, const double *v,
                           const double *a_run, double *tmp, size_t *last, int within_too,
                           struct model *m)
{
	memset(m, 0, sizeof *m);
	const struct history_obs *ob = s->obs;
	double tot = 0, se_tot = 0;
	int have_tot = 0;
	if (s->nruns > 1) {
		double sum = 0, sum2 = 0;
		size_t np = 0;
		for (size_t i = 0; i + 1 < s->nobs; i++)
			for (size_t j = i + 1; j < s->nobs && ob[j].rev == ob[i].rev; j++)
				if (ob[j].run != ob[i].run) {
					double d = y[j] - y[i];
					double e = (d * d - v[i] - v[j]) / 2;
					sum += e;
					sum2 += e * e;
					np++;
					break; /* consecutive pairs only: each figure in at most two */
				}
		if (np) {
			m->from = 1;
			tot = sum > 0 ? sum / (double)np : 0;
			have_tot = 1;
			if (np > 1) {
				double mean = sum / (double)np;
				double var = (sum2 - (double)np * mean * mean) / (double)(np - 1);
				se_tot = var > 0 ? sqrt(var / (double)np) : 0;
			}
		} else {
			size_t nt = 0;
			for (size_t i = 0; i + 1 < s->nobs; i++)
				if (ob[i + 1].run != ob[i].run && ob[i + 1].rev != ob[i].rev) {
					double d = y[i + 1] - y[i];
					tmp[nt++] = d * d / CHI2_1_MEDIAN - v[i] - v[i + 1];
				}
			if (nt) {
				double med = median_inplace(tmp, nt);
				tot = med > 0 ? med / 2 : 0;
				m->from = 2;
				have_tot = 1;
			}
		}
	}
	/* Within runs: each figure with the previous figure of its run, when
	 * that is another revision (observations are in revision order). */
	size_t nt = 0;
	if (!within_too) { /* S + t only (the null's drift, below) */
		m->S = tot;
		return;
	}
	for (size_t g = 0; g < s->nruns; g++)
		last[g] = SIZE_MAX;
	for (size_t i = 0; i < s->nobs; i++) {
		size_t g = ob[i].run, j = last[g];
		last[g] = i;
		if (j == SIZE_MAX || ob[j].rev == ob[i].rev)
			continue;
		double d = y[i] - y[j], a = a_run[g];
		tmp[nt++] = d * d / CHI2_1_MEDIAN - (v[i] - a) - (v[j] - a);
	}
	double within = 0;
	if (nt) {
		double med = median_inplace(tmp, nt);
		within = med > 0 ? med / 2 : 0;
	}
	if (!have_tot) { /* one run (or no replicate of any kind) */
		m->t = within;
		m->from = nt && within > 0 ? 3 : 0;
	} else if (s->anchor) {
		/* S = 0: both estimate t; pooled, as one alone has few pairs;
		 * plus a margin for its error (see HISTORY_T_MARGIN). */
		m->t = (nt ? (tot + within) / 2 : tot) + HISTORY_T_MARGIN * se_tot;
	} else {
		m->t = nt && within < tot ? within : (nt ? tot : 0);
		m->S = tot - m->t;
	}
}

struct seg_ctx {
	const struct history_series *s;
	const double *y, *v;
	const double *a_run;   /* per run: the anchor's share of its figures' variance */
	struct model m;        /* of the observed series */
	double *w;             /* per figure: 1 / own variance */
	double *s_run;         /* per run: shared variance */
	double *kappa;         /* per run: s / (1 + s W), W its weight in the segment */
	double *wl, *wr, *yg;  /* per run: weight left / right of the split, weighted sum */
	double *ystar;         /* a null series (parametric bootstrap) */
	double *gstar;         /* its run effects */
	double *tmp;
	size_t *last;          /* per run: scratch */
	uint64_t rng;
	double spare;          /* the second normal of a pair */
	int have_spare;
	const struct history_detect_opts *o;
	struct history_change *out;
	size_t *out_at;        /* per change: its split (first observation right) */
	double *out_zc;        /* ... and its test's critical |z| */
	size_t nout;
};

struct split {
	size_t at;  /* first observation of the right side */
	double d, sd, z;
	size_t k;   /* candidate splits */
};

/* Weights of model m: w_i = 1 / own variance, s_run[g] the run's shared. */
static void model_weights(struct seg_ctx *c, const struct model *m)
{
	const struct history_obs *ob = c->s->obs;
	for (size_t g = 0; g < c->s->nruns; g++)
		c->s_run[g] = c->a_run[g] + m->S;
	for (size_t i = 0; i < c->s->nobs; i++) {
		double own = c->v[i] - c->a_run[ob[i].run];
		if (own < 0.25 * c->v[i])
			own = 0.25 * c->v[i];
		c->w[i] = 1 / (own + m->t);
	}
}

/* The best split of observations [a, b) of y; 0 when there is no
 * boundary. For a split the generalised least squares normal equations of
 * the two means are A (mu_L, mu_R)' = b with, per run g (weights WLg,
 * WRg left and right, kappa_g = s_g / (1 + s_g (WLg + WRg)), Yg its
 * weighted sum): A_LL = WL - sum kappa WLg^2, A_RR = WR - sum kappa WRg^2,
 * A_LR = -sum kappa WLg WRg, b_L = YL - sum kappa WLg Yg, b_R likewise
 * (Sherman-Morrison on each run's block). */
static int best_split(struct seg_ctx *c, const double *y, size_t a, size_t b, size_t want,
                      struct split *best)
{
	const struct history_obs *ob = c->s->obs;
	for (size_t i = a; i < b; i++) {
		size_t g = ob[i].run;
		c->wl[g] = c->wr[g] = c->yg[g] = 0;
		c->kappa[g] = NAN; /* not yet computed for this segment */
	}
	double WL = 0, WR = 0, YL = 0, YR = 0;
	for (size_t i = a; i < b; i++) {
		size_t g = ob[i].run;
		c->wr[g] += c->w[i];
		c->yg[g] += c->w[i] * y[i];
		WR += c->w[i];
		YR += c->w[i] * y[i];
	}
	double PLL = 0, PRR = 0, PLR = 0, QL = 0, QR = 0;
	for (size_t i = a; i < b; i++) {
		size_t g = ob[i].run;
		if (!isnan(c->kappa[g]))
			continue; /* once per run */
		double k = c->s_run[g] / (1 + c->s_run[g] * c->wr[g]);
		c->kappa[g] = k;
		PRR += k * c->wr[g] * c->wr[g];
		QR += k * c->wr[g] * c->yg[g];
	}
	memset(best, 0, sizeof *best);
	for (size_t i = a; i + 1 < b; i++) {
		/* Move observation i to the left side. */
		size_t g = ob[i].run;
		double w = c->w[i], k = c->kappa[g], l0 = c->wl[g], r0 = c->wr[g];
		PLL += k * (2 * l0 * w + w * w);
		PRR += k * (w * w - 2 * r0 * w);
		PLR += k * (w * r0 - w * l0 - w * w);
		QL += k * w * c->yg[g];
		QR -= k * w * c->yg[g];
		c->wl[g] = l0 + w;
		c->wr[g] = r0 - w;
		WL += w, WR -= w;
		YL += w * y[i], YR -= w * y[i];
		if (ob[i + 1].rev == ob[i].rev)
			continue;
		best->k++;
		double all = WL - PLL, arr = WR - PRR, alr = -PLR, bl = YL - QL, br = YR - QR;
		double det = all * arr - alr * alr;
		double d = 0, var = 0;
		if (det > 0) {
			d = ((all * br - alr * bl) - (arr * bl - alr * br)) / det;
			var = (all + arr + 2 * alr) / det;
		}
		double sd = sqrt(var > 0 ? var : 0);
		double z = sd > 0 ? d / sd : 0;
		if (want != SIZE_MAX ? i + 1 == want : best->k == 1 || fabs(z) > fabs(best->z)) {
			best->at = i + 1;
			best->d = d;
			best->sd = sd;
			best->z = z;
		}
	}
	return best->k > 0;
}

/* Standard normals by Box-Muller, both of each pair used. */
static double normal(struct seg_ctx *c)
{
	if (c->have_spare) {
		c->have_spare = 0;
		return c->spare;
	}
	double u1 = ((double)(rng_next(&c->rng) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(rng_next(&c->rng) >> 11) + 0.5) / 9007199254740992.0;
	double r = sqrt(-2 * log(u1));
	c->spare = r * sin(6.283185307179586 * u2);
	c->have_spare = 1;
	return r * cos(6.283185307179586 * u2);
}

static int cmp_dbl_desc(const void *a, const void *b)
{
	return cmp_dbl(b, a);
}

/* The null distribution of the segment's largest |z|: series drawn from
 * the fitted model without a change (for absolute figures whole, their S
 * estimated again), segment [a, b) scanned the same way. Gives the p-value of the observed
 * |z| and the critical value at alpha. */
static void null_maxz(struct seg_ctx *c, size_t a, size_t b, double zobs, double *p, double *zcrit)
{
	double mz[HISTORY_NULL_SIMS];
	int ge = 0, k = 0;
	const struct history_series *s = c->s;
	const struct history_obs *ob = s->obs;
	/* Besag and Clifford's sequential p-value: stop once `enough` null
	 * series reach the observed |z|, as p is then above alpha whatever
	 * follows ((1 + enough) / (k + 1) > alpha for every k < 1000); only a
	 * split that may be significant costs all 999 series. */
	int enough = (int)floor(c->o->alpha * (HISTORY_NULL_SIMS + 1.0)) + 1;
	if (enough < 10)
		enough = 10;
	/* Only absolute figures estimate anything again (S, from the whole
	 * series); otherwise the segment alone is drawn, so a test costs
	 * O(segment) per null series and a segmentation O(n log n) per draw. */
	int whole = !s->anchor && s->nruns > 1;
	size_t lo = whole ? 0 : a, hi = whole ? s->nobs : b;
	for (; k < HISTORY_NULL_SIMS && ge < enough; k++) {
		for (size_t i = lo; i < hi; i++)
			c->gstar[ob[i].run] = NAN;
		for (size_t i = lo; i < hi; i++) {
			size_t g = ob[i].run;
			if (isnan(c->gstar[g]))
				c->gstar[g] = sqrt(c->a_run[g] + c->m.S) * normal(c);
			double own = c->v[i] - c->a_run[g];
			if (own < 0.25 * c->v[i])
				own = 0.25 * c->v[i];
			c->ystar[i] = c->gstar[g] + sqrt(own + c->m.t) * normal(c);
		}
		/* The run-shared S estimated again (absolute figures: the
		 * night-to-night drift, from a handful of replicates); t kept.
		 * Ratios to the anchor have S = 0: nothing to estimate. */
		if (whole) {
			struct model m;
			model_estimate(s, c->ystar, c->v, c->a_run, c->tmp, c->last, 0, &m);
			m.S = m.S < c->m.t ? 0 : m.S - c->m.t;
			m.t = c->m.t;
			model_weights(c, &m);
		}
		struct split sp;
		best_split(c, c->ystar, a, b, SIZE_MAX, &sp);
		mz[k] = fabs(sp.z);
		ge += mz[k] >= zobs;
	}
	model_weights(c, &c->m);
	*p = (1.0 + ge) / (k + 1.0);
	*zcrit = INFINITY;
	if (k < HISTORY_NULL_SIMS)
		return; /* stopped early: not significant, no interval needed */
	qsort(mz, HISTORY_NULL_SIMS, sizeof *mz, cmp_dbl_desc);
	size_t q = (size_t)floor(c->o->alpha * (HISTORY_NULL_SIMS + 1.0));
	*zcrit = mz[q > 0 ? q - 1 : 0];
}

static void segment(struct seg_ctx *c, size_t a, size_t b)
{
	struct split sp;
	if (b - a < 2 || !best_split(c, c->y, a, b, SIZE_MAX, &sp))
		return;
	double p, zc;
	null_maxz(c, a, b, fabs(sp.z), &p, &zc);
	if (p > c->o->alpha)
		return;
	c->out = util_xrealloc(c->out, (c->nout + 1) * sizeof *c->out);
	c->out_at = util_xrealloc(c->out_at, (c->nout + 1) * sizeof *c->out_at);
	c->out_zc = util_xrealloc(c->out_zc, (c->nout + 1) * sizeof *c->out_zc);
	c->out[c->nout] = (struct history_change){.before = c->s->obs[sp.at - 1].rev,
	                                          .after = c->s->obs[sp.at].rev, .p = p > 1 ? 1 : p};
	c->out_at[c->nout] = sp.at;
	c->out_zc[c->nout++] = zc;
	segment(c, a, sp.at);
	segment(c, sp.at, b);
}

/* Each change's size between the two segments it separates in the end
 * (the neighbouring changes, or the ends): binary segmentation found it
 * as the contrast of the segment it split, which holds other changes when
 * there are several. Its interval keeps its test's critical value; the
 * kind follows from the size (see the top of the file). */
static void sizes_refit(struct seg_ctx *c)
{
	size_t n = c->nout;
	size_t *order = util_xcalloc(n ? n : 1, sizeof *order);
	for (size_t i = 0; i < n; i++) {
		size_t k = i;
		while (k > 0 && c->out_at[order[k - 1]] > c->out_at[i]) /* insertion by place */
			order[k] = order[k - 1], k--;
		order[k] = i;
	}
	for (size_t j = 0; j < n; j++) {
		size_t i = order[j];
		size_t a = j > 0 ? c->out_at[order[j - 1]] : 0;
		size_t b = j + 1 < n ? c->out_at[order[j + 1]] : c->s->nobs;
		struct split sp;
		best_split(c, c->y, a, b, c->out_at[i], &sp);
		struct history_change *ch = &c->out[i];
		double zc = c->out_zc[i];
		ch->size_pct = 100 * expm1(sp.d);
		ch->lo_pct = 100 * expm1(sp.d - zc * sp.sd);
		ch->hi_pct = 100 * expm1(sp.d + zc * sp.sd);
		double m = c->o->min_pct;
		if (ch->size_pct >= m)
			ch->kind = HC_SLOWER;
		else if (ch->size_pct <= -m)
			ch->kind = HC_FASTER;
		else if (ch->size_pct > 0 && ch->hi_pct >= m)
			ch->kind = HC_UNDECIDED;
		else
			ch->kind = HC_SMALL;
	}
	free(order);
}

static int cmp_change(const void *a, const void *b)
{
	const struct history_change *x = a, *y = b;
	return (x->before > y->before) - (x->before < y->before);
}

/* Log figures, interval variances and each run's anchor share (the share
 * of the mean interval variance of its figures; 0 without an anchor). */
static void series_log(const struct history_series *s, double *y, double *v, double *a_run)
{
	double *cnt = util_xcalloc(s->nruns ? s->nruns : 1, sizeof *cnt);
	memset(a_run, 0, (s->nruns ? s->nruns : 1) * sizeof *a_run);
	for (size_t i = 0; i < s->nobs; i++) {
		obs_log(&s->obs[i], &y[i], &v[i]);
		a_run[s->obs[i].run] += v[i];
		cnt[s->obs[i].run]++;
	}
	for (size_t g = 0; g < s->nruns; g++)
		a_run[g] = s->anchor && cnt[g] > 0 ? HISTORY_ANCHOR_SHARE * a_run[g] / cnt[g] : 0;
	free(cnt);
}

double history_series_tau(const struct history_series *s, int *from)
{
	*from = 0;
	if (s->nobs < 2)
		return 0;
	size_t nr = s->nruns ? s->nruns : 1;
	double *y = util_xcalloc(s->nobs, sizeof *y), *v = util_xcalloc(s->nobs, sizeof *v);
	double *a_run = util_xcalloc(nr, sizeof *a_run), *tmp = util_xcalloc(s->nobs, sizeof *tmp);
	size_t *last = util_xcalloc(nr, sizeof *last);
	series_log(s, y, v, a_run);
	struct model m;
	model_estimate(s, y, v, a_run, tmp, last, 1, &m);
	free(last);
	*from = m.from;
	/* One run: each revision's figure is its own interval; the spread
	 * between its neighbours is only what the detection allows for. */
	if (m.from == 3) {
		*from = 0;
		m.S = m.t = 0;
	}
	free(y);
	free(v);
	free(a_run);
	free(tmp);
	return sqrt(m.S + m.t);
}

void history_detect(const struct history_series *s, const struct history_detect_opts *o,
                    struct history_detect_result *r)
{
	memset(r, 0, sizeof *r);
	if (s->nobs < 2)
		return;
	size_t n = s->nobs, nr = s->nruns ? s->nruns : 1;
	double *y = util_xcalloc(n, sizeof *y), *v = util_xcalloc(n, sizeof *v);
	double *a_run = util_xcalloc(nr, sizeof *a_run);
	series_log(s, y, v, a_run);
	struct seg_ctx c = {.s = s, .y = y, .v = v, .a_run = a_run, .o = o, .rng = 0x67766162};
	/* Seeded from the data: the same series gives the same answer. */
	for (size_t i = 0; i < n; i++)
		c.rng ^= (uint64_t)(y[i] * 1e9) * 0x9e3779b97f4a7c15ULL + i;
	c.w = util_xcalloc(n, sizeof *c.w);
	c.ystar = util_xcalloc(n, sizeof *c.ystar);
	c.tmp = util_xcalloc(n, sizeof *c.tmp);
	c.s_run = util_xcalloc(nr, sizeof *c.s_run);
	c.kappa = util_xcalloc(nr, sizeof *c.kappa);
	c.wl = util_xcalloc(nr, sizeof *c.wl);
	c.wr = util_xcalloc(nr, sizeof *c.wr);
	c.yg = util_xcalloc(nr, sizeof *c.yg);
	c.gstar = util_xcalloc(nr, sizeof *c.gstar);
	c.last = util_xcalloc(nr, sizeof *c.last);
	model_estimate(s, y, v, a_run, c.tmp, c.last, 1, &c.m);
	model_weights(&c, &c.m);
	segment(&c, 0, n);
	sizes_refit(&c);
	if (c.nout > 1)
		qsort(c.out, c.nout, sizeof *c.out, cmp_change);
	r->changes = c.out;
	r->nchanges = c.nout;
	r->tau = sqrt(c.m.S + c.m.t);
	r->tau_from = c.m.from;
	free(c.w);
	free(c.ystar);
	free(c.tmp);
	free(c.s_run);
	free(c.kappa);
	free(c.wl);
	free(c.wr);
	free(c.yg);
	free(c.gstar);
	free(c.last);
	free(c.out_at);
	free(c.out_zc);
	free(a_run);
	free(y);
	free(v);
}
void history_rev_estimates(const struct history_series *s, double tau, double *est, double *lo,
                           double *hi, int *nfig)
{
	double *W = util_xcalloc(s->nrevs ? s->nrevs : 1, sizeof *W);
	double *Y = util_xcalloc(s->nrevs ? s->nrevs : 1, sizeof *Y);
	memset(nfig, 0, s->nrevs * sizeof *nfig);
	for (size_t i = 0; i < s->nobs; i++) {
		double y, v;
		obs_log(&s->obs[i], &y, &v);
		double w = 1 / (v + tau * tau);
		W[s->obs[i].rev] += w;
		Y[s->obs[i].rev] += w * y;
		nfig[s->obs[i].rev]++;
	}
	for (size_t r = 0; r < s->nrevs; r++) {
		double m = W[r] > 0 ? Y[r] / W[r] : 0, sd = W[r] > 0 ? sqrt(1 / W[r]) : 0;
		est[r] = exp(m);
		lo[r] = exp(m - Z95 * sd);
		hi[r] = exp(m + Z95 * sd);
	}
	free(W);
	free(Y);
}

void history_bisect_command(const struct history_series *s, const struct history_change *c,
                            const char *metric, char *buf, size_t len)
{
	const struct history_rev *g = &s->revs[c->before], *b = &s->revs[c->after];
	int module = s->source_kind && strcmp(s->source_kind, "module") == 0;
	/* Module sources have no history: bisect needs the list of go-branch
	 * merges (docs/bisect.md), named go-merges.txt in its examples. */
	snprintf(buf, len, "gvab bisect%s --good %.12s --bad %.12s --metric %s%s%s",
	         module ? " --source module --revisions go-merges.txt" : "",
	         g->commit[0] ? g->commit : g->label, b->commit[0] ? b->commit : b->label, metric,
	         s->knob_args && s->knob_args[0] ? " " : "", s->knob_args ? s->knob_args : "");
}
