/* gvab trend on the synthetic history of fakehist.h (the fake runsc after
 * +100 ms on each of create and start from merge 7 on, over 50 ms each
 * everywhere: far beyond what a loaded host adds; a 15 ms change came out undecided under a load average of 15):
 * seven revisions around the change in one interleaved run flag exactly the step g6 -> g7 as slower,
 * and no other; run again it is analysed, not timed again; a revisions
 * file with --from/--to picks its lines, a revision that does not build is
 * left out, SIGINT gives 130 and the next run times again, other settings
 * are not served by an old run; usage and data errors name the option or
 * the file and line. */
#define _GNU_SOURCE
#include "fakehist.h"
#include "itest.h"
#include "samples.h"
#include "stats.h"
#include "util.h"
#include "../skip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#define NREV 17
#define FIRST 7

static int count_str(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

START_TEST(test_trend_flags_the_step)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	for (int i = 0; i < NREV; i++)
		d[i] = 50000 + (i >= FIRST ? 100000 : 0); /* a 100 ms boot, +200 ms from g7 (see test_bisect_fake.c) */
	struct fakehist h;
	fakehist_create(&h, "trend", NREV, d, 0, -1);
	static const int pick[] = {0, 2, 4, 6, 7, 8, 10};
	const size_t np = sizeof pick / sizeof pick[0];
	char *out = util_fmt("%s/trend", h.dir);
	char *extra[2 * 7 + 8] = {0};
	size_t k = 0;
	for (size_t i = 0; i < np; i++) {
		extra[k++] = "--ref";
		extra[k++] = h.go[pick[i]];
	}
	extra[k++] = "--out";
	extra[k++] = out;
	extra[k++] = "--iterations";
	extra[k++] = "30";
	extra[k++] = "--warmups";
	extra[k++] = "1";
	char **argv = fakehist_argv(&h, "trend", extra);
	char *o = NULL;
	int64_t t0 = util_now_ns();
	int rc = itest_run(&o, argv);
	double secs = (double)(util_now_ns() - t0) / 1e9;
	fprintf(stderr, "%s", o);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	ck_assert_ptr_nonnull(strstr(o, "| # | revision |"));

	char *jp = util_fmt("%s/trend.json", out);
	cJSON *doc = util_json_load(jp);
	ck_assert_ptr_nonnull(doc);
	const cJSON *steps = cJSON_GetObjectItem(doc, "steps"), *s;
	ck_assert_int_eq(cJSON_GetArraySize(steps), (int)np - 1);
	int flagged = 0;
	cJSON_ArrayForEach(s, steps) {
		const char *v = cJSON_GetObjectItem(s, "verdict")->valuestring;
		int to = (int)cJSON_GetObjectItem(s, "to")->valuedouble;
		ck_assert_int_eq((int)cJSON_GetObjectItem(s, "family_size")->valuedouble, (int)np - 1);
		if (pick[to] == FIRST) {
			/* "slower", unless the rounds came out so dependent that no
			 * change of any size could pass Holm over the steps: the
			 * floor of 30 pairs all of one sign, at the step's variance
			 * factor, times the family (F above about 3.6 here). */
			size_t pairs = (size_t)cJSON_GetObjectItem(s, "pairs")->valuedouble;
			double vf = cJSON_GetObjectItem(s, "variance_factor")->valuedouble;
			double floor = stats_sign_floor_p(pairs, vf) * (double)(np - 1);
			fprintf(stderr, "trend: g6 -> g7 %s, %zu pairs, variance x%.2f, floor x%zu %.3g\n", v, pairs,
			        vf, np - 1, floor);
			ck_assert_msg(strcmp(v, "slower") == 0 || (strcmp(v, "undecided") == 0 && floor > 0.01),
			              "g6 -> g7: %s at variance x%.2f (floor %.3g)", v, vf, floor);
			double ms = cJSON_GetObjectItem(s, "shift_ms")->valuedouble;
			ck_assert_msg(ms > 140 && ms < 320, "shift %.1f ms", ms); /* 2 x 100 ms */
			flagged++;
		} else {
			/* No other step moves by anything near the injected change. Two
			 * different (fake) binaries can still differ by a fraction of a
			 * millisecond at this ~4 ms scale, and trend rightly reports such
			 * a real difference when it is significant (seen: +0.15 ms,
			 * +4.0%, g3 against g2); what must not happen is a step that
			 * looks like a change of the size this history injects (200 ms;
			 * a tenth of it is the bound). */
			double ms = cJSON_GetObjectItem(s, "shift_ms")->valuedouble;
			ck_assert_msg((strcmp(v, "slower") != 0 && strcmp(v, "faster") != 0) || fabs(ms) < 20.0,
			              "step to g%d: %s, %+.2f ms", pick[to], v, ms);
		}
	}
	ck_assert_int_eq(flagged, 1);
	cJSON_Delete(doc);
	/* One run in latin order: every revision led some rounds (abba would
	 * have let only the first and the last lead). */
	char *rjp = util_fmt("%s/run/run.json", out), *smp = util_fmt("%s/run/samples.jsonl", out);
	cJSON *rj = util_json_load(rjp);
	ck_assert_str_eq(cJSON_GetObjectItem(rj, "order")->valuestring, "latin");
	cJSON_Delete(rj);
	struct samples_file sf;
	ck_assert_int_eq(samples_load(smp, NULL, 0, &sf), 0);
	int led[16] = {0}, last_round = -1;
	for (size_t i = 0; i < sf.n; i++)
		if (!sf.s[i].warmup && sf.s[i].round != last_round) {
			led[sf.s[i].arm]++;
			last_round = sf.s[i].round;
		}
	ck_assert_uint_eq(sf.narms, np);
	for (size_t a = 0; a < np; a++)
		ck_assert_msg(led[a] >= 4, "%s led %d of 30 rounds", sf.arms[a], led[a]);
	samples_free(&sf);
	free(rjp);
	free(smp);
	char *chart = util_fmt("%s/trend.svg", out);
	ck_assert_msg(util_path_exists(chart) || access("/usr/bin/gnuplot", X_OK) != 0, "no chart");
	free(chart);
	fprintf(stderr, "trend: %zu revisions, one run, %.1f s (builds included)\n", np, secs);

	/* Again: analysed, not timed again, same table. */
	char *o2 = NULL;
	char *sp = util_fmt("%s/run/samples.jsonl", out);
	int lines = itest_count_lines(sp, NULL);
	rc = itest_run(&o2, argv);
	ck_assert_msg(rc == 0, "again: exit %d:\n%s", rc, o2);
	ck_assert_ptr_nonnull(strstr(o2, "not timed again"));
	ck_assert_int_eq(itest_count_lines(sp, NULL), lines);
	ck_assert_int_eq(strstr(o2, "go build started") != NULL, 0);
	char *md = util_fmt("%s/trend.md", out), *mdt = util_read_file(md, NULL);
	ck_assert_ptr_nonnull(mdt);
	ck_assert_ptr_nonnull(strstr(o, mdt)); /* the file is what stdout showed */
	free(mdt);
	free(md);
	free(o2);
	free(sp);
	free(jp);
	free(o);
	free(argv);
	free(out);
	fakehist_free(&h);
}
END_TEST

START_TEST(test_trend_revisions_file_and_usage)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV] = {0};
	struct fakehist h;
	fakehist_create(&h, "trend-file", NREV, d, 0, 2); /* g2 does not compile */
	char *file = util_fmt("%s/revisions.txt", h.dir), *text = util_xstrdup("# go merges\n");
	for (int i = 0; i < NREV; i++) {
		/* git source: the pseudo-version column is only a placeholder */
		char *t = util_fmt("%s%s v0.0.0-209901010000%02d-%.12s %s master change %d\n", text, h.go[i], i,
		                   h.go[i], h.master[i][0] ? h.master[i] : h.go[i], i);
		free(text);
		text = t;
	}
	ck_assert_int_eq(util_write_file_atomic(file, text, strlen(text)), 0);
	char *out = util_fmt("%s/trend", h.dir), *o = NULL;
	char from[13], to[13];
	snprintf(from, sizeof from, "%.12s", h.go[3]);
	snprintf(to, sizeof to, "%.12s", h.go[1]);
	/* --to before --from: usage, nothing built. */
	char *bad[] = {"--revisions", file, "--from", from, "--to", to, "--out", out, NULL};
	char **argv = fakehist_argv(&h, "trend", bad);
	ck_assert_int_eq(itest_run(&o, argv), 64);
	ck_assert_msg(strstr(o, "--from") && strstr(o, "must come before --to"), "%s", o);
	free(o);
	free(argv);
	/* --ref and --revisions together: usage. */
	char *both[] = {"--revisions", file, "--ref", h.go[0], "--out", out, NULL};
	argv = fakehist_argv(&h, "trend", both);
	ck_assert_int_eq(itest_run(&o, argv), 64);
	free(o);
	free(argv);
	/* A malformed line: 65 naming file and line. */
	char *badfile = util_fmt("%s/bad.txt", h.dir);
	ck_assert_int_eq(util_write_file_atomic(badfile, "# x\nnot-hex\n", 12), 0);
	char *mal[] = {"--revisions", badfile, "--out", out, NULL};
	argv = fakehist_argv(&h, "trend", mal);
	ck_assert_int_eq(itest_run(&o, argv), 65);
	char *where = util_fmt("%s:2:", badfile);
	ck_assert_msg(strstr(o, where), "%s", o);
	free(where);
	free(o);
	free(argv);
	/* Lines g1..g3 from the file: g2 does not build and is left out, g1
	 * and g3 are timed, without change between them. SIGINT to trend
	 * alone mid-run: the run (in trend's own process) stops cleanly, exit 130,
	 * run interrupted. */
	char *good[] = {"--revisions", file, "--from", to, "--to", from, "--out", out, "--iterations", "20",
	                "--warmups", "1", NULL};
	argv = fakehist_argv(&h, "trend", good);
	char *log = util_fmt("%s/int.log", h.dir), *sp = util_fmt("%s/run/samples.jsonl", out);
	pid_t pid = itest_start(log, argv);
	ck_assert_int_gt(pid, 0);
	while (itest_count_lines(sp, NULL) < 6)
		itest_poll_pause(pid); /* fails the test if trend ends first */
	kill(pid, SIGINT);
	int rc = itest_wait(pid);
	char *il = util_read_file(log, NULL);
	ck_assert_msg(rc == 130, "exit %d:\n%s", rc, il);
	ck_assert_ptr_nonnull(strstr(il, "interrupted"));
	free(il);
	char *rjp = util_fmt("%s/run/run.json", out);
	cJSON *rj = util_json_load(rjp);
	ck_assert_str_eq(cJSON_GetObjectItem(rj, "status")->valuestring, "interrupted");
	cJSON_Delete(rj);
	/* Again: timed again in full, nothing built again. */
	rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	ck_assert_ptr_null(strstr(o, "not timed again"));
	ck_assert_int_eq(itest_count_lines(sp, NULL), 2 * 21);
	ck_assert_int_eq(count_str(o, "go build started"), 1); /* only g2, which fails again */
	char *jp = util_fmt("%s/trend.json", out);
	cJSON *doc = util_json_load(jp);
	const cJSON *revs = cJSON_GetObjectItem(doc, "revisions");
	ck_assert_int_eq(cJSON_GetArraySize(revs), 3);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(revs, 1), "built")));
	ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(revs, 1), "note")->valuestring,
	                             "does not build"));
	const cJSON *steps = cJSON_GetObjectItem(doc, "steps");
	ck_assert_int_eq(cJSON_GetArraySize(steps), 1);
	const cJSON *s = cJSON_GetArrayItem(steps, 0);
	ck_assert_int_eq((int)cJSON_GetObjectItem(s, "from")->valuedouble, 0);
	ck_assert_int_eq((int)cJSON_GetObjectItem(s, "to")->valuedouble, 2);
	/* g0 and g2 inject no change; as in the test above, two distinct fake
	 * binaries may differ by a real fraction of a millisecond (seen here:
	 * "slower" once, under a load average of 2.4), never by a change of
	 * the size this history injects (+30 ms). */
	const char *v = cJSON_GetObjectItem(s, "verdict")->valuestring;
	double sms = cJSON_GetObjectItem(s, "shift_ms")->valuedouble;
	ck_assert_msg((strcmp(v, "slower") != 0 && strcmp(v, "faster") != 0) || fabs(sms) < 1.0, "%s, %+.2f ms", v,
	              sms);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(revs, 1), "subject")->valuestring,
	                 "master change 2");
	ck_assert_ptr_nonnull(strstr(o, "left out: does not build"));
	cJSON_Delete(doc);
	free(o);
	/* Other settings (rounds): the complete run is not reused. */
	char *more[] = {"--revisions", file, "--from", to, "--to", from, "--out", out, "--iterations", "21",
	                "--warmups", "1", "-q", NULL};
	free(argv);
	argv = fakehist_argv(&h, "trend", more);
	rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 2 * 22);
	free(rjp);
	free(log);
	free(sp);
	free(jp);
	free(o);
	free(argv);
	free(badfile);
	free(out);
	free(file);
	free(text);
	fakehist_free(&h);
}
END_TEST

/* A trend's steps: the pairs of the one step of `out`/trend.json, and its
 * budget's planned rounds (-1 without one). */
static void budget_figures(const char *out, int *pairs, int *added, int *measured)
{
	char *jp = util_fmt("%s/trend.json", out);
	cJSON *doc = util_json_load(jp);
	ck_assert_ptr_nonnull(doc);
	const cJSON *steps = cJSON_GetObjectItem(doc, "steps"), *b = cJSON_GetObjectItem(doc, "budget");
	ck_assert_int_eq(cJSON_GetArraySize(steps), 1);
	*pairs = (int)cJSON_GetObjectItem(cJSON_GetArrayItem(steps, 0), "pairs")->valuedouble;
	*added = b ? (int)cJSON_GetObjectItem(b, "added_rounds")->valuedouble : -1;
	*measured = b ? (int)cJSON_GetObjectItem(b, "measured_rounds")->valuedouble : -1;
	cJSON_Delete(doc);
	free(jp);
}

/* --budget, for the whole run: 10 rounds (after the warm-up) are timed,
 * and what their measured rate allows is appended. Asserted on the plan,
 * never on seconds: in 1 s no more rounds fit (12 rounds of two revisions
 * in 1 s would be 24 boots a second; every runsc call of these fake
 * revisions takes 100 ms in create and in start); in 24 h they all do, and
 * --iterations 12 caps the plan at 2 more (one warm-up round first). Run
 * again with the same options the run is reused; with another budget, or
 * none, it is timed again. */
START_TEST(test_trend_budget)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[3] = {100000, 100000, 100000}; /* create and start 100 ms each: a boot >= 0.2 s */
	struct fakehist h;
	fakehist_create(&h, "trend-budget", 3, d, 0, -1);
	char *out = util_fmt("%s/trend", h.dir), *sp = util_fmt("%s/run/samples.jsonl", out);
	char *rjp = util_fmt("%s/run/run.json", out);
	char *o = NULL;
	int pairs, added, measured;

	char *b1[] = {"--ref", h.go[0], "--ref", h.go[2], "--out", out, "--warmups", "1", "--budget", "1s", NULL};
	char **argv = fakehist_argv(&h, "trend", b1);
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	ck_assert_msg(strstr(o, "gvab: trend: budget 1s: ") &&
	              strstr(o, "rounds per minute measured on the first chunk") &&
	              strstr(o, ": 0 measured rounds after the first 10"), "%s", o);
	ck_assert_msg(strstr(o, "Budget 1s (`--budget`, for the whole run): the first 10 rounds (after 1 "
	                        "warm-up)") && strstr(o, "no more rounds fit, the trend is the first 10."), "%s", o);
	budget_figures(out, &pairs, &added, &measured);
	ck_assert_int_eq(added, 0);
	ck_assert_int_eq(measured, 10);
	ck_assert_int_eq(pairs, 10);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 2 * 11);
	cJSON *rj = util_json_load(rjp);
	ck_assert_double_eq(cJSON_GetObjectItem(rj, "budget_s")->valuedouble, 1);
	cJSON_Delete(rj);
	free(o);
	/* The same options: reused, not timed again. */
	rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0 && strstr(o, "budget 1s and these binaries; not timed again"), "exit %d:\n%s", rc, o);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 2 * 11);
	free(o);
	free(argv);
	/* No budget, with the same rounds: the budgeted run is not its run. */
	char *nb[] = {"--ref", h.go[0], "--ref", h.go[2], "--out", out, "--warmups", "1", "--iterations", "10", "-q", NULL};
	argv = fakehist_argv(&h, "trend", nb);
	rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0 && !strstr(o, "not timed again"), "exit %d:\n%s", rc, o);
	rj = util_json_load(rjp);
	ck_assert_ptr_null(cJSON_GetObjectItem(rj, "budget_s"));
	cJSON_Delete(rj);
	free(o);
	free(argv);
	/* A day, capped by --iterations 12: 2 rounds appended after a warm-up
	 * round, as a second chunk. */
	char *b2[] = {"--ref", h.go[0], "--ref", h.go[2], "--out", out, "--warmups", "1", "--budget", "24h",
	              "--iterations", "12", NULL};
	argv = fakehist_argv(&h, "trend", b2);
	rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	ck_assert_msg(strstr(o, ": 2 measured rounds after the first 10 (one warm-up round first) (--iterations "
	                        "caps it)") && !strstr(o, "not timed again"), "%s", o);
	ck_assert_msg(strstr(o, "2 more measured rounds were appended after one warm-up round (--iterations caps "
	                        "them), 12 in all."), "%s", o);
	budget_figures(out, &pairs, &added, &measured);
	ck_assert_int_eq(added, 2);
	ck_assert_int_eq(measured, 12);
	ck_assert_int_eq(pairs, 12);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 2 * (11 + 3));
	rj = util_json_load(rjp);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rj, "chunks")), 2);
	cJSON_Delete(rj);
	free(o);
	rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0 && strstr(o, "budget 24h and these binaries; not timed again"), "exit %d:\n%s", rc, o);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 2 * 14);
	free(o);
	free(argv);
	free(rjp);
	free(sp);
	free(out);
	fakehist_free(&h);
}
END_TEST

Suite *suite_trend(void)
{
	Suite *s = suite_create("trend (synthetic history, fake runsc)");
	TCase *tc = tcase_create("trend");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_trend_flags_the_step);
	tcase_add_test(tc, test_trend_revisions_file_and_usage);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("budget");
	tcase_set_timeout(tb, 600);
	tcase_add_test(tb, test_trend_budget);
	suite_add_tcase(s, tb);
	return s;
}
