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

#endif
