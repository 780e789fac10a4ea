/* Known-answer tests for analysis/stats.c. Expected values were computed
 * independently in Python 3 (standard library only): exact p-values by
 * brute-force enumeration of every group assignment / sign flip, normal
 * approximations with math.erfc, quantiles by hand (type 7). */
#include "stats.h"
#include "tests.h"

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

Suite *suite_stats(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("known answers");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_quantiles);
	tcase_add_test(tc, test_mann_whitney_exact);
	tcase_add_test(tc, test_mann_whitney_ties);
	tcase_add_test(tc, test_wilcoxon);
	tcase_add_test(tc, test_hodges_lehmann_and_holm);
	tcase_add_test(tc, test_bootstrap_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
