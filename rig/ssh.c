/* ssh: see ssh.h. */
#define _GNU_SOURCE
#include "ssh.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *ssh_quote(const char *a)
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

/* ssh [options] [-p P] [-i K] [-l U] ADDRESS -- 'quoted' 'argv' */
static char **ssh_argv(const struct ssh_target *t, char *const *argv, char **owned, int *nowned)
{
	size_t na = 0;
	while (argv[na])
		na++;
	char **a = util_xcalloc(32, sizeof *a);
	int k = 0;
	*nowned = 0;
#define OWN(x) (owned[(*nowned)++] = (x))
	a[k++] = "ssh";
	const char *cfg = getenv("GVAB_SSH_CONFIG");
	if (cfg && *cfg) {
		a[k++] = "-F";
		a[k++] = (char *)cfg;
	}
	a[k++] = "-o";
	a[k++] = "BatchMode=yes";
	a[k++] = "-o";
	a[k++] = "ConnectTimeout=10";
	a[k++] = "-o";
	a[k++] = "ControlMaster=auto";
	a[k++] = "-o";
	a[k++] = OWN(util_fmt("ControlPath=%s/%%C", t->control_dir));
	a[k++] = "-o";
	a[k++] = "ControlPersist=120";
	if (t->port) {
		a[k++] = "-p";
		a[k++] = OWN(util_fmt("%d", t->port));
	}
	if (t->key_file) {
		a[k++] = "-i";
		a[k++] = (char *)t->key_file;
	}
	if (t->user) {
		a[k++] = "-l";
		a[k++] = (char *)t->user;
	}
	a[k++] = (char *)t->address;
	a[k++] = "--";
	/* One string for the remote shell, every word quoted. */
	size_t len = 1;
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
	a[k++] = OWN(cmd);
	a[k] = NULL;
#undef OWN
	return a;
}

int ssh_run(const struct ssh_target *t, char *const *argv, const char *log, char **out, int *code)
{
	char *owned[8];
	int nowned = 0;
	char **a = t->local ? NULL : ssh_argv(t, argv, owned, &nowned);
	char *const *use = t->local ? argv : a;
	int rc, st = 0;
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
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	free(a);
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

static int copy_dirs(const struct ssh_target *t, const char *src, char *const *entries,
                     const char *dst, int push, const char *log)
{
	size_t ne = 0;
	while (entries[ne])
		ne++;
	/* tar -C SRC -cf - ENTRIES... */
	char **c = util_xcalloc(ne + 6, sizeof *c);
	int k = 0;
	c[k++] = "tar";
	c[k++] = "-C";
	c[k++] = (char *)src;
	c[k++] = "-cf";
	c[k++] = "-";
	for (size_t i = 0; i < ne; i++)
		c[k++] = entries[i];
	c[k] = NULL;
	/* mkdir -p DST && tar -C DST -xf -, as one remote program: sh is the
	 * remote login shell already, so use tar's own directory creation. */
	char *x[] = {"tar", "--no-same-owner", "-C", (char *)dst, "-xf", "-", NULL};
	char *mk[] = {"mkdir", "-p", (char *)dst, NULL};
	int rc, code = 0;
	char *owned[8];
	int nowned = 0;
	if (push) {
		if ((rc = ssh_run(t, mk, log, NULL, &code)) < 0 || code != 0) {
			rc = rc < 0 ? rc : error_set("mkdir -p %s on %s failed (exit %d)", dst, t->name, code);
			free(c);
			return rc;
		}
		char **remote = t->local ? NULL : ssh_argv(t, x, owned, &nowned);
		rc = run_pipe(c, t->local ? x : remote, log, "copying to host");
		free(remote);
	} else {
		if (util_mkdir_p(dst, 0755) < 0) {
			free(c);
			return GVAB_EFAIL;
		}
		char **remote = t->local ? NULL : ssh_argv(t, c, owned, &nowned);
		rc = run_pipe(t->local ? c : remote, x, log, "copying from host");
		free(remote);
	}
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	free(c);
	return rc;
}

int ssh_push(const struct ssh_target *t, const char *local_dir, char *const *entries,
             const char *remote_dir, const char *log)
{
	return copy_dirs(t, local_dir, entries, remote_dir, 1, log);
}

int ssh_pull(const struct ssh_target *t, const char *remote_dir, char *const *entries,
             const char *local_dir, const char *log)
{
	return copy_dirs(t, remote_dir, entries, local_dir, 0, log);
}

void ssh_close(const struct ssh_target *t)
{
	if (t->local)
		return;
	char *cp = util_fmt("ControlPath=%s/%%C", t->control_dir);
	char *port = t->port ? util_fmt("%d", t->port) : NULL;
	char *a[16];
	int k = 0;
	a[k++] = "ssh";
	const char *cfg = getenv("GVAB_SSH_CONFIG");
	if (cfg && *cfg) {
		a[k++] = "-F";
		a[k++] = (char *)cfg;
	}
	a[k++] = "-o";
	a[k++] = cp;
	if (port) {
		a[k++] = "-p";
		a[k++] = port;
	}
	if (t->user) {
		a[k++] = "-l";
		a[k++] = (char *)t->user;
	}
	a[k++] = "-O";
	a[k++] = "exit";
	a[k++] = (char *)t->address;
	a[k] = NULL;
	char *out = NULL;
	int st;
	proc_run_capture(a, NULL, NULL, &out, &st);
	free(out);
	free(cp);
	free(port);
}
