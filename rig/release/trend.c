/* trend: see trend.h. Builds every revision, runs them in one
 * interleaved run (or reuses a complete one), and compares each with the
 * previous; the revisions are read in trend_revs.c, the outputs written in
 * trend_out.c. */
#define _GNU_SOURCE
#include "trend.h"
#include "trend_int.h"
#include "analysis.h"
#include "answer.h"
#include "bisect.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "gate.h"
#include "history.h"
#include "modsource.h"
#include "opt.h"
#include "proc.h"
#include "runloop.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* ---- building and running ----------------------------------------------- */

static int build_one(const struct trend_opts *o, const char *arms_dir, struct trev *r)
{
	struct build_opts bo = {.source = o->rs.source, .ref = r->ref, .arm = o->rs.arm, .name = r->build,
	                        .patches_dir = o->rs.patches_dir, .series_dirs = o->rs.series_dirs,
	                        .out_dir = arms_dir, .cache_dir = o->rs.cache_dir, .go = o->rs.go,
	                        .offline = o->rs.offline, .progress = o->rs.progress};
	if (o->rs.progress)
		fprintf(stderr, "gvab: trend: building %s%s%s\n", r->label, r->subject[0] ? ": " : "",
		        r->subject);
	return build_arm(&bo, &r->runsc);
}

/* The run of every built revision: one arm each, in o->order, and the
 * anchor's arm last when there is one. Free with
 * run_spec_free. */
static int trend_spec(const struct trend_opts *o, const char *dir, const struct trev *r, size_t n,
                      const char *anchor, struct run_spec *s)
{
	revision_run_spec(&o->rs, s);
	s->out_dir = dir;
	s->iterations = o->iterations;
	s->warmups = o->warmups;
	s->budget_s = o->budget_s;
	if (o->budget_s > 0) { /* the first chunk; the plan appends the rest */
		struct trend_plan p;
		trend_budget_plan(o, 0, &p);
		s->iterations = p.first;
	}
	int rc = schedule_parse_order(o->order, &s->order);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (r[i].runsc)
			rc = run_spec_add_arm(s, r[i].arm, r[i].runsc);
	if (anchor && rc == 0)
		rc = run_spec_add_arm(s, HISTORY_ANCHOR_ARM, anchor);
	return rc;
}

/* The number of chunks (>= 1) when `dir` holds a complete run whose
 * first chunk is this very spec (as run.json records it: arms, rounds,
 * order, knobs, and the budget: budget_s as the spec's, or absent in both)
 * and whose binaries still hash the same; else 0. *second_rounds gets the
 * second chunk's measured rounds when it has one warm-up round (-1
 * otherwise). */
static int run_reusable(const char *dir, const struct trev *r, size_t n, const struct run_spec *spec,
                        long *second_rounds)
{
	*second_rounds = -1;
	char *path = util_fmt("%s/run.json", dir);
	cJSON *run = util_path_exists(path) ? samples_run_load(path) : NULL;
	free(path);
	if (!run)
		return 0;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "status");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(run, "command");
	const cJSON *arms = cJSON_GetObjectItemCaseSensitive(run, "arms");
	const cJSON *budget = cJSON_GetObjectItemCaseSensitive(run, "budget_s");
	const cJSON *chunks = cJSON_GetObjectItemCaseSensitive(run, "chunks");
	cJSON *want = run_spec_command(spec);
	int ok = cJSON_IsString(st) && strcmp(st->valuestring, "complete") == 0 && cJSON_IsArray(arms) &&
	         cJSON_Compare(cmd, want, 1) &&
	         (spec->budget_s > 0 ? cJSON_IsNumber(budget) && budget->valuedouble == spec->budget_s
	                             : budget == NULL);
	cJSON_Delete(want);
	int nchunks = cJSON_IsArray(chunks) ? cJSON_GetArraySize(chunks) : 1;
	if (nchunks >= 2) {
		const cJSON *c2 = cJSON_GetArrayItem(chunks, 1);
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(c2, "iterations");
		const cJSON *wu = cJSON_GetObjectItemCaseSensitive(c2, "warmups");
		if (cJSON_IsNumber(it) && cJSON_IsNumber(wu) && wu->valuedouble == 1)
			*second_rounds = (long)it->valuedouble;
	}
	const cJSON *a = ok ? arms->child : NULL;
	for (size_t i = 0; i < n && ok; i++) {
		if (!r[i].runsc)
			continue;
		char sha[65];
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(a, "name");
		const cJSON *sh = cJSON_GetObjectItemCaseSensitive(a, "sha256");
		ok = a && cJSON_IsString(nm) && strcmp(nm->valuestring, r[i].arm) == 0 && cJSON_IsString(sh) &&
		     util_sha256_file(r[i].runsc, sha) == 0 && strcmp(sha, sh->valuestring) == 0;
		a = a ? a->next : NULL;
	}
	if (ok && a && strcmp(cJSON_GetObjectItemCaseSensitive(a, "name")->valuestring, HISTORY_ANCHOR_ARM) == 0)
		a = a->next; /* the anchor arm comes last */
	ok = ok && a == NULL;
	cJSON_Delete(run);
	return ok ? nchunks : 0;
}

static int run_all(const struct trend_opts *o, const struct run_spec *spec, const char *dir)
{
	if (o->rs.progress && !spec->append)
		fprintf(stderr, "gvab: trend: timing every built revision, %ld rounds (+%ld warm-up)%s in %s "
		                "order into %s\n", spec->iterations, spec->warmups,
		        o->budget_s > 0 ? ", the first chunk of --budget" : "", o->order, dir);
	/* The run's own answer lines go to a log beside it; trend prints its
	 * own table. The run happens in this process: SIGINT/SIGTERM stop it
	 * cleanly (knobs back, samples kept). */
	char *parent = util_xstrdup(dir);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	util_mkdir_p(parent, 0755);
	free(parent);
	struct run_outcome ro;
	int rc = runloop_run(spec, &ro);
	if (ro.saved && ro.ok_count > 0 && rc != GVAB_EINTR)
		answer_write_log(dir, PH_CORE);
	free(ro.out_dir);
	if (rc == GVAB_EINTR)
		rc = error_setc(GVAB_EINTR, "interrupted (run it again to time the revisions again)");
	else if (rc < 0)
		rc = error_wrap(rc, "gvab run (samples so far in %s)", dir);
	return rc;
}

/* The anchor's binary: --anchor PATH as given, or --anchor REF built like
 * the revisions (arm directory "anchor"). */
static int anchor_binary(const struct trend_opts *o, const char *arms_dir, char **out)
{
	*out = NULL;
	if (!o->anchor)
		return 0;
	if (util_path_exists(o->anchor) && !util_is_dir(o->anchor)) {
		*out = util_xstrdup(o->anchor);
		return 0;
	}
	struct trev a = {0};
	snprintf(a.ref, sizeof a.ref, "%s", o->anchor);
	snprintf(a.build, sizeof a.build, "%s", HISTORY_ANCHOR_ARM);
	int rc = build_one(o, arms_dir, &a);
	if (rc < 0)
		return error_wrap(rc == GVAB_EINTR ? rc : GVAB_EPRECOND, "--anchor %s", o->anchor);
	*out = a.runsc;
	return 0;
}

/* --db FILE: the run into the history (one transaction). */
static int add_to_history(const char *db_path, char *run_dir)
{
	struct history_db *db;
	struct history_add_stats st;
	int rc = history_open(db_path, &db);
	if (rc == 0) {
		rc = history_add(db, &run_dir, 1, &st);
		history_close(db);
	}
	if (rc == 0)
		fprintf(stderr, "gvab: trend: %s added to %s\n", run_dir, db_path);
	return rc < 0 ? error_wrap(rc, "--db %s", db_path) : 0;
}

/* ---- analysis ------------------------------------------------------------ */

/* Fills per-revision medians and one comparison per step (each revision
 * built against the previous built one), Holm over the steps. */
static int analyse(const struct trend_opts *o, const char *dir, int phase, struct trev *r, size_t n,
                   struct trend_step **steps_out, size_t *nsteps_out)
{
	struct run_analysis ra;
	int rc = analysis_load(dir, &ra);
	if (rc < 0)
		return rc;
	struct trend_step *steps = util_xcalloc(n, sizeof *steps);
	size_t ns = 0;
	for (size_t i = 0; i < n; i++) {
		r[i].arm_index = -1;
		for (size_t a = 0; a < ra.narms && r[i].runsc; a++)
			if (strcmp(ra.arms[a].name, r[i].arm) == 0)
				r[i].arm_index = (int)a;
		if (!r[i].runsc)
			continue;
		if (r[i].arm_index < 0) {
			rc = error_setc(GVAB_EDATA, "%s/samples.jsonl: field arm: no samples of %s", dir, r[i].arm);
			goto out;
		}
		const struct arm_stats *as = &ra.arms[r[i].arm_index];
		r[i].n_ok = as->n_ok;
		r[i].n_fail = as->n_fail;
		r[i].med = as->ph[phase].median;
		r[i].lo = r[i].hi = NAN;
		if (as->n_ok > 0)
			stats_median_ci(as->vals[phase], as->n_ok, 0.025, &r[i].lo, &r[i].hi);
	}
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	ao.alpha = o->rs.alpha;
	ao.threshold_pct = o->rs.threshold_pct;
	ao.phase_mask = 1u << phase;
	long prev = -1;
	for (size_t i = 0; i < n; i++) {
		if (r[i].arm_index < 0)
			continue;
		if (prev >= 0) {
			ao.baseline = r[prev].arm_index;
			analysis_compare(&ra, &ao);
			for (size_t k = 0; k < ra.ncmp; k++)
				if (ra.cmp[k].b == r[i].arm_index && ra.cmp[k].phase == phase) {
					steps[ns].from = (size_t)prev;
					steps[ns].to = i;
					steps[ns].c = ra.cmp[k];
					ns++;
				}
		}
		prev = (long)i;
	}
	/* The steps are one family: the library's Holm and Bonferroni-split
	 * intervals, applied to exactly these comparisons. */
	free(ra.cmp);
	ra.cmp = util_xcalloc(ns ? ns : 1, sizeof *ra.cmp);
	for (size_t s = 0; s < ns; s++)
		ra.cmp[s] = steps[s].c;
	ra.ncmp = ns;
	analysis_adjust(&ra, 1, &ao, ao.phase_mask);
	for (size_t s = 0; s < ns; s++)
		steps[s].c = ra.cmp[s];
	*steps_out = steps;
	*nsteps_out = ns;
	steps = NULL;
out:
	free(steps);
	analysis_free(&ra);
	return rc;
}

/* ---- the command ------------------------------------------------------------ */

/* Builds every revision not left out already; a build that fails leaves
 * its revision out with the reason. Two must build. */
static int build_all(const struct trend_opts *o, const char *arms, struct trev *r, size_t n)
{
	size_t built = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].note[0]) {
			fprintf(stderr, "gvab: trend: %s left out: %s\n", r[i].label, r[i].note);
			continue;
		}
		int b = build_one(o, arms, &r[i]);
		if (b == GVAB_EINTR)
			return b;
		if (b < 0) {
			free(r[i].runsc);
			r[i].runsc = NULL;
			snprintf(r[i].note, sizeof r[i].note, "does not build: %.370s", error_last());
			fprintf(stderr, "gvab: trend: %s left out: %s\n", r[i].label, r[i].note);
			continue;
		}
		built++;
	}
	if (built < 2)
		return error_setc(GVAB_EPRECOND, "%zu of %zu revisions built; a trend needs two", built, n);
	return 0;
}

void trend_budget_plan(const struct trend_opts *o, double rounds_per_min, struct trend_plan *p)
{
	memset(p, 0, sizeof *p);
	p->budget_s = o->budget_s;
	p->rounds_per_min = rounds_per_min;
	p->warmups = o->warmups;
	long cap = o->iterations_given ? o->iterations : TREND_BUDGET_MAX_ROUNDS;
	p->first = cap < TREND_BUDGET_FIRST ? cap : TREND_BUDGET_FIRST;
	double rounds = rounds_per_min > 0 ? floor(rounds_per_min * o->budget_s / 60) : 0;
	p->rounds = rounds > 1e9 ? 1000000000L : (long)rounds;
	/* The first chunk's warm-ups and rounds are spent; the append costs
	 * one warm-up round before its measured ones. */
	long added = p->rounds - p->warmups - p->first - 1;
	if (added < 0)
		added = 0;
	if (added > cap - p->first) {
		added = cap - p->first;
		p->capped = 1;
	}
	p->added = added;
}

/* The round rate of the run's first chunk: its cold boots up to where
 * the clock starts again (an --append's chunk), as gate_round_rate counts. */
static int first_chunk_rate(const char *dir, struct gate_rate *rate)
{
	struct run_analysis ra;
	memset(rate, 0, sizeof *rate);
	int rc = analysis_load(dir, &ra);
	if (rc < 0)
		return rc;
	struct samples_file first = ra.sf;
	int64_t last = INT64_MIN;
	size_t k = 0;
	for (; k < first.n; k++) {
		if (first.s[k].kind != BOOT_COLD)
			continue;
		if (first.s[k].t_ns < last)
			break;
		last = first.s[k].t_ns;
	}
	first.n = k;
	gate_rate_of_samples(&first, rate);
	analysis_free(&ra);
	return 0;
}

/* --budget: the first chunk (reused when run_dir holds it complete, with
 * the same budget), the plan from its rate, and the append the plan asks
 * for (reused when the run has it already: `chunks` 2 with
 * `second_rounds` the planned rounds). */
static int time_budgeted(const struct trend_opts *o, struct run_spec *spec, const char *run_dir, int chunks,
                         long second_rounds, struct trend_plan *plan)
{
	int rc, whole = 0;
	struct gate_rate rate;
	char bt[32];
	opt_duration_text(o->budget_s, bt, sizeof bt);
	if (chunks > 0) {
		if ((rc = first_chunk_rate(run_dir, &rate)) < 0)
			return rc;
		trend_budget_plan(o, rate.rounds_per_min, plan);
		whole = (chunks == 1 && plan->added == 0) ||
		        (chunks == 2 && plan->added > 0 && second_rounds == plan->added);
		if (!whole && chunks > 1)
			chunks = 0; /* chunks other than this plan's: timed again */
	}
	if (chunks == 0) {
		if ((rc = util_rm_rf(run_dir)) < 0 || (rc = run_all(o, spec, run_dir)) < 0 ||
		    (rc = first_chunk_rate(run_dir, &rate)) < 0)
			return rc;
		trend_budget_plan(o, rate.rounds_per_min, plan);
	}
	plan->rate_rounds = rate.rounds;
	plan->rate_span_s = rate.span_s;
	if (o->rs.progress)
		fprintf(stderr, "gvab: trend: budget %s: %.1f rounds per minute measured on the first chunk "
		                "(%.0f rounds in %.1f s of boots) allow %ld rounds: %ld measured rounds after "
		                "the first %ld%s%s\n",
		        bt, rate.rounds_per_min, rate.rounds, rate.span_s, plan->rounds, plan->added, plan->first,
		        plan->added > 0 ? " (one warm-up round first)" : "",
		        plan->capped ? " (--iterations caps it)" : "");
	if (whole) {
		if (o->rs.progress)
			fprintf(stderr, "gvab: trend: %s is a complete run of this command, budget %s and these "
			                "binaries; not timed again\n", run_dir, bt);
		return 0;
	}
	if (plan->added == 0)
		return 0;
	if (o->rs.progress)
		fprintf(stderr, "gvab: trend: appending %ld rounds to %s%s\n", plan->added, run_dir,
		        chunks == 1 ? " (its first chunk is complete; the append was not)" : "");
	spec->append = 1;
	spec->iterations = plan->added;
	spec->warmups = 1;
	spec->have_seed = 0;
	return run_all(o, spec, run_dir);
}

/* The one run of every built revision (and the anchor), unless run_dir
 * holds a complete run of this very spec already; with --budget, *plan
 * gets what the budget allowed. */
static int time_all(const struct trend_opts *o, const char *arms, const char *run_dir, const struct trev *r,
                    size_t n, struct trend_plan *plan)
{
	char *anchor = NULL;
	struct run_spec spec;
	run_spec_init(&spec);
	int rc = anchor_binary(o, arms, &anchor);
	if (rc == 0)
		rc = trend_spec(o, run_dir, r, n, anchor, &spec);
	long second_rounds = -1;
	int chunks = rc == 0 ? run_reusable(run_dir, r, n, &spec, &second_rounds) : 0;
	if (rc == 0 && o->budget_s > 0) {
		rc = time_budgeted(o, &spec, run_dir, chunks, second_rounds, plan);
	} else if (rc == 0 && chunks > 0) {
		if (o->rs.progress)
			fprintf(stderr, "gvab: trend: %s is a complete run of this command and these binaries; "
			                "not timed again\n", run_dir);
	} else if (rc == 0 && (rc = util_rm_rf(run_dir)) == 0) { /* incomplete, or of other binaries */
		rc = run_all(o, &spec, run_dir);
	}
	run_spec_free(&spec);
	free(anchor);
	return rc;
}

/* trend.md, trend.json and the chart; *md_out gets trend.md's text. */
static int write_outputs(const struct trend_opts *o, const struct trev *r, size_t n, const struct trend_step *st,
                         size_t ns, const struct trend_plan *plan, char **md_out)
{
	char *md = trend_markdown(o, r, n, st, ns, plan);
	if (!md)
		return error_set("formatting the table: %s", strerror(errno));
	*md_out = md;
	char *mdp = util_fmt("%s/trend.md", o->out_dir), *jp = util_fmt("%s/trend.json", o->out_dir);
	cJSON *doc = trend_json(o, r, n, st, ns, plan);
	int rc = util_write_file_atomic(mdp, md, strlen(md));
	if (rc == 0)
		rc = util_json_save(jp, doc);
	if (rc == 0)
		trend_write_chart(o, r, n, st, ns);
	cJSON_Delete(doc);
	free(mdp);
	free(jp);
	return rc;
}

int trend_run(const struct trend_opts *o, char **md_out)
{
	int phase = analysis_phase_index(o->rs.metric), rc;
	int module = strcmp(o->rs.source, "module") == 0 || strcmp(o->rs.source, MODSOURCE_MODULE) == 0;
	struct trev *r = NULL;
	struct trend_step *st = NULL;
	struct trend_plan plan = {0};
	size_t n = 0, ns = 0;
	*md_out = NULL;
	if (phase < 0)
		return error_setc(GVAB_EUSAGE, "--metric %s: not a phase (create, start, wait, delete, core, "
		                               "overall)", o->rs.metric);
	if ((o->refs && o->refs[0]) == (o->revisions_file != NULL))
		return error_setc(GVAB_EUSAGE, "give either --ref (two or more) or --revisions FILE");
	if ((o->from || o->to) && !o->revisions_file)
		return error_setc(GVAB_EUSAGE, "--from and --to pick lines of --revisions FILE");
	if (util_mkdir_p(o->out_dir, 0755) < 0)
		return GVAB_EFAIL;
	if ((rc = trend_collect(o, module, &r, &n)) < 0)
		return rc;
	if (o->rs.progress)
		fprintf(stderr, "gvab: trend: %zu revisions, %s to %s\n", n, r[0].label, r[n - 1].label);
	char *arms = o->arms_dir ? util_xstrdup(o->arms_dir) : util_fmt("%s/arms", o->out_dir);
	char *run_dir = util_fmt("%s/run", o->out_dir);
	if ((rc = build_all(o, arms, r, n)) == 0 && (rc = time_all(o, arms, run_dir, r, n, &plan)) == 0 &&
	    (rc = analyse(o, run_dir, phase, r, n, &st, &ns)) == 0 &&
	    (rc = write_outputs(o, r, n, st, ns, o->budget_s > 0 ? &plan : NULL, md_out)) == 0)
		rc = o->db ? add_to_history(o->db, run_dir) : 0;
	for (size_t i = 0; i < n; i++)
		free(r[i].runsc);
	free(r);
	free(st);
	free(arms);
	free(run_dir);
	return rc;
}
