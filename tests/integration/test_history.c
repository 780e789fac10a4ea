/* gvab history through the binary, on run directories the fixture writes
 * (tests/fixture/history_fixture.h): add (idempotent), list, show, check's
 * exit codes and bisect line, anchored ratios, the page in headless
 * Chromium (escaped, no script), merge without duplicates, two adders at
 * once, a SIGKILL in mid-add, refusing a file that is not a history, and
 * release-gate.sh with --anchor and --db. */
#define _GNU_SOURCE
#include "../fixture/history_fixture.h"
#include "../skip.h"
#include "fakehist.h"
#include "itest.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define V(d) "v0.0.0-2026" d "000000-" d d d "aaaaaa"

/* Run `k` of a release-gate-like series: revisions k and k+1 with the
 * anchor; revision r's CORE is 100 ms (x1.10 from revision `step` on),
 * times a host factor of the run (the night's drift, which the anchor
 * shares). */
static char *series_run(const char *top, const char *host, int k, int step, int anchored)
{
	static const char *const rev[] = {V("01"), V("02"), V("03"), V("04"), V("05"), V("06")};
	double night = 1 + 0.08 * ((k * 37) % 5 - 2) / 2.0;
	struct fixture_arm arms[3];
	size_t n = 0;
	char names[2][16];
	for (int r = k; r <= k + 1; r++) {
		snprintf(names[r - k], sizeof names[0], "rev%d", r);
		arms[n++] = (struct fixture_arm){names[r - k], rev[r], 100 * night * (r >= step ? 1.10 : 1), NULL};
	}
	if (anchored)
		arms[n++] = (struct fixture_arm){"anchor", NULL, 90 * night, NULL};
	char *dir = util_fmt("%s/%s-run%d", top, host, k);
	char started[32];
	snprintf(started, sizeof started, "2026-0%d-01T00:00:00Z", k + 1);
	struct fixture_run fr = {.host = host, .started_at = started, .seed = (uint64_t)(k + 1),
	                         .rounds = 30, .boot_sd = 0.03, .round_sd = 0.02, .rcu = "0"};
	ck_assert_int_eq(fixture_write_run(dir, &fr, arms, n), 0);
	return dir;
}

static int hist(char **out, const char *db, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {(char *)itest_gvab(), "history", (char *)a1, "--db", (char *)db, (char *)a2,
	                (char *)a3, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	fprintf(stderr, "gvab history %s: exit %d\n%s", a1, rc, o ? o : "");
	if (out)
		*out = o;
	else
		free(o);
	return rc;
}

START_TEST(test_add_show_check)
{
	char *d = itest_tmpdir("hist"), *db = util_fmt("%s/h.sqlite", d), *o = NULL;
	char *runs[5];
	for (int k = 0; k < 5; k++)
		runs[k] = series_run(d, "ci1", k, 3, 1);
	ck_assert_int_eq(hist(&o, db, "add", d, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "5 runs added"));
	free(o);
	ck_assert_int_eq(hist(&o, db, "add", runs[0], NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "0 runs added, 1 already stored"));
	free(o);
	ck_assert_int_eq(hist(&o, db, "list", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "5 runs"));
	free(o);
	ck_assert_int_eq(hist(&o, db, "show", "--host", "ci1"), 0);
	ck_assert_ptr_nonnull(strstr(o, "ratio to the anchor"));
	ck_assert_ptr_nonnull(strstr(o, V("06")));
	free(o);
	/* The step between revisions 2 and 3 (x1.10 against a 3% minimum). */
	ck_assert_int_eq(hist(&o, db, "check", NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(o, "change slower: " V("03") " -> " V("04")));
	ck_assert_ptr_nonnull(strstr(o, "gvab bisect --source module --revisions go-merges.txt --good "
	                                "030303aaaaaa --bad 040404aaaaaa --metric core --set rcu_expedited=0"));
	free(o);
	/* A minimum above the step: no change toward slower. */
	ck_assert_int_eq(hist(&o, db, "check", "--threshold", "50"), 0);
	free(o);
	/* Usage and bad operands. */
	ck_assert_int_eq(hist(NULL, db, "bogus", NULL, NULL), 64);
	ck_assert_int_eq(hist(NULL, db, "show", "--metric", "nope"), 64);
	ck_assert_int_eq(hist(NULL, db, "add", NULL, NULL), 64);
	ck_assert_int_eq(hist(NULL, db, "add", "/nonexistent-dir", NULL), 65);
	for (int k = 0; k < 5; k++)
		free(runs[k]);
	util_rm_rf(d);
	free(db);
	free(d);
}
END_TEST

/* Without an anchor the same series is checked on absolute values, and
 * every output says so; an empty history has nothing to check (2). */
START_TEST(test_absolute_and_empty)
{
	char *d = itest_tmpdir("hist"), *db = util_fmt("%s/h.sqlite", d), *o = NULL;
	ck_assert_int_eq(hist(&o, db, "check", NULL, NULL), 2);
	free(o);
	for (int k = 0; k < 4; k++)
		free(series_run(d, "plain", k, 9, 0));
	ck_assert_int_eq(hist(NULL, db, "add", d, NULL), 0);
	int rc = hist(&o, db, "check", NULL, NULL);
	ck_assert_int_ne(rc, 2);
	ck_assert_ptr_nonnull(strstr(o, "absolute values (no anchor)"));
	free(o);
	ck_assert_int_eq(hist(&o, db, "show", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "absolute values (no anchor)"));
	free(o);
	util_rm_rf(d);
	free(db);
	free(d);
}
END_TEST

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

START_TEST(test_page_chromium)
{
	if (access("/usr/bin/chromium", X_OK) != 0)
		TEST_SKIP("no /usr/bin/chromium (hosts/install-deps.sh installs it)");
	char *d = itest_tmpdir("hist"), *db = util_fmt("%s/h.sqlite", d), *o = NULL;
	for (int k = 0; k < 4; k++)
		free(series_run(d, "<b>evil</b>&", k, 2, 1));
	ck_assert_int_eq(hist(NULL, db, "add", d, NULL), 0);
	char *page = util_fmt("%s/page/index.html", d);
	ck_assert_int_eq(hist(NULL, db, "page", "--out", page), 0);
	char *html = util_read_file(page, NULL);
	ck_assert_ptr_nonnull(html);
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_null(strstr(html, "<b>evil"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;b&gt;evil&lt;/b&gt;&amp;"));
	ck_assert_int_eq(count(html, "://"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
	ck_assert_ptr_nonnull(strstr(html, "class=\"slower\""));
	char *url = util_fmt("file://%s", page), *shot = util_fmt("--screenshot=%s/page.png", d);
	char *ud = util_fmt("--user-data-dir=%s/chromium", d);
	char *cv[] = {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	              "--no-first-run", "--disable-background-networking", "--disable-component-update",
	              "--disable-sync", ud, "--window-size=900,1600", shot, url, NULL};
	ck_assert_int_eq(itest_run(&o, cv), 0);
	free(o);
	char *png = util_fmt("%s/page.png", d);
	size_t len = 0;
	char *img = util_read_file(png, &len);
	ck_assert_msg(img && len > 10000 && memcmp(img, "\x89PNG", 4) == 0, "screenshot: %zu bytes", len);
	free(img);
	util_rm_rf(d);
	free(png);
	free(ud);
	free(shot);
	free(url);
	free(html);
	free(page);
	free(db);
	free(d);
}
END_TEST

START_TEST(test_merge_concurrent_kill)
{
	char *d = itest_tmpdir("hist"), *o = NULL;
	char *a = util_fmt("%s/a.sqlite", d), *b = util_fmt("%s/b.sqlite", d);
	char *r0 = series_run(d, "m", 0, 9, 1), *r1 = series_run(d, "m", 1, 9, 1);
	/* Two adders at once, one run each: both succeed, both runs stored. */
	char *l0 = util_fmt("%s/add0.log", d), *l1 = util_fmt("%s/add1.log", d);
	char *v0[] = {(char *)itest_gvab(), "history", "add", "--db", b, r0, NULL};
	char *v1[] = {(char *)itest_gvab(), "history", "add", "--db", b, r1, NULL};
	pid_t p0 = itest_start(l0, v0), p1 = itest_start(l1, v1);
	ck_assert_int_eq(itest_wait(p0), 0);
	ck_assert_int_eq(itest_wait(p1), 0);
	ck_assert_int_eq(hist(&o, b, "list", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "2 runs"));
	free(o);
	/* Merge: one new, then nothing new. */
	ck_assert_int_eq(hist(NULL, a, "add", r0, NULL), 0);
	ck_assert_int_eq(hist(&o, a, "merge", b, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "1 run merged"));
	free(o);
	ck_assert_int_eq(hist(&o, a, "merge", b, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "0 runs merged"));
	free(o);
	ck_assert_int_eq(hist(&o, a, "list", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "2 runs"));
	free(o);
	/* SIGKILL just before COMMIT (the test hook stalls there): the file
	 * is as it was, and usable. */
	char *c = util_fmt("%s/c.sqlite", d), *stall = util_fmt("%s/stalled", d);
	char *v2[] = {(char *)itest_gvab(), "history", "add", "--db", c, r0, r1, NULL};
	setenv("GVAB_TEST_HISTORY_STALL", stall, 1);
	char *l2 = util_fmt("%s/add2.log", d);
	pid_t p2 = itest_start(l2, v2);
	unsetenv("GVAB_TEST_HISTORY_STALL");
	while (!util_path_exists(stall)) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	kill(p2, SIGKILL);
	ck_assert_int_eq(itest_wait(p2), 128 + SIGKILL);
	ck_assert_int_eq(hist(&o, c, "list", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "0 runs"));
	free(o);
	ck_assert_int_eq(hist(&o, c, "add", r0, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "1 run added"));
	free(o);
	/* Not a history: refused with 65, never written. */
	char *junk = util_fmt("%s/junk", d);
	ck_assert_int_eq(util_write_file_atomic(junk, "not sqlite at all\n", 18), 0);
	ck_assert_int_eq(hist(&o, junk, "add", r0, NULL), 65);
	ck_assert_ptr_nonnull(strstr(o, "not an SQLite database"));
	free(o);
	char *after = util_read_file(junk, NULL);
	ck_assert_str_eq(after, "not sqlite at all\n");
	free(after);
	util_rm_rf(d);
	free(junk);
	free(l0);
	free(l1);
	free(l2);
	free(c);
	free(stall);
	free(r0);
	free(r1);
	free(a);
	free(b);
	free(d);
}
END_TEST

/* ci/release-gate.sh --anchor PATH --db FILE on copies of the fake runsc:
 * the run has the anchor arm and lands in the history. */
START_TEST(test_release_gate_db)
{
	char *d = itest_tmpdir("hist"), *db = util_fmt("%s/h.sqlite", d), *o = NULL;
	char *old = util_fmt("%s/old-runsc", d), *new = util_fmt("%s/new-runsc", d);
	char *anc = util_fmt("%s/anchor-runsc", d), *out = util_fmt("%s/gate", d);
	ck_assert_int_eq(util_copy_file(itest_fake(), old, 0755), 0);
	ck_assert_int_eq(util_copy_file(itest_fake(), new, 0755), 0);
	ck_assert_int_eq(util_copy_file(itest_fake(), anc, 0755), 0);
	char *argv[] = {"sh", "ci/release-gate.sh", "--gvab", (char *)itest_gvab(), "--old-runsc", old,
	                "--new-runsc", new, "--iterations", "12", "--adaptive", "0", "--max-regression",
	                "50%", "--anchor", anc, "--db", db, "--out", out, NULL};
	int rc = itest_run(&o, argv);
	fprintf(stderr, "release-gate: exit %d\n%s", rc, o);
	ck_assert_msg(rc == 0 || rc == 3, "exit %d", rc);
	free(o);
	ck_assert_int_eq(hist(&o, db, "list", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "1 run"));
	ck_assert_ptr_nonnull(strstr(o, "old,new,anchor"));
	free(o);
	util_rm_rf(d);
	free(out);
	free(anc);
	free(old);
	free(new);
	free(db);
	free(d);
}
END_TEST

/* gvab trend --anchor PATH --db FILE on the synthetic history (fakehist.h:
 * +100 ms in create and in start from merge 3 on): the run has the anchor arm, the
 * history stores ratios to it, and check finds the step g2 -> g3 toward
 * slower with its bisect command. */
START_TEST(test_trend_anchor_db)
{
	if (!fakehist_have_go())
		TEST_SKIP("no %s", FAKEHIST_GO);
	int d[5] = {0, 0, 0, 100000, 100000};
	struct fakehist h;
	fakehist_create(&h, "histtrend", 5, d, 0, -1);
	char *out = util_fmt("%s/trend", h.dir), *db = util_fmt("%s/h.sqlite", h.dir);
	char *extra[] = {"--ref", h.go[1], "--ref", h.go[2], "--ref", h.go[3], "--ref", h.go[4], "--out", out,
	                 "--iterations", "12", "--warmups", "1", "--anchor", (char *)itest_fake(), "--db", db, NULL};
	char **argv = fakehist_argv(&h, "trend", extra);
	char *o = NULL;
	int rc = itest_run(&o, argv);
	fprintf(stderr, "%s", o);
	ck_assert_msg(rc == 0, "trend exit %d", rc);
	ck_assert_ptr_nonnull(strstr(o, "added to"));
	/* 12 rounds can be too few for a step's interval (at the dependence
	 * the rounds show): "open", never inf. */
	ck_assert_msg(!itest_nan_or_inf(o), "trend printed '%.20s'", itest_nan_or_inf(o));
	if (strstr(o, "Some intervals are unbounded"))
		ck_assert_msg(strstr(o, ", open] |"), "%s", o);
	free(o);
	ck_assert_int_eq(hist(&o, db, "list", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, ",anchor"));
	free(o);
	ck_assert_int_eq(hist(&o, db, "show", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "ratio to the anchor"));
	ck_assert_ptr_nonnull(strstr(o, "4 revisions"));
	free(o);
	ck_assert_int_eq(hist(&o, db, "check", NULL, NULL), 1);
	char *want = util_fmt("--good %.12s --bad %.12s", h.go[2], h.go[3]);
	ck_assert_msg(strstr(o, want), "no '%s'", want);
	free(want);
	free(o);
	free(argv);
	free(out);
	free(db);
	fakehist_free(&h);
}
END_TEST

Suite *suite_history(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("cli");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_add_show_check);
	tcase_add_test(tc, test_absolute_and_empty);
	tcase_add_test(tc, test_page_chromium);
	tcase_add_test(tc, test_merge_concurrent_kill);
	tcase_add_test(tc, test_release_gate_db);
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("trend");
	tcase_set_timeout(tt, 600); /* four Go builds of the synthetic history */
	tcase_add_test(tt, test_trend_anchor_db);
	suite_add_tcase(s, tt);
	return s;
}
