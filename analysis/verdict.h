/* verdict: the one rule that turns a shift B - A and its interval into a
 * verdict, for `gvab report` and `gvab gate` alike.
 *
 * Inputs are the shift's distribution-free interval [lo, hi] (ms) whose
 * each side may miss with probability `tail` (so a two-sided 1 - 2*tail
 * interval), the two-sided p-value of the matching rank test, adjusted in
 * its family, alpha, and the threshold in ms (threshold_pct of A's median).
 *
 * Report verdicts:
 *   faster / slower  p_adj <= alpha and the interval at tail / 2 [sig_lo,
 *                    sig_hi] excludes 0 on that side: a two-sided claim,
 *                    wrong with probability at most alpha in all;
 *   same             otherwise, when -threshold < lo and hi < +threshold: the
 *                    two one-sided tests (TOST) of equivalence at `tail`;
 *   undecided        anything else (more data needed).
 * Gate verdicts:
 *   FAIL             lo > +threshold: slower by more than the threshold
 *                    (one-sided test at `tail`);
 *   PASS             hi < +threshold: not slower by more than the threshold
 *                    (non-inferiority, one-sided test at `tail`); the line
 *                    says "same" when the TOST also holds;
 *   UNDECIDED        anything else. Never a pass.
 * With tail = alpha, a false FAIL (true shift <= threshold) and a false
 * PASS (true shift >= threshold) each happen with probability <= alpha.
 */
#ifndef GVAB_VERDICT_H
#define GVAB_VERDICT_H

/* Defaults shared by report and gate. */
#define VERDICT_DEFAULT_ALPHA 0.01
#define VERDICT_DEFAULT_THRESHOLD_PCT 3.0

enum verdict { V_SAME, V_FASTER, V_SLOWER, V_UNDECIDED };
enum gate_code { GATE_PASS = 0, GATE_FAIL = 1, GATE_INVALID = 2, GATE_UNDECIDED = 3 };

struct verdict_in {
	double lo, hi;     /* interval of the shift B - A, ms */
	double sig_lo, sig_hi; /* the same at one-sided error tail / 2 */
	double p_adj;      /* two-sided, adjusted in the comparison's family */
	double alpha;
	double thr_ms;     /* >= 0 */
};

enum verdict verdict_report(const struct verdict_in *in);
enum gate_code verdict_gate(const struct verdict_in *in);
/* TOST: the interval lies within +-threshold. */
int verdict_equivalent(const struct verdict_in *in);

/* Group-sequential looks (gvab gate --adaptive): looks after n[0] < n[1]
 * < ... < n[k-1] pairs (the last is the budget). Fills look_alpha[j], the
 * one-sided error at which look j's interval is taken: the nominal levels
 * of the Lan-DeMets O'Brien-Fleming-type boundaries spending `alpha` over
 * the information fractions n[j] / n[k-1]. These are repeated confidence
 * intervals (Jennison & Turnbull 2000, ch. 9): FAIL and PASS may each stop
 * the run at any look and each errs with probability at most alpha over
 * all looks together. Early looks are strict, the last is close to alpha
 * (0.0011, 0.0026, 0.0049, 0.0080 for alpha 0.01 and looks at 50, 60, 70
 * and 80 pairs), so a run that goes the distance loses little power
 * against a fixed one of the same length. */
void verdict_sequential_alphas(const long *n, int k, double alpha, double *look_alpha);

const char *verdict_name(enum verdict v);          /* "same", "faster", ... */
const char *verdict_gate_name(enum gate_code c);   /* "PASS", "FAIL", ... */

#endif
