/* history_arms: a run's arms with their provenance, and per arm and metric
 * the figures (n, p50 and its interval; the ratio to the run's anchor with
 * its interval) and the run's own comparisons, into the history. */
#define _GNU_SOURCE
#include "history_int.h"
#include "analysis.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *history_json_str(const cJSON *o, const char *k);

/* Revision label and go-branch order key of an arm's provenance (see
 * history.h); variant: the applied patch series other than compat-*. */
static void arm_revision(const cJSON *arm, const char *started, int idx, char *label, size_t llen,
                         char *key, size_t klen, char **variant, char **patches)
{
	const cJSON *prov = cJSON_GetObjectItemCaseSensitive(arm, "provenance");
	const cJSON *src = prov ? cJSON_GetObjectItemCaseSensitive(prov, "source") : NULL;
	const char *kind = history_json_str(src, "kind");
	const char *mv = history_json_str(src, "module_version");
	const char *dv = history_json_str(src, "debian_version");
	*variant = util_xstrdup("");
	*patches = util_xstrdup("");
	/* A run's start as digits and the arm's place in it: the order of
	 * revisions known only by commit (trend and bisect list arms oldest
	 * first). */
	char digits[40] = "";
	size_t k = 0;
	for (const char *c = started; *c && k + 4 < sizeof digits; c++)
		if (isdigit((unsigned char)*c))
			digits[k++] = *c;
	snprintf(digits + k, sizeof digits - k, ".%02d", idx % 100);
	if (!prov) {
		snprintf(label, llen, "%s", history_json_str(arm, "name"));
		snprintf(key, klen, "%s", digits);
		free(*variant);
		*variant = util_xstrdup("unbuilt");
		return;
	}
	if (strcmp(kind, "module") == 0 && mv[0]) {
		snprintf(label, llen, "%s", mv);
		const char *dash = strchr(mv, '-');
		/* v0.0.0-YYYYMMDDhhmmss-commit: the timestamp orders the go branch. */
		snprintf(key, klen, "%.14s", dash && strlen(dash) > 15 ? dash + 1 : mv);
	} else if (strcmp(kind, "debian") == 0 && dv[0]) {
		snprintf(label, llen, "debian-%s", dv);
		const char *t = strchr(dv, '~');
		snprintf(key, klen, "%.8s000000", t ? t + 1 : dv);
	} else {
		snprintf(label, llen, "%.12s", history_json_str(prov, "resolved_commit"));
		snprintf(key, klen, "%s", digits);
	}
	const cJSON *s, *p;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(prov, "series")) {
		const char *sname = history_json_str(s, "name");
		int applied = 0;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "patches")) {
			const char *st = history_json_str(p, "status");
			applied |= strcmp(st, "applied") == 0;
			char *n = util_fmt("%s%s%s/%s:%s", *patches, **patches ? " " : "", sname,
			                   history_json_str(p, "name"), st);
			free(*patches);
			*patches = n;
		}
		if (applied && strncmp(sname, "compat-", 7) != 0) {
			char *n = util_fmt("%s%s%s", *variant, **variant ? "+" : "", sname);
			free(*variant);
			*variant = n;
		}
	}
	if (**variant) {
		size_t l = strlen(label);
		snprintf(label + l, llen - l, "+%s", *variant);
	}
}

int history_add_arms(struct history_db *db, const struct run_analysis *ra, const char *run_id,
                     int *anchor_idx, char anchor_sha[65])
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "INSERT INTO arms VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", &st);
	if (rc < 0)
		return rc;
	const char *started = history_json_str(ra->run, "started_at");
	const cJSON *arm;
	int i = 0;
	*anchor_idx = -1;
	anchor_sha[0] = '\0';
	cJSON_ArrayForEach(arm, cJSON_GetObjectItemCaseSensitive(ra->run, "arms")) {
		char label[160], key[40];
		char *variant, *patches;
		arm_revision(arm, started, i, label, sizeof label, key, sizeof key, &variant, &patches);
		const char *name = history_json_str(arm, "name");
		int is_anchor = strcmp(name, HISTORY_ANCHOR_ARM) == 0;
		if (is_anchor) {
			*anchor_idx = i;
			snprintf(anchor_sha, 65, "%s", history_json_str(arm, "sha256"));
			if (!anchor_sha[0])
				snprintf(anchor_sha, 65, "unknown");
		}
		const cJSON *prov = cJSON_GetObjectItemCaseSensitive(arm, "provenance");
		const cJSON *src = prov ? cJSON_GetObjectItemCaseSensitive(prov, "source") : NULL;
		const cJSON *go = prov ? cJSON_GetObjectItemCaseSensitive(prov, "go") : NULL;
		const char *commit = history_json_str(src, "go_branch_commit");
		if (!commit[0])
			commit = history_json_str(prov, "resolved_commit");
		const char *kind = prov ? history_json_str(src, "kind") : "binary";
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, i);
		const char *t[] = {name, label, key, variant, kind, commit,
		                   history_json_str(src, "module_version"), patches,
		                   history_json_str(go, "version"), history_json_str(arm, "sha256")};
		for (int j = 0; j < 10; j++)
			sqlite3_bind_text(st, j + 3, t[j], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 13, is_anchor);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = error_setc(GVAB_EDATA, "%s: %s", db->path, sqlite3_errmsg(db->db));
		free(variant);
		free(patches);
		if (rc < 0)
			break;
		i++;
	}
	sqlite3_finalize(st);
	return rc;
}

struct fig_ctx {
	struct history_db *db;
	sqlite3_stmt *st;
	const char *run_id;
};

/* One figure row: n, p50 and its 95% order-statistic interval of `v`;
 * the ratio to the anchor when `ratio` is given (else NULL). */
static int put_figure(struct fig_ctx *c, int arm, const char *metric, const double *v, size_t n,
                      const double *ratio)
{
	if (n == 0)
		return 0;
	double lo, hi;
	stats_median_ci(v, n, 0.025, &lo, &hi);
	sqlite3_stmt *st = c->st;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, c->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, arm);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)n);
	sqlite3_bind_double(st, 5, stats_median(v, n));
	/* An interval that cannot reach 95% with so few values is infinite
	 * (stats.h); SQLite stores no infinity, so it is NULL-free: the p50. */
	sqlite3_bind_double(st, 6, isfinite(lo) ? lo : stats_median(v, n));
	sqlite3_bind_double(st, 7, isfinite(hi) ? hi : stats_median(v, n));
	for (int j = 0; j < 3; j++)
		if (ratio && isfinite(ratio[j]))
			sqlite3_bind_double(st, 8 + j, ratio[j]);
		else
			sqlite3_bind_null(st, 8 + j);
	if (sqlite3_step(st) != SQLITE_DONE)
		return error_setc(GVAB_EDATA, "%s: %s", c->db->path, sqlite3_errmsg(c->db->db));
	return 0;
}

/* Counters and CPU of arm `a` (instrument members, when present). */
static int put_instr(struct fig_ctx *c, const struct run_analysis *ra, size_t a)
{
	static const char *const cpu_fields[] = {"user_ns", "sys_ns", NULL};
	double *v = NULL;
	size_t n = analysis_instr_values(ra, a, "cpu", cpu_fields, &v);
	for (size_t i = 0; i < n; i++)
		v[i] /= 1e6;
	int rc = put_figure(c, (int)a, HISTORY_CPU_METRIC, v, n, NULL);
	free(v);
	/* Counter names: the members of the first boot's syscalls object. */
	const cJSON *names = NULL;
	for (size_t i = 0; i < ra->sf.n && !names; i++)
		if (ra->sf.s[i].instr)
			names = cJSON_GetObjectItemCaseSensitive(ra->sf.s[i].instr, "syscalls");
	const cJSON *m;
	cJSON_ArrayForEach(m, names) {
		if (rc < 0 || !m->string)
			break;
		const char *f[] = {m->string, NULL};
		v = NULL;
		n = analysis_instr_values(ra, a, "syscalls", f, &v);
		char *metric = util_fmt("syscalls.%s", m->string);
		rc = put_figure(c, (int)a, metric, v, n, NULL);
		free(metric);
		free(v);
	}
	return rc;
}

static int put_comparisons(struct history_db *db, const struct run_analysis *ra, const char *run_id)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "INSERT INTO comparisons VALUES(?,?,?,?,?,?,?,?,?)", &st);
	for (size_t k = 0; rc == 0 && k < ra->ncmp; k++) {
		const struct comparison *c = &ra->cmp[k];
		double m = c->med_a > 0 ? c->med_a : 1;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, c->a);
		sqlite3_bind_int(st, 3, c->b);
		sqlite3_bind_text(st, 4, sample_phase_names[c->phase], -1, SQLITE_STATIC);
		double v[] = {100 * c->shift_ms / m, 100 * c->shift_lo / m, 100 * c->shift_hi / m,
		              c->used_paired ? c->p_wx_adj : c->p_mw_adj};
		for (int j = 0; j < 4; j++)
			sqlite3_bind_double(st, 5 + j, isfinite(v[j]) ? v[j] : (v[j] > 0 ? 1e300 : -1e300));
		sqlite3_bind_text(st, 9, verdict_name(c->verdict), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = error_setc(GVAB_EDATA, "%s: %s", db->path, sqlite3_errmsg(db->db));
	}
	sqlite3_finalize(st);
	return rc;
}

int history_add_figures(struct history_db *db, struct run_analysis *ra, const char *run_id,
                        int anchor_idx)
{
	/* The run's comparisons, as the report makes them (against the first
	 * arm, Holm per family); no bootstrap: nothing stored uses it. */
	struct analysis_opts o = ANALYSIS_OPTS_DEFAULT;
	o.reps = 0;
	analysis_compare(ra, &o);
	analysis_adjust(ra, 1, &o, (1u << PH_COUNT) - 1);
	int rc = put_comparisons(db, ra, run_id);
	if (rc < 0)
		return rc;
	/* Ratios to the anchor: each arm's shift against it (paired by round
	 * when there are 10 pairs, as verdicts are) with its 95% interval, one
	 * comparison alone (no family). */
	double (*ratio)[PH_COUNT][3] = util_xcalloc(ra->narms, sizeof *ratio);
	if (anchor_idx >= 0) {
		o.baseline = anchor_idx;
		o.interval_alpha = 0.025;
		analysis_compare(ra, &o);
		analysis_adjust(ra, 1, &o, 0);
		for (size_t k = 0; k < ra->ncmp; k++) {
			const struct comparison *c = &ra->cmp[k];
			double m = c->med_a;
			double *r = ratio[c->b][c->phase];
			r[0] = m > 0 ? 1 + c->shift_ms / m : NAN;
			r[1] = m > 0 ? 1 + c->shift_lo / m : NAN;
			r[2] = m > 0 ? 1 + c->shift_hi / m : NAN;
		}
		for (int p = 0; p < PH_COUNT; p++)
			ratio[anchor_idx][p][0] = ratio[anchor_idx][p][1] = ratio[anchor_idx][p][2] = 1;
	}
	struct fig_ctx c = {.db = db, .run_id = run_id};
	rc = history_prepare(db, "INSERT INTO figures VALUES(?,?,?,?,?,?,?,?,?,?)", &c.st);
	for (size_t a = 0; rc == 0 && a < ra->narms; a++) {
		for (int p = 0; rc == 0 && p < PH_COUNT; p++)
			rc = put_figure(&c, (int)a, sample_phase_names[p], ra->arms[a].vals[p],
			                ra->arms[a].ph[p].n, anchor_idx >= 0 ? ratio[a][p] : NULL);
		if (rc == 0)
			rc = put_instr(&c, ra, a);
	}
	sqlite3_finalize(c.st);
	free(ratio);
	return rc;
}
