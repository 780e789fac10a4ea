/* proc: spawning programs without a shell (posix_spawn with argv arrays),
 * and waiting for them.
 *
 * Children start with an empty signal mask and default signal dispositions
 * whatever the parent has blocked (the rig blocks SIGCHLD to wait with
 * sigtimedwait), and optionally in a process group of their own so a
 * terminal's Ctrl-C reaches gvab only and gvab decides how to clean up.
 */
#ifndef GVAB_PROC_H
#define GVAB_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_opts {
	char *const *argv;        /* argv[0] is looked up in PATH if it has no '/' */
	char *const *envp;        /* NULL: inherit environ */
	const char *cwd;          /* NULL: inherit */
	const char *stdout_path;  /* NULL: inherit; "/dev/null" fine */
	const char *stderr_path;  /* NULL: inherit; same path as stdout: shared */
	int stdin_null;           /* stdin from /dev/null */
	int in_fd;                /* > 0: this fd becomes stdin (a pipe end) */
	int out_fd;               /* > 0: this fd becomes stdout (a pipe end) */
	int own_pgroup;           /* setpgid(0,0) in the child */
	/* Non-NULL: the child is started with fork and waits, before its exec,
	 * until gate(pid, gate_arg) has returned in the parent (per-boot perf
	 * counters are opened on it there, as `perf stat CMD` does). A gate
	 * that fails kills the child, and proc_spawn fails with its error. */
	int (*gate)(pid_t pid, void *gate_arg);
	void *gate_arg;
};

/* CPU placement of this process and of every child proc_spawn starts
 * (gvab run --cpu-placement). PROC_CPUS_SHARED: as inherited (nothing
 * done). PROC_CPUS_ONE: this process, and so everything it starts, on the
 * first CPU it may use. PROC_CPUS_SPLIT: this process on the last CPU it
 * may use and every child (runsc, and the sandbox and gofer runsc starts)
 * on the others; needs two. Affinity belongs to this process and its
 * children: no host setting changes and nothing outlives them; a caller
 * that goes on (an in-process run) calls proc_cpu_placement_undo. Writes what
 * was done ("split: gvab on CPU 1, children on 0") into desc. 0, or
 * GVAB_EPRECOND naming why (one CPU for split, sched_setaffinity refused). */
enum { PROC_CPUS_SHARED, PROC_CPUS_ONE, PROC_CPUS_SPLIT };
int proc_cpu_placement(int mode, char *desc, size_t len);
/* Puts back the affinity this process had before proc_cpu_placement and
 * ends the split (nothing when no placement was made). */
void proc_cpu_placement_undo(void);

/* Starts a child; *pid receives its pid. */
int proc_spawn(const struct proc_opts *o, pid_t *pid);

/* waitpid for exactly `pid`, retrying EINTR unless *stop becomes nonzero
 * (stop may be NULL). Returns 0 with the raw status in *status. */
int proc_wait(pid_t pid, int *status, volatile int *stop);

/* Runs to completion capturing stdout+stderr (up to 1 MiB) into *out
 * (caller frees). *status gets the raw wait status. */
int proc_run_capture(char *const *argv, char *const *envp, const char *cwd, char **out,
                     int *status);

/* Describes a wait status: "exit 1", "signal 9 (Killed)". Static buffer. */
const char *proc_status_str(int status);

/* The exit code of a normal exit, or 128+signal. */
int proc_status_code(int status);

/* Reaps children without blocking; returns how many were reaped. */
int proc_reap_nohang(void);

/* Pids of this process's children, from /proc/self/task/ * /children. */
size_t proc_list_children(pid_t *out, size_t max);

/* Start time of `pid` in clock ticks after boot (field 22 of
 * /proc/PID/stat). With the pid it names one process for the machine's
 * uptime: a recorded (pid, start time) whose start time no longer matches
 * is a reused pid and must not be trusted or signalled. 0, or GVAB_EFAIL
 * when the process does not exist. */
int proc_start_time(pid_t pid, unsigned long long *ticks);

/* Appends "PID START_TIME\n" for `pid` to `path` (created 0600) and
 * fdatasyncs it. */
int proc_record(const char *path, pid_t pid);

/* Sends SIGKILL to every process recorded in `path` by proc_record whose
 * start time still matches (a reused pid is left alone). Returns how many
 * were signalled; a missing file is 0. */
int proc_kill_recorded(const char *path);

/* Sends `sig` to every process (other than this one) one of whose argv
 * words equals `arg` exactly, e.g. "--root=/run/gvab/state-1/gvab-1-0".
 * Returns how many were signalled. */
int proc_signal_by_arg(const char *arg, int sig);

/* Pids of every process (other than this one and init) one of whose argv
 * words equals `arg` exactly; *pids gets them (caller frees). Returns the
 * count. */
size_t proc_find_by_arg(const char *arg, pid_t **pids);

/* argv of pid as NUL-separated words, *len its size (caller frees); NULL
 * when the process is gone. */
char *proc_cmdline(pid_t pid, size_t *len);

/* The parent pid of `pid` (field 4 of /proc/PID/stat), -1 if it is gone. */
pid_t proc_parent(pid_t pid);

#endif
