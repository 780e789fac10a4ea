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
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, 3, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "about 133 more pairs would decide a change of 3% at the observed noise "
	                      "(sd of paired log-ratios 0.126)");
	c.dep_factor = 1.5;
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, 3, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "about 224 more pairs would decide a change of 3% at the observed noise "
	                      "(sd of paired log-ratios 0.126, variance x1.50 for dependent rounds)");
	/* Enough pairs already: the shift sits near the threshold. */
	c.npairs = 300;
	c.dep_factor = 1;
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, 3, buf, sizeof buf), 1);
	ck_assert_msg(strstr(buf, "183 pairs decide a change of 3%; the shift lies near the threshold"),
	              "%s", buf);
	c.npairs = 50;
	ck_assert_int_eq(answer_mde(&c, 0.01, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "the smallest change these 50 pairs detect (80% power) is 5.8% (sd of "
	                      "paired log-ratios 0.126)");
	/* Nothing to plan with: too few pairs, no log ratios, a 0% threshold. */
	c.npairs = 4;
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, 3, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	c.npairs = 50;
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, 0, buf, sizeof buf), 0);
	c.pair_log_sd = NAN;
	ck_assert_int_eq(answer_mde(&c, 0.01, buf, sizeof buf), 0);
	/* Rounds so dependent that no change of any size can be decided (the
	 * floors of test_sign_floor): 20 pairs at x3.90 fall short of alpha
	 * 0.01 two-sided (compare's verdict), though the gate's interval at
	 * 0.01 per side closes there; not "near the threshold", which the plan
	 * alone (7 pairs at sd 0.012) would have said. */
	c = (struct comparison){.npairs = 20, .pair_log_sd = 0.012, .dep_factor = 3.9};
	ck_assert_int_eq(answer_advice(&c, 0.01, 1, 3, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "20 pairs cannot decide a change of any size at this dependence of rounds "
	                      "(variance x3.90): even all 20 of one sign fall short of alpha 0.01; "
	                      "from 23 pairs on every count can (3 more)");
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, 3, buf, sizeof buf), 1);
	ck_assert_msg(strstr(buf, "the shift lies near the threshold"), "%s", buf);
	/* The plan asks for more than the floor: both said. */
	c = (struct comparison){.npairs = 30, .pair_log_sd = 0.126, .dep_factor = 8};
	ck_assert_int_eq(answer_advice(&c, 0.01, 0, 3, buf, sizeof buf), 1);
	ck_assert_msg(strstr(buf, "30 pairs cannot decide a change of any size") &&
	              strstr(buf, "from 58 pairs on every count can, and about 1429 more would decide a "
	                          "change of 3%"), "%s", buf);
}
END_TEST

/* --budget's plan (gate_budget_plan), by hand: 171 rounds a minute (the
 * issue's two-arm rate) for 5 minutes buy floor(855) rounds; extensions of
 * 10 rounds cost 11 (a warm-up each): 77 whole ones (847 rounds, 770 pairs)
 * and 8 left, one more of 7: 777 pairs. 60 a minute for 30 s: 30 rounds,
 * 5 extensions of 5 + 1: 25 pairs; 31 s: 1 left over, too few for a
 * warm-up and a pair: 25; 32 s: 2 left, one more pair: 26. 1 s: 1 round,
 * nothing. No rate: nothing. */
START_TEST(test_gate_budget_plan)
{
	struct gate_rate r = {.rounds_per_min = 171};
	struct gate_budget b;
	gate_budget_plan(&b, &r, 300, 10);
	ck_assert_int_eq(b.rounds, 855);
	ck_assert_int_eq(b.pairs, 777);
	r.rounds_per_min = 60;
	static const struct { double s; long rounds, pairs; } want[] = {
		{30, 30, 25}, {31, 31, 25}, {32, 32, 26}, {1, 1, 0}, {2, 2, 1}};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		gate_budget_plan(&b, &r, want[i].s, 5);
		ck_assert_int_eq(b.rounds, want[i].rounds);
		ck_assert_int_eq(b.pairs, want[i].pairs);
	}
	r.rounds_per_min = 0;
	gate_budget_plan(&b, &r, 300, 10);
	ck_assert_int_eq(b.pairs, 0);
}
END_TEST

/* The round rate (gate_rate_of_samples) of hand-made samples: two arms,
 * a first chunk of 6 boots 0.5 s apart (2.5 s, 5 intervals) and an
 * appended chunk whose clock starts again, 4 boots 1 s apart (3 s, 3
 * intervals), one warm-pool exec line (not a boot) between: 8 intervals in
 * 5.5 s, 4 rounds over 2 arms, 4 / (5.5 / 60) = 43.636 rounds a minute. */
START_TEST(test_gate_round_rate)
{
	struct sample s[11];
	memset(s, 0, sizeof s);
	int64_t t[] = {0, 500000000, 1000000000, 1500000000, 2000000000, 2500000000,
	               100, 1000000100, 2000000100, 3000000100};
	for (int i = 0, k = 0; i < 11; i++) {
		if (i == 6) {
			s[i].kind = BOOT_EXEC;
			s[i].t_ns = 999999999999;
			continue;
		}
		s[i].t_ns = t[k++];
		s[i].arm = i % 2;
	}
	char *arms[] = {"a", "b"};
	struct samples_file sf = {.arms = arms, .narms = 2, .s = s, .n = 11};
	struct gate_rate r;
	gate_rate_of_samples(&sf, &r);
	ck_assert_double_eq_tol(r.rounds, 4, 1e-12);
	ck_assert_double_eq_tol(r.span_s, 5.5, 1e-9);
	ck_assert_double_eq_tol(r.rounds_per_min, 43.636363636, 1e-6);
	/* One boot per chunk: no interval, no rate. */
	sf.n = 1;
	gate_rate_of_samples(&sf, &r);
	ck_assert(r.rounds_per_min == 0);
}
END_TEST

Suite *suite_gate(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("looks");
	tcase_add_test(tc, test_gate_looks_plan_levels);
	tcase_add_test(tc, test_gate_looks_steps);
	tcase_add_test(tc, test_gate_advice);
	tcase_add_test(tc, test_gate_budget_plan);
	tcase_add_test(tc, test_gate_round_rate);
	suite_add_tcase(s, tc);
	return s;
}
