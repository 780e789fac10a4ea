/* gvab bisect on a synthetic go-branch history (fakehist.h) with the fake
 * runsc: 17 go commits, the root g0 and 16 go-style merges, whose runsc
 * sleeps longer in create and start from one merge on. Fast (seconds per step, the
 * builds are tiny Go programs) and without real gVisor:
 * - +100 ms on each of create and start from g7 on (far beyond what a
 *   loaded host adds to the fake's ~5 ms boots: under a load average of 15 they took ~200 ms
 *   with tens of ms of noise, and a 15 ms change came out undecided): bisect
 *   names g7 exactly, with the
 *   master commit it merged, in at most ceil(log2 16) + 1 = 5 steps;
 * - +0.2 ms under 0-4 ms of jitter per call: never a wrong exact answer
 *   (the ends do not differ, or a range, or g7);
 * - g4's tree does not compile: g4 is skipped and g7 still found;
 * - the other direction (100 ms less from g7 on), stopped by --max-steps
 *   with a range (exit 3), then carried on to g7;
 * - a change spread over g7 and g8: g7 undecided, the answer the range
 *   (g6, g8];
 * - SIGINT to bisect alone: the step's run (in bisect's own process)
 *   stops cleanly, exit 130, state kept;
 * - SIGKILL (the whole process group) after two steps: started again, it
 *   rebuilds nothing it had built, times no step again, and ends with the
 *   same answer and the same number of steps as a run never stopped. */
#define _GNU_SOURCE
#include "fakehist.h"
#include "itest.h"
#include "proc.h"
#include "util.h"
#include "../skip.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NREV 17   /* g0 + 16 merges */
#define FIRST 7   /* the merge the change comes with */
#define MAX_STEPS 5 /* ceil(log2(16)) + 1 */
#define EFFECT_US 100000 /* the injected change in create and in start */
/* What every revision's create and start take besides: a boot of some 100 ms, so
 * the ends' ratio is a few-fold, not twenty-fold over a 10 ms boot whose
 * scheduling jitter on a loaded host moves the log ratio by half its size
 * from round to round (a drift the lag-1 margin rightly pays for). */
#define BASE_US 50000

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void delays(int *d, int from, int base_us, int extra_us)
{
	for (int i = 0; i < NREV; i++)
		d[i] = base_us + (i >= from ? extra_us : 0);
}

/* Runs bisect from g0 to g16 with `extra` arguments into OUT; returns the
 * exit code and the output (stdout + stderr) in *o. */
static int bisect(const struct fakehist *h, const char *out, const char *iters, const char *looks,
                  char **o)
{
	char *extra[] = {"--good", (char *)h->go[0], "--bad", (char *)h->go[NREV - 1], "--out", (char *)out,
	                 "--iterations", (char *)iters, "--looks", (char *)looks, NULL};
	char **argv = fakehist_argv(h, "bisect", extra);
	int64_t t0 = util_now_ns();
	int rc = itest_run(o, argv);
	fprintf(stderr, "bisect (%s) took %.1f s, exit %d\n", out, (double)(util_now_ns() - t0) / 1e9, rc);
	free(argv);
	return rc;
}

/* A directory under `steps` whose name starts with `prefix` ("03-"). */
static int step_dir_exists(const char *steps, const char *prefix)
{
	struct dirent **ents = NULL;
	int ne = scandir(steps, &ents, NULL, alphasort), found = 0;
	for (int k = 0; k < ne; k++) {
		found |= strncmp(ents[k]->d_name, prefix, strlen(prefix)) == 0;
		free(ents[k]);
	}
	free(ents);
	return found;
}

static cJSON *load_state(const char *out)
{
	char *p = util_fmt("%s/bisect.json", out);
	cJSON *doc = util_json_load(p);
	free(p);
	return doc;
}

static int steps_of(const cJSON *doc)
{
	const cJSON *s = cJSON_GetObjectItem(doc, "steps");
	return cJSON_IsNumber(s) ? (int)s->valuedouble : -1;
}

static const char *state_of(const cJSON *doc, size_t i)
{
	const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "path"), (int)i);
	const cJSON *s = cJSON_GetObjectItem(x, "state");
	return cJSON_IsString(s) ? s->valuestring : "";
}

/* The answer is g7, exact, with the master commit m7 it merged. */
static void assert_found(const struct fakehist *h, const char *out, const char *o)
{
	char *line = util_fmt("first bad: %.12s", h->go[FIRST]);
	ck_assert_msg(strstr(o, line), "want '%s':\n%s", line, o);
	char *brings = util_fmt("brings %.12s master change %d", h->master[FIRST], FIRST);
	ck_assert_msg(strstr(o, brings), "want '%s':\n%s", brings, o);
	cJSON *doc = load_state(out);
	ck_assert_ptr_nonnull(doc);
	const cJSON *ans = cJSON_GetObjectItem(doc, "answer");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ans, "exact")));
	ck_assert_str_eq(cJSON_GetObjectItem(ans, "first_bad")->valuestring, h->go[FIRST]);
	/* +100 ms on each of create and start. */
	double d = cJSON_GetObjectItem(ans, "delta_ms")->valuedouble;
	ck_assert_msg(d > 140 && d < 320, "delta %.1f ms", d);
	ck_assert_int_le(steps_of(doc), MAX_STEPS);
	cJSON_Delete(doc);
	free(line);
	free(brings);
}

START_TEST(test_bisect_names_the_merge)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	delays(d, FIRST, BASE_US, EFFECT_US);
	struct fakehist h;
	fakehist_create(&h, "bisect-fake", NREV, d, 0, -1);
	char *out = util_fmt("%s/bisect", h.dir), *o = NULL;
	int rc = bisect(&h, out, "12", "3", &o);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	assert_found(&h, out, o);
	cJSON *doc = load_state(out);
	fprintf(stderr, "bisect: %d steps over %d merges; builds %d, cached %d\n", steps_of(doc),
	        NREV - 1, count(o, "go build started"), count(o, ": up to date ("));
	cJSON_Delete(doc);
	/* bisect.md: the summary and the path; the merge's note says how it
	 * compares with the ends (slower than good, the regression). */
	char *mdp = util_fmt("%s/bisect.md", out), *md = util_read_file(mdp, NULL);
	ck_assert_ptr_nonnull(md);
	ck_assert_ptr_nonnull(strstr(md, "first bad:"));
	ck_assert_ptr_nonnull(strstr(md, "| bad-like |"));
	char *row = util_fmt("| %d | `%.12s` |", FIRST, h.go[FIRST]);
	const char *at = strstr(md, row);
	ck_assert_msg(at && strstr(at, "against good: slower"), "%s", md);
	free(row);
	free(md);
	free(mdp);
	char *chart = util_fmt("%s/bisect.svg", out);
	ck_assert_msg(util_path_exists(chart) || access("/usr/bin/gnuplot", X_OK) != 0, "no chart");
	free(chart);
	free(o);
	free(out);
	fakehist_free(&h);
}
END_TEST

START_TEST(test_bisect_under_the_noise)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	delays(d, FIRST, 0, 200);
	struct fakehist h;
	fakehist_create(&h, "bisect-noise", NREV, d, 4000, -1);
	char *out = util_fmt("%s/bisect", h.dir), *o = NULL;
	int rc = bisect(&h, out, "10", "2", &o);
	fprintf(stderr, "%s", o);
	/* 65: the ends do not differ, or the pairs could not have told any
	 * change at the dependence the rounds showed; 0 or 3 with a range;
	 * never a wrong revision named exactly. */
	ck_assert_msg(rc == 65 || rc == 0 || rc == 3, "exit %d:\n%s", rc, o);
	if (rc == 65)
		ck_assert_msg(strstr(o, "do not differ") || strstr(o, "could not be told apart"), "%s", o);
	cJSON *doc = load_state(out);
	ck_assert_ptr_nonnull(doc);
	const cJSON *ans = cJSON_GetObjectItem(doc, "answer");
	if (ans && cJSON_IsTrue(cJSON_GetObjectItem(ans, "exact")))
		ck_assert_str_eq(cJSON_GetObjectItem(ans, "first_bad")->valuestring, h.go[FIRST]);
	fprintf(stderr, "under the noise: exit %d, %d steps, answer %s\n", rc, steps_of(doc),
	        ans ? (cJSON_IsTrue(cJSON_GetObjectItem(ans, "exact")) ? "exact" : "range") : "none");
	cJSON_Delete(doc);
	free(o);
	free(out);
	fakehist_free(&h);
}
END_TEST

START_TEST(test_bisect_skips_what_does_not_build)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	delays(d, FIRST, BASE_US, EFFECT_US);
	struct fakehist h;
	fakehist_create(&h, "bisect-skip", NREV, d, 0, 4);
	char *out = util_fmt("%s/bisect", h.dir), *o = NULL;
	int rc = bisect(&h, out, "12", "3", &o);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	assert_found(&h, out, o);
	ck_assert_msg(strstr(o, "skipped: does not build"), "%s", o);
	cJSON *doc = load_state(out);
	ck_assert_str_eq(state_of(doc, 4), "skipped");
	fprintf(stderr, "with g4 broken: %d steps\n", steps_of(doc));
	cJSON_Delete(doc);
	free(o);
	free(out);
	fakehist_free(&h);
}
END_TEST

/* The other direction (an improvement: 100 ms less per call from g7 on),
 * stopped by --max-steps 2 (exit 3, a range), then carried on to the end. */
START_TEST(test_bisect_finds_an_improvement)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	for (int i = 0; i < NREV; i++)
		d[i] = BASE_US + (i < FIRST ? EFFECT_US : 0);
	struct fakehist h;
	fakehist_create(&h, "bisect-faster", NREV, d, 0, -1);
	char *out = util_fmt("%s/bisect", h.dir), *o = NULL;
	char *extra[] = {"--good", h.go[0], "--bad", h.go[NREV - 1], "--out", out, "--iterations", "12",
	                 "--looks", "3", "--max-steps", "2", NULL};
	char **argv = fakehist_argv(&h, "bisect", extra);
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 3, "exit %d:\n%s", rc, o);
	ck_assert_msg(strstr(o, "first bad: one of"), "%s", o);
	cJSON *doc = load_state(out);
	ck_assert_int_eq(steps_of(doc), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "answer"), "status")->valuestring,
	                 "stopped (--max-steps)");
	cJSON_Delete(doc);
	free(o);
	rc = bisect(&h, out, "12", "3", &o);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	char *line = util_fmt("first bad: %.12s", h.go[FIRST]);
	ck_assert_msg(strstr(o, line), "want '%s':\n%s", line, o);
	doc = load_state(out);
	const cJSON *ans = cJSON_GetObjectItem(doc, "answer");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ans, "exact")));
	double dm = cJSON_GetObjectItem(ans, "delta_ms")->valuedouble;
	ck_assert_msg(dm < -140 && dm > -320, "delta %.1f ms", dm);
	ck_assert_int_le(steps_of(doc), MAX_STEPS);
	fprintf(stderr, "improvement: %d steps, bad - good %+.1f ms\n", steps_of(doc), dm);
	cJSON_Delete(doc);
	free(line);
	free(o);
	free(argv);
	free(out);
	fakehist_free(&h);
}
END_TEST

/* A change spread over two merges (+50 ms per call at g7, +100 ms from
 * g8): g7 differs from both ends, so it is undecided and the answer is the
 * range (g6, g8], not a guess. */
START_TEST(test_bisect_spread_change_is_a_range)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	for (int i = 0; i < NREV; i++)
		d[i] = BASE_US + (i < FIRST ? 0 : i == FIRST ? EFFECT_US / 2 : EFFECT_US);
	struct fakehist h;
	fakehist_create(&h, "bisect-spread", NREV, d, 0, -1);
	char *out = util_fmt("%s/bisect", h.dir), *o = NULL;
	int rc = bisect(&h, out, "12", "3", &o);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	char *line = util_fmt("first bad: one of 2 revisions after %.12s up to %.12s", h.go[FIRST - 1],
	                      h.go[FIRST + 1]);
	ck_assert_msg(strstr(o, line), "want '%s':\n%s", line, o);
	cJSON *doc = load_state(out);
	const cJSON *ans = cJSON_GetObjectItem(doc, "answer");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(ans, "exact")));
	const cJSON *between = cJSON_GetObjectItem(ans, "unresolved_between");
	ck_assert_int_eq(cJSON_GetArraySize(between), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(between, 0)->valuestring, h.go[FIRST]);
	ck_assert_str_eq(state_of(doc, FIRST), "undecided");
	fprintf(stderr, "spread change: %d steps, range (g6, g8]\n", steps_of(doc));
	cJSON_Delete(doc);
	free(line);
	free(o);
	free(out);
	fakehist_free(&h);
}
END_TEST

static long mtime_ns(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	return (long)(st.st_mtim.tv_sec % 1000000) * 1000000000L + st.st_mtim.tv_nsec;
}

START_TEST(test_bisect_resumes_after_sigkill)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	delays(d, FIRST, BASE_US, EFFECT_US);
	struct fakehist h;
	fakehist_create(&h, "bisect-kill", NREV, d, 0, -1);
	char *out = util_fmt("%s/bisect", h.dir), *log = util_fmt("%s/first.log", h.dir);
	char *extra[] = {"--good", h.go[0], "--bad", h.go[NREV - 1], "--out", out, "--iterations", "12",
	                 "--looks", "3", NULL};
	char **argv = fakehist_argv(&h, "bisect", extra);
	/* SIGINT to bisect alone while step 1 boots: it is passed on to gvab
	 * run, which stops cleanly (run interrupted, nothing orphaned), and
	 * bisect exits 130 with its state saved. */
	{
		pid_t p1 = itest_start(log, argv);
		ck_assert_int_gt(p1, 0);
		char *step1 = NULL;
		while (!step1) {
			itest_poll_pause(p1);
			char *sd = util_fmt("%s/steps", out);
			struct dirent **ents = NULL;
			int ne = scandir(sd, &ents, NULL, alphasort);
			for (int k = 0; k < ne; k++) {
				if (strncmp(ents[k]->d_name, "01-", 3) == 0) {
					char *sp = util_fmt("%s/%s/samples.jsonl", sd, ents[k]->d_name);
					if (itest_count_lines(sp, NULL) >= 6)
						step1 = util_fmt("%s/%s", sd, ents[k]->d_name);
					free(sp);
				}
				free(ents[k]);
			}
			free(ents);
			free(sd);
		}
		ck_assert_ptr_nonnull(step1);
		kill(p1, SIGINT);
		int st;
		ck_assert_int_eq(waitpid(p1, &st, 0), p1);
		char *l1 = util_read_file(log, NULL);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "%s:\n%s", proc_status_str(st), l1);
		free(l1);
		cJSON *doc = load_state(out);
		ck_assert_str_eq(cJSON_GetObjectItem(doc, "status")->valuestring, "interrupted");
		cJSON_Delete(doc);
		char *rjp = util_fmt("%s/run.json", step1);
		cJSON *rj = util_json_load(rjp);
		ck_assert_str_eq(cJSON_GetObjectItem(rj, "status")->valuestring, "interrupted");
		cJSON_Delete(rj);
		free(rjp);
		free(step1);
	}
	/* Its own process group, so SIGKILL takes go build and runsc too:
	 * a crash of the whole session. */
	struct proc_opts po = {.argv = argv, .stdout_path = log, .stderr_path = log, .stdin_null = 1,
	                       .own_pgroup = 1};
	pid_t pid;
	ck_assert_int_eq(proc_spawn(&po, &pid), 0);
	int before = 0;
	for (;;) {
		cJSON *doc = load_state(out);
		before = doc ? steps_of(doc) : 0;
		cJSON_Delete(doc);
		if (before >= 2)
			break;
		itest_poll_pause(pid);
	}
	/* Mid-way through step 3: once its directory exists (its build or
	 * its run under way), not after a fixed pause. */
	char *steps = util_fmt("%s/steps", out);
	while (!step_dir_exists(steps, "03-"))
		itest_poll_pause(pid);
	free(steps);
	kill(-pid, SIGKILL);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	cJSON *doc = load_state(out);
	before = steps_of(doc);
	ck_assert_int_lt(before, 4); /* really mid-way */
	int measured = 0, was_measured[NREV] = {0};
	for (size_t i = 1; i + 1 < NREV; i++)
		measured += was_measured[i] = strcmp(state_of(doc, i), "untested") != 0;
	ck_assert_int_eq(measured, before);
	cJSON_Delete(doc);
	char *first = util_read_file(log, NULL);
	int builds_before = count(first, "go build started");
	/* The steps it finished, as they were. */
	char *step_files[8] = {0};
	long step_mtimes[8] = {0};
	{
		char *steps_dir = util_fmt("%s/steps", out);
		struct dirent **ents = NULL;
		int ne = scandir(steps_dir, &ents, NULL, alphasort), k = 0;
		for (int i = 0; i < ne; i++) {
			int num = atoi(ents[i]->d_name);
			/* Step run directories; each step's run log sits beside its directory. */
			if (num >= 1 && num <= before && k < 8 && !strstr(ents[i]->d_name, ".log")) {
				step_files[k] = util_fmt("%s/%s/samples.jsonl", steps_dir, ents[i]->d_name);
				step_mtimes[k] = mtime_ns(step_files[k]);
				ck_assert_int_gt(step_mtimes[k], 0);
				k++;
			}
			free(ents[i]);
		}
		free(ents);
		ck_assert_int_eq(k, before);
		free(steps_dir);
	}

	/* Again, same arguments. */
	char *o = NULL;
	int rc = bisect(&h, out, "12", "3", &o);
	ck_assert_msg(rc == 0, "exit %d:\n%s", rc, o);
	assert_found(&h, out, o);
	doc = load_state(out);
	int total = steps_of(doc);
	for (size_t i = 1; i + 1 < NREV; i++) /* the path taken, for the log */
		if (strcmp(state_of(doc, i), "untested") != 0)
			fprintf(stderr, "  g%zu %s (step %d)\n", i, state_of(doc, i),
			        (int)cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "path"), (int)i),
			                                 "step")->valuedouble);
	cJSON_Delete(doc);
	/* No finished step timed again: their samples untouched, and the
	 * resumed run starts at the next step number. */
	for (int k = 0; k < before; k++) {
		ck_assert_int_eq(mtime_ns(step_files[k]), step_mtimes[k]);
		char *again = util_fmt("step %d,", k + 1);
		ck_assert_msg(!strstr(o, again), "step %d timed again:\n%s", k + 1, o);
		free(again);
		free(step_files[k]);
	}
	/* Nothing built again: the ends are up to date, no revision measured
	 * before is even visited, and go build runs at most once per new step
	 * (the step killed mid-way finds its build done, unless the kill
	 * came during it). */
	fprintf(stderr, "%s", o);
	int builds_after = count(o, "go build started"), cached = count(o, ": up to date (");
	ck_assert_int_ge(cached, 2);
	for (size_t i = 1; i + 1 < NREV; i++)
		if (was_measured[i]) {
			char *b = util_fmt("bisect: building %.12s", h.go[i]);
			ck_assert_msg(!strstr(o, b), "g%zu visited again", i);
			free(b);
		}
	ck_assert_int_le(builds_after, total - before);
	fprintf(stderr, "killed after %d steps (%d builds); resumed: %d more builds, %d cached, %d steps "
	        "in all\n", before, builds_before, builds_after, cached, total);
	ck_assert_int_le(total, MAX_STEPS);
	free(first);
	free(o);
	free(argv);
	free(log);
	free(out);
	fakehist_free(&h);
}
END_TEST

/* --budget: a step's looks are cut to what the first look's measured
 * round rate allows. 30 rounds of mid/good/bad and 2 warm-ups are 32
 * rounds; a second look needs 31 more: 63 rounds in 1 s, 189 boots a
 * second, which a fake runsc (three commands, a sandbox process and the
 * history's start-up delay per boot) never reaches, least of all on a
 * loaded host: 1 of 3 looks, planned before the first is analysed. */
START_TEST(test_bisect_budget)
{
	if (!fakehist_have_go())
		TEST_SKIP("no Go toolchain at %s (the fake histories are built with it)", FAKEHIST_GO);
	int d[NREV];
	delays(d, FIRST, BASE_US, EFFECT_US);
	struct fakehist h;
	fakehist_create(&h, "bisect-budget", NREV, d, 0, -1);
	char *out = util_fmt("%s/bisect", h.dir), *o = NULL;
	char *extra[] = {"--good", (char *)h.go[0], "--bad", (char *)h.go[NREV - 1], "--out", out,
	                 "--iterations", "30", "--looks", "3", "--budget", "1s", "--max-steps", "1", NULL};
	char **argv = fakehist_argv(&h, "bisect", extra);
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0 || rc == 3 || rc == 65, "exit %d:\n%s", rc, o);
	ck_assert_msg(strstr(o, "step 1, ") && strstr(o, ": budget 1s: ") &&
	              strstr(o, "rounds per minute measured on the first look allow 1 of 3 looks"), "%s", o);
	ck_assert_msg(!strstr(o, "look 2/"), "%s", o);
	free(argv);
	free(o);
	free(out);
	fakehist_free(&h);
}
END_TEST

/* Two suites, so tests/run.sh can run them side by side (lanes bisect1
 * and bisect2 of itest.c): their time is the fake runsc's sleeps. */
static Suite *bisect_suite(const char *name, const TTest *const *tests, size_t n)
{
	Suite *s = suite_create(name);
	for (size_t i = 0; i < n; i++) {
		TCase *tc = tcase_create("bisect");
		tcase_set_timeout(tc, 900);
		tcase_add_test(tc, tests[i]);
		suite_add_tcase(s, tc);
	}
	return s;
}

Suite *suite_bisect_fake1(void)
{
	const TTest *tests[] = {test_bisect_names_the_merge, test_bisect_under_the_noise,
	                        test_bisect_skips_what_does_not_build, test_bisect_budget};
	return bisect_suite("bisect (synthetic history, fake runsc) 1/2", tests, sizeof tests / sizeof tests[0]);
}

Suite *suite_bisect_fake2(void)
{
	const TTest *tests[] = {test_bisect_finds_an_improvement, test_bisect_spread_change_is_a_range,
	                        test_bisect_resumes_after_sigkill};
	return bisect_suite("bisect (synthetic history, fake runsc) 2/2", tests, sizeof tests / sizeof tests[0]);
}
