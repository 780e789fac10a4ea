/* gate_sim: what the verdicts of `gvab gate` and `gvab report` do on runs
 * whose truth is known. A benchmark, not a test: it prints its figures.
 *
 * Each trial simulates one run of n rounds (2n boots in time order) with
 * the shapes issue 15 measured on the committed real runs:
 *   log t = log 100 ms + drift * k / 100                 (k: boot index)
 *         + sqrt(rho) * sigma * u_round                  (shared by a round)
 *         + sqrt(1 - rho) * sigma * e_k                  (AR(1), lag-1 phi)
 *         + log(1 + delta) for arm B
 *         + kappa for the second boot of a round         (carry-over)
 * with u, e standard normal (e stationary AR(1)). Order ABBA unless said.
 * Every decision goes through the library exactly as gvab does it
 * (analysis_index_samples, analysis_compare, analysis_adjust, verdict.c),
 * CORE only, threshold 3%, alpha 0.01 (the shared defaults).
 *
 * Prints: A/A PASS / FAIL / undecided / "same" rates; the error at the
 * threshold itself (true +3%: FAIL and PASS must each be <= alpha); power
 * at +5% and +10%; the minimum detectable regression (80% FAIL) at 50
 * pairs; sequential looks (gate --adaptive) against fixed runs, with the
 * mean pairs used; the coverage of the intervals at n = 10, 20, 50; and
 * the carry-over diagnostic under --order alternate.
 *
 * Usage: gate_sim [trials [drift]]   (default 1000; single-threaded, ~2
 * minutes; `drift`: section 6 only)
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "rng.h"
#include "bench_run.h"
#include "stats.h"
#include "util.h"
#include "verdict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shape {
	const char *name;
	double sigma, rho, phi, drift_pct;
};

/* From issue 15: log-sd 0.07-0.20, within-round correlation up to 0.6,
 * lag-1 up to 0.45, drift up to 13% per 100 boots. */
static const struct shape shapes[] = {
	{"quiet   (sd 0.07, rho 0,   lag1 0,    drift 0)", 0.07, 0.0, 0.0, 0},
	{"typical (sd 0.10, rho 0.3, lag1 0.2,  drift 6.9%)", 0.10, 0.3, 0.2, 6.9},
	{"noisy   (sd 0.20, rho 0.6, lag1 0.45, drift 13%)", 0.20, 0.6, 0.45, 13},
	{"hostile (sd 0.20, rho 0,   lag1 0.45, drift 13%)", 0.20, 0.0, 0.45, 13},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static const double ALPHA = VERDICT_DEFAULT_ALPHA, THR = VERDICT_DEFAULT_THRESHOLD_PCT;

static uint64_t rng = 20261123;

static double uniform(void)
{
	return ((double)(rng_next(&rng) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

/* One run: core[k] ms and arm[k] of boot k, 2 * rounds boots. */
static void simulate(const struct shape *sh, int rounds, double delta, double kappa, int alternate,
                     double *core, int *arm)
{
	double e = gauss(), u = 0;
	for (int k = 0; k < 2 * rounds; k++) {
		int r = k / 2, second = k % 2;
		if (!second)
			u = gauss();
		if (k > 0)
			e = sh->phi * e + sqrt(1 - sh->phi * sh->phi) * gauss();
		int a_first = alternate || r % 2 == 0;
		arm[k] = second ? a_first : !a_first;
		double l = log(100) + sh->drift_pct / 100 * k / 100 + sqrt(sh->rho) * sh->sigma * u +
		           sqrt(1 - sh->rho) * sh->sigma * e + (arm[k] ? log1p(delta) : 0) +
		           (second ? kappa : 0);
		core[k] = exp(l);
	}
}

static double pct(int k, int n)
{
	return n ? 100.0 * k / n : 0;
}

/* The drift shape of issue 23 (an independent simulation's): log-normal
 * boots, ABBA, same-round correlation rho, and each arm's own rounds an
 * AR(1) with lag-1 phi (arm A's and B's processes independent, so the
 * round differences carry lag-1 phi too), plus a trend shared by both arms
 * in % per 100 boots:
 *   log t = log 100 + trend * k / 100 + sqrt(rho) sigma u_r
 *         + sqrt(1 - rho) sigma e_arm,r + log(1 + delta) for B. */
static void simulate_drift(double sigma, double rho, double phi, double trend_pct, int rounds,
                           double delta, double *core, int *arm)
{
	double e[2] = {gauss(), gauss()};
	for (int r = 0; r < rounds; r++) {
		double u = gauss();
		if (r > 0)
			for (int a = 0; a < 2; a++)
				e[a] = phi * e[a] + sqrt(1 - phi * phi) * gauss();
		for (int second = 0; second < 2; second++) {
			int k = 2 * r + second, a_first = r % 2 == 0;
			arm[k] = second ? a_first : !a_first;
			core[k] = exp(log(100) + trend_pct / 100 * k / 100 + sqrt(rho) * sigma * u +
			              sqrt(1 - rho) * sigma * e[arm[k]] + (arm[k] ? log1p(delta) : 0));
		}
	}
}

/* Section 6: the drift shape through the library, at n pairs: coverage of
 * the gate's 98% interval (A/A, +3%), the gate's errors at the threshold,
 * the report's false faster/slower and how often the printed paired p is
 * <= alpha on A/A. */
static void drift_table(int trials)
{
	static const int ns[] = {20, 50, 100};
	printf("  %5s %9s %9s %9s %9s %9s %9s %9s %9s\n", "pairs", "cov A/A", "cov +3%", "A/A FAIL",
	       "A/A slwr", "A/A p<=a", "+3% PASS", "+3% FAIL", "A/A PASS");
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		int n = ns[i], cov0 = 0, cov3 = 0, fail0 = 0, sig0 = 0, p0 = 0, pass3 = 0, fail3 = 0, pass0 = 0;
		double *core = util_xmalloc(2 * (size_t)n * sizeof *core);
		int *arm = util_xmalloc(2 * (size_t)n * sizeof *arm);
		for (int t = 0; t < trials; t++) {
			simulate_drift(0.10, 0.3, 0.45, 7, n, 0, core, arm);
			struct comparison c = bench_decide(core, arm, n, ALPHA, ALPHA);
			cov0 += c.shift_lo <= 0 && 0 <= c.shift_hi;
			fail0 += c.gate == GATE_FAIL;
			pass0 += c.gate == GATE_PASS;
			sig0 += c.verdict == V_SLOWER || c.verdict == V_FASTER;
			p0 += c.p_wx_adj <= ALPHA;
			simulate_drift(0.10, 0.3, 0.45, 7, n, THR / 100, core, arm);
			c = bench_decide(core, arm, n, ALPHA, ALPHA);
			/* The shift is on log ratios, shown in ms of A's median: the
			 * true +3% is the threshold itself. */
			cov3 += c.shift_lo <= c.thr_ms && c.thr_ms <= c.shift_hi;
			pass3 += c.gate == GATE_PASS;
			fail3 += c.gate == GATE_FAIL;
		}
		printf("  %5d %8.1f%% %8.1f%% %8.1f%% %8.1f%% %8.1f%% %8.1f%% %8.1f%% %8.1f%%\n", n,
		       pct(cov0, trials), pct(cov3, trials), pct(fail0, trials), pct(sig0, trials),
		       pct(p0, trials), pct(pass3, trials), pct(fail3, trials), pct(pass0, trials));
		free(core);
		free(arm);
	}
}

struct rates {
	int pass, same, fail, undecided, slower, faster, trials;
	double pairs;
};

static void tally(struct rates *t, const struct comparison *c, int pairs)
{
	t->trials++;
	t->pairs += pairs;
	t->pass += c->gate == GATE_PASS;
	t->fail += c->gate == GATE_FAIL;
	t->undecided += c->gate == GATE_UNDECIDED;
	t->same += c->verdict == V_SAME;
	t->slower += c->verdict == V_SLOWER;
	t->faster += c->verdict == V_FASTER;
}


static struct rates fixed_run(const struct shape *sh, int rounds, double delta, int trials)
{
	struct rates t = {0};
	double *core = util_xmalloc(2 * (size_t)rounds * sizeof *core);
	int *arm = util_xmalloc(2 * (size_t)rounds * sizeof *arm);
	for (int i = 0; i < trials; i++) {
		simulate(sh, rounds, delta, 0, 0, core, arm);
		struct comparison c = bench_decide(core, arm, rounds, ALPHA, ALPHA);
		tally(&t, &c, rounds);
	}
	free(core);
	free(arm);
	return t;
}

/* Looks at n0, n0 + step, ..., nmax pairs: their count, pairs and levels
 * (O'Brien-Fleming as gvab gate --adaptive, or the old alpha / looks). */
struct design {
	int k;
	long n[64];
	double la[64];
};

static void design_make(struct design *d, int n0, int step, int nmax, int bonferroni)
{
	d->k = 0;
	for (int m = n0; m <= nmax && d->k < 64; m += step)
		d->n[d->k++] = m;
	if (bonferroni)
		for (int j = 0; j < d->k; j++)
			d->la[j] = ALPHA / d->k;
	else
		verdict_sequential_alphas(d->n, d->k, ALPHA, d->la);
}

/* Stops at the first PASS or FAIL. */
static struct rates sequential_run(const struct shape *sh, const struct design *ds, double delta,
                                   int trials)
{
	int k = ds->k, nmax = (int)ds->n[k - 1];
	const long *n = ds->n;
	const double *la = ds->la;
	struct rates t = {0};
	double *core = util_xmalloc(2 * (size_t)nmax * sizeof *core);
	int *arm = util_xmalloc(2 * (size_t)nmax * sizeof *arm);
	for (int i = 0; i < trials; i++) {
		simulate(sh, nmax, delta, 0, 0, core, arm);
		struct comparison c;
		int j = 0;
		for (;; j++) {
			c = bench_decide(core, arm, (int)n[j], ALPHA, la[j]);
			if (c.gate != GATE_UNDECIDED || j + 1 == k)
				break;
		}
		tally(&t, &c, (int)n[j]);
	}
	free(core);
	free(arm);
	return t;
}

static void print_rates(const char *what, const struct rates *t)
{
	printf("  %-34s PASS %5.1f%% (same %5.1f%%)  FAIL %5.1f%%  undecided %5.1f%%  mean pairs %5.1f\n",
	       what, pct(t->pass, t->trials), pct(t->same, t->trials), pct(t->fail, t->trials),
	       pct(t->undecided, t->trials), t->pairs / t->trials);
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 1000;
	if (trials < 10)
		trials = 10;
	double se = 100 * sqrt(ALPHA * (1 - ALPHA) / trials);
	printf("gate_sim: %d trials per cell, threshold +%.0f%%, alpha %.2g, ABBA, CORE; "
	       "Monte Carlo s.e. at 1%%: %.2f points\n", trials, THR, ALPHA, se);
	int drift_only = argc > 2 && strcmp(argv[2], "drift") == 0;
	if (drift_only)
		goto drift;

	printf("\n== 1. Fixed runs of 50 pairs: A/A, at the threshold, power\n");
	for (size_t s = 0; s < NSHAPES; s++) {
		printf("%s\n", shapes[s].name);
		struct rates aa = fixed_run(&shapes[s], 50, 0, trials);
		print_rates("A/A (true 0%)", &aa);
		printf("  %-34s report faster/slower %.1f%% (false positives)\n", "", pct(aa.slower + aa.faster, aa.trials));
		struct rates at = fixed_run(&shapes[s], 50, THR / 100, trials);
		print_rates("true +3% (the threshold)", &at);
		struct rates p5 = fixed_run(&shapes[s], 50, 0.05, trials);
		print_rates("true +5%", &p5);
		struct rates p10 = fixed_run(&shapes[s], 50, 0.10, trials);
		print_rates("true +10%", &p10);
	}

	printf("\n== 2. Minimum detectable regression at 50 pairs (80%% FAIL), %d trials per step\n",
	       trials / 2);
	for (size_t s = 0; s < NSHAPES; s++) {
		double mde = -1;
		for (double d = 0.035; d <= 0.30 + 1e-9; d += 0.005) {
			struct rates r = fixed_run(&shapes[s], 50, d, trials / 2);
			if (r.fail >= 0.8 * r.trials) {
				mde = d;
				break;
			}
		}
		printf("  %s: %s%.1f%%\n", shapes[s].name, mde < 0 ? "> " : "", 100 * (mde < 0 ? 0.30 : mde));
	}

	printf("\n== 3. Sequential looks (gate --adaptive) against fixed runs, typical and noisy shapes\n");
	struct design obf20, bonf20, obf50;
	design_make(&obf20, 20, 10, 100, 0);
	design_make(&bonf20, 20, 10, 100, 1);
	design_make(&obf50, 50, 10, 100, 0);
	printf("  one-sided levels per look, 20..100: ");
	for (int j = 0; j < obf20.k; j++)
		printf("%.2g ", obf20.la[j]);
	printf("\n");
	for (size_t s = 1; s <= 2; s++) {
		printf("%s\n", shapes[s].name);
		static const double deltas[] = {0, 0.03, 0.05, 0.10};
		for (int i = 0; i < 4; i++) {
			printf(" true %+.0f%%\n", 100 * deltas[i]);
			struct rates f50 = fixed_run(&shapes[s], 50, deltas[i], trials / 2);
			print_rates("fixed 50", &f50);
			struct rates f100 = fixed_run(&shapes[s], 100, deltas[i], trials / 2);
			print_rates("fixed 100", &f100);
			struct rates q = sequential_run(&shapes[s], &obf20, deltas[i], trials / 2);
			print_rates("adaptive 20..100 step 10, OBF", &q);
			struct rates b = sequential_run(&shapes[s], &bonf20, deltas[i], trials / 2);
			print_rates("adaptive 20..100, alpha/9 (old)", &b);
			struct rates q50 = sequential_run(&shapes[s], &obf50, deltas[i], trials / 2);
			print_rates("adaptive 50..100 step 10, OBF", &q50);
		}
	}

	printf("\n== 4. Interval coverage (A/A and true +5%%), %d trials per cell\n", trials);
	static const int ns[] = {10, 20, 50};
	for (size_t s = 0; s < NSHAPES; s += 2) {
		printf("%s\n", shapes[s].name);
		for (int i = 0; i < 3; i++) {
			int n = ns[i], cov_os = 0, cov_bs = 0, cov_w = 0, cov_g = 0, cov_g5 = 0, cov_w95 = 0;
			double *core = util_xmalloc(2 * (size_t)n * sizeof *core), *d = util_xmalloc((size_t)n * sizeof *d);
			int *arm = util_xmalloc(2 * (size_t)n * sizeof *arm);
			for (int t = 0; t < trials; t++) {
				simulate(&shapes[s], n, 0, 0, 0, core, arm);
				for (int r = 0; r < n; r++) {
					double a = arm[2 * r] ? core[2 * r + 1] : core[2 * r];
					double b = arm[2 * r] ? core[2 * r] : core[2 * r + 1];
					d[r] = b - a;
				}
				double lo, hi, e;
				/* A/A: the paired differences are symmetric about 0. */
				stats_median_ci(d, (size_t)n, 0.025, &lo, &hi);
				cov_os += lo <= 0 && 0 <= hi;
				stats_bootstrap_median_ci(d, (size_t)n, 2000, 0.95, (uint64_t)t + 1, &lo, &hi);
				cov_bs += lo <= 0 && 0 <= hi;
				for (int r = 0; r < n; r++) {
					double a = arm[2 * r] ? core[2 * r + 1] : core[2 * r];
					double b = arm[2 * r] ? core[2 * r] : core[2 * r + 1];
					d[r] = log(b) - log(a);
				}
				stats_walsh_ci(d, (size_t)n, ALPHA, &e, &lo, &hi);
				cov_w += lo <= 0 && 0 <= hi;
				stats_walsh_ci(d, (size_t)n, 0.025, &e, &lo, &hi);
				cov_w95 += lo <= 0 && 0 <= hi;
				/* As the gate decides (lag-1 widening included). */
				struct comparison c = bench_decide(core, arm, n, ALPHA, ALPHA);
				cov_g += c.shift_lo <= 0 && 0 <= c.shift_hi;
				simulate(&shapes[s], n, 0.05, 0, 0, core, arm);
				c = bench_decide(core, arm, n, ALPHA, ALPHA);
				cov_g5 += c.shift_lo <= 0.05 * c.med_a && 0.05 * c.med_a <= c.shift_hi;
			}
			printf("  n=%2d: median of differences, 95%%: order-statistic %.1f%%, percentile bootstrap "
			       "%.1f%%\n        shift (Walsh, log ratios): 95%% %.1f%%, 98%% %.1f%% (rank interval "
			       "alone); 98%% as the gate decides: %.1f%% (A/A), %.1f%% (+5%%)\n",
			       n, pct(cov_os, trials), pct(cov_bs, trials), pct(cov_w95, trials), pct(cov_w, trials),
			       pct(cov_g, trials), pct(cov_g5, trials));
			free(core);
			free(d);
			free(arm);
		}
	}

	printf("\n== 5. Carry-over: the second boot of a round +3%% slower, true effect 0, typical shape, 50 pairs\n");
	for (int alt = 0; alt < 2; alt++) {
		int flagged = 0, fail = 0, pass = 0;
		double bias = 0, est = 0;
		double *core = util_xmalloc(100 * sizeof *core);
		int *arm = util_xmalloc(100 * sizeof *arm);
		for (int t = 0; t < trials / 2; t++) {
			simulate(&shapes[1], 50, 0, log1p(0.03), alt, core, arm);
			struct comparison c = bench_decide(core, arm, 50, ALPHA, ALPHA);
			flagged += c.co_p <= 0.05;
			fail += c.gate == GATE_FAIL;
			pass += c.gate == GATE_PASS;
			bias += (c.co_afirst_ms - c.co_bfirst_ms) / 2;
			est += c.shift_ms;
		}
		if (alt)
			printf("  order alternate: not measurable (no B-first round; the gate warns every "
			       "time); mean shift %+.2f ms (the carry-over); PASS %.1f%%, FAIL %.1f%%\n",
			       est / (trials / 2), pct(pass, trials / 2), pct(fail, trials / 2));
		else
			printf("  order abba     : carry-over p <= 0.05 in %.1f%%, mean (A-first - B-first)/2 "
			       "%+.2f ms, mean shift %+.2f ms, PASS %.1f%%, FAIL %.1f%%\n",
			       pct(flagged, trials / 2), bias / (trials / 2), est / (trials / 2),
			       pct(pass, trials / 2), pct(fail, trials / 2));
		free(core);
		free(arm);
	}
drift:
	printf("\n== 6. Drift (issue 23): sd 0.10, round corr. 0.3, each arm lag-1 0.45 by round, "
	       "shared trend 7%%/100 boots; 98%% interval (nominal), alpha %.2g, %d trials per cell, "
	       "s.e. at 98%%: %.2f points\n", ALPHA, trials, 100 * sqrt(0.02 * 0.98 / trials));
	drift_table(trials);
	return 0;
}
