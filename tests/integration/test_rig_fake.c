/* The rig against the fake runsc: complete runs, injected failures per
 * phase recorded and never sampled, the consecutive-failure stop, SIGINT
 * keeping samples and restoring knobs, SIGKILL then restore (also in the
 * middle of create), a quick SIGTERM, a closed output pipe, per-arm knobs,
 * --append rules, one run per directory, a full disk, pid reuse, exit
 * codes. Everything lives in the test's own directory: fake sysfs, knob
 * journal, state directory (GVAB_STATE_DIR). */
#define _GNU_SOURCE
#include "itest.h"
#include "samples.h"
#include "util.h"

#include "boot.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	char *sd = util_fmt("%s/state", dir);
	setenv("GVAB_SYSFS_ROOT", root, 1);
	setenv("GVAB_JOURNAL", j, 1);
	setenv("GVAB_STATE_DIR", sd, 1);
	setenv("FAKE_RUNSC_COUNTER", c, 1);
	free(sd);
	free(root);
	free(k);
	free(f);
	free(j);
	free(c);
}

/* Every variable a test may set: with CK_FORK=no tests share one process,
 * and an injected failure must not outlive its test. */
static const char *const test_env[] = {
	"FAKE_RUNSC_FAIL", "FAKE_RUNSC_FAIL_EVERY", "FAKE_SANDBOX_MS", "FAKE_CREATE_MS",
	"FAKE_RUNSC_PIDS", "FAKE_RUNSC_KNOB", "FAKE_RUNSC_KNOB_LOG", "FAKE_RUNSC_COUNTER",
	"FAKE_FORCE_DELETE_MS", "FAKE_RUNSC_CPUS", "FAKE_RUNSC_EVENTS", "FAKE_RUNSC_MEMBARRIER",
	"FAKE_SANDBOX_HUGE_MIB",
	"GVAB_SYSFS_ROOT", "GVAB_JOURNAL", "GVAB_STATE_DIR", NULL};

static void teardown(void)
{
	for (size_t i = 0; test_env[i]; i++)
		unsetenv(test_env[i]);
	char *small = util_fmt("%s/small", dir);
	umount2(small, MNT_DETACH);
	free(small);
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
	/* The host's load at the start and the end: 1, 5 and 15 minutes. */
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "host"), "loadavg")), 3);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "host_after"), "loadavg")),
	                 3);
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
	while (itest_count_lines(sp, NULL) < 5)
		itest_poll_pause(pid);
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
	/* ...and its 64 KiB reserve for the closing run.json is left. */
	char *reserve = util_fmt("%s/.gvab-reserve", out);
	ck_assert(util_path_exists(reserve));
	/* The killed run's adopted sandboxes died with it (fake: they exit). */
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "restore", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 0);
	ck_assert_ptr_nonnull(strstr(o, "restored 1 host knob"));
	free(o);
	/* ...and the killed run's state directory (with any sandbox in it) is gone. */
	char *st = util_fmt("%s/state/state-%d", dir, (int)pid);
	ck_assert(!util_path_exists(st));
	free(st);
	ck_assert_msg(!util_path_exists(reserve), "gvab restore left %s", reserve);
	free(reserve);
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

/* Running (not zombie) processes whose command line contains `needle`. */
static int procs_naming(const char *needle)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		char *p = util_fmt("/proc/%s/cmdline", de->d_name);
		size_t len;
		char *c = util_read_file(p, &len);
		for (size_t i = 0; c && i + 1 < len; i++)
			if (!c[i])
				c[i] = ' ';
		if (c && strstr(c, needle))
			n++;
		free(c);
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

/* A process that exists and is not a zombie. */
static int alive(pid_t pid)
{
	char *p = util_fmt("/proc/%d/stat", (int)pid);
	char *t = util_read_file(p, NULL);
	free(p);
	char *rp = t ? strrchr(t, ')') : NULL;
	int up = rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
	free(t);
	return up;
}

/* A SIGKILL is pending for pid (SigPnd or ShdPnd of /proc/PID/status
 * has bit 9), or it is already dead. */
static int sigkill_pending(pid_t pid)
{
	if (!alive(pid))
		return 1;
	char *p = util_fmt("/proc/%d/status", (int)pid);
	char *t = util_read_file(p, NULL);
	free(p);
	int pending = 0;
	for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, "SigPnd:", 7) == 0 || strncmp(l, "ShdPnd:", 7) == 0)
			pending |= (strtoull(l + 7, NULL, 16) >> (SIGKILL - 1)) & 1;
	free(t);
	return pending;
}

/* SIGKILL while `runsc create` runs, after it forked the sandbox and
 * before any state file exists: restore must still find and kill the
 * sandbox and the create process (their argv names the boot's --root), and
 * leave no state directory. The old restore read only runsc's state file. */
START_TEST(test_sigkill_during_create)
{
	char *out = util_fmt("%s/run", dir), *log = util_fmt("%s/log", dir);
	char *pids = util_fmt("%s/sandbox-pids", dir);
	setenv("FAKE_CREATE_MS", "20000", 1);
	setenv("FAKE_RUNSC_PIDS", pids, 1);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                "--iterations", "2", "--warmups", "0", "--arm", a1, "--arm", a2, NULL};
	pid_t pid = itest_start(log, argv);
	ck_assert_int_gt(pid, 0);
	while (itest_count_lines(pids, NULL) < 1)
		itest_poll_pause(pid);
	ck_assert_int_eq(itest_count_lines(pids, NULL), 1);
	char *t = util_read_file(pids, NULL);
	pid_t sandbox = (pid_t)atoi(t);
	free(t);
	kill(pid, SIGKILL);
	ck_assert_int_eq(itest_wait(pid), 128 + SIGKILL);
	ck_assert(alive(sandbox));
	char *state = util_fmt("%s/state/", dir);
	ck_assert_int_ge(procs_naming(state), 2); /* the sandbox and create */
	char *o = NULL;
	char *r[] = {(char *)itest_gvab(), "restore", NULL};
	ck_assert_int_eq(itest_run(&o, r), 0);
	ck_assert_msg(strstr(o, "cleaned up 1 sandbox"), "%s", o);
	free(o);
	while (alive(sandbox) || procs_naming(state) > 0)
		itest_poll_pause(0);
	ck_assert(!alive(sandbox));
	ck_assert_int_eq(procs_naming(state), 0);
	char *sd = util_fmt("%s/state/state-%d", dir, (int)pid);
	ck_assert(!util_path_exists(sd));
	free(sd);
	free(state);
	free(a1);
	free(a2);
	free(pids);
	free(out);
	free(log);
}
END_TEST

/* SIGTERM in the middle of boots: gvab cleans the current boot and exits.
 * It used to run `runsc delete --force` before reaping the sandbox it had
 * just killed, and the delete (the fake, like runsc, waits for the sandbox
 * to be gone) sat out its 10 s on a zombie. Checked by what happened, not
 * by a time limit: every forced delete saw its sandbox go
 * (FAKE_RUNSC_EVENTS), none ran out its wait. */
START_TEST(test_sigterm_is_quick)
{
	char *out = util_fmt("%s/run", dir), *log = util_fmt("%s/log", dir);
	char *ev = util_fmt("%s/events", dir);
	setenv("FAKE_SANDBOX_MS", "400", 1); /* most of a boot is its wait phase */
	setenv("FAKE_RUNSC_EVENTS", ev, 1);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                "--iterations", "100", "--warmups", "0", "--set", "rcu_expedited=0",
	                "--arm", a1, "--arm", a2, NULL};
	pid_t pid = itest_start(log, argv);
	char *sp = util_fmt("%s/samples.jsonl", out);
	/* Two boots done, and a sandbox running whose boot has no sample yet:
	 * the third boot is in its wait phase. */
	while (itest_count_lines(sp, NULL) < 2 || itest_count_lines(ev, " running") <= itest_count_lines(sp, NULL))
		itest_poll_pause(pid);
	kill(pid, SIGTERM);
	ck_assert_int_eq(itest_wait(pid), 130);
	ck_assert_int_ge(itest_count_lines(ev, " delete-force "), 1);
	ck_assert_int_eq(itest_count_lines(ev, " delete-force timeout"), 0);
	char *k = knob();
	ck_assert_str_eq(k, "1");
	free(k);
	char *state = util_fmt("%s/state/", dir);
	ck_assert_int_eq(procs_naming(state), 0);
	free(state);
	free(sp);
	free(ev);
	free(a1);
	free(a2);
	free(out);
	free(log);
}
END_TEST

/* A failed boot costs its forced delete, not 10 s: start fails with the
 * sandbox up, `runsc delete --force` kills it, and gvab reaps the zombie
 * while the delete waits for it to go (each delete saw its sandbox go). And
 * a forced delete that hangs is cut off at --cleanup-timeout-ms, its
 * process group killed (no hang ever ended). */
START_TEST(test_failed_boot_cleanup_is_bounded)
{
	char *out = util_fmt("%s/run", dir), *o = NULL, *ev = util_fmt("%s/events", dir);
	setenv("FAKE_RUNSC_FAIL", "start", 1);
	setenv("FAKE_RUNSC_EVENTS", ev, 1);
	ck_assert_int_eq(run_fake(out, "10", &o, "-q"), 1);
	ck_assert_msg(strstr(o, "3 consecutive boots failed"), "%s", o);
	ck_assert_int_eq(itest_count_lines(ev, " delete-force gone"), 3);
	ck_assert_int_eq(itest_count_lines(ev, " delete-force timeout"), 0);
	free(o);
	unlink(ev);
	char *out2 = util_fmt("%s/run2", dir);
	setenv("FAKE_FORCE_DELETE_MS", "30000", 1);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out2, "--bundle", bundle,
	                "--iterations", "5", "--warmups", "0", "--max-failures", "2",
	                "--cleanup-timeout-ms", "300", "--arm", a1, "--arm", a2, NULL};
	ck_assert_int_eq(itest_run(&o, argv), 1);
	ck_assert_int_eq(itest_count_lines(ev, " delete-force hang-start"), 2);
	ck_assert_int_eq(itest_count_lines(ev, " delete-force hang-end"), 0);
	char *state = util_fmt("%s/state/", dir);
	ck_assert_int_eq(procs_naming(state), 0);
	free(state);
	free(o);
	free(ev);
	free(a1);
	free(a2);
	free(out2);
	free(out);
}
END_TEST

/* `gvab run 2>&1 | head -c 1`: the reader goes away. gvab must not die of
 * SIGPIPE with knobs changed: it finishes, restores and exits 0. */
START_TEST(test_closed_pipe)
{
	char *out = util_fmt("%s/run", dir);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	/* Not -q, not a terminal: a progress line every 20 boots. */
	char *argv[] = {(char *)itest_gvab(), "run", "--out", out, "--bundle", bundle,
	                "--iterations", "25", "--warmups", "0", "--set", "rcu_expedited=0",
	                "--arm", a1, "--arm", a2, NULL};
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]); /* nobody will read */
	struct proc_opts po = {.argv = argv, .stdin_null = 1, .out_fd = p[1]};
	pid_t pid;
	/* stderr too: proc_opts has no err_fd, so dup it around the spawn. */
	int saved = dup(2);
	dup2(p[1], 2);
	int rc = proc_spawn(&po, &pid);
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(itest_wait(pid), 0);
	char *k = knob();
	ck_assert_str_eq(k, "1");
	free(k);
	char *rj = util_fmt("%s/run.json", out);
	cJSON *run = util_json_load(rj);
	ck_assert_str_eq(cJSON_GetObjectItem(run, "status")->valuestring, "complete");
	cJSON_Delete(run);
	free(rj);
	free(a1);
	free(a2);
	free(out);
}
END_TEST

/* Arm b sets rcu_expedited=0 for its boots; arm a names no knob and must
 * boot at the run's value (1, the value before the run) every time, also
 * after b's boots. The fake runsc logs the value each create saw. */
START_TEST(test_per_arm_knobs)
{
	char *out = util_fmt("%s/run", dir), *klog = util_fmt("%s/knob-log", dir);
	char *kp = util_fmt("%s/sys/kernel/rcu_expedited", dir);
	setenv("FAKE_RUNSC_KNOB", kp, 1);
	setenv("FAKE_RUNSC_KNOB_LOG", klog, 1);
	char *a1 = util_fmt("a=%s", itest_fake());
	char *a2 = util_fmt("b=%s,knob:rcu_expedited=0", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                "--iterations", "4", "--warmups", "1", "--arm", a1, "--arm", a2, NULL};
	char *o = NULL;
	ck_assert_int_eq(itest_run(&o, argv), 0);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	char *samples = util_read_file(sp, NULL), *kl = util_read_file(klog, NULL);
	ck_assert_ptr_nonnull(kl);
	int n = 0;
	for (char *save = NULL, *l = strtok_r(kl, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp2 = strchr(l, ' ');
		ck_assert_ptr_nonnull(sp2);
		*sp2 = '\0';
		char *needle = util_fmt("\"arm\":\"b\",\"round\":%s", "");
		char *idq = util_fmt("\"id\":\"%s\"", l);
		char *line = strstr(samples, idq);
		ck_assert_ptr_nonnull(line);
		while (line > samples && line[-1] != '\n')
			line--;
		int is_b = strncmp(strstr(line, "\"arm\":\""), "\"arm\":\"b\"", 9) == 0;
		ck_assert_msg(strcmp(sp2 + 1, is_b ? "0" : "1") == 0, "boot %s (arm %s) saw %s", l,
		              is_b ? "b" : "a", sp2 + 1);
		free(needle);
		free(idq);
		n++;
	}
	ck_assert_int_eq(n, 10);
	char *k = knob();
	ck_assert_str_eq(k, "1");
	free(k);
	free(samples);
	free(kl);
	free(sp);
	free(a1);
	free(a2);
	free(kp);
	free(klog);
	free(out);
}
END_TEST

/* env:K=V items reach that arm's runsc processes only (the fake logs the
 * boots that saw FAKE_RUNSC_KNOB_LOG), are recorded in run.json, and a
 * malformed or repeated one is a usage error. */
START_TEST(test_per_arm_env)
{
	char *out = util_fmt("%s/run", dir), *klog = util_fmt("%s/env-log", dir);
	char *kp = util_fmt("%s/sys/kernel/rcu_expedited", dir);
	setenv("FAKE_RUNSC_KNOB", kp, 1);
	unsetenv("FAKE_RUNSC_KNOB_LOG");
	char *a1 = util_fmt("a=%s", itest_fake());
	char *a2 = util_fmt("b=%s,env:FAKE_RUNSC_KNOB_LOG=%s,env:GVAB_X=1", itest_fake(), klog);
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                "--iterations", "4", "--warmups", "1", "--arm", a1, "--arm", a2, NULL};
	char *o = NULL;
	ck_assert_int_eq(itest_run(&o, argv), 0);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out), *rp = util_fmt("%s/run.json", out);
	char *samples = util_read_file(sp, NULL), *kl = util_read_file(klog, NULL);
	char *run = util_read_file(rp, NULL);
	ck_assert_ptr_nonnull(kl);
	int n = 0;
	for (char *save = NULL, *l = strtok_r(kl, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		l[strcspn(l, " ")] = '\0';
		char *idq = util_fmt("\"id\":\"%s\"", l);
		char *line = strstr(samples, idq);
		ck_assert_ptr_nonnull(line);
		while (line > samples && line[-1] != '\n')
			line--;
		ck_assert_msg(strncmp(strstr(line, "\"arm\":\""), "\"arm\":\"b\"", 9) == 0,
		              "boot %s of arm a saw arm b's env", l);
		free(idq);
		n++;
	}
	ck_assert_int_eq(n, 5); /* b's 1 warm-up and 4 boots, none of a's */
	/* Every boot's page faults, from the reaped processes' rusage: a
	 * process cannot start without minor faults. */
	ck_assert_int_eq(itest_count_lines(sp, "\"faults\":{\"minor\":"), 10);
	ck_assert_int_eq(itest_count_lines(sp, "\"faults\":{\"minor\":0,"), 0);
	char *cmp[] = {(char *)itest_gvab(), "compare", out, NULL};
	ck_assert_int_eq(itest_run(&o, cmp), 0);
	ck_assert_msg(strstr(o, "Page faults per boot") && strstr(o, "minor page faults per boot"), "%s", o);
	free(o);
	cJSON *rj = cJSON_Parse(run);
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rj, "arms"), 1), "env");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "GVAB_X")), "1");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rj, "arms"), 0), "env"));
	cJSON_Delete(rj);
	char *bad1 = util_fmt("b=%s,env:1X=2", itest_fake());
	char *bad2 = util_fmt("b=%s,env:X=1,env:X=2", itest_fake());
	char *bad3 = util_fmt("b=%s,env:NOVALUE", itest_fake());
	char *bads[] = {bad1, bad2, bad3};
	const char *why[] = {"item 'env:1X=2'", "env X given twice", "item 'env:NOVALUE'"};
	for (int i = 0; i < 3; i++) {
		char *bv[] = {(char *)itest_gvab(), "run", "--bundle", bundle, "--arm", a1, "--arm", bads[i], NULL};
		ck_assert_int_eq(itest_run(&o, bv), 64);
		ck_assert_msg(strstr(o, why[i]), "%s", o);
		free(o);
		free(bads[i]);
	}
	free(samples);
	free(kl);
	free(run);
	free(sp);
	free(rp);
	free(a1);
	free(a2);
	free(kp);
	free(klog);
	free(out);
}
END_TEST

/* --cpu-placement: where runsc (and so the sandbox) runs, recorded in
 * run.json; --settle-ms: an untimed pause before every boot, recorded. */
START_TEST(test_placement_settle)
{
	int ncpu = 0;
	cpu_set_t allowed;
	ck_assert_int_eq(sched_getaffinity(0, sizeof allowed, &allowed), 0);
	int first = -1, last = -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed)) {
			if (first < 0)
				first = c;
			last = c;
			ncpu++;
		}
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	static const char *const modes[] = {"one", "split"};
	for (int m = 0; m < 2; m++) {
		char *out = util_fmt("%s/run-%s", dir, modes[m]), *log = util_fmt("%s/cpus-%s", dir, modes[m]);
		setenv("FAKE_RUNSC_CPUS", log, 1);
		char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
		                "--iterations", "3", "--warmups", "0", "--settle-ms", "40",
		                "--cpu-placement", (char *)modes[m], "--arm", a1, "--arm", a2, NULL};
		char *o = NULL;
		int rc = itest_run(&o, argv);
		if (m == 1 && ncpu < 2) {
			ck_assert_int_eq(rc, 69);
			ck_assert_msg(strstr(o, "--cpu-placement split needs two CPUs"), "%s", o);
			free(o);
			free(out);
			free(log);
			continue;
		}
		ck_assert_msg(rc == 0, "%s", o);
		free(o);
		char *rj = util_fmt("%s/run.json", out);
		cJSON *run = util_json_load(rj);
		ck_assert_int_eq(cJSON_GetObjectItem(run, "settle_ms")->valueint, 40);
		char *want = m == 0 ? util_fmt("one: gvab and children on CPU %d", first)
		                    : util_fmt("split: gvab on CPU %d, children on ", last);
		const char *got = cJSON_GetObjectItem(run, "cpu_placement")->valuestring;
		ck_assert_msg(strncmp(got, want, strlen(want)) == 0, "%s, want %s", got, want);
		/* Every create ran where placed: one: the first CPU only; split:
		 * never on gvab's CPU. */
		char *text = util_read_file(log, NULL);
		int lines = 0;
		for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *sp = strchr(l, ' ');
			ck_assert_ptr_nonnull(sp);
			if (m == 0) {
				char *one = util_fmt(" %d", first);
				ck_assert_str_eq(sp, one);
				free(one);
			} else {
				char *mine = util_fmt(" %d", last);
				for (char *t = sp; (t = strstr(t, mine)); t++)
					ck_assert_msg(t[strlen(mine)] != '\0' && t[strlen(mine)] != ' ',
					              "create on gvab's CPU %d: %s", last, l);
				free(mine);
			}
			lines++;
		}
		ck_assert_int_eq(lines, 6);
		/* The pause: every boot starts at least 40 ms after the one before. */
		struct samples_file sf;
		char *sp = util_fmt("%s/samples.jsonl", out);
		ck_assert_int_eq(samples_load(sp, NULL, 0, &sf), 0);
		ck_assert_uint_eq(sf.n, 6);
		for (size_t i = 1; i < sf.n; i++)
			ck_assert_msg(sf.s[i].t_ns - sf.s[i - 1].t_ns >= 40000000, "boots %zu and %zu %lld ns apart",
			              i - 1, i, (long long)(sf.s[i].t_ns - sf.s[i - 1].t_ns));
		samples_free(&sf);
		free(sp);
		free(text);
		free(want);
		cJSON_Delete(run);
		free(rj);
		free(out);
		free(log);
	}
	/* A third value is a usage error naming it. */
	char *out = util_fmt("%s/run-bad", dir);
	char *bad[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	               "--cpu-placement", "pinned", "--arm", a1, "--arm", a2, NULL};
	char *o = NULL;
	ck_assert_int_eq(itest_run(&o, bad), 64);
	ck_assert_msg(strstr(o, "--cpu-placement: 'pinned'"), "%s", o);
	free(o);
	char *bad2[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                "--settle-ms", "-5", "--arm", a1, "--arm", a2, NULL};
	ck_assert_int_eq(itest_run(&o, bad2), 64);
	ck_assert_msg(strstr(o, "--settle-ms"), "%s", o);
	free(o);
	free(out);
	free(a1);
	free(a2);
}
END_TEST

/* --append adds chunks only to the same experiment, and run.json keeps
 * what the first chunk described. */
START_TEST(test_append_rules)
{
	char *out = util_fmt("%s/run", dir), *rj = util_fmt("%s/run/run.json", dir);
	ck_assert_int_eq(run_fake(out, "2", NULL, NULL), 0);
	char *before = util_read_file(rj, NULL);
	/* Different arm flags: refused, run.json untouched. */
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s,--frob", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                "--iterations", "2", "--warmups", "1", "--arm", a1, "--arm", a2, "--append",
	                NULL};
	char *o = NULL;
	ck_assert_int_eq(itest_run(&o, argv), 64);
	ck_assert_msg(strstr(o, "arm 2 (b): 'flags'"), "%s", o);
	free(o);
	/* A different setting: refused too. */
	char *b2 = util_fmt("b=%s", itest_fake());
	char *argv2[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                 "--iterations", "2", "--warmups", "1", "--arm", a1, "--arm", b2,
	                 "--set", "rcu_expedited=0", "--append", NULL};
	ck_assert_int_eq(itest_run(&o, argv2), 64);
	ck_assert_msg(strstr(o, "'settings'"), "%s", o);
	free(o);
	char *after = util_read_file(rj, NULL);
	ck_assert_str_eq(before, after);
	free(after);
	/* The same experiment: a second chunk. */
	ck_assert_int_eq(run_fake(out, "3", NULL, "--append"), 0);
	cJSON *run = util_json_load(rj), *old = cJSON_Parse(before);
	ck_assert_str_eq(cJSON_GetObjectItem(run, "started_at")->valuestring,
	                 cJSON_GetObjectItem(old, "started_at")->valuestring);
	ck_assert(cJSON_Compare(cJSON_GetObjectItem(run, "command"), cJSON_GetObjectItem(old, "command"), 1));
	cJSON *chunks = cJSON_GetObjectItem(run, "chunks");
	ck_assert_int_eq(cJSON_GetArraySize(chunks), 2);
	ck_assert_int_eq((int)cJSON_GetObjectItem(cJSON_GetArrayItem(chunks, 1), "attempts")->valuedouble, 8);
	ck_assert_int_eq((int)cJSON_GetObjectItem(run, "attempts")->valuedouble, 6 + 8);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(chunks, 1), "status")->valuestring,
	                 "complete");
	cJSON_Delete(run);
	cJSON_Delete(old);
	free(b2);
	free(before);
	free(a1);
	free(a2);
	free(rj);
	free(out);
}
END_TEST

/* `gvab restore` (or another run starting) while a run is alive: its
 * state directory is locked, so restore leaves its sandboxes alone, and it
 * owns the knobs, so restore refuses them (69) and changes nothing. */
START_TEST(test_restore_leaves_live_run_alone)
{
	char *out = util_fmt("%s/run", dir), *log = util_fmt("%s/log", dir);
	pid_t pid = start_long_run(out, log);
	char *r[] = {(char *)itest_gvab(), "restore", NULL};
	char *sp = util_fmt("%s/samples.jsonl", out);
	for (int i = 0; i < 5; i++) {
		char *o = NULL;
		int seen = itest_count_lines(sp, NULL);
		ck_assert_int_eq(itest_run(&o, r), 69);
		ck_assert_msg(strstr(o, "owns the host knobs") && !strstr(o, "cleaned up"), "%s", o);
		free(o);
		char *k = knob();
		ck_assert_str_eq(k, "0");
		free(k);
		/* The next restore meets the run a boot later. */
		while (itest_count_lines(sp, NULL) <= seen)
			itest_poll_pause(pid);
	}
	free(sp);
	kill(pid, SIGINT);
	ck_assert_int_eq(itest_wait(pid), 130);
	char *rj = util_fmt("%s/run.json", out);
	cJSON *run = util_json_load(rj);
	ck_assert_int_eq((int)cJSON_GetObjectItem(run, "failures")->valuedouble, 0);
	cJSON_Delete(run);
	free(rj);
	free(out);
	free(log);
}
END_TEST

/* Two runs with the same --out: the second is refused while the first
 * runs, and the first's samples stay one run's. */
START_TEST(test_one_run_per_dir)
{
	char *out = util_fmt("%s/run", dir), *log = util_fmt("%s/log", dir);
	pid_t pid = start_long_run(out, log);
	char *o = NULL;
	ck_assert_int_eq(run_fake(out, "2", &o, "--append"), 69);
	ck_assert_msg(strstr(o, "another gvab run is writing"), "%s", o);
	free(o);
	kill(pid, SIGINT);
	ck_assert_int_eq(itest_wait(pid), 130);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"arm\":\"a\",\"round\":0,"), 1);
	free(sp);
	free(out);
	free(log);
}
END_TEST

/* A full disk (a small tmpfs as the run directory): the error names
 * samples.jsonl, the file keeps whole lines only, and run.json says the
 * run ended in an error instead of staying "running". */
START_TEST(test_full_disk)
{
	char *small = util_fmt("%s/small", dir), *out = util_fmt("%s/small/run", dir);
	util_mkdir_p(small, 0755);
	ck_assert_msg(mount("tmpfs", small, "tmpfs", 0, "size=160k") == 0, "mount: %s",
	              strerror(errno));
	char *o = NULL;
	int rc = run_fake(out, "100000", &o, "-q");
	ck_assert_int_eq(rc, 1);
	/* The last write is short or fails with ENOSPC, depending on where
	 * the tmpfs fills up; either way the file is named. */
	ck_assert_msg(strstr(o, "/small/run/samples.jsonl: writing samples: ") &&
	              (strstr(o, "No space left on device") || strstr(o, "short write")), "%s", o);
	free(o);
	char *rj = util_fmt("%s/run.json", out);
	cJSON *run = util_json_load(rj);
	ck_assert_ptr_nonnull(run);
	ck_assert_str_eq(cJSON_GetObjectItem(run, "status")->valuestring, "error");
	ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(run, "error")->valuestring, "samples.jsonl"));
	cJSON_Delete(run);
	char *sp = util_fmt("%s/samples.jsonl", out);
	size_t len = 0;
	char *t = util_read_file(sp, &len);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(t[len - 1], '\n');
	free(t);
	char *res = util_fmt("%s/.gvab-reserve", out);
	ck_assert(!util_path_exists(res));
	free(res);
	free(sp);
	free(rj);
	ck_assert_int_eq(umount2(small, MNT_DETACH), 0);
	free(small);
	free(out);
}
END_TEST

/* Stale state directories whose pids were reused: one named after a live
 * process (pid 1) that holds no lock, one after a dead pid whose runsc
 * state file names a live process that is not a sandbox. restore cleans
 * both directories and kills nothing: the old code skipped the first
 * forever and SIGKILLed the unrelated process. */
START_TEST(test_state_pid_reuse)
{
	char *log = util_fmt("%s/sleep.log", dir);
	char *sl[] = {"/bin/sleep", "30", NULL};
	pid_t victim = itest_start(log, sl);
	ck_assert_int_gt(victim, 0);
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char *d1 = util_fmt("%s/state/state-1/gvab-1-0", dir);
	char *d2 = util_fmt("%s/state/state-%d/gvab-%d-0", dir, (int)dead, (int)dead);
	ck_assert_int_eq(util_mkdir_p(d1, 0700), 0);
	ck_assert_int_eq(util_mkdir_p(d2, 0700), 0);
	char *sf = util_fmt("%s/gvab-%d-0_sandbox:gvab-%d-0.state", d2, (int)dead, (int)dead);
	char *js = util_fmt("{\"goferPid\":0,\"sandbox\":{\"pid\":%d}}", (int)victim);
	ck_assert_int_eq(util_write_file_atomic(sf, js, strlen(js)), 0);
	/* A pids record naming the victim with another start time. */
	char *pf = util_fmt("%s/state/state-%d/gvab-%d-0.pids", dir, (int)dead, (int)dead);
	char *pl = util_fmt("%d 1\n", (int)victim);
	ck_assert_int_eq(util_write_file_atomic(pf, pl, strlen(pl)), 0);
	/* Half-made state directories: an old one goes, a fresh one (a run
	 * that is just starting) stays. */
	char *n_old = util_fmt("%s/state/.new-old", dir), *n_new = util_fmt("%s/state/.new-new", dir);
	ck_assert_int_eq(util_mkdir_p(n_old, 0700), 0);
	ck_assert_int_eq(util_mkdir_p(n_new, 0700), 0);
	struct timespec then[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
	ck_assert_int_eq(utimensat(AT_FDCWD, n_old, then, 0), 0);
	char *o = NULL;
	char *r[] = {(char *)itest_gvab(), "restore", NULL};
	ck_assert_int_eq(itest_run(&o, r), 0);
	ck_assert_msg(strstr(o, "cleaned up 2 sandbox"), "%s", o);
	free(o);
	/* Not killed: no sleep and hope; a SIGKILL sent before restore
	 * returned is either done or still pending in /proc/PID/status. */
	ck_assert(alive(victim));
	ck_assert(!sigkill_pending(victim));
	char *s1 = util_fmt("%s/state/state-1", dir);
	ck_assert(!util_path_exists(s1));
	ck_assert(!util_path_exists(n_old));
	ck_assert(util_path_exists(n_new));
	free(n_old);
	free(n_new);
	kill(victim, SIGKILL);
	itest_wait(victim);
	free(s1);
	free(pl);
	free(pf);
	free(js);
	free(sf);
	free(d1);
	free(d2);
	free(log);
}
END_TEST

/* proc's pid records: the start time is read past the last ')' of
 * /proc/PID/stat, so a process named to look like more fields does not
 * shift it; a record kills its process only while the start time matches. */
START_TEST(test_proc_records)
{
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	pid_t kid = fork();
	ck_assert_int_ge(kid, 0);
	if (kid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		prctl(PR_SET_NAME, "x) R 1 2 3 4 5");
		pause();
		_exit(0);
	}
	close(go[0]);
	unsigned long long before, after, self;
	ck_assert_int_eq(proc_start_time(kid, &before), 0);
	ck_assert_int_eq(proc_start_time(getpid(), &self), 0);
	ck_assert_uint_ge(before, self);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	char *comm = util_fmt("/proc/%d/comm", (int)kid), *t = NULL;
	for (;;) {
		free(t);
		t = util_read_file(comm, NULL);
		if (t && strncmp(t, "x) R", 4) == 0)
			break;
		itest_poll_pause(kid);
	}
	ck_assert_ptr_nonnull(strstr(t, "x) R 1 2"));
	ck_assert_int_eq(proc_start_time(kid, &after), 0);
	ck_assert_uint_eq(before, after);
	/* A record with another start time (a reused pid) is left alone... */
	char *wrong = util_fmt("%s/wrong.pids", dir), *right = util_fmt("%s/right.pids", dir);
	char *line = util_fmt("%d %llu\n", (int)kid, after + 1);
	ck_assert_int_eq(util_write_file_atomic(wrong, line, strlen(line)), 0);
	ck_assert_int_eq(proc_kill_recorded(wrong), 0);
	ck_assert(alive(kid));
	/* ...the process's own record kills it. */
	ck_assert_int_eq(proc_record(right, kid), 0);
	ck_assert_int_eq(proc_kill_recorded(right), 1);
	int st;
	ck_assert_int_eq(waitpid(kid, &st, 0), kid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(proc_kill_recorded("/nonexistent/pids"), 0);
	close(go[1]);
	free(line);
	free(wrong);
	free(right);
	free(comm);
	free(t);
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

/* --memory: every boot's sample has the sandbox tree's AnonHugePages (and
 * the other PMD-mapped fields this kernel shows) beside PSS; an arm whose
 * sandbox maps 8 MiB with MADV_HUGEPAGE has huge pages where THP allows
 * it; compare and the report show them against the first arm. */
START_TEST(test_huge_pages)
{
	char *wb = util_fmt("%s/wbundle", dir), *out = util_fmt("%s/run", dir), *rep = util_fmt("%s/rep", dir);
	char *bv[] = {(char *)itest_gvab(), "bundle", "--out", wb, "--workload", "--walk-files", "1", NULL};
	char *o = NULL;
	int rc = itest_run(&o, bv);
	ck_assert_msg(rc == 0, "%s", o);
	free(o);
	setenv("FAKE_SANDBOX_MS", "1500", 1); /* alive while sampled */
	char *a1 = util_fmt("a=%s", itest_fake());
	char *a2 = util_fmt("b=%s,env:FAKE_SANDBOX_HUGE_MIB=8", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", wb, "--iterations", "3",
	                "--warmups", "0", "--memory=2", "--arm", a1, "--arm", a2, NULL};
	rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "%s", o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"pss_kib\":"), 6);
	ck_assert_int_eq(itest_count_lines(sp, "\"anon_huge_kib\":"), 6);
	char *thp = util_read_file("/sys/kernel/mm/transparent_hugepage/enabled", NULL);
	if (thp && !strstr(thp, "[never]")) {
		/* 8 MiB at a 2 MiB boundary: 4 huge pages when THP grants them;
		 * at least one boot of b got one. */
		char *t = util_read_file(sp, NULL);
		int huge = 0;
		for (char *l = t, *next; l && *l; l = next) {
			next = strchr(l, '\n');
			if (next)
				*next++ = '\0';
			const char *h = strstr(l, "\"anon_huge_kib\":");
			if (strstr(l, "\"arm\":\"b\"") && h && atol(h + 16) >= 2048)
				huge++;
		}
		free(t);
		ck_assert_msg(huge >= 1, "no boot of b had a huge page (THP: %s)", thp);
	}
	free(thp);
	char *cv[] = {(char *)itest_gvab(), "compare", out, NULL};
	ck_assert_int_eq(itest_run(&o, cv), 0);
	ck_assert_msg(strstr(o, "Huge pages of the sandbox") && strstr(o, "AnonHugePages KiB (p50)"), "%s", o);
	free(o);
	char *rv[] = {(char *)itest_gvab(), "report", "--out", rep, out, NULL};
	ck_assert_int_eq(itest_run(&o, rv), 0);
	free(o);
	char *mp = util_fmt("%s/report.md", rep), *md = util_read_file(mp, NULL);
	ck_assert_msg(md && strstr(md, "## Huge pages of the sandbox"), "%s", md ? md : "(none)");
	free(md);
	free(mp);
	free(sp);
	free(a1);
	free(a2);
	free(wb);
	free(out);
	free(rep);
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
	tcase_add_test(tc, test_sigkill_during_create);
	tcase_add_test(tc, test_sigterm_is_quick);
	tcase_add_test(tc, test_failed_boot_cleanup_is_bounded);
	tcase_add_test(tc, test_closed_pipe);
	tcase_add_test(tc, test_per_arm_knobs);
	tcase_add_test(tc, test_per_arm_env);
	tcase_add_test(tc, test_append_rules);
	tcase_add_test(tc, test_one_run_per_dir);
	tcase_add_test(tc, test_restore_leaves_live_run_alone);
	tcase_add_test(tc, test_full_disk);
	tcase_add_test(tc, test_state_pid_reuse);
	tcase_add_test(tc, test_proc_records);
	tcase_add_test(tc, test_placement_settle);
	tcase_add_test(tc, test_huge_pages);
	suite_add_tcase(s, tc);
	return s;
}
