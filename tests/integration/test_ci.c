/* ci/release-gate.sh: every exit code, on copies of the fake runsc that
 * differ in speed (a file <binary>.create_ms beside a copy makes its create
 * slower), so no gVisor build is needed: 0 pass (same speed), 1 regression
 * (+50 ms on ~100 ms), 2 invalid (a runsc that cannot boot; never read as a
 * regression), 3 undecided (too few rounds for any interval), 64 usage. The
 * report is written whatever the verdict.
 *
 * The verdicts on timing (pass, regression) must not depend on the host's
 * load: the gate runs under SCHED_FIFO (chrt -f 1, inherited by gvab and
 * the fake runsc), so the fake's boots are its sleeps and nothing of the
 * other processes on the host. Measured on a 2-vCPU host at load average
 * 14: two identical fakes (30 rounds, FAKE_CREATE_MS=20) gave PASS and
 * UNDECIDED (a -23 ms carry-over) in the normal class, PASS twice with
 * CORE sd ~1-2 ms under chrt -f 1. The boot is some 100 ms, as real ones
 * are. And 40 rounds, not 30: the interval is widened for dependent rounds
 * by up to x8 (stats_ar1_variance_factor's cap, reached when the load
 * drifts through a run), and at 30 pairs that alone leaves it open, a
 * change of any size undecided: crafted runs with a steady drift gave
 * UNDECIDED at 30 pairs both for identical arms ([-130.00, open] ms) and
 * for +81%; at 40, PASS and REGRESSION. Where real-time scheduling is
 * refused, those two verdicts are a counted skip; the others still run. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"
#include "../skip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *fake_copy(const char *dir, const char *name, int extra_ms)
{
	char *p = util_fmt("%s/%s-runsc", dir, name);
	ck_assert_int_eq(util_copy_file(itest_fake(), p, 0755), 0);
	if (extra_ms > 0) {
		char *f = util_fmt("%s.create_ms", p), *v = util_fmt("%d\n", extra_ms);
		ck_assert_int_eq(util_write_file_atomic(f, v, strlen(v)), 0);
		free(f);
		free(v);
	}
	return p;
}

/* fifo: under chrt -f 1 (the deterministic timing mode above). */
static int gate(const char *dir, const char *old_bin, const char *new_bin, const char *iters,
                const char *min_samples, int fifo, char **out_dir)
{
	*out_dir = util_fmt("%s/gate-%s-%s", dir, strrchr(new_bin, '/') + 1, iters);
	char *argv[] = {ITEST_FIFO, "sh", "ci/release-gate.sh", "--gvab", (char *)itest_gvab(),
	                "--old-runsc", (char *)old_bin, "--new-runsc", (char *)new_bin, "--iterations",
	                (char *)iters, "--adaptive", "0", "--min-samples", (char *)min_samples,
	                "--max-regression", "10%", "--out", *out_dir, NULL};
	char *o = NULL;
	int rc = itest_run(&o, itest_fifo(argv, fifo));
	fprintf(stderr, "release-gate exit %d\n", rc);
	free(o);
	return rc;
}

static void report_written(const char *out)
{
	char *r = util_fmt("%s/report/report.md", out);
	ck_assert_msg(util_path_exists(r), "no report at %s", r);
	free(r);
}

START_TEST(test_exit_codes)
{
	setenv("FAKE_CREATE_MS", "100", 1);
	char *d = itest_tmpdir("ci");
	char *a = fake_copy(d, "old", 0), *same = fake_copy(d, "same", 0), *slow = fake_copy(d, "slow", 50);
	char *out = NULL;
	int fifo = itest_have_fifo();
	if (fifo) {
		ck_assert_int_eq(gate(d, a, same, "40", "10", 1, &out), 0);
		report_written(out);
		free(out);
		ck_assert_int_eq(gate(d, a, slow, "40", "10", 1, &out), 1);
		report_written(out);
		free(out);
	}
	/* Three rounds cannot give a 99% interval: undecided, never a pass. */
	ck_assert_int_eq(gate(d, a, slow, "3", "3", fifo, &out), 3);
	report_written(out);
	free(out);
	/* A runsc that cannot boot: invalid, not a regression. */
	char *broken = util_fmt("%s/broken-runsc", d);
	const char *sh = "#!/bin/sh\nexit 1\n";
	ck_assert_int_eq(util_write_file_atomic(broken, sh, strlen(sh)), 0);
	ck_assert_int_eq(chmod(broken, 0755), 0);
	ck_assert_int_eq(gate(d, a, broken, "5", "3", fifo, &out), 2);
	free(out);
	char *u[] = {"sh", "ci/release-gate.sh", "--gvab", (char *)itest_gvab(), "onlyone", NULL};
	ck_assert_int_eq(itest_run(NULL, u), 64);
	unsetenv("FAKE_CREATE_MS");
	util_rm_rf(d);
	free(broken);
	free(a);
	free(same);
	free(slow);
	free(d);
	if (!fifo)
		TEST_SKIP("chrt -f 1 refused (no real-time scheduling here): the pass and regression "
		          "verdicts were not checked");
}
END_TEST

/* --budget: the run's own time is taken off and gvab gate plans its looks
 * from the run's round rate in what is left. How much is left depends on
 * the host's speed, so this checks the path and what is said, not seconds:
 * the script says what the run used, and the gate either plans (its
 * "gate: budget" line) or adds nothing; a verdict or undecided, never
 * invalid. A time that is not one is a usage error. */
START_TEST(test_budget)
{
	setenv("FAKE_CREATE_MS", "5", 1);
	char *d = itest_tmpdir("ci-budget");
	char *a = fake_copy(d, "old", 0), *b = fake_copy(d, "new", 0), *out = util_fmt("%s/g", d);
	char *argv[] = {"sh", "ci/release-gate.sh", "--gvab", (char *)itest_gvab(), "--old-runsc", a,
	                "--new-runsc", b, "--iterations", "10", "--budget", "4s", "--out", out, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0 || rc == 1 || rc == 3, "exit %d: %s", rc, o);
	ck_assert_msg(strstr(o, "release-gate: budget 4s: the run took "), "%s", o);
	if (strstr(o, "gvab gate may add rounds for "))
		ck_assert_msg(strstr(o, "gate: budget ") && strstr(o, "rounds per minute measured"), "%s", o);
	else
		ck_assert_msg(strstr(o, "all of it; no rounds added") && !strstr(o, "gate: look "), "%s", o);
	free(o);
	char *bad[] = {"sh", "ci/release-gate.sh", "--gvab", (char *)itest_gvab(), "--old-runsc", a,
	               "--new-runsc", b, "--budget", "5x", NULL};
	ck_assert_int_eq(itest_run(&o, bad), 64);
	ck_assert_msg(strstr(o, "--budget '5x': expected a time"), "%s", o);
	free(o);
	unsetenv("FAKE_CREATE_MS");
	util_rm_rf(d);
	free(a);
	free(b);
	free(out);
	free(d);
}
END_TEST

Suite *suite_ci(void)
{
	Suite *s = suite_create("ci release gate (fake runsc)");
	TCase *tc = tcase_create("gate");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_exit_codes);
	tcase_add_test(tc, test_budget);
	suite_add_tcase(s, tc);
	return s;
}
