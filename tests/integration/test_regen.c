/* The committed reports regenerate bit for bit: every line of
 * results/REGENERATE (COMMAND OUTPUT_DIR RUN_DIR...) is run again with
 * --out in a scratch directory, and every file of OUTPUT_DIR must equal
 * what gvab wrote there, with nothing missing and nothing extra. A change
 * that moves code must not move a single byte of a published report. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Compares regular files of `want` with `got`; returns the number of
 * differences, each printed. Both directories must hold the same names. */
static int compare_dirs(const char *want, const char *got)
{
	int bad = 0;
	const char *pair[2][2] = {{want, got}, {got, want}};
	for (int side = 0; side < 2; side++) {
		DIR *d = opendir(pair[side][0]);
		ck_assert_msg(d != NULL, "cannot open %s", pair[side][0]);
		for (struct dirent *e; (e = readdir(d));) {
			char *a = util_fmt("%s/%s", pair[side][0], e->d_name);
			char *b = util_fmt("%s/%s", pair[side][1], e->d_name);
			struct stat sa, sb;
			if (stat(a, &sa) == 0 && S_ISREG(sa.st_mode)) {
				if (stat(b, &sb) != 0) {
					fprintf(stderr, "regen: %s: %s\n", b, side ? "written but not committed" : "missing");
					bad++;
				} else if (side == 0) {
					size_t la = 0, lb = 0;
					char *ca = util_read_file(a, &la), *cb = util_read_file(b, &lb);
					if (!ca || !cb || la != lb || memcmp(ca, cb, la) != 0) {
						fprintf(stderr, "regen: %s differs from the committed %s\n", b, a);
						bad++;
					}
					free(ca);
					free(cb);
				}
			}
			free(a);
			free(b);
		}
		closedir(d);
	}
	return bad;
}

START_TEST(test_regen_committed_reports)
{
	char *text = util_read_file("results/REGENERATE", NULL);
	ck_assert_ptr_nonnull(text);
	int lines = 0, bad = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *w[32];
		int n = 0;
		char *ws = NULL;
		for (char *t = strtok_r(line, " ", &ws); t && n < 30; t = strtok_r(NULL, " ", &ws))
			w[n++] = t;
		ck_assert_msg(n >= 3, "results/REGENERATE: a line wants COMMAND OUTPUT_DIR RUN_DIR...");
		char *scratch = itest_tmpdir("regen");
		char *argv[40] = {(char *)itest_gvab(), w[0], "--out", scratch};
		int k = 4;
		for (int i = 2; i < n; i++)
			argv[k++] = w[i];
		argv[k] = NULL;
		char *out = NULL;
		int rc = itest_run(&out, argv);
		ck_assert_msg(rc == 0, "gvab %s %s: exit %d\n%s", w[0], w[1], rc, out ? out : "");
		free(out);
		int diff = compare_dirs(w[1], scratch);
		if (diff == 0)
			util_rm_rf(scratch); /* kept when it differs, to look at */
		bad += diff;
		free(scratch);
		lines++;
	}
	free(text);
	ck_assert_int_ge(lines, 6);
	ck_assert_msg(bad == 0, "%d files of committed reports no longer regenerate bit for bit", bad);
}
END_TEST

Suite *suite_regen(void)
{
	Suite *s = suite_create("regen");
	TCase *tc = tcase_create("committed");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_regen_committed_reports);
	suite_add_tcase(s, tc);
	return s;
}
