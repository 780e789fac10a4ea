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
};

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

/* Sends `sig` to every process whose parent is this process (found through
 * /proc), and returns how many there were. Used by the subreaper rig to
 * find orphans it adopted. */
int proc_signal_children(int sig);

/* Reaps children without blocking; returns how many were reaped. */
int proc_reap_nohang(void);

/* Pids of this process's children, from /proc/self/task/ * /children. */
size_t proc_list_children(pid_t *out, size_t max);

#endif
