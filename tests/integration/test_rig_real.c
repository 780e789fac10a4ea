/* The rig against real runsc (Debian's prebuilt one): a short A/A run
 * completes, exit statuses are right, and nothing is left behind. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEBIAN_RUNSC "/usr/bin/runsc"

static char *dir;
static void setup(void) { dir = itest_tmpdir("real"); }
static void teardown(void)
{
	util_rm_rf(dir);
	free(dir);
}

/* Processes still running from this test's runs: their command lines name
 * the test's own directory (the bundle path of runsc create, the sandbox
 * and the gofer). Other gvab runs on the machine do not count. */
static int count_runsc_processes(void)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char *p = util_fmt("/proc/%s/cmdline", de->d_name);
		size_t len;
		char *c = util_read_file(p, &len);
		if (c) {
			for (size_t i = 0; i + 1 < len; i++)
				if (!c[i])
					c[i] = ' ';
			if (strstr(c, "runsc") && strstr(c, dir))
				n++;
		}
		free(c);
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

/* State directories, mounts and cgroups left by the gvab run that wrote
 * `samples` (its pid is in the container ids, gvab-<pid>-<seq>). */
static int count_leftovers(const char *samples)
{
	char *t = util_read_file(samples, NULL);
	char *id = t ? strstr(t, "\"id\":\"gvab-") : NULL;
	long pid = id ? strtol(id + 11, NULL, 10) : 0;
	free(t);
	ck_assert_msg(pid > 0, "no container id in %s", samples);
	char *state = util_fmt("/run/gvab/state-%ld", pid), *prefix = util_fmt("gvab-%ld-", pid);
	int n = util_path_exists(state) + itest_count_lines("/proc/self/mountinfo", state);
	DIR *d = opendir("/sys/fs/cgroup/memory");
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	if (d)
		closedir(d);
	free(state);
	free(prefix);
	return n;
}

START_TEST(test_real_aa_run)
{
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, NULL);
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b,
	                "--iterations", "3", "--warmups", "1", "--arm", "a=" DEBIAN_RUNSC,
	                "--arm", "b=" DEBIAN_RUNSC, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab run exit %d: %s", rc, o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"ok\":true"), 8);
	ck_assert_int_eq(itest_count_lines(sp, "\"exit_status\":0"), 8);
	ck_assert_int_eq(count_runsc_processes(), 0);
	ck_assert_int_eq(count_leftovers(sp), 0);
	free(sp);
	free(b);
	free(out);
}
END_TEST

START_TEST(test_real_exit_status_false)
{
	char *b = util_fmt("%s/false", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, "/bin/false");
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b,
	                "--iterations", "1", "--warmups", "0", "--expect-exit", "1",
	                "--arm", "a=" DEBIAN_RUNSC, "--arm", "b=" DEBIAN_RUNSC, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab run exit %d: %s", rc, o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"exit_status\":1"), 2);
	ck_assert_int_eq(count_runsc_processes(), 0);
	free(sp);
	free(b);
	free(out);
}
END_TEST

START_TEST(test_real_instrumented)
{
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, NULL);
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b,
	                "--iterations", "2", "--warmups", "0", "--phases", "--inittrace", "--syscalls",
	                "--arm", "a=" DEBIAN_RUNSC, "--arm", "b=" DEBIAN_RUNSC, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab run exit %d: %s", rc, o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"create:gofer_started\""), 4);
	ck_assert_int_eq(itest_count_lines(sp, "\"boot:loader_cpus\""), 4);
	ck_assert_int_eq(itest_count_lines(sp, "gvisor.dev/gvisor/pkg/sentry/hostmm"), 4);
	/* Debian's runsc (20240729) registers eagerly: REGISTER calls > 0. */
	ck_assert_int_eq(itest_count_lines(sp, "\"membarrier_register_private_expedited\":0"), 0);
	ck_assert_int_eq(itest_count_lines(sp, "\"membarrier_register_private_expedited\":"), 4);
	char *rep = util_fmt("%s/report", dir);
	char *r[] = {(char *)itest_gvab(), "report", "--out", rep, out, NULL};
	ck_assert_int_eq(itest_run(NULL, r), 0);
	char *md = util_fmt("%s/report.md", rep);
	char *t = util_read_file(md, NULL);
	ck_assert_ptr_nonnull(strstr(t, "Internal phase markers"));
	ck_assert_ptr_nonnull(strstr(t, "| gvisor.dev/gvisor/pkg/sentry/hostmm |"));
	ck_assert_ptr_nonnull(strstr(t, "Syscalls per boot"));
	free(t);
	free(md);
	free(rep);
	free(sp);
	free(b);
	free(out);
}
END_TEST

START_TEST(test_real_warm_pool)
{
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, NULL);
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b,
	                "--iterations", "1", "--warmups", "0", "--warm-pool", "3",
	                "--arm", "a=" DEBIAN_RUNSC, "--arm", "b=" DEBIAN_RUNSC, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab run exit %d: %s", rc, o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	/* 2 warm-up + 3 measured execs per arm, all ok */
	ck_assert_int_eq(itest_count_lines(sp, "\"exec_ns\""), 10);
	ck_assert_int_eq(itest_count_lines(sp, "\"ok\":false"), 0);
	ck_assert_int_eq(count_runsc_processes(), 0);
	ck_assert_int_eq(count_leftovers(sp), 0);
	free(sp);
	free(b);
	free(out);
}
END_TEST

START_TEST(test_runc_baseline_arm)
{
	/* The first seed's baseline: the same bundle under runc as a third arm. */
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, NULL);
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b,
	                "--iterations", "2", "--warmups", "0", "--arm", "runsc=" DEBIAN_RUNSC,
	                "--arm", "runc=/usr/sbin/runc", NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab run exit %d: %s", rc, o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"arm\":\"runc\",\"round\""), 2);
	ck_assert_int_eq(itest_count_lines(sp, "\"ok\":true"), 4);
	ck_assert_int_eq(count_leftovers(sp), 0);
	free(sp);
	free(b);
	free(out);
}
END_TEST

Suite *suite_rig_real(void)
{
	Suite *s = suite_create("rig (real runsc)");
	TCase *tc = tcase_create("debian runsc");
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_real_aa_run);
	tcase_add_test(tc, test_real_exit_status_false);
	tcase_add_test(tc, test_real_instrumented);
	tcase_add_test(tc, test_real_warm_pool);
	tcase_add_test(tc, test_runc_baseline_arm);
	suite_add_tcase(s, tc);
	return s;
}
