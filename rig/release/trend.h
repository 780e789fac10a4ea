/* trend: cold boot across many releases, each against the one before.
 *
 * The revisions are releases or go-branch commits, oldest first: --ref
 * values (anything `gvab build --ref` resolves; a release tag resolves to
 * its go merge) or lines of a revisions file (bisect.h's format). Each is
 * built once (build_arm, one arm per revision, cached: an arm whose inputs
 * match its provenance is not rebuilt) and all of them boot in ONE
 * interleaved `gvab run` of N arms, in a balanced order (`--order latin`:
 * every arm leads a round equally often and follows every other equally
 * often), so host drift and first-in-round effects are spread over all
 * arms instead of landing on some.
 *
 * Per revision: the metric's p50 with its distribution-free 95% CI. Per
 * step (revision i against revision i-1): the shift with its interval and
 * the report's verdict (analysis/verdict.h), Holm-adjusted over the N-1
 * steps, whose intervals each take alpha / (N-1) per side (Bonferroni), so
 * "slower" or "faster" anywhere along the trend is wrong with probability
 * at most alpha in all. A revision that does not build is left out, with
 * its reason, and the next one is compared with the last one built.
 *
 * Outputs in OUT: arms/ (the builds), run/ (run.json + samples.jsonl),
 * trend.md (also on stdout), trend.json (gvab-trend/1), and trend.png /
 * trend.svg with their gnuplot script. Started again with the same
 * arguments, a complete run with the same binaries is analysed again, not
 * re-timed; an incomplete one (Ctrl-C, a crash) is timed again.
 *
 * --budget TIME is for the whole trend, not per step: every round boots
 * every revision, so the steps share their rounds and one clock decides
 * for all of them. A first chunk (the warm-ups and TREND_BUDGET_FIRST
 * rounds) is timed; its round rate (gate_round_rate's measure) gives the
 * rounds TIME buys, and the rest is appended (--append, one warm-up
 * round). There is one analysis, after the last round, at a sample size
 * planned from the rate alone (no step is compared before), so the Holm
 * and interval levels are those of a fixed-size run. run.json records the
 * budget (budget_s); a run is reused only by a trend with the same budget,
 * whose plan recomputed from the first chunk's boots asks for the chunks
 * the run has (a run whose first chunk is complete and whose append never
 * started gets the append).
 */
#ifndef GVAB_TREND_H
#define GVAB_TREND_H

#include <stddef.h>
#include "revsetup.h"

#define TREND_MAX_REVISIONS 16 /* gvab run's arm limit */

struct trend_opts {
	struct revision_setup rs; /* source, build, boot and comparison */
	const char *const *refs;     /* revisions, oldest first (NULL-terminated), or NULL */
	const char *revisions_file;  /* ordered revision list, or NULL */
	const char *from, *to;       /* range of the file's lines (NULL: first, last) */
	const char *out_dir;
	const char *arms_dir;        /* NULL: OUT/arms (give a bisect's arms to share builds) */
	const char *order;           /* gvab run --order, default "latin" */
	long iterations, warmups;
	const char *anchor;          /* NULL, or a runsc PATH or a REF built like the revisions:
	                              * one more arm, "anchor", for the history's ratios */
	const char *db;              /* NULL, or a history file the run is added to */
	double budget_s;             /* > 0: --budget TIME (seconds) for the whole run */
	int iterations_given;        /* --iterations given: with --budget, the most rounds */
};

/* --budget: rounds timed before the plan (fewer when --iterations says so). */
#define TREND_BUDGET_FIRST 10
/* --budget without --iterations: the most measured rounds (--iterations' bound). */
#define TREND_BUDGET_MAX_ROUNDS 100000

/* What --budget allowed: `first` measured rounds (after `warmups`) timed
 * at rounds_per_min (measured on that chunk), which buys `rounds` rounds
 * in budget_s; `added` more measured rounds are appended (one warm-up
 * round before them), capped by --iterations (`capped`). */
struct trend_plan {
	double budget_s, rounds_per_min, rate_rounds, rate_span_s;
	long first, warmups, rounds, added;
	int capped;
};
/* The plan for `o` at the rate measured on the first chunk: a pure
 * function of its arguments (the resume check recomputes it). */
void trend_budget_plan(const struct trend_opts *o, double rounds_per_min, struct trend_plan *p);

/* Builds, runs (or reuses a complete run) and reports: trend.md,
 * trend.json, the chart. Returns 0, or a negative code (GVAB_EUSAGE bad
 * arguments, GVAB_EPRECOND fewer than two revisions build, GVAB_EFAIL the
 * run failed, GVAB_EINTR interrupted). *md_out gets trend.md's text once
 * it is written (also when adding to --db then fails): the caller's to
 * print and free. Progress goes to stderr; nothing to stdout. */
int trend_run(const struct trend_opts *o, char **md_out);

#endif
