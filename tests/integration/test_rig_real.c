/* The rig against real runsc (Debian's prebuilt one): a short A/A run
 * completes, exit statuses are right, and nothing is left behind: not
 * after a normal run, not after SIGTERM, not after SIGKILL in the middle
 * of `runsc create` followed by `gvab restore`. State directories live in
 * the test's own directory (GVAB_STATE_DIR); leftover cgroups are looked
 * for under every cgroup v1 and v2 mount. */
#define _GNU_SOURCE
#include "itest.h"
#include "samples.h"
#include "util.h"
#include "../skip.h"

#include "boot.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Cgroup directories named PREFIX* one level below every cgroup v1 and v2
 * mount (from /proc/self/mountinfo): what a boot could leave behind. */
static int count_cgroups(const char *prefix)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int n = 0;
	while (f && fgets(line, sizeof line, f)) {
		char mnt[1024], type[64];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", type) != 1 || (strcmp(type, "cgroup") && strcmp(type, "cgroup2")) ||
		    sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		DIR *d = opendir(mnt);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (de->d_type == DT_DIR && strncmp(de->d_name, prefix, strlen(prefix)) == 0)
				n++;
		if (d)
			closedir(d);
	}
	if (f)
		fclose(f);
	return n;
}

#define DEBIAN_RUNSC "/usr/bin/runsc"

/* Each test needs Debian's runsc (apt-get install runsc; make check's deps
 * step installs it) and root: otherwise a counted skip. */
#define NEED_RUNSC()                                                                      \
	do {                                                                              \
		if (access(DEBIAN_RUNSC, X_OK) != 0)                                      \
			TEST_SKIP("no %s here (Debian's runsc package)", DEBIAN_RUNSC);   \
		if (geteuid() != 0)                                                       \
			TEST_SKIP("not root: runsc needs namespaces and cgroups");        \
	} while (0)

static char *dir;
static void setup(void)
{
	dir = itest_tmpdir("real");
	char *sd = util_fmt("%s/state", dir), *j = util_fmt("%s/journal.json", dir);
	setenv("GVAB_STATE_DIR", sd, 1);
	/* These runs change no knob; their own journal keeps them out of
	 * the way of any other gvab on the machine that does. */
	setenv("GVAB_JOURNAL", j, 1);
	free(sd);
	free(j);
}
static void teardown(void)
{
	unsetenv("GVAB_STATE_DIR");
	unsetenv("GVAB_JOURNAL");
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

static int count_leftovers_of(long pid);

/* State directories, mounts and cgroups left by the gvab run that wrote
 * `samples` (its pid is in the container ids, gvab-<pid>-<seq>). */
static int count_leftovers(const char *samples)
{
	char *t = util_read_file(samples, NULL);
	char *id = t ? strstr(t, "\"id\":\"gvab-") : NULL;
	long pid = id ? strtol(id + 11, NULL, 10) : 0;
	free(t);
	ck_assert_msg(pid > 0, "no container id in %s", samples);
	return count_leftovers_of(pid);
}

static int count_leftovers_of(long pid)
{
	char *state = util_fmt("%s/state/state-%ld", dir, pid), *prefix = util_fmt("gvab-%ld-", pid);
	int n = util_path_exists(state) + itest_count_lines("/proc/self/mountinfo", state);
	n += count_cgroups(prefix);
	free(state);
	free(prefix);
	return n;
}

START_TEST(test_real_aa_run)
{
	NEED_RUNSC();
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
	NEED_RUNSC();
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
	NEED_RUNSC();
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, NULL);
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b,
	                "--iterations", "3", "--warmups", "0", "--phases", "--inittrace", "--syscalls",
	                "--arm", "a=" DEBIAN_RUNSC, "--arm", "b=" DEBIAN_RUNSC, NULL};
	/* Three rounds: gvab report needs at least 3 ok boots per arm.
	 * Another process calls membarrier REGISTER all along: per-boot
	 * counting (perfcount.h) must not see it. */
	volatile long *calls = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	                            -1, 0);
	ck_assert_ptr_ne((void *)calls, MAP_FAILED);
	*calls = 0;
	pid_t noise = itest_membarrier_noise(calls);
	ck_assert_int_gt(noise, 0);
	itest_wait_noise(calls, 0);
	long before = *calls;
	char *o = NULL;
	int rc = itest_run(&o, argv);
	long during = *calls - before;
	kill(noise, SIGKILL);
	waitpid(noise, NULL, 0);
	munmap((void *)calls, sizeof(long));
	ck_assert_msg(rc == 0, "gvab run exit %d: %s", rc, o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_gt(during, 0);
	/* Every boot of one binary makes the same calls (9 REGISTER for
	 * Debian's 20240729 here: one per Go runsc process), whatever the
	 * noise made meanwhile (thousands). */
	struct samples_file f;
	ck_assert_int_eq(samples_load(sp, NULL, 0, &f), 0);
	ck_assert_int_eq((int)f.n, 6);
	samples_free(&f);
	char *t0 = util_read_file(sp, NULL);
	const char *k = "\"membarrier_register_private_expedited\":";
	long first = strstr(t0, k) ? strtol(strstr(t0, k) + strlen(k), NULL, 10) : -1;
	ck_assert_int_gt(first, 0);
	ck_assert_int_lt(first, 64);
	char *want = util_fmt("%s%ld}", k, first);
	ck_assert_int_eq(itest_count_lines(sp, want), 6);
	free(want);
	free(t0);
	ck_assert_int_eq(itest_count_lines(sp, "\"create:gofer_started\""), 6);
	ck_assert_int_eq(itest_count_lines(sp, "\"boot:loader_cpus\""), 6);
	ck_assert_int_eq(itest_count_lines(sp, "gvisor.dev/gvisor/pkg/sentry/hostmm"), 6);
	/* Debian's runsc (20240729) registers eagerly: REGISTER calls > 0. */
	ck_assert_int_eq(itest_count_lines(sp, "\"membarrier_register_private_expedited\":0"), 0);
	ck_assert_int_eq(itest_count_lines(sp, "\"membarrier_register_private_expedited\":"), 6);
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
	NEED_RUNSC();
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
	NEED_RUNSC();
	if (access("/usr/sbin/runc", X_OK) != 0)
		TEST_SKIP("no /usr/sbin/runc here (Debian's runc package)");
	/* runc as a baseline: the same bundle under runc as a third arm. */
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

/* The leftover count must see cgroup v2: a directory made in the cgroup2
 * mount (hybrid hosts: /sys/fs/cgroup/unified; v2 hosts: /sys/fs/cgroup)
 * is counted. The old check read only /sys/fs/cgroup/memory. */
START_TEST(test_cgroup_count_covers_v2)
{
	char *mnt = NULL;
	char *mi = util_read_file("/proc/self/mountinfo", NULL);
	for (char *save = NULL, *l = strtok_r(mi, "\n", &save); l && !mnt;
	     l = strtok_r(NULL, "\n", &save)) {
		char m[1024];
		if (strstr(l, " - cgroup2 ") && sscanf(l, "%*s %*s %*s %*s %1023s", m) == 1)
			mnt = util_xstrdup(m);
	}
	free(mi);
	if (!mnt)
		TEST_SKIP("no cgroup2 mount on this host");
	char *name = util_fmt("gvab-itest-v2-%d", (int)getpid());
	char *cg = util_fmt("%s/%s", mnt, name);
	ck_assert_msg(mkdir(cg, 0755) == 0, "mkdir %s", cg);
	int n = count_cgroups(name);
	rmdir(cg);
	ck_assert_int_eq(n, 1);
	free(cg);
	free(name);
	free(mnt);
}
END_TEST

/* A user process between two program images: its argv reads empty while
 * it is neither a zombie nor a kernel thread (PF_KTHREAD, 0x00200000, in
 * the flags of /proc/PID/stat). One of ours caught mid-exec by a scan is
 * missed by it, and would then start a sandbox after the cleanup (seen
 * once); so the checks below wait until no process anywhere is in exec. */
static int exec_in_flight(void)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		char *p = util_fmt("/proc/%s/cmdline", de->d_name), *sp = util_fmt("/proc/%s/stat", de->d_name);
		size_t len = 0;
		char *c = util_read_file(p, &len), *st = util_read_file(sp, NULL);
		char *rp = st ? strrchr(st, ')') : NULL;
		unsigned long flags = 0;
		char state = 'X';
		if (rp && sscanf(rp + 2, "%c %*d %*d %*d %*d %*d %lu", &state, &flags) == 2 && c && len == 0 &&
		    state != 'Z' && state != 'X' && !(flags & 0x00200000UL))
			n++;
		free(c);
		free(st);
		free(p);
		free(sp);
	}
	if (d)
		closedir(d);
	return n;
}

/* Waits (polling, no time limit) until no runsc process of this test is
 * left and no process is in exec, then checks that none is left. */
static void assert_nothing_left(long run_pid)
{
	while (count_runsc_processes() > 0 || exec_in_flight() > 0)
		itest_poll_pause(0);
	ck_assert_int_eq(count_runsc_processes(), 0);
	ck_assert_int_eq(count_leftovers_of(run_pid), 0);
}

/* A gvab run of real runsc in the background; returns its pid. */
static pid_t start_real_run(const char *b, const char *out, const char *log)
{
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", (char *)out, "--bundle",
	                (char *)b, "--iterations", "50", "--warmups", "0",
	                "--arm", "a=" DEBIAN_RUNSC, "--arm", "b=" DEBIAN_RUNSC, NULL};
	pid_t pid = itest_start(log, argv);
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* A runsc process of this test in phase `word` (e.g. "create"). */
static int runsc_in_phase(const char *word)
{
	int found = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char *p = util_fmt("/proc/%s/cmdline", de->d_name);
		size_t len;
		char *c = util_read_file(p, &len);
		int has_word = 0, has_dir = 0;
		for (size_t i = 0; c && i < len; i += strlen(c + i) + 1) {
			has_word |= strcmp(c + i, word) == 0;
			has_dir |= strstr(c + i, dir) != NULL;
		}
		found = c && has_word && has_dir && strstr(c, "runsc");
		free(c);
		free(p);
	}
	if (d)
		closedir(d);
	return found;
}

/* SIGKILL while `runsc create` runs: the sandbox and gofer it spawned have
 * no state file yet. `gvab restore` must leave no process, cgroup, mount
 * or state directory of the killed run. */
START_TEST(test_real_sigkill_mid_create)
{
	NEED_RUNSC();
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	char *log = util_fmt("%s/log", dir);
	itest_bundle(b, NULL);
	pid_t pid = start_real_run(b, out, log);
	/* Past the first boot, so a create is caught in the middle. */
	char *sp = util_fmt("%s/samples.jsonl", out);
	while (itest_count_lines(sp, NULL) < 1)
		itest_poll_pause(pid);
	while (!runsc_in_phase("create"))
		itest_poll_pause(pid);
	kill(pid, SIGKILL);
	ck_assert_int_eq(itest_wait(pid), 128 + SIGKILL);
	char *o = NULL;
	char *r[] = {(char *)itest_gvab(), "restore", NULL};
	ck_assert_int_eq(itest_run(&o, r), 0);
	ck_assert_msg(strstr(o, "cleaned up 1 sandbox"), "%s", o);
	free(o);
	assert_nothing_left(pid);
	free(sp);
	free(log);
	free(b);
	free(out);
}
END_TEST

/* SIGTERM mid-boot: exit 130, nothing left behind. (That the cleanup does
 * not wait out a forced delete's timeout is checked on the fake runsc,
 * by what the delete saw rather than by a time limit.) */
START_TEST(test_real_sigterm)
{
	NEED_RUNSC();
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	char *log = util_fmt("%s/log", dir);
	itest_bundle(b, NULL);
	pid_t pid = start_real_run(b, out, log);
	char *sp = util_fmt("%s/samples.jsonl", out);
	while (itest_count_lines(sp, NULL) < 2)
		itest_poll_pause(pid);
	/* In the middle of a boot. */
	while (!runsc_in_phase("create") && !runsc_in_phase("start") && !runsc_in_phase("boot"))
		itest_poll_pause(pid);
	kill(pid, SIGTERM);
	ck_assert_int_eq(itest_wait(pid), 130);
	assert_nothing_left(pid);
	free(sp);
	free(log);
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
	tcase_add_test(tc, test_cgroup_count_covers_v2);
	tcase_add_test(tc, test_real_sigkill_mid_create);
	tcase_add_test(tc, test_real_sigterm);
	suite_add_tcase(s, tc);
	return s;
}
