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
 *   fake-runsc --version
 *
 * Failure injection (environment):
 *   FAKE_RUNSC_FAIL=create|start|delete|wait   the phase fails ("wait": the
 *       sandbox is killed by SIGKILL instead of exiting)
 *   FAKE_RUNSC_FAIL_EVERY=N   only every Nth call of that phase fails,
 *       counted in the file FAKE_RUNSC_COUNTER (default /tmp/fake-runsc.count)
 *   FAKE_SANDBOX_MS=N         the sandbox runs N ms after start (default 1)
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
			int fd = open("/dev/null", O_RDWR);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			for (long k = 0; k < membarrier_calls(); k++)
				syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
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
	fprintf(stderr, "fake-runsc: unknown command %s\n", cmd);
	return 2;
}
