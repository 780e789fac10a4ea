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
#include "history.h"
#include "modsource.h"
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
	int rc = schedule_parse_order(o->order, &s->order);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (r[i].runsc)
			rc = run_spec_add_arm(s, r[i].arm, r[i].runsc);
	if (anchor && rc == 0)
		rc = run_spec_add_arm(s, HISTORY_ANCHOR_ARM, anchor);
	return rc;
}

/* 1 when `dir` holds a complete run of this very spec (as run.json
 * records it: arms, rounds, order, knobs) whose binaries still hash the
 * same. */
static int run_reusable(const char *dir, const struct trev *r, size_t n, const struct run_spec *spec)
{
	char *path = util_fmt("%s/run.json", dir);
	cJSON *run = util_path_exists(path) ? samples_run_load(path) : NULL;
	free(path);
	if (!run)
		return 0;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "status");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(run, "command");
	const cJSON *arms = cJSON_GetObjectItemCaseSensitive(run, "arms");
	cJSON *want = run_spec_command(spec);
	int ok = cJSON_IsString(st) && strcmp(st->valuestring, "complete") == 0 && cJSON_IsArray(arms) &&
	         cJSON_Compare(cmd, want, 1);
	cJSON_Delete(want);
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
	return ok;
}

static int run_all(const struct trend_opts *o, const struct run_spec *spec, const char *dir)
{
	if (o->rs.progress)
		fprintf(stderr, "gvab: trend: timing every built revision, %ld rounds (+%ld warm-up) in %s "
		                "order into %s\n", o->iterations, o->warmups, o->order, dir);
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

/* The one run of every built revision (and the anchor), unless run_dir
 * holds a complete run of this very spec already. */
static int time_all(const struct trend_opts *o, const char *arms, const char *run_dir, const struct trev *r,
                    size_t n)
{
	char *anchor = NULL;
	struct run_spec spec;
	run_spec_init(&spec);
	int rc = anchor_binary(o, arms, &anchor);
	if (rc == 0)
		rc = trend_spec(o, run_dir, r, n, anchor, &spec);
	if (rc == 0 && run_reusable(run_dir, r, n, &spec)) {
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
                         size_t ns, char **md_out)
{
	char *md = trend_markdown(o, r, n, st, ns);
	if (!md)
		return error_set("formatting the table: %s", strerror(errno));
	*md_out = md;
	char *mdp = util_fmt("%s/trend.md", o->out_dir), *jp = util_fmt("%s/trend.json", o->out_dir);
	cJSON *doc = trend_json(o, r, n, st, ns);
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
	if ((rc = build_all(o, arms, r, n)) == 0 && (rc = time_all(o, arms, run_dir, r, n)) == 0 &&
	    (rc = analyse(o, run_dir, phase, r, n, &st, &ns)) == 0 &&
	    (rc = write_outputs(o, r, n, st, ns, md_out)) == 0)
		rc = o->db ? add_to_history(o->db, run_dir) : 0;
	for (size_t i = 0; i < n; i++)
		free(r[i].runsc);
	free(r);
	free(st);
	free(arms);
	free(run_dir);
	return rc;
}
