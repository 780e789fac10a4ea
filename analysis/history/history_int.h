/* history_int: what the history module's files share (not for callers;
 * tests use history_open_raw and history_migrate_steps to build older
 * schemas on purpose). */
#ifndef GVAB_HISTORY_INT_H
#define GVAB_HISTORY_INT_H

#include "history.h"

#include <sqlite3.h>

struct history_db {
	sqlite3 *db;
	char *path;
};

struct history_step {
	const char *sql; /* turns version k into k + 1 */
};

/* Opens and checks (header and size, owner, version; with full_check
 * SQLite's quick_check of every page too) without creating tables or
 * migrating. */
int history_open_raw(const char *path, int full_check, struct history_db **out);
/* Applies steps[v..to-1] to a file at version v (each sets user_version). */
int history_migrate_steps(struct history_db *db, const struct history_step *steps, int nsteps,
                          int to);
int history_exec(struct history_db *db, const char *sql);
int history_prepare(struct history_db *db, const char *sql, sqlite3_stmt **st);
const char *history_col(sqlite3_stmt *st, int i); /* never NULL */

/* The metrics stored per arm: the phases, then "cpu"; counters
 * ("syscalls.NAME") are found per run. */
#define HISTORY_CPU_METRIC "cpu"

/* history_rows: the figures of one metric (stock arms, not the anchor),
 * each with its run and arm, sorted by series, revision order key,
 * revision, run start, run id. Filters as history_query's: host,
 * since_date (runs started on or after), since_key (revision order keys
 * from it on); NULL for none. history_rows_free frees all of it. */
struct history_qrun {
	char *series, *host, *bench, *knob_args, *anchor, *id, *dir, *started_at, *report;
	long first_arm;      /* index into arms of its first stock arm, -1: none */
	size_t stamp, index; /* the caller's: which series it was last seen in, and where */
};

struct history_qarm {
	char *revision, *order_key, *commit, *source_kind;
	int idx;
	long next;           /* the next arm of the same run, -1: none */
};

struct history_qrow {
	struct history_qrun *run;
	const struct history_qarm *arm;
	long n;
	double p50, lo, hi, ratio, ratio_lo, ratio_hi;
	int has_ratio;
};

struct history_rows {
	struct history_qrun *runs;
	size_t nruns;
	struct history_qarm *arms;
	size_t narms;
	struct history_qrow *rows;
	size_t nrows;
};

int history_rows_load(struct history_db *db, const char *metric, const char *host,
                      const char *since_date, const char *since_key, struct history_rows *r);
void history_rows_free(struct history_rows *r);

#endif
