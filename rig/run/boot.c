/* boot: one cold boot, step by step (see boot.h): open its paths, create,
 * start (and the memory phase), wait for the adopted sandbox, delete, and
 * always the cleanup that leaves nothing behind. Each step records its own
 * failure in the result and the first failure ends the boot; timing is in
 * boot_phase.c, reaping in boot_child.c (boot_int.h lists the parts).
 */
#define _GNU_SOURCE
#include "boot.h"
#include "boot_int.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* One boot in flight: its paths, the processes runsc left with gvab, and
 * how far it got (what the cleanup has to undo). */
struct boot_run {
	const struct boot_cfg *c;
	const char *id;
	struct boot_result *r;
	char *root, *root_flag, *errlog, *dbg_dir, *dbg_flag, *pids;
	pid_t sandbox, gofer;
	int created, sandbox_reaped, gofer_reaped;
	int64_t t_start_end; /* when start (or the memory phase's kill) returned */
};

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

static int64_t deadline_after_ms(int64_t t, int ms)
{
	return t + (int64_t)ms * 1000000;
}

static int boot_open(struct boot_run *b)
{
	const struct boot_cfg *c = b->c;
	b->root = util_fmt("%s/%s", c->state_dir, b->id);
	b->root_flag = util_fmt("--root=%s", b->root);
	b->errlog = util_fmt("%s/%s.stderr", c->log_dir, b->id);
	b->dbg_dir = c->debug_log_dir ? util_fmt("%s/%s/", c->debug_log_dir, b->id) : NULL;
	b->dbg_flag = b->dbg_dir ? util_fmt("--debug-log=%s", b->dbg_dir) : NULL;
	b->pids = util_fmt("%s/%s.pids", c->state_dir, b->id);
	if (util_mkdir_p(b->root, 0700) < 0 || util_mkdir_p(c->log_dir, 0755) < 0 ||
	    (b->dbg_dir && util_mkdir_p(b->dbg_dir, 0755) < 0)) {
		boot_fail(b->r, "setup", "%s", error_last());
		return GVAB_EFAIL;
	}
	if (b->dbg_dir)
		snprintf(b->r->debug_log, sizeof b->r->debug_log, "%s", b->dbg_dir);
	return 0;
}

static int boot_create(struct boot_run *b)
{
	char *tail[] = {"create", "--bundle", (char *)b->c->bundle, (char *)b->id, NULL};
	int rc = boot_phase(b->c, b->root_flag, b->dbg_flag, tail, b->errlog, &b->r->create_ns, b->r);
	/* Even a failed create may have left a sandbox: clean up as created. */
	b->created = 1;
	if (rc < 0)
		return rc;
	if (boot_read_pids(b->root, b->id, &b->sandbox, &b->gofer) < 0) {
		boot_fail(b->r, "create", "%s", error_last());
		return GVAB_EFAIL;
	}
	/* For a later gvab restore should this run be killed: pid and start
	 * time, between the timed phases. */
	proc_record(b->pids, b->sandbox);
	if (b->gofer > 0)
		proc_record(b->pids, b->gofer);
	return 0;
}

static int boot_start(struct boot_run *b)
{
	char *tail[] = {"start", (char *)b->id, NULL};
	int rc = boot_phase(b->c, b->root_flag, b->dbg_flag, tail, b->errlog, &b->r->start_ns, b->r);
	b->t_start_end = util_now_ns();
	if (rc < 0 || b->c->memory_samples <= 0)
		return rc;
	/* Untimed: sample while the workload idles, then ask it to end;
	 * wait then times its exit after the signal. */
	if (boot_sample_memory(b->c, b->sandbox, b->gofer, b->r) < 0) {
		boot_fail(b->r, "memory", "%s", error_last());
		return GVAB_EFAIL;
	}
	char *kill_tail[] = {"kill", (char *)b->id, "TERM", NULL};
	int64_t kill_ns = 0;
	rc = boot_phase(b->c, b->root_flag, b->dbg_flag, kill_tail, b->errlog, &kill_ns, b->r);
	b->t_start_end = util_now_ns();
	return rc;
}

/* wait: from start's return to the reaping of the adopted sandbox. */
static int boot_wait(struct boot_run *b)
{
	const struct boot_cfg *c = b->c;
	int st = 0;
	int64_t t_reaped = 0;
	int rc = boot_wait_adopted(b->sandbox, b->gofer, &b->gofer_reaped,
	                           deadline_after_ms(b->t_start_end, c->timeout_ms), c->stop, &st, &t_reaped);
	if (rc == 1) {
		/* The sandbox was never adopted: gvab cannot see its exit. */
		boot_fail(b->r, "wait", "sandbox process %d was not gvab's child (subreaper not set?)",
		          (int)b->sandbox);
		return GVAB_EFAIL;
	}
	if (rc < 0) {
		boot_fail(b->r, "wait", "%s", rc == GVAB_EINTR ? "interrupted" : error_last());
		return rc;
	}
	b->sandbox_reaped = 1;
	b->r->wait_ns = t_reaped - b->t_start_end;
	b->r->exit_status = proc_status_code(st);
	if (b->r->exit_status != c->expect_exit) {
		boot_fail(b->r, "wait", "container %s, expected exit %d", proc_status_str(st), c->expect_exit);
		return GVAB_EFAIL;
	}
	return 0;
}

static int boot_delete(struct boot_run *b)
{
	const struct boot_cfg *c = b->c;
	/* The gofer exits with the sandbox but is our (adopted) child too:
	 * until it is reaped, runsc delete sees a zombie gofer as alive and
	 * fails with "stopping container: context deadline exceeded". Reaping
	 * it is gvab's job, so it is untimed, between wait and delete. */
	if (b->gofer > 0 && !b->gofer_reaped) {
		int st;
		int64_t t;
		if (boot_wait_adopted(b->gofer, 0, NULL, deadline_after_ms(util_now_ns(), c->timeout_ms), c->stop,
		                      &st, &t) == GVAB_EINTR) {
			boot_fail(b->r, "delete", "interrupted");
			return GVAB_EINTR;
		}
	}
	char *tail[] = {"delete", (char *)b->id, NULL};
	int rc = boot_phase(c, b->root_flag, b->dbg_flag, tail, b->errlog, &b->r->delete_ns, b->r);
	if (rc == 0)
		b->created = 0;
	return rc;
}

/* A boot that ran through delete: ok, unless its workload line is wanted
 * and missing. */
static void boot_succeed(struct boot_run *b)
{
	b->r->ok = 1;
	if (!b->c->parse_workload)
		return;
	boot_parse_workload_line(b->errlog, b->r);
	if (!b->r->has_workload) {
		b->r->ok = 0;
		boot_fail(b->r, "workload", "no 'gvab-workload: ... inner_ns=' line in the container's output (%s)",
		          b->errlog);
	}
}

/* Leaves nothing of the boot behind: a sandbox a failure left, orphans,
 * cgroups, mounts and the --root directory. Anything that had to be
 * forced after a successful boot fails it. */
static void boot_clean(struct boot_run *b)
{
	const struct boot_cfg *c = b->c;
	struct boot_result *r = b->r;
	if (b->created) {
		/* Something failed after create: force the sandbox away, untimed,
		 * ignoring a stop request (this is the cleanup a stop asks for). */
		boot_force_delete(c, b->root_flag, b->id, b->errlog, b->sandbox, &b->sandbox_reaped);
		if (b->sandbox > 0 && !b->sandbox_reaped)
			kill(b->sandbox, SIGKILL);
		/* A sandbox that was never adopted (not gvab's child) or that a
		 * forced delete could not find: its argv names this --root. */
		boot_kill_by_root(b->root_flag, b->pids);
	}
	/* Gofer and systrap stubs exit with the sandbox; give them a moment. */
	int killed = boot_reap_all(r->ok ? 2000 : 500);
	if (killed > 0 && r->ok) {
		r->ok = 0;
		boot_fail(r, "cleanup", "%d process(es) still running after delete were killed", killed);
	}
	if (boot_remove_cgroups(b->id, r->ok ? 1000 : boot_cleanup_timeout_ms(c)) > 0 && r->ok) {
		r->ok = 0;
		boot_fail(r, "cleanup", "cgroup %s could not be removed", b->id);
	}
	/* Newer runsc (2026-09 trees) leaves an nsfs bind mount of its null
	 * network namespace in --root after delete: not gvab's to keep. */
	util_umount_under(b->root);
	if (util_rm_rf(b->root) < 0 && r->ok) {
		r->ok = 0;
		boot_fail(r, "cleanup", "%s", error_last());
	}
	unlink(b->pids);
}

static void boot_close(struct boot_run *b)
{
	if (b->r->ok && !b->c->keep_logs)
		unlink(b->errlog);
	else
		snprintf(b->r->stderr_path, sizeof b->r->stderr_path, "%s", b->errlog);
	free(b->root);
	free(b->root_flag);
	free(b->errlog);
	free(b->dbg_dir);
	free(b->dbg_flag);
	free(b->pids);
}

int boot_run_once(const struct boot_cfg *c, const char *id, struct boot_result *r)
{
	memset(r, 0, sizeof *r);
	r->exit_status = -1;
	struct rusage ru0, ru1;
	getrusage(RUSAGE_CHILDREN, &ru0);
	struct boot_run b = {.c = c, .id = id, .r = r};
	if (boot_open(&b) == 0 && boot_create(&b) == 0 && boot_start(&b) == 0 && boot_wait(&b) == 0 &&
	    boot_delete(&b) == 0)
		boot_succeed(&b);
	boot_clean(&b);
	/* Every process of the boot has been reaped by now (boot_clean). */
	getrusage(RUSAGE_CHILDREN, &ru1);
	r->cpu_user_ns = tv_ns(ru1.ru_utime) - tv_ns(ru0.ru_utime);
	r->cpu_sys_ns = tv_ns(ru1.ru_stime) - tv_ns(ru0.ru_stime);
	r->faults_minor = (long long)ru1.ru_minflt - (long long)ru0.ru_minflt;
	r->faults_major = (long long)ru1.ru_majflt - (long long)ru0.ru_majflt;
	boot_close(&b);
	if (c->stop && *c->stop)
		return error_setc(GVAB_EINTR, "interrupted");
	return 0;
}
