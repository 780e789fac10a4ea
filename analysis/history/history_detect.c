/* history_detect: change points of one host series (docs/history.md).
 *
 * Method: binary segmentation with a weighted z test whose variance knows
 * which figures were measured in the same run.
 * - Each observation is one run's figure for one revision, on the log
 *   scale: y = log(p50), or log(ratio to the anchor); its variance v from
 *   its own 95% interval, ((log hi - log lo) / (2 * 1.96))^2.
 * - Runs on other days differ by more than their intervals say: an extra
 *   variance tau^2, estimated from revisions measured in several runs
 *   (mean of ((y_a - y_b)^2 - v_a - v_b) / 2 over pairs from different
 *   runs); without such replicates, from neighbouring revisions of
 *   different runs (the same with a median, robust to the few steps among
 *   them); a series from one run needs none. For absolute figures it is a
 *   run effect every figure of the run shares (the host drifts); for ratios
 *   to the anchor, which take that out, it is each figure's own.
 * - A split between revisions k-1 and k compares the weighted means
 *   (weights 1 / (v + tau^2)) of the segment's two sides: D = mean_R -
 *   mean_L, Var(D) = sum c_i^2 (v_i + tau_own^2) + tau_run^2 sum_runs (sum
 *   of c_i of the run)^2 with c_i = w_i / W_R right of the split and
 *   -w_i / W_L left, so two revisions of one run differ by their own error
 *   only. z = D / sd(D).
 * - The best split of a segment (largest |z|) is tested against the
 *   largest |z| of 999 series drawn from the same model without a change
 *   (a parametric bootstrap from rig/core's RNG, seeded by the data, so a
 *   series always gets the same answer): p = (1 + #{null >= observed}) /
 *   1000. When p <= alpha both sides are segmented again. On a flat series
 *   the first test alone can alarm: at most alpha of the time when the
 *   model holds.
 * - Its size is exp(D) - 1 with the interval D +- z* sd, z* the null's
 *   1 - alpha quantile of the largest |z|, so the interval excludes 0 when
 *   the split is significant. A change is reported (slower or faster) when
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
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054
#define HISTORY_NULL_SIMS 999 /* null series per test: p-values in steps of 0.001 */

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

/* tau^2 and where it came from (see the top of the file). */
static double estimate_tau2(const struct history_series *s, const double *y, const double *v,
                            int *from)
{
	double sum = 0;
	size_t np = 0;
	for (size_t i = 0; i + 1 < s->nobs; i++)
		for (size_t j = i + 1; j < s->nobs && s->obs[j].rev == s->obs[i].rev; j++)
			if (s->obs[j].run != s->obs[i].run) {
				double d = y[j] - y[i];
				sum += (d * d - v[i] - v[j]) / 2;
				np++;
				break; /* consecutive pairs only: each figure in at most two */
			}
	if (np) {
		*from = 1;
		return sum > 0 ? sum / (double)np : 0;
	}
	double *t = util_xcalloc(s->nobs ? s->nobs : 1, sizeof *t);
	size_t nt = 0;
	for (size_t i = 0; i + 1 < s->nobs; i++)
		if (s->obs[i + 1].run != s->obs[i].run && s->obs[i + 1].rev != s->obs[i].rev) {
			double d = y[i + 1] - y[i];
			/* median of chi-square(1) is 0.4549 of its mean */
			t[nt++] = d * d / 0.454936 - v[i] - v[i + 1];
		}
	double tau2 = 0;
	*from = 0;
	if (nt) {
		qsort(t, nt, sizeof *t, cmp_dbl);
		double med = nt % 2 ? t[nt / 2] : (t[nt / 2 - 1] + t[nt / 2]) / 2;
		tau2 = med > 0 ? med / 2 : 0;
		*from = 2;
	}
	free(t);
	return tau2;
}

struct seg_ctx {
	const struct history_series *s;
	const double *y, *v;
	double tau2_sh, tau2_ind; /* run-shared and per-figure extra variance */
	double *ystar;            /* a null series (parametric bootstrap) */
	double *gstar;            /* its run effects */
	uint64_t rng;
	int ystar_on;
	double *sl, *sr; /* per run: sum of weights left / right of the split */
	const struct history_detect_opts *o;
	struct history_change *out;
	size_t nout;
};

struct split {
	size_t at;  /* first observation of the right side */
	double d, sd, z;
	size_t k;   /* candidate splits */
};

/* The best split of observations [a, b); 0 when there is no boundary. */
static int best_split(struct seg_ctx *c, size_t a, size_t b, struct split *best)
{
	const struct history_obs *ob = c->s->obs;
	double WL = 0, WR = 0, YL = 0, YR = 0, QL = 0, QR = 0;
	double ssl = 0, ssr = 0, slr = 0; /* sums over runs of sl^2, sr^2, sl*sr */
	for (size_t i = a; i < b; i++)
		c->sl[ob[i].run] = c->sr[ob[i].run] = 0;
	const double *y = c->ystar_on ? c->ystar : c->y;
	for (size_t i = a; i < b; i++) {
		double w = 1 / (c->v[i] + c->tau2_ind + c->tau2_sh);
		WR += w;
		YR += w * y[i];
		QR += w * w * (c->v[i] + c->tau2_ind);
		double old = c->sr[ob[i].run];
		c->sr[ob[i].run] = old + w;
		ssr += 2 * old * w + w * w;
	}
	memset(best, 0, sizeof *best);
	for (size_t i = a; i + 1 < b; i++) {
		/* Move observation i to the left side. */
		double w = 1 / (c->v[i] + c->tau2_ind + c->tau2_sh);
		size_t g = ob[i].run;
		double l0 = c->sl[g], r0 = c->sr[g];
		slr += w * r0 - w * l0 - w * w;
		ssl += 2 * l0 * w + w * w;
		ssr += -2 * r0 * w + w * w;
		c->sl[g] = l0 + w;
		c->sr[g] = r0 - w;
		WL += w, WR -= w;
		YL += w * y[i], YR -= w * y[i];
		QL += w * w * (c->v[i] + c->tau2_ind), QR -= w * w * (c->v[i] + c->tau2_ind);
		if (ob[i + 1].rev == ob[i].rev)
			continue;
		best->k++;
		double d = YR / WR - YL / WL;
		double var = QR / (WR * WR) + QL / (WL * WL) +
		             c->tau2_sh * (ssr / (WR * WR) + ssl / (WL * WL) - 2 * slr / (WR * WL));
		double sd = sqrt(var > 0 ? var : 0);
		double z = sd > 0 ? d / sd : 0;
		if (best->k == 1 || fabs(z) > fabs(best->z)) {
			best->at = i + 1;
			best->d = d;
			best->sd = sd;
			best->z = z;
		}
	}
	return best->k > 0;
}

static double normal(uint64_t *st)
{
	double u1 = ((double)(rng_next(st) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(rng_next(st) >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

static int cmp_dbl_desc(const void *a, const void *b)
{
	return cmp_dbl(b, a);
}

/* The null distribution of the segment's largest |z|: series drawn from
 * the model without a change (each figure's own error, the per-figure and
 * the run-shared extra variance), segmented the same way. Gives the
 * p-value of the observed |z| and the critical value at alpha. */
static void null_maxz(struct seg_ctx *c, size_t a, size_t b, double zobs, double *p, double *zcrit)
{
	double mz[HISTORY_NULL_SIMS];
	int ge = 0, k = 0;
	const struct history_obs *ob = c->s->obs;
	/* Besag and Clifford's sequential p-value: stop once `enough` null
	 * series reach the observed |z|, as p is then above alpha whatever
	 * follows ((1 + enough) / (k + 1) > alpha for every k < 1000); only a
	 * split that may be significant costs all 999 series. */
	int enough = (int)floor(c->o->alpha * (HISTORY_NULL_SIMS + 1.0)) + 1;
	if (enough < 10)
		enough = 10;
	c->ystar_on = 1;
	for (; k < HISTORY_NULL_SIMS && ge < enough; k++) {
		for (size_t i = a; i < b; i++)
			c->gstar[ob[i].run] = NAN;
		for (size_t i = a; i < b; i++) {
			if (isnan(c->gstar[ob[i].run]))
				c->gstar[ob[i].run] = sqrt(c->tau2_sh) * normal(&c->rng);
			c->ystar[i] = c->gstar[ob[i].run] + sqrt(c->v[i] + c->tau2_ind) * normal(&c->rng);
		}
		struct split sp;
		best_split(c, a, b, &sp);
		mz[k] = fabs(sp.z);
		ge += mz[k] >= zobs;
	}
	c->ystar_on = 0;
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
	if (b - a < 2 || !best_split(c, a, b, &sp))
		return;
	double p, zc;
	null_maxz(c, a, b, fabs(sp.z), &p, &zc);
	if (p > c->o->alpha)
		return;
	struct history_change ch = {
		.before = c->s->obs[sp.at - 1].rev, .after = c->s->obs[sp.at].rev,
		.size_pct = 100 * expm1(sp.d), .lo_pct = 100 * expm1(sp.d - zc * sp.sd),
		.hi_pct = 100 * expm1(sp.d + zc * sp.sd), .p = p > 1 ? 1 : p};
	double m = c->o->min_pct;
	if (ch.size_pct >= m)
		ch.kind = HC_SLOWER;
	else if (ch.size_pct <= -m)
		ch.kind = HC_FASTER;
	else if (ch.size_pct > 0 && ch.hi_pct >= m)
		ch.kind = HC_UNDECIDED;
	else
		ch.kind = HC_SMALL;
	c->out = util_xrealloc(c->out, (c->nout + 1) * sizeof *c->out);
	c->out[c->nout++] = ch;
	segment(c, a, sp.at);
	segment(c, sp.at, b);
}

static int cmp_change(const void *a, const void *b)
{
	const struct history_change *x = a, *y = b;
	return (x->before > y->before) - (x->before < y->before);
}

double history_series_tau(const struct history_series *s, int *from)
{
	*from = 0;
	if (s->nobs < 2 || s->nruns < 2)
		return 0;
	double *y = util_xcalloc(s->nobs, sizeof *y), *v = util_xcalloc(s->nobs, sizeof *v);
	for (size_t i = 0; i < s->nobs; i++)
		obs_log(&s->obs[i], &y[i], &v[i]);
	double tau2 = estimate_tau2(s, y, v, from);
	free(y);
	free(v);
	return sqrt(tau2);
}

void history_detect(const struct history_series *s, const struct history_detect_opts *o,
                    struct history_detect_result *r)
{
	memset(r, 0, sizeof *r);
	if (s->nobs < 2)
		return;
	double *y = util_xcalloc(s->nobs, sizeof *y), *v = util_xcalloc(s->nobs, sizeof *v);
	for (size_t i = 0; i < s->nobs; i++)
		obs_log(&s->obs[i], &y[i], &v[i]);
	/* Seeded from the data: the same series gives the same answer. */
	struct seg_ctx c = {.s = s, .y = y, .v = v, .o = o, .rng = 0x67766162};
	for (size_t i = 0; i < s->nobs; i++)
		c.rng ^= (uint64_t)(y[i] * 1e9) * 0x9e3779b97f4a7c15ULL + i;
	double tau2 = s->nruns > 1 ? estimate_tau2(s, y, v, &r->tau_from) : 0;
	/* Absolute figures drift with the host, which every figure of a run
	 * shares; ratios to the anchor have that taken out, and what varies
	 * from run to run is each arm's own. */
	if (s->anchor)
		c.tau2_ind = tau2;
	else
		c.tau2_sh = tau2;
	c.sl = util_xcalloc(s->nruns ? s->nruns : 1, sizeof *c.sl);
	c.sr = util_xcalloc(s->nruns ? s->nruns : 1, sizeof *c.sr);
	c.ystar = util_xcalloc(s->nobs, sizeof *c.ystar);
	c.gstar = util_xcalloc(s->nruns ? s->nruns : 1, sizeof *c.gstar);
	segment(&c, 0, s->nobs);
	free(c.ystar);
	free(c.gstar);
	if (c.nout > 1)
		qsort(c.out, c.nout, sizeof *c.out, cmp_change);
	r->changes = c.out;
	r->nchanges = c.nout;
	r->tau = sqrt(tau2);
	free(c.sl);
	free(c.sr);
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
