/* trend: see trend.h. */
#define _GNU_SOURCE
#include "trend.h"
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

struct trev {
	char ref[96];       /* what build --ref gets */
	char label[64];     /* shown: the ref as given, or the commit */
	char arm[64];       /* the run's arm name (label made a plain name) */
	char build[64];     /* the build's arm directory name */
	char commit[41];
	char master[41];
	char tree[41];      /* the commit's tree id (git), "" unknown */
	char subject[200];
	char how[512];      /* how a ref resolved (git) */
	char note[400];     /* why it was left out */
	char *runsc;        /* NULL: did not build */
	int arm_index;      /* index in the run's analysis, -1 none */
	size_t n_ok, n_fail;
	double med, lo, hi; /* metric p50 and its 95% CI, ms */
};

struct trend_step {
	size_t from, to;    /* indices into the revisions */
	struct comparison c;
};

static int arm_taken(const struct trev *r, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].arm, name) == 0)
			return 1;
	return 0;
}

/* A plain name ([A-Za-z0-9._-], as gvab run wants) for `s`, made unique
 * among the first `n` revisions' arm names. */
static void plain_name(const char *s, const struct trev *r, size_t n, char *out, size_t len)
{
	char base[48];
	size_t k = 0;
	for (; s[k] && k + 1 < sizeof base && k < 40; k++) {
		char ch = s[k];
		base[k] = (ch == '-' || ch == '_' || ch == '.' || (ch >= '0' && ch <= '9') ||
		           (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) ? ch : '_';
	}
	base[k] = '\0';
	if (k == 0)
		snprintf(base, sizeof base, "r");
	else if (base[0] == '.' || base[0] == '-')
		base[0] = 'r';
	snprintf(out, len, "%s", base);
	for (int dup = 2; arm_taken(r, n, out); dup++)
		snprintf(out, len, "%s-%d", base, dup);
}

/* ---- the revisions ------------------------------------------------------ */

static int resolve_git(const struct trend_opts *o, struct trev *r, size_t n)
{
	git_repository *repo = NULL;
	char *path = util_fmt("%s/gvisor.git", o->rs.cache_dir);
	int rc = source_open_cache(path, &repo);
	free(path);
	if (rc < 0)
		return rc;
	for (int pass = 0; pass < 2; pass++) {
		size_t ok = 0;
		for (size_t i = 0; i < n; i++) {
			struct source_resolution res;
			if ((rc = source_resolve_ref(repo, o->rs.source, r[i].ref, &res)) < 0) {
				if (pass == 1 || o->rs.offline) {
					error_wrap(rc, "%s %s", o->revisions_file ? o->revisions_file : "--ref",
					           r[i].label);
					goto out;
				}
				break;
			}
			struct source_commit sc;
			source_describe(repo, &res.commit, &sc);
			snprintf(r[i].commit, sizeof r[i].commit, "%s", sc.hex);
			snprintf(r[i].how, sizeof r[i].how, "%s", res.how);
			source_tree_id(repo, sc.hex, r[i].tree);
			if (!r[i].subject[0])
				snprintf(r[i].subject, sizeof r[i].subject, "%s", sc.subject);
			ok++;
		}
		if (ok == n)
			break;
		/* Something is not cached yet: fetch once, then resolve again. */
		unsigned got = 0;
		if (o->rs.progress)
			fprintf(stderr, "gvab: trend: fetching %s\n", o->rs.source);
		if ((rc = source_fetch(repo, o->rs.source, &got)) < 0) {
			error_wrap(GVAB_EPRECOND, "fetching gVisor");
			rc = GVAB_EPRECOND;
			goto out;
		}
	}
	rc = 0;
	/* Build by commit: the build then needs no fetch and no resolution. */
	for (size_t i = 0; i < n; i++)
		snprintf(r[i].ref, sizeof r[i].ref, "%s", r[i].commit);
out:
	source_close(repo);
	return rc;
}

static int collect(const struct trend_opts *o, int module, struct trev **out, size_t *nout)
{
	struct trev *r = NULL;
	size_t n = 0;
	int rc = 0;
	if (o->revisions_file) {
		struct bisect_revision *br = NULL;
		if ((rc = bisect_revisions_read(o->revisions_file, module, o->from, o->to, &br, &n)) < 0)
			return rc;
		if (n > TREND_MAX_REVISIONS) {
			free(br);
			return error_setc(GVAB_EUSAGE, "%s: %zu revisions from --from to --to; at most %d fit "
			                               "one run (narrow them with --from/--to)",
			                  o->revisions_file, n, TREND_MAX_REVISIONS);
		}
		r = util_xcalloc(n ? n : 1, sizeof *r);
		for (size_t i = 0; i < n; i++) {
			snprintf(r[i].ref, sizeof r[i].ref, "%s", br[i].id);
			snprintf(r[i].commit, sizeof r[i].commit, "%s", br[i].commit);
			snprintf(r[i].master, sizeof r[i].master, "%s", br[i].master);
			snprintf(r[i].subject, sizeof r[i].subject, "%s", br[i].subject);
			snprintf(r[i].label, sizeof r[i].label, "%.12s", br[i].commit);
		}
		free(br);
		/* Resolved (and fetched when the cache lacks one) like --ref, so
		 * the go branch the build checks each commit against is current. */
		if (!module && (rc = resolve_git(o, r, n)) < 0) {
			free(r);
			return rc;
		}
	} else {
		while (o->refs && o->refs[n])
			n++;
		if (n > TREND_MAX_REVISIONS)
			return error_setc(GVAB_EUSAGE, "%zu --ref; at most %d fit one run", n,
			                  TREND_MAX_REVISIONS);
		r = util_xcalloc(n ? n : 1, sizeof *r);
		for (size_t i = 0; i < n; i++) {
			if (strlen(o->refs[i]) >= sizeof r[i].ref || !o->refs[i][0]) {
				free(r);
				return error_setc(GVAB_EUSAGE, "--ref '%.40s...': empty or too long", o->refs[i]);
			}
			snprintf(r[i].ref, sizeof r[i].ref, "%s", o->refs[i]);
			size_t len = strlen(o->refs[i]);
			int hex = len >= 12 && strspn(o->refs[i], "0123456789abcdef") == len;
			/* a commit id shows as its first 12 digits */
			snprintf(r[i].label, sizeof r[i].label, "%.*s", hex ? 12 : 63, o->refs[i]);
		}
		if (!module && n >= 2 && (rc = resolve_git(o, r, n)) < 0) {
			free(r);
			return rc;
		}
	}
	if (n < 2) {
		free(r);
		return error_setc(GVAB_EUSAGE, "a trend needs at least two revisions (--ref R1 --ref R2 ..., "
		                               "or --revisions FILE)");
	}
	for (size_t i = 0; i < n; i++) {
		r[i].arm_index = -1;
		plain_name(r[i].label, r, i, r[i].arm, sizeof r[i].arm);
		/* Build names as bisect's (r-<12 hex>), so --arms can share them. */
		if (modsource_is_pseudo(r[i].ref))
			snprintf(r[i].build, sizeof r[i].build, "r-%.12s", r[i].ref + 22);
		else if (r[i].commit[0])
			snprintf(r[i].build, sizeof r[i].build, "r-%.12s", r[i].commit);
		else
			snprintf(r[i].build, sizeof r[i].build, "r-%s", r[i].arm);
		/* One tree builds one binary: measuring it against itself says
		 * nothing (176 old release tags resolve to one rebuilt go merge). */
		for (size_t j = 0; j < i && !r[i].note[0]; j++)
			if (strcmp(r[j].build, r[i].build) == 0 || (r[i].tree[0] && strcmp(r[j].tree, r[i].tree) == 0))
				snprintf(r[i].note, sizeof r[i].note, "the same %s as %s (%.12s): the same binary, not "
				         "measured against it", r[i].tree[0] ? "tree" : "revision", r[j].label,
				         r[i].tree[0] ? r[i].tree : r[i].build + 2);
	}
	*out = r;
	*nout = n;
	return 0;
}

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

/* ---- outputs --------------------------------------------------------------- */

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

static char *markdown(const struct trend_opts *o, const struct trev *r, size_t n,
                      const struct trend_step *st, size_t ns)
{
	char *md = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&md, &len);
	if (!f)
		return NULL;
	fprintf(f, "# gvab trend: %s p50 per revision, each against the previous\n\n", o->rs.metric);
	fprintf(f, "One interleaved run (`%s/run`, order %s, %ld rounds). Steps: the shift B - A "
	           "(Hodges-Lehmann of %s, paired by round) with its interval at %.3g%% per side "
	           "(alpha %.3g split over the %zu steps), Holm-adjusted p, verdict at threshold "
	           "%.3g%%.\n\n",
	        o->out_dir, o->order, o->iterations, o->rs.metric, ns ? 100.0 * o->rs.alpha / (double)ns : 0,
	        o->rs.alpha, ns, o->rs.threshold_pct);
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
		fprintf(f, "| %zu | `%s` | %s | %zu | %.2f [%.2f, %.2f] |", i + 1, lab, subj, r[i].n_ok,
		        r[i].med, r[i].lo, r[i].hi);
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
			fprintf(f, " %+.2f (%+.1f%%) | [%+.2f, %+.2f] | %.3g | %s |\n", c->shift_ms, pct,
			        c->shift_lo, c->shift_hi, p, verdict_mark(c->verdict));
		}
		free(subj);
		free(lab);
	}
	size_t changed = 0;
	for (size_t k = 0; k < ns; k++)
		changed += st[k].c.verdict == V_SLOWER || st[k].c.verdict == V_FASTER;
	fprintf(f, "\n%zu of %zu steps changed %s (faster or slower, family-wise alpha %.3g).\n", changed,
	        ns, o->rs.metric, o->rs.alpha);
	for (size_t k = 0; k < ns; k++)
		if (isinf(st[k].c.shift_lo) || isinf(st[k].c.shift_hi)) {
			fprintf(f, "\nSome intervals are unbounded: %ld rounds are too few for an interval at "
			           "%.3g%% per side; give more --iterations.\n", o->iterations,
			        100.0 * st[k].c.shift_tail);
			break;
		}
	fclose(f);
	return md;
}

static cJSON *json_doc(const struct trend_opts *o, const struct trev *r, size_t n,
                       const struct trend_step *st, size_t ns)
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
			if (!isnan(r[i].lo)) {
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
		cJSON_AddNumberToObject(x, "family_size", (double)c->family_size);
		cJSON_AddStringToObject(x, "verdict", verdict_name(c->verdict));
		cJSON_AddItemToArray(sa, x);
	}
	return doc;
}

static void write_chart(const struct trend_opts *o, const struct trev *r, size_t n,
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
		fprintf(f, "%zu %.3f %.3f %.3f \"%s\" %d\n", i, r[i].med, isnan(r[i].lo) ? r[i].med : r[i].lo,
		        isnan(r[i].hi) ? r[i].med : r[i].hi, lab, kind);
		free(lab);
		any = 1;
	}
	fclose(f);
	if (!any)
		return;
	char *metric = charts_gp_str(o->rs.metric, 1);
	char *body = util_fmt(
		"  set title \"gvab trend: %s p50 per revision (95%% CI), oldest first\"\n"
		"  set xlabel \"revision\"\n"
		"  set ylabel \"%s p50 (ms)\"\n"
		"  set grid ytics\n  set key top left\n  set xtics rotate by -45\n"
		"  set offsets 0.5, 0.5, 0, 0\n"
		"  plot \"trend.dat\" using 1:2 with lines lc rgb \"#999999\" notitle, \\\n"
		"       \"\" using 1:($6==0?$2:1/0):3:4:xtic(5) with yerrorbars pt 7 lc rgb \"#555555\" title \"neither faster nor slower (or first)\", \\\n"
		"       \"\" using 1:($6==1?$2:1/0):3:4 with yerrorbars pt 7 lc rgb \"#0072B2\" title \"faster than the previous\", \\\n"
		"       \"\" using 1:($6==2?$2:1/0):3:4 with yerrorbars pt 7 lc rgb \"#D55E00\" title \"slower than the previous\"\n",
		metric, metric);
	if (charts_script(o->out_dir, "trend", body, 900, 500) < 0)
		fprintf(stderr, "gvab: trend: chart: %s\n", error_last());
	free(body);
	free(metric);
}

/* ---- the command ------------------------------------------------------------ */

int trend_run(const struct trend_opts *o)
{
	int phase = analysis_phase_index(o->rs.metric), rc;
	int module = strcmp(o->rs.source, "module") == 0 || strcmp(o->rs.source, MODSOURCE_MODULE) == 0;
	struct trev *r = NULL;
	struct trend_step *st = NULL;
	size_t n = 0, ns = 0, built = 0;
	char *arms = NULL, *run_dir = NULL, *md = NULL, *mdp = NULL, *jp = NULL, *anchor = NULL;
	cJSON *doc = NULL;
	struct run_spec spec;
	run_spec_init(&spec);

	if (phase < 0)
		return error_setc(GVAB_EUSAGE, "--metric %s: not a phase (create, start, wait, delete, core, "
		                               "overall)", o->rs.metric);
	if ((o->refs && o->refs[0]) == (o->revisions_file != NULL))
		return error_setc(GVAB_EUSAGE, "give either --ref (two or more) or --revisions FILE");
	if ((o->from || o->to) && !o->revisions_file)
		return error_setc(GVAB_EUSAGE, "--from and --to pick lines of --revisions FILE");
	if (util_mkdir_p(o->out_dir, 0755) < 0)
		return GVAB_EFAIL;
	if ((rc = collect(o, module, &r, &n)) < 0)
		return rc;
	if (o->rs.progress)
		fprintf(stderr, "gvab: trend: %zu revisions, %s to %s\n", n, r[0].label, r[n - 1].label);

	arms = o->arms_dir ? util_xstrdup(o->arms_dir) : util_fmt("%s/arms", o->out_dir);
	for (size_t i = 0; i < n; i++) {
		if (r[i].note[0]) {
			fprintf(stderr, "gvab: trend: %s left out: %s\n", r[i].label, r[i].note);
			continue;
		}
		int b = build_one(o, arms, &r[i]);
		if (b == GVAB_EINTR) {
			rc = b;
			goto out;
		}
		if (b < 0) {
			free(r[i].runsc);
			r[i].runsc = NULL;
			snprintf(r[i].note, sizeof r[i].note, "does not build: %.370s", error_last());
			fprintf(stderr, "gvab: trend: %s left out: %s\n", r[i].label, r[i].note);
			continue;
		}
		built++;
	}
	if (built < 2) {
		rc = error_setc(GVAB_EPRECOND, "%zu of %zu revisions built; a trend needs two", built, n);
		goto out;
	}

	if ((rc = anchor_binary(o, arms, &anchor)) < 0)
		goto out;
	run_dir = util_fmt("%s/run", o->out_dir);
	run_spec_free(&spec);
	if ((rc = trend_spec(o, run_dir, r, n, anchor, &spec)) < 0)
		goto out;
	if (run_reusable(run_dir, r, n, &spec)) {
		if (o->rs.progress)
			fprintf(stderr, "gvab: trend: %s is a complete run of this command and these binaries; "
			                "not timed again\n", run_dir);
	} else {
		if ((rc = util_rm_rf(run_dir)) < 0) /* incomplete, or of other binaries or settings */
			goto out;
		if ((rc = run_all(o, &spec, run_dir)) < 0)
			goto out;
	}
	if ((rc = analyse(o, run_dir, phase, r, n, &st, &ns)) < 0)
		goto out;

	md = markdown(o, r, n, st, ns);
	if (!md) {
		rc = error_set("formatting the table: %s", strerror(errno));
		goto out;
	}
	fputs(md, stdout);
	fflush(stdout);
	mdp = util_fmt("%s/trend.md", o->out_dir);
	jp = util_fmt("%s/trend.json", o->out_dir);
	doc = json_doc(o, r, n, st, ns);
	if ((rc = util_write_file_atomic(mdp, md, strlen(md))) < 0 || (rc = util_json_save(jp, doc)) < 0)
		goto out;
	write_chart(o, r, n, st, ns);
	rc = o->db ? add_to_history(o->db, run_dir) : 0;
out:
	free(anchor);
	cJSON_Delete(doc);
	for (size_t i = 0; i < n; i++)
		free(r[i].runsc);
	free(r);
	free(st);
	free(arms);
	run_spec_free(&spec);
	free(run_dir);
	free(md);
	free(mdp);
	free(jp);
	return rc;
}
