/* bisect: see bisect.h. */
#define _GNU_SOURCE
#include "bisect.h"
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
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

enum rev_state { R_UNTESTED, R_GOOD, R_BAD, R_SKIP, R_UNDECIDED };
static const char *const state_names[] = {"untested", "good-like", "bad-like", "skipped", "undecided"};

struct rev {
	char id[96];        /* what build --ref gets */
	char commit[41];    /* go-branch commit (hex, possibly abbreviated) */
	char master[41];    /* the master commit a revisions file names, if any */
	char tree[41];      /* its tree id (git history), "" unknown */
	char subject[200];
	enum rev_state state;
	char note[400];
	int step;           /* step that measured it, -1 none */
	double med_ms, lo_ms, hi_ms; /* metric median and its CI in that step */
};

struct path {
	struct rev *r;
	size_t n;
	int have_history;
};

static void rev_label(const struct rev *r, char *buf, size_t len)
{
	if (modsource_is_pseudo(r->id))
		snprintf(buf, len, "%.12s", r->id + 22);
	else
		snprintf(buf, len, "%.12s", r->commit[0] ? r->commit : r->id);
}

/* ---- the path ---------------------------------------------------------- */

static int path_from_git(const struct bisect_opts *o, git_repository *repo, struct path *p)
{
	struct source_resolution rg, rb;
	int rc;
	if ((rc = source_resolve_ref(repo, o->rs.source, o->good, &rg)) < 0)
		return error_wrap(rc, "--good");
	if ((rc = source_resolve_ref(repo, o->rs.source, o->bad, &rb)) < 0)
		return error_wrap(rc, "--bad");
	struct source_commit *c = NULL;
	size_t n = 0;
	if ((rc = source_first_parent_path(repo, &rg.commit, &rb.commit, 100000, &c, &n)) < 0)
		return error_wrap(rc, "--good %s is not on the go branch's first-parent path behind --bad %s",
		                  o->good, o->bad);
	p->r = util_xcalloc(n, sizeof *p->r);
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		struct rev *r = &p->r[i];
		r->step = -1;
		snprintf(r->commit, sizeof r->commit, "%s", c[i].hex);
		snprintf(r->id, sizeof r->id, "%s", r->commit);
		snprintf(r->subject, sizeof r->subject, "%s", c[i].subject);
		source_tree_id(repo, r->commit, r->tree);
	}
	free(c);
	p->have_history = 1;
	if (p->r[0].tree[0] && strcmp(p->r[0].tree, p->r[n - 1].tree) == 0)
		return error_setc(GVAB_EUSAGE, "--good %s and --bad %s are the same tree (%.12s): one binary, "
		                  "nothing to bisect", o->good, o->bad, p->r[0].tree);
	return 0;
}

static int matches(const struct rev *r, const char *want)
{
	size_t n = strlen(want);
	if (strcmp(r->id, want) == 0)
		return 1;
	return n >= 7 && n <= 40 && strncmp(r->commit, want, n) == 0;
}

/* Lines: "<commit> [<pseudo-version> [<master commit> [<subject>]]]";
 * '#' starts a comment. The lines from `first` to `last` (NULL: the file's
 * first, last), which `first_opt` and `last_opt` name in messages. */
static int read_revisions(const char *file, int module, const char *first, const char *last,
                          const char *first_opt, const char *last_opt, struct path *p)
{
	char *text = util_read_file(file, NULL);
	if (!text)
		return error_wrap(GVAB_EUSAGE, "--revisions");
	size_t cap = 0;
	int lineno = 0, rc = 0;
	long gi = -1, bi = -1;
	for (char *l = text, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l || *l == '#')
			continue;
		char commit[64] = "", ver[96] = "", master[64] = "";
		int used = 0;
		int k = sscanf(l, "%63s %95s %63s %n", commit, ver, master, &used);
		size_t cn = strlen(commit);
		if (k < 1 || cn < 7 || cn > 40 || strspn(commit, "0123456789abcdef") != cn) {
			rc = error_setc(GVAB_EDATA, "%s:%d: want '<commit hex> [<pseudo-version> [<master commit> "
			                            "[<subject>]]]'", file, lineno);
			goto out;
		}
		if (k >= 2 && !modsource_is_pseudo(ver)) {
			rc = error_setc(GVAB_EDATA, "%s:%d: '%s' is not a pseudo-version v0.0.0-<time>-<12 hex>",
			                file, lineno, ver);
			goto out;
		}
		if (module && k < 2) {
			rc = error_setc(GVAB_EDATA, "%s:%d: a module source needs each line's pseudo-version",
			                file, lineno);
			goto out;
		}
		if (p->n == cap) {
			cap = cap ? cap * 2 : 64;
			p->r = util_xrealloc(p->r, cap * sizeof *p->r);
		}
		struct rev *r = &p->r[p->n++];
		memset(r, 0, sizeof *r);
		r->step = -1;
		snprintf(r->commit, sizeof r->commit, "%.40s", commit);
		snprintf(r->id, sizeof r->id, "%s", module ? ver : commit);
		if (k >= 3)
			snprintf(r->master, sizeof r->master, "%.40s", master);
		if (k >= 3 && used > 0) {
			const char *s = l + used;
			for (size_t i = 0; s[i] && i + 1 < sizeof r->subject; i++)
				r->subject[i] = (s[i] >= 32 && s[i] != 127) ? s[i] : '?';
		}
		if (gi < 0 && first && matches(r, first))
			gi = (long)p->n - 1;
		if (bi < 0 && last && matches(r, last))
			bi = (long)p->n - 1;
	}
	if (!first)
		gi = 0;
	if (!last)
		bi = (long)p->n - 1;
	if (gi < 0 || bi < 0) {
		rc = error_setc(GVAB_EUSAGE, "%s: %s '%s' is not in the list", file,
		                gi < 0 ? first_opt : last_opt, gi < 0 ? first : last);
		goto out;
	}
	if (gi >= bi) {
		rc = error_setc(GVAB_EUSAGE, "%s: %s (revision %ld) must come before %s (%ld)", file,
		                first_opt, gi + 1, last_opt, bi + 1);
		goto out;
	}
	memmove(p->r, p->r + gi, (size_t)(bi - gi + 1) * sizeof *p->r);
	p->n = (size_t)(bi - gi + 1);
out:
	free(text);
	return rc;
}

static int path_from_file(const struct bisect_opts *o, int module, struct path *p)
{
	return read_revisions(o->revisions_file, module, o->good, o->bad, "--good", "--bad", p);
}

int bisect_revisions_read(const char *file, int module, const char *first, const char *last,
                          struct bisect_revision **out, size_t *n)
{
	struct path p = {0};
	*out = NULL;
	*n = 0;
	int rc = read_revisions(file, module, first, last, "--from", "--to", &p);
	if (rc == 0) {
		*out = util_xcalloc(p.n ? p.n : 1, sizeof **out);
		for (size_t i = 0; i < p.n; i++) {
			struct bisect_revision *b = &(*out)[i];
			snprintf(b->id, sizeof b->id, "%s", p.r[i].id);
			snprintf(b->commit, sizeof b->commit, "%s", p.r[i].commit);
			snprintf(b->master, sizeof b->master, "%s", p.r[i].master);
			snprintf(b->subject, sizeof b->subject, "%s", p.r[i].subject);
		}
		*n = p.n;
	}
	free(p.r);
	return rc;
}

/* ---- state file -------------------------------------------------------- */

static cJSON *params_json(const struct bisect_opts *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "source", o->rs.source);
	cJSON_AddStringToObject(j, "good", o->good);
	cJSON_AddStringToObject(j, "bad", o->bad);
	cJSON_AddStringToObject(j, "revisions_file", o->revisions_file ? o->revisions_file : "");
	cJSON_AddStringToObject(j, "arm", o->rs.arm);
	cJSON_AddStringToObject(j, "metric", o->rs.metric);
	cJSON_AddNumberToObject(j, "threshold_pct", o->rs.threshold_pct);
	cJSON_AddNumberToObject(j, "alpha", o->rs.alpha);
	cJSON_AddNumberToObject(j, "iterations", (double)o->iterations);
	cJSON_AddNumberToObject(j, "looks", o->looks);
	return j;
}

static int state_save(const struct bisect_opts *o, const struct path *p, int steps,
                      const char *status, cJSON *answer)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "format", "gvab-bisect/1");
	cJSON_AddItemToObject(doc, "params", params_json(o));
	cJSON_AddStringToObject(doc, "status", status);
	cJSON_AddNumberToObject(doc, "steps", steps);
	cJSON *arr = cJSON_AddArrayToObject(doc, "path");
	for (size_t i = 0; i < p->n; i++) {
		const struct rev *r = &p->r[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", r->id);
		cJSON_AddStringToObject(x, "commit", r->commit);
		if (r->master[0])
			cJSON_AddStringToObject(x, "master_commit", r->master);
		cJSON_AddStringToObject(x, "subject", r->subject);
		cJSON_AddStringToObject(x, "state", state_names[r->state]);
		cJSON_AddStringToObject(x, "note", r->note);
		cJSON_AddNumberToObject(x, "step", r->step);
		if (r->step >= 0) {
			cJSON_AddNumberToObject(x, "median_ms", r->med_ms);
			cJSON_AddNumberToObject(x, "median_lo_ms", r->lo_ms);
			cJSON_AddNumberToObject(x, "median_hi_ms", r->hi_ms);
		}
		cJSON_AddItemToArray(arr, x);
	}
	if (answer)
		cJSON_AddItemReferenceToObject(doc, "answer", answer);
	char *path = util_fmt("%s/bisect.json", o->out_dir);
	int rc = util_json_save(path, doc);
	free(path);
	cJSON_Delete(doc);
	return rc;
}

/* Resumes: copies states of a saved bisect with the same parameters. */
static int state_load(const struct bisect_opts *o, struct path *p, int *steps)
{
	char *path = util_fmt("%s/bisect.json", o->out_dir);
	*steps = 0;
	if (!util_path_exists(path)) {
		free(path);
		return 0;
	}
	cJSON *doc = util_json_load(path), *want = params_json(o);
	int rc = 0;
	const cJSON *params = doc ? cJSON_GetObjectItemCaseSensitive(doc, "params") : NULL;
	const cJSON *arr = doc ? cJSON_GetObjectItemCaseSensitive(doc, "path") : NULL;
	if (!params || !cJSON_Compare(params, want, 1)) {
		rc = error_setc(GVAB_EUSAGE, "%s belongs to a bisect with other parameters (or is not one); "
		                             "use another --out", path);
		goto out;
	}
	if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != p->n) {
		rc = error_setc(GVAB_EDATA, "%s: field path: expected %zu revisions", path, p->n);
		goto out;
	}
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "steps");
	*steps = cJSON_IsNumber(st) && st->valuedouble >= 0 && st->valuedouble < 1e6 ? (int)st->valuedouble : 0;
	size_t i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, arr) {
		struct rev *r = &p->r[i];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, "state");
		if (!cJSON_IsString(id) || strcmp(id->valuestring, r->id) != 0 || !cJSON_IsString(s)) {
			rc = error_setc(GVAB_EDATA, "%s: field path[%zu]: not revision %s", path, i, r->id);
			goto out;
		}
		for (int k = 0; k < 5; k++)
			if (strcmp(s->valuestring, state_names[k]) == 0)
				r->state = (enum rev_state)k;
		const cJSON *note = cJSON_GetObjectItemCaseSensitive(x, "note");
		if (cJSON_IsString(note))
			snprintf(r->note, sizeof r->note, "%s", note->valuestring);
		const cJSON *stp = cJSON_GetObjectItemCaseSensitive(x, "step");
		if (cJSON_IsNumber(stp) && stp->valuedouble >= 0 && stp->valuedouble < 1e6) {
			r->step = (int)stp->valuedouble;
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(x, "median_ms");
			const cJSON *lo = cJSON_GetObjectItemCaseSensitive(x, "median_lo_ms");
			const cJSON *hi = cJSON_GetObjectItemCaseSensitive(x, "median_hi_ms");
			r->med_ms = cJSON_IsNumber(m) ? m->valuedouble : NAN;
			r->lo_ms = cJSON_IsNumber(lo) ? lo->valuedouble : NAN;
			r->hi_ms = cJSON_IsNumber(hi) ? hi->valuedouble : NAN;
		}
		i++;
	}
out:
	cJSON_Delete(doc);
	cJSON_Delete(want);
	free(path);
	return rc;
}

/* ---- building and running ---------------------------------------------- */

static int build_rev(const struct bisect_opts *o, const struct rev *r, char **runsc)
{
	char label[16];
	rev_label(r, label, sizeof label);
	char *name = util_fmt("r-%s", label), *arms = util_fmt("%s/arms", o->out_dir);
	struct build_opts bo = {.source = o->rs.source, .ref = r->id, .arm = o->rs.arm, .name = name,
	                        .patches_dir = o->rs.patches_dir, .series_dirs = o->rs.series_dirs,
	                        .out_dir = arms, .cache_dir = o->rs.cache_dir, .go = o->rs.go,
	                        .offline = o->rs.offline, .progress = o->rs.progress};
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: building %s (%s)\n", label, r->subject);
	int rc = build_arm(&bo, runsc);
	free(name);
	free(arms);
	return rc;
}

/* Runs one look of a step (appending after the first), in this process. */
static int run_look(const struct bisect_opts *o, const char *dir, int append, char *const bins[3])
{
	static const char *const names[3] = {"mid", "good", "bad"};
	struct run_spec spec;
	revision_run_spec(&o->rs, &spec);
	spec.out_dir = dir;
	spec.iterations = o->iterations;
	spec.warmups = append ? 1 : 2;
	/* abba with three arms never lets the middle one (good) lead a round,
	 * so a first-in-round effect would sit on one comparison only. */
	spec.order = ORDER_LATIN;
	spec.append = append;
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = run_spec_add_arm(&spec, names[i], bins[i]);
	/* The run's answer lines go to a log beside it, so bisect's output is
	 * bisect's. SIGINT/SIGTERM stop the run cleanly (knobs back). */
	char *parent = util_xstrdup(dir);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	util_mkdir_p(parent, 0755);
	free(parent);
	struct run_outcome ro = {0};
	if (rc == 0)
		rc = runloop_run(&spec, &ro);
	if (ro.saved && ro.ok_count > 0 && rc != GVAB_EINTR)
		answer_write_log(dir, PH_CORE);
	free(ro.out_dir);
	if (rc < 0 && rc != GVAB_EINTR)
		rc = error_wrap(rc, "gvab run");
	run_spec_free(&spec);
	return rc;
}

/* Verdicts of good (b=1) and bad (b=2) against mid (a=0) on `phase`, with
 * intervals at one-sided error `tail`; medians and CIs per arm; and the
 * ends' delta bad - good with its interval. */
struct look_result {
	enum verdict vs_good, vs_bad, ends;
	double med[3], lo[3], hi[3];
	double ends_ms, ends_lo, ends_hi, ends_pct;
	double good_mid_ms, good_mid_lo, good_mid_hi; /* good - mid, its interval */
	double pos, pos_lo, pos_hi;  /* where mid sits: 0 at good, 1 at bad */
	size_t pairs;
};

/* Where the middle revision sits between the ends, with an interval:
 * (mid - good) / (bad - good), from the interval of good - mid over the
 * ends' shift. A single change between the ends puts every revision at 0
 * or 1; the classification asks which half the interval is in, so a small
 * but significant difference from an end (a loaded host, a second small
 * change) does not make a revision undecided. */
/* -1 good-like, +1 bad-like, 0 undecided. One change between the ends puts
 * a revision at 0 or 1: it is good-like when its whole interval is below
 * one half and reaches down to the good end's neighbourhood (0.2), bad-like
 * when it is above one half and reaches up to 0.8. A revision whose interval
 * sits in between, clear of both ends (a change spread over several
 * merges), is undecided, never guessed. */
static int end_like(const struct look_result *lr)
{
	if (!isfinite(lr->pos_lo) || !isfinite(lr->pos_hi))
		return 0;
	if (lr->pos_hi < 0.5 && lr->pos_lo <= 0.2)
		return -1;
	if (lr->pos_lo > 0.5 && lr->pos_hi >= 0.8)
		return 1;
	return 0;
}

static void position(struct look_result *lr)
{
	double e = lr->ends_ms;
	lr->pos = lr->pos_lo = lr->pos_hi = NAN;
	if (!(fabs(e) > 0) || !isfinite(lr->good_mid_lo) || !isfinite(lr->good_mid_hi))
		return;
	double a = -lr->good_mid_ms / e, b = -lr->good_mid_hi / e, c = -lr->good_mid_lo / e;
	lr->pos = a;
	lr->pos_lo = b < c ? b : c;
	lr->pos_hi = b < c ? c : b;
}

static int analyse(const struct bisect_opts *o, const char *dir, int phase, double tail,
                   struct look_result *lr)
{
	struct run_analysis ra;
	int rc = analysis_load(dir, &ra);
	if (rc < 0)
		return rc;
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	ao.alpha = o->rs.alpha;
	ao.threshold_pct = o->rs.threshold_pct;
	ao.interval_alpha = tail;
	ao.phase_mask = 1u << phase;
	ao.baseline = 0;
	memset(lr, 0, sizeof *lr);
	lr->vs_good = lr->vs_bad = lr->ends = V_UNDECIDED;
	analysis_compare(&ra, &ao);
	analysis_adjust(&ra, 1, &ao, ao.phase_mask);
	for (size_t i = 0; i < ra.ncmp; i++) {
		const struct comparison *c = &ra.cmp[i];
		if (c->phase != phase)
			continue;
		if (c->b == 1) {
			lr->vs_good = c->verdict;
			lr->good_mid_ms = c->shift_ms;
			lr->good_mid_lo = c->shift_lo;
			lr->good_mid_hi = c->shift_hi;
		}
		if (c->b == 2) {
			lr->vs_bad = c->verdict;
			lr->pairs = c->npairs;
		}
	}
	for (size_t a = 0; a < ra.narms && a < 3; a++) {
		const struct arm_stats *as = &ra.arms[a];
		lr->med[a] = as->ph[phase].median;
		stats_median_ci(as->vals[phase], as->n_ok, 0.025, &lr->lo[a], &lr->hi[a]);
	}
	/* The ends against each other: bad - good. */
	free(ra.cmp);
	ra.cmp = NULL;
	ra.ncmp = 0;
	ao.baseline = 1;
	analysis_compare(&ra, &ao);
	analysis_adjust(&ra, 1, &ao, ao.phase_mask);
	for (size_t i = 0; i < ra.ncmp; i++) {
		const struct comparison *c = &ra.cmp[i];
		if (c->phase == phase && c->b == 2) {
			lr->ends = c->verdict;
			lr->ends_ms = c->shift_ms;
			lr->ends_lo = c->shift_lo;
			lr->ends_hi = c->shift_hi;
			lr->ends_pct = c->med_a > 0 ? 100.0 * c->shift_ms / c->med_a : 0;
		}
	}
	analysis_free(&ra);
	return 0;
}

static int significant(enum verdict v)
{
	return v == V_FASTER || v == V_SLOWER;
}

/* The verdicts compare an end (B) with the middle revision (A); notes say
 * how the middle compares with the end, so "faster" and "slower" swap. */
static const char *mid_vs(enum verdict v)
{
	return verdict_name(v == V_FASTER ? V_SLOWER : v == V_SLOWER ? V_FASTER : v);
}

/* ---- outputs ----------------------------------------------------------- */

static void write_chart(const struct bisect_opts *o, const struct path *p)
{
	char *dat = util_fmt("%s/bisect.dat", o->out_dir);
	FILE *f = fopen(dat, "w");
	if (!f) {
		free(dat);
		return;
	}
	int any = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct rev *r = &p->r[i];
		if (r->step < 0 || isnan(r->med_ms))
			continue;
		char label[16];
		rev_label(r, label, sizeof label);
		fprintf(f, "%zu %.3f %.3f %.3f \"%s\" %d\n", i, r->med_ms, r->lo_ms, r->hi_ms, label,
		        r->state == R_BAD ? 2 : r->state == R_GOOD ? 1 : 0);
		any = 1;
	}
	fclose(f);
	if (any) {
		char *metric = charts_gp_str(o->rs.metric, 1);
		char *body = util_fmt(
			"  set title \"gvab bisect: %s p50 along the go-branch path (95%% CI)\"\n"
			"  set xlabel \"revision (position on the path, oldest first)\"\n"
			"  set ylabel \"%s p50 (ms)\"\n"
			"  set grid ytics\n  set key top right\n  set xtics rotate by -45\n"
			"  set offsets 0.5, 0.5, 0, 0\n"
			"  plot \"bisect.dat\" using 1:($6==1?$2:1/0):3:4:xtic(5) with yerrorbars pt 7 lc rgb \"#0072B2\" title \"good-like\", \\\n"
			"       \"\" using 1:($6==2?$2:1/0):3:4 with yerrorbars pt 7 lc rgb \"#D55E00\" title \"bad-like\", \\\n"
			"       \"\" using 1:($6==0?$2:1/0):3:4 with yerrorbars pt 6 lc rgb \"#999999\" title \"undecided\"\n",
			metric, metric);
		if (charts_script(o->out_dir, "bisect", body, 900, 500) < 0)
			fprintf(stderr, "gvab: bisect: chart: %s\n", error_last());
		free(body);
		free(metric);
	}
	free(dat);
}

/* bisect.md: the summary, then every revision of the path with what was
 * found about it. */
static void write_markdown(const struct bisect_opts *o, const struct path *p, const char *summary,
                           const char *status)
{
	char *path = util_fmt("%s/bisect.md", o->out_dir), *md = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&md, &len);
	if (!f) {
		free(path);
		return;
	}
	fprintf(f, "# gvab bisect: %s from %s to %s (%s)\n\n```\n%s```\n\n", o->rs.metric, o->good, o->bad,
	        status, summary);
	fprintf(f, "| # | revision | subject | state | step | %s p50 ms [95%% CI] | note |\n", o->rs.metric);
	fprintf(f, "|---:|---|---|---|---:|---|---|\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct rev *r = &p->r[i];
		char label[16], subj[sizeof r->subject], note[sizeof r->note];
		rev_label(r, label, sizeof label);
		snprintf(subj, sizeof subj, "%s", r->subject);
		snprintf(note, sizeof note, "%s", r->note);
		for (char *c = subj; *c; c++)
			*c = *c == '|' ? '/' : *c;
		for (char *c = note; *c; c++)
			*c = *c == '|' ? '/' : *c;
		fprintf(f, "| %zu | `%s` | %s | %s |", i, label, subj, state_names[r->state]);
		if (r->step >= 0 && !isnan(r->med_ms))
			fprintf(f, " %d | %.2f [%.2f, %.2f] |", r->step, r->med_ms, r->lo_ms, r->hi_ms);
		else
			fprintf(f, " | |");
		fprintf(f, " %s |\n", note);
	}
	fclose(f);
	if (util_write_file_atomic(path, md, len) < 0)
		fprintf(stderr, "gvab: bisect: %s\n", error_last());
	free(md);
	free(path);
}

/* The master commits a go merge brought (git history only). */
static void merge_brings(git_repository *repo, const char *merge_hex, cJSON *list)
{
	struct source_commit *c = NULL;
	size_t n = 0;
	source_merge_brings(repo, merge_hex, 200, &c, &n);
	for (size_t k = 0; k < n; k++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "commit", c[k].hex);
		cJSON_AddStringToObject(x, "subject", c[k].subject);
		cJSON_AddItemToArray(list, x);
	}
	free(c);
}

/* The ends' figures (good first, bad last on the path) from a look. */
static void ends_from_look(struct path *p, int step, const struct look_result *lr)
{
	for (int e = 1; e < 3; e++) {
		struct rev *er = &p->r[e == 1 ? 0 : p->n - 1];
		er->step = step;
		er->med_ms = lr->med[e];
		er->lo_ms = lr->lo[e];
		er->hi_ms = lr->hi[e];
	}
}

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
static int same_tree_as_end(const struct bisect_opts *o, struct path *p, long mid, long lo, long hi)
{
	struct rev *r = &p->r[mid];
	const struct rev *e = !r->tree[0] ? NULL : strcmp(r->tree, p->r[lo].tree) == 0 ? &p->r[lo]
	                      : strcmp(r->tree, p->r[hi].tree) == 0 ? &p->r[hi] : NULL;
	if (!e)
		return 0;
	r->state = e->state;
	snprintf(r->note, sizeof r->note, "the same tree as %.12s (%.12s): its binary, %s without a measurement",
	         e->commit, r->tree, state_names[e->state]);
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: %.12s not measured: %s\n", r->commit, r->note);
	return 1;
}

int bisect_run(const struct bisect_opts *o)
{
	int rc = GVAB_EFAIL, steps = 0, phase = analysis_phase_index(o->rs.metric);
	int module = strcmp(o->rs.source, "module") == 0 || strcmp(o->rs.source, MODSOURCE_MODULE) == 0;
	struct path p = {0};
	git_repository *repo = NULL;
	char *repo_path = NULL, *bins[3] = {NULL, NULL, NULL};
	cJSON *answer = NULL;
	double *look_alpha = NULL;
	long *look_n = NULL;

	if (phase < 0)
		return error_setc(GVAB_EUSAGE, "--metric %s: not a phase (create, start, wait, delete, core, "
		                               "overall)", o->rs.metric);
	if (module && !o->revisions_file)
		return error_setc(GVAB_EUSAGE, "a module source has no history: pass --revisions FILE, an "
		                               "ordered list of go-branch commits and pseudo-versions");
	if (util_mkdir_p(o->out_dir, 0755) < 0)
		return GVAB_EFAIL;

	/* The path. */
	repo_path = util_fmt("%s/gvisor.git", o->rs.cache_dir);
	if (!module) {
		if ((rc = source_open_cache(repo_path, &repo)) < 0)
			goto out;
		if (!o->rs.offline) {
			unsigned got = 0;
			if (o->rs.progress)
				fprintf(stderr, "gvab: bisect: fetching %s\n", o->rs.source);
			if ((rc = source_fetch(repo, o->rs.source, &got)) < 0) {
				error_wrap(rc, "fetching gVisor");
				goto out;
			}
		}
	}
	rc = o->revisions_file ? path_from_file(o, module, &p) : path_from_git(o, repo, &p);
	if (rc < 0)
		goto out;
	if (p.n < 2) {
		rc = error_setc(GVAB_EUSAGE, "--good and --bad name the same revision");
		goto out;
	}
	if ((rc = state_load(o, &p, &steps)) < 0)
		goto out;
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: %zu revisions from %s to %s (about %d steps)\n", p.n, o->good,
		        o->bad, (int)ceil(log2((double)(p.n > 2 ? p.n - 1 : 1))));
	p.r[0].state = R_GOOD;
	p.r[p.n - 1].state = R_BAD;

	/* Both ends must build; they are in every step's run. */
	if ((rc = build_rev(o, &p.r[0], &bins[1])) < 0 || (rc = build_rev(o, &p.r[p.n - 1], &bins[2])) < 0) {
		error_wrap(rc == GVAB_EUSAGE ? rc : GVAB_EPRECOND, "an end of the path does not build");
		rc = rc == GVAB_EUSAGE ? rc : GVAB_EPRECOND;
		goto out;
	}

	look_alpha = util_xcalloc((size_t)o->looks, sizeof *look_alpha);
	look_n = util_xcalloc((size_t)o->looks, sizeof *look_n);
	for (int j = 0; j < o->looks; j++)
		look_n[j] = (j + 1) * o->iterations;
	if (o->looks > 1)
		verdict_sequential_alphas(look_n, o->looks, o->rs.alpha, look_alpha);
	else
		look_alpha[0] = o->rs.alpha;

	const char *status = "running";
	struct look_result last_ends = {0};
	int have_ends = 0;
	for (;;) {
		long lo, hi, mid = next_mid(&p, &lo, &hi);
		if (mid < 0) {
			status = "done";
			break;
		}
		if (o->max_steps > 0 && steps >= o->max_steps) {
			status = "stopped (--max-steps)";
			break;
		}
		if (same_tree_as_end(o, &p, mid, lo, hi)) {
			state_save(o, &p, steps, "running", NULL);
			continue;
		}
		struct rev *r = &p.r[mid];
		char label[16];
		rev_label(r, label, sizeof label);
		free(bins[0]);
		bins[0] = NULL;
		int b = build_rev(o, r, &bins[0]);
		if (b == GVAB_EINTR) {
			rc = b;
			goto out;
		}
		if (b < 0) {
			r->state = R_SKIP;
			snprintf(r->note, sizeof r->note, "does not build: %.360s", error_last());
			if (o->rs.progress)
				fprintf(stderr, "gvab: bisect: %s skipped: %s\n", label, r->note);
			state_save(o, &p, steps, "running", NULL);
			continue;
		}
		char *dir = util_fmt("%s/steps/%02d-%s", o->out_dir, steps + 1, label);
		util_rm_rf(dir); /* a step interrupted earlier starts again */
		struct look_result lr;
		int decided = 0;
		for (int j = 0; j < o->looks && !decided; j++) {
			if (o->rs.progress)
				fprintf(stderr, "gvab: bisect: step %d, %s: look %d/%d, %ld rounds of mid/good/bad\n",
				        steps + 1, label, j + 1, o->looks, o->iterations);
			if ((rc = run_look(o, dir, j > 0, bins)) < 0) {
				if (rc == GVAB_EINTR) {
					free(dir);
					goto out;
				}
				break;
			}
			if ((rc = analyse(o, dir, phase, look_alpha[j], &lr)) < 0)
				break;
			position(&lr);
			decided = significant(lr.ends) && (end_like(&lr) != 0);
		}
		steps++;
		if (rc < 0) {
			r->state = R_SKIP;
			snprintf(r->note, sizeof r->note, "did not boot or measure: %.360s", error_last());
			rc = 0;
		} else {
			r->step = steps;
			r->med_ms = lr.med[0];
			r->lo_ms = lr.lo[0];
			r->hi_ms = lr.hi[0];
			ends_from_look(&p, steps, &lr);
			last_ends = lr;
			have_ends = 1;
			int classified = 0;
			for (size_t i = 1; i + 1 < p.n; i++)
				classified |= p.r[i].state == R_GOOD || p.r[i].state == R_BAD;
			if (!significant(lr.ends) && classified) {
				/* Noise in this run; earlier runs told the ends apart. */
				r->state = R_UNDECIDED;
				snprintf(r->note, sizeof r->note,
				         "the ends did not differ in this step's run (%s); not classified",
				         verdict_name(lr.ends));
				if (o->rs.progress)
					fprintf(stderr, "gvab: bisect: %s undecided: %s\n", label, r->note);
				free(dir);
				state_save(o, &p, steps, "running", NULL);
				continue;
			}
			if (!significant(lr.ends)) {
				state_save(o, &p, steps, "ends do not differ", NULL);
				rc = error_setc(GVAB_EDATA,
				                "good and bad do not differ on %s in step %d (%s, bad - good %+.1f ms "
				                "[%+.1f, %+.1f]): nothing to bisect at this threshold and n",
				                o->rs.metric, steps, verdict_name(lr.ends), lr.ends_ms, lr.ends_lo,
				                lr.ends_hi);
				free(dir);
				goto out;
			}
			int side = end_like(&lr);
			r->state = side < 0 ? R_GOOD : side > 0 ? R_BAD : R_UNDECIDED;
			snprintf(r->note, sizeof r->note,
			         "%s p50 %.1f ms (good %.1f, bad %.1f); position between the ends %.2f "
			         "[%.2f, %.2f] (0 good, 1 bad); against good: %s, against bad: %s; %zu pairs; run %s",
			         o->rs.metric, lr.med[0], lr.med[1], lr.med[2], lr.pos, lr.pos_lo, lr.pos_hi,
			         mid_vs(lr.vs_good), mid_vs(lr.vs_bad), lr.pairs, dir);
		}
		if (o->rs.progress)
			fprintf(stderr, "gvab: bisect: %s is %s: %s\n", label, state_names[r->state], r->note);
		free(dir);
		state_save(o, &p, steps, "running", NULL);
	}

	/* Nothing between the ends could be measured (every middle revision
	 * skipped): one run of the ends alone still says how far apart they
	 * are, so the range comes with its delta. */
	if (!have_ends && strcmp(status, "done") == 0) {
		char *dir = util_fmt("%s/steps/ends", o->out_dir);
		char *ends_bins[3] = {bins[1], bins[1], bins[2]};
		util_rm_rf(dir);
		if (o->rs.progress)
			fprintf(stderr, "gvab: bisect: no middle revision could be measured; timing the ends\n");
		struct look_result lr;
		if ((rc = run_look(o, dir, 0, ends_bins)) == 0 && (rc = analyse(o, dir, phase, o->rs.alpha, &lr)) == 0) {
			last_ends = lr;
			have_ends = 1;
			ends_from_look(&p, steps, &lr);
		}
		free(dir);
		if (rc == GVAB_EINTR)
			goto out;
		rc = 0;
	}

	/* The answer: the first bad-like revision after the last good-like
	 * one, and whatever could not be decided between them. */
	long lo, hi;
	next_mid(&p, &lo, &hi);
	answer = cJSON_CreateObject();
	const struct rev *fb = &p.r[hi];
	cJSON_AddStringToObject(answer, "first_bad", fb->id);
	cJSON_AddStringToObject(answer, "first_bad_commit", fb->commit);
	cJSON_AddStringToObject(answer, "first_bad_subject", fb->subject);
	cJSON_AddStringToObject(answer, "last_good", p.r[lo].id);
	cJSON *between = cJSON_AddArrayToObject(answer, "unresolved_between");
	for (long i = lo + 1; i < hi; i++)
		cJSON_AddItemToArray(between, cJSON_CreateString(p.r[i].id));
	cJSON_AddBoolToObject(answer, "exact", hi == lo + 1);
	cJSON *brings = cJSON_AddArrayToObject(answer, "master_commits");
	if (p.have_history)
		merge_brings(repo, fb->commit, brings);
	else if (fb->master[0]) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "commit", fb->master);
		cJSON_AddStringToObject(x, "subject", fb->subject);
		cJSON_AddItemToArray(brings, x);
	}
	if (have_ends) {
		cJSON_AddStringToObject(answer, "metric", o->rs.metric);
		cJSON_AddNumberToObject(answer, "delta_ms", last_ends.ends_ms);
		cJSON_AddNumberToObject(answer, "delta_lo_ms", last_ends.ends_lo);
		cJSON_AddNumberToObject(answer, "delta_hi_ms", last_ends.ends_hi);
		cJSON_AddNumberToObject(answer, "delta_pct", last_ends.ends_pct);
		cJSON_AddStringToObject(answer, "delta_is", "bad - good, from the last step's run");
	}
	cJSON_AddStringToObject(answer, "status", status);
	state_save(o, &p, steps, status, answer);
	write_chart(o, &p);

	/* The summary goes to stdout and opens bisect.md. */
	char *sum = NULL;
	size_t sumlen = 0;
	FILE *sf = open_memstream(&sum, &sumlen);
	if (!sf) {
		rc = error_set("open_memstream: %s", strerror(errno));
		goto out;
	}
	char flabel[16], glabel[16];
	rev_label(fb, flabel, sizeof flabel);
	rev_label(&p.r[lo], glabel, sizeof glabel);
	if (hi == lo + 1)
		fprintf(sf, "first bad: %s %s\n", flabel, fb->subject);
	else
		fprintf(sf, "first bad: one of %ld revisions after %s up to %s (%s; skipped or undecided between)\n",
		        hi - lo, glabel, flabel, fb->subject);
	cJSON *x;
	cJSON_ArrayForEach(x, brings)
		fprintf(sf, "  brings %.12s %s\n", cJSON_GetObjectItem(x, "commit")->valuestring,
		        cJSON_GetObjectItem(x, "subject")->valuestring);
	if (have_ends)
		fprintf(sf, "%s: bad - good %+.1f ms (%+.1f%%) [%+.1f, %+.1f]; %d steps; %s/bisect.json\n",
		        o->rs.metric, last_ends.ends_ms, last_ends.ends_pct, last_ends.ends_lo, last_ends.ends_hi,
		        steps, o->out_dir);
	fclose(sf);
	fputs(sum, stdout);
	write_markdown(o, &p, sum, status);
	free(sum);
	rc = strcmp(status, "done") == 0 ? 0 : 3;
out:
	if (rc < 0 && p.n)
		state_save(o, &p, steps, rc == GVAB_EINTR ? "interrupted" : "failed", NULL);
	cJSON_Delete(answer);
	for (int i = 0; i < 3; i++)
		free(bins[i]);
	free(look_alpha);
	free(look_n);
	free(p.r);
	free(repo_path);
	source_close(repo);
	return rc;
}
