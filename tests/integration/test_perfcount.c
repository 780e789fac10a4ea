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

/* The core PMU's directory, if the host exposes one (perfcount.c looks
 * for the same names). */
static int host_has_pmu(void)
{
	static const char *const names[] = {"cpu", "cpu_core", "armv8_pmuv3", "armv8_pmuv3_0"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = util_fmt("/sys/bus/event_source/devices/%s", names[i]);
		int ok = access(p, F_OK) == 0;
		free(p);
		if (ok)
			return 1;
	}
	return 0;
}

/* --counters hw: on a host without a PMU, run.json says every hardware
 * event is unavailable and why, no sample carries a 0 for one, and
 * compare and report say so; on a host with one, every boot has cycles
 * and instructions above 0. */
START_TEST(test_hw_counters)
{
	if (geteuid() != 0)
		TEST_SKIP("not root: gvab run needs root");
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir), *rep = util_fmt("%s/rep", dir);
	itest_bundle(b, NULL);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b, "--iterations", "3",
	                "--warmups", "0", "--counters", "hw", "--arm", a1, "--arm", a2, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "%s", o);
	free(o);
	char *rp = util_fmt("%s/run.json", out), *sp = util_fmt("%s/samples.jsonl", out);
	cJSON *run = util_json_load(rp);
	ck_assert_ptr_nonnull(run);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "hw_counters")));
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(run, "hw_counters_host");
	const cJSON *counted = cJSON_GetObjectItemCaseSensitive(host, "counted");
	const cJSON *na = cJSON_GetObjectItemCaseSensitive(host, "unavailable");
	ck_assert(cJSON_IsArray(counted) && cJSON_IsObject(na));
	char *cv[] = {(char *)itest_gvab(), "compare", out, NULL};
	char *rv[] = {(char *)itest_gvab(), "report", "--out", rep, out, NULL};
	int pmu = host_has_pmu();
	if (!pmu) {
		/* Every event is unavailable with the reason, never 0. */
		ck_assert_int_eq(cJSON_GetArraySize(counted), 0);
		const cJSON *cy = cJSON_GetObjectItemCaseSensitive(na, "cycles");
		ck_assert(cJSON_IsString(cy));
		ck_assert_msg(strstr(cy->valuestring, "no hardware PMU: /sys/bus/event_source/devices/cpu "
		                                      "is missing (perf_event_open: "), "%s", cy->valuestring);
		ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(na, "itlb_misses")));
		ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(na, "page_walks")));
		ck_assert_int_eq(itest_count_lines(sp, "\"hw\":"), 0);
		ck_assert_int_eq(itest_run(&o, cv), 0);
		ck_assert_msg(strstr(o, "Hardware counters per boot") &&
		              strstr(o, "- cycles: unavailable: no hardware PMU"), "%s", o);
		free(o);
		ck_assert_int_eq(itest_run(&o, rv), 0);
		free(o);
		char *mp = util_fmt("%s/report.md", rep), *md = util_read_file(mp, NULL);
		ck_assert_msg(md && strstr(md, "## Hardware counters per boot") &&
		              strstr(md, "- dtlb_misses: unavailable: "), "%s", md ? md : "(no report.md)");
		free(md);
		free(mp);
	} else {
		ck_assert_int_ge(cJSON_GetArraySize(counted), 2);
		ck_assert_int_eq(itest_count_lines(sp, "\"hw\":{\"cycles\":"), 6);
		ck_assert_int_eq(itest_count_lines(sp, "\"cycles\":0,"), 0);
		ck_assert_int_eq(itest_run(&o, cv), 0);
		ck_assert_msg(strstr(o, "cycles per boot"), "%s", o);
		free(o);
	}
	cJSON_Delete(run);
	free(rp);
	free(sp);
	free(a1);
	free(a2);
	free(b);
	free(out);
	free(rep);
	if (!pmu)
		TEST_SKIP("no hardware PMU here (recorded unavailable with its reason, checked); the "
		          "counts themselves need a host with one");
}
END_TEST

Suite *suite_perfcount(void)
{
	Suite *s = suite_create("perfcount (fake runsc)");
	TCase *tc = tcase_create("per-boot");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300); /* a hang guard, not a time limit */
	tcase_add_test(tc, test_syscalls_count_own_boot_only);
	tcase_add_test(tc, test_hw_counters);
	suite_add_tcase(s, tc);
	return s;
}
