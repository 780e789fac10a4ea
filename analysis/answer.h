/* answer: the one line a person reads after a run, per comparison, e.g.
 *   patched: core median 125.9 ms vs 175.0 ms, Hodges-Lehmann shift -28.1% [-31.8, -23.6],
 *   faster (paired, n=50)
 * B's median vs A's, the Hodges-Lehmann shift B - A (paired over same-round
 * boots, or unpaired) in % of A's median with its verdict
 * interval, and the verdict (analysis/verdict.h), from a comparison that
 * analysis_adjust has filled. Shared by `gvab compare` and anything that
 * ends with an answer.
 *
 * Ownership: the printers own nothing they are given.
 */
#ifndef GVAB_ANSWER_H
#define GVAB_ANSWER_H

#include "analysis.h"

#include <stdio.h>

/* Sample-size advice from a comparison's observed noise: the sd S of its
 * same-round log ratios (pair_log_sd) and the AR(1) variance factor its
 * interval uses (dep_factor), normal approximation (stats_plan_pairs) at
 * one-sided `alpha` and 80% power. answer_advice, for a verdict still
 * undecided: "about N more pairs would decide a change of X% at the
 * observed noise (sd of paired log-ratios S[, variance xF for dependent
 * rounds])", X the threshold; when the pairs already suffice, it says the
 * shift lies near the threshold instead. When the rounds are so dependent
 * that even all the pairs of one sign cannot reach the verdict
 * (stats_sign_floor_p above alpha for a two-sided verdict, the report's and
 * compare's; above 2 alpha for an interval at alpha per side, the gate's),
 * it says "N pairs cannot decide a change of any size at this dependence of
 * rounds (variance xF): ...; from M pairs on every count can" (M from
 * stats_sign_floor_pairs, searched up to 1000; fewer pairs may reach it
 * too, in the exact range up to 50, but not every count between). answer_mde, for one that decided:
 * "the smallest change these N pairs detect (80% power) is M%". Each
 * writes `buf` and returns 1, or returns 0 with "" when the comparison
 * has fewer than 5 pairs, no log ratios, or (advice) a 0% threshold. */
int answer_advice(const struct comparison *c, double alpha, int two_sided, double threshold_pct,
                  char *buf, size_t len);
int answer_mde(const struct comparison *c, double alpha, char *buf, size_t len);

/* An interval as "[LO, HI]", each end to `prec` decimals (with a sign when
 * `sign`), an end that is not finite as "open" (too few boots for the
 * level): no output of gvab prints inf or nan. Returns buf. */
const char *answer_interval(char *buf, size_t len, double lo, double hi, int prec, int sign);

/* Loads, compares and adjusts every run directory in `dirs` with the
 * report's defaults and prints, per run, its label and one answer line per
 * candidate arm on `phase`, then a benchstat-style table of every phase
 * (A and B medians, delta %, interval, verdict). Writes no file. */
int answer_compare(char *const *dirs, size_t ndirs, int phase, double alpha, double threshold_pct);

/* Prints the answer lines of one run directory on `phase` (nothing, and no
 * error, when it cannot be analysed: the run itself already reported). */
void answer_print_run(const char *dir, int phase);
/* Same, each line starting with `prefix` (a host's label). */
void answer_print_run_prefixed(const char *dir, int phase, const char *prefix);
/* Same, into `f`. */
void answer_fprint_run(FILE *f, const char *dir, int phase, const char *prefix);
/* Same, into the file DIR.log beside the run directory (bisect and trend
 * keep each run's answer there, so their own output is theirs). */
void answer_write_log(const char *dir, int phase);

/* CPU time per boot (user + sys of every process of the boot, from the
 * samples' "cpu" member) per arm of one run: median ms and, against the
 * first arm, the ratio with a 95% distribution-free interval (two-sample
 * Hodges-Lehmann shift of log values, Moses' interval). A Markdown table on
 * `f`; nothing when the run has no CPU data. Returns the rows written. */
int answer_cpu_table(FILE *f, const struct run_analysis *ra);
/* The same for page faults per boot (minor, then major), from each
 * sample's "faults"; returns the number of rows of the minor table. */
int answer_faults_table(FILE *f, const struct run_analysis *ra);
/* --counters hw runs: a table per hardware event the host counted, then
 * one line per event it could not count with run.json's reason ("cycles:
 * unavailable: no hardware PMU: ..."); nothing for other runs. Returns the
 * rows and lines written. */
int answer_hw_table(FILE *f, const struct run_analysis *ra);
/* --memory runs: AnonHugePages, FilePmdMapped and ShmemPmdMapped of the
 * sandbox tree (KiB, from smaps_rollup; a field the kernel does not show
 * is absent), each arm against the first in KiB with Moses' 95% interval.
 * Returns the rows written. */
int answer_hugepages_table(FILE *f, const struct run_analysis *ra);
/* Builds `table`'s text for ra and, when it has rows, writes head then it
 * to out. */
void answer_print_section(FILE *out, int (*table)(FILE *, const struct run_analysis *),
                          const struct run_analysis *ra, const char *head);

/* Repeated runs: runs that compare the same candidate with the same
 * baseline on `phase` on one host (the same fingerprint: hostname, CPU
 * model, online CPUs, and host label; never across hosts) under the same
 * conditions: the same --set knobs
 * ("settings" of run.json), instruments (phases, inittrace, syscalls),
 * drop_caches, settle_ms and cpu_placement.
 * One group per (baseline, candidate) with at least two such runs, in the
 * order the pair first appears: each run's shift (% of A's median) and its
 * standard error (the verdict interval's half-width over the normal
 * quantile of its one-sided error); the mean shift, the sd of the run
 * shifts, a run's own standard error (root mean square), the between-run sd
 * (the variance of the run shifts less the mean squared standard error,
 * floored at 0), and whether one run is enough (between-run sd not above a
 * run's own standard error). `gvab compare` prints them, `gvab report`
 * writes them. Runs must have been compared and adjusted. Returns the
 * number of groups; *out (caller frees; names point into `runs`). */
#define ANSWER_MAX_REPEATS 64
struct between_runs {
	const char *base, *cand;
	int phase;
	size_t n, run[ANSWER_MAX_REPEATS];
	double shift_pct[ANSWER_MAX_REPEATS], se_pct[ANSWER_MAX_REPEATS];
	double mean_pct, sd_pct, se_rms_pct, between_sd_pct;
	int one_run_enough;
};
size_t answer_between_runs(const struct run_analysis *runs, size_t nruns, int phase,
                           struct between_runs **out);

#endif
