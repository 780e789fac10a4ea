/* boot: see boot.h.
 *
 * Timing: t0 is read immediately before posix_spawn and t1 immediately
 * after waitpid returns the child, so a phase includes the spawn (as any
 * caller of runsc pays it) and nothing of gvab's own bookkeeping. SIGCHLD
 * is blocked and waited for with sigtimedwait, so a phase ends within
 * microseconds of the child's exit without polling.
 */
#define _GNU_SOURCE
#include "boot.h"
#include "error.h"
#include "footprint.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int boot_setup(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return error_set("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		return error_set("sigprocmask: %s", strerror(errno));
	return 0;
}

/* Sleeps until a child changes state (SIGCHLD, blocked by boot_setup), the
 * deadline passes, or *stop is set. 0: look again; GVAB_EINTR; or a
 * recorded "timed out" error. */
static int await_sigchld(int64_t deadline_ns, volatile sig_atomic_t *stop)
{
	if (stop && *stop)
		return GVAB_EINTR;
	int64_t left = deadline_ns - util_now_ns();
	if (left <= 0)
		return error_set("timed out");
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	struct timespec ts = {left / 1000000000, left % 1000000000};
	if (sigtimedwait(&s, NULL, &ts) < 0 && errno != EAGAIN && errno != EINTR)
		return error_set("sigtimedwait: %s", strerror(errno));
	return 0;
}

/* Waits until child `want` exits. Returns 0 with *status and *t_end set,
 * GVAB_EFAIL on timeout, GVAB_EINTR if *stop was set. */
static int wait_child(pid_t want, int64_t deadline_ns, volatile sig_atomic_t *stop, int *status,
                      int64_t *t_end)
{
	for (;;) {
		int st;
		pid_t r = waitpid(want, &st, WNOHANG);
		if (r == want) {
			*t_end = util_now_ns();
			*status = st;
			return 0;
		}
		if (r < 0 && errno == ECHILD)
			return error_set("process %d is not a child of gvab", (int)want);
		/* Only `want` is waited for here: a waitpid(-1) could reap it and
		 * lose its status. Orphans are collected after the phase. */
		int rc = await_sigchld(deadline_ns, stop);
		if (rc < 0)
			return rc;
	}
}

/* Waits for an adopted process `want` (the sandbox, then the gofer),
 * collecting the other orphans of runsc that exit meanwhile; if `note` is
 * among them, *note_reaped is set. A `want` that is no longer a child
 * (ECHILD) was already reaped and counts as done with *status 0. */
static int wait_adopted(pid_t want, pid_t note, int *note_reaped, int64_t deadline_ns,
                        volatile sig_atomic_t *stop, int *status, int64_t *t_end)
{
	for (;;) {
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r == note && note_reaped)
				*note_reaped = 1;
			if (r == want) {
				*t_end = util_now_ns();
				*status = st;
				return 0;
			}
		}
		if (r < 0 && errno == ECHILD) {
			*t_end = util_now_ns();
			*status = 0;
			return 1;
		}
		if (kill(want, 0) < 0 && errno == ESRCH) {
			/* Not ours and gone: nothing to wait for. */
			*t_end = util_now_ns();
			*status = 0;
			return 1;
		}
		int rc = await_sigchld(deadline_ns, stop);
		if (rc < 0)
			return rc;
	}
}

int boot_read_sandbox_pid(const char *root_dir, const char *id, pid_t *pid)
{
	pid_t gofer;
	return boot_read_pids(root_dir, id, pid, &gofer);
}

int boot_read_pids(const char *root_dir, const char *id, pid_t *pid, pid_t *gofer)
{
	char *p = util_fmt("%s/%s_sandbox:%s.state", root_dir, id, id);
	cJSON *doc = NULL;
	int rc = GVAB_EFAIL;
	if (!util_path_exists(p)) {
		/* runc (a baseline arm) keeps <root>/<id>/state.json instead. */
		char *q = util_fmt("%s/%s/state.json", root_dir, id);
		if (util_path_exists(q)) {
			doc = util_json_load(q);
			const cJSON *ip = doc ? cJSON_GetObjectItemCaseSensitive(doc, "init_process_pid") : NULL;
			free(q);
			if (!cJSON_IsNumber(ip) || ip->valuedouble <= 0) {
				error_set("%s/%s/state.json: no init_process_pid", root_dir, id);
				goto out;
			}
			*pid = (pid_t)ip->valuedouble;
			*gofer = 0;
			rc = 0;
			goto out;
		}
		free(q);
	}
	doc = util_json_load(p);
	if (!doc) {
		error_wrap(GVAB_EFAIL, "runsc state file");
		goto out;
	}
	const cJSON *sb = cJSON_GetObjectItemCaseSensitive(doc, "sandbox");
	const cJSON *pj = sb ? cJSON_GetObjectItemCaseSensitive(sb, "pid") : NULL;
	if (!cJSON_IsNumber(pj) || pj->valuedouble <= 0) {
		error_set("%s: no sandbox.pid", p);
		goto out;
	}
	*pid = (pid_t)pj->valuedouble;
	const cJSON *gj = cJSON_GetObjectItemCaseSensitive(doc, "goferPid");
	*gofer = cJSON_IsNumber(gj) ? (pid_t)gj->valuedouble : 0;
	rc = 0;
out:
	cJSON_Delete(doc);
	free(p);
	return rc;
}

/* argv: runsc --root=R [flags] [debug flags] <tail...> */
static char **make_argv(const struct boot_cfg *c, const char *root_flag, const char *debug_flag,
                        char *const *tail)
{
	size_t nt = 0;
	while (tail[nt])
		nt++;
	char **a = util_xcalloc(c->nflags + nt + 6, sizeof *a);
	size_t k = 0;
	a[k++] = (char *)c->runsc;
	a[k++] = (char *)root_flag;
	for (size_t i = 0; i < c->nflags; i++)
		a[k++] = c->flags[i];
	if (debug_flag) {
		a[k++] = "--debug";
		a[k++] = (char *)debug_flag;
	}
	for (size_t i = 0; i < nt; i++)
		a[k++] = tail[i];
	a[k] = NULL;
	return a;
}

static int cleanup_timeout_ms(const struct boot_cfg *c)
{
	return c->cleanup_timeout_ms > 0 ? c->cleanup_timeout_ms : 10000;
}

/* `runsc delete --force ID`, untimed, ignoring a stop request (this is the
 * cleanup a stop asks for), killed after c->cleanup_timeout_ms. Every child
 * that exits meanwhile is reaped at once: runsc delete waits for the
 * sandbox and gofer to go, and a zombie (an exited child of this
 * subreaper, not yet reaped) never goes, so without this the delete hung
 * for its full 10 s after every Ctrl-C. *sandbox_reaped is set when
 * `sandbox` was among the reaped. */
static void force_delete(const struct boot_cfg *c, const char *root_flag, const char *id,
                         const char *errlog, pid_t sandbox, int *sandbox_reaped)
{
	char *tail[] = {"delete", "--force", (char *)id, NULL};
	char **a = make_argv(c, root_flag, NULL, tail);
	struct proc_opts po = {.argv = a, .envp = c->envp, .stdout_path = errlog,
	                       .stderr_path = errlog, .stdin_null = 1, .own_pgroup = 1,
	                       .gate = c->spawn_gate, .gate_arg = c->spawn_gate_arg};
	pid_t pid;
	int st;
	int64_t deadline = util_now_ns() + (int64_t)cleanup_timeout_ms(c) * 1000000;
	if (proc_spawn(&po, &pid) < 0) {
		free(a);
		return;
	}
	for (;;) {
		pid_t r;
		int done = 0;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r == sandbox && sandbox_reaped)
				*sandbox_reaped = 1;
			if (r == pid)
				done = 1;
		}
		if (done)
			break;
		if (await_sigchld(deadline, NULL) < 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
	}
	free(a);
}

/* Records a failed boot: the phase, and "PHASE: <message>" as its error. */
static void boot_fail(struct boot_result *r, const char *phase, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void boot_fail(struct boot_result *r, const char *phase, const char *fmt, ...)
{
	snprintf(r->failed_phase, sizeof r->failed_phase, "%s", phase);
	int n = snprintf(r->error, sizeof r->error, "%s: ", phase);
	if (n < 0 || (size_t)n >= sizeof r->error)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error + n, sizeof r->error - (size_t)n, fmt, ap);
	va_end(ap);
	/* One error channel: the attempt's failure is its record's "error"
	 * (data in samples.jsonl) and the recorded error of this process. */
	error_setc(GVAB_EFAIL, "%s", r->error);
}

/* Runs one phase: spawn, wait (with timeout), time it. Returns 0 if it ran
 * and exited 0; otherwise records the failure in r. */
static int run_phase(const struct boot_cfg *c, const char *phase, char **argv, const char *errlog,
                     int64_t *ns, struct boot_result *r)
{
	struct proc_opts po = {.argv = argv, .envp = c->envp, .stdout_path = errlog,
	                       .stderr_path = errlog, .stdin_null = 1, .own_pgroup = 1,
	                       .gate = c->spawn_gate, .gate_arg = c->spawn_gate_arg};
	pid_t pid;
	int st;
	int64_t t1;
	int64_t t0 = util_now_ns();
	int rc = proc_spawn(&po, &pid);
	if (rc < 0) {
		boot_fail(r, phase, "%s", error_last());
		return rc;
	}
	rc = wait_child(pid, t0 + (int64_t)c->timeout_ms * 1000000, c->stop, &st, &t1);
	if (rc < 0) {
		/* Timed out or interrupted: kill the phase's process group. */
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
		boot_fail(r, phase, "%s",
		          rc == GVAB_EINTR ? "interrupted" : "timed out");
		return rc == GVAB_EINTR ? GVAB_EINTR : GVAB_EFAIL;
	}
	*ns = t1 - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *log = util_read_file(errlog, NULL);
		/* Keep the last line of runsc's stderr: it states the reason. */
		const char *msg;
		size_t n = util_last_line(log, &msg);
		boot_fail(r, phase, "runsc %s: %.*s", proc_status_str(st),
		          (int)(n > 600 ? 600 : n), msg);
		free(log);
		return GVAB_EFAIL;
	}
	return 0;
}

/* Reaps every remaining child for up to grace_ms, then kills the rest. */
static int reap_all(int grace_ms)
{
	int64_t deadline = util_now_ns() + (int64_t)grace_ms * 1000000;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	for (;;) {
		proc_reap_nohang();
		pid_t kids[64];
		size_t n = proc_list_children(kids, 64);
		if (n == 0)
			return 0;
		int64_t left = deadline - util_now_ns();
		if (left <= 0) {
			for (size_t i = 0; i < n; i++)
				kill(kids[i], SIGKILL);
			int64_t d2 = util_now_ns() + 2000000000LL;
			while (proc_list_children(kids, 64) > 0 && util_now_ns() < d2) {
				proc_reap_nohang();
				struct timespec ts = {0, 5000000};
				sigtimedwait(&s, NULL, &ts);
			}
			proc_reap_nohang();
			return (int)n;
		}
		struct timespec ts = {left / 1000000000, left % 1000000000};
		if (ts.tv_sec > 0 || ts.tv_nsec > 50000000) {
			ts.tv_sec = 0;
			ts.tv_nsec = 50000000;
		}
		sigtimedwait(&s, NULL, &ts);
	}
}

/* Mount points of cgroup (v1) and cgroup2 file systems, from
 * /proc/self/mountinfo: hybrid hosts have both (v1 controllers under
 * /sys/fs/cgroup/<controller>, v2 at /sys/fs/cgroup/unified), pure v2 hosts
 * one at /sys/fs/cgroup. Returns how many (at most max); caller frees. */
static size_t cgroup_mounts(char **out, size_t max)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t n = 0;
	char line[4096];
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof line, f)) {
		char mnt[1024], type[64];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", type) != 1 ||
		    (strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0))
			continue;
		/* fields: id parent major:minor root mount-point ... */
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		out[n++] = util_xstrdup(mnt);
	}
	fclose(f);
	return n;
}

/* Removes cgroup directory `path` and any below it, killing the tasks
 * still in them. 0 when gone; -1 while something is left. */
static int cgroup_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	int left = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		char *sub = util_fmt("%s/%s", path, de->d_name);
		left |= cgroup_remove_tree(sub) < 0;
		free(sub);
	}
	closedir(d);
	char *procs = util_fmt("%s/cgroup.procs", path);
	FILE *f = fopen(procs, "re");
	long pid;
	while (f && fscanf(f, "%ld", &pid) == 1)
		if (pid > 1 && (pid_t)pid != getpid())
			kill((pid_t)pid, SIGKILL);
	if (f)
		fclose(f);
	free(procs);
	if (left || (rmdir(path) < 0 && errno != ENOENT))
		return -1;
	return 0;
}

/* runsc creates cgroups named after the container; delete removes them,
 * but a failed or forced delete, or a killed run, can leave them behind,
 * with tasks still in them for a moment after a SIGKILL (rmdir fails with
 * EBUSY until the kernel has reaped them). Removes <mount>/<id> under every
 * cgroup mount, retrying for up to timeout_ms; returns how many could not
 * be removed. */
static int remove_cgroups(const char *id, int timeout_ms)
{
	char *mounts[64];
	size_t nm = cgroup_mounts(mounts, 64);
	int64_t deadline = util_now_ns() + (int64_t)timeout_ms * 1000000;
	int left;
	for (;;) {
		left = 0;
		for (size_t i = 0; i < nm; i++) {
			char *p = util_fmt("%s/%s", mounts[i], id);
			if (util_is_dir(p) && cgroup_remove_tree(p) < 0)
				left++;
			free(p);
		}
		if (left == 0 || util_now_ns() >= deadline)
			break;
		proc_reap_nohang();
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < nm; i++)
		free(mounts[i]);
	return left;
}

int boot_count_cgroups(const char *prefix)
{
	char *mounts[64];
	size_t nm = cgroup_mounts(mounts, 64);
	int n = 0;
	for (size_t i = 0; i < nm; i++) {
		DIR *d = opendir(mounts[i]);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (de->d_type == DT_DIR && strncmp(de->d_name, prefix, strlen(prefix)) == 0)
				n++;
		if (d)
			closedir(d);
		free(mounts[i]);
	}
	return n;
}

const char *boot_state_base(void)
{
	const char *b = getenv("GVAB_STATE_DIR");
	return (b && *b) ? b : "/run/gvab";
}

int boot_state_open(struct boot_state *s)
{
	s->dir = NULL;
	s->fd = -1;
	const char *base = boot_state_base();
	int rc = util_mkdir_p(base, 0700);
	char *tmp = util_fmt("%s/.new-XXXXXX", base);
	if (rc < 0)
		goto out;
	if (!mkdtemp(tmp)) {
		rc = error_set("%s: %s", tmp, strerror(errno));
		goto out;
	}
	s->fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0 || flock(s->fd, LOCK_EX | LOCK_NB) < 0) {
		rc = error_set("locking %s: %s", tmp, strerror(errno));
		rmdir(tmp);
		goto out;
	}
	s->dir = util_fmt("%s/state-%ld", base, (long)getpid());
	/* rename fails if a directory of that name with anything in it is
	 * there: callers run boot_recover_stale first, which removes a dead
	 * run's, so that means a bug, not a race to paper over. */
	if (rename(tmp, s->dir) < 0) {
		rc = error_set("renaming %s to %s: %s", tmp, s->dir, strerror(errno));
		rmdir(tmp);
		goto out;
	}
out:
	if (rc < 0) {
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		free(s->dir);
		s->dir = NULL;
	}
	free(tmp);
	return rc;
}

void boot_state_close(struct boot_state *s)
{
	if (s->dir) {
		util_umount_under(s->dir);
		util_rm_rf(s->dir);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	s->dir = NULL;
	s->fd = -1;
}

/* SIGKILLs every process of one boot: those `pids_path` records with their
 * start time, and those whose argv has the word `root_flag`
 * ("--root=<state>/<id>": runsc create, caught mid-way before any state
 * file exists, and the sandbox and gofer it spawned). One empty scan is
 * not enough: the gofer and the sandbox exec themselves again while
 * starting, a process between two execs can be missed, and a create killed
 * between two forks has made its last child only once it is dead (seen:
 * a sandbox and gofer outliving a SIGTERM'd run). So it scans until five
 * scans 20 ms apart find nothing, for at most 5 s. */
static void kill_boot(const char *root_flag, const char *pids_path)
{
	int quiet = 0;
	for (int i = 0; i < 250 && quiet < 5; i++) {
		int n = (pids_path ? proc_kill_recorded(pids_path) : 0) +
		        proc_signal_by_arg(root_flag, SIGKILL);
		quiet = n ? 0 : quiet + 1;
		proc_reap_nohang();
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
}

/* Kills every process of container `id` a dead run left (see kill_boot). */
static void kill_container(const char *dir, const char *id)
{
	char *pids = util_fmt("%s/%s.pids", dir, id);
	char *arg = util_fmt("--root=%s/%s", dir, id);
	kill_boot(arg, pids);
	free(pids);
	free(arg);
}

int boot_recover_stale(void)
{
	const char *base = boot_state_base();
	DIR *d = opendir(base);
	int cleaned = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, ".new-", 5) == 0) {
			/* A run killed between mkdtemp and rename in boot_state_open
			 * left it empty. Its lock is free for a moment even in a live
			 * run, so only old ones go. */
			char *nd = util_fmt("%s/%s", base, de->d_name);
			struct stat st;
			if (lstat(nd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_mtime < time(NULL) - 60)
				rmdir(nd);
			free(nd);
			continue;
		}
		if (strncmp(de->d_name, "state-", 6) != 0)
			continue;
		char *dir = util_fmt("%s/%s", base, de->d_name);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		/* Held by a live run (whatever its pid): not ours to touch. The
		 * lock is kept while cleaning so no other gvab cleans it too. */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (fd >= 0)
				close(fd);
			free(dir);
			continue;
		}
		DIR *cd = fdopendir(dup(fd));
		struct dirent *ce;
		while (cd && (ce = readdir(cd))) {
			if (ce->d_name[0] == '.' || ce->d_type != DT_DIR)
				continue;
			kill_container(dir, ce->d_name);
			remove_cgroups(ce->d_name, 5000);
			cleaned++;
		}
		if (cd)
			closedir(cd);
		util_umount_under(dir);
		util_rm_rf(dir);
		close(fd);
		free(dir);
	}
	closedir(d);
	return cleaned;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static long median_long(long *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_long);
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : -1;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Samples the memory of the sandbox's (or container's) process tree
 * c->memory_samples times and keeps the medians in r. */
static int sample_memory(const struct boot_cfg *c, pid_t sandbox, pid_t gofer, struct boot_result *r)
{
	enum { MAXS = 64 };
	int k = c->memory_samples > MAXS ? MAXS : c->memory_samples;
	long rss[MAXS], pss[MAXS], sb[MAXS], gf[MAXS], ot[MAXS], cur[MAXS], peak[MAXS];
	int nprocs = 0;
	nap_ms(250);
	for (int i = 0; i < k; i++) {
		pid_t pids[FOOTPRINT_MAX_PROCS];
		size_t n = 0, m = 0;
		if (footprint_find_tree(sandbox, pids, FOOTPRINT_MAX_PROCS, &n) < 0)
			return GVAB_EFAIL;
		if (gofer > 0 && footprint_find_tree(gofer, pids + n, FOOTPRINT_MAX_PROCS - n, &m) < 0)
			return GVAB_EFAIL;
		struct footprint_sample *fs = util_xmalloc(sizeof *fs);
		if (footprint_sample(pids, n + m, fs) < 0) {
			free(fs);
			return GVAB_EFAIL;
		}
		rss[i] = fs->rss_kib;
		pss[i] = fs->pss_kib;
		sb[i] = gf[i] = ot[i] = 0;
		for (size_t j = 0; j < fs->n; j++) {
			long *dst = !strcmp(fs->procs[j].kind, "sandbox") ? &sb[i]
			          : !strcmp(fs->procs[j].kind, "gofer")   ? &gf[i]
			                                                  : &ot[i];
			*dst += fs->procs[j].pss_kib;
		}
		cur[i] = (long)(fs->cg_current_bytes / 1024);
		peak[i] = (long)(fs->cg_peak_bytes / 1024);
		nprocs = (int)fs->n;
		free(fs);
		if (i + 1 < k)
			nap_ms(c->memory_interval_ms > 0 ? c->memory_interval_ms : 100);
	}
	r->has_memory = 1;
	r->memory_nsamples = k;
	r->memory_procs = nprocs;
	r->mem_rss_kib = median_long(rss, k);
	r->mem_pss_kib = median_long(pss, k);
	r->mem_sandbox_pss_kib = median_long(sb, k);
	r->mem_gofer_pss_kib = median_long(gf, k);
	r->mem_other_pss_kib = median_long(ot, k);
	long c1 = median_long(cur, k), c2 = median_long(peak, k);
	r->mem_cg_current_bytes = c1 >= 0 ? (long long)c1 * 1024 : -1;
	r->mem_cg_peak_bytes = c2 >= 0 ? (long long)c2 * 1024 : -1;
	return 0;
}

/* "gvab-workload: mode=M n=N inner_ns=T result=R" from the container's
 * stdout (which runsc passes to the log of its create). */
static void parse_workload_line(const char *errlog, struct boot_result *r)
{
	char *t = util_read_file(errlog, NULL);
	const char *l = t ? strstr(t, "gvab-workload: mode=") : NULL;
	long long ns;
	double res;
	const char *p = l ? strstr(l, " inner_ns=") : NULL;
	const char *q = l ? strstr(l, " result=") : NULL;
	if (p && q && sscanf(p, " inner_ns=%lld", &ns) == 1 && sscanf(q, " result=%lf", &res) == 1 && ns >= 0) {
		r->has_workload = 1;
		r->workload_inner_ns = ns;
		r->workload_result = res;
	}
	free(t);
}

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

int boot_run_once(const struct boot_cfg *c, const char *id, struct boot_result *r)
{
	memset(r, 0, sizeof *r);
	r->exit_status = -1;
	struct rusage ru0, ru1;
	getrusage(RUSAGE_CHILDREN, &ru0);
	char *root = util_fmt("%s/%s", c->state_dir, id);
	char *root_flag = util_fmt("--root=%s", root);
	char *errlog = util_fmt("%s/%s.stderr", c->log_dir, id);
	char *dbg_dir = c->debug_log_dir ? util_fmt("%s/%s/", c->debug_log_dir, id) : NULL;
	char *dbg_flag = dbg_dir ? util_fmt("--debug-log=%s", dbg_dir) : NULL;
	char *pids = util_fmt("%s/%s.pids", c->state_dir, id);
	char **argv = NULL;
	int created = 0, sandbox_reaped = 0, gofer_reaped = 0, rc = 0;
	pid_t sandbox = 0, gofer = 0;
	int64_t t_start_end = 0, t_reaped = 0;

	if (util_mkdir_p(root, 0700) < 0 || util_mkdir_p(c->log_dir, 0755) < 0 ||
	    (dbg_dir && util_mkdir_p(dbg_dir, 0755) < 0)) {
		boot_fail(r, "setup", "%s", error_last());
		goto cleanup;
	}
	if (dbg_dir)
		snprintf(r->debug_log, sizeof r->debug_log, "%s", dbg_dir);

	{
		char *tail[] = {"create", "--bundle", (char *)c->bundle, (char *)id, NULL};
		argv = make_argv(c, root_flag, dbg_flag, tail);
		rc = run_phase(c, "create", argv, errlog, &r->create_ns, r);
		free(argv);
		argv = NULL;
		/* Even a failed create may have left a sandbox: clean up as created. */
		created = 1;
		if (rc < 0)
			goto cleanup;
	}
	if (boot_read_pids(root, id, &sandbox, &gofer) < 0) {
		boot_fail(r, "create", "%s", error_last());
		goto cleanup;
	}
	/* For a later gvab restore should this run be killed: pid and start
	 * time, between the timed phases. */
	proc_record(pids, sandbox);
	if (gofer > 0)
		proc_record(pids, gofer);
	{
		char *tail[] = {"start", (char *)id, NULL};
		argv = make_argv(c, root_flag, dbg_flag, tail);
		rc = run_phase(c, "start", argv, errlog, &r->start_ns, r);
		free(argv);
		argv = NULL;
		t_start_end = util_now_ns();
		if (rc < 0)
			goto cleanup;
	}
	if (c->memory_samples > 0) {
		/* Untimed: sample while the workload idles, then ask it to end;
		 * wait then times its exit after the signal. */
		if (sample_memory(c, sandbox, gofer, r) < 0) {
			boot_fail(r, "memory", "%s", error_last());
			goto cleanup;
		}
		char *tail[] = {"kill", (char *)id, "TERM", NULL};
		int64_t kill_ns = 0;
		argv = make_argv(c, root_flag, dbg_flag, tail);
		rc = run_phase(c, "kill", argv, errlog, &kill_ns, r);
		free(argv);
		argv = NULL;
		t_start_end = util_now_ns();
		if (rc < 0)
			goto cleanup;
	}
	{
		int st = 0;
		rc = wait_adopted(sandbox, gofer, &gofer_reaped,
		                  t_start_end + (int64_t)c->timeout_ms * 1000000, c->stop, &st, &t_reaped);
		if (rc == 1) {
			/* The sandbox was never adopted: gvab cannot see its exit. */
			boot_fail(r, "wait",
			          "sandbox process %d was not gvab's child (subreaper not set?)",
			         (int)sandbox);
			rc = GVAB_EFAIL;
			goto cleanup;
		}
		if (rc < 0) {
			boot_fail(r, "wait", "%s",
			          rc == GVAB_EINTR ? "interrupted" : error_last());
			goto cleanup;
		}
		sandbox_reaped = 1;
		r->wait_ns = t_reaped - t_start_end;
		r->exit_status = proc_status_code(st);
		if (r->exit_status != c->expect_exit) {
			boot_fail(r, "wait", "container %s, expected exit %d",
			          proc_status_str(st), c->expect_exit);
			rc = GVAB_EFAIL;
			goto cleanup;
		}
	}
	/* The gofer exits with the sandbox but is our (adopted) child too:
	 * until it is reaped, runsc delete sees a zombie gofer as alive and
	 * fails with "stopping container: context deadline exceeded". Reaping
	 * it is gvab's job, so it is untimed, between wait and delete. */
	if (gofer > 0 && !gofer_reaped) {
		int st;
		int64_t t;
		if (wait_adopted(gofer, 0, NULL, util_now_ns() + (int64_t)c->timeout_ms * 1000000, c->stop,
		                 &st, &t) == GVAB_EINTR) {
			boot_fail(r, "delete", "interrupted");
			goto cleanup;
		}
	}
	{
		char *tail[] = {"delete", (char *)id, NULL};
		argv = make_argv(c, root_flag, dbg_flag, tail);
		rc = run_phase(c, "delete", argv, errlog, &r->delete_ns, r);
		free(argv);
		argv = NULL;
		if (rc < 0)
			goto cleanup;
		created = 0;
	}
	r->ok = 1;
	if (c->parse_workload) {
		parse_workload_line(errlog, r);
		if (!r->has_workload) {
			r->ok = 0;
			boot_fail(r, "workload",
			          "no 'gvab-workload: ... inner_ns=' line in the container's output (%s)",
			         errlog);
		}
	}

cleanup:
	if (created) {
		/* Something failed after create: force the sandbox away, untimed,
		 * ignoring a stop request (this is the cleanup a stop asks for). */
		force_delete(c, root_flag, id, errlog, sandbox, &sandbox_reaped);
		if (sandbox > 0 && !sandbox_reaped)
			kill(sandbox, SIGKILL);
		/* A sandbox that was never adopted (not gvab's child) or that a
		 * forced delete could not find: its argv names this --root. */
		kill_boot(root_flag, pids);
	}
	/* Gofer and systrap stubs exit with the sandbox; give them a moment. */
	int killed = reap_all(r->ok ? 2000 : 500);
	if (killed > 0 && r->ok) {
		r->ok = 0;
		boot_fail(r, "cleanup",
		          "%d process(es) still running after delete were killed", killed);
	}
	if (remove_cgroups(id, r->ok ? 1000 : cleanup_timeout_ms(c)) > 0 && r->ok) {
		r->ok = 0;
		boot_fail(r, "cleanup", "cgroup %s could not be removed", id);
	}
	/* Newer runsc (2026-09 trees) leaves an nsfs bind mount of its null
	 * network namespace in --root after delete: not gvab's to keep. */
	util_umount_under(root);
	if (util_rm_rf(root) < 0 && r->ok) {
		r->ok = 0;
		boot_fail(r, "cleanup", "%s", error_last());
	}
	unlink(pids);
	/* Every process of the boot has been reaped by now (cleanup above). */
	getrusage(RUSAGE_CHILDREN, &ru1);
	r->cpu_user_ns = tv_ns(ru1.ru_utime) - tv_ns(ru0.ru_utime);
	r->cpu_sys_ns = tv_ns(ru1.ru_stime) - tv_ns(ru0.ru_stime);
	if (r->ok && !c->keep_logs)
		unlink(errlog);
	else
		snprintf(r->stderr_path, sizeof r->stderr_path, "%s", errlog);
	free(root);
	free(root_flag);
	free(errlog);
	free(dbg_dir);
	free(dbg_flag);
	free(pids);
	if (c->stop && *c->stop)
		return error_setc(GVAB_EINTR, "interrupted");
	return 0;
}

int boot_warm_up(const struct boot_cfg *c, const char *id, struct warm_sandbox *w,
                 struct boot_result *r)
{
	memset(w, 0, sizeof *w);
	memset(r, 0, sizeof *r);
	r->exit_status = -1;
	snprintf(w->id, sizeof w->id, "%s", id);
	w->root = util_fmt("%s/%s", c->state_dir, id);
	w->root_flag = util_fmt("--root=%s", w->root);
	w->errlog = util_fmt("%s/%s.stderr", c->log_dir, id);
	if (util_mkdir_p(w->root, 0700) < 0 || util_mkdir_p(c->log_dir, 0755) < 0) {
		boot_fail(r, "setup", "%s", error_last());
		return GVAB_EFAIL;
	}
	w->up = 1; /* from here on boot_warm_down must clean up */
	char *tail[] = {"create", "--bundle", (char *)c->bundle, (char *)id, NULL};
	char **argv = make_argv(c, w->root_flag, NULL, tail);
	int64_t ns;
	int rc = run_phase(c, "create", argv, w->errlog, &ns, r);
	free(argv);
	if (rc < 0)
		return rc;
	pid_t gofer;
	if (boot_read_pids(w->root, id, &w->sandbox, &gofer) < 0) {
		boot_fail(r, "create", "%s", error_last());
		return GVAB_EFAIL;
	}
	char *pids = util_fmt("%s/%s.pids", c->state_dir, id);
	proc_record(pids, w->sandbox);
	if (gofer > 0)
		proc_record(pids, gofer);
	free(pids);
	char *tail2[] = {"start", (char *)id, NULL};
	argv = make_argv(c, w->root_flag, NULL, tail2);
	rc = run_phase(c, "start", argv, w->errlog, &ns, r);
	free(argv);
	return rc;
}

int boot_warm_exec(const struct boot_cfg *c, struct warm_sandbox *w, char *const *args,
                   struct boot_result *r)
{
	memset(r, 0, sizeof *r);
	r->kind = 1;
	r->exit_status = -1;
	size_t na = 0;
	while (args[na])
		na++;
	char **tail = util_xcalloc(na + 4, sizeof *tail);
	tail[0] = "exec";
	tail[1] = "--cwd=/";
	tail[2] = w->id;
	for (size_t i = 0; i < na; i++)
		tail[3 + i] = args[i];
	char **argv = make_argv(c, w->root_flag, NULL, tail);
	/* runsc exec exits with the workload's status: a non-zero status is a
	 * failed exec unless the workload is expected to give it. */
	struct proc_opts po = {.argv = argv, .envp = c->envp, .stdout_path = w->errlog,
	                       .stderr_path = w->errlog, .stdin_null = 1, .own_pgroup = 1};
	pid_t pid;
	int st = 0, rc;
	int64_t t1, t0 = util_now_ns();
	rc = proc_spawn(&po, &pid);
	if (rc == 0) {
		rc = wait_child(pid, t0 + (int64_t)c->timeout_ms * 1000000, c->stop, &st, &t1);
		if (rc < 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
	}
	free(argv);
	free(tail);
	if (rc < 0) {
		boot_fail(r, "exec", "%s", rc == GVAB_EINTR ? "interrupted" : error_last());
		snprintf(r->stderr_path, sizeof r->stderr_path, "%s", w->errlog);
		return rc == GVAB_EINTR ? rc : 0;
	}
	r->exit_status = proc_status_code(st);
	if (r->exit_status != c->expect_exit) {
		boot_fail(r, "exec", "runsc exec %s, expected exit %d", proc_status_str(st), c->expect_exit);
		snprintf(r->stderr_path, sizeof r->stderr_path, "%s", w->errlog);
		return 0;
	}
	r->failed_phase[0] = '\0';
	r->exec_ns = t1 - t0;
	r->ok = 1;
	return 0;
}

void boot_warm_down(const struct boot_cfg *c, struct warm_sandbox *w)
{
	if (w->up) {
		/* Other warm sandboxes may still run: only this one's orphans are
		 * collected here (they are reaped by boot_warm_finish). */
		int reaped = 0;
		force_delete(c, w->root_flag, w->id, w->errlog, w->sandbox, &reaped);
		if (w->sandbox > 0 && !reaped)
			kill(w->sandbox, SIGKILL);
		char *pids = util_fmt("%s/%s.pids", c->state_dir, w->id);
		kill_boot(w->root_flag, pids);
		remove_cgroups(w->id, cleanup_timeout_ms(c));
		util_umount_under(w->root);
		util_rm_rf(w->root);
		unlink(pids);
		free(pids);
	}
	free(w->root);
	free(w->root_flag);
	free(w->errlog);
	memset(w, 0, sizeof *w);
}

int boot_warm_finish(void)
{
	return reap_all(2000);
}
