/* gate: see gate.h. */
#define _GNU_SOURCE
#include "gate.h"
#include "answer.h"
#include "error.h"
#include "util.h"
#include "verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

int gate_write_junit(const char *path, const char *name, const char *verdict, const char *line,
                       int code)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return error_set("%s: cannot write", path);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuite name=\"gvab-gate\" tests=\"1\" failures=\"%d\" errors=\"%d\">\n",
	        code == GATE_FAIL || code == GATE_UNDECIDED, code == GATE_INVALID);
	fprintf(f, "  <testcase classname=\"gvab.gate\" name=\"");
	xml_escape(f, name);
	fprintf(f, "\">\n");
	if (code != GATE_PASS) {
		fprintf(f, "    <%s message=\"", code == GATE_INVALID ? "error" : "failure");
		xml_escape(f, verdict);
		fprintf(f, "\">");
		xml_escape(f, line);
		fprintf(f, "</%s>\n", code == GATE_INVALID ? "error" : "failure");
	} else {
		fprintf(f, "    <system-out>");
		xml_escape(f, line);
		fprintf(f, "</system-out>\n");
	}
	fprintf(f, "  </testcase>\n</testsuite>\n");
	return fclose(f) == 0 ? 0 : error_set("%s: write failed", path);
}

/* The order the run recorded ("abba", "alternate", "random"). */
static const char *run_order(const struct run_analysis *ra)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(ra->run, "order");
	return cJSON_IsString(o) ? o->valuestring : "?";
}

/* Carry-over diagnostic of one comparison: one line, and a warning when
 * the order leaves it on the estimate. The committed rcu0 run (ABBA) had
 * B - A of -44.4 ms with stock first and -32.9 ms with patched first. */
static void gate_print_carry_over(const struct run_analysis *ra, const struct comparison *cp)
{
	const char *an = ra->arms[cp->a].name, *bn = ra->arms[cp->b].name;
	if (cp->co_n_afirst == 0 && cp->co_n_bfirst == 0)
		return; /* no two boots of a round next to each other */
	if (cp->co_n_afirst == 0 || cp->co_n_bfirst == 0) {
		printf("gate: warning: %s boots first in every round (order %s), so a first-in-round "
		       "effect (carry-over) is in every pair and cannot be measured; use --order abba\n",
		       cp->co_n_afirst ? an : bn, run_order(ra));
		return;
	}
	printf("gate: carry-over %s vs %s: B - A %+.2f ms when %s boots first (%zu rounds), %+.2f ms "
	       "when %s does (%zu), p=%.3g (Mann-Whitney), order %s\n",
	       bn, an, cp->co_afirst_ms, an, cp->co_n_afirst, cp->co_bfirst_ms, bn, cp->co_n_bfirst,
	       cp->co_p, run_order(ra));
	size_t hi = cp->co_n_afirst > cp->co_n_bfirst ? cp->co_n_afirst : cp->co_n_bfirst;
	size_t lo = cp->co_n_afirst + cp->co_n_bfirst - hi;
	if (cp->co_p <= 0.05 && hi > lo + lo / 5 + 1)
		printf("gate: warning: significant carry-over and unbalanced orders (%zu vs %zu rounds): "
		       "the shift carries part of it; use --order abba\n", cp->co_n_afirst,
		       cp->co_n_bfirst);
}

/* Sample-size planning for an undecided comparison: an interval's half
 * width shrinks about as 1 / sqrt(pairs), so if the shift stayed where it
 * is, the side that would decide (upper bound below the threshold for a
 * PASS, lower bound above it for a FAIL) gets there at about
 * n * (half width / distance to the threshold)^2 pairs. A rough guide at
 * this look's level, not a promise: the shift moves as pairs come in. */
static void gate_print_plan(const struct comparison *cp, size_t n_unpaired)
{
	double n = (double)(cp->used_paired ? cp->npairs : n_unpaired ? n_unpaired : 1);
	double gap = cp->thr_ms - cp->shift_ms, half = gap > 0 ? cp->shift_hi - cp->shift_ms
	                                                       : cp->shift_ms - cp->shift_lo;
	if (!isfinite(half) || fabs(gap) < 1e-9 * (cp->thr_ms > 0 ? cp->thr_ms : 1)) {
		printf("gate: plan: the shift sits on the threshold; more pairs alone may not decide\n");
		return;
	}
	double need = n * (half / fabs(gap)) * (half / fabs(gap));
	if (need > 100000)
		printf("gate: plan: if the shift stays at %+.2f ms, more than 100000 pairs would be needed "
		       "to %s\n", cp->shift_ms, gap > 0 ? "PASS" : "FAIL");
	else
		printf("gate: plan: if the shift stays at %+.2f ms, about %.0f %s in all (%.0f more) "
		       "would %s\n", cp->shift_ms, ceil(need), cp->used_paired ? "pairs" : "boots per arm",
		       ceil(need) - n > 0 ? ceil(need) - n : 0,
		       gap > 0 ? "PASS" : "FAIL");
}

/* Every arm the gate compares has --min-samples ok measured boots and
 * at most --max-fail-rate failures. Blames the arm that lacks most (the
 * fewest ok boots, the highest failure rate), naming the others that lack
 * too; -1 with the INVALID line in `line`. */
static int gate_check_samples(const struct run_analysis *ra, int a, int only_b,
                              const struct gate_params *gp, char *line, size_t linesz)
{
	int worst_n = -1, worst_rate = -1;
	double worst_r = -1;
	for (size_t i = 0; i < ra->narms; i++) {
		const struct arm_stats *as = &ra->arms[i];
		if ((int)i != a && only_b >= 0 && (int)i != only_b)
			continue;
		size_t tried = as->n_fail + as->n_ok;
		double rate = (double)as->n_fail / (double)(tried ? tried : 1);
		if ((long)as->n_ok < gp->min_samples &&
		    (worst_n < 0 || as->n_ok < ra->arms[worst_n].n_ok))
			worst_n = (int)i;
		if (rate > gp->max_fail_rate && rate > worst_r) {
			worst_r = rate;
			worst_rate = (int)i;
		}
	}
	if (worst_n >= 0) {
		const struct arm_stats *as = &ra->arms[worst_n];
		size_t l = (size_t)snprintf(line, linesz, "gate: INVALID: arm %s has %zu ok measured "
		                            "boots, fewer than --min-samples %ld", as->name, as->n_ok,
		                            gp->min_samples);
		for (size_t i = 0; i < ra->narms && l < linesz; i++) {
			if ((int)i == worst_n || ((int)i != a && only_b >= 0 && (int)i != only_b) ||
			    (long)ra->arms[i].n_ok >= gp->min_samples)
				continue;
			l += (size_t)snprintf(line + l, linesz - l, "; arm %s has %zu", ra->arms[i].name,
			                      ra->arms[i].n_ok);
		}
		return -1;
	}
	if (worst_rate >= 0) {
		const struct arm_stats *as = &ra->arms[worst_rate];
		snprintf(line, linesz, "gate: INVALID: arm %s failed %zu of %zu boots (%.0f%% > %.0f%%)",
		         as->name, as->n_fail, as->n_fail + as->n_ok, 100 * worst_r,
		         100 * gp->max_fail_rate);
		return -1;
	}
	return 0;
}

/* Decides once on the run directory at one-sided error `look_alpha` (the
 * gate's alpha, or a sequential look's level); prints one verdict line per
 * candidate and leaves the deciding line and verdict in line/verdict. */
int gate_decide(const char *dir, struct gate_params *gp, double look_alpha, char *line,
                       size_t linesz, char *verdict, size_t vsz)
{
	struct analysis_opts ao = gp->ao;
	int phase = gp->phase;
	const char *metric = gp->metric, *base_name = gp->base_name, *cand_name = gp->cand_name;
	struct run_analysis ra;
	int code = GATE_INVALID;
	snprintf(verdict, vsz, "INVALID");
	if (analysis_load(dir, &ra) < 0) {
		snprintf(line, linesz, "gate: INVALID: %s", error_last());
		printf("%s\n", line);
		return GATE_INVALID;
	}
	int a = base_name ? samples_arm_index(&ra.sf, base_name) : 0;
	int only_b = cand_name ? samples_arm_index(&ra.sf, cand_name) : -1;
	const cJSON *drift = cJSON_GetObjectItemCaseSensitive(ra.run, "drift");
	if (a < 0 || (cand_name && only_b < 0)) {
		snprintf(line, linesz, "gate: INVALID: arm '%s' is not in %s",
		         a < 0 ? base_name : cand_name, dir);
		goto done;
	}
	if (!gp->allow_drift && cJSON_GetArraySize(drift) > 0) {
		snprintf(line, linesz, "gate: INVALID: host facts drifted during the run (%s); "
		                       "rerun, or pass --allow-drift", dir);
		goto done;
	}
	char why[256];
	if (!gp->allow_drift && analysis_chunk_drift(&ra, why, sizeof why)) {
		snprintf(line, linesz, "gate: INVALID: %s (%s, appended with --append); rerun, or pass "
		                       "--allow-drift", why, dir);
		goto done;
	}
	if (gate_check_samples(&ra, a, only_b, gp, line, linesz) < 0)
		goto done;
	for (size_t i = 0; i < ra.narms && phase == PH_CPU; i++) {
		const struct arm_stats *as = &ra.arms[i];
		if (((int)i != a && only_b >= 0 && (int)i != only_b) || as->n_no_cpu == 0)
			continue;
		snprintf(line, linesz, "gate: INVALID: --metric cpu: arm %s has %zu ok measured boots "
		                       "without a CPU time (a run from before gvab recorded it)",
		         as->name, as->n_no_cpu);
		goto done;
	}
	ao.baseline = a;
	ao.interval_alpha = look_alpha;
	ao.phase_mask = 1u << phase;
	ao.reps = 1; /* the bootstrap is descriptive; the gate does not print it */
	analysis_compare(&ra, &ao);
	/* The family: the chosen metric for every candidate (or the one asked). */
	if (only_b >= 0) {
		size_t w = 0;
		for (size_t k = 0; k < ra.ncmp; k++)
			if (ra.cmp[k].b == only_b)
				ra.cmp[w++] = ra.cmp[k];
		ra.ncmp = w;
	}
	analysis_adjust(&ra, 1, &ao, 1u << phase);
	code = GATE_PASS;
	snprintf(verdict, vsz, "PASS");
	for (size_t k = 0; k < ra.ncmp; k++) {
		const struct comparison *cp = &ra.cmp[k];
		struct verdict_in in = {.lo = cp->shift_lo, .hi = cp->shift_hi, .thr_ms = cp->thr_ms};
		int c_code = cp->gate;
		const char *c_verdict = verdict_gate_name(cp->gate);
		double p = cp->used_paired ? cp->p_wx_adj : cp->p_mw_adj;
		/* An end the data leave open is said as such, never "inf". */
		char lo[32] = "open", hi[32] = "open";
		if (isfinite(cp->shift_lo))
			snprintf(lo, sizeof lo, "%+.2f", cp->shift_lo);
		if (isfinite(cp->shift_hi))
			snprintf(hi, sizeof hi, "%+.2f", cp->shift_hi);
		snprintf(line, linesz,
		         "gate: %s%s %s vs %s: %s p50 %.1f -> %.1f ms, shift %+.2f ms (%+.2f%%), %.4g%% CI "
		         "[%s, %s] ms, p=%.4g (%s, Holm over %zu), threshold +%.3g%% (%+.2f ms), alpha %.3g",
		         c_verdict, c_code == GATE_PASS && verdict_equivalent(&in) ? " (same)" : "",
		         ra.arms[cp->b].name, ra.arms[cp->a].name, metric, cp->med_a, cp->med_b, cp->shift_ms,
		         cp->med_a > 0 ? 100 * cp->shift_ms / cp->med_a : 0, 100 * (1 - 2 * cp->shift_tail),
		         lo, hi, p,
		         cp->used_paired ? "paired, Wilcoxon" : "unpaired, Mann-Whitney", cp->family_size,
		         ao.threshold_pct, cp->thr_ms, ao.alpha);
		printf("%s\n", line);
		if (phase == PH_CPU)
			printf("gate: metric cpu: CPU time (user + sys) of all of a boot's processes: work, "
			       "not latency; a regression that only waits (sleeps, blocks, queues) does not "
			       "show in it\n");
		gate_print_carry_over(&ra, cp);
		/* Dependence: what the intervals assume away or widen for. */
		const struct arm_stats *A = &ra.arms[cp->a], *B = &ra.arms[cp->b];
		char widened[96] = "";
		if (cp->used_paired && cp->dep_factor > 1)
			snprintf(widened, sizeof widened, "; interval and p taken with %.2fx the variance",
			         cp->dep_factor);
		printf("gate: dependence: lag-1 autocorrelation %+.2f (%s), %+.2f (%s), %+.2f (round "
		       "differences%s); trend %+.1f%% (%s), %+.1f%% (%s) per 100 boots\n",
		       A->lag1[phase], A->name, B->lag1[phase], B->name, cp->lag1,
		       widened, A->trend_pct_per_100[phase], A->name,
		       B->trend_pct_per_100[phase], B->name);
		char adv[320];
		if (c_code == GATE_UNDECIDED) {
			gate_print_plan(cp, ra.arms[cp->a].n_ok < ra.arms[cp->b].n_ok ? ra.arms[cp->a].n_ok
			                                                              : ra.arms[cp->b].n_ok);
			if (answer_advice(cp, ao.alpha, 0, ao.threshold_pct, adv, sizeof adv))
				printf("gate: advice: %s\n", adv);
		} else if (answer_mde(cp, ao.alpha, adv, sizeof adv)) {
			printf("gate: sensitivity: %s\n", adv);
		}
		/* The worst candidate decides: FAIL > UNDECIDED > PASS. */
		if (c_code == GATE_FAIL || (c_code == GATE_UNDECIDED && code == GATE_PASS)) {
			code = c_code;
			snprintf(verdict, vsz, "%s", c_verdict);
		}
	}
	analysis_free(&ra);
	return code;
done:
	printf("%s\n", line);
	analysis_free(&ra);
	return code;
}

void gate_looks_plan(struct gate_looks *l, long n0, long budget, long step, double alpha)
{
	l->budget = budget;
	l->step = step;
	l->added = 0;
	l->looks = 1 + (int)((budget + step - 1) / step);
	l->alpha = util_xcalloc((size_t)l->looks, sizeof *l->alpha);
	long *n = util_xcalloc((size_t)l->looks, sizeof *n);
	for (int j = 0; j < l->looks; j++) {
		long extra = (long)j * step;
		n[j] = (n0 > 0 ? n0 : 1) + (extra < budget ? extra : budget);
	}
	verdict_sequential_alphas(n, l->looks, alpha, l->alpha);
	free(n);
}

long gate_looks_next(struct gate_looks *l, int code)
{
	if (code != GATE_UNDECIDED || l->added >= l->budget)
		return 0;
	long step = l->step < l->budget - l->added ? l->step : l->budget - l->added;
	l->added += step;
	return step;
}

void gate_looks_free(struct gate_looks *l)
{
	free(l->alpha);
	l->alpha = NULL;
}

long gate_first_look_pairs(const char *dir)
{
	struct run_analysis ra;
	long n0 = 0;
	if (analysis_load(dir, &ra) == 0) {
		n0 = (long)ra.arms[0].n_ok;
		for (size_t i = 1; i < ra.narms; i++)
			if ((long)ra.arms[i].n_ok < n0)
				n0 = (long)ra.arms[i].n_ok;
		analysis_free(&ra);
	}
	return n0;
}

void gate_rate_of_samples(const struct samples_file *sf, struct gate_rate *r)
{
	memset(r, 0, sizeof *r);
	double intervals = 0, span_ns = 0;
	int64_t first = 0, last = 0;
	long in_chunk = 0;
	for (size_t k = 0; k <= sf->n; k++) {
		const struct sample *s = k < sf->n ? &sf->s[k] : NULL;
		if (s && s->kind != BOOT_COLD)
			continue;
		/* A chunk ends where the clock starts again (or the file ends). */
		if (!s || (in_chunk && s->t_ns < last)) {
			if (in_chunk > 1) {
				intervals += (double)(in_chunk - 1);
				span_ns += (double)(last - first);
			}
			in_chunk = 0;
			if (!s)
				break;
		}
		if (in_chunk++ == 0)
			first = s->t_ns;
		last = s->t_ns;
	}
	if (sf->narms == 0 || !(span_ns > 0))
		return;
	r->rounds = intervals / (double)sf->narms;
	r->span_s = span_ns / 1e9;
	r->rounds_per_min = r->rounds / (r->span_s / 60);
}

int gate_round_rate(const char *dir, struct gate_rate *r)
{
	struct run_analysis ra;
	memset(r, 0, sizeof *r);
	int rc = analysis_load(dir, &ra);
	if (rc < 0)
		return rc;
	gate_rate_of_samples(&ra.sf, r);
	analysis_free(&ra);
	return 0;
}

void gate_budget_plan(struct gate_budget *b, const struct gate_rate *rate, double budget_s, long step)
{
	memset(b, 0, sizeof *b);
	b->budget_s = budget_s;
	b->rate = *rate;
	double r = floor(rate->rounds_per_min * budget_s / 60);
	b->rounds = r > 1e9 ? 1000000000L : r > 0 ? (long)r : 0;
	if (step < 1)
		step = 1;
	long whole = b->rounds / (step + 1), left = b->rounds % (step + 1);
	b->pairs = whole * step + (left > 1 ? left - 1 : 0);
}
