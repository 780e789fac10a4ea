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
                                   "demo --out d f\ndemo -q f \\\n    g"};

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
	ck_assert_ptr_nonnull(strstr(text, "examples:\n  gvab demo --out d f\n  gvab demo -q f \\\n      g\n"));
	ck_assert_ptr_null(strstr(text, "%%"));
	free(text);
}
END_TEST

Suite *suite_opt(void)
{
	Suite *s = suite_create("opt");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_opt_parse);
	tcase_add_test(tc, test_opt_errors);
	tcase_add_test(tc, test_opt_help);
	suite_add_tcase(s, tc);
	return s;
}
