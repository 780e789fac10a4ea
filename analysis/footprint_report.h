/* footprint_report: the sandbox vendor's five sizing figures from a set
 * of runs of the same arms (`make footprint`): cold start and warm start
 * (CORE of a --cold run and of a plain run), memory per sandbox (PSS and
 * RSS of a --memory run), CPU-bound time (the inner time of --workload
 * spin) and syscall-bound time (--workload statwalk). Each run says which
 * figure it gives through its run.json (cold, memory_samples, workload).
 *
 * Per figure and arm: the median and its ratio to the runc arm (the arm
 * named runc, or whose binary is runc; else the first arm) with a 95%
 * distribution-free interval: the two-sample Hodges-Lehmann shift of the
 * log values with Moses' interval, exponentiated, so the ratio and its
 * interval are those of a change by a factor.
 *
 * Prints a Markdown table; with an output directory also writes
 * footprint.md, footprint.json and a chart of the ratios.
 */
#ifndef GVAB_FOOTPRINT_REPORT_H
#define GVAB_FOOTPRINT_REPORT_H

#include <stddef.h>

int footprint_report(char *const *dirs, size_t ndirs, const char *out_dir);

#endif
