/* Integration test helpers and runner. */
#define _GNU_SOURCE
#include "itest.h"
#include "fakehist.h"
#include "proc.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *itest_gvab(void)
{
	const char *g = getenv("GVAB_BIN");
	return g ? g : "build/gvab";
}

const char *itest_fake(void)
{
	const char *f = getenv("GVAB_FAKE_RUNSC");
	return f ? f : "build/tests/fake-runsc";
}

char *itest_tmpdir(const char *tag)
{
	char *t = util_fmt("%s/gvab-itest-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", tag);
	if (!mkdtemp(t))
		abort();
	return t;
}

int itest_run(char **out, char *const *argv)
{
	char *o = NULL;
	int st = 0;
	if (proc_run_capture(argv, NULL, NULL, &o, &st) < 0) {
		fprintf(stderr, "itest: cannot run %s\n", argv[0]);
		return -1;
	}
	if (out)
		*out = o;
	else
		free(o);
	return proc_status_code(st);
}

pid_t itest_start(const char *log, char *const *argv)
{
	struct proc_opts o = {.argv = argv, .stdout_path = log, .stderr_path = log, .stdin_null = 1};
	pid_t pid;
	if (proc_spawn(&o, &pid) < 0)
		return -1;
	return pid;
}

int itest_wait(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return proc_status_code(st);
}

int itest_count_lines(const char *path, const char *needle)
{
	char *t = util_read_file(path, NULL);
	int n = 0;
	if (!t)
		return 0;
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!needle || strstr(l, needle))
			n++;
	free(t);
	return n;
}

void itest_bundle(const char *dir, const char *arg0)
{
	char *argv[] = {(char *)itest_gvab(), "bundle", "--out", (char *)dir, "--", (char *)arg0, NULL};
	if (!arg0)
		argv[4] = NULL;
	ck_assert_int_eq(itest_run(NULL, argv), 0);
}

void itest_poll_pause(pid_t pid)
{
	if (pid > 0) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			ck_abort_msg("pid %d ended while the test waited for it to get somewhere", (int)pid);
	}
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

/* Paced (a 100 us pause every 100 calls) so it loads the host without
 * owning a CPU. */
pid_t itest_membarrier_noise(volatile long *calls)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	for (;;) {
		syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
		if (++*calls % 100 == 0) {
			struct timespec ts = {0, 100000};
			nanosleep(&ts, NULL);
		}
	}
}

void itest_wait_noise(volatile long *calls, long above)
{
	while (*calls <= above)
		sched_yield();
}

int main(int argc, char **argv)
{
	/* `integration fakehist` writes the synthetic history of fakehist.h
	 * under $TMPDIR for tests/bench/bisect_cost.sh and prints where. */
	if (argc > 1 && strcmp(argv[1], "fakehist") == 0)
		return fakehist_fixture();
	/* `integration fast` skips the suites that need real runsc builds;
	 * `integration quick` (make check-fast, the edit loop) runs only the
	 * fake-runsc, analysis, command-line and docs suites: no sshd, no Go builds,
	 * no report regeneration. */
	int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
	int fast = quick || (argc > 1 && strcmp(argv[1], "fast") == 0);
	SRunner *sr = srunner_create(suite_rig_fake());
	srunner_add_suite(sr, suite_perfcount());
	srunner_add_suite(sr, suite_analysis());
	srunner_add_suite(sr, suite_ci());
	srunner_add_suite(sr, suite_compare());
	srunner_add_suite(sr, suite_help());
	srunner_add_suite(sr, suite_tree());
	srunner_add_suite(sr, suite_docs());
	if (quick)
		goto run;
	srunner_add_suite(sr, suite_hosts());
	srunner_add_suite(sr, suite_regen());
	srunner_add_suite(sr, suite_figures());
	srunner_add_suite(sr, suite_answers());
	srunner_add_suite(sr, suite_registry());
	srunner_add_suite(sr, suite_workload());
	srunner_add_suite(sr, suite_trend()); /* 25 s under ASan */
	srunner_add_suite(sr, suite_history());
	if (!fast) {
		srunner_add_suite(sr, suite_rig_real());
		srunner_add_suite(sr, suite_build());
		srunner_add_suite(sr, suite_build_module());
		srunner_add_suite(sr, suite_bisect());
		srunner_add_suite(sr, suite_playbook());
		srunner_add_suite(sr, suite_fleet());
		srunner_add_suite(sr, suite_html());
		srunner_add_suite(sr, suite_figures_browser());
		srunner_add_suite(sr, suite_bisect_fake());
		srunner_add_suite(sr, suite_upstream());
		srunner_add_suite(sr, suite_make());
	}
run:
	/* A failing check's message carries the command's whole output, which
	 * can pass Check's 4 KiB default: past it the test dies as "Early exit
	 * with return value 2" and the message is lost. */
	check_set_max_msg_size(1 << 20);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
