/* perfcount: perf counters of one boot's own processes, counted the way
 * `perf stat CMD` counts the command it starts.
 *
 * A set names up to PERFCOUNT_MAX_EVENTS events (a tracepoint with an
 * optional filter, a software or a hardware event). Each is probed once
 * when it is added (opened on this process and closed again): an event the
 * host does not offer (no hardware PMU, no tracefs, no permission) stays in
 * the set marked unavailable with the reason, and is never reported as 0.
 *
 * Per boot: every runsc process the boot spawns waits before its exec
 * (proc_opts.gate) while perfcount_attach opens each available event on
 * its pid with inherit=1 (the gofer, the sandbox and whatever else it forks
 * count too) and enable_on_exec=1 (counting starts at the exec). Other
 * processes on the host, another gvab run's runsc included, never count.
 * perfcount_collect, called once every process of the boot has been reaped
 * (boot_run_once's invariant), sums each event over the boot's processes
 * and closes the descriptors; a child's counts are folded into its
 * parent's counter when it exits, so after the reaping the sum is final.
 */
#ifndef GVAB_PERFCOUNT_H
#define GVAB_PERFCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PERFCOUNT_MAX_EVENTS 16
#define PERFCOUNT_MAX_PROCS 16 /* runsc processes spawned by one boot */

struct perfcount_event {
	char name[48];         /* the caller's name for it, e.g. "membarrier" */
	uint32_t type;         /* PERF_TYPE_* */
	uint64_t config;
	char filter[96];       /* tracepoint filter ("cmd == 16"), or "" */
	int available;         /* the host offers it (probed when added) */
	char why[256];         /* !available: why the host does not offer it */
	char boot_why[256];    /* available, but this boot has no count: why */
	int fds[PERFCOUNT_MAX_PROCS];
	int nfds;
	int boot_ok;           /* after perfcount_collect: count is this boot's */
	long long count;       /* after perfcount_collect, when boot_ok */
};

struct perfcount_set {
	struct perfcount_event ev[PERFCOUNT_MAX_EVENTS];
	size_t n;
	int nprocs;            /* processes attached since the last collect */
};

void perfcount_init(struct perfcount_set *s);

/* Adds an event by type and config (PERF_TYPE_SOFTWARE,
 * PERF_COUNT_SW_PAGE_FAULTS; PERF_TYPE_HARDWARE, ...). Returns its index, or
 * a negative GVAB_E* code only when the set is full; a host that lacks the
 * event gives an unavailable entry, not an error. */
int perfcount_add(struct perfcount_set *s, const char *name, uint32_t type, uint64_t config);

/* Adds a tracepoint ("syscalls/sys_enter_membarrier"), its id read from
 * tracefs (mounted privately for the read when the host has it unmounted,
 * see syscount.h), with an ftrace filter (NULL: none). Same returns. */
int perfcount_add_tracepoint(struct perfcount_set *s, const char *name, const char *tracepoint,
                             const char *filter);

/* Where the kernel lists its PMUs (perf_event_open's types). */
#define PERFCOUNT_PMU_ROOT "/sys/bus/event_source/devices"

/* An entry that is unavailable for a reason the caller knows (`why`,
 * copied). Returns its index, or a negative code when the set is full. */
int perfcount_add_unavailable(struct perfcount_set *s, const char *name, uint32_t type,
                              const char *why);

/* Hardware page-walk events the core PMU names in sysfs (an events/ file
 * with "walk" in its name, e.g. dtlb_load_misses.walk_completed), at most
 * `max`, each as "walks:NAME" with its raw config from the PMU's format/
 * files. Returns how many were added, or a negative code with the reason
 * recorded (no core PMU, none named): the host names no walk. */
int perfcount_add_named_walks(struct perfcount_set *s, size_t max);

/* The event called name, or NULL. */
const struct perfcount_event *perfcount_get(const struct perfcount_set *s, const char *name);

/* Before each boot: drops the previous boot's counts and reasons. */
void perfcount_begin(struct perfcount_set *s);

/* A proc_opts.gate: opens every available event of the set (gate_arg) on
 * pid, a child waiting before its exec. Never fails the spawn: an event
 * that cannot be opened on this child makes this boot's value unavailable,
 * with the reason. Returns 0. */
int perfcount_attach(pid_t pid, void *set);

/* After every process of the boot has been reaped: each event's count
 * summed over the attached processes (boot_ok), or why there is none
 * (boot_why); then closes the descriptors. A boot with no process
 * attached has no counts. */
void perfcount_collect(struct perfcount_set *s);

/* This boot's count of the event called name: NULL with *count set, or
 * the reason there is none ("...: perf_event_open: No such file or
 * directory (no hardware PMU exposed on this host)"), never a 0 that was
 * not counted. */
const char *perfcount_value(const struct perfcount_set *s, const char *name, long long *count);

/* Closes whatever is still open. */
void perfcount_close(struct perfcount_set *s);

#endif
