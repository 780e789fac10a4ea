/* fake_runsc: a stand-in for runsc that behaves like it as far as gvab's
 * rig can see, and exits at once, so rig tests and the overhead benchmark
 * run in milliseconds.
 *
 *   fake-runsc [--root=DIR] [--flags...] create --bundle B ID
 *       forks a "sandbox" process, orphaned like runsc's (so it is adopted
 *       by the nearest subreaper), writes DIR/ID_sandbox:ID.state with its
 *       pid. The sandbox waits for `start`, then exits 1 if B/config.json
 *       runs /bin/false, else 0.
 *   fake-runsc --root=DIR start ID        lets the sandbox run
 *   fake-runsc --root=DIR delete [--force] ID
 *       --force kills the sandbox and, like runsc, waits (up to 10 s) until
 *       it is gone; a zombie is not gone, so its parent must reap it
 *   fake-runsc --root=DIR kill ID [TERM|KILL]   signals the sandbox; on
 *       TERM it exits 0, and a bundle of gvab-workload (gvab bundle
 *       --workload) first says "gvab-workload: mode=idle ..." as idle does
 *   fake-runsc --version
 *
 * Failure injection (environment):
 *   FAKE_RUNSC_FAIL=create|start|delete|wait   the phase fails ("wait": the
 *       sandbox is killed by SIGKILL instead of exiting)
 *   FAKE_RUNSC_FAIL_EVERY=N   only every Nth call of that phase fails,
 *       counted in the file FAKE_RUNSC_COUNTER (default /tmp/fake-runsc.count)
 *   FAKE_SANDBOX_MS=N         the sandbox runs N ms after start (default 1)
 *   FAKE_SANDBOX_HUGE_MIB=N   the sandbox maps and touches N MiB of
 *       anonymous memory at a 2 MiB boundary with MADV_HUGEPAGE (huge pages
 *       in its smaps_rollup's AnonHugePages where THP allows)
 *   FAKE_CREATE_MS=N          create sleeps N ms after forking the sandbox,
 *       before the state file exists (a window for SIGKILL tests)
 *   <this binary's path>.create_ms   a file holding N: create sleeps N ms
 *       more (so copies of the binary can differ in speed, per arm)
 *   FAKE_FORCE_DELETE_MS=N    delete --force first hangs N ms (a stuck runsc)
 *   FAKE_RUNSC_PIDS=FILE      create appends the sandbox's pid to FILE
 *   FAKE_RUNSC_KNOB=FILE, FAKE_RUNSC_KNOB_LOG=LOG   create appends
 *       "ID <first line of FILE>" to LOG: which knob value a boot saw
 *   FAKE_RUNSC_EVENTS=FILE    appends one line per event a test may wait
 *       for or check, instead of timing it: "ID running" (the sandbox got
 *       past start), "ID delete-force gone" / "ID delete-force timeout"
 *       (the sandbox went within delete's 10 s wait, or did not: a zombie
 *       nobody reaps), "ID delete-force hang-start" / "hang-end" (around
 *       FAKE_FORCE_DELETE_MS)
 *   FAKE_RUNSC_MEMBARRIER=N   every command (create, start, delete) calls
 *       membarrier(MEMBARRIER_CMD_QUERY) once, and the sandbox, a
 *       descendant of create, calls membarrier(REGISTER_PRIVATE_EXPEDITED)
 *       N times: a boot makes exactly N REGISTER calls and N + 3 in all
 *       (what gvab run --syscalls must count, whatever else runs)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *root = "/tmp/fake-runsc-root";

static int injected(const char *phase)
{
	const char *f = getenv("FAKE_RUNSC_FAIL");
	if (!f || strcmp(f, phase) != 0)
		return 0;
	const char *every = getenv("FAKE_RUNSC_FAIL_EVERY");
	long n = every ? strtol(every, NULL, 10) : 1;
	if (n <= 1)
		return 1;
	const char *cf = getenv("FAKE_RUNSC_COUNTER");
	if (!cf)
		cf = "/tmp/fake-runsc.count";
	long count = 0;
	FILE *fp = fopen(cf, "r");
	if (fp) {
		if (fscanf(fp, "%ld", &count) != 1)
			count = 0;
		fclose(fp);
	}
	count++;
	fp = fopen(cf, "w");
	if (fp) {
		fprintf(fp, "%ld\n", count);
		fclose(fp);
	}
	return count % n == 0;
}

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Appends "ID WHAT\n" to FAKE_RUNSC_EVENTS, in one write. */
static void event(const char *id, const char *what)
{
	const char *path = getenv("FAKE_RUNSC_EVENTS");
	if (!path)
		return;
	char line[512];
	int n = snprintf(line, sizeof line, "%s %s\n", id, what);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0 || n < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* nothing to do: a test reading it will say what is missing */
	}
	close(fd);
}

/* FAKE_RUNSC_MEMBARRIER's N, or 0. */
static long membarrier_calls(void)
{
	const char *n = getenv("FAKE_RUNSC_MEMBARRIER");
	return n ? strtol(n, NULL, 10) : 0;
}

static char *path2(const char *a, const char *id, const char *suffix)
{
	char *p;
	if (asprintf(&p, "%s/%s%s", a, id, suffix) < 0)
		exit(99);
	return p;
}

/* The container's output (create's stderr, kept by the sandbox) when the
 * bundle runs gvab-workload, else -1. */
static int workload_fd = -1;

static void term_exit(int sig)
{
	(void)sig;
	static const char line[] = "gvab-workload: mode=idle n=0 inner_ns=0 result=0\n";
	if (workload_fd >= 0 && write(workload_fd, line, sizeof line - 1) < 0)
		_exit(1);
	_exit(0);
}

/* FAKE_SANDBOX_HUGE_MIB: N MiB, 2 MiB aligned, asked for huge pages and
 * touched; kept until the sandbox exits. */
static void map_huge(const char *mib_s)
{
	long mib = mib_s ? strtol(mib_s, NULL, 10) : 0;
	if (mib <= 0)
		return;
	size_t len = (size_t)mib << 20, huge = 2u << 20;
	char *p = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	char *a = (char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(a, len, MADV_HUGEPAGE);
	memset(a, 1, len);
}

static int do_create(const char *bundle, const char *id)
{
	if (injected("create")) {
		fprintf(stderr, "fake-runsc: creating container: injected failure\n");
		return 1;
	}
	char *cfg;
	if (asprintf(&cfg, "%s/config.json", bundle) < 0)
		return 99;
	int code = 0;
	FILE *f = fopen(cfg, "r");
	if (!f) {
		fprintf(stderr, "fake-runsc: reading spec: %s: %s\n", cfg, strerror(errno));
		return 1;
	}
	char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (strstr(buf, "\"/bin/false\""))
		code = 1;
	char *started = path2(root, id, ".started");
	int fail_wait = injected("wait");
	const char *ms_s = getenv("FAKE_SANDBOX_MS");
	long ms = ms_s ? strtol(ms_s, NULL, 10) : 1;

	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		pid_t gc = fork();
		if (gc == 0) {
			/* The sandbox: detached like runsc's, waits for start. */
			setsid();
			close(pfd[0]);
			close(pfd[1]);
			if (strstr(buf, "/bin/gvab-workload"))
				workload_fd = dup(2);
			int fd = open("/dev/null", O_RDWR);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			for (long k = 0; k < membarrier_calls(); k++)
				syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
			map_huge(getenv("FAKE_SANDBOX_HUGE_MIB"));
			/* `kill ID TERM` ends it as gvab-workload idle ends: exit 0. */
			signal(SIGTERM, term_exit);
			for (int i = 0; i < 60000; i++) {
				if (access(started, F_OK) == 0)
					break;
				msleep(1);
			}
			event(id, "running");
			msleep(ms);
			if (fail_wait)
				raise(SIGKILL);
			_exit(code);
		}
		if (write(pfd[1], &gc, sizeof gc) != (ssize_t)sizeof gc)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	pid_t sandbox = 0;
	if (read(pfd[0], &sandbox, sizeof sandbox) != (ssize_t)sizeof sandbox)
		return 1;
	close(pfd[0]);
	waitpid(child, NULL, 0);
	const char *pids = getenv("FAKE_RUNSC_PIDS");
	if (pids && (f = fopen(pids, "a"))) {
		fprintf(f, "%d\n", (int)sandbox);
		fclose(f);
	}
	const char *knob = getenv("FAKE_RUNSC_KNOB"), *klog = getenv("FAKE_RUNSC_KNOB_LOG");
	if (knob && klog) {
		char v[128] = "";
		FILE *kf = fopen(knob, "r");
		if (kf) {
			if (!fgets(v, sizeof v, kf))
				v[0] = '\0';
			fclose(kf);
		}
		v[strcspn(v, "\n")] = '\0';
		if ((f = fopen(klog, "a"))) {
			fprintf(f, "%s %s\n", id, v);
			fclose(f);
		}
	}
	/* The CPUs create may run on (gvab run --cpu-placement). */
	const char *cpus = getenv("FAKE_RUNSC_CPUS");
	cpu_set_t cs;
	if (cpus && sched_getaffinity(0, sizeof cs, &cs) == 0 && (f = fopen(cpus, "a"))) {
		fprintf(f, "%s", id);
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &cs))
				fprintf(f, " %d", c);
		fprintf(f, "\n");
		fclose(f);
	}
	const char *cms = getenv("FAKE_CREATE_MS");
	if (cms)
		msleep(strtol(cms, NULL, 10));
	/* A copy of this binary with a file <path>.create_ms beside it sleeps
	 * that much more in create: two arms that differ by binary only. */
	char self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 16);
	if (sl > 0) {
		memcpy(self + sl, ".create_ms", 11);
		FILE *cf = fopen(self, "r");
		long extra = 0;
		if (cf) {
			if (fscanf(cf, "%ld", &extra) == 1 && extra > 0)
				msleep(extra);
			fclose(cf);
		}
	}
	char *state = path2(root, id, "");
	char *sp;
	if (asprintf(&sp, "%s/%s_sandbox:%s.state", root, id, id) < 0)
		return 99;
	f = fopen(sp, "w");
	if (!f) {
		fprintf(stderr, "fake-runsc: %s: %s\n", sp, strerror(errno));
		kill(sandbox, SIGKILL);
		return 1;
	}
	fprintf(f, "{\"id\":\"%s\",\"goferPid\":0,\"sandbox\":{\"id\":\"%s\",\"pid\":%d}}\n", id, id,
	        (int)sandbox);
	fclose(f);
	free(state);
	return 0;
}

static int do_start(const char *id)
{
	if (injected("start")) {
		fprintf(stderr, "fake-runsc: starting container: injected failure\n");
		return 1;
	}
	char *started = path2(root, id, ".started");
	int fd = open(started, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

static int do_delete(const char *id, int force)
{
	char *sp;
	if (asprintf(&sp, "%s/%s_sandbox:%s.state", root, id, id) < 0)
		return 99;
	if (force) {
		const char *hang = getenv("FAKE_FORCE_DELETE_MS");
		if (hang) {
			event(id, "delete-force hang-start");
			msleep(strtol(hang, NULL, 10));
			event(id, "delete-force hang-end");
		}
		FILE *f = fopen(sp, "r");
		if (f) {
			char buf[512];
			size_t n = fread(buf, 1, sizeof buf - 1, f);
			buf[n] = '\0';
			fclose(f);
			char *p = strstr(buf, "\"pid\":");
			pid_t sb = p ? (pid_t)atoi(p + 6) : 0;
			if (sb > 0) {
				kill(sb, SIGKILL);
				int i = 0;
				for (; i < 1000 && kill(sb, 0) == 0; i++)
					msleep(10);
				event(id, i < 1000 ? "delete-force gone" : "delete-force timeout");
			}
		}
	} else if (injected("delete")) {
		fprintf(stderr, "fake-runsc: deleting container: injected failure\n");
		return 1;
	}
	unlink(sp);
	unlink(path2(root, id, ".started"));
	return 0;
}

/* kill ID [SIGNAL]: the sandbox gets SIGTERM (only TERM and KILL are
 * understood), as runsc kill signals the container's init. */
static int do_kill(const char *id, const char *sig)
{
	char *sp;
	if (asprintf(&sp, "%s/%s_sandbox:%s.state", root, id, id) < 0)
		return 99;
	FILE *f = fopen(sp, "r");
	if (!f) {
		fprintf(stderr, "fake-runsc: kill: no container %s\n", id);
		return 1;
	}
	char buf[512];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	char *p = strstr(buf, "\"pid\":");
	pid_t sb = p ? (pid_t)atoi(p + 6) : 0;
	int signo = sig && (strcmp(sig, "KILL") == 0 || strcmp(sig, "9") == 0) ? SIGKILL : SIGTERM;
	return sb > 0 && kill(sb, signo) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strncmp(argv[i], "--root=", 7) == 0)
			root = argv[i] + 7;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("fake-runsc version 0\nspec: 1.0.2\n");
			return 0;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "fake-runsc: no command\n");
		return 2;
	}
	const char *cmd = argv[i++];
	if (membarrier_calls() > 0)
		syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	mkdir(root, 0700);
	if (strcmp(cmd, "create") == 0) {
		const char *bundle = ".", *id = NULL;
		for (; i < argc; i++) {
			if (strcmp(argv[i], "--bundle") == 0 && i + 1 < argc)
				bundle = argv[++i];
			else if (strncmp(argv[i], "--bundle=", 9) == 0)
				bundle = argv[i] + 9;
			else
				id = argv[i];
		}
		return id ? do_create(bundle, id) : 2;
	}
	if (strcmp(cmd, "start") == 0 && i < argc)
		return do_start(argv[i]);
	if (strcmp(cmd, "delete") == 0) {
		int force = 0;
		const char *id = NULL;
		for (; i < argc; i++) {
			if (strcmp(argv[i], "--force") == 0)
				force = 1;
			else
				id = argv[i];
		}
		return id ? do_delete(id, force) : 2;
	}
	if (strcmp(cmd, "kill") == 0 && i < argc)
		return do_kill(argv[i], i + 1 < argc ? argv[i + 1] : NULL);
	fprintf(stderr, "fake-runsc: unknown command %s\n", cmd);
	return 2;
}
