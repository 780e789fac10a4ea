/* gate: the release gate's decision on one run directory: candidate B
 * against baseline A on one metric, from the distribution-free interval of
 * the paired shift and the rule of verdict.h (FAIL when its lower bound
 * exceeds the threshold, PASS when its upper bound is below it, UNDECIDED
 * otherwise, INVALID when the run cannot be judged), with the carry-over,
 * dependence and planning lines a reader needs to trust it; and the
 * policy of the sequential looks (`gate --adaptive`): how many, at which
 * level, how many rounds before the next. `gvab gate` (rig/cmd/cmd_gate.c)
 * extends the run between looks. */
#ifndef GVAB_GATE_H
#define GVAB_GATE_H

#include "analysis.h"
#include "samples.h"

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

/* The sequential looks of `gate --adaptive BUDGET --step STEP`: planned at
 * the first look from its pairs n0 (then +STEP each, up to +BUDGET), each
 * at the nominal one-sided level of O'Brien-Fleming-type boundaries
 * (verdict_sequential_alphas), which keeps false FAIL and false PASS at
 * most alpha over all looks (measured by tests/bench/gate_sim). */
struct gate_looks {
	int looks;       /* at most this many */
	double *alpha;   /* the level of each look */
	long budget, step;
	long added;      /* rounds added so far */
};
/* n0 <= 0 plans as if the first look had one pair. */
void gate_looks_plan(struct gate_looks *l, long n0, long budget, long step, double alpha);
/* The rounds to add before the next look, after a look decided `code`
 * (verdict.h's GATE_*): 0 when it decided or the budget is spent. Counts
 * them as added. */
long gate_looks_next(struct gate_looks *l, int code);
void gate_looks_free(struct gate_looks *l);
/* The first look's pairs: the fewest ok measured boots of any arm of the
 * run in DIR (0 when it cannot be read). */
long gate_first_look_pairs(const char *dir);

/* The round rate of a run, from its samples' boot times (t_ns, the
 * start of each boot attempt from its chunk's start): every cold boot
 * attempt (warm-ups and failures too, which take time as well) counts, each
 * chunk (a gvab run, or one --append, whose clock starts again) for the
 * span from its first boot to its last. rounds_per_min is boots per
 * minute over the run's arms; 0 when no chunk has two boots. `rounds` and
 * `span_s` give what it was measured on (boots over arms, seconds). */
struct gate_rate {
	double rounds_per_min;
	double rounds;
	double span_s;
};
void gate_rate_of_samples(const struct samples_file *sf, struct gate_rate *r);
/* The same for the run directory DIR; -1 with the error recorded when it
 * cannot be read. */
int gate_round_rate(const char *dir, struct gate_rate *r);

/* `gate --budget TIME`: how many measured rounds the looks may add within
 * TIME at the measured rate, planned once, at the first look, before any
 * added data are seen (so the looks' information fractions are fixed and
 * the alpha spending stays valid). Every extension of `step` rounds costs
 * step + 1 rounds (the warm-up round each --append adds): the budget's
 * rounds, floor(rounds_per_min * budget_s / 60), give floor(R / (step + 1))
 * whole extensions, and what is left (less its warm-up) one shorter last.
 * The time of each extension's setup and of the looks' analyses is not
 * counted. */
struct gate_budget {
	double budget_s;
	struct gate_rate rate;
	long rounds;   /* rounds the budget buys at the rate, warm-ups included */
	long pairs;    /* measured rounds (pairs) the looks may add */
};
void gate_budget_plan(struct gate_budget *b, const struct gate_rate *rate, double budget_s, long step);

#endif
