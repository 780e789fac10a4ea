/* bisect: see bisect.h. The search: a bisect opens (path, resumed state,
 * both ends built), steps until the range cannot shrink, times the ends
 * alone when no middle revision could be measured, and answers. */
#define _GNU_SOURCE
#include "bisect.h"
#include "bisect_int.h"
#include "gate.h"
#include "analysis.h"
#include "answer.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "modsource.h"
#include "proc.h"
#include "runloop.h"
#include "samples.h"
#include "source.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* ---- the search -------------------------------------------------------- */

/* Next revision to measure: an untested one between the last good-like and
 * the first bad-like, nearest the middle; -1 when none is left. */
static long next_mid(const struct path *p, long *lo_out, long *hi_out)
{
	long lo = 0, hi = (long)p->n - 1;
	for (long i = 0; i < (long)p->n; i++)
		if (p->r[i].state == R_GOOD)
			lo = i;
	for (long i = (long)p->n - 1; i > lo; i--)
		if (p->r[i].state == R_BAD)
			hi = i;
	*lo_out = lo;
	*hi_out = hi;
	long mid = lo + (hi - lo) / 2, best = -1;
	for (long d = 0; d <= hi - lo; d++) {
		long cand[2] = {mid - d, mid + d};
		for (int k = 0; k < 2; k++)
			if (cand[k] > lo && cand[k] < hi && p->r[cand[k]].state == R_UNTESTED) {
				best = cand[k];
				return best;
			}
	}
	return best;
}

/* A revision with the tree of the nearest good-like or bad-like one builds
 * that one's binary: it takes its state without a measurement. */
static int bisect_same_tree_as_end(const struct bisect_opts *o, struct path *p, long mid, long lo, long hi)
{
	struct rev *r = &p->r[mid];
	const struct rev *e = !r->tree[0] ? NULL : strcmp(r->tree, p->r[lo].tree) == 0 ? &p->r[lo]
	                      : strcmp(r->tree, p->r[hi].tree) == 0 ? &p->r[hi] : NULL;
	if (!e)
		return 0;
	r->state = e->state;
	snprintf(r->note, sizeof r->note, "the same tree as %.12s (%.12s): its binary, %s without a measurement",
	         e->commit, r->tree, bisect_state_names[e->state]);
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: %.12s not measured: %s\n", r->commit, r->note);
	return 1;
}

/* One bisect in progress: its path, the ends' binaries and the looks'
 * plan, and what the last measured step said about the ends. */
struct bisect_ctx {
	const struct bisect_opts *o;
	int phase, module, steps;
	struct path p;
	git_repository *repo;
	char *bins[3];             /* mid, good, bad */
	double *look_alpha;
	long *look_n;
	struct look_result last_ends;
	int have_ends;
	const char *status;        /* "running", "done", "stopped (--max-steps)" */
};

/* The path, resumed state and both ends' binaries (they are in every
 * step's run, so both must build). */
static int bisect_open(struct bisect_ctx *b)
{
	const struct bisect_opts *o = b->o;
	int rc;
	if (!b->module) {
		char *repo_path = util_fmt("%s/gvisor.git", o->rs.cache_dir);
		rc = source_open_cache(repo_path, &b->repo);
		free(repo_path);
		if (rc < 0)
			return rc;
		if (!o->rs.offline) {
			unsigned got = 0;
			if (o->rs.progress)
				fprintf(stderr, "gvab: bisect: fetching %s\n", o->rs.source);
			if ((rc = source_fetch(b->repo, o->rs.source, &got)) < 0)
				return error_wrap(rc, "fetching gVisor");
		}
	}
	struct path *p = &b->p;
	rc = o->revisions_file ? bisect_path_from_file(o, b->module, p) : bisect_path_from_git(o, b->repo, p);
	if (rc < 0)
		return rc;
	if (p->n < 2)
		return error_setc(GVAB_EUSAGE, "--good and --bad name the same revision");
	if ((rc = bisect_state_load(o, p, &b->steps)) < 0)
		return rc;
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: %zu revisions from %s to %s (about %d steps)\n", p->n, o->good,
		        o->bad, (int)ceil(log2((double)(p->n > 2 ? p->n - 1 : 1))));
	p->r[0].state = R_GOOD;
	p->r[p->n - 1].state = R_BAD;
	if ((rc = bisect_build_rev(o, &p->r[0], &b->bins[1])) < 0 ||
	    (rc = bisect_build_rev(o, &p->r[p->n - 1], &b->bins[2])) < 0) {
		rc = rc == GVAB_EUSAGE ? rc : GVAB_EPRECOND;
		return error_wrap(rc, "an end of the path does not build");
	}
	b->look_alpha = util_xcalloc((size_t)o->looks, sizeof *b->look_alpha);
	b->look_n = util_xcalloc((size_t)o->looks, sizeof *b->look_n);
	for (int j = 0; j < o->looks; j++)
		b->look_n[j] = (j + 1) * o->iterations;
	if (o->looks > 1)
		verdict_sequential_alphas(b->look_n, o->looks, o->rs.alpha, b->look_alpha);
	else
		b->look_alpha[0] = o->rs.alpha;
	return 0;
}

/* Classifies revision r from its step's last look, or says why not. 1 when
 * this step's run could not tell the ends apart though earlier ones did
 * (r undecided); 0 when classified; GVAB_EDATA when the ends never
 * differed (nothing to bisect). */
static int bisect_classify(struct bisect_ctx *b, struct rev *r, const struct look_result *lr, const char *dir)
{
	const struct bisect_opts *o = b->o;
	r->step = b->steps;
	r->med_ms = lr->med[0];
	r->lo_ms = lr->lo[0];
	r->hi_ms = lr->hi[0];
	bisect_ends_from_look(&b->p, b->steps, lr);
	b->last_ends = *lr;
	b->have_ends = 1;
	int classified = 0;
	for (size_t i = 1; i + 1 < b->p.n; i++)
		classified |= b->p.r[i].state == R_GOOD || b->p.r[i].state == R_BAD;
	if (!bisect_significant(lr->ends) && classified) {
		/* Noise in this run; earlier runs told the ends apart. */
		r->state = R_UNDECIDED;
		snprintf(r->note, sizeof r->note, "the ends did not differ in this step's run (%s); not classified",
		         verdict_name(lr->ends));
		return 1;
	}
	if (!bisect_significant(lr->ends)) {
		char iv[112];
		/* Rounds so dependent that these pairs could not have told any
		 * change (stats_sign_floor_p, Holm over the step's family): say
		 * so, and how many pairs could, not that the ends are alike. */
		double need = o->rs.alpha / (double)(lr->ends_family ? lr->ends_family : 1);
		int floor_bound = lr->ends_pairs && stats_sign_floor_p(lr->ends_pairs, lr->ends_factor) > need;
		bisect_state_save(o, &b->p, b->steps,
		                  floor_bound ? "ends not told apart (rounds too dependent)" : "ends do not differ",
		                  NULL);
		if (floor_bound) {
			size_t m = stats_sign_floor_pairs(lr->ends_factor, need, 1000);
			char more[96] = "no count up to 1000 pairs can";
			if (m)
				snprintf(more, sizeof more, "from %zu pairs on every count can", m);
			return error_setc(GVAB_EDATA,
			                  "good and bad could not be told apart on %s in step %d (%s, bad - good "
			                  "%+.1f ms %s): at this dependence of rounds (variance x%.2f) %zu pairs "
			                  "cannot decide a change of any size; %s (more --iterations or --looks)",
			                  o->rs.metric, b->steps, verdict_name(lr->ends), lr->ends_ms,
			                  answer_interval(iv, sizeof iv, lr->ends_lo, lr->ends_hi, 1, 1),
			                  lr->ends_factor, lr->ends_pairs, more);
		}
		return error_setc(GVAB_EDATA,
		                  "good and bad do not differ on %s in step %d (%s, bad - good %+.1f ms "
		                  "%s): nothing to bisect at this threshold and n",
		                  o->rs.metric, b->steps, verdict_name(lr->ends), lr->ends_ms,
		                  answer_interval(iv, sizeof iv, lr->ends_lo, lr->ends_hi, 1, 1));
	}
	int side = bisect_end_like(lr);
	r->state = side < 0 ? R_GOOD : side > 0 ? R_BAD : R_UNDECIDED;
	/* No position without the interval against good (bisect_position). */
	char pos[128] = "not placed (its interval against good is open)";
	if (isfinite(lr->pos) && isfinite(lr->pos_lo) && isfinite(lr->pos_hi))
		snprintf(pos, sizeof pos, "%.2f [%.2f, %.2f] (0 good, 1 bad)", lr->pos, lr->pos_lo,
		         lr->pos_hi);
	snprintf(r->note, sizeof r->note,
	         "%s p50 %.1f ms (good %.1f, bad %.1f); position between the ends %s; against good: "
	         "%s, against bad: %s; %zu pairs; run %s",
	         o->rs.metric, lr->med[0], lr->med[1], lr->med[2], pos, bisect_mid_vs(lr->vs_good),
	         bisect_mid_vs(lr->vs_bad), lr->pairs, dir);
	return 0;
}

/* --budget: the looks of a step whose first look ran in `dir`: as many of
 * o->looks as the round rate measured on that look allows in budget_s
 * (the first look's rounds and warm-ups counted, one warm-up round per
 * look after it). Planned from the rate alone, before the first look is
 * analysed, so the levels (*alpha, the caller's to free, or NULL when all
 * looks fit and b->look_alpha stands) spend alpha over the looks that
 * will be made, as gate --budget does. */
static int bisect_budget_looks(struct bisect_ctx *b, const char *dir, const char *label, double **alpha)
{
	const struct bisect_opts *o = b->o;
	struct gate_rate rate;
	*alpha = NULL;
	if (gate_round_rate(dir, &rate) < 0)
		memset(&rate, 0, sizeof rate);
	double rounds = floor(rate.rounds_per_min * o->budget_s / 60);
	double first = (double)o->iterations + 2, per = (double)o->iterations + 1;
	double more = rounds > first ? floor((rounds - first) / per) : 0;
	int k = 1 + (more < o->looks ? (int)more : o->looks);
	if (k > o->looks)
		k = o->looks;
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: step %d, %s: budget %gs: %.1f rounds per minute measured "
		        "on the first look allow %d of %d looks\n", b->steps + 1, label, o->budget_s,
		        rate.rounds_per_min, k, o->looks);
	if (k < o->looks) {
		*alpha = util_xcalloc((size_t)k, sizeof **alpha);
		if (k > 1)
			verdict_sequential_alphas(b->look_n, k, o->rs.alpha, *alpha);
		else
			(*alpha)[0] = o->rs.alpha;
	}
	return k;
}

/* One step: build revision `mid`, run looks of it with both ends until
 * the ends differ and it is like one of them (or the looks run out), and
 * classify it. 0 to go on, or GVAB_EINTR / GVAB_EDATA to stop. */
static int bisect_step(struct bisect_ctx *b, long mid)
{
	const struct bisect_opts *o = b->o;
	struct rev *r = &b->p.r[mid];
	char label[16];
	bisect_rev_label(r, label, sizeof label);
	free(b->bins[0]);
	b->bins[0] = NULL;
	int rc = bisect_build_rev(o, r, &b->bins[0]);
	if (rc == GVAB_EINTR)
		return rc;
	if (rc < 0) {
		r->state = R_SKIP;
		snprintf(r->note, sizeof r->note, "does not build: %.360s", error_last());
		if (o->rs.progress)
			fprintf(stderr, "gvab: bisect: %s skipped: %s\n", label, r->note);
		return 0;
	}
	char *dir = util_fmt("%s/steps/%02d-%s", o->out_dir, b->steps + 1, label);
	util_rm_rf(dir); /* a step interrupted earlier starts again */
	struct look_result lr;
	int decided = 0, looks = o->looks;
	double *budget_alpha = NULL;
	for (int j = 0; j < looks && !decided; j++) {
		if (o->rs.progress)
			fprintf(stderr, "gvab: bisect: step %d, %s: look %d/%d, %ld rounds of mid/good/bad\n",
			        b->steps + 1, label, j + 1, looks, o->iterations);
		if ((rc = bisect_run_look(o, dir, j > 0, b->bins)) < 0)
			break;
		if (j == 0 && o->budget_s > 0)
			looks = bisect_budget_looks(b, dir, label, &budget_alpha);
		if ((rc = bisect_analyse(o, dir, b->phase, (budget_alpha ? budget_alpha : b->look_alpha)[j],
		                         &lr)) < 0)
			break;
		bisect_position(&lr);
		decided = bisect_significant(lr.ends) && (bisect_end_like(&lr) != 0);
	}
	free(budget_alpha);
	if (rc == GVAB_EINTR) {
		free(dir);
		return rc;
	}
	b->steps++;
	if (rc < 0) {
		r->state = R_SKIP;
		snprintf(r->note, sizeof r->note, "did not boot or measure: %.360s", error_last());
		rc = 0;
	} else if ((rc = bisect_classify(b, r, &lr, dir)) < 0) {
		free(dir);
		return rc;
	}
	if (rc == 0 && r->state == R_UNDECIDED && looks < o->looks) {
		size_t l = strlen(r->note);
		snprintf(r->note + l, sizeof r->note - l, "; --budget %gs allowed %d of %d looks", o->budget_s,
		         looks, o->looks);
	}
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: %s is %s: %s\n", label, bisect_state_names[r->state], r->note);
	free(dir);
	return 0;
}

/* Nothing between the ends could be measured (every middle revision
 * skipped): one run of the ends alone still says how far apart they are,
 * so the range comes with its delta. */
static int bisect_time_ends(struct bisect_ctx *b)
{
	const struct bisect_opts *o = b->o;
	char *dir = util_fmt("%s/steps/ends", o->out_dir);
	char *ends_bins[3] = {b->bins[1], b->bins[1], b->bins[2]};
	util_rm_rf(dir);
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: no middle revision could be measured; timing the ends\n");
	struct look_result lr;
	int rc = bisect_run_look(o, dir, 0, ends_bins);
	if (rc == 0 && (rc = bisect_analyse(o, dir, b->phase, o->rs.alpha, &lr)) == 0) {
		b->last_ends = lr;
		b->have_ends = 1;
		bisect_ends_from_look(&b->p, b->steps, &lr);
	}
	free(dir);
	return rc == GVAB_EINTR ? rc : 0;
}

/* The answer for bisect.json: the first bad-like revision after the last
 * good-like one, what could not be decided between them, the master
 * commits it brings and the ends' delta. */
static cJSON *bisect_answer(const struct bisect_ctx *b, long lo, long hi)
{
	const struct path *p = &b->p;
	const struct rev *fb = &p->r[hi];
	cJSON *answer = cJSON_CreateObject();
	cJSON_AddStringToObject(answer, "first_bad", fb->id);
	cJSON_AddStringToObject(answer, "first_bad_commit", fb->commit);
	cJSON_AddStringToObject(answer, "first_bad_subject", fb->subject);
	cJSON_AddStringToObject(answer, "last_good", p->r[lo].id);
	cJSON *between = cJSON_AddArrayToObject(answer, "unresolved_between");
	for (long i = lo + 1; i < hi; i++)
		cJSON_AddItemToArray(between, cJSON_CreateString(p->r[i].id));
	cJSON_AddBoolToObject(answer, "exact", hi == lo + 1);
	cJSON *brings = cJSON_AddArrayToObject(answer, "master_commits");
	if (p->have_history)
		bisect_merge_brings(b->repo, fb->commit, brings);
	else if (fb->master[0]) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "commit", fb->master);
		cJSON_AddStringToObject(x, "subject", fb->subject);
		cJSON_AddItemToArray(brings, x);
	}
	if (b->have_ends) {
		cJSON_AddStringToObject(answer, "metric", b->o->rs.metric);
		cJSON_AddNumberToObject(answer, "delta_ms", b->last_ends.ends_ms);
		cJSON_AddNumberToObject(answer, "delta_lo_ms", b->last_ends.ends_lo);
		cJSON_AddNumberToObject(answer, "delta_hi_ms", b->last_ends.ends_hi);
		cJSON_AddNumberToObject(answer, "delta_pct", b->last_ends.ends_pct);
		cJSON_AddStringToObject(answer, "delta_is", "bad - good, from the last step's run");
	}
	cJSON_AddStringToObject(answer, "status", b->status);
	return answer;
}

/* The answer in a few lines: the caller prints it; bisect.md opens with it. */
static char *bisect_summary(const struct bisect_ctx *b, long lo, long hi, const cJSON *answer)
{
	const struct bisect_opts *o = b->o;
	const struct rev *fb = &b->p.r[hi];
	char *sum = NULL;
	size_t sumlen = 0;
	FILE *sf = open_memstream(&sum, &sumlen);
	if (!sf)
		return NULL;
	char flabel[16], glabel[16];
	bisect_rev_label(fb, flabel, sizeof flabel);
	bisect_rev_label(&b->p.r[lo], glabel, sizeof glabel);
	if (hi == lo + 1)
		fprintf(sf, "first bad: %s %s\n", flabel, fb->subject);
	else
		fprintf(sf, "first bad: one of %ld revisions after %s up to %s (%s; skipped or undecided between)\n",
		        hi - lo, glabel, flabel, fb->subject);
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(answer, "master_commits"))
		fprintf(sf, "  brings %.12s %s\n", cJSON_GetObjectItem(x, "commit")->valuestring,
		        cJSON_GetObjectItem(x, "subject")->valuestring);
	if (b->have_ends) {
		char iv[112];
		fprintf(sf, "%s: bad - good %+.1f ms (%+.1f%%) %s; %d steps; %s/bisect.json\n", o->rs.metric,
		        b->last_ends.ends_ms, b->last_ends.ends_pct,
		        answer_interval(iv, sizeof iv, b->last_ends.ends_lo, b->last_ends.ends_hi, 1, 1),
		        b->steps, o->out_dir);
	}
	fclose(sf);
	return sum;
}

/* Steps until no untested revision is left between the last good-like and
 * the first bad-like one, or --max-steps. */
static int bisect_search(struct bisect_ctx *b)
{
	const struct bisect_opts *o = b->o;
	for (;;) {
		long lo, hi, mid = next_mid(&b->p, &lo, &hi);
		if (mid < 0) {
			b->status = "done";
			return 0;
		}
		if (o->max_steps > 0 && b->steps >= o->max_steps) {
			b->status = "stopped (--max-steps)";
			return 0;
		}
		int rc = bisect_same_tree_as_end(o, &b->p, mid, lo, hi) ? 0 : bisect_step(b, mid);
		if (rc < 0)
			return rc;
		bisect_state_save(o, &b->p, b->steps, "running", NULL);
	}
}

int bisect_run(const struct bisect_opts *o, struct bisect_outcome *out)
{
	struct bisect_ctx b = {.o = o, .phase = analysis_phase_index(o->rs.metric), .status = "running"};
	b.module = strcmp(o->rs.source, "module") == 0 || strcmp(o->rs.source, MODSOURCE_MODULE) == 0;
	memset(out, 0, sizeof *out);
	if (b.phase < 0)
		return error_setc(GVAB_EUSAGE, "--metric %s: not a phase (create, start, wait, delete, core, "
		                               "overall)", o->rs.metric);
	if (b.module && !o->revisions_file)
		return error_setc(GVAB_EUSAGE, "a module source has no history: pass --revisions FILE, an "
		                               "ordered list of go-branch commits and pseudo-versions");
	if (util_mkdir_p(o->out_dir, 0755) < 0)
		return GVAB_EFAIL;
	int rc = bisect_open(&b);
	if (rc == 0)
		rc = bisect_search(&b);
	if (rc == 0 && !b.have_ends && strcmp(b.status, "done") == 0)
		rc = bisect_time_ends(&b);
	if (rc == 0) {
		long lo, hi;
		next_mid(&b.p, &lo, &hi);
		cJSON *answer = bisect_answer(&b, lo, hi);
		bisect_state_save(o, &b.p, b.steps, b.status, answer);
		bisect_write_chart(o, &b.p);
		out->summary = bisect_summary(&b, lo, hi, answer);
		cJSON_Delete(answer);
		if (!out->summary)
			rc = error_set("open_memstream: %s", strerror(errno));
		else
			bisect_write_markdown(o, &b.p, out->summary, b.status);
		out->result = strcmp(b.status, "done") == 0 ? BISECT_DONE : BISECT_STOPPED;
	}
	if (rc < 0 && b.p.n)
		bisect_state_save(o, &b.p, b.steps, rc == GVAB_EINTR ? "interrupted" : "failed", NULL);
	for (int i = 0; i < 3; i++)
		free(b.bins[i]);
	free(b.look_alpha);
	free(b.look_n);
	free(b.p.r);
	source_close(b.repo);
	return rc;
}
