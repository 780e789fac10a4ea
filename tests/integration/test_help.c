/* Help and parsing from one option table (rig/core/opt.h), checked from the
 * outside for every command `gvab --help` lists:
 *   - `gvab help CMD` exits 0 with "usage: gvab CMD", an "examples:"
 *     section and no "%%", and is what `gvab CMD --help` prints;
 *   - `gvab CMD --definitely-unknown` exits 64 with exactly one line on
 *     stderr naming the option;
 *   - every option its help lists (the "  -q, --quiet", "  --out DIR" rows)
 *     is accepted by its parser: `gvab CMD --OPTION[=x] --definitely-unknown`
 *     fails on the unknown option or on x, never on --OPTION itself.
 * Runs no sandbox. */
#define _GNU_SOURCE
#include "itest.h"
#include "proc.h"
#include "util.h"
#include "../skip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct result {
	int code;
	char *out, *err;
};

/* Runs argv with stdout and stderr apart. */
static struct result run2(const char *dir, char *const *argv)
{
	struct result r = {0};
	char *op = util_fmt("%s/out", dir), *ep = util_fmt("%s/err", dir);
	unlink(op); /* proc_spawn appends */
	unlink(ep);
	struct proc_opts o = {.argv = argv, .stdout_path = op, .stderr_path = ep, .stdin_null = 1};
	pid_t pid;
	ck_assert_int_eq(proc_spawn(&o, &pid), 0);
	r.code = itest_wait(pid);
	r.out = util_read_file(op, NULL);
	r.err = util_read_file(ep, NULL);
	if (!r.out)
		r.out = util_xstrdup("");
	if (!r.err)
		r.err = util_xstrdup("");
	free(op);
	free(ep);
	return r;
}

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The commands `gvab --help` lists (not help and version). */
static size_t list_commands(const char *dir, char names[][32], size_t max)
{
	char *argv[] = {(char *)itest_gvab(), "--help", NULL};
	struct result r = run2(dir, argv);
	ck_assert_int_eq(r.code, 0);
	char *sec = strstr(r.out, "\ncommands:\n");
	ck_assert_msg(sec, "%s", r.out);
	size_t n = 0;
	for (char *l = sec + 11; *l == ' ' && n < max; l = strchr(l, '\n') + 1) {
		char name[32];
		if (sscanf(l, " %31[a-z-]", name) == 1 && strcmp(name, "help") != 0 &&
		    strcmp(name, "version") != 0)
			snprintf(names[n++], sizeof names[0], "%s", name);
		if (!strchr(l, '\n'))
			break;
	}
	result_free(&r);
	return n;
}

/* The probes for one option row of help, e.g. "  -q, --quiet" or
 * "  --out DIR         text": argv words that use each option it names. */
static void check_row(const char *dir, const char *cmd, const char *row, FILE *bad)
{
	/* The option part: up to the text column (two spaces) or the end. */
	char head[160];
	snprintf(head, sizeof head, "%.*s", (int)strcspn(row, "\n"), row);
	char *gap = strstr(head, "  ");
	if (gap)
		*gap = '\0';
	/* Whether the row's options take a value: "-i, --inventory FILE" names
	 * its value once, after the last name. */
	int row_takes = 0;
	for (char *w = head; (w = strchr(w, '-')) != NULL;) {
		w += strspn(w, "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		row_takes = w[0] == ' ' && w[1] && w[1] != '-';
	}
	for (char *w = head; (w = strchr(w, '-')) != NULL;) {
		size_t len = strspn(w, "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		char opt[80];
		snprintf(opt, sizeof opt, "%.*s", (int)len, w);
		w += len;
		if (len < 2 || strcmp(opt, "--") == 0 || strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0)
			continue;
		/* "--out DIR": needs a value, given as --out=x (-o x for a short
		 * one); "--memory[=K]" or "--quiet": none. */
		int takes = row_takes;
		char word[96];
		snprintf(word, sizeof word, "%s%s", opt, takes && opt[1] == '-' ? "=x" : "");
		char *argv[] = {(char *)itest_gvab(), (char *)cmd, word, takes && opt[1] != '-' ? "x" : NULL,
		                NULL, NULL};
		argv[takes && opt[1] != '-' ? 4 : 3] = "--definitely-unknown";
		struct result r = run2(dir, argv);
		/* The one error is about --definitely-unknown or about x (a bad
		 * value, however the command words it), never about --OPTION. */
		char unknown[128], noarg[128], needs[128];
		snprintf(unknown, sizeof unknown, "unknown option '%s'", opt);
		snprintf(noarg, sizeof noarg, "'%s' takes no argument", opt);
		snprintf(needs, sizeof needs, "'%s' needs an argument", opt);
		if (r.code != 64 || count_lines(r.err) != 1 || strstr(r.err, unknown) || strstr(r.err, noarg) ||
		    strstr(r.err, needs) || (!strstr(r.err, "'--definitely-unknown'") && !strstr(r.err, "'x'")))
			fprintf(bad, "gvab %s %s --definitely-unknown (from help row '%s'): exit %d, stderr: %s\n", cmd,
			        word, head, r.code, r.err);
		result_free(&r);
	}
}

static void check_command(const char *dir, const char *cmd, FILE *bad)
{
	char *gvab = (char *)itest_gvab();
	char *hv[] = {gvab, "help", (char *)cmd, NULL};
	struct result h = run2(dir, hv);
	char *usage = util_fmt("usage: gvab %s", cmd);
	if (h.code != 0 || strncmp(h.out, usage, strlen(usage)) != 0 || !strchr(" \n", h.out[strlen(usage)]))
		fprintf(bad, "gvab help %s: exit %d, does not start with '%s':\n%s\n", cmd, h.code, usage, h.out);
	if (!strstr(h.out, "\nexamples:\n  "))
		fprintf(bad, "gvab help %s: no examples: section\n", cmd);
	if (strstr(h.out, "%%"))
		fprintf(bad, "gvab help %s: a literal %%%%\n", cmd);
	if (*h.err)
		fprintf(bad, "gvab help %s: stderr: %s\n", cmd, h.err);
	char *dv[] = {gvab, (char *)cmd, "--help", NULL};
	struct result d = run2(dir, dv);
	if (d.code != 0 || strcmp(d.out, h.out) != 0)
		fprintf(bad, "gvab %s --help: exit %d, not what gvab help %s prints\n", cmd, d.code, cmd);
	result_free(&d);
	free(usage);
	char *uv[] = {gvab, (char *)cmd, "--definitely-unknown", NULL};
	struct result u = run2(dir, uv);
	char *want = util_fmt("gvab: %s: unknown option '--definitely-unknown' (see gvab help %s)\n", cmd, cmd);
	if (u.code != 64 || strcmp(u.err, want) != 0 || *u.out)
		fprintf(bad, "gvab %s --definitely-unknown: exit %d, stderr:\n%s(want exit 64 and one line: %s)\n",
		        cmd, u.code, u.err, want);
	free(want);
	result_free(&u);
	/* Every option row: the lines after "options:" that start with
	 * two spaces and a dash. */
	char *opts = strstr(h.out, "\noptions:\n");
	int rows = 0;
	for (char *l = opts ? strchr(opts + 1, '\n') + 1 : NULL; l && *l && *l != '\n';
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "  -", 3) == 0) {
			check_row(dir, cmd, l + 2, bad);
			rows++;
		}
	}
	if (!opts || rows == 0)
		fprintf(bad, "gvab help %s: no options: section with rows\n", cmd);
	result_free(&h);
}

START_TEST(test_help_every_command)
{
	char *dir = itest_tmpdir("help");
	char names[64][32];
	size_t n = list_commands(dir, names, 64);
	ck_assert_msg(n >= 15, "gvab --help lists %zu commands", n);
	char *report = NULL;
	size_t len = 0;
	FILE *bad = open_memstream(&report, &len);
	for (size_t i = 0; i < n; i++)
		check_command(dir, names[i], bad);
	fclose(bad);
	if (len)
		fputs(report, stderr); /* check's message has a size limit */
	ck_assert_msg(len == 0, "%.3000s", report);
	free(report);
	util_rm_rf(dir);
	free(dir);
}
END_TEST

/* The checks above can fail: a help row naming an option the parser does
 * not know, and an unknown option that prints nothing, are caught. */
START_TEST(test_help_checks_fail)
{
	char *dir = itest_tmpdir("help-neg");
	char *report = NULL;
	size_t len = 0;
	FILE *bad = open_memstream(&report, &len);
	check_row(dir, "footprint", "--no-such-option DIR  not in the table\n", bad);
	check_row(dir, "footprint", "--out DIR            in the table\n", bad);
	fclose(bad);
	ck_assert_msg(strstr(report, "--no-such-option=x") && !strstr(report, "--out=x"), "%s", report);
	free(report);
	util_rm_rf(dir);
	free(dir);
}
END_TEST

/* gvab-rig's help is gvab's, through the same tables. */
START_TEST(test_help_rig)
{
	char *rig = util_fmt("%s-rig", itest_gvab());
	if (access(rig, X_OK) != 0) {
		free(rig);
		TEST_SKIP("gvab-rig is not built beside %s", itest_gvab());
	}
	char *dir = itest_tmpdir("help-rig");
	static const char *const cmds[] = {"bundle", "run", "restore", "facts"};
	for (size_t i = 0; i < 4; i++) {
		char *a[] = {(char *)itest_gvab(), "help", (char *)cmds[i], NULL};
		char *b[] = {rig, "help", (char *)cmds[i], NULL};
		struct result ra = run2(dir, a), rb = run2(dir, b);
		ck_assert_int_eq(rb.code, 0);
		/* gvab-rig's help names itself where gvab's names gvab (usage
		 * and examples): the same text once that name is put back. */
		ck_assert_ptr_nonnull(strstr(rb.out, "usage: gvab-rig "));
		for (char *w; (w = strstr(rb.out, "gvab-rig "));)
			memmove(w + 4, w + 8, strlen(w + 8) + 1);
		ck_assert_str_eq(ra.out, rb.out);
		result_free(&ra);
		result_free(&rb);
	}
	char *u[] = {rig, "facts", "--definitely-unknown", NULL};
	struct result r = run2(dir, u);
	ck_assert_int_eq(r.code, 64);
	ck_assert_str_eq(r.err, "gvab-rig: facts: unknown option '--definitely-unknown' (see gvab-rig help facts)\n");
	result_free(&r);
	util_rm_rf(dir);
	free(dir);
	free(rig);
}
END_TEST

Suite *suite_help(void)
{
	Suite *s = suite_create("help");
	TCase *tc = tcase_create("help");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_help_every_command);
	tcase_add_test(tc, test_help_checks_fail);
	tcase_add_test(tc, test_help_rig);
	suite_add_tcase(s, tc);
	return s;
}
