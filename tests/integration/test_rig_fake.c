/* The rig against the fake runsc: complete runs, injected failures per
 * phase recorded and never sampled, the consecutive-failure stop, SIGINT
 * keeping samples and restoring knobs, SIGKILL then restore, exit codes. */
#define _GNU_SOURCE
#include "itest.h"
#include "samples.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *dir, *bundle;

static void setup(void)
{
	dir = itest_tmpdir("fake");
	bundle = util_fmt("%s/bundle", dir);
	itest_bundle(bundle, NULL);
	/* Knobs on a fake sysfs: these tests never touch the host's. */
	char *root = util_fmt("%s/sys", dir), *k = util_fmt("%s/sys/kernel", dir);
	util_mkdir_p(k, 0755);
	char *f = util_fmt("%s/rcu_expedited", k);
	util_write_file_atomic(f, "1\n", 2);
	char *j = util_fmt("%s/journal.json", dir), *c = util_fmt("%s/counter", dir);
	setenv("GVAB_SYSFS_ROOT", root, 1);
	setenv("GVAB_JOURNAL", j, 1);
	setenv("FAKE_RUNSC_COUNTER", c, 1);
	free(root);
	free(k);
	free(f);
	free(j);
	free(c);
}

static void teardown(void)
{
	util_rm_rf(dir);
	free(dir);
	free(bundle);
}

static char *knob(void)
{
	char *p = util_fmt("%s/sys/kernel/rcu_expedited", dir);
	char *t = util_read_file(p, NULL);
	free(p);
	return t;
}

static int run_fake(const char *out, const char *iters, char **output, const char *extra)
{
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "--out", (char *)out, "--bundle", bundle,
	                "--iterations", (char *)iters, "--warmups", "1", "--arm", a1, "--arm", a2,
	                (char *)extra, NULL};
	int rc = itest_run(output, argv);
	free(a1);
	free(a2);
	return rc;
}

START_TEST(test_complete_run)
{
	char *out = util_fmt("%s/run", dir), *sp = util_fmt("%s/run/samples.jsonl", dir);
	ck_assert_int_eq(run_fake(out, "10", NULL, NULL), 0);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 22);
	ck_assert_int_eq(itest_count_lines(sp, "\"ok\":true"), 22);
	ck_assert_int_eq(itest_count_lines(sp, "\"warmup\":true"), 2);
	char *rj = util_fmt("%s/run/run.json", dir);
	cJSON *run = util_json_load(rj);
	ck_assert_str_eq(cJSON_GetObjectItem(run, "status")->valuestring, "complete");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(run, "arms")), 2);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "host"), "kernel"));
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "bundle"), "rootfs_digest"));
	cJSON_Delete(run);
	/* Same directory again without --append: refused, nothing lost. */
	char *o = NULL;
	ck_assert_int_eq(run_fake(out, "3", &o, NULL), 64);
	ck_assert_ptr_nonnull(strstr(o, "already has samples"));
	free(o);
	ck_assert_int_eq(run_fake(out, "3", NULL, "--append"), 0);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 30);
	free(rj);
	free(out);
	free(sp);
}
END_TEST

START_TEST(test_failures_per_phase)
{
	static const char *phases[] = {"create", "start", "wait", "delete"};
	for (int i = 0; i < 4; i++) {
		char *out = util_fmt("%s/run-%s", dir, phases[i]);
		char *sp = util_fmt("%s/samples.jsonl", out);
		setenv("FAKE_RUNSC_FAIL", phases[i], 1);
		setenv("FAKE_RUNSC_FAIL_EVERY", "3", 1);
		ck_assert_int_eq(run_fake(out, "6", NULL, NULL), 0);
		int fails = itest_count_lines(sp, "\"ok\":false");
		ck_assert_int_gt(fails, 0);
		char *needle = util_fmt("\"failed_phase\":\"%s\"", phases[i]);
		ck_assert_int_eq(itest_count_lines(sp, needle), fails);
		/* A failed attempt carries no phase times: never a sample. */
		struct samples_file f;
		ck_assert_int_eq(samples_load(sp, NULL, 0, &f), 0);
		for (size_t k = 0; k < f.n; k++)
			if (!f.s[k].ok)
				ck_assert_int_eq(f.s[k].ns[PH_CORE], 0);
		samples_free(&f);
		free(needle);
		free(out);
		free(sp);
	}
}
END_TEST

START_TEST(test_consecutive_failures_stop)
{
	char *out = util_fmt("%s/run", dir), *o = NULL;
	setenv("FAKE_RUNSC_FAIL", "create", 1);
	ck_assert_int_eq(run_fake(out, "10", &o, NULL), 1);
	ck_assert_ptr_nonnull(strstr(o, "3 consecutive boots failed"));
	ck_assert_ptr_nonnull(strstr(o, "injected failure"));
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 3);
	free(o);
	free(sp);
	free(out);
}
END_TEST

START_TEST(test_exit_status)
{
	char *fb = util_fmt("%s/false", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(fb, "/bin/false");
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", fb,
	                "--iterations", "2", "--warmups", "0", "--arm", a1, "--arm", a2,
	                "--expect-exit", "1", NULL};
	ck_assert_int_eq(itest_run(NULL, argv), 0);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"exit_status\":1"), 4);
	/* Expecting 0 from /bin/false: every boot is a failure, not a sample. */
	char *out2 = util_fmt("%s/run2", dir);
	argv[4] = out2;
	argv[15] = NULL;
	ck_assert_int_eq(itest_run(NULL, argv), 1);
	char *sp2 = util_fmt("%s/samples.jsonl", out2);
	ck_assert_int_eq(itest_count_lines(sp2, "expected exit 0"), 3);
	free(sp);
	free(sp2);
	free(out2);
	free(a1);
	free(a2);
	free(fb);
	free(out);
}
END_TEST

static pid_t start_long_run(const char *out, const char *log)
{
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "--out", (char *)out, "--bundle", bundle,
	                "--iterations", "400", "--warmups", "0", "--set", "rcu_expedited=0",
	                "--arm", a1, "--arm", a2, NULL};
	setenv("FAKE_SANDBOX_MS", "5", 1);
	pid_t pid = itest_start(log, argv);
	free(a1);
	free(a2);
	ck_assert_int_gt(pid, 0);
	/* Let it take some samples. */
	char *sp = util_fmt("%s/samples.jsonl", out);
	for (int i = 0; i < 200 && itest_count_lines(sp, NULL) < 5; i++) {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	ck_assert_int_ge(itest_count_lines(sp, NULL), 5);
	free(sp);
	return pid;
}

START_TEST(test_sigint_keeps_samples_restores_knobs)
{
	char *out = util_fmt("%s/run", dir), *log = util_fmt("%s/log", dir);
	pid_t pid = start_long_run(out, log);
	char *k = knob();
	ck_assert_str_eq(k, "0"); /* the run changed it */
	free(k);
	kill(pid, SIGINT);
	ck_assert_int_eq(itest_wait(pid), 130);
	k = knob();
	ck_assert_str_eq(k, "1"); /* put back */
	free(k);
	char *jp = util_fmt("%s/journal.json", dir);
	ck_assert(!util_path_exists(jp));
	char *sp = util_fmt("%s/samples.jsonl", out);
	struct samples_file f;
	ck_assert_int_eq(samples_load(sp, NULL, 0, &f), 0);
	ck_assert_uint_ge(f.n, 5);
	ck_assert_uint_lt(f.n, 800);
	samples_free(&f);
	char *rj = util_fmt("%s/run.json", out);
	cJSON *run = util_json_load(rj);
	ck_assert_str_eq(cJSON_GetObjectItem(run, "status")->valuestring, "interrupted");
	cJSON_Delete(run);
	ck_assert_int_ge(itest_count_lines(log, "interrupted"), 1);
	free(rj);
	free(sp);
	free(jp);
	free(out);
	free(log);
}
END_TEST

START_TEST(test_sigkill_then_restore)
{
	char *out = util_fmt("%s/run", dir), *log = util_fmt("%s/log", dir);
	pid_t pid = start_long_run(out, log);
	kill(pid, SIGKILL);
	ck_assert_int_eq(itest_wait(pid), 128 + SIGKILL);
	/* Killed: the knob is still changed and the journal says so. */
	char *k = knob();
	ck_assert_str_eq(k, "0");
	free(k);
	char *jp = util_fmt("%s/journal.json", dir);
	ck_assert(util_path_exists(jp));
	/* The killed run's adopted sandboxes died with it (fake: they exit). */
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "restore", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 0);
	ck_assert_ptr_nonnull(strstr(o, "restored 1 host knob"));
	free(o);
	/* ...and the killed run's state directory (with any sandbox in it) is gone. */
	char *st = util_fmt("/run/gvab/state-%d", (int)pid);
	ck_assert(!util_path_exists(st));
	free(st);
	k = knob();
	ck_assert_str_eq(k, "1");
	free(k);
	ck_assert(!util_path_exists(jp));
	/* The next run also restores on its own: kill again, then run. */
	char *out2 = util_fmt("%s/run2", dir);
	pid = start_long_run(out2, log);
	kill(pid, SIGKILL);
	itest_wait(pid);
	char *out3 = util_fmt("%s/run3", dir);
	ck_assert_int_eq(run_fake(out3, "2", &o, NULL), 0);
	ck_assert_ptr_nonnull(strstr(o, "restored 1 host knob(s) left changed by a killed run"));
	k = knob();
	ck_assert_str_eq(k, "1");
	free(k);
	free(o);
	free(out);
	free(out2);
	free(out3);
	free(log);
	free(jp);
}
END_TEST

START_TEST(test_usage_errors)
{
	char *o = NULL;
	char *a1 = util_fmt("a=%s", itest_fake());
	char *one[] = {(char *)itest_gvab(), "run", "--bundle", bundle, "--arm", a1, NULL};
	ck_assert_int_eq(itest_run(&o, one), 64);
	ck_assert_ptr_nonnull(strstr(o, "need at least two --arm"));
	free(o);
	char *missing[] = {(char *)itest_gvab(), "run", "--bundle", bundle, "--arm", a1, "--arm",
	                   "b=/nonexistent/runsc", NULL};
	ck_assert_int_eq(itest_run(&o, missing), 69);
	ck_assert_ptr_nonnull(strstr(o, "arm b: runsc '/nonexistent/runsc' is not an executable"));
	free(o);
	char *bad[] = {(char *)itest_gvab(), "run", "--iterations", "zero", "--arm", a1, NULL};
	ck_assert_int_eq(itest_run(&o, bad), 64);
	ck_assert_ptr_nonnull(strstr(o, "--iterations: 'zero'"));
	free(o);
	char *knob_bad[] = {(char *)itest_gvab(), "run", "--set", "thp=always", NULL};
	ck_assert_int_eq(itest_run(&o, knob_bad), 64);
	ck_assert_ptr_nonnull(strstr(o, "unknown knob 'thp'"));
	free(o);
	char *nob[] = {(char *)itest_gvab(), "run", "--bundle", "/nonexistent", "--arm", a1, "--arm", a1 , NULL};
	nob[7] = util_fmt("c=%s", itest_fake());
	ck_assert_int_eq(itest_run(&o, nob), 69);
	ck_assert_ptr_nonnull(strstr(o, "bundle /nonexistent"));
	free(nob[7]);
	free(o);
	char *unk[] = {(char *)itest_gvab(), "frobnicate", NULL};
	ck_assert_int_eq(itest_run(NULL, unk), 64);
	free(a1);
}
END_TEST

Suite *suite_rig_fake(void)
{
	Suite *s = suite_create("rig (fake runsc)");
	TCase *tc = tcase_create("runs");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_complete_run);
	tcase_add_test(tc, test_failures_per_phase);
	tcase_add_test(tc, test_consecutive_failures_stop);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_sigint_keeps_samples_restores_knobs);
	tcase_add_test(tc, test_sigkill_then_restore);
	tcase_add_test(tc, test_usage_errors);
	suite_add_tcase(s, tc);
	return s;
}
