/* gate: the release gate's decision on one run directory: candidate B
 * against baseline A on one metric, from the distribution-free interval of
 * the paired shift and the rule of verdict.h (FAIL when its lower bound
 * exceeds the threshold, PASS when its upper bound is below it, UNDECIDED
 * otherwise, INVALID when the run cannot be judged), with the carry-over,
 * dependence and planning lines a reader needs to trust it. `gvab gate`
 * (rig/cmd/cmd_gate.c) adds the sequential looks, which extend the run. */
#ifndef GVAB_GATE_H
#define GVAB_GATE_H

#include "analysis.h"

#include <stddef.h>

struct gate_params {
	struct analysis_opts ao;
	int phase;
	const char *metric, *base_name, *cand_name;
	long min_samples;
	double max_fail_rate;
	int allow_drift;
};

/* Decides once on the run directory at one-sided error `look_alpha` (the
 * gate's alpha, or a sequential look's level); prints one verdict line per
 * candidate on stdout and leaves the deciding line and verdict in
 * line/verdict. Returns the gate's exit code (verdict.h's GATE_*). */
int gate_decide(const char *dir, struct gate_params *gp, double look_alpha, char *line, size_t linesz,
                char *verdict, size_t vsz);

/* Writes a JUnit XML report of one verdict (a failure unless PASS). */
int gate_write_junit(const char *path, const char *name, const char *verdict, const char *line, int code);

#endif
