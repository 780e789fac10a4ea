/* boot_child: the children of a boot. gvab is a child subreaper with
 * SIGCHLD blocked (boot_setup), so the sandbox and gofer that runsc create
 * orphans become gvab's children; these wait for one child, or for an
 * adopted one while collecting the rest, or reap whatever is left. Waits
 * sleep in sigtimedwait, so a wait ends within microseconds of the
 * child's exit without polling. See boot_int.h. */
#define _GNU_SOURCE
#include "boot.h"
#include "boot_int.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

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
int boot_await_sigchld(int64_t deadline_ns, volatile sig_atomic_t *stop)
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
int boot_wait_child(pid_t want, int64_t deadline_ns, volatile sig_atomic_t *stop, int *status,
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
		int rc = boot_await_sigchld(deadline_ns, stop);
		if (rc < 0)
			return rc;
	}
}

/* Waits for an adopted process `want` (the sandbox, then the gofer),
 * collecting the other orphans of runsc that exit meanwhile; if `note` is
 * among them, *note_reaped is set. A `want` that is no longer a child
 * (ECHILD) was already reaped and counts as done with *status 0. */
int boot_wait_adopted(pid_t want, pid_t note, int *note_reaped, int64_t deadline_ns,
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
		int rc = boot_await_sigchld(deadline_ns, stop);
		if (rc < 0)
			return rc;
	}
}

/* Reaps every remaining child for up to grace_ms, then kills the rest. */
int boot_reap_all(int grace_ms)
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
