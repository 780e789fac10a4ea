/* boot: one timed cold boot of the bundle under one runsc.
 *
 * Phases, each a child spawned without a shell and timed with
 * CLOCK_MONOTONIC from just before posix_spawn to the moment waitpid
 * returns it:
 *   create  `runsc create --bundle B ID`
 *   start   `runsc start ID`
 *   wait    from start's return to the reaping of the sandbox process.
 *           `runsc wait` cannot report the exit status of a root container
 *           on this host kind (it prints "sandbox no longer running and its
 *           exit status is unavailable" after ~1.5 s), so gvab makes itself a
 *           child subreaper (PR_SET_CHILD_SUBREAPER): the sandbox process,
 *           orphaned by `runsc create`, becomes gvab's child, and its wait
 *           status is the container's exit status.
 *   delete  `runsc delete ID`
 * CORE = create + start; OVERALL = CORE + wait + delete.
 *
 * Invariants: every boot has a fresh container id and its own --root
 * directory; when boot_run_once returns, success or not, no process it
 * started is left (orphans are reaped, stragglers killed), and its --root
 * directory is gone. A failed phase is reported, never timed as a sample.
 */
#ifndef GVAB_BOOT_H
#define GVAB_BOOT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "samples.h" /* struct boot_result: one attempt as samples.jsonl records it */

struct boot_cfg {
	const char *runsc;
	char *const *flags;        /* runsc global flags, e.g. --platform=systrap */
	size_t nflags;
	const char *bundle;        /* bundle directory */
	const char *state_dir;     /* per-boot --root directories go under it */
	const char *log_dir;       /* per-boot stderr logs (kept only on failure) */
	const char *debug_log_dir; /* non-NULL: --debug --debug-log=<dir>/<id>/ */
	char *const *envp;         /* environment for runsc (NULL: inherit) */
	int timeout_ms;            /* per phase */
	int cleanup_timeout_ms;    /* `runsc delete --force` after a failure (0: 10000) */
	int expect_exit;           /* container exit status that counts as success */
	int keep_logs;             /* keep the stderr log of successful boots too */
	int parse_workload;        /* read gvab-workload's line from the container's stdout */
	int memory_samples;        /* > 0: after start, sample the sandbox's memory this many
	                            * times (the workload must idle), then `kill ID TERM` it */
	int memory_interval_ms;    /* between memory samples (0: 100), after a 250 ms settle */
	volatile sig_atomic_t *stop; /* set by a signal handler: abandon and clean up */
	/* Non-NULL: the proc_opts.gate of every runsc process of the boot
	 * (perfcount_attach opens the per-boot counters on it before exec). */
	int (*spawn_gate)(pid_t pid, void *arg);
	void *spawn_gate_arg;
};


/* Makes this process a child subreaper and blocks SIGCHLD (the boot loop
 * waits with sigtimedwait). Call once before the first boot. */
int boot_setup(void);

/* Runs one boot. Returns 0 when it ran to a verdict (ok or a recorded
 * failure, see r->ok), negative only when gvab itself cannot go on
 * (GVAB_EINTR after a stop request, once everything is cleaned up). */
int boot_run_once(const struct boot_cfg *cfg, const char *id, struct boot_result *r);

/* Per-run state directory <base>/state-<pid> (base: $GVAB_STATE_DIR, else
 * /run/gvab), locked with flock for as long as the run lives. The lock, not
 * the pid in the name, says whether its run is alive: a pid can be reused,
 * a lock dies with its holder. Inside, per boot: <id>/ (runsc --root,
 * created before runsc is spawned, so every runsc process of the boot
 * carries "--root=<dir>/<id>" in its argv) and <id>.pids (pid and start
 * time of each process gvab spawned or adopted for it). */
struct boot_state {
	char *dir;
	int fd;   /* the locked directory, -1 when closed */
};
/* Creates and locks a fresh state directory (mkdtemp, locked, then renamed,
 * so no other gvab ever sees it unlocked). */
int boot_state_open(struct boot_state *s);
/* Notes the run directory's .gvab-reserve in the state directory, so that
 * `gvab restore` (boot_recover_stale) removes it after a SIGKILL. */
int boot_state_note_reserve(const struct boot_state *s, const char *reserve_path);
/* Removes the directory and drops the lock. */
void boot_state_close(struct boot_state *s);

/* Cleans up after runs that were killed (SIGKILL), also mid-create: for
 * every state directory under boot_state_base() whose lock is free, kills
 * the processes its .pids files record (start time checked), every process
 * whose argv names one of its --root directories, removes the containers'
 * cgroups (retrying until their tasks are gone) and the directory. Returns
 * how many containers were cleaned up. */
int boot_recover_stale(void);

/* Warm pool (a warm slot: a sandbox kept running for reuse): one sandbox per arm is
 * booted once with a long-running init, then `runsc exec` of the workload
 * is timed repeatedly inside it. Several warm sandboxes live at once, so
 * orphans are only collected by boot_warm_finish(). */
struct warm_sandbox {
	char id[64];
	char *root, *root_flag, *errlog;
	pid_t sandbox;
	int up;
};
/* create + start (untimed) of c->bundle, which must run a long init. */
int boot_warm_up(const struct boot_cfg *c, const char *id, struct warm_sandbox *w,
                 struct boot_result *r);
/* Times `runsc exec --cwd=/ ID ARGS...` into r->exec_ns (kind 1). */
int boot_warm_exec(const struct boot_cfg *c, struct warm_sandbox *w, char *const *args,
                   struct boot_result *r);
/* Force-deletes the sandbox; frees w's strings. */
void boot_warm_down(const struct boot_cfg *c, struct warm_sandbox *w);
/* After every warm sandbox is down: reaps or kills the remaining children.
 * Returns how many had to be killed. */
int boot_warm_finish(void);

/* Reads the sandbox and gofer pids from runsc's state file in root_dir (or
 * runc's state.json: its init, gofer 0); 0 or a recorded error. */
int boot_read_pids(const char *root_dir, const char *id, pid_t *pid, pid_t *gofer);

#endif
