/* Unit tests of the history module: the store's checks and migrations,
 * adding (idempotent, atomic, refusing another run under a stored id), and
 * the change-point detection on series with known answers. */
#define _GNU_SOURCE
#include "../fixture/history_fixture.h"
#include "error.h"
#include "history_int.h"
#include "rng.h"
#include "tests.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct fixture_arm two_arms[] = {
	{"old", "v0.0.0-20260101000000-aaaaaaaaaaaa", 100, NULL},
	{"new", "v0.0.0-20260201000000-bbbbbbbbbbbb", 100, NULL},
};

static char *make_run(const char *top, const char *name, const char *started, uint64_t seed)
{
	char *dir = util_fmt("%s/%s", top, name);
	struct fixture_run r = {.host = "unit", .started_at = started, .seed = seed, .rounds = 20,
	                        .boot_sd = 0.05, .round_sd = 0.02, .rcu = "0"};
	ck_assert_int_eq(fixture_write_run(dir, &r, two_arms, 2), 0);
	return dir;
}

static long count_runs(struct history_db *db)
{
	sqlite3_stmt *st;
	ck_assert_int_eq(history_prepare(db, "SELECT count(*) FROM runs", &st), 0);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	long n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

START_TEST(test_create_add_idempotent)
{
	char *t = test_tmpdir("hist");
	char *path = util_fmt("%s/h.sqlite", t);
	struct history_db *db;
	ck_assert_int_eq(history_open(path, &db), 0);
	ck_assert_int_eq(history_schema_version(db), HISTORY_SCHEMA_VERSION);
	char *run = make_run(t, "r1", "2026-01-01T00:00:00Z", 1);
	struct history_add_stats st;
	ck_assert_int_eq(history_add(db, &run, 1, &st), 0);
	ck_assert_int_eq(st.added, 1);
	ck_assert_int_eq(history_add(db, &run, 1, &st), 0);
	ck_assert_int_eq(st.added, 0);
	ck_assert_int_eq(st.already, 1);
	/* Same id (host, start, seed), other samples: refused, nothing added. */
	char *other = util_fmt("%s/other", t);
	struct fixture_run r = {.host = "unit", .started_at = "2026-01-01T00:00:00Z", .seed = 1,
	                        .rounds = 21, .boot_sd = 0.05, .round_sd = 0.02, .rcu = "0"};
	ck_assert_int_eq(fixture_write_run(other, &r, two_arms, 2), 0);
	ck_assert_int_eq(history_add(db, &other, 1, &st), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "other content"));
	ck_assert_int_eq(count_runs(db), 1);
	history_close(db);
	free(other);
	free(run);
	free(path);
	free(t);
}
END_TEST

/* A failing add (one bad run directory among good ones) adds nothing. */
START_TEST(test_add_atomic)
{
	char *t = test_tmpdir("hist");
	char *path = util_fmt("%s/h.sqlite", t);
	struct history_db *db;
	ck_assert_int_eq(history_open(path, &db), 0);
	char *dirs[2] = {make_run(t, "a", "2026-01-01T00:00:00Z", 1), make_run(t, "b", "2026-01-02T00:00:00Z", 2)};
	char *bad = util_fmt("%s/samples.jsonl", dirs[1]);
	ck_assert_int_eq(util_write_file_atomic(bad, "{\"seq\":0}\n", 10), 0);
	struct history_add_stats st;
	ck_assert_int_eq(history_add(db, dirs, 2, &st), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "samples.jsonl:1"));
	ck_assert_int_eq(count_runs(db), 0);
	history_close(db);
	free(bad);
	free(dirs[0]);
	free(dirs[1]);
	free(path);
	free(t);
}
END_TEST

static void assert_refused(const char *path, const char *why)
{
	size_t n0 = 0, n1 = 0;
	char *before = util_read_file(path, &n0);
	struct history_db *db = NULL;
	ck_assert_int_eq(history_open(path, &db), GVAB_EDATA);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(error_last(), why), "%s", error_last());
	ck_assert_int_eq(error_exit_code(GVAB_EDATA), 65);
	char *after = util_read_file(path, &n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert_int_eq(memcmp(before, after, n0), 0); /* never written */
	free(before);
	free(after);
}

START_TEST(test_refuse_foreign_corrupt)
{
	char *t = test_tmpdir("hist");
	char *rnd = util_fmt("%s/random.bin", t);
	char junk[4096];
	uint64_t s = 7;
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(rng_next(&s) & 0xff);
	ck_assert_int_eq(util_write_file_atomic(rnd, junk, sizeof junk), 0);
	assert_refused(rnd, "not an SQLite database");
	/* Another application's SQLite file. */
	char *foreign = util_fmt("%s/foreign.sqlite", t);
	sqlite3 *f;
	ck_assert_int_eq(sqlite3_open(foreign, &f), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(f, "CREATE TABLE notes(x); INSERT INTO notes VALUES(1);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(f);
	assert_refused(foreign, "another application");
	/* A history cut short. */
	char *good = util_fmt("%s/good.sqlite", t);
	struct history_db *db;
	ck_assert_int_eq(history_open(good, &db), 0);
	char *run = make_run(t, "r", "2026-01-01T00:00:00Z", 3);
	struct history_add_stats st;
	ck_assert_int_eq(history_add(db, &run, 1, &st), 0);
	ck_assert_int_eq(history_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	history_close(db);
	size_t n = 0;
	char *bytes = util_read_file(good, &n);
	ck_assert_uint_gt(n, 8192);
	char *cut = util_fmt("%s/cut.sqlite", t);
	ck_assert_int_eq(util_write_file_atomic(cut, bytes, n / 2), 0);
	assert_refused(cut, "damaged");
	free(bytes);
	free(run);
	free(good);
	free(cut);
	free(foreign);
	free(rnd);
	free(t);
}
END_TEST

/* The migration path: a file at an older version is brought up step by
 * step, keeping its data; version 2 slots in as one more step. */
START_TEST(test_migrations)
{
	char *t = test_tmpdir("hist");
	char *path = util_fmt("%s/h.sqlite", t);
	/* A synthetic version 0: gvab's application_id, no tables yet. */
	sqlite3 *f;
	ck_assert_int_eq(sqlite3_open(path, &f), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(f, "PRAGMA application_id = 1735811426", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(f);
	struct history_db *db;
	ck_assert_int_eq(history_open(path, &db), 0);
	ck_assert_int_eq(history_schema_version(db), 1);
	char *run = make_run(t, "r", "2026-01-01T00:00:00Z", 4);
	struct history_add_stats st;
	ck_assert_int_eq(history_add(db, &run, 1, &st), 0);
	history_close(db);
	/* A future version 2 (a column more) applied to the version-1 file. */
	static const struct history_step v2[] = {{"-- version 1 exists"},
	                                         {"ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''"}};
	ck_assert_int_eq(history_open_raw(path, 0, &db), 0);
	ck_assert_int_eq(history_migrate_steps(db, v2, 2, 2), 0);
	ck_assert_int_eq(history_schema_version(db), 2);
	ck_assert_int_eq(count_runs(db), 1);
	history_close(db);
	/* This gvab knows version 1 only: a newer file is refused, untouched. */
	assert_refused(path, "newer");
	free(run);
	free(path);
	free(t);
}
END_TEST

/* A series of `n` revisions, one run each (or all in one run), log values
 * y[i] with standard error se. */
static void make_series(struct history_series *s, const double *val, size_t n, double se, int one_run)
{
	memset(s, 0, sizeof *s);
	s->revs = util_xcalloc(n, sizeof *s->revs);
	s->obs = util_xcalloc(n, sizeof *s->obs);
	s->nrevs = s->nobs = n;
	s->nruns = one_run ? 1 : n;
	for (size_t i = 0; i < n; i++) {
		s->revs[i].label = util_fmt("r%zu", i);
		s->revs[i].commit = util_fmt("c%zu", i);
		s->revs[i].order_key = util_fmt("%02zu", i);
		s->obs[i] = (struct history_obs){.rev = i, .run = one_run ? 0 : i, .val = val[i],
		                                 .lo = val[i] * exp(-1.959964 * se),
		                                 .hi = val[i] * exp(1.959964 * se), .n = 40};
	}
}

static void free_series(struct history_series *s)
{
	for (size_t i = 0; i < s->nrevs; i++) {
		free(s->revs[i].label);
		free(s->revs[i].commit);
		free(s->revs[i].order_key);
	}
	free(s->revs);
	free(s->obs);
}

START_TEST(test_detect_step_and_flat)
{
	/* One run, eight revisions, +10% from the fifth; se 1%: the split
	 * 3|4 has z = log(1.1) / (0.01 * sqrt(1/4 + 1/4)) = 13.5, far beyond
	 * Bonferroni's z(1 - 0.01 / 14) = 3.19; no other split remains. */
	double v[8] = {100, 100, 100, 100, 110, 110, 110, 110};
	struct history_series s;
	make_series(&s, v, 8, 0.01, 1);
	struct history_detect_opts o = {.alpha = 0.01, .min_pct = 3};
	struct history_detect_result r;
	history_detect(&s, &o, &r);
	ck_assert_uint_eq(r.nchanges, 1);
	ck_assert_uint_eq(r.changes[0].before, 3);
	ck_assert_uint_eq(r.changes[0].after, 4);
	ck_assert_int_eq(r.changes[0].kind, HC_SLOWER);
	ck_assert_double_eq_tol(r.changes[0].size_pct, 10.0, 1e-9);
	free(r.changes);
	free_series(&s);
	/* Flat within its errors: +-1% wiggles with se 1% find nothing. */
	double f[8] = {100, 101, 99, 100, 101, 100, 99, 100};
	make_series(&s, f, 8, 0.01, 1);
	history_detect(&s, &o, &r);
	ck_assert_uint_eq(r.nchanges, 0);
	free_series(&s);
	/* A -20% step is a change toward faster. */
	double g[6] = {100, 100, 100, 80, 80, 80};
	make_series(&s, g, 6, 0.01, 1);
	history_detect(&s, &o, &r);
	ck_assert_uint_eq(r.nchanges, 1);
	ck_assert_int_eq(r.changes[0].kind, HC_FASTER);
	free(r.changes);
	free_series(&s);
}
END_TEST

/* Runs on different days: a run effect explains scatter between runs, so
 * the same wiggle that is a change within one run is none across runs. */
START_TEST(test_detect_run_effect)
{
	double v[8] = {100, 106, 95, 103, 97, 104, 96, 101};
	struct history_series s;
	make_series(&s, v, 8, 0.005, 0);
	/* Replicates: each revision measured a second time in its own run. */
	s.obs = util_xrealloc(s.obs, 16 * sizeof *s.obs);
	for (size_t i = 0; i < 8; i++) {
		double x = v[(i + 3) % 8];
		s.obs[8 + i] = (struct history_obs){.rev = i, .run = 8 + i, .val = x,
		                                    .lo = x * exp(-1.959964 * 0.005),
		                                    .hi = x * exp(1.959964 * 0.005), .n = 40};
	}
	s.nobs = 16;
	s.nruns = 16;
	/* Observations must be sorted by revision. */
	struct history_obs *sorted = util_xcalloc(16, sizeof *sorted);
	for (size_t i = 0, k = 0; i < 8; i++) {
		sorted[k++] = s.obs[i];
		sorted[k++] = s.obs[8 + i];
	}
	free(s.obs);
	s.obs = sorted;
	struct history_detect_opts o = {.alpha = 0.01, .min_pct = 3};
	struct history_detect_result r;
	history_detect(&s, &o, &r);
	ck_assert_int_eq(r.tau_from, 1);
	ck_assert(r.tau > 0.02);
	ck_assert_uint_eq(r.nchanges, 0);
	free_series(&s);
}
END_TEST

/* Ratios to the anchor from a release-gate chain (run k measured
 * revisions k and k+1): every ratio of a run shares the anchor's error, so
 * the split is a generalised least squares fit with a per-run block. The
 * expected figures were computed independently in Python from the
 * documented model: t = (replicate estimate 0 (mean of the four -0.0000375,
 * 0.00005, -0.0004625, 0.0004, clamped) + within-run median estimate
 * 0.000789149) / 2 + 0.25 * 0.000177292 (the replicates' standard error)
 * = 0.000438897 (tau 2.094988%); a dense 10 x 10 covariance (half of each
 * run's mean interval variance shared within the run), inverted by
 * Gauss-Jordan, the two means solved from X' S^-1 X; z at splits
 * 0|1..4|5: 2.30, 5.56, 9.64, 5.06, 1.30: the best split 2|3 and
 * exp(D) - 1 = 21.602164%. */
START_TEST(test_detect_gls_anchored_chain)
{
	static const double y[10] = {0.01, -0.02, 0.015, 0.03, 0.0, 0.2, 0.21, 0.18, 0.22, 0.19};
	static const size_t rev[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 5}, run[10] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4};
	static const double se[10] = {0.02, 0.02, 0.03, 0.02, 0.02, 0.025, 0.02, 0.02, 0.02, 0.03};
	struct history_obs o[10];
	for (size_t i = 0; i < 10; i++)
		o[i] = (struct history_obs){.rev = rev[i], .run = run[i], .val = exp(y[i]),
		                            .lo = exp(y[i] - 1.959963984540054 * se[i]),
		                            .hi = exp(y[i] + 1.959963984540054 * se[i]), .n = 40};
	char anchor[] = "anchor-sha";
	struct history_series s = {.obs = o, .nobs = 10, .nruns = 5, .nrevs = 6, .anchor = anchor};
	struct history_detect_opts opt = {.alpha = 0.01, .min_pct = 3};
	struct history_detect_result r;
	history_detect(&s, &opt, &r);
	ck_assert_int_eq(r.tau_from, 1);
	ck_assert_double_eq_tol(r.tau, 0.0209498804, 1e-9);
	ck_assert_uint_eq(r.nchanges, 1);
	ck_assert_uint_eq(r.changes[0].before, 2);
	ck_assert_uint_eq(r.changes[0].after, 3);
	ck_assert_double_eq_tol(r.changes[0].size_pct, 21.602164, 1e-5);
	ck_assert_int_eq(r.changes[0].kind, HC_SLOWER);
	free(r.changes);
}
END_TEST

/* Three changes in one run (se 0.5%: every step is beyond doubt): binary
 * segmentation splits the widest contrast first, whose size holds the
 * other changes; each change is then sized between its final neighbouring
 * segments, so the sizes are the steps themselves: 110/100, 121/110 and
 * 100/121 (each segment's figures are equal, so its weighted mean is that
 * value: exactly +10%, +10% and -17.355%). */
START_TEST(test_detect_sizes_between_final_segments)
{
	double v[8] = {100, 100, 110, 110, 121, 121, 100, 100};
	struct history_series s;
	make_series(&s, v, 8, 0.005, 1);
	struct history_detect_opts o = {.alpha = 0.01, .min_pct = 3};
	struct history_detect_result r;
	history_detect(&s, &o, &r);
	ck_assert_uint_eq(r.nchanges, 3);
	static const double want[3] = {10.0, 10.0, 100.0 * (100.0 / 121.0 - 1)};
	static const enum history_change_kind kind[3] = {HC_SLOWER, HC_SLOWER, HC_FASTER};
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(r.changes[i].before, 2 * i + 1);
		ck_assert_double_eq_tol(r.changes[i].size_pct, want[i], 1e-9);
		ck_assert_int_eq(r.changes[i].kind, kind[i]);
		ck_assert(r.changes[i].lo_pct < want[i] && r.changes[i].hi_pct > want[i]);
	}
	free(r.changes);
	free_series(&s);
}
END_TEST

Suite *suite_history(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_add_idempotent);
	tcase_add_test(tc, test_add_atomic);
	tcase_add_test(tc, test_refuse_foreign_corrupt);
	tcase_add_test(tc, test_migrations);
	suite_add_tcase(s, tc);
	TCase *td = tcase_create("detect");
	tcase_add_test(td, test_detect_step_and_flat);
	tcase_add_test(td, test_detect_run_effect);
	tcase_add_test(td, test_detect_gls_anchored_chain);
	tcase_add_test(td, test_detect_sizes_between_final_segments);
	suite_add_tcase(s, td);
	return s;
}
