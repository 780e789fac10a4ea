/* analysis: see analysis.h. */
#define _GNU_SOURCE
#include "analysis.h"
#include "error.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *analysis_verdict_name(enum verdict v)
{
	return verdict_name(v);
}

int analysis_phase_index(const char *name)
{
	for (int p = 0; p < PH_METRICS; p++)
		if (strcmp(sample_phase_names[p], name) == 0)
			return p;
	return -1;
}

int analysis_load(const char *dir, struct run_analysis *ra)
{
	memset(ra, 0, sizeof *ra);
	ra->dir = util_xstrdup(dir);
	char *rp = util_fmt("%s/run.json", dir);
	char *sp = util_fmt("%s/samples.jsonl", dir);
	int rc = GVAB_EDATA;
	char **order = NULL;
	size_t norder = 0;
	/* Through the run directory's validating reader: every field any
	 * analysis reads is checked there (file, line, field; exit 65). */
	ra->run = samples_run_load(rp);
	if (!ra->run) {
		error_wrap(GVAB_EDATA, "run directory %s", dir);
		goto out;
	}
	const cJSON *arms = cJSON_GetObjectItemCaseSensitive(ra->run, "arms");
	const cJSON *a;
	cJSON_ArrayForEach(a, arms) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(a, "name");
		if (cJSON_IsString(n)) {
			order = util_xrealloc(order, (norder + 1) * sizeof *order);
			order[norder++] = n->valuestring;
		}
	}
	if (norder < 2) {
		rc = error_setc(GVAB_EDATA, "%s: fewer than two arms", rp);
		goto out;
	}
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(ra->run, "host");
	const cJSON *label = cJSON_GetObjectItemCaseSensitive(ra->run, "host_label");
	const cJSON *hn = host ? cJSON_GetObjectItemCaseSensitive(host, "hostname") : NULL;
	snprintf(ra->label, sizeof ra->label, "%s",
	         cJSON_IsString(label) ? label->valuestring
	         : cJSON_IsString(hn)  ? hn->valuestring : "host");
	if ((rc = samples_load(sp, order, norder, &ra->sf)) < 0)
		goto out;
	analysis_index_samples(ra);
	rc = 0;
out:
	free(order);
	free(rp);
	free(sp);
	if (rc < 0) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", error_last());
		analysis_free(ra);
		error_setc(rc, "%s", msg);
	}
	return rc;
}

static double lag1_autocorr(const double *x, size_t n);

/* Least-squares slope of log(ms) on seq for one arm and phase, as % per
 * 100 boots; 0 when fewer than 3 boots or a time is not positive. */
static double trend_pct(const struct run_analysis *ra, int arm, int phase)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
	for (size_t k = 0; k < ra->sf.n; k++) {
		const struct sample *s = &ra->sf.s[k];
		if (s->arm != arm || s->warmup || s->kind || !s->ok)
			continue;
		if (s->ns[phase] <= 0)
			return 0;
		double x = (double)s->seq, y = log((double)s->ns[phase]);
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		n++;
	}
	double den = n * sxx - sx * sx;
	if (n < 3 || den <= 0)
		return 0;
	return 100 * expm1(100 * (n * sxy - sx * sy) / den);
}

void analysis_index_samples(struct run_analysis *ra)
{
	ra->narms = ra->sf.narms;
	ra->arms = util_xcalloc(ra->narms, sizeof *ra->arms);
	for (size_t i = 0; i < ra->narms; i++) {
		struct arm_stats *as = &ra->arms[i];
		as->name = ra->sf.arms[i];
		for (int p = 0; p < PH_METRICS; p++)
			as->vals[p] = util_xcalloc(ra->sf.n + 1, sizeof(double));
		as->exec_vals = util_xcalloc(ra->sf.n + 1, sizeof(double));
	}
	for (size_t k = 0; k < ra->sf.n; k++) {
		const struct sample *s = &ra->sf.s[k];
		struct arm_stats *as = &ra->arms[s->arm];
		if (s->kind) {
			if (s->warmup)
				continue;
			if (s->ok)
				as->exec_vals[as->n_exec++] = (double)s->exec_ns / 1e6;
			else
				as->n_exec_fail++;
			continue;
		}
		if (s->warmup) {
			as->n_warmup++;
			continue;
		}
		if (!s->ok) {
			as->n_fail++;
			continue;
		}
		for (int p = 0; p < PH_METRICS; p++)
			as->vals[p][as->n_ok] = (double)s->ns[p] / 1e6;
		as->n_no_cpu += s->ns[PH_CPU] < 0;
		as->n_ok++;
	}
	for (size_t i = 0; i < ra->narms; i++) {
		for (int p = 0; p < PH_METRICS; p++) {
			stats_summarize(ra->arms[i].vals[p], ra->arms[i].n_ok, &ra->arms[i].ph[p]);
			ra->arms[i].lag1[p] = lag1_autocorr(ra->arms[i].vals[p], ra->arms[i].n_ok);
			ra->arms[i].trend_pct_per_100[p] = trend_pct(ra, (int)i, p);
		}
		stats_summarize(ra->arms[i].exec_vals, ra->arms[i].n_exec, &ra->arms[i].exec);
	}
}

void analysis_free(struct run_analysis *ra)
{
	for (size_t i = 0; i < ra->narms; i++) {
		for (int p = 0; p < PH_METRICS; p++)
			free(ra->arms[i].vals[p]);
		free(ra->arms[i].exec_vals);
	}
	free(ra->arms);
	free(ra->cmp);
	samples_free(&ra->sf);
	cJSON_Delete(ra->run);
	free(ra->dir);
	memset(ra, 0, sizeof *ra);
}

/* Per-round differences B - A of one phase (rounds where both are ok), in
 * ms, or of log times (log(B / A)) when `log_ratio` and every time is
 * positive; *log_ok says which it gave. */
static size_t paired_diffs_scale(const struct run_analysis *ra, int a, int b, int phase,
                                 int log_ratio, double **out, int *log_ok)
{
	int maxr = -1;
	for (size_t k = 0; k < ra->sf.n; k++)
		if (!ra->sf.s[k].warmup && !ra->sf.s[k].kind && ra->sf.s[k].round > maxr)
			maxr = ra->sf.s[k].round;
	size_t nr = (size_t)(maxr + 1);
	double *va = util_xmalloc((nr ? nr : 1) * sizeof *va), *vb = util_xmalloc((nr ? nr : 1) * sizeof *vb);
	for (size_t r = 0; r < nr; r++)
		va[r] = vb[r] = NAN;
	for (size_t k = 0; k < ra->sf.n; k++) {
		const struct sample *s = &ra->sf.s[k];
		if (s->warmup || s->kind || !s->ok || s->round < 0)
			continue;
		if (s->arm == a)
			va[s->round] = (double)s->ns[phase] / 1e6;
		else if (s->arm == b)
			vb[s->round] = (double)s->ns[phase] / 1e6;
	}
	double *d = util_xmalloc((nr ? nr : 1) * sizeof *d);
	size_t n = 0;
	int lg = log_ratio;
	for (size_t r = 0; r < nr; r++)
		if (!isnan(va[r]) && !isnan(vb[r]) && (va[r] <= 0 || vb[r] <= 0))
			lg = 0;
	for (size_t r = 0; r < nr; r++)
		if (!isnan(va[r]) && !isnan(vb[r]))
			d[n++] = lg ? log(vb[r]) - log(va[r]) : vb[r] - va[r];
	free(va);
	free(vb);
	*out = d;
	if (log_ok)
		*log_ok = lg;
	return n;
}

static size_t paired_diffs(const struct run_analysis *ra, int a, int b, int phase, double **out)
{
	return paired_diffs_scale(ra, a, b, phase, 0, out, NULL);
}

/* Log of every value, or NULL when one is not positive. Caller frees. */
static double *log_copy(const double *x, size_t n)
{
	double *l = util_xmalloc((n ? n : 1) * sizeof *l);
	for (size_t i = 0; i < n; i++) {
		if (!(x[i] > 0)) {
			free(l);
			return NULL;
		}
		l[i] = log(x[i]);
	}
	return l;
}

/* Carry-over: walks the measured ok boots of arms a and b in time order
 * and takes B - A of every two adjacent boots of one round, grouped by
 * which went first. Under ABBA half the rounds have each order, so a
 * first-in-round effect shows as a difference between the groups and
 * cancels in the estimate. Under --order alternate A is first in every
 * round: the effect cannot be measured (no B-first group) and is in every
 * pair. */
static void carry_over(const struct run_analysis *ra, struct comparison *c)
{
	size_t n = ra->sf.n;
	double *af = util_xmalloc((n ? n : 1) * sizeof *af), *bf = util_xmalloc((n ? n : 1) * sizeof *bf);
	size_t naf = 0, nbf = 0;
	const struct sample *prev = NULL;
	for (size_t k = 0; k < n; k++) {
		const struct sample *s = &ra->sf.s[k];
		if (s->warmup || s->kind || !s->ok || (s->arm != c->a && s->arm != c->b))
			continue;
		if (prev && prev->arm != s->arm && prev->round == s->round) {
			double v = (double)s->ns[c->phase] / 1e6, pv = (double)prev->ns[c->phase] / 1e6;
			if (prev->arm == c->a)
				af[naf++] = v - pv;
			else
				bf[nbf++] = pv - v;
		}
		prev = s;
	}
	c->co_n_afirst = naf;
	c->co_n_bfirst = nbf;
	c->co_afirst_ms = stats_median(af, naf);
	c->co_bfirst_ms = stats_median(bf, nbf);
	c->co_p = stats_mann_whitney(af, naf, bf, nbf, NULL);
	free(af);
	free(bf);
}

static double sd_of(const double *x, size_t n)
{
	struct stats_summary s;
	stats_summarize(x, n, &s);
	return s.stdev;
}

/* Lag-1 autocorrelation of x in its order (0 for fewer than 3 values). */
static double lag1_autocorr(const double *x, size_t n)
{
	if (n < 3)
		return 0;
	double m = 0, num = 0, den = 0;
	for (size_t i = 0; i < n; i++)
		m += x[i] / (double)n;
	for (size_t i = 0; i < n; i++) {
		den += (x[i] - m) * (x[i] - m);
		if (i + 1 < n)
			num += (x[i] - m) * (x[i + 1] - m);
	}
	return den > 0 ? num / den : 0;
}

/* Log ratios (or ms) as they are, or turned into ms of A's median. */
static void to_ms(const struct comparison *c, int lg, double *e, double *lo, double *hi)
{
	if (lg && c->med_a > 0) {
		*e = c->med_a * expm1(*e);
		*lo = c->med_a * expm1(*lo);
		*hi = c->med_a * expm1(*hi);
	}
}

/* The paired shift (Hodges-Lehmann of the same-round log ratios) and its
 * interval at one-sided error `tail`, in ms; sets c->lag1. */
static void paired_shift(const struct run_analysis *ra, struct comparison *c, double tail,
                         double *e, double *lo, double *hi, int *lg)
{
	double *d;
	size_t n = paired_diffs_scale(ra, c->a, c->b, c->phase, 1, &d, lg);
	/* Rounds are not independent on a real host (lag-1 autocorrelation of
	 * boot times up to +0.45 makes neighbouring round differences
	 * correlate), which the rank interval assumes. The interval is widened
	 * through its level by the square root of the variance factor of an
	 * AR(1) with the differences' lag-1 autocorrelation, bias-corrected
	 * (stats_ar1_variance_factor). tests/bench/gate_sim section 6 measures
	 * coverage and errors under drift with it. */
	c->lag1 = lag1_autocorr(d, n);
	c->dep_factor = stats_ar1_variance_factor(c->lag1, n);
	double t = tail;
	if (c->dep_factor > 1)
		t = stats_norm_cdf(stats_norm_quantile(tail) * sqrt(c->dep_factor));
	stats_walsh_ci(d, n, t, e, lo, hi);
	free(d);
	to_ms(c, *lg, e, lo, hi);
}

/* The shift's interval at one-sided error `tail`: paired when the
 * comparison uses pairs, else the unpaired (Moses) one; in ms. */
static void interval_at(const struct run_analysis *ra, struct comparison *c, double tail,
                        double *e, double *lo, double *hi, int *lg)
{
	if (c->used_paired) {
		paired_shift(ra, c, tail, e, lo, hi, lg);
		return;
	}
	const struct arm_stats *A = &ra->arms[c->a], *B = &ra->arms[c->b];
	double *la = log_copy(A->vals[c->phase], A->n_ok), *lb = log_copy(B->vals[c->phase], B->n_ok);
	*lg = la && lb;
	if (*lg)
		stats_shift_ci(la, A->n_ok, lb, B->n_ok, tail, e, lo, hi);
	else
		stats_shift_ci(A->vals[c->phase], A->n_ok, B->vals[c->phase], B->n_ok, tail, e, lo, hi);
	free(la);
	free(lb);
	to_ms(c, *lg, e, lo, hi);
}

/* Mixed into the resampling seeds so that runs sharing a report do not
 * share bootstrap streams: FNV-1a of run.json's started_at (the run's own
 * content, so the same files give the same figures wherever they lie). */
static uint64_t run_seed(const struct run_analysis *ra)
{
	const cJSON *t = ra->run ? cJSON_GetObjectItemCaseSensitive(ra->run, "started_at") : NULL;
	uint64_t h = 0;
	if (cJSON_IsString(t)) {
		h = 0xcbf29ce484222325ULL;
		for (const char *c = t->valuestring; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
	}
	return h;
}

void analysis_compare(struct run_analysis *ra, const struct analysis_opts *o)
{
	free(ra->cmp);
	ra->cmp = util_xcalloc(ra->narms * PH_METRICS, sizeof *ra->cmp);
	ra->ncmp = 0;
	int a = o->baseline;
	double lvl = o->ci_level > 0 ? o->ci_level : 0.95;
	unsigned mask = o->phase_mask ? o->phase_mask : (1u << PH_COUNT) - 1;
	for (size_t b = 0; b < ra->narms; b++) {
		if ((int)b == a)
			continue;
		for (int p = 0; p < PH_METRICS; p++) {
			if (!(mask & (1u << p)))
				continue;
			struct comparison *c = &ra->cmp[ra->ncmp++];
			const struct arm_stats *A = &ra->arms[a], *B = &ra->arms[b];
			/* Distinct, reproducible streams per comparison. */
			uint64_t seed = o->seed ^ run_seed(ra) ^ ((uint64_t)(b + 1) << 32) ^ (uint64_t)(p + 1);
			c->a = a;
			c->b = (int)b;
			c->phase = p;
			c->med_a = A->ph[p].median;
			c->med_b = B->ph[p].median;
			c->delta_ms = c->med_b - c->med_a;
			c->delta_pct = c->med_a > 0 ? 100.0 * c->delta_ms / c->med_a : 0;
			c->thr_ms = c->med_a * o->threshold_pct / 100.0;
			if (o->reps > 1) {
				stats_bootstrap_ci(A->vals[p], A->n_ok, B->vals[p], B->n_ok, stats_diff_median,
				                   o->reps, lvl, seed, &c->ci_lo, &c->ci_hi);
				stats_bootstrap_ci(A->vals[p], A->n_ok, B->vals[p], B->n_ok, stats_diff_p95,
				                   o->reps, lvl, seed ^ 0x5555, &c->p95_lo, &c->p95_hi);
			}
			c->p_mw = stats_mann_whitney(A->vals[p], A->n_ok, B->vals[p], B->n_ok, NULL);
			c->hl_ms = stats_hodges_lehmann(A->vals[p], A->n_ok, B->vals[p], B->n_ok);
			c->p95_delta = B->ph[p].p95 - A->ph[p].p95;
			double *d;
			c->npairs = paired_diffs(ra, a, (int)b, p, &d);
			c->pmed_ms = stats_median(d, c->npairs);
			/* Order-statistic interval: the percentile bootstrap of a median
			 * under-covers at n = 10-20 (97.5% for nominal 99% at n = 10). */
			stats_median_ci(d, c->npairs, (1 - lvl) / 2, &c->pmed_lo, &c->pmed_hi);
			c->pair_sd_ms = sd_of(d, c->npairs);
			free(d);
			/* The paired figure reports show: the shift the Wilcoxon test
			 * tests, with its interval at the report's level. */
			int lg;
			paired_shift(ra, c, (1 - lvl) / 2, &c->paired_ms, &c->paired_lo, &c->paired_hi, &lg);
			/* The signed-rank test on log ratios, to match the shift's
			 * interval (Mann-Whitney needs nothing: ranks do not change). */
			int lg_ok;
			paired_diffs_scale(ra, a, (int)b, p, 1, &d, &lg_ok);
			c->pair_log_sd = lg_ok && c->npairs >= 2 ? sd_of(d, c->npairs) : NAN;
			/* With the same dependence factor as the interval, so the p
			 * printed beside it agrees with the verdict's rule. */
			c->p_wx = stats_wilcoxon_scaled(d, c->npairs, c->dep_factor);
			free(d);
			c->p_mw_adj = c->p_mw;
			c->p_wx_adj = c->p_wx;
			c->used_paired = c->npairs >= 10;
			carry_over(ra, c);
		}
	}
}

/* The verdict intervals (see analysis.h): at one-sided error `tail` for
 * the threshold decisions, and at tail / 2 for "faster"/"slower", a
 * two-sided claim. On log times, turned into ms of A's median, so that
 * the threshold is a fixed ratio and a multiplicative change shifts a
 * symmetric distribution. */
static void shift_interval(const struct run_analysis *ra, struct comparison *c, double tail)
{
	double e;
	c->shift_tail = tail;
	interval_at(ra, c, tail / 2, &e, &c->sig_lo, &c->sig_hi, &c->shift_log);
	interval_at(ra, c, tail, &c->shift_ms, &c->shift_lo, &c->shift_hi, &c->shift_log);
}

static void set_verdict(struct comparison *c, const struct analysis_opts *o)
{
	struct verdict_in in = {.lo = c->shift_lo, .hi = c->shift_hi,
	                        .sig_lo = c->sig_lo, .sig_hi = c->sig_hi,
	                        .p_adj = c->used_paired ? c->p_wx_adj : c->p_mw_adj,
	                        .alpha = o->alpha, .thr_ms = c->thr_ms};
	c->verdict = verdict_report(&in);
	c->gate = verdict_gate(&in);
}

/* Holm over the comparisons of one run whose family is f. */
static void adjust_family(struct run_analysis *ra, enum analysis_family f)
{
	size_t m = 0;
	for (size_t k = 0; k < ra->ncmp; k++)
		m += ra->cmp[k].family == f;
	if (m == 0)
		return;
	double *pm = util_xcalloc(m, sizeof *pm), *pw = util_xcalloc(m, sizeof *pw);
	double *am = util_xcalloc(m, sizeof *am), *aw = util_xcalloc(m, sizeof *aw);
	size_t i = 0;
	for (size_t k = 0; k < ra->ncmp; k++)
		if (ra->cmp[k].family == f) {
			pm[i] = ra->cmp[k].p_mw;
			pw[i] = ra->cmp[k].p_wx;
			i++;
		}
	stats_holm(pm, m, am);
	stats_holm(pw, m, aw);
	i = 0;
	for (size_t k = 0; k < ra->ncmp; k++)
		if (ra->cmp[k].family == f) {
			ra->cmp[k].p_mw_adj = am[i];
			ra->cmp[k].p_wx_adj = aw[i];
			ra->cmp[k].family_size = m;
			i++;
		}
	free(pm);
	free(pw);
	free(am);
	free(aw);
}

void analysis_adjust(struct run_analysis *runs, size_t nruns, const struct analysis_opts *o,
                     unsigned phase_mask)
{
	double ia = o->interval_alpha > 0 ? o->interval_alpha : o->alpha;
	for (size_t r = 0; r < nruns; r++) {
		struct run_analysis *ra = &runs[r];
		for (size_t k = 0; k < ra->ncmp; k++) {
			struct comparison *c = &ra->cmp[k];
			c->family = !(phase_mask & (1u << c->phase)) ? FAMILY_NONE
			            : c->phase == PH_CORE            ? FAMILY_PRIMARY
			                                             : FAMILY_SECONDARY;
			c->family_size = 1;
			c->p_mw_adj = c->p_mw;
			c->p_wx_adj = c->p_wx;
		}
		adjust_family(ra, FAMILY_PRIMARY);
		adjust_family(ra, FAMILY_SECONDARY);
		for (size_t k = 0; k < ra->ncmp; k++) {
			struct comparison *c = &ra->cmp[k];
			shift_interval(ra, c, ia / (double)c->family_size);
			set_verdict(c, o);
		}
	}
}

int analysis_chunk_drift(const struct run_analysis *ra, char *why, size_t whysz)
{
	static const char *const facts[] = {"boot_id", "kernel", "cpu_model", "online_cpus",
	                                    "clocksource", "knobs", NULL};
	const cJSON *chunks = cJSON_GetObjectItemCaseSensitive(ra->run, "chunks");
	const cJSON *first = NULL, *c;
	int i = 0;
	cJSON_ArrayForEach(c, chunks) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(c, "host");
		if (!cJSON_IsObject(h)) {
			i++;
			continue;
		}
		if (!first) {
			first = h;
			i++;
			continue;
		}
		for (int f = 0; facts[f]; f++) {
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(first, facts[f]);
			const cJSON *b = cJSON_GetObjectItemCaseSensitive(h, facts[f]);
			if ((a || b) && !(a && b && cJSON_Compare(a, b, 1))) {
				snprintf(why, whysz, "host fact %s of chunk %d differs from the first chunk's",
				         facts[f], i + 1);
				return 1;
			}
		}
		i++;
	}
	return 0;
}

size_t analysis_instr_values(const struct run_analysis *ra, size_t arm, const char *member,
                             const char *const *fields, double **out)
{
	size_t n = 0;
	*out = util_xcalloc(ra->sf.n ? ra->sf.n : 1, sizeof **out);
	for (size_t i = 0; i < ra->sf.n; i++) {
		const struct sample *s = &ra->sf.s[i];
		if ((size_t)s->arm != arm || !s->ok || s->warmup || s->kind || !s->instr)
			continue;
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(s->instr, member);
		double sum = 0;
		int ok = o != NULL;
		for (size_t k = 0; ok && fields[k]; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, fields[k]);
			ok = cJSON_IsNumber(v) && v->valuedouble >= 0;
			if (ok)
				sum += v->valuedouble;
		}
		if (ok)
			(*out)[n++] = sum;
	}
	return n;
}

int analysis_open_reason(const struct comparison *c, size_t n, char *buf, size_t len)
{
	/* The signed-rank interval exists at one-sided error t only when all
	 * n differences on one side (probability 2^-n) is within t; n < 60
	 * keeps ldexp away from denormals (2^-60 is below any level used). */
	int level_reachable = n >= 60 || ldexp(1, -(int)n) <= c->shift_tail * (1 + 1e-12);
	if (n < ANALYSIS_MIN_BOOTS || !c->used_paired || !(c->dep_factor > 1) || !level_reachable) {
		snprintf(buf, len, "too few boots (n=%zu)", n);
		return 1;
	}
	snprintf(buf, len, "interval open at this noise (n=%zu)", n);
	return 0;
}
