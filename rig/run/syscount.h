/* syscount: the tracefs id of a tracepoint such as
 * "syscalls/sys_enter_membarrier", for perf counters opened by id
 * (perfcount.h counts them per boot for the --syscalls instrument).
 */
#ifndef GVAB_SYSCOUNT_H
#define GVAB_SYSCOUNT_H

/* The tracefs id of `event`; when tracefs is not mounted, mounts a private
 * instance on a temporary directory, reads the id and unmounts it again.
 * Returns the id, or a negative GVAB_E* code with the reason recorded. */
long syscount_tracepoint_id(const char *event);

#endif
