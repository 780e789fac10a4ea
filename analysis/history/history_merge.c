/* history_merge: another runner's history file into this one, in one
 * transaction, without duplicates (a run is its id; the same id with other
 * content is refused, as for add). The other file is checked like any
 * history file and only read. */
#define _GNU_SOURCE
#include "history_int.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static long count(struct history_db *db, const char *sql, char *id, size_t idlen)
{
	sqlite3_stmt *st;
	long v = -1;
	if (history_prepare(db, sql, &st) < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = (long)sqlite3_column_int64(st, 0);
		if (id)
			snprintf(id, idlen, "%s", history_col(st, 1));
	}
	sqlite3_finalize(st);
	return v;
}

static int copy_new(struct history_db *db, struct history_add_stats *st, const char *other)
{
	char id[128] = "";
	long bad = count(db, "SELECT count(*), min(o.id) FROM other.runs o JOIN main.runs m ON m.id = o.id"
	                     " WHERE m.digest <> o.digest", id, sizeof id);
	if (bad < 0)
		return error_setc(GVAB_EDATA, "%s: %s", other, sqlite3_errmsg(db->db));
	if (bad > 0)
		return error_setc(GVAB_EDATA, "%s: run id %s is stored here with other content (%ld such "
		                              "runs); nothing merged", other, id, bad);
	st->already = (int)count(db, "SELECT count(*), '' FROM other.runs o JOIN main.runs m"
	                             " ON m.id = o.id", NULL, 0);
	static const char *const sql[] = {
		"CREATE TEMP TABLE merge_new AS SELECT id FROM other.runs"
		" WHERE id NOT IN (SELECT id FROM main.runs)",
		"INSERT INTO main.runs SELECT * FROM other.runs WHERE id IN (SELECT id FROM merge_new)",
		"INSERT INTO main.arms SELECT * FROM other.arms WHERE run_id IN (SELECT id FROM merge_new)",
		"INSERT INTO main.figures SELECT * FROM other.figures"
		" WHERE run_id IN (SELECT id FROM merge_new)",
		"INSERT INTO main.comparisons SELECT * FROM other.comparisons"
		" WHERE run_id IN (SELECT id FROM merge_new)"};
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		int rc = history_exec(db, sql[i]);
		if (rc < 0)
			return error_wrap(rc, "merging %s", other);
	}
	st->added = (int)count(db, "SELECT count(*), '' FROM merge_new", NULL, 0);
	return history_exec(db, "DROP TABLE merge_new");
}

int history_merge(struct history_db *db, const char *other, struct history_add_stats *st)
{
	memset(st, 0, sizeof *st);
	struct history_db *o;
	int rc = history_open_raw(other, 1, &o);
	if (rc < 0)
		return rc;
	int v = history_schema_version(o);
	history_close(o);
	if (v != HISTORY_SCHEMA_VERSION)
		return error_setc(GVAB_EDATA, "%s: schema version %d, not %d: open it with this gvab first "
		                              "(gvab history list --db %s migrates it)", other, v,
		                  HISTORY_SCHEMA_VERSION, other);
	sqlite3_stmt *at;
	if ((rc = history_prepare(db, "ATTACH DATABASE ? AS other", &at)) < 0)
		return rc;
	sqlite3_bind_text(at, 1, other, -1, SQLITE_STATIC);
	if (sqlite3_step(at) != SQLITE_DONE)
		rc = error_setc(GVAB_EDATA, "%s: %s", other, sqlite3_errmsg(db->db));
	sqlite3_finalize(at);
	if (rc < 0)
		return rc;
	if ((rc = history_exec(db, "BEGIN IMMEDIATE")) == 0) {
		rc = copy_new(db, st, other);
		if (rc == 0)
			rc = history_exec(db, "COMMIT");
		if (rc < 0) {
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
			st->added = 0;
		}
	}
	sqlite3_exec(db->db, "DETACH DATABASE other", NULL, NULL, NULL);
	return rc;
}
