/* proc: see proc.h. */
#define _GNU_SOURCE
#include "proc.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The placement proc_cpu_placement made: the affinity it replaced
 * (placed_from) and, for PROC_CPUS_SPLIT, the children's CPUs and this
 * process's own. File-scope because what it records is process-wide (the
 * affinity), and every spawn below applies it. */
static int split_active, placed;
static cpu_set_t split_child, split_self, placed_from;

static void cpu_list(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && used + 8 < len; c++)
		if (CPU_ISSET(c, set))
			used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? "," : "", c);
}

int proc_cpu_placement(int mode, char *desc, size_t len)
{
	cpu_set_t allowed, one;
	snprintf(desc, len, "shared");
	if (mode == PROC_CPUS_SHARED)
		return 0;
	if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
		return error_setc(GVAB_EPRECOND, "sched_getaffinity: %s", strerror(errno));
	int first = -1, last = -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed)) {
			if (first < 0)
				first = c;
			last = c;
		}
	if (first < 0)
		return error_setc(GVAB_EPRECOND, "sched_getaffinity: no CPU allowed");
	placed_from = allowed;
	placed = 1;
	CPU_ZERO(&one);
	if (mode == PROC_CPUS_ONE) {
		CPU_SET(first, &one);
		if (sched_setaffinity(0, sizeof one, &one) < 0)
			return error_setc(GVAB_EPRECOND, "--cpu-placement one: sched_setaffinity to CPU %d: %s",
			                  first, strerror(errno));
		snprintf(desc, len, "one: gvab and children on CPU %d", first);
		return 0;
	}
	if (first == last)
		return error_setc(GVAB_EPRECOND, "--cpu-placement split needs two CPUs; this process may use "
		                                 "only CPU %d", first);
	CPU_SET(last, &one);
	split_child = allowed;
	CPU_CLR(last, &split_child);
	if (sched_setaffinity(0, sizeof one, &one) < 0)
		return error_setc(GVAB_EPRECOND, "--cpu-placement split: sched_setaffinity to CPU %d: %s", last,
		                  strerror(errno));
	split_self = one;
	split_active = 1;
	char kids[256];
	cpu_list(&split_child, kids, sizeof kids);
	snprintf(desc, len, "split: gvab on CPU %d, children on %s", last, kids);
	return 0;
}

void proc_cpu_placement_undo(void)
{
	if (!placed)
		return;
	(void)sched_setaffinity(0, sizeof placed_from, &placed_from);
	placed = split_active = 0;
}

/* The child's side of spawn_gated: wait for the parent's byte (so the
 * child is alive while the gate runs), then what posix_spawn's attributes
 * and file actions do in proc_spawn, then exec. Only async-signal-safe
 * calls between fork and exec. */
static void gated_child(const struct proc_opts *o, int gate_fd, int err_fd)
{
	sigset_t empty;
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	int e = 0;
	char go;
	ssize_t got;
	while ((got = read(gate_fd, &go, 1)) < 0 && errno == EINTR)
		;
	if (got != 1)
		_exit(127); /* the parent's gate failed: it kills this child */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	if (o->own_pgroup)
		setpgid(0, 0);
	if (split_active)
		(void)sched_setaffinity(0, sizeof split_child, &split_child);
	int fd;
	if (o->stdin_null && ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0))
		goto fail;
	if (o->in_fd > 0 && dup2(o->in_fd, 0) < 0)
		goto fail;
	if (o->out_fd > 0 && dup2(o->out_fd, 1) < 0)
		goto fail;
	if (o->stdout_path &&
	    ((fd = open(o->stdout_path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0 || dup2(fd, 1) < 0))
		goto fail;
	if (o->stderr_path && o->stdout_path && strcmp(o->stdout_path, o->stderr_path) == 0) {
		if (dup2(1, 2) < 0)
			goto fail;
	} else if (o->stderr_path &&
	           ((fd = open(o->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0 || dup2(fd, 2) < 0)) {
		goto fail;
	}
	if (o->cwd && chdir(o->cwd) < 0)
		goto fail;
	execvpe(o->argv[0], o->argv, o->envp ? o->envp : environ);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* proc_spawn with a gate: fork; the child prepares and waits on a pipe; the
 * parent runs the gate on its pid, then lets it exec. An exec failure comes
 * back through a close-on-exec pipe, as posix_spawn reports it. */
static int spawn_gated(const struct proc_opts *o, pid_t *pid)
{
	int gate[2], err[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		return error_set("pipe: %s", strerror(errno));
	if (pipe2(err, O_CLOEXEC) < 0) {
		int e = errno;
		close(gate[0]);
		close(gate[1]);
		return error_set("pipe: %s", strerror(e));
	}
	pid_t p = fork();
	if (p == 0) {
		close(gate[1]);
		close(err[0]);
		gated_child(o, gate[0], err[1]);
	}
	close(gate[0]);
	close(err[1]);
	int rc = 0;
	if (p < 0) {
		rc = error_set("cannot run %s: fork: %s", o->argv[0], strerror(errno));
		goto out;
	}
	if ((rc = o->gate(p, o->gate_arg)) < 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		goto out;
	}
	if (write(gate[1], "g", 1) != 1) {
		rc = error_set("cannot run %s: gate pipe: %s", o->argv[0], strerror(errno));
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		goto out;
	}
	int child_errno;
	ssize_t n;
	while ((n = read(err[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof child_errno) {
		waitpid(p, NULL, 0);
		rc = error_setc(child_errno == ENOENT ? GVAB_EPRECOND : GVAB_EFAIL, "cannot run %s: %s",
		                o->argv[0], strerror(child_errno));
		goto out;
	}
	*pid = p;
out:
	close(gate[1]);
	close(err[0]);
	return rc;
}

int proc_spawn(const struct proc_opts *o, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t empty, all;
	int rc;

	if (o->gate)
		return spawn_gated(o, pid);

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&empty);
	sigfillset(&all);
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	posix_spawnattr_setsigmask(&attr, &empty);
	posix_spawnattr_setsigdefault(&attr, &all);
	if (o->own_pgroup) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, 0);
	}
	posix_spawnattr_setflags(&attr, flags);
	if (o->stdin_null)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (o->in_fd > 0)
		posix_spawn_file_actions_adddup2(&fa, o->in_fd, 0);
	if (o->out_fd > 0)
		posix_spawn_file_actions_adddup2(&fa, o->out_fd, 1);
	if (o->stdout_path)
		posix_spawn_file_actions_addopen(&fa, 1, o->stdout_path,
		                                 O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (o->stderr_path) {
		if (o->stdout_path && strcmp(o->stdout_path, o->stderr_path) == 0)
			posix_spawn_file_actions_adddup2(&fa, 1, 2);
		else
			posix_spawn_file_actions_addopen(&fa, 2, o->stderr_path,
			                                 O_WRONLY | O_CREAT | O_APPEND, 0644);
	}
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);

	/* A child inherits the spawning thread's affinity. */
	if (split_active)
		(void)sched_setaffinity(0, sizeof split_child, &split_child);
	rc = posix_spawnp(pid, o->argv[0], &fa, &attr, o->argv, o->envp ? o->envp : environ);
	if (split_active)
		(void)sched_setaffinity(0, sizeof split_self, &split_self);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return error_setc(rc == ENOENT ? GVAB_EPRECOND : GVAB_EFAIL, "cannot run %s: %s",
		                  o->argv[0], strerror(rc));
	return 0;
}

int proc_wait(pid_t pid, int *status, volatile int *stop)
{
	for (;;) {
		pid_t r = waitpid(pid, status, 0);
		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR) {
			if (stop && *stop)
				return error_setc(GVAB_EINTR, "interrupted while waiting for pid %d",
				                  (int)pid);
			continue;
		}
		return error_set("waitpid %d: %s", (int)pid, strerror(errno));
	}
}

int proc_run_capture(char *const *argv, char *const *envp, const char *cwd, char **out,
                     int *status)
{
	char tmpl[] = "/tmp/gvab-capture-XXXXXX";
	int fd = mkstemp(tmpl);
	*out = NULL;
	if (fd < 0)
		return error_set("mkstemp: %s", strerror(errno));
	close(fd);
	struct proc_opts o = {.argv = argv, .envp = envp, .cwd = cwd, .stdout_path = tmpl,
	                      .stderr_path = tmpl, .stdin_null = 1};
	pid_t pid;
	int rc = proc_spawn(&o, &pid);
	if (rc == 0)
		rc = proc_wait(pid, status, NULL);
	if (rc == 0) {
		size_t len;
		*out = util_read_file(tmpl, &len);
		if (*out && len > (1u << 20))
			(*out)[1u << 20] = '\0';
		if (!*out)
			rc = GVAB_EFAIL;
	}
	unlink(tmpl);
	return rc;
}

const char *proc_status_str(int status)
{
	static char buf[64];
	if (WIFEXITED(status))
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof buf, "signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sizeof buf, "status 0x%x", status);
	return buf;
}

int proc_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

size_t proc_list_children(pid_t *out, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		long p;
		while (n < max && fscanf(f, "%ld", &p) == 1)
			out[n++] = (pid_t)p;
		fclose(f);
	}
	closedir(d);
	return n;
}

int proc_reap_nohang(void)
{
	int n = 0, st;
	while (waitpid(-1, &st, WNOHANG) > 0)
		n++;
	return n;
}

/* /proc/PID/stat into buf; returns the fields after comm (comm, field 2,
 * may hold spaces and parentheses: fields resume after the last ')'), so
 * the result starts with " STATE PPID ...". NULL with an error if gone. */
static const char *read_stat(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error_set("%s: %s", path, strerror(errno));
		return NULL;
	}
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0) {
		error_set("%s: cannot read", path);
		return NULL;
	}
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	if (!p)
		error_set("%s: malformed", path);
	return p ? p + 1 : NULL;
}

int proc_start_time(pid_t pid, unsigned long long *ticks)
{
	char buf[1024];
	const char *p = read_stat(pid, buf, sizeof buf);
	if (!p)
		return GVAB_EFAIL;
	/* Field 3 is the state; start time is field 22. */
	for (int field = 2; field < 21; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return error_set("/proc/%d/stat: malformed", (int)pid);
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return error_set("/proc/%d/stat: malformed start time", (int)pid);
	*ticks = v;
	return 0;
}

pid_t proc_parent(pid_t pid)
{
	char buf[1024];
	const char *p = read_stat(pid, buf, sizeof buf);
	int ppid = -1;
	char st;
	if (!p || sscanf(p, " %c %d", &st, &ppid) != 2)
		return -1;
	return (pid_t)ppid;
}

int proc_record(const char *path, pid_t pid)
{
	unsigned long long st;
	int rc = proc_start_time(pid, &st);
	if (rc < 0)
		return rc;
	char line[64];
	int n = snprintf(line, sizeof line, "%d %llu\n", (int)pid, st);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set("%s: %s", path, strerror(errno));
	if (write(fd, line, (size_t)n) != n || fdatasync(fd) < 0)
		rc = error_set("writing %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int proc_kill_recorded(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0;
	if (!f)
		return 0;
	long pid;
	unsigned long long want, now;
	while (fscanf(f, "%ld %llu", &pid, &want) == 2)
		if (pid > 1 && (pid_t)pid != getpid() && proc_start_time((pid_t)pid, &now) == 0 &&
		    now == want && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	fclose(f);
	return n;
}

char *proc_cmdline(pid_t pid, size_t *len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = util_xmalloc(cap);
	/* One byte always stays free for the NUL that ends the last word (the
	 * kernel's cmdline may end without one, after a process rewrote it). */
	for (size_t k; (k = fread(buf + n, 1, cap - 1 - n, f)) > 0;) {
		n += k;
		if (n == cap - 1)
			buf = util_xrealloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

size_t proc_find_by_arg(const char *arg, pid_t **out)
{
	DIR *d = opendir("/proc");
	size_t n = 0, cap = 0;
	*out = NULL;
	if (!d)
		return 0;
	pid_t self = getpid();
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 1 || (pid_t)pid == self)
			continue;
		size_t len = 0;
		char *cl = proc_cmdline((pid_t)pid, &len);
		int hit = 0;
		/* argv words are NUL-separated; compare each one whole. */
		for (size_t off = 0; cl && off < len && !hit; off += strlen(cl + off) + 1)
			hit = strcmp(cl + off, arg) == 0;
		free(cl);
		if (!hit)
			continue;
		if (n == cap)
			*out = util_xrealloc(*out, (cap = cap ? cap * 2 : 16) * sizeof **out);
		(*out)[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

int proc_signal_by_arg(const char *arg, int sig)
{
	pid_t *pids;
	size_t n = proc_find_by_arg(arg, &pids);
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += kill(pids[i], sig) == 0;
	free(pids);
	return k;
}
