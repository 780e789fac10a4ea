/* ssh: see ssh.h. */
#define _GNU_SOURCE
#include "ssh.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Single-quotes one argument for a POSIX shell. Caller frees. */
static char *ssh_quote(const char *a)
{
	size_t n = 2;
	for (const char *p = a; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *o = util_xmalloc(n + 1), *q = o;
	*q++ = '\'';
	for (const char *p = a; *p; p++) {
		if (*p == '\'') {
			memcpy(q, "'\\''", 4);
			q += 4;
		} else {
			*q++ = *p;
		}
	}
	*q++ = '\'';
	*q = '\0';
	return o;
}

/* The one place ssh's options are built: ssh_argv and ssh_close both
 * start from here, so no invocation loses BatchMode or ConnectTimeout, and
 * every one ends its options with "--" before the destination. */
struct ssh_cmd {
	char **a;
	size_t n, cap;
	char *owned[4];
	int nowned;
};

static void cmd_add(struct ssh_cmd *c, char *arg)
{
	if (c->n + 2 > c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->a = util_xrealloc(c->a, c->cap * sizeof *c->a);
	}
	c->a[c->n++] = arg;
	c->a[c->n] = NULL;
}

static char *cmd_own(struct ssh_cmd *c, char *s)
{
	c->owned[c->nowned++] = s;
	return s;
}

static void cmd_free(struct ssh_cmd *c)
{
	for (int i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->a);
	memset(c, 0, sizeof *c);
}

/* ssh [-F CFG] -o ... [-p P] [-i K] [-l U] EXTRA... -- ADDRESS */
static void ssh_base(const struct ssh_target *t, struct ssh_cmd *c, char *const *extra)
{
	memset(c, 0, sizeof *c);
	cmd_add(c, "ssh");
	if (t->ssh_config && *t->ssh_config) {
		cmd_add(c, "-F");
		cmd_add(c, (char *)t->ssh_config);
	}
	static char *const opts[] = {"BatchMode=yes", "ConnectTimeout=10", "ControlMaster=auto",
	                             "ControlPersist=120"};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		cmd_add(c, "-o");
		cmd_add(c, opts[i]);
	}
	cmd_add(c, "-o");
	cmd_add(c, cmd_own(c, util_fmt("ControlPath=%s/%%C", t->control_dir)));
	if (t->port) {
		cmd_add(c, "-p");
		cmd_add(c, cmd_own(c, util_fmt("%d", t->port)));
	}
	if (t->key_file) {
		cmd_add(c, "-i");
		cmd_add(c, (char *)t->key_file);
	}
	if (t->user) {
		cmd_add(c, "-l");
		cmd_add(c, (char *)t->user);
	}
	for (size_t i = 0; extra && extra[i]; i++)
		cmd_add(c, extra[i]);
	/* inventory_load refuses addresses starting with '-'; "--" makes sure
	 * the destination can never be read as an option anyway. */
	cmd_add(c, "--");
	cmd_add(c, (char *)t->address);
}

/* ssh ... -- ADDRESS 'quoted' 'argv' */
static void ssh_argv(const struct ssh_target *t, char *const *argv, struct ssh_cmd *c)
{
	ssh_base(t, c, NULL);
	/* One string for the remote shell, every word quoted. */
	size_t len = 1, na = 0;
	while (argv[na])
		na++;
	char **q = util_xcalloc(na + 1, sizeof *q);
	for (size_t i = 0; i < na; i++) {
		q[i] = ssh_quote(argv[i]);
		len += strlen(q[i]) + 1;
	}
	char *cmd = util_xmalloc(len);
	cmd[0] = '\0';
	for (size_t i = 0; i < na; i++) {
		if (i)
			strcat(cmd, " ");
		strcat(cmd, q[i]);
		free(q[i]);
	}
	free(q);
	cmd_add(c, cmd_own(c, cmd));
}

/* A log file that a compromised host could have replaced by a symlink (in
 * older pulls): created if missing, refused unless a regular file. The
 * spawned ssh then opens it by path (proc_opts has no stderr fd). */
static int check_log(const char *log)
{
	if (!log)
		return 0;
	int fd = util_open_nofollow(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int ssh_run(const struct ssh_target *t, char *const *argv, const char *log, char **out, int *code)
{
	struct ssh_cmd c = {0};
	if (!t->local)
		ssh_argv(t, argv, &c);
	char *const *use = t->local ? argv : c.a;
	int rc, st = 0;
	if ((rc = check_log(log)) < 0) {
		cmd_free(&c);
		return rc;
	}
	if (out) {
		rc = proc_run_capture(use, NULL, NULL, out, &st);
	} else {
		struct proc_opts po = {.argv = use, .stdout_path = log, .stderr_path = log,
		                       .stdin_null = 1};
		pid_t pid;
		rc = proc_spawn(&po, &pid);
		if (rc == 0)
			rc = proc_wait(pid, &st, NULL);
	}
	if (rc == 0)
		*code = proc_status_code(st);
	cmd_free(&c);
	return rc;
}

/* producer | consumer, both spawned; 0 when both exit 0. */
static int run_pipe(char *const *prod, char *const *cons, const char *log, const char *what)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set("pipe: %s", strerror(errno));
	struct proc_opts p1 = {.argv = prod, .out_fd = fds[1], .stderr_path = log, .stdin_null = 1};
	struct proc_opts p2 = {.argv = cons, .in_fd = fds[0], .stdout_path = log, .stderr_path = log};
	pid_t a = -1, b = -1;
	int rc = proc_spawn(&p1, &a);
	if (rc == 0)
		rc = proc_spawn(&p2, &b);
	close(fds[0]);
	close(fds[1]);
	int sa = 0, sb = 0;
	if (a > 0)
		proc_wait(a, &sa, NULL);
	if (b > 0)
		proc_wait(b, &sb, NULL);
	if (rc == 0 && (!WIFEXITED(sa) || WEXITSTATUS(sa) || !WIFEXITED(sb) || WEXITSTATUS(sb)))
		rc = error_set("%s failed (%s | %s)%s%s", what, proc_status_str(sa),
		               proc_status_str(sb), log ? "; see " : "", log ? log : "");
	return rc;
}

int ssh_push(const struct ssh_target *t, const char *local_dir, char *const *entries,
             const char *remote_dir, const char *log)
{
	size_t ne = 0;
	while (entries[ne])
		ne++;
	/* tar -C SRC -cf - ENTRIES... */
	char **c = util_xcalloc(ne + 7, sizeof *c);
	int k = 0;
	c[k++] = "tar";
	c[k++] = "-C";
	c[k++] = (char *)local_dir;
	c[k++] = "-cf";
	c[k++] = "-";
	c[k++] = "--";
	for (size_t i = 0; i < ne; i++)
		c[k++] = entries[i];
	c[k] = NULL;
	/* Two remote commands: `mkdir -p DST` (its own ssh), then `tar -C DST
	 * -xf -` reading the local tar through the pipe. */
	char *x[] = {"tar", "--no-same-owner", "-C", (char *)remote_dir, "-xf", "-", NULL};
	char *mk[] = {"mkdir", "-p", "--", (char *)remote_dir, NULL};
	int rc, code = 0;
	struct ssh_cmd remote = {0};
	if ((rc = check_log(log)) < 0)
		goto out;
	if ((rc = ssh_run(t, mk, log, NULL, &code)) < 0 || code != 0) {
		rc = rc < 0 ? rc : error_set("mkdir -p %s on %s failed (exit %d)", remote_dir, t->name, code);
		goto out;
	}
	if (!t->local)
		ssh_argv(t, x, &remote);
	rc = run_pipe(c, t->local ? x : remote.a, log, "copying to host");
out:
	cmd_free(&remote);
	free(c);
	return rc;
}

/* Largest file a pull accepts: run.json and samples.jsonl of a long run are
 * a few MB; a host that sends more is not sending a run. */
#define PULL_MAX_BYTES (256L << 20)

/* One remote file into dirfd/name, through a temporary file created there
 * with O_EXCL|O_NOFOLLOW and renamed into place: whatever the host sends,
 * it becomes the content of one regular file. */
static int pull_one(const struct ssh_target *t, const char *remote_dir, const char *name,
                    int dirfd, const char *local_dir, const char *log)
{
	char *rpath = util_fmt("%s/%s", remote_dir, name);
	char *cat[] = {"cat", "--", rpath, NULL};
	char *tmp = util_fmt(".%s.pull.%ld", name, (long)getpid());
	struct ssh_cmd c = {0};
	int fds[2] = {-1, -1}, fd = -1, rc = 0, st = 0;
	pid_t pid = -1;
	long total = 0;
	if (!t->local)
		ssh_argv(t, cat, &c);
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = error_set("%s/%s: %s", local_dir, tmp, strerror(errno));
		goto out;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = error_set("pipe: %s", strerror(errno));
		goto out;
	}
	struct proc_opts po = {.argv = t->local ? cat : c.a, .out_fd = fds[1], .stderr_path = log,
	                       .stdin_null = 1};
	if ((rc = proc_spawn(&po, &pid)) < 0)
		goto out;
	close(fds[1]);
	fds[1] = -1;
	char buf[65536];
	for (;;) {
		ssize_t r = read(fds[0], buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = error_set("reading %s from %s: %s", rpath, t->name, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		total += r;
		if (total > PULL_MAX_BYTES) {
			rc = error_setc(GVAB_EDATA, "%s on %s: more than %ld MiB, not a run file", rpath,
			                t->name, PULL_MAX_BYTES >> 20);
			kill(pid, SIGKILL);
			break;
		}
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(fd, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = error_set("writing %s/%s: %s", local_dir, name, strerror(errno));
				break;
			}
			off += w;
		}
		if (rc < 0) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(fds[0]);
	fds[0] = -1;
	proc_wait(pid, &st, NULL);
	if (rc == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		rc = error_set("copying %s from %s failed (%s)%s%s", rpath, t->name, proc_status_str(st),
		               log ? "; see " : "", log ? log : "");
	if (rc == 0 && (fsync(fd) < 0 || close(fd) < 0))
		rc = error_set("writing %s/%s: %s", local_dir, name, strerror(errno));
	else if (rc == 0)
		fd = -1;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = error_set("renaming into %s/%s: %s", local_dir, name, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (rc < 0)
		unlinkat(dirfd, tmp, 0);
	cmd_free(&c);
	free(tmp);
	free(rpath);
	return rc;
}

int ssh_pull(const struct ssh_target *t, const char *remote_dir, char *const *entries,
             const char *local_dir, const char *log)
{
	for (size_t i = 0; entries[i]; i++)
		if (!*entries[i] || strchr(entries[i], '/') || entries[i][0] == '.')
			return error_setc(GVAB_EUSAGE, "ssh_pull: '%s' is not a plain file name", entries[i]);
	int rc = util_mkdir_p(local_dir, 0755);
	if (rc < 0)
		return rc;
	if ((rc = check_log(log)) < 0)
		return rc;
	int dirfd = open(local_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return error_set("%s: %s", local_dir, strerror(errno));
	/* Every file is tried, so a failed run still brings back what it wrote. */
	for (size_t i = 0; entries[i]; i++) {
		int r = pull_one(t, remote_dir, entries[i], dirfd, local_dir, log);
		if (r < 0 && rc == 0)
			rc = r;
	}
	close(dirfd);
	return rc;
}

void ssh_close(const struct ssh_target *t)
{
	if (t->local)
		return;
	static char *const exit_opts[] = {"-O", "exit", NULL};
	struct ssh_cmd c;
	ssh_base(t, &c, exit_opts);
	char *out = NULL;
	int st;
	proc_run_capture(c.a, NULL, NULL, &out, &st);
	free(out);
	cmd_free(&c);
}
