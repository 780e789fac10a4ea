/* report: the cells of results.csv. A string a run directory supplies (an
 * arm name, a label, the run's path) is never a live spreadsheet formula:
 * OWASP's CSV-injection advice, a leading single quote inside quotes for a
 * cell starting with = + - @ tab or CR; a cell that is only a number stays
 * a number. */
#define _GNU_SOURCE
#include "report.h"
#include "tests.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *cell(const char *s, int always)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	report_csv_field(f, s, always);
	fclose(f);
	return buf;
}

START_TEST(test_csv_cells)
{
	static const struct {
		const char *in;
		int always;
		const char *want;
	} cases[] = {
		{"stock", 0, "stock"},
		{"stock", 1, "\"stock\""},
		{"a,b", 0, "\"a,b\""},
		{"say \"hi\"", 0, "\"say \"\"hi\"\"\""},
		{"=HYPERLINK(\"http://x\")", 0, "\"'=HYPERLINK(\"\"http://x\"\")\""},
		{"=1+2", 1, "\"'=1+2\""},
		{"+cmd|' /C calc'!A0", 0, "\"'+cmd|' /C calc'!A0\""},
		{"-2+3", 0, "\"'-2+3\""},
		{"@SUM(A1)", 0, "\"'@SUM(A1)\""},
		{"\tx", 0, "\"'\tx\""},
		{"\rx", 0, "\"'\rx\""},
		/* plain numbers are numbers, not formulas */
		{"-12.5", 0, "-12.5"},
		{"+3", 0, "+3"},
		{"-", 0, "\"'-\""},
		{"-1e5", 0, "\"'-1e5\""},
		{"", 0, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = cell(cases[i].in, cases[i].always);
		ck_assert_msg(strcmp(got, cases[i].want) == 0, "case %zu: '%s', want '%s'", i, got,
		              cases[i].want);
		free(got);
	}
}
END_TEST

/* An open interval says why: "too few boots" only when n is below the
 * minimum (ANALYSIS_MIN_BOOTS, or 2^-n above the one-sided level: at
 * shift_tail 0.005, 2^-7 = 0.0078 is above and 2^-8 = 0.0039 within), an
 * unpaired interval always; else the widening for dependent rounds
 * (dep_factor > 1) opened it: "interval open at this noise". */
START_TEST(test_open_interval_reason)
{
	struct comparison c = {.med_a = 100, .shift_ms = 4, .shift_lo = -INFINITY, .shift_hi = INFINITY,
	                       .shift_tail = 0.005, .used_paired = 1, .dep_factor = 1.72, .npairs = 20};
	char buf[128];
	report_shift_text(&c, 20, buf, sizeof buf);
	ck_assert_str_eq(buf, "+4.0%, interval open at this noise (n=20)");
	c.npairs = 8;
	report_shift_text(&c, 8, buf, sizeof buf);
	ck_assert_str_eq(buf, "+4.0%, interval open at this noise (n=8)");
	c.npairs = 7;
	report_shift_text(&c, 7, buf, sizeof buf);
	ck_assert_str_eq(buf, "+4.0%, too few boots (n=7) for an interval");
	c.npairs = 20;
	c.dep_factor = 1; /* no widening: only n can have opened it */
	report_shift_text(&c, 20, buf, sizeof buf);
	ck_assert_str_eq(buf, "+4.0%, too few boots (n=20) for an interval");
	c.dep_factor = 1.72;
	c.used_paired = 0;
	report_shift_text(&c, 2, buf, sizeof buf);
	ck_assert_str_eq(buf, "+4.0%, too few boots (n=2) for an interval");
	ck_assert_int_eq(analysis_open_reason(&c, 2, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "too few boots (n=2)");
}
END_TEST

Suite *suite_report(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("csv");
	tcase_add_test(tc, test_csv_cells);
	tcase_add_test(tc, test_open_interval_reason);
	suite_add_tcase(s, tc);
	return s;
}
