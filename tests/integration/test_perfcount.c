/* --syscalls counts each boot's own processes only (perfcount.h), the way
 * `perf stat CMD` counts its command: a boot of the fake runsc that makes a
 * known number of membarrier calls (FAKE_RUNSC_MEMBARRIER=N: N REGISTER
 * calls in its sandbox, a descendant of create, and one QUERY per runsc
 * command) is counted exactly while another process on the host calls
 * membarrier REGISTER in a loop. Before per-boot counting, the loop's calls
 * landed in every boot's count (host-wide per-CPU counters). Needs root
 * (perf on a tracepoint of other processes, tracefs): otherwise a counted
 * skip. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"
#include "../skip.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_REGISTER_CALLS 5
/* create, start and delete each call QUERY once */
#define FAKE_ALL_CALLS (FAKE_REGISTER_CALLS + 3)

static char *dir;

static void setup(void)
{
	dir = itest_tmpdir("perfcount");
	char *sd = util_fmt("%s/state", dir), *j = util_fmt("%s/journal.json", dir);
	setenv("GVAB_STATE_DIR", sd, 1);
	setenv("GVAB_JOURNAL", j, 1);
	free(sd);
	free(j);
}

static void teardown(void)
{
	unsetenv("FAKE_RUNSC_MEMBARRIER");
	unsetenv("GVAB_STATE_DIR");
	unsetenv("GVAB_JOURNAL");
	util_rm_rf(dir);
	free(dir);
}

START_TEST(test_syscalls_count_own_boot_only)
{
	if (geteuid() != 0)
		TEST_SKIP("not root: perf counters on a tracepoint of other processes need root");
	volatile long *calls = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	                            -1, 0);
	ck_assert_ptr_ne((void *)calls, MAP_FAILED);
	*calls = 0;
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, NULL);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b, "--iterations", "3",
	                "--warmups", "0", "--syscalls", "--arm", a1, "--arm", a2, NULL};
	char *n = util_fmt("%d", FAKE_REGISTER_CALLS);
	setenv("FAKE_RUNSC_MEMBARRIER", n, 1);
	free(n);
	pid_t noise = itest_membarrier_noise(calls);
	ck_assert_int_gt(noise, 0);
	itest_wait_noise(calls, 0);
	long before = *calls;
	char *o = NULL;
	int rc = itest_run(&o, argv);
	long during = *calls - before;
	kill(noise, SIGKILL);
	waitpid(noise, NULL, 0);
	if (rc == 69 && strstr(o, "--syscalls"))
		TEST_SKIP("this host offers no membarrier tracepoint: %s", o);
	ck_assert_msg(rc == 0, "gvab run exit %d: %s", rc, o);
	/* The noise really ran while the boots were counted. */
	ck_assert_int_gt(during, 0);
	char *sp = util_fmt("%s/samples.jsonl", out);
	char *reg = util_fmt("\"membarrier_register_private_expedited\":%d", FAKE_REGISTER_CALLS);
	char *all = util_fmt("\"membarrier\":%d,", FAKE_ALL_CALLS);
	ck_assert_int_eq(itest_count_lines(sp, NULL), 6);
	ck_assert_int_eq(itest_count_lines(sp, reg), 6);
	ck_assert_int_eq(itest_count_lines(sp, all), 6);
	ck_assert_int_eq(itest_count_lines(sp, "\"unavailable\""), 0);
	free(all);
	free(reg);
	free(sp);
	free(o);
	free(a1);
	free(a2);
	free(b);
	free(out);
	munmap((void *)calls, sizeof(long));
}
END_TEST

Suite *suite_perfcount(void)
{
	Suite *s = suite_create("perfcount (fake runsc)");
	TCase *tc = tcase_create("per-boot");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300); /* a hang guard, not a time limit */
	tcase_add_test(tc, test_syscalls_count_own_boot_only);
	suite_add_tcase(s, tc);
	return s;
}
