/* gate: the sequential-look policy of `gate --adaptive` (analysis/gate.h).
 * The levels are verdict_sequential_alphas' (its known answers are in
 * verdict.h: 0.0011, 0.0026, 0.0049, 0.0080 for alpha 0.01 and looks at
 * 50, 60, 70 and 80 pairs); here: how many looks, at which pairs, and how
 * many rounds go before each. */
#include "tests.h"
#include "answer.h"
#include "gate.h"
#include "verdict.h"

#include <math.h>
#include <string.h>

START_TEST(test_gate_looks_plan_levels)
{
	/* First look at 50 pairs, +10 per look up to +30: looks at 50, 60, 70,
	 * 80 pairs, the levels verdict.h quotes. */
	struct gate_looks gl;
	gate_looks_plan(&gl, 50, 30, 10, 0.01);
	ck_assert_int_eq(gl.looks, 4);
	static const double want[] = {0.0011, 0.0026, 0.0049, 0.0080};
	for (int i = 0; i < 4; i++)
		ck_assert_msg(fabs(gl.alpha[i] - want[i]) < 0.00006, "look %d: %g, want %g", i + 1, gl.alpha[i],
		              want[i]);
	for (int i = 1; i < gl.looks; i++)
		ck_assert(gl.alpha[i] > gl.alpha[i - 1] && gl.alpha[i] <= 0.01);
	gate_looks_free(&gl);
}
END_TEST

START_TEST(test_gate_looks_steps)
{
	/* A budget of 25 in steps of 10: 10, 10, 5, then no more; looks 4. */
	struct gate_looks gl;
	gate_looks_plan(&gl, 20, 25, 10, 0.01);
	ck_assert_int_eq(gl.looks, 4);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_UNDECIDED), 10);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_UNDECIDED), 10);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_UNDECIDED), 5);
	ck_assert_int_eq(gl.added, 25);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_UNDECIDED), 0);
	gate_looks_free(&gl);
	/* A decision at any look ends the looks, whatever is left. */
	gate_looks_plan(&gl, 20, 100, 10, 0.01);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_UNDECIDED), 10);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_PASS), 0);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_FAIL), 0);
	ck_assert_int_eq(gate_looks_next(&gl, GATE_INVALID), 0);
	ck_assert_int_eq(gl.added, 10);
	gate_looks_free(&gl);
	/* No pairs readable at the first look: planned as one pair. */
	gate_looks_plan(&gl, 0, 10, 10, 0.01);
	ck_assert_int_eq(gl.looks, 2);
	ck_assert(gl.alpha[0] >= 0 && gl.alpha[0] < gl.alpha[1] && gl.alpha[1] <= 0.01);
	gate_looks_free(&gl);
}
END_TEST

/* The advice line's figures (answer_advice, answer_mde), from the known
 * answers of test_plan_pairs: sd 0.126 at +3%, alpha 0.01, 80% power needs
 * 182.36 pairs, so 183 in all: 133 more after 50; with the AR(1) factor
 * 1.5, 273.54 -> 274, 224 more. At 50 pairs the detectable change is
 * 5.8074% (printed to 2 significant digits: 5.8%). */
START_TEST(test_gate_advice)
{
	struct comparison c = {.npairs = 50, .pair_log_sd = 0.126, .dep_factor = 1};
	char buf[320];
	ck_assert_int_eq(answer_advice(&c, 0.01, 3, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "about 133 more pairs would decide a change of 3% at the observed noise "
	                      "(sd of paired log-ratios 0.126)");
	c.dep_factor = 1.5;
	ck_assert_int_eq(answer_advice(&c, 0.01, 3, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "about 224 more pairs would decide a change of 3% at the observed noise "
	                      "(sd of paired log-ratios 0.126, variance x1.50 for dependent rounds)");
	/* Enough pairs already: the shift sits near the threshold. */
	c.npairs = 300;
	c.dep_factor = 1;
	ck_assert_int_eq(answer_advice(&c, 0.01, 3, buf, sizeof buf), 1);
	ck_assert_msg(strstr(buf, "183 pairs decide a change of 3%; the shift lies near the threshold"),
	              "%s", buf);
	c.npairs = 50;
	ck_assert_int_eq(answer_mde(&c, 0.01, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "the smallest change these 50 pairs detect (80% power) is 5.8% (sd of "
	                      "paired log-ratios 0.126)");
	/* Nothing to plan with: too few pairs, no log ratios, a 0% threshold. */
	c.npairs = 4;
	ck_assert_int_eq(answer_advice(&c, 0.01, 3, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	c.npairs = 50;
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, buf, sizeof buf), 0);
	c.pair_log_sd = NAN;
	ck_assert_int_eq(answer_mde(&c, 0.01, buf, sizeof buf), 0);
}
END_TEST

Suite *suite_gate(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("looks");
	tcase_add_test(tc, test_gate_looks_plan_levels);
	tcase_add_test(tc, test_gate_looks_steps);
	tcase_add_test(tc, test_gate_advice);
	suite_add_tcase(s, tc);
	return s;
}
