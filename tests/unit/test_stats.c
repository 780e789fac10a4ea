/* Known-answer tests for analysis/stats.c. Expected values were computed
 * independently in Python 3 (standard library only): exact p-values by
 * brute-force enumeration of every group assignment / sign flip, normal
 * approximations with math.erfc, quantiles by hand (type 7). */
#include "analysis.h"
#include "stats.h"
#include "tests.h"
#include "util.h"
#include "verdict.h"

#include <stdlib.h>
#include <string.h>

#include <math.h>

START_TEST(test_quantiles)
{
	double x[] = {5, 1, 4, 2, 3, 9};
	ck_assert_double_eq_tol(stats_median(x, 6), 3.5, 1e-12);
	double s[20];
	for (int i = 0; i < 20; i++)
		s[i] = i + 1;
	/* type 7: 1 + 19 * 0.95 = 19.05 */
	ck_assert_double_eq_tol(stats_quantile_sorted(s, 20, 0.95), 19.05, 1e-12);
	struct stats_summary sm;
	double y[] = {2, 4, 4, 4, 5, 5, 7, 9};
	stats_summarize(y, 8, &sm);
	ck_assert_double_eq_tol(sm.mean, 5.0, 1e-12);
	/* sample stdev: sqrt(32/7) */
	ck_assert_double_eq_tol(sm.stdev, sqrt(32.0 / 7.0), 1e-12);
	/* |y - 4.5| = 2.5 .5 .5 .5 .5 .5 2.5 4.5 -> median .5 */
	ck_assert_double_eq_tol(sm.mad, 0.5, 1e-12);
	ck_assert_double_eq(sm.max, 9);
	stats_summarize(y, 0, &sm);
	ck_assert_uint_eq(sm.n, 0);
}
END_TEST

START_TEST(test_mann_whitney_exact)
{
	double x[] = {1.1, 2.2, 3.3, 4.4}, y[] = {5.5, 6.6, 7.7, 8.8, 9.9}, u;
	ck_assert_double_eq_tol(stats_mann_whitney(x, 4, y, 5, &u), 0.015873015873015872, 1e-12);
	ck_assert_double_eq_tol(u, 0, 1e-12);
	double a[] = {3.1, 1.2, 5.7, 2.4, 8.8}, b[] = {4.2, 6.3, 7.9, 9.5, 10.1, 0.5};
	ck_assert_double_eq_tol(stats_mann_whitney(a, 5, b, 6, &u), 0.329004329004329, 1e-12);
	ck_assert_double_eq_tol(u, 9, 1e-12);
	/* Tiny samples: one value each. */
	double one[] = {1}, two[] = {2};
	ck_assert_double_eq_tol(stats_mann_whitney(one, 1, two, 1, NULL), 1.0, 1e-12);
	ck_assert_double_eq_tol(stats_mann_whitney(one, 0, two, 1, NULL), 1.0, 1e-12);
}
END_TEST

START_TEST(test_mann_whitney_ties)
{
	double x[] = {1, 2, 2, 3, 4, 5, 5, 6}, y[] = {2, 3, 5, 6, 7, 7, 8, 9, 9}, u;
	ck_assert_double_eq_tol(stats_mann_whitney(x, 8, y, 9, &u), 0.029171520841552143, 1e-9);
	ck_assert_double_eq_tol(u, 13, 1e-12);
	double c[] = {4, 4, 4}, d[] = {4, 4, 4};
	ck_assert_double_eq_tol(stats_mann_whitney(c, 3, d, 3, NULL), 1.0, 1e-12);
}
END_TEST

/* Expected values from an independent Python computation (math.erfc, a
 * plain sum; the script is in the commit message of this test):
 * W+ = 1346 of 60 differences without ties, normal approximation with
 * continuity correction and the variance times 1 and 2.5; and the AR(1)
 * variance factor after bias correction and a one-sd margin (the same
 * Python function as in stats_seq.c, by hand). */
START_TEST(test_dependence)
{
	double d[60];
	for (int i = 1; i <= 60; i++)
		d[i - 1] = (double)((i * 37) % 61) - 22.25;
	double w;
	stats_wilcoxon(d, 60, &w);
	ck_assert_double_eq_tol(w, 1346, 1e-9);
	ck_assert_double_eq_tol(stats_wilcoxon_scaled(d, 60, 1.0), 0.0015287490132990292, 1e-9);
	ck_assert_double_eq_tol(stats_wilcoxon_scaled(d, 60, 2.5), 0.04503160115263917, 1e-9);
	/* No widening asked: the plain test, exact for small n. */
	ck_assert_double_eq_tol(stats_wilcoxon_scaled(d, 8, 1.0), stats_wilcoxon(d, 8, NULL), 1e-15);
	/* Exact range: the exact p's normal score over sqrt(factor), as the
	 * interval's level is widened. Eight of one sign: exact 2/256; at x2.5,
	 * 2 * Phi(Phi^-1(1/256) / sqrt(2.5)) = 0.0924962649928125 (Python 3,
	 * statistics.NormalDist); twenty: 2^-19 at x2.82 -> 0.004563586039037948. */
	double pos[20];
	for (int i = 0; i < 20; i++)
		pos[i] = 0.5 + 0.01 * i;
	ck_assert_double_eq_tol(stats_wilcoxon(pos, 8, NULL), 2.0 / 256, 1e-15);
	ck_assert_double_eq_tol(stats_wilcoxon_scaled(pos, 8, 2.5), 0.0924962649928125, 1e-7);
	ck_assert_double_eq_tol(stats_wilcoxon_scaled(pos, 20, 2.82), 0.004563586039037948, 1e-7);
	ck_assert_double_eq_tol(stats_ar1_variance_factor(0.39, 50), 3.5505607812212068, 1e-9);
	ck_assert_double_eq_tol(stats_ar1_variance_factor(0.0, 50), 1.3805322609377395, 1e-9);
	ck_assert_double_eq_tol(stats_ar1_variance_factor(0.7, 100), 8.600000000081481, 1e-9);
	ck_assert_double_eq_tol(stats_ar1_variance_factor(-0.3, 50), 1.0, 1e-15);
	ck_assert_double_eq_tol(stats_ar1_variance_factor(0.9, 2), 1.0, 1e-15);
}
END_TEST

START_TEST(test_wilcoxon)
{
	double d[] = {1.5, -0.3, 2.7, 3.1, -1.9, 4.4, 0.8, 2.2}, w;
	ck_assert_double_eq_tol(stats_wilcoxon(d, 8, &w), 0.078125, 1e-12);
	ck_assert_double_eq_tol(w, 31, 1e-12);
	double z[] = {0, 0, 0};
	ck_assert_double_eq_tol(stats_wilcoxon(z, 3, NULL), 1.0, 1e-12);
	/* All five positive: exact two-sided p = 2 / 2^5. */
	double pos[] = {1, 2, 3, 4, 5};
	ck_assert_double_eq_tol(stats_wilcoxon(pos, 5, NULL), 0.0625, 1e-12);
}
END_TEST

START_TEST(test_hodges_lehmann_and_holm)
{
	double x[] = {1, 2, 3}, y[] = {4, 6};
	/* differences 3 5 2 4 1 3 -> median 3 */
	ck_assert_double_eq_tol(stats_hodges_lehmann(x, 3, y, 2), 3, 1e-12);
	double p[] = {0.01, 0.04, 0.03, 0.005}, adj[4];
	stats_holm(p, 4, adj);
	ck_assert_double_eq_tol(adj[0], 0.03, 1e-12);
	ck_assert_double_eq_tol(adj[1], 0.06, 1e-12);
	ck_assert_double_eq_tol(adj[2], 0.06, 1e-12);
	ck_assert_double_eq_tol(adj[3], 0.02, 1e-12);
	ck_assert_double_eq_tol(stats_norm_cdf(1.959963984540054), 0.975, 1e-9);
}
END_TEST

START_TEST(test_bootstrap_deterministic)
{
	double a[40], b[40];
	for (int i = 0; i < 40; i++) {
		a[i] = 100 + (i * 37 % 11);
		b[i] = 90 + (i * 53 % 13);
	}
	double lo1, hi1, lo2, hi2;
	stats_bootstrap_ci(a, 40, b, 40, stats_diff_median, 10000, 0.95, 42, &lo1, &hi1);
	stats_bootstrap_ci(a, 40, b, 40, stats_diff_median, 10000, 0.95, 42, &lo2, &hi2);
	ck_assert_double_eq(lo1, lo2);
	ck_assert_double_eq(hi1, hi2);
	/* medians: a 105, b 96 -> the CI must hold -9 and lie below 0. */
	ck_assert(lo1 <= -9 && hi1 >= -9 && hi1 < 0);
	double d[30];
	for (int i = 0; i < 30; i++)
		d[i] = (i % 7) - 3.0; /* median 0 */
	stats_bootstrap_median_ci(d, 30, 10000, 0.95, 7, &lo1, &hi1);
	ck_assert(lo1 <= 0 && hi1 >= 0);
}
END_TEST

/* Distribution-free intervals. Expected values by brute force in Python 3
 * with fractions.Fraction: the null distribution of W+ by enumerating all
 * 2^8 sign patterns, of U by all C(11, 5) rank subsets, of the median's
 * order statistics by exact binomial sums (math.comb / 2^n); the rank cut
 * t is the largest with P(T <= t) <= tail, the interval [v(t+1), v(M-t)]. */
START_TEST(test_intervals)
{
	double d[] = {1.5, -0.3, 2.7, 3.1, -1.9, 4.4, 0.8, 2.2}, e, lo, hi;
	/* 36 Walsh averages, t = 3 at tail 2.5% (P(W+ <= 3) = 5/256), t = 5 at 5% */
	stats_walsh_ci(d, 8, 0.025, &e, &lo, &hi);
	ck_assert_double_eq_tol(e, 1.625, 1e-12);
	ck_assert_double_eq_tol(lo, -0.3, 1e-12);
	ck_assert_double_eq_tol(hi, 3.3, 1e-12);
	stats_walsh_ci(d, 8, 0.05, &e, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.15, 1e-12);
	ck_assert_double_eq_tol(hi, 2.95, 1e-12);
	/* n = 8 at 2.5%: P(Bin <= 0) = 1/256, P(<= 1) = 9/256 > 2.5%, so t = 0 */
	stats_median_ci(d, 8, 0.025, &lo, &hi);
	ck_assert_double_eq_tol(lo, -1.9, 1e-12);
	ck_assert_double_eq_tol(hi, 4.4, 1e-12);
	double ten[10], twenty[20];
	for (int i = 0; i < 20; i++) {
		if (i < 10)
			ten[9 - i] = i + 1;
		twenty[i] = i + 1;
	}
	/* n = 10: P(Bin <= 1) = 11/1024 -> [x(2), x(9)]; n = 20: t = 5 -> [x(6), x(15)] */
	stats_median_ci(ten, 10, 0.025, &lo, &hi);
	ck_assert_double_eq_tol(lo, 2, 1e-12);
	ck_assert_double_eq_tol(hi, 9, 1e-12);
	stats_median_ci(twenty, 20, 0.025, &lo, &hi);
	ck_assert_double_eq_tol(lo, 6, 1e-12);
	ck_assert_double_eq_tol(hi, 15, 1e-12);
	/* Too few values for the level: unbounded. */
	stats_median_ci(d, 3, 0.025, &lo, &hi);
	ck_assert(isinf(lo) && lo < 0 && isinf(hi) && hi > 0);
	double x[] = {3.1, 1.2, 5.7, 2.4, 8.8}, y[] = {4.2, 6.3, 7.9, 9.5, 10.1, 0.5};
	/* 30 differences y - x; t = 3 at 2.5%, 5 at 5% */
	stats_shift_ci(x, 5, y, 6, 0.025, &e, &lo, &hi);
	ck_assert_double_eq_tol(e, 2.6, 1e-12);
	ck_assert_double_eq_tol(lo, -2.6, 1e-12);
	ck_assert_double_eq_tol(hi, 7.1, 1e-12);
	stats_shift_ci(x, 5, y, 6, 0.05, &e, &lo, &hi);
	ck_assert_double_eq_tol(lo, -1.9, 1e-12);
	ck_assert_double_eq_tol(hi, 6.7, 1e-12);
	/* Normal quantiles: math/statistics.NormalDist().inv_cdf in Python 3 */
	ck_assert_double_eq_tol(stats_norm_quantile(0.975), 1.959963984540054, 1e-12);
	ck_assert_double_eq_tol(stats_norm_quantile(1e-10), -6.361340902404056, 1e-9);
	ck_assert_double_eq_tol(stats_norm_quantile(0.3), -0.5244005127080407, 1e-12);
}
END_TEST

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Beyond the exact tables the intervals use normal approximations. The
 * exact critical ranks at tail 2.5% were computed in Python 3 with integer
 * dynamic programming over the null distributions and Fraction sums: 8532
 * for the signed-rank statistic at n = 201, 1426 for Mann-Whitney at
 * 60 x 60. The approximation may be one rank more conservative. */
START_TEST(test_intervals_large)
{
	enum { N = 201, M = N * (N + 1) / 2 };
	static double d[N], w[M];
	for (int i = 0; i < N; i++)
		d[i] = sqrt(i + 1.0) - 7;
	int k = 0;
	for (int i = 0; i < N; i++)
		for (int j = i; j < N; j++)
			w[k++] = (d[i] + d[j]) / 2;
	qsort(w, M, sizeof *w, cmp_dbl);
	double e, lo, hi;
	stats_walsh_ci(d, N, 0.025, &e, &lo, &hi);
	/* [w(t+1), w(M-t)] in 1-based order statistics: w[t], w[M-1-t] here. */
	ck_assert_msg(lo == w[8532] || lo == w[8531], "lo %g", lo);
	ck_assert_msg(hi == w[M - 1 - 8532] || hi == w[M - 8532], "hi %g", hi);
	static double x[60], y[60], dd[3600];
	for (int i = 0; i < 60; i++) {
		x[i] = i + 0.001 * i * i;
		y[i] = i + 0.37 + 0.0007 * i * i;
	}
	k = 0;
	for (int i = 0; i < 60; i++)
		for (int j = 0; j < 60; j++)
			dd[k++] = y[j] - x[i];
	qsort(dd, 3600, sizeof *dd, cmp_dbl);
	stats_shift_ci(x, 60, y, 60, 0.025, &e, &lo, &hi);
	ck_assert_msg(lo == dd[1426] || lo == dd[1425], "lo %g", lo);
	ck_assert_msg(hi == dd[3600 - 1 - 1426] || hi == dd[3600 - 1426], "hi %g", hi);
}
END_TEST

/* Group-sequential boundaries. Expected values from a separate pure-Python
 * implementation of the same recursion with the trapezoid rule on 1501
 * points, its own bisection bracket and statistics.NormalDist (not this
 * code's Simpson grid or normal quantile); one look must give the fixed
 * z_{0.975}. tests/bench/gate_sim checks the error rates they produce. */
START_TEST(test_gs_bounds)
{
	double t5[] = {0.2, 0.4, 0.6, 0.8, 1}, z[5];
	static const double want5[] = {4.876885, 3.357012, 2.680279, 2.289815, 2.031029};
	stats_gs_bounds(t5, 5, 0.025, z);
	for (int i = 0; i < 5; i++)
		ck_assert_double_eq_tol(z[i], want5[i], 2e-4);
	double t3[] = {0.5, 0.75, 1};
	static const double want3[] = {3.460370, 2.764922, 2.362546};
	stats_gs_bounds(t3, 3, 0.01, z);
	for (int i = 0; i < 3; i++)
		ck_assert_double_eq_tol(z[i], want3[i], 2e-4);
	double one[] = {1};
	stats_gs_bounds(one, 1, 0.025, z);
	ck_assert_double_eq_tol(z[0], 1.959964, 1e-6);
	/* Spending: alpha by t = 1, and O'Brien-Fleming spends little early. */
	ck_assert_double_eq_tol(stats_ldof_spent(1, 0.01), 0.01, 1e-15);
	ck_assert(stats_ldof_spent(0.2, 0.025) < 1e-5);
}
END_TEST

/* Sample-size planning, known answers by hand (Python's
 * statistics.NormalDist): z(0.99) = 2.3263479, z(0.80) = 0.8416212, sum
 * 3.1679691; log(1.03) = 0.0295588.
 *   sd 0.126, +3%: (3.1679691 * 0.126 / 0.0295588)^2 = 182.360 pairs (the
 *   issue's ~180 for CORE at 171 rounds a minute);
 *   sd 0.148: 251.601; sd 0.126 at +1% (log 0.00995033): 1609.266;
 *   sd 0.126, +3%, AR(1) factor 1.5: 1.5 * 182.360 = 273.540.
 * The minimum detectable change is the inverse: at 50 pairs, sd 0.126,
 * 3.1679691 * 0.126 / sqrt(50) = 0.0564507, expm1 = 5.8074%; at 100 pairs,
 * sd 0.1, factor 2: 3.1679691 * 0.1 * sqrt(0.02) = 0.0448023, 4.5821%. */
/* The rank test's floor for dependent rounds (stats_sign_floor_p): the
 * exact p of n pairs all of one sign, 2^-(n-1), up to 50 pairs, the
 * continuity-corrected normal one beyond, its normal score divided by
 * sqrt(var_factor). Values computed independently (Python's
 * statistics.NormalDist): 20 pairs at x3.9 0.0158723 (no verdict at alpha
 * 0.01 whatever the change: what CI's 20-pair repeat met); 50 at x8
 * 0.0049099, 52 at x8 0.0266354 (the switch to the normal approximation
 * makes the floor jump up); 30 at x8 0.0336177. The fewest pairs from
 * which every count reaches p: x3.9 23 (0.01) and 19 (0.02); x8 71 (0.01)
 * and 58 (0.02), not 44-50, which reach 0.01 only until the switch. */
START_TEST(test_sign_floor)
{
	ck_assert_double_eq_tol(stats_sign_floor_p(20, 3.9), 0.0158723, 1e-6);
	ck_assert_double_eq_tol(stats_sign_floor_p(50, 8), 0.0049099, 1e-6);
	ck_assert_double_eq_tol(stats_sign_floor_p(52, 8), 0.0266354, 1e-6);
	ck_assert_double_eq_tol(stats_sign_floor_p(30, 8), 0.0336177, 1e-6);
	ck_assert_double_eq_tol(stats_sign_floor_p(5, 1), 0.0625, 1e-12);
	ck_assert_double_eq(stats_sign_floor_p(0, 2), 1);
	ck_assert_uint_eq(stats_sign_floor_pairs(3.9, 0.01, 1000), 23);
	ck_assert_uint_eq(stats_sign_floor_pairs(3.9, 0.02, 1000), 19);
	ck_assert_uint_eq(stats_sign_floor_pairs(8, 0.01, 1000), 71);
	ck_assert_uint_eq(stats_sign_floor_pairs(8, 0.02, 1000), 58);
	/* Out of reach within the search: 0. */
	ck_assert_uint_eq(stats_sign_floor_pairs(8, 0.01, 60), 0);
}
END_TEST

START_TEST(test_plan_pairs)
{
	ck_assert_double_eq_tol(stats_plan_pairs(0.126, log(1.03), 0.01, 0.8, 1), 182.35988, 1e-3);
	ck_assert_double_eq_tol(stats_plan_pairs(0.148, log(1.03), 0.01, 0.8, 1), 251.60058, 1e-3);
	ck_assert_double_eq_tol(stats_plan_pairs(0.126, log(1.01), 0.01, 0.8, 1), 1609.26632, 1e-2);
	ck_assert_double_eq_tol(stats_plan_pairs(0.126, log(1.03), 0.01, 0.8, 1.5), 273.53982, 1e-3);
	/* A factor below 1 is taken as 1; no change to detect: infinity. */
	ck_assert_double_eq_tol(stats_plan_pairs(0.126, log(1.03), 0.01, 0.8, 0.5), 182.35988, 1e-3);
	ck_assert(isinf(stats_plan_pairs(0.126, 0, 0.01, 0.8, 1)));
	ck_assert_double_eq_tol(100 * expm1(stats_plan_mde(0.126, 50, 0.01, 0.8, 1)), 5.8074058, 1e-5);
	ck_assert_double_eq_tol(100 * expm1(stats_plan_mde(0.1, 100, 0.01, 0.8, 2)), 4.5820609, 1e-5);
	/* The inverse of each other: 182.36 pairs detect 3%. */
	ck_assert_double_eq_tol(stats_plan_mde(0.126, 182.35988187, 0.01, 0.8, 1), log(1.03), 1e-9);
	ck_assert(isinf(stats_plan_mde(0.126, 0, 0.01, 0.8, 1)));
}
END_TEST

/* The verdict rule on hand-made intervals (threshold 3 ms, alpha 0.01). */
START_TEST(test_verdict_rule)
{
	struct verdict_in in = {.lo = 0.5, .hi = 2.0, .sig_lo = 0.2, .sig_hi = 2.3, .p_adj = 0.001,
	                        .alpha = 0.01, .thr_ms = 3};
	/* Significantly slower but within the threshold: the gate passes. */
	ck_assert_int_eq(verdict_report(&in), V_SLOWER);
	ck_assert_int_eq(verdict_gate(&in), GATE_PASS);
	/* The lower bound beyond the threshold: FAIL. A point estimate beyond
	 * it with the bound below is not enough (undecided). */
	in.lo = 3.2, in.hi = 9;
	ck_assert_int_eq(verdict_gate(&in), GATE_FAIL);
	in.lo = 0.6, in.hi = 26.9;
	ck_assert_int_eq(verdict_gate(&in), GATE_UNDECIDED);
	/* Equivalence: the interval within +-3 ms and no significant change. */
	in.lo = -2.5, in.hi = 2.5, in.p_adj = 0.4;
	ck_assert_int_eq(verdict_report(&in), V_SAME);
	ck_assert(verdict_equivalent(&in));
	ck_assert_int_eq(verdict_gate(&in), GATE_PASS);
	in.lo = -3.5;
	ck_assert_int_eq(verdict_report(&in), V_UNDECIDED);
	ck_assert_int_eq(verdict_gate(&in), GATE_PASS);
	in.lo = -9, in.hi = -4, in.sig_lo = -10, in.sig_hi = -3, in.p_adj = 0.0001;
	ck_assert_int_eq(verdict_report(&in), V_FASTER);
	/* Significance is two-sided: the wider interval must exclude 0 too. */
	in.sig_hi = 0.5;
	ck_assert_int_eq(verdict_report(&in), V_UNDECIDED);
	ck_assert_str_eq(verdict_name(V_SAME), "same");
	ck_assert_str_eq(verdict_gate_name(GATE_UNDECIDED), "UNDECIDED");
	/* Sequential levels: strict early, near alpha last, never above it. */
	long n[] = {50, 60, 70, 80};
	double la[4];
	verdict_sequential_alphas(n, 4, 0.01, la);
	ck_assert(la[0] < la[1] && la[1] < la[2] && la[2] < la[3] && la[3] < 0.01);
	ck_assert(la[3] > 0.008);
}
END_TEST

/* The analysis on a run built in memory: B takes exactly 1.1 times A's
 * time in every round, so every log ratio is log 1.1 and the shift is
 * 10% of A's median with a zero-width interval, whatever the level. Three
 * arms: the CORE family holds the two candidates, the secondary family
 * the other five phases of both (10), and no family spans runs. */
START_TEST(test_analysis_families)
{
	struct run_analysis ra;
	memset(&ra, 0, sizeof ra);
	const int rounds = 20;
	ra.sf.narms = 3;
	ra.sf.arms = util_xcalloc(3, sizeof *ra.sf.arms);
	ra.sf.arms[0] = util_xstrdup("A");
	ra.sf.arms[1] = util_xstrdup("B");
	ra.sf.arms[2] = util_xstrdup("C");
	ra.sf.n = 3 * rounds;
	ra.sf.s = util_xcalloc(ra.sf.n, sizeof *ra.sf.s);
	for (int r = 0; r < rounds; r++)
		for (int a = 0; a < 3; a++) {
			struct sample *s = &ra.sf.s[3 * r + a];
			s->seq = 3 * r + a;
			s->arm = a;
			s->round = r;
			s->ok = 1;
			double base = 100 + (r * 37 % 11);
			for (int p = 0; p < PH_COUNT; p++)
				s->ns[p] = (int64_t)(base * (a == 1 ? 1.1 : 1.0) * 1e6);
		}
	analysis_index_samples(&ra);
	struct analysis_opts o = ANALYSIS_OPTS_DEFAULT;
	o.reps = 1;
	analysis_compare(&ra, &o);
	analysis_adjust(&ra, 1, &o, (1u << PH_COUNT) - 1);
	ck_assert_uint_eq(ra.ncmp, 2 * PH_COUNT);
	for (size_t k = 0; k < ra.ncmp; k++) {
		const struct comparison *c = &ra.cmp[k];
		ck_assert_uint_eq(c->family_size, c->phase == PH_CORE ? 2 : 2 * (PH_COUNT - 1));
		ck_assert_int_eq(c->family, c->phase == PH_CORE ? FAMILY_PRIMARY : FAMILY_SECONDARY);
		if (c->b == 1) {
			ck_assert_double_eq_tol(c->shift_ms, 0.1 * c->med_a, 1e-6);
			ck_assert_double_eq_tol(c->shift_lo, c->shift_ms, 1e-6);
			ck_assert_double_eq_tol(c->shift_hi, c->shift_ms, 1e-6);
			ck_assert_int_eq(c->gate, GATE_FAIL);
			ck_assert_int_eq(c->verdict, V_SLOWER);
		} else {
			ck_assert_double_eq_tol(c->shift_ms, 0, 1e-9);
			ck_assert_int_eq(c->verdict, V_SAME);
			ck_assert_int_eq(c->gate, GATE_PASS);
		}
		/* A first in every round: no B-first group. */
		ck_assert_uint_eq(c->co_n_bfirst, 0);
	}
	analysis_free(&ra);
	/* Trend: times growing by a factor exp(0.001) per boot grow by
	 * 100 * (exp(0.1) - 1) = 10.517% per 100 boots (math.expm1 in
	 * Python 3); a steady series has lag-1 autocorrelation near +1. */
	memset(&ra, 0, sizeof ra);
	ra.sf.narms = 2;
	ra.sf.arms = util_xcalloc(2, sizeof *ra.sf.arms);
	ra.sf.arms[0] = util_xstrdup("A");
	ra.sf.arms[1] = util_xstrdup("B");
	ra.sf.n = 200;
	ra.sf.s = util_xcalloc(ra.sf.n, sizeof *ra.sf.s);
	for (int k = 0; k < 200; k++) {
		struct sample *s = &ra.sf.s[k];
		s->seq = k;
		s->arm = k % 2;
		s->round = k / 2;
		s->ok = 1;
		for (int p = 0; p < PH_COUNT; p++)
			s->ns[p] = (int64_t)(100e6 * exp(0.001 * k));
	}
	analysis_index_samples(&ra);
	ck_assert_double_eq_tol(ra.arms[0].trend_pct_per_100[PH_CORE], 10.517091807564771, 1e-4);
	ck_assert_double_eq_tol(ra.arms[1].trend_pct_per_100[PH_CORE], 10.517091807564771, 1e-4);
	ck_assert(ra.arms[0].lag1[PH_CORE] > 0.9);
	analysis_free(&ra);
}
END_TEST

Suite *suite_stats(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("known answers");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_quantiles);
	tcase_add_test(tc, test_mann_whitney_exact);
	tcase_add_test(tc, test_mann_whitney_ties);
	tcase_add_test(tc, test_wilcoxon);
	tcase_add_test(tc, test_dependence);
	tcase_add_test(tc, test_hodges_lehmann_and_holm);
	tcase_add_test(tc, test_bootstrap_deterministic);
	tcase_add_test(tc, test_intervals);
	tcase_add_test(tc, test_intervals_large);
	tcase_add_test(tc, test_gs_bounds);
	tcase_add_test(tc, test_plan_pairs);
	tcase_add_test(tc, test_sign_floor);
	tcase_add_test(tc, test_verdict_rule);
	tcase_add_test(tc, test_analysis_families);
	suite_add_tcase(s, tc);
	return s;
}
