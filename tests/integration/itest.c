/* Integration test helpers and runner. */
#define _GNU_SOURCE
#include "itest.h"
#include "fakehist.h"
#include "proc.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

int itest_have_fifo(void)
{
	char *argv[] = {ITEST_FIFO, "true", NULL};
	return itest_run(NULL, argv) == 0;
}

char *const *itest_fifo(char *const *argv, int fifo)
{
	return fifo ? argv : argv + 3;
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

void itest_wait_listen(const char *addr, int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	ck_assert_msg(inet_pton(AF_INET, addr, &a.sin_addr) == 1, "bad address %s", addr);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fd, 0);
		int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		close(fd);
		if (ok)
			return;
		itest_poll_pause(0);
	}
}

void itest_netns_clear(const char *ns, const char *host_link)
{
	char *o = NULL;
	char *pids[] = {"ip", "netns", "pids", (char *)ns, NULL};
	if (itest_run(&o, pids) == 0 && o)
		for (char *p = o, *end; *p; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p)
				break;
			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
		}
	free(o);
	char *d1[] = {"ip", "link", "del", (char *)host_link, NULL};
	char *d2[] = {"ip", "netns", "del", (char *)ns, NULL};
	itest_run(NULL, d1);
	itest_run(NULL, d2);
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

void itest_free_ports(int *ports, int n)
{
	int fds[8];
	ck_assert_int_le(n, 8);
	for (int i = 0; i < n; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof a;
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(bind(fds[i], (struct sockaddr *)&a, sizeof a), 0);
		ck_assert_int_eq(getsockname(fds[i], (struct sockaddr *)&a, &len), 0);
		ports[i] = ntohs(a.sin_port);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Every suite, with the smallest tier that runs it and its lane.
 * Tiers: `integration quick` (make check-fast, the edit loop: fake runsc,
 * analysis, command line, docs; no sshd, Go builds or report
 * regeneration), `integration fast` (adds those; the sanitizer pass) and
 * `integration` or `integration full` (everything: real runsc, gVisor
 * builds, browsers).
 * Lanes: tests/run.sh runs the lanes of a tier as processes side by side
 * (`integration full LANE`, `integration fast LANE`), each with its own
 * TMPDIR, state directory and knob journal:
 * - debian, module, module2, realbisect: the suites that build gVisor
 *   (debian: Debian's tree and the 2024 module tree; module: the 2026
 *   module tree's stock compile; module2 and realbisect: the patched 2026
 *   arm and the real-tree bisect, which reuse that compile, so tests/run.sh
 *   starts them once module has ended) into gvab's shared source and Go
 *   caches (the source cache takes a writer lock, source.h; Go's caches are
 *   safe for concurrent go commands). On a fresh machine these are
 *   CPU-bound for minutes, so they start first;
 * - system: real runsc boots, host-wide names (network namespaces, sshd
 *   ports of the fleet), a fresh clone's build, browsers;
 * - bisect1, bisect2, trend: the synthetic histories, whose time is the
 *   fake runsc's sleeps;
 * - other: the rest. */
enum { TIER_QUICK, TIER_FAST, TIER_FULL };
static const struct {
	Suite *(*make)(void);
	int tier;
	const char *lane;
} suites[] = {
	{suite_rig_fake, TIER_QUICK, "other"},
	{suite_perfcount, TIER_QUICK, "other"},
	{suite_analysis, TIER_QUICK, "other"},
	{suite_ci, TIER_QUICK, "other"},
	{suite_compare, TIER_QUICK, "other"},
	{suite_help, TIER_QUICK, "other"},
	{suite_tree, TIER_QUICK, "other"},
	{suite_docs, TIER_QUICK, "other"},
	{suite_hosts, TIER_FAST, "other"},
	{suite_regen, TIER_FAST, "other"},
	{suite_figures, TIER_FAST, "other"},
	{suite_answers, TIER_FAST, "other"},
	{suite_registry, TIER_FAST, "other"},
	{suite_workload, TIER_FAST, "other"},
	{suite_trend, TIER_FAST, "trend"},
	{suite_history, TIER_FAST, "trend"},
	{suite_build, TIER_FULL, "debian"},
	{suite_build_module_2024, TIER_FULL, "debian"},
	{suite_build_module, TIER_FULL, "module"},
	{suite_build_module_2026, TIER_FULL, "module2"},
	{suite_bisect, TIER_FULL, "realbisect"},
	{suite_rig_real, TIER_FULL, "system"},
	{suite_hosts_real, TIER_FULL, "system"},
	{suite_playbook, TIER_FULL, "system"},
	{suite_fleet, TIER_FULL, "system"},
	{suite_upstream, TIER_FULL, "system"},
	{suite_make, TIER_FULL, "system"},
	{suite_html, TIER_FULL, "system"},
	{suite_figures_browser, TIER_FULL, "system"},
	{suite_bisect_fake1, TIER_FULL, "bisect1"},
	{suite_bisect_fake2, TIER_FULL, "bisect2"},
};

static int usage(void)
{
	fprintf(stderr, "usage: integration [quick | fast [LANE] | full [LANE]] | fakehist\n"
	                "  LANE: debian, module, module2, realbisect, system, bisect1, bisect2, trend or other:\n"
	                "        the tier's suites of that lane\n");
	return 2;
}

int main(int argc, char **argv)
{
	/* `integration fakehist` writes the synthetic history of fakehist.h
	 * under $TMPDIR for tests/bench/bisect_cost.sh and prints where. */
	if (argc > 1 && strcmp(argv[1], "fakehist") == 0)
		return fakehist_fixture();
	int tier = TIER_FULL;
	const char *lane = NULL;
	if (argc > 1 && strcmp(argv[1], "quick") == 0)
		tier = TIER_QUICK;
	else if (argc > 1 && strcmp(argv[1], "fast") == 0)
		tier = TIER_FAST;
	else if (argc > 1 && strcmp(argv[1], "full") != 0)
		return usage();
	if (argc > 2) {
		if (tier == TIER_QUICK || argc > 3)
			return usage();
		lane = argv[2];
	}
	SRunner *sr = NULL;
	size_t n = 0;
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
		if (suites[i].tier > tier || (lane && strcmp(lane, suites[i].lane) != 0))
			continue;
		Suite *s = suites[i].make();
		if (sr)
			srunner_add_suite(sr, s);
		else
			sr = srunner_create(s);
		n++;
	}
	if (!n) {
		fprintf(stderr, "integration: no suite in lane '%s'\n", lane);
		return usage();
	}
	/* A failing check's message carries the command's whole output, which
	 * can pass Check's 4 KiB default: past it the test dies as "Early exit
	 * with return value 2" and the message is lost. */
	check_set_max_msg_size(1 << 20);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* "nan" or "inf" as a word of its own (any case, any sign): what printf
 * makes of a non-finite double. */
const char *itest_nan_or_inf(const char *text)
{
	for (const char *p = text; *p; p++) {
		if (p > text && isalnum((unsigned char)p[-1]))
			continue;
		if (strncasecmp(p, "nan", 3) == 0 && !isalnum((unsigned char)p[3]))
			return p;
		if (strncasecmp(p, "inf", 3) == 0 && !isalpha((unsigned char)p[3]))
			return p;
	}
	return NULL;
}

void itest_repeats_section(const char *rep, const char *row, int want)
{
	char *md = util_fmt("%s/report.md", rep), *js = util_fmt("%s/results.json", rep),
	     *hp = util_fmt("%s/report.html", rep);
	ck_assert_int_eq(itest_count_lines(md, "## Repeated runs: CORE shift between runs"), want);
	ck_assert_int_eq(itest_count_lines(md, row), want);
	ck_assert_int_eq(itest_count_lines(js, "\"between_run_sd_pct\""), want);
	ck_assert_int_eq(itest_count_lines(js, "\"one_run_enough\""), want);
	ck_assert_int_eq(itest_count_lines(hp, "<h2 id=\"repeats\">Repeated runs</h2>"), want);
	free(md);
	free(js);
	free(hp);
}
