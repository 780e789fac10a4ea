/* gvab compare: answer lines and the table from an existing run (fake runsc
 * copies that differ by +80 ms in create), nothing written into the run
 * directory, bad input named.
 *
 * What the checks ask of a run holds whatever the noise:
 * - The run that must say "slower" has 80 pairs, booted under SCHED_FIFO
 *   (chrt -f 1, inherited by gvab and the fake runsc) so that every pair
 *   has B slower. The interval is widened for dependent rounds by up to x8
 *   (stats_ar1_variance_factor's cap, reached when the load drifts through
 *   a run), and at 20-74 pairs that alone can leave a change of any size
 *   undecided: crafted runs with every pair +81% and a steady drift came
 *   out undecided at 40-42 and 52-74 pairs, slower at 44-50 and from 76
 *   on (exact null up to 50 pairs, the normal one beyond). CI met it at 20
 *   pairs: the repeat had no interval and compare, rightly, no between-runs
 *   spread.
 * - The 20-pair repeat may or may not be decided, so the between-runs
 *   section is checked in the form its interval calls for: the shifts
 *   when it has one, "only 1 with an interval" when not; the report's
 *   repeated-runs section likewise. The spread itself, on runs made to
 *   have it, is test_answers.c's test_between_runs_too_few_in_words. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"
#include "../skip.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n++;
	if (d)
		closedir(d);
	return n;
}

START_TEST(test_compare_answers)
{
	int fifo = itest_have_fifo();
	/* A create of 30 ms, and B's 80 ms more. */
	setenv("FAKE_CREATE_MS", "30", 1);
	char *d = itest_tmpdir("compare");
	char *a = util_fmt("%s/a-runsc", d), *b = util_fmt("%s/b-runsc", d), *bf = util_fmt("%s.create_ms", b);
	ck_assert_int_eq(util_copy_file(itest_fake(), a, 0755), 0);
	ck_assert_int_eq(util_copy_file(itest_fake(), b, 0755), 0);
	/* Far beyond the noise of a busy machine: B creates 80 ms slower, over
	 * 80 pairs (the header says why so many). */
	ck_assert_int_eq(util_write_file_atomic(bf, "80\n", 3), 0);
	char *bundle = util_fmt("%s/bundle", d), *run = util_fmt("%s/run", d);
	itest_bundle(bundle, NULL);
	char *aa = util_fmt("base=%s", a), *ba = util_fmt("slowed=%s", b);
	char *rv[] = {ITEST_FIFO, (char *)itest_gvab(), "run", "-q", "--out", run, "--bundle", bundle,
	              "--iterations", "80", "--warmups", "1", "--arm", aa, "--arm", ba, NULL};
	char *ro = NULL;
	ck_assert_int_eq(itest_run(&ro, itest_fifo(rv, fifo)), 0);
	/* gvab run ends with the answer ("slower" only where the boots are
	 * the fakes' sleeps). */
	ck_assert_msg(strstr(ro, "slowed: core ") && (!fifo || strstr(ro, "slower (paired, n=80)")), "%s", ro);
	free(ro);
	int before = count_entries(run);
	char *o = NULL;
	char *cv[] = {(char *)itest_gvab(), "compare", run, NULL};
	ck_assert_int_eq(itest_run(&o, cv), 0);
	ck_assert_msg(strstr(o, "slowed: core ") && (!fifo || strstr(o, ", slower (paired, n=80)")), "%s", o);
	ck_assert_ptr_nonnull(strstr(o, "slowed         create"));
	/* CPU time per boot (rusage of the boot's processes) beside wall time. */
	ck_assert_ptr_nonnull(strstr(o, "CPU time per boot"));
	ck_assert_ptr_nonnull(strstr(o, "| slowed | 80 |"));
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", run);
	ck_assert_int_eq(itest_count_lines(sp, "\"cpu\":{\"user_ns\":"), 162);
	free(sp);
	/* A repeat of the same arms: the shift between runs, with its variance
	 * components, or in words why there is none. */
	char *run2 = util_fmt("%s/run2", d);
	char *rv2[] = {ITEST_FIFO, (char *)itest_gvab(), "run", "-q", "--out", run2, "--bundle", bundle,
	               "--iterations", "20", "--warmups", "1", "--arm", aa, "--arm", ba, NULL};
	ck_assert_int_eq(itest_run(NULL, itest_fifo(rv2, fifo)), 0);
	/* Whether the repeat has an interval: its own answer line. */
	char *c2[] = {(char *)itest_gvab(), "compare", run2, NULL};
	ck_assert_int_eq(itest_run(&o, c2), 0);
	const char *at = strstr(o, "slowed: core ");
	ck_assert_msg(at, "%s", o);
	char *ans = strndup(at, strcspn(at, "\n"));
	/* No interval is "[-100.0, open]" (the rank interval's two ends are
	 * open together) or "too few boots (n=N)". */
	int decided2 = !strstr(ans, "open]") && !strstr(ans, "too few boots");
	fprintf(stderr, "compare: the 20-pair repeat %s an interval: %s\n", decided2 ? "has" : "lacks", ans);
	free(ans);
	free(o);
	char *cv2[] = {(char *)itest_gvab(), "compare", run, run2, NULL};
	ck_assert_int_eq(itest_run(&o, cv2), 0);
	if (decided2)
		ck_assert_msg(strstr(o, "Between runs, slowed against base on core (2 runs): shifts +") &&
		              strstr(o, "between-run sd"), "%s", o);
	else
		ck_assert_msg(strstr(o, "Between runs, slowed against base on core (2 runs): only 1 with an "
		                        "interval") && !strstr(o, "between-run sd"), "%s", o);
	free(o);
	/* The report gives the same figures (section, results.json, page) over
	 * the repeats, and nothing of the kind for one run. */
	char *rep = util_fmt("%s/rep", d), *rep1 = util_fmt("%s/rep1", d);
	char *pv[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", rep, run, run2, NULL};
	ck_assert_int_eq(itest_run(NULL, pv), 0);
	itest_repeats_section(rep, "| slowed vs base | 2 | run +", decided2);
	char *pv1[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", rep1, run, NULL};
	ck_assert_int_eq(itest_run(NULL, pv1), 0);
	char *mdp1 = util_fmt("%s/report.md", rep1), *jsp1 = util_fmt("%s/results.json", rep1);
	ck_assert_int_eq(itest_count_lines(mdp1, "Repeated runs"), 0);
	ck_assert_int_eq(itest_count_lines(jsp1, "between_run"), 0);
	free(mdp1);
	free(jsp1);
	free(rep);
	free(rep1);
	free(run2);
	ck_assert_int_eq(count_entries(run), before);
	char *bad[] = {(char *)itest_gvab(), "compare", "--metric", "boot", run, NULL};
	ck_assert_int_eq(itest_run(NULL, bad), 64);
	char *missing = util_fmt("%s/nothing", d);
	char *mv[] = {(char *)itest_gvab(), "compare", missing, NULL};
	ck_assert_int_ne(itest_run(&o, mv), 0);
	ck_assert_ptr_nonnull(strstr(o, missing));
	free(o);
	unsetenv("FAKE_CREATE_MS");
	util_rm_rf(d);
	free(missing);
	free(aa);
	free(ba);
	free(bundle);
	free(run);
	free(a);
	free(b);
	free(bf);
	free(d);
	if (!fifo)
		TEST_SKIP("chrt -f 1 refused (no real-time scheduling here): the 80-pair run's \"slower\" "
		          "was not checked");
}
END_TEST


/* bash completion: commands, a command's options from its help text. */
START_TEST(test_completion)
{
	char *dir = util_xstrdup(itest_gvab());
	*strrchr(dir, '/') = '\0';
	char *script = util_fmt(
		"PATH=%s:$PATH; source rig/cmd/gvab-completion.bash; "
		"COMP_WORDS=(gvab bi); COMP_CWORD=1; _gvab; echo \"1:${COMPREPLY[*]}\"; "
		"COMP_WORDS=(gvab bisect --max); COMP_CWORD=2; _gvab; echo \"2:${COMPREPLY[*]}\"; "
		"COMP_WORDS=(gvab build --arm hostmm); COMP_CWORD=3; _gvab; echo \"3:${COMPREPLY[*]}\"; "
		/* Option rows only: footprint's prose names run's --cold and
		 * --memory; "-q, --quiet" rows give --quiet. */
		"COMP_WORDS=(gvab footprint --); COMP_CWORD=2; _gvab; echo \"4:${COMPREPLY[*]}\"; "
		"COMP_WORDS=(gvab build --q); COMP_CWORD=2; _gvab; echo \"5:${COMPREPLY[*]}\"; "
		"COMP_WORDS=(gvab report --no); COMP_CWORD=2; _gvab; echo \"6:${COMPREPLY[*]}\"",
		dir);
	char *argv[] = {"bash", "-c", script, NULL};
	char *o = NULL;
	ck_assert_int_eq(itest_run(&o, argv), 0);
	ck_assert_msg(strstr(o, "1:bisect\n") && strstr(o, "2:--max-steps\n") && strstr(o, "3:hostmm-lazy\n") &&
	              strstr(o, "4:--help --out\n") && strstr(o, "5:--quiet\n") && strstr(o, "6:--no-charts\n"),
	              "%s", o);
	free(o);
	free(script);
	free(dir);
}
END_TEST

Suite *suite_compare(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("compare");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_compare_answers);
	tcase_add_test(tc, test_completion);
	suite_add_tcase(s, tc);
	return s;
}
