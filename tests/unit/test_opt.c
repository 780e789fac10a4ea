/* opt: one table gives parsing and help; errors are one line and 64. */
#define _GNU_SOURCE
#include "tests.h"
#include "error.h"
#include "opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_OUT = 1, O_QUIET, O_MEM, O_VERYLONG };
static const struct opt opts[] = {
	{"out", 'o', OPT_REQUIRED, "DIR", "the directory", O_OUT},
	{"quiet", 'q', OPT_NONE, NULL, "no progress", O_QUIET},
	{"memory", 0, OPT_OPTIONAL, "[=K]", "sample memory\nK times", O_MEM},
	{"a-very-long-option-name", 0, OPT_REQUIRED, "VALUE", "wraps", O_VERYLONG},
	{0}};
static const struct opt_cmd cmd = {"demo", "[options] FILE...", "About it.\n", opts, "Exit: 0.\n",
                                   "demo --out d f\ndemo -q f \\\n    g\n$ make demo   # another program"};

/* Parses argv; returns the ids seen as a string of digits and sets *ind. */
static int parse(char **argv, char *ids, const char **out, const char **mem, int *ind)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	size_t k = 0;
	for (int id; (id = opt_next(&p)) > 0;) {
		ids[k++] = (char)('0' + id);
		if (id == O_OUT)
			*out = p.arg;
		if (id == O_MEM)
			*mem = p.arg ? p.arg : "(none)";
	}
	ids[k] = 0;
	*ind = p.ind;
	int st = p.status;
	if (st != OPT_DONE)
		opt_exit(&p);
	return st;
}

START_TEST(test_opt_parse)
{
	char ids[16];
	const char *out = NULL, *mem = NULL;
	int ind = 0;
	char *a1[] = {"demo", "f1", "--out", "d", "-q", "--memory=5", "f2", NULL};
	ck_assert_int_eq(parse(a1, ids, &out, &mem, &ind), OPT_DONE);
	ck_assert_str_eq(ids, "123");
	ck_assert_str_eq(out, "d");
	ck_assert_str_eq(mem, "5");
	/* Operands are permuted to the end, in order. */
	ck_assert_int_eq(ind, 5);
	ck_assert_str_eq(a1[5], "f1");
	ck_assert_str_eq(a1[6], "f2");
	char *a2[] = {"demo", "-qo", "x", "--memory", "--", "--out", NULL};
	out = mem = NULL;
	ck_assert_int_eq(parse(a2, ids, &out, &mem, &ind), OPT_DONE);
	ck_assert_str_eq(ids, "213");
	ck_assert_str_eq(out, "x");
	ck_assert_str_eq(mem, "(none)");
	ck_assert_str_eq(a2[ind], "--out");
	/* Twice in one process: the parser starts over. */
	char *a3[] = {"demo", "--out=y", NULL};
	ck_assert_int_eq(parse(a3, ids, &out, &mem, &ind), OPT_DONE);
	ck_assert_str_eq(out, "y");
}
END_TEST

START_TEST(test_opt_errors)
{
	char ids[16];
	const char *out = NULL, *mem = NULL;
	int ind;
	char *bad[][4] = {{"demo", "--bogus", NULL}, {"demo", "--out", NULL}, {"demo", "--quiet=1", NULL},
	                  {"demo", "-x", NULL}, {"demo", "-o", NULL}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_eq(parse(bad[i], ids, &out, &mem, &ind), OPT_ERROR);
	char *h[] = {"demo", "f", "--help", NULL};
	ck_assert_int_eq(parse(h, ids, &out, &mem, &ind), OPT_HELP);
	ck_assert_int_eq(opt_usage_error(&cmd, "want %s", "FILE"), EXIT_GVAB_USAGE);
}
END_TEST

START_TEST(test_opt_help)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	opt_help(&cmd, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "usage: gvab demo [options] FILE...\n\nAbout it.\n"));
	ck_assert_ptr_nonnull(strstr(text, "  -o, --out DIR        the directory\n"));
	ck_assert_ptr_nonnull(strstr(text, "  -q, --quiet          no progress\n"));
	ck_assert_ptr_nonnull(strstr(text, "  --memory[=K]         sample memory\n                       K times\n"));
	ck_assert_ptr_nonnull(strstr(text, "  --a-very-long-option-name VALUE\n                       wraps\n"));
	ck_assert_ptr_nonnull(strstr(text, "  -h, --help           this text\n\nExit: 0.\n"));
	ck_assert_ptr_nonnull(strstr(text, "examples:\n  gvab demo --out d f\n  gvab demo -q f \\\n      g\n"
	                                   "  make demo   # another program\n"));
	ck_assert_ptr_null(strstr(text, "%%"));
	free(text);
}
END_TEST

/* stop_at_operand: the first operand ends the options; the rest is passed on. */
START_TEST(test_opt_stop_at_operand)
{
	static const struct opt_cmd pass = {"pass", "[options] [-- ARGS...]", NULL, opts, NULL, NULL, 1};
	char *a[] = {"pass", "-q", "prog", "--out", "x", NULL};
	struct opt_parser p;
	opt_init(&p, &pass, 5, a);
	ck_assert_int_eq(opt_next(&p), O_QUIET);
	ck_assert_ptr_eq(p.opt, &opts[1]);
	ck_assert_int_eq(opt_next(&p), OPT_DONE);
	ck_assert_int_eq(p.ind, 2);
	ck_assert_str_eq(a[3], "--out");
	/* Errors are still one line and 64. */
	char *b[] = {"pass", "--out", NULL};
	opt_init(&p, &pass, 2, b);
	ck_assert_int_eq(opt_next(&p), OPT_ERROR);
	ck_assert_int_eq(opt_exit(&p), EXIT_GVAB_USAGE);
}
END_TEST

/* Values: whole and decimal numbers in range, or a usage error that stops
 * the parser (the loop ends, opt_exit gives 64). */
static int parse_values(char **argv, long *n, double *d)
{
	static const struct opt vo[] = {{"n", 0, OPT_REQUIRED, "N", "n", 1},
	                                {"d", 0, OPT_REQUIRED, "D", "d", 2},
	                                {"flag", 'f', OPT_NONE, NULL, "never valid", 3},
	                                {0}};
	static const struct opt_cmd vc = {"vals", "[options]", NULL, vo, NULL, NULL, 0};
	int argc = 0;
	while (argv[argc])
		argc++;
	struct opt_parser p;
	opt_init(&p, &vc, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		long v;
		double x;
		if (id == 1 && opt_long(&p, 1, 10, &v) == 0)
			*n = v;
		if (id == 2 && opt_double(&p, 0, 0.5, &x) == 0)
			*d = x;
		if (id == 3)
			ck_assert_int_eq(opt_error(&p, "not with '%s'", "this"), OPT_ERROR);
	}
	int st = p.status;
	if (st != OPT_DONE)
		ck_assert_int_eq(opt_exit(&p), EXIT_GVAB_USAGE);
	return st;
}

START_TEST(test_opt_values)
{
	long n = 0;
	double d = 0;
	char *ok[] = {"vals", "--n", "10", "--d=0.25", NULL};
	ck_assert_int_eq(parse_values(ok, &n, &d), OPT_DONE);
	ck_assert_int_eq(n, 10);
	ck_assert(d == 0.25);
	const char *bad[][2] = {{"--n", "11"}, {"--n", "0"}, {"--n", "3x"}, {"--n", ""}, {"--d", "0.5"},
	                        {"--d", "0"}, {"--d", "nan"}, {"--d", "x"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* The error stops the parser: the option after it is not seen. */
		char *a[] = {"vals", (char *)bad[i][0], (char *)bad[i][1], "--n", "5", NULL};
		n = 0;
		ck_assert_int_eq(parse_values(a, &n, &d), OPT_ERROR);
		ck_assert_int_eq(n, 0);
	}
	char *f[] = {"vals", "-f", "--n", "5", NULL};
	n = 0;
	ck_assert_int_eq(parse_values(f, &n, &d), OPT_ERROR);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* opt_duration: seconds, or with s, m or h, within its bounds. */
static int parse_time(const char *arg, double *out)
{
	static const struct opt to[] = {{"budget", 0, OPT_REQUIRED, "TIME", "t", 1}, {0}};
	static const struct opt_cmd tc = {"times", "[options]", NULL, to, NULL, NULL, 0};
	char *argv[] = {"times", "--budget", (char *)arg, NULL};
	struct opt_parser p;
	opt_init(&p, &tc, 3, argv);
	for (int id; (id = opt_next(&p)) > 0;)
		opt_duration(&p, 1, 86400, out);
	int st = p.status;
	if (st != OPT_DONE)
		ck_assert_int_eq(opt_exit(&p), EXIT_GVAB_USAGE);
	else
		opt_free(&p);
	return st;
}

START_TEST(test_opt_duration)
{
	static const struct { const char *arg; double s; } ok[] = {
		{"5m", 300}, {"90s", 90}, {"90", 90}, {"1.5h", 5400}, {"0.5m", 30}, {"1s", 1}, {"24h", 86400}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		double t = -1;
		ck_assert_int_eq(parse_time(ok[i].arg, &t), OPT_DONE);
		ck_assert_msg(t == ok[i].s, "%s: %g", ok[i].arg, t);
	}
	static const char *const bad[] = {"0s", "0.5", "25h", "5d", "m", "", "5 m", "-1m", "nanm", "5mm"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double t = -1;
		ck_assert_int_eq(parse_time(bad[i], &t), OPT_ERROR);
		ck_assert(t == -1);
	}
}
END_TEST

START_TEST(test_opt_end)
{
	char *argv[] = {"demo", "-q", "f", "g", NULL};
	int code = -1;
	struct opt_parser p;
	opt_init(&p, &cmd, 4, argv);
	while (opt_next(&p) > 0)
		;
	ck_assert_int_eq(opt_end(&p, 2, &code), 0); /* two operands allowed */
	opt_init(&p, &cmd, 4, argv);
	while (opt_next(&p) > 0)
		;
	ck_assert_int_eq(opt_end(&p, 1, &code), 1); /* 'g' is one too many */
	ck_assert_int_eq(code, EXIT_GVAB_USAGE);
	char *h[] = {"demo", "--help", NULL};
	opt_init(&p, &cmd, 2, h);
	while (opt_next(&p) > 0)
		;
	ck_assert_int_eq(opt_end(&p, 0, &code), 1);
	ck_assert_int_eq(code, 0);
}
END_TEST

Suite *suite_opt(void)
{
	Suite *s = suite_create("opt");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_opt_parse);
	tcase_add_test(tc, test_opt_errors);
	tcase_add_test(tc, test_opt_help);
	tcase_add_test(tc, test_opt_end);
	tcase_add_test(tc, test_opt_stop_at_operand);
	tcase_add_test(tc, test_opt_values);
	tcase_add_test(tc, test_opt_duration);
	suite_add_tcase(s, tc);
	return s;
}
