/* analysis: from a run directory (run.json + samples.jsonl) to compared
 * arms. Reads only those two files, so every figure can be regenerated.
 *
 * For each arm and phase: summary statistics of the ok, measured samples.
 * For each arm B against the baseline arm A (the first arm) and each phase:
 * - unpaired: difference of medians (B - A) in ms and %, its percentile
 *   bootstrap 95% CI, the Mann-Whitney U p-value, the Hodges-Lehmann shift;
 * - paired: boots of the same measured round of A and B ran next to each
 *   other, so they share the host's momentary state; the median of the
 *   per-round differences, its bootstrap CI and the Wilcoxon signed-rank p;
 * - tail: the p95 difference with a bootstrap CI.
 * p-values are Holm-Bonferroni adjusted across the whole family a report
 * or gate decides on (analysis_adjust). The verdict uses the paired figures
 * when there are at least 10 pairs, else the unpaired ones:
 *   faster / slower: adjusted p <= alpha and the CI excludes 0;
 *   same:      not that, and the CI lies within +-threshold% of A's median;
 *   undecided: anything else (more data needed).
 */
#ifndef GVAB_ANALYSIS_H
#define GVAB_ANALYSIS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "samples.h"
#include "stats.h"

struct arm_stats {
	const char *name;      /* points into the samples file */
	size_t n_ok, n_fail, n_warmup;
	double *vals[PH_COUNT]; /* ms, measured ok samples in seq order */
	struct stats_summary ph[PH_COUNT];
	double *exec_vals;      /* ms, warm-pool execs (measured, ok) */
	size_t n_exec, n_exec_fail;
	struct stats_summary exec;
};

enum verdict { V_SAME, V_FASTER, V_SLOWER, V_UNDECIDED };
const char *analysis_verdict_name(enum verdict v);

struct comparison {
	int a, b, phase;
	double med_a, med_b, delta_ms, delta_pct, ci_lo, ci_hi; /* unpaired, ms */
	double p_mw, p_mw_adj, hl_ms;
	size_t npairs;
	double paired_ms, paired_lo, paired_hi, p_wx, p_wx_adj;
	double p95_delta, p95_lo, p95_hi;
	int used_paired;
	enum verdict verdict;
};

struct run_analysis {
	char *dir;
	cJSON *run;                /* run.json */
	char label[128];           /* host label: hostname unless overridden */
	struct samples_file sf;
	struct arm_stats *arms;
	size_t narms;
	struct comparison *cmp;
	size_t ncmp;
};

struct analysis_opts {
	double alpha;          /* default 0.05 */
	double threshold_pct;  /* for "same" (report) and the gate */
	int reps;              /* bootstrap resamples, >= 10000 */
	uint64_t seed;         /* resampling seed (recorded in outputs) */
	int baseline;          /* index of arm A (default 0) */
	double ci_level;       /* bootstrap CI level; 0 means 0.95 */
};

int analysis_load(const char *dir, struct run_analysis *out);
void analysis_free(struct run_analysis *ra);

/* Computes comparisons of every arm against opts->baseline for every phase.
 * Unadjusted p-values are copied into the *_adj fields. */
void analysis_compare(struct run_analysis *ra, const struct analysis_opts *o);

/* Holm-adjusts every comparison's p-values across all runs and sets the
 * verdicts. `phase_mask` (bit per phase) selects the family; comparisons
 * outside it keep their raw p and get verdicts from it. */
void analysis_adjust(struct run_analysis *runs, size_t nruns, const struct analysis_opts *o,
                     unsigned phase_mask);

int analysis_phase_index(const char *name);

#endif
