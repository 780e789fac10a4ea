/* history_db: the history file's one owner: opening with its checks,
 * the schema and its migrations (see history.h).
 *
 * Invariants: a file is written only after it has passed every check
 * (SQLite header, quick_check, application_id, schema version); the
 * version check and every migration run in one IMMEDIATE transaction, so
 * two processes opening a fresh file at once migrate it once. */
#define _GNU_SOURCE
#include "history_int.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Version 1: runs, their arms with provenance, figures per arm and metric,
 * and the run's own comparisons. */
static const char schema_v1[] =
	"CREATE TABLE runs("
	" id TEXT PRIMARY KEY, digest TEXT NOT NULL, dir TEXT NOT NULL, report TEXT NOT NULL,"
	" host TEXT NOT NULL, host_fp TEXT NOT NULL, bench TEXT NOT NULL, knob_args TEXT NOT NULL,"
	" knobs TEXT NOT NULL, instruments TEXT NOT NULL, started_at TEXT NOT NULL,"
	" gvab_version TEXT NOT NULL, anchor TEXT NOT NULL, series TEXT NOT NULL,"
	" added_at TEXT NOT NULL);"
	"CREATE TABLE arms("
	" run_id TEXT NOT NULL REFERENCES runs(id), idx INTEGER NOT NULL, name TEXT NOT NULL,"
	" revision TEXT NOT NULL, order_key TEXT NOT NULL, variant TEXT NOT NULL,"
	" source_kind TEXT NOT NULL, go_commit TEXT NOT NULL, module_version TEXT NOT NULL,"
	" patches TEXT NOT NULL, toolchain TEXT NOT NULL, sha256 TEXT NOT NULL,"
	" is_anchor INTEGER NOT NULL, PRIMARY KEY(run_id, idx));"
	"CREATE TABLE figures("
	" run_id TEXT NOT NULL, arm_idx INTEGER NOT NULL, metric TEXT NOT NULL, n INTEGER NOT NULL,"
	" p50 REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,"
	" ratio REAL, ratio_lo REAL, ratio_hi REAL, PRIMARY KEY(run_id, arm_idx, metric));"
	"CREATE TABLE comparisons("
	" run_id TEXT NOT NULL, a_idx INTEGER NOT NULL, b_idx INTEGER NOT NULL,"
	" metric TEXT NOT NULL, shift_pct REAL NOT NULL, lo_pct REAL NOT NULL,"
	" hi_pct REAL NOT NULL, p_adj REAL NOT NULL, verdict TEXT NOT NULL,"
	" PRIMARY KEY(run_id, a_idx, b_idx, metric));"
	"CREATE INDEX runs_series ON runs(series);"
	"CREATE INDEX figures_metric ON figures(metric, run_id);";

/* Step k turns version k into k + 1. Version 2 slots in as one more
 * entry (its SQL, e.g. an ALTER TABLE), and HISTORY_SCHEMA_VERSION + 1. */
static const struct history_step steps[] = {
	{schema_v1},
};

int history_exec(struct history_db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = error_setc(GVAB_EDATA, "%s: %s", db->path, msg ? msg : sqlite3_errmsg(db->db));
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static long pragma_int(struct history_db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long v = -1;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int history_schema_version(struct history_db *db)
{
	return (int)pragma_int(db, "PRAGMA user_version");
}

int history_migrate_steps(struct history_db *db, const struct history_step *s, int nsteps, int to)
{
	int v = history_schema_version(db);
	if (v < 0)
		return error_setc(GVAB_EDATA, "%s: %s", db->path, sqlite3_errmsg(db->db));
	for (; v < to; v++) {
		if (v >= nsteps)
			return error_setc(GVAB_EDATA, "%s: no migration from schema version %d", db->path, v);
		int rc = history_exec(db, s[v].sql);
		if (rc < 0)
			return error_wrap(rc, "migrating schema version %d to %d", v, v + 1);
		char *sql = util_fmt("PRAGMA user_version = %d", v + 1);
		rc = history_exec(db, sql);
		free(sql);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Migrates to `version` by this schema's steps: step k turns version k
 * into k + 1 (step 0 creates version 1). */
static int history_migrate_to(struct history_db *db, int version)
{
	return history_migrate_steps(db, steps, (int)(sizeof steps / sizeof steps[0]), version);
}

static unsigned long be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* Not SQLite at all (no SQLite header), or cut short: the header's page
 * count, when valid (its version-valid-for equals the change counter),
 * needs more bytes than the file has. O(1), so every command can check. */
static int check_header(const char *path, int *exists)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*exists = fd >= 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : error_setc(GVAB_EPRECOND, "%s: %s", path, strerror(errno));
	unsigned char hdr[100] = {0};
	ssize_t got = read(fd, hdr, sizeof hdr);
	struct stat sb;
	int rc = fstat(fd, &sb);
	close(fd);
	if (rc == 0 && !S_ISREG(sb.st_mode))
		return error_setc(GVAB_EDATA, "%s: not a regular file", path);
	if (got == 0)
		return 0; /* empty: SQLite treats it as a new database */
	if (got < 100 || memcmp(hdr, "SQLite format 3", 16) != 0)
		return error_setc(GVAB_EDATA, "%s: not an SQLite database (no SQLite header); "
		                              "refusing to use it as a gvab history", path);
	unsigned long page = (unsigned long)hdr[16] << 8 | hdr[17];
	if (page == 1)
		page = 65536;
	unsigned long pages = be32(hdr + 28);
	if (be32(hdr + 92) == be32(hdr + 24) && (unsigned long long)sb.st_size <
	                                            (unsigned long long)page * pages)
		return error_setc(GVAB_EDATA, "%s: damaged SQLite file (truncated: %lld bytes, its header "
		                              "says %llu); refusing to use it", path, (long long)sb.st_size,
		                  (unsigned long long)page * pages);
	return 0;
}

/* The checks that need SQLite: integrity (with `full`: quick_check reads
 * every page, so only merge does it, on the other file), owner, version. */
static int check_contents_tx(struct history_db *db, int full)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->db, full ? "PRAGMA quick_check(1)" : "PRAGMA schema_version",
	                            -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = error_setc(GVAB_EDATA, "%s: damaged SQLite file (%s); refusing to use it", db->path,
		                sqlite3_errmsg(db->db));
		sqlite3_finalize(st);
		return rc;
	}
	const char *res = (const char *)sqlite3_column_text(st, 0);
	if (full && (!res || strcmp(res, "ok") != 0)) {
		rc = error_setc(GVAB_EDATA, "%s: damaged SQLite file (quick_check: %.200s); refusing to "
		                            "use it", db->path, res ? res : "?");
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	long app = pragma_int(db, "PRAGMA application_id");
	long tables = pragma_int(db, "SELECT count(*) FROM sqlite_master");
	int v = history_schema_version(db);
	if (app != HISTORY_APPLICATION_ID && (app != 0 || tables != 0 || v != 0))
		return error_setc(GVAB_EDATA, "%s: an SQLite database of another application "
		                              "(application_id %ld, %ld schema objects), not a gvab history; "
		                              "refusing to use it", db->path, app, tables);
	if (v > HISTORY_SCHEMA_VERSION)
		return error_setc(GVAB_EDATA, "%s: schema version %d is newer than this gvab's (%d); "
		                              "use a newer gvab", db->path, v, HISTORY_SCHEMA_VERSION);
	return 0;
}

/* The checks read several things (owner, schema objects, version): one
 * read transaction, so an open racing another process's first migration
 * sees the file wholly before or wholly after it. */
static int check_contents(struct history_db *db, int full)
{
	int own = sqlite3_get_autocommit(db->db);
	if (own && sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return error_setc(GVAB_EDATA, "%s: %s", db->path, sqlite3_errmsg(db->db));
	int rc = check_contents_tx(db, full);
	if (own)
		sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int history_open_raw(const char *path, int full_check, struct history_db **out)
{
	*out = NULL;
	int exists;
	int rc = check_header(path, &exists);
	if (rc < 0)
		return rc;
	struct history_db *db = util_xcalloc(1, sizeof *db);
	db->path = util_xstrdup(path);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = error_setc(exists ? GVAB_EDATA : GVAB_EPRECOND, "%s: %s", path,
		                db->db ? sqlite3_errmsg(db->db) : "cannot open");
		history_close(db);
		return rc;
	}
	/* Concurrent adders wait for each other's transaction; a CI job's add
	 * takes milliseconds (tests/bench: history_scale). */
	sqlite3_busy_timeout(db->db, 60000);
	if ((rc = check_contents(db, full_check)) < 0) {
		history_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

int history_open(const char *path, struct history_db **out)
{
	struct history_db *db;
	int rc = history_open_raw(path, 0, &db);
	if (rc < 0)
		return rc;
	/* WAL: readers never wait for the adder. synchronous=NORMAL: a commit
	 * is atomic and the file never damaged; a power cut may lose the last
	 * adds (run `history add` again: it is idempotent). */
	if ((rc = history_exec(db, "PRAGMA synchronous = NORMAL")) < 0)
		goto fail;
	/* A current file is only read here: a read-only command leaves it
	 * byte for byte as it was (the committed results/history.sqlite). */
	if (history_schema_version(db) == HISTORY_SCHEMA_VERSION &&
	    pragma_int(db, "PRAGMA application_id") == HISTORY_APPLICATION_ID) {
		*out = db;
		return 0;
	}
	if ((rc = history_exec(db, "PRAGMA journal_mode = WAL")) < 0 ||
	    (rc = history_exec(db, "BEGIN IMMEDIATE")) < 0)
		goto fail;
	/* Checked again under the write lock: another process may have
	 * created or migrated the file since. */
	if ((rc = check_contents(db, 0)) < 0 || (rc = history_migrate_to(db, HISTORY_SCHEMA_VERSION)) < 0)
		goto rollback;
	char *sql = util_fmt("PRAGMA application_id = %d", HISTORY_APPLICATION_ID);
	rc = history_exec(db, sql);
	free(sql);
	if (rc < 0 || (rc = history_exec(db, "COMMIT")) < 0)
		goto rollback;
	*out = db;
	return 0;
rollback:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	history_close(db);
	return rc;
}

void history_close(struct history_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->db);
	free(db->path);
	free(db);
}

int history_prepare(struct history_db *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, st, NULL) != SQLITE_OK)
		return error_setc(GVAB_EDATA, "%s: %s", db->path, sqlite3_errmsg(db->db));
	return 0;
}

const char *history_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}
