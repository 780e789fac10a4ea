/* analysis: from a run directory (run.json + samples.jsonl) to compared
 * arms. Reads only those two files, so every figure can be regenerated.
 *
 * For each arm and phase: summary statistics of the ok, measured samples.
 * For each arm B against the baseline arm A (the first arm) and each phase:
 * - unpaired: difference of medians (B - A) in ms and %, its percentile
 *   bootstrap 95% CI, the Mann-Whitney U p-value, the Hodges-Lehmann shift;
 * - paired: boots of the same measured round of A and B ran next to each
 *   other, so they share the host's momentary state; the paired shift
 *   (paired_*: Hodges-Lehmann of the same-round log ratios, in ms of A's
 *   median, with its Walsh interval at the CI level, matching the Wilcoxon
 *   signed-rank p of the log ratios); the plain median of the per-round
 *   differences with its order-statistic (binomial) CI (pmed_*);
 * - tail: the p95 difference with a bootstrap CI.
 * - shift: the Hodges-Lehmann shift with its distribution-free interval
 *   (paired: Walsh averages of the same-round differences, Tukey's interval,
 *   matching the Wilcoxon test; unpaired: Moses' interval, matching
 *   Mann-Whitney), on log times so that a change by a factor is a shift
 *   and the threshold a fixed ratio; shown in ms of A's median. Verdicts
 *   use it: paired when there are at least 10 pairs, else unpaired; the
 *   rule is analysis/verdict.h's. The paired Wilcoxon p is of the log
 *   ratios too.
 * - carry-over: B - A over boots adjacent in time, split by which arm
 *   booted first, and a Mann-Whitney p of the two groups.
 *
 * Families (analysis_adjust). Holm-Bonferroni is applied per run, never
 * across runs, so a run's verdicts do not depend on which other runs share
 * a report:
 *   primary:   CORE (the headline metric), one comparison per candidate
 *              arm; with two arms a family of one, tested at alpha;
 *   secondary: create, start, wait, delete and overall, for every
 *              candidate. These are nested (overall contains CORE and the
 *              other phases). Holm controls the family-wise error under any
 *              dependence, so no independence is assumed; the nesting only
 *              makes it conservative.
 * Each verdict interval of a family of m comparisons has one-sided error
 * alpha / m (Bonferroni), so FAIL, PASS and "same" hold for the family too.
 */
#ifndef GVAB_ANALYSIS_H
#define GVAB_ANALYSIS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "samples.h"
#include "stats.h"
#include "verdict.h"

struct arm_stats {
	const char *name;      /* points into the samples file */
	size_t n_ok, n_fail, n_warmup;
	double *vals[PH_METRICS]; /* ms, measured ok samples in seq order (cpu: CPU ms) */
	struct stats_summary ph[PH_METRICS];
	size_t n_no_cpu;        /* measured ok boots without a CPU time (older runs) */
	double *exec_vals;      /* ms, warm-pool execs (measured, ok) */
	size_t n_exec, n_exec_fail;
	struct stats_summary exec;
	/* Dependence diagnostics of the measured ok boots in time order: the
	 * lag-1 autocorrelation, and the trend (least squares on log time
	 * against the boot's seq) as % change per 100 boots of the run. */
	double lag1[PH_METRICS], trend_pct_per_100[PH_METRICS];
};

/* Same as verdict_name (kept for callers of the old name). */
const char *analysis_verdict_name(enum verdict v);

enum analysis_family { FAMILY_PRIMARY, FAMILY_SECONDARY, FAMILY_NONE };

struct comparison {
	int a, b, phase;
	double med_a, med_b, delta_ms, delta_pct, ci_lo, ci_hi; /* unpaired, ms */
	double p_mw, p_mw_adj, hl_ms;
	size_t npairs;
	double paired_ms, paired_lo, paired_hi, p_wx, p_wx_adj;
	double pmed_ms, pmed_lo, pmed_hi; /* median of same-round differences, ms */
	double p95_delta, p95_lo, p95_hi;
	int used_paired;
	/* Hodges-Lehmann shift B - A (paired when used_paired) and its
	 * interval with one-sided error shift_tail on each side. Computed on
	 * log times (shift_log) and given in ms of A's median: med_a *
	 * (exp(shift) - 1); in ms directly if a time is not positive. */
	double shift_ms, shift_lo, shift_hi, shift_tail;
	int shift_log;
	double sig_lo, sig_hi;      /* the same at shift_tail / 2 (faster/slower) */
	/* Lag-1 autocorrelation of the same-round differences in round order
	 * (dependent rounds carry less information; see dep_factor). */
	double lag1;
	/* The variance factor (>= 1) the paired interval and the paired p were
	 * widened by: stats_ar1_variance_factor(lag1, pairs). */
	double dep_factor;
	double thr_ms;              /* threshold_pct of med_a */
	double pair_sd_ms;          /* sd of the same-round differences */
	double pair_log_sd;         /* sd of the same-round log ratios log(B / A), the
	                             * noise sample-size advice plans with; NAN when a
	                             * time is not positive or fewer than 2 pairs */
	enum analysis_family family;
	size_t family_size;
	/* Carry-over: B - A of time-adjacent boots by which arm went first
	 * (medians, counts) and the Mann-Whitney p between the two groups. */
	double co_afirst_ms, co_bfirst_ms, co_p;
	size_t co_n_afirst, co_n_bfirst;
	enum verdict verdict;
	enum gate_code gate;        /* the gate's verdict from the same interval */
};

/* Fewest ok measured boots an arm needs before gvab states a shift with
 * a number: below it an answer says "too few boots (n=N)" in words
 * (README "Exit codes"); no output of gvab prints nan or inf. */
#define ANALYSIS_MIN_BOOTS 3

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
	/* One-sided error of a verdict interval before the family's Bonferroni
	 * split; 0 means alpha. A group-sequential look passes its nominal
	 * level here. */
	double interval_alpha;
	unsigned phase_mask;   /* phases to compare (bit per phase); 0 means all */
};

/* The defaults report and gate share (verdict.h). */
#define ANALYSIS_OPTS_DEFAULT                                                              \
	{.alpha = VERDICT_DEFAULT_ALPHA, .threshold_pct = VERDICT_DEFAULT_THRESHOLD_PCT,      \
	 .reps = 10000, .seed = 1}

/* Reads run.json and samples.jsonl. Malformed input is GVAB_EDATA with a
 * message naming the file and field. */
int analysis_load(const char *dir, struct run_analysis *out);
/* Fills ra->arms from ra->sf (which the caller filled); for benchmarks that
 * build runs in memory. analysis_free frees both. */
void analysis_index_samples(struct run_analysis *ra);
void analysis_free(struct run_analysis *ra);

/* Computes comparisons of every arm against opts->baseline for every phase
 * in opts->phase_mask. Unadjusted p-values are copied into the *_adj
 * fields; call analysis_adjust for families and verdicts. */
void analysis_compare(struct run_analysis *ra, const struct analysis_opts *o);

/* Per run: sorts comparisons into the families above (only phases in
 * `phase_mask`; the others keep raw p and a family of one), Holm-adjusts
 * their p-values, computes the verdict intervals and sets the verdicts. */
void analysis_adjust(struct run_analysis *runs, size_t nruns, const struct analysis_opts *o,
                     unsigned phase_mask);

/* A phase (create ... overall) or the metric cpu by name; -1 if none. */
int analysis_phase_index(const char *name);

/* Why the shift interval of c is open (the data give a shift but no
 * interval), in words with n (its pairs, or B's ok boots when unpaired):
 * "too few boots (n=2)" when n is below ANALYSIS_MIN_BOOTS or below what
 * the rank interval needs at its level whatever the data (2^-n above
 * shift_tail: the minimum-n rule of the signed-rank interval, or any open
 * unpaired interval); else "interval open at this noise (n=20)": the
 * widening for dependent rounds (dep_factor, the lag-1 autocorrelation of
 * the round differences) asks for a level that n pairs' ranks cannot
 * reach. Returns 1 for too few boots, 0 for the noise. */
int analysis_open_reason(const struct comparison *c, size_t n, char *buf, size_t len);

/* An instrument figure per measured ok boot of arm `arm`: the sum of
 * instr.MEMBER.FIELD over `fields` (NULL-terminated), for every boot where
 * each is a number >= 0. Returns the count; *out gets the values (raw
 * units; the caller frees). */
size_t analysis_instr_values(const struct run_analysis *ra, size_t arm, const char *member,
                             const char *const *fields, double **out);

/* A run extended with `gvab run --append` has one run.json "chunks" entry
 * per invocation, each with the host facts at its start. Returns 1 (and
 * why) when a chunk's boot id, kernel, CPU, online CPUs, clocksource or
 * knobs differ from the first chunk's: its samples then come from another
 * machine state and should not be pooled. Drift within each chunk is in
 * the top-level "drift", which gathers every chunk's. */
int analysis_chunk_drift(const struct run_analysis *ra, char *why, size_t whysz);

#endif
