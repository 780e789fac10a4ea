/* boot_warm: the warm pool (boot.h): one sandbox per arm kept running,
 * `runsc exec` timed inside it. */
#define _GNU_SOURCE
#include "boot.h"
#include "boot_int.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
	int64_t ns;
	int rc = boot_phase(c, w->root_flag, NULL, tail, w->errlog, &ns, r);
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
	return boot_phase(c, w->root_flag, NULL, tail2, w->errlog, &ns, r);
}

int boot_warm_exec(const struct boot_cfg *c, struct warm_sandbox *w, char *const *args,
                   struct boot_result *r)
{
	memset(r, 0, sizeof *r);
	r->kind = BOOT_EXEC;
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
	char **argv = boot_make_argv(c, w->root_flag, NULL, tail);
	/* runsc exec exits with the workload's status: a non-zero status is a
	 * failed exec unless the workload is expected to give it. */
	struct proc_opts po = {.argv = argv, .envp = c->envp, .stdout_path = w->errlog,
	                       .stderr_path = w->errlog, .stdin_null = 1, .own_pgroup = 1};
	pid_t pid;
	int st = 0, rc;
	int64_t t1, t0 = util_now_ns();
	rc = proc_spawn(&po, &pid);
	if (rc == 0) {
		rc = boot_wait_child(pid, t0 + (int64_t)c->timeout_ms * 1000000, c->stop, &st, &t1);
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
		boot_force_delete(c, w->root_flag, w->id, w->errlog, w->sandbox, &reaped);
		if (w->sandbox > 0 && !reaped)
			kill(w->sandbox, SIGKILL);
		char *pids = util_fmt("%s/%s.pids", c->state_dir, w->id);
		boot_kill_by_root(w->root_flag, pids);
		boot_remove_cgroups(w->id, boot_cleanup_timeout_ms(c));
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
	return boot_reap_all(2000);
}
