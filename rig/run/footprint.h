/* footprint: memory of a running sandbox, for --memory runs.
 *
 * A sandbox's processes are found from the boot's own `--root=DIR` argv
 * word (every runsc process of a boot carries it: the sandbox, the gofer)
 * plus all their descendants (systrap stubs, the container's processes);
 * a runc container from its init pid and its descendants. For each process
 * the resident set (Rss) and proportional set (Pss, shared pages divided
 * among their users) come from /proc/PID/smaps_rollup, with a kind from its
 * argv (sandbox: runsc boot, gofer: runsc gofer, other). The container's
 * cgroup (from the first process's /proc/PID/cgroup) gives memory.current
 * and memory.peak on cgroup v2, or memory.usage_in_bytes and
 * memory.max_usage_in_bytes on v1.
 *
 * Errors: a process that vanished while being sampled is GVAB_EFAIL naming
 * it, so a sample never silently undercounts.
 */
#ifndef GVAB_FOOTPRINT_H
#define GVAB_FOOTPRINT_H

#include <stddef.h>
#include <sys/types.h>

#define FOOTPRINT_MAX_PROCS 256

struct footprint_proc {
	pid_t pid;
	char kind[12];   /* "sandbox", "gofer", "other" */
	long rss_kib, pss_kib;
	/* Huge pages mapped (smaps_rollup's AnonHugePages, FilePmdMapped,
	 * ShmemPmdMapped): -1 when the kernel does not show the field. */
	long anon_huge_kib, file_pmd_kib, shmem_pmd_kib;
};

struct footprint_sample {
	struct footprint_proc procs[FOOTPRINT_MAX_PROCS];
	size_t n;
	long rss_kib, pss_kib;         /* totals over procs */
	long anon_huge_kib, file_pmd_kib, shmem_pmd_kib; /* totals; -1: no process shows it */
	long long cg_current_bytes;    /* -1 when unknown */
	long long cg_peak_bytes;       /* -1 when unknown */
	char cg_path[256];             /* the cgroup directory read, or "" */
};

/* `root` and all its descendants. */
int footprint_find_tree(pid_t root, pid_t *pids, size_t max, size_t *n);

/* Samples the given processes and their cgroup. */
int footprint_sample(const pid_t *pids, size_t n, struct footprint_sample *out);

#endif
