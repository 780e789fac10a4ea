/* boot_phase: one timed phase of a boot (a runsc command), the forced
 * delete after a failure, the record of a failure, and the pids runsc's
 * state file names. t0 is read immediately before posix_spawn and t1
 * immediately after waitpid returns the child, so a phase includes the
 * spawn (as any caller of runsc pays it) and nothing of gvab's own
 * bookkeeping. See boot_int.h. */
#define _GNU_SOURCE
#include "boot.h"
#include "boot_int.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
char **boot_make_argv(const struct boot_cfg *c, const char *root_flag, const char *debug_flag,
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

int boot_cleanup_timeout_ms(const struct boot_cfg *c)
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
void boot_force_delete(const struct boot_cfg *c, const char *root_flag, const char *id,
                         const char *errlog, pid_t sandbox, int *sandbox_reaped)
{
	char *tail[] = {"delete", "--force", (char *)id, NULL};
	char **a = boot_make_argv(c, root_flag, NULL, tail);
	struct proc_opts po = {.argv = a, .envp = c->envp, .stdout_path = errlog,
	                       .stderr_path = errlog, .stdin_null = 1, .own_pgroup = 1,
	                       .gate = c->spawn_gate, .gate_arg = c->spawn_gate_arg};
	pid_t pid;
	int st;
	int64_t deadline = util_now_ns() + (int64_t)boot_cleanup_timeout_ms(c) * 1000000;
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
		if (boot_await_sigchld(deadline, NULL) < 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
	}
	free(a);
}

/* Records a failed boot: the phase, and "PHASE: <message>" as its error. */
void boot_fail(struct boot_result *r, const char *phase, const char *fmt, ...)
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
static int boot_run_phase(const struct boot_cfg *c, const char *phase, char **argv, const char *errlog,
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
	rc = boot_wait_child(pid, t0 + (int64_t)c->timeout_ms * 1000000, c->stop, &st, &t1);
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

int boot_phase(const struct boot_cfg *c, const char *root_flag, const char *debug_flag, char *const *tail,
               const char *errlog, int64_t *ns, struct boot_result *r)
{
	char **argv = boot_make_argv(c, root_flag, debug_flag, tail);
	int rc = boot_run_phase(c, tail[0], argv, errlog, ns, r);
	free(argv);
	return rc;
}
