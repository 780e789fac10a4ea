/* trend_out: what a trend leaves: trend.md (also the command's output),
 * trend.json and the chart. See trend_int.h. */
#define _GNU_SOURCE
#include "trend.h"
#include "trend_int.h"
#include "analysis.h"
#include "answer.h"
#include "bisect.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "history.h"
#include "modsource.h"
#include "opt.h"
#include "proc.h"
#include "runloop.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *verdict_mark(enum verdict v)
{
	return v == V_SLOWER ? "**slower**" : v == V_FASTER ? "**faster**" : verdict_name(v);
}

static char *md_cell(const char *s)
{
	char *c = util_xstrdup(s);
	for (char *p = c; *p; p++)
		if (*p == '|' || *p == '\n' || *p == '\r' || (unsigned char)*p < 32)
			*p = *p == '|' ? '/' : ' ';
	return c;
}

/* --budget in words: what the first chunk measured and what it allowed. */
static void budget_paragraph(FILE *f, const struct trend_plan *p)
{
	char bt[32];
	opt_duration_text(p->budget_s, bt, sizeof bt);
	fprintf(f, "Budget %s (`--budget`, for the whole run): the first %ld rounds (after %ld warm-up) "
	           "ran at %.1f rounds per minute (%.0f rounds in %.1f s of boots), which buys %ld rounds "
	           "in %s: ", bt, p->first, p->warmups, p->rounds_per_min, p->rate_rounds, p->rate_span_s,
	        p->rounds, bt);
	if (p->added > 0)
		fprintf(f, "%ld more measured rounds were appended after one warm-up round%s, %ld in all. ",
		        p->added, p->capped ? " (--iterations caps them)" : "", p->first + p->added);
	else
		fprintf(f, "no more rounds fit%s, the trend is the first %ld. ",
		        p->capped ? " within --iterations" : "", p->first);
	fprintf(f, "The rounds were planned from that rate alone, before any step was compared, so the "
	           "levels below are those of a run of that size.\n\n");
}

char *trend_markdown(const struct trend_opts *o, const struct trev *r, size_t n,
                      const struct trend_step *st, size_t ns, const struct trend_plan *plan)
{
	char *md = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&md, &len);
	if (!f)
		return NULL;
	long rounds = plan ? plan->first + plan->added : o->iterations;
	fprintf(f, "# gvab trend: %s p50 per revision, each against the previous\n\n", o->rs.metric);
	fprintf(f, "One interleaved run (`%s/run`, order %s, %ld rounds). Steps: the shift B - A "
	           "(Hodges-Lehmann of %s, paired by round) with its interval at %.3g%% per side "
	           "(alpha %.3g split over the %zu steps), Holm-adjusted p, verdict at threshold "
	           "%.3g%%.\n\n",
	        o->out_dir, o->order, rounds, o->rs.metric, ns ? 100.0 * o->rs.alpha / (double)ns : 0,
	        o->rs.alpha, ns, o->rs.threshold_pct);
	if (plan)
		budget_paragraph(f, plan);
	fprintf(f, "| # | revision | subject | n | %s p50 ms [95%% CI] | vs previous ms (%%) | interval ms "
	           "| p (Holm) | verdict |\n", o->rs.metric);
	fprintf(f, "|---:|---|---|---:|---|---|---|---:|---|\n");
	for (size_t i = 0; i < n; i++) {
		char *subj = md_cell(r[i].subject), *lab = md_cell(r[i].label);
		if (!r[i].runsc) {
			char *note = md_cell(r[i].note);
			fprintf(f, "| %zu | `%s` | %s | 0 | left out: %s | | | | |\n", i + 1, lab, subj, note);
			free(note);
			free(subj);
			free(lab);
			continue;
		}
		char ci[112];
		fprintf(f, "| %zu | `%s` | %s | %zu | %.2f %s |", i + 1, lab, subj, r[i].n_ok, r[i].med,
		        answer_interval(ci, sizeof ci, r[i].lo, r[i].hi, 2, 0));
		const struct trend_step *s = NULL;
		for (size_t k = 0; k < ns; k++)
			if (st[k].to == i)
				s = &st[k];
		if (!s)
			fprintf(f, " (first) | | | |\n");
		else {
			const struct comparison *c = &s->c;
			double pct = c->med_a > 0 ? 100.0 * c->shift_ms / c->med_a : 0;
			double p = c->used_paired ? c->p_wx_adj : c->p_mw_adj;
			char iv[112];
			fprintf(f, " %+.2f (%+.1f%%) | %s | %.3g | %s |\n", c->shift_ms, pct,
			        answer_interval(iv, sizeof iv, c->shift_lo, c->shift_hi, 2, 1), p,
			        verdict_mark(c->verdict));
		}
		free(subj);
		free(lab);
	}
	size_t changed = 0;
	for (size_t k = 0; k < ns; k++)
		changed += st[k].c.verdict == V_SLOWER || st[k].c.verdict == V_FASTER;
	fprintf(f, "\n%zu of %zu steps changed %s (faster or slower, family-wise alpha %.3g).\n", changed,
	        ns, o->rs.metric, o->rs.alpha);
	size_t undecided = 0;
	for (size_t k = 0; k < ns; k++)
		undecided += st[k].c.verdict == V_UNDECIDED;
	if (plan && undecided > 0) {
		char bt[32];
		fprintf(f, "\nThe budget (%s) ended %zu of %zu steps undecided:", opt_duration_text(plan->budget_s, bt, sizeof bt),
		        undecided, ns);
		for (size_t k = 0, i = 0; k < ns; k++)
			if (st[k].c.verdict == V_UNDECIDED)
				fprintf(f, "%s `%s` -> `%s`", i++ ? "," : "", r[st[k].from].label, r[st[k].to].label);
		fprintf(f, ". More time (a larger --budget) would be needed to tell them; undecided is not "
		           "the same.\n");
	}
	for (size_t k = 0; k < ns; k++)
		if (isinf(st[k].c.shift_lo) || isinf(st[k].c.shift_hi)) {
			fprintf(f, "\nSome intervals are unbounded: %ld rounds are too few for an interval at "
			           "%.3g%% per side; give more %s.\n", rounds, 100.0 * st[k].c.shift_tail,
			        plan ? "--budget" : "--iterations");
			break;
		}
	fclose(f);
	return md;
}

cJSON *trend_json(const struct trend_opts *o, const struct trev *r, size_t n,
                       const struct trend_step *st, size_t ns, const struct trend_plan *plan)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "format", "gvab-trend/1");
	cJSON *p = cJSON_AddObjectToObject(doc, "params");
	cJSON_AddStringToObject(p, "source", o->rs.source);
	cJSON_AddStringToObject(p, "revisions_file", o->revisions_file ? o->revisions_file : "");
	cJSON_AddStringToObject(p, "arm", o->rs.arm);
	cJSON_AddStringToObject(p, "metric", o->rs.metric);
	cJSON_AddStringToObject(p, "order", o->order);
	cJSON_AddNumberToObject(p, "threshold_pct", o->rs.threshold_pct);
	cJSON_AddNumberToObject(p, "alpha", o->rs.alpha);
	cJSON_AddNumberToObject(p, "iterations", (double)o->iterations);
	cJSON_AddNumberToObject(p, "warmups", (double)o->warmups);
	if (plan) {
		cJSON_AddNumberToObject(p, "budget_s", plan->budget_s);
		cJSON *b = cJSON_AddObjectToObject(doc, "budget");
		cJSON_AddNumberToObject(b, "budget_s", plan->budget_s);
		cJSON_AddNumberToObject(b, "first_rounds", (double)plan->first);
		cJSON_AddNumberToObject(b, "rounds_per_min", plan->rounds_per_min);
		cJSON_AddNumberToObject(b, "rounds_bought", (double)plan->rounds);
		cJSON_AddNumberToObject(b, "added_rounds", (double)plan->added);
		cJSON_AddNumberToObject(b, "measured_rounds", (double)(plan->first + plan->added));
		cJSON_AddBoolToObject(b, "capped_by_iterations", plan->capped);
	}
	cJSON_AddStringToObject(doc, "run", "run");
	cJSON *revs = cJSON_AddArrayToObject(doc, "revisions");
	for (size_t i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "label", r[i].label);
		cJSON_AddStringToObject(x, "ref", r[i].ref);
		cJSON_AddStringToObject(x, "commit", r[i].commit);
		if (r[i].master[0])
			cJSON_AddStringToObject(x, "master_commit", r[i].master);
		cJSON_AddStringToObject(x, "subject", r[i].subject);
		if (r[i].how[0])
			cJSON_AddStringToObject(x, "resolved", r[i].how);
		cJSON_AddStringToObject(x, "arm", r[i].arm);
		cJSON_AddBoolToObject(x, "built", r[i].runsc != NULL);
		if (!r[i].runsc)
			cJSON_AddStringToObject(x, "note", r[i].note);
		else {
			cJSON_AddStringToObject(x, "runsc", r[i].runsc);
			cJSON_AddNumberToObject(x, "n", (double)r[i].n_ok);
			cJSON_AddNumberToObject(x, "failures", (double)r[i].n_fail);
			cJSON_AddNumberToObject(x, "median_ms", r[i].med);
			if (isfinite(r[i].lo) && isfinite(r[i].hi)) {
				cJSON_AddNumberToObject(x, "median_lo_ms", r[i].lo);
				cJSON_AddNumberToObject(x, "median_hi_ms", r[i].hi);
			}
		}
		cJSON_AddItemToArray(revs, x);
	}
	cJSON *sa = cJSON_AddArrayToObject(doc, "steps");
	for (size_t k = 0; k < ns; k++) {
		const struct comparison *c = &st[k].c;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "from", (double)st[k].from);
		cJSON_AddNumberToObject(x, "to", (double)st[k].to);
		cJSON_AddStringToObject(x, "from_label", r[st[k].from].label);
		cJSON_AddStringToObject(x, "to_label", r[st[k].to].label);
		cJSON_AddNumberToObject(x, "shift_ms", c->shift_ms);
		cJSON_AddNumberToObject(x, "shift_lo_ms", c->shift_lo);
		cJSON_AddNumberToObject(x, "shift_hi_ms", c->shift_hi);
		cJSON_AddNumberToObject(x, "shift_pct", c->med_a > 0 ? 100.0 * c->shift_ms / c->med_a : 0);
		cJSON_AddNumberToObject(x, "interval_tail", c->shift_tail);
		cJSON_AddNumberToObject(x, "p", c->used_paired ? c->p_wx : c->p_mw);
		cJSON_AddNumberToObject(x, "p_holm", c->used_paired ? c->p_wx_adj : c->p_mw_adj);
		cJSON_AddBoolToObject(x, "paired", c->used_paired);
		cJSON_AddNumberToObject(x, "pairs", (double)c->npairs);
		/* The widening for dependent rounds the interval and p carry (1 when
		 * unpaired or independent): with `pairs`, what decides whether any
		 * change could be told (stats_sign_floor_p). */
		cJSON_AddNumberToObject(x, "variance_factor", c->used_paired && c->dep_factor > 1 ? c->dep_factor : 1);
		cJSON_AddNumberToObject(x, "family_size", (double)c->family_size);
		cJSON_AddStringToObject(x, "verdict", verdict_name(c->verdict));
		cJSON_AddItemToArray(sa, x);
	}
	return doc;
}

void trend_write_chart(const struct trend_opts *o, const struct trev *r, size_t n,
                        const struct trend_step *st, size_t ns)
{
	char *dat = util_fmt("%s/trend.dat", o->out_dir);
	FILE *f = fopen(dat, "w");
	free(dat);
	if (!f)
		return;
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		if (!r[i].runsc || r[i].n_ok == 0)
			continue;
		int kind = 0; /* 0 first/unchanged, 1 faster, 2 slower */
		for (size_t k = 0; k < ns; k++)
			if (st[k].to == i)
				kind = st[k].c.verdict == V_FASTER ? 1 : st[k].c.verdict == V_SLOWER ? 2 : 0;
		char *lab = charts_gp_str(r[i].label, 1);
		fprintf(f, "%zu %.3f %.3f %.3f \"%s\" %d\n", i, r[i].med, isfinite(r[i].lo) ? r[i].lo : r[i].med,
		        isfinite(r[i].hi) ? r[i].hi : r[i].med, lab, kind);
		free(lab);
		any = 1;
	}
	fclose(f);
	if (!any)
		return;
	revision_chart(o->out_dir, "trend", o->rs.metric, "per revision (95% CI), oldest first", "revision",
	               "top left",
	               "\"trend.dat\" using 1:2 with lines lc rgb \"#999999\" notitle, \\\n"
	               "       \"\" using 1:($6==0?$2:1/0):3:4:xtic(5) with yerrorbars pt 7 lc rgb \"#555555\" title \"neither faster nor slower (or first)\", \\\n"
	               "       \"\" using 1:($6==1?$2:1/0):3:4 with yerrorbars pt 7 lc rgb \"#0072B2\" title \"faster than the previous\", \\\n"
	               "       \"\" using 1:($6==2?$2:1/0):3:4 with yerrorbars pt 7 lc rgb \"#D55E00\" title \"slower than the previous\"\n");
}
