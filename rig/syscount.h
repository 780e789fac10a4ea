/* syscount: system-wide counts of one syscall tracepoint, for the
 * --syscalls instrument (how many membarrier REGISTER calls one boot makes).
 *
 * Uses perf_event_open directly (one counter per online CPU, pid -1) on the
 * tracepoint whose id tracefs gives, with an optional ftrace filter such as
 * "cmd == 16". It counts every process on the host while enabled, so the
 * window is one boot and nothing else should run then.
 */
#ifndef GVAB_SYSCOUNT_H
#define GVAB_SYSCOUNT_H

#define SYSCOUNT_MAX_CPUS 512

struct syscount {
	int fds[SYSCOUNT_MAX_CPUS];
	int n;
};

/* The tracefs id of `event`; when tracefs is not mounted, mounts a private
 * instance on a temporary directory, reads the id and unmounts it again.
 * Returns the id, or a negative GVAB_E* code with the reason recorded. */
long syscount_tracepoint_id(const char *event);

/* event: "syscalls/sys_enter_membarrier"; filter may be NULL. Fails with
 * GVAB_EPRECOND when tracefs or perf events are unavailable. */
int syscount_open(struct syscount *s, const char *event, const char *filter);
int syscount_start(struct syscount *s);          /* reset and enable */
int syscount_stop(struct syscount *s, long long *count); /* disable, sum */
void syscount_close(struct syscount *s);

#endif
