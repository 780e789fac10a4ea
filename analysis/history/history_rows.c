/* history_rows: the figures of one metric with their run and arm, in
 * series order (history_int.h).
 *
 * Three plain scans (runs, stock arms, the metric's figures) joined here
 * by run id in a hash table and sorted once, instead of one SQL join: the
 * join sought a run and an arm by index for every figure and sorted rows
 * that carried every column (history show of 10,000 runs: 823 M
 * instructions, 637 M of them in SQLite; now 522 M, 199 M in SQLite: see
 * results/history/bench.md).
 * The order is the one the join had: series, revision order key, revision,
 * run start, run id, each compared byte by byte as SQLite's BINARY. */
#define _GNU_SOURCE
#include "history_int.h"
#include "error.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct run_table {
	size_t *slot; /* run index + 1, 0: empty */
	size_t nslots;  /* a power of two, at least twice the runs */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t table_find(const struct run_table *t, const struct history_rows *r, const char *id)
{
	size_t h = (size_t)hash_str(id) & (t->nslots - 1);
	while (t->slot[h] && strcmp(r->runs[t->slot[h] - 1].id, id) != 0)
		h = (h + 1) & (t->nslots - 1);
	return h;
}

static int step_error(struct history_db *db, sqlite3_stmt *st, int step)
{
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : error_setc(GVAB_EDATA, "%s: %s", db->path, sqlite3_errmsg(db->db));
}

static int load_runs(struct history_db *db, const char *host, const char *since_date,
                     struct history_rows *r)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "SELECT series, host, bench || CASE WHEN knobs = '' THEN '' ELSE"
	                             " ' | ' || knobs END, knob_args, anchor, id, dir, started_at, report"
	                             " FROM runs WHERE (?1 IS NULL OR host = ?1)"
	                             " AND (?2 IS NULL OR started_at >= ?2)", &st);
	if (rc < 0)
		return rc;
	host ? sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 1);
	since_date ? sqlite3_bind_text(st, 2, since_date, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 2);
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->nruns == cap) {
			cap = cap ? 2 * cap : 64;
			r->runs = util_xrealloc(r->runs, cap * sizeof *r->runs);
		}
		struct history_qrun *q = &r->runs[r->nruns++];
		char **f[] = {&q->series, &q->host, &q->bench, &q->knob_args, &q->anchor,
		              &q->id, &q->dir, &q->started_at, &q->report};
		for (int i = 0; i < 9; i++)
			*f[i] = util_xstrdup(history_col(st, i));
		q->first_arm = -1;
		q->stamp = 0;
		q->index = 0;
	}
	return step_error(db, st, step);
}

static int load_arms(struct history_db *db, const char *since_key, const struct run_table *t,
                     struct history_rows *r)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "SELECT run_id, idx, revision, order_key, go_commit, source_kind"
	                             " FROM arms WHERE variant = '' AND is_anchor = 0"
	                             " AND (?1 IS NULL OR order_key >= ?1)", &st);
	if (rc < 0)
		return rc;
	since_key ? sqlite3_bind_text(st, 1, since_key, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 1);
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t h = table_find(t, r, history_col(st, 0));
		if (!t->slot[h])
			continue; /* a run left out (--host, --since DATE) */
		struct history_qrun *run = &r->runs[t->slot[h] - 1];
		if (r->narms == cap) {
			cap = cap ? 2 * cap : 64;
			r->arms = util_xrealloc(r->arms, cap * sizeof *r->arms);
		}
		struct history_qarm *a = &r->arms[r->narms];
		a->idx = sqlite3_column_int(st, 1);
		a->revision = util_xstrdup(history_col(st, 2));
		a->order_key = util_xstrdup(history_col(st, 3));
		a->commit = util_xstrdup(history_col(st, 4));
		a->source_kind = util_xstrdup(history_col(st, 5));
		a->next = run->first_arm;
		run->first_arm = (long)r->narms++;
	}
	return step_error(db, st, step);
}

static int load_figures(struct history_db *db, const char *metric, const struct run_table *t,
                        struct history_rows *r)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "SELECT run_id, arm_idx, n, p50, lo, hi, ratio, ratio_lo, ratio_hi"
	                             " FROM figures WHERE metric = ?1 AND hi > lo", &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, metric, -1, SQLITE_STATIC);
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t h = table_find(t, r, history_col(st, 0));
		if (!t->slot[h])
			continue;
		struct history_qrun *run = &r->runs[t->slot[h] - 1];
		int idx = sqlite3_column_int(st, 1);
		long k = run->first_arm;
		while (k >= 0 && r->arms[k].idx != idx)
			k = r->arms[k].next;
		if (k < 0)
			continue; /* the anchor, a variant, or an arm before --since REV */
		if (r->nrows == cap) {
			cap = cap ? 2 * cap : 64;
			r->rows = util_xrealloc(r->rows, cap * sizeof *r->rows);
		}
		struct history_qrow *w = &r->rows[r->nrows++];
		w->run = run;
		w->arm = &r->arms[k];
		w->n = (long)sqlite3_column_int64(st, 2);
		w->p50 = sqlite3_column_double(st, 3);
		w->lo = sqlite3_column_double(st, 4);
		w->hi = sqlite3_column_double(st, 5);
		w->has_ratio = sqlite3_column_type(st, 6) != SQLITE_NULL;
		w->ratio = sqlite3_column_double(st, 6);
		w->ratio_lo = sqlite3_column_double(st, 7);
		w->ratio_hi = sqlite3_column_double(st, 8);
	}
	return step_error(db, st, step);
}

static int cmp_row(const void *pa, const void *pb)
{
	const struct history_qrow *a = pa, *b = pb;
	int c = strcmp(a->run->series, b->run->series);
	if (!c)
		c = strcmp(a->arm->order_key, b->arm->order_key);
	if (!c)
		c = strcmp(a->arm->revision, b->arm->revision);
	if (!c)
		c = strcmp(a->run->started_at, b->run->started_at);
	if (!c)
		c = strcmp(a->run->id, b->run->id);
	if (!c)
		c = (a->arm->idx > b->arm->idx) - (a->arm->idx < b->arm->idx);
	return c;
}

int history_rows_load(struct history_db *db, const char *metric, const char *host,
                      const char *since_date, const char *since_key, struct history_rows *r)
{
	memset(r, 0, sizeof *r);
	struct run_table t = {0};
	int rc = load_runs(db, host, since_date, r);
	if (rc == 0) {
		for (t.nslots = 64; t.nslots < 2 * r->nruns; t.nslots *= 2)
			;
		t.slot = util_xcalloc(t.nslots, sizeof *t.slot);
		for (size_t i = 0; i < r->nruns; i++)
			t.slot[table_find(&t, r, r->runs[i].id)] = i + 1;
		rc = load_arms(db, since_key, &t, r);
	}
	if (rc == 0)
		rc = load_figures(db, metric, &t, r);
	free(t.slot);
	if (rc == 0 && r->nrows > 1)
		qsort(r->rows, r->nrows, sizeof *r->rows, cmp_row);
	if (rc < 0)
		history_rows_free(r);
	return rc;
}

void history_rows_free(struct history_rows *r)
{
	for (size_t i = 0; i < r->nruns; i++) {
		struct history_qrun *q = &r->runs[i];
		char *f[] = {q->series, q->host, q->bench, q->knob_args, q->anchor,
		             q->id, q->dir, q->started_at, q->report};
		for (int k = 0; k < 9; k++)
			free(f[k]);
	}
	for (size_t i = 0; i < r->narms; i++) {
		free(r->arms[i].revision);
		free(r->arms[i].order_key);
		free(r->arms[i].commit);
		free(r->arms[i].source_kind);
	}
	free(r->runs);
	free(r->arms);
	free(r->rows);
	memset(r, 0, sizeof *r);
}
