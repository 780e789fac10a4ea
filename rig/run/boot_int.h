/* boot_int: what the boot_*.c files share and nothing outside them uses
 * (boot.h is the module's contract). One boot: boot.c runs the phases
 * (boot_phase.c) of one container, boot_memory.c measures it between start
 * and wait, boot_child.c reaps its processes, boot_cgroup.c and
 * boot_state.c remove what it leaves; boot_warm.c is the warm pool. */
#ifndef GVAB_BOOT_INT_H
#define GVAB_BOOT_INT_H

#include "boot.h"

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/* boot_child.c. Sleeps until a child changes state (SIGCHLD, blocked by
 * boot_setup), the deadline passes, or *stop is set. 0: look again;
 * GVAB_EINTR; or a recorded "timed out" error. */
int boot_await_sigchld(int64_t deadline_ns, volatile sig_atomic_t *stop);
/* Waits until child `want` exits. Returns 0 with *status and *t_end set,
 * GVAB_EFAIL on timeout, GVAB_EINTR if *stop was set. */
int boot_wait_child(pid_t want, int64_t deadline_ns, volatile sig_atomic_t *stop, int *status,
                    int64_t *t_end);
/* Waits for an adopted process `want` (the sandbox, then the gofer),
 * collecting the other orphans of runsc that exit meanwhile; if `note` is
 * among them, *note_reaped is set. 1 when `want` was not (or no longer) a
 * child, with *status 0. */
int boot_wait_adopted(pid_t want, pid_t note, int *note_reaped, int64_t deadline_ns,
                      volatile sig_atomic_t *stop, int *status, int64_t *t_end);
/* Reaps every remaining child for up to grace_ms, then kills the rest;
 * returns how many had to be killed. */
int boot_reap_all(int grace_ms);

/* boot_phase.c. argv: runsc --root=R [flags] [debug flags] <tail...>
 * (caller frees the array, not its strings). */
char **boot_make_argv(const struct boot_cfg *c, const char *root_flag, const char *debug_flag,
                      char *const *tail);
/* c->cleanup_timeout_ms, or its default. */
int boot_cleanup_timeout_ms(const struct boot_cfg *c);
/* `runsc delete --force ID`, untimed, reaping every child meanwhile;
 * *sandbox_reaped is set when `sandbox` was among them. */
void boot_force_delete(const struct boot_cfg *c, const char *root_flag, const char *id,
                       const char *errlog, pid_t sandbox, int *sandbox_reaped);
/* Records a failed boot: the phase, and "PHASE: <message>" as its error
 * (also the recorded error of this process). */
void boot_fail(struct boot_result *r, const char *phase, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* boot_run_phase of `runsc --root=R [flags] [debug] TAIL...`, the phase
 * named by tail[0] ("create", "start", ...). */
int boot_phase(const struct boot_cfg *c, const char *root_flag, const char *debug_flag, char *const *tail,
               const char *errlog, int64_t *ns, struct boot_result *r);

/* boot_cgroup.c. Removes <mount>/<id> under every cgroup mount, retrying
 * for up to timeout_ms while its tasks die; returns how many are left. */
int boot_remove_cgroups(const char *id, int timeout_ms);

/* boot_state.c. SIGKILLs every process of one boot: those `pids_path`
 * records (start time checked) and those whose argv has `root_flag`. */
void boot_kill_by_root(const char *root_flag, const char *pids_path);

/* boot_memory.c. Samples the sandbox's process tree c->memory_samples
 * times and keeps the medians in r. */
int boot_sample_memory(const struct boot_cfg *c, pid_t sandbox, pid_t gofer, struct boot_result *r);
/* "gvab-workload: ... inner_ns=T result=R" from the boot's log into r. */
void boot_parse_workload_line(const char *errlog, struct boot_result *r);

#endif
