/* patch: applies, does not apply (names file and hunk), already upstream. */
#define _GNU_SOURCE
#include "error.h"
#include "patch.h"
#include "source.h"
#include "tests.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *orig = "line 1\nline 2\nline 3\nline 4\nline 5\n";
static const char *patch_text =
	"Subject: test patch\n\nHeader text before the diff is ignored.\n\n"
	"diff --git a/dir/file.txt b/dir/file.txt\n"
	"index 0000000..1111111 100644\n"
	"--- a/dir/file.txt\n"
	"+++ b/dir/file.txt\n"
	"@@ -1,5 +1,5 @@\n"
	" line 1\n"
	" line 2\n"
	"-line 3\n"
	"+line three\n"
	" line 4\n"
	" line 5\n"
	"diff --git a/new.txt b/new.txt\n"
	"new file mode 100644\n"
	"--- /dev/null\n"
	"+++ b/new.txt\n"
	"@@ -0,0 +1 @@\n"
	"+hello\n";

static char *dir, *work, *pfile;
static git_repository *repo;

static void setup(void)
{
	source_lib_init();
	dir = test_tmpdir("patch");
	work = util_fmt("%s/work", dir);
	char *sub = util_fmt("%s/dir", work);
	ck_assert_int_eq(util_mkdir_p(sub, 0755), 0);
	char *f = util_fmt("%s/file.txt", sub);
	ck_assert_int_eq(util_write_file_atomic(f, orig, strlen(orig)), 0);
	ck_assert_int_eq(git_repository_init(&repo, work, 0), 0);
	pfile = util_fmt("%s/0001-test.patch", dir);
	ck_assert_int_eq(util_write_file_atomic(pfile, patch_text, strlen(patch_text)), 0);
	free(f);
	free(sub);
}

static void teardown(void)
{
	git_repository_free(repo);
	util_rm_rf(dir);
	free(dir);
	free(work);
	free(pfile);
}

START_TEST(test_applies_then_already_upstream)
{
	enum patch_status st;
	ck_assert_int_eq(patch_apply_file(repo, pfile, "0001-test.patch", &st), 0);
	ck_assert_int_eq(st, PATCH_APPLIED);
	char *f = util_fmt("%s/dir/file.txt", work), *n = util_fmt("%s/new.txt", work);
	char *t = util_read_file(f, NULL), *t2 = util_read_file(n, NULL);
	ck_assert_str_eq(t, "line 1\nline 2\nline three\nline 4\nline 5\n");
	ck_assert_str_eq(t2, "hello\n");
	free(t);
	free(t2);
	/* Second time: its change is present, so it is reported, not re-applied. */
	ck_assert_int_eq(patch_apply_file(repo, pfile, "0001-test.patch", &st), 0);
	ck_assert_int_eq(st, PATCH_ALREADY_UPSTREAM);
	t = util_read_file(f, NULL);
	ck_assert_str_eq(t, "line 1\nline 2\nline three\nline 4\nline 5\n");
	free(t);
	free(f);
	free(n);
}
END_TEST

START_TEST(test_does_not_apply)
{
	char *f = util_fmt("%s/dir/file.txt", work);
	const char *other = "line 1\nline 2\nline X\nline 4\nline 5\n";
	ck_assert_int_eq(util_write_file_atomic(f, other, strlen(other)), 0);
	enum patch_status st;
	int rc = patch_apply_file(repo, pfile, "0001-test.patch", &st);
	ck_assert_int_eq(rc, GVAB_EDATA);
	const char *e = error_last();
	ck_assert_ptr_nonnull(strstr(e, "0001-test.patch"));
	ck_assert_ptr_nonnull(strstr(e, "dir/file.txt"));
	ck_assert_ptr_nonnull(strstr(e, "hunk #1"));
	ck_assert_ptr_nonnull(strstr(e, "@@ -1,5 +1,5 @@"));
	/* Nothing was half-applied. */
	char *n = util_fmt("%s/new.txt", work);
	ck_assert(!util_path_exists(n));
	free(n);
	free(f);
}
END_TEST

START_TEST(test_reverse_text)
{
	char *r = patch_reverse_text(strstr(patch_text, "diff --git"));
	ck_assert_ptr_nonnull(strstr(r, "@@ -1,5 +1,5 @@\n line 1\n line 2\n+line 3\n-line three\n"));
	ck_assert_ptr_nonnull(strstr(r, "deleted file mode 100644\n--- a/new.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-hello\n"));
	ck_assert_ptr_nonnull(strstr(r, "index 1111111..0000000 100644"));
	free(r);
}
END_TEST

START_TEST(test_series_load)
{
	char *sd = util_fmt("%s/myseries", dir);
	ck_assert_int_eq(util_mkdir_p(sd, 0755), 0);
	char *series = util_fmt("%s/series", sd);
	const char *txt = "# comment\n0001-test.patch\n\n0002-missing.patch # trailing\n";
	ck_assert_int_eq(util_write_file_atomic(series, txt, strlen(txt)), 0);
	char *cp = util_fmt("%s/0001-test.patch", sd);
	ck_assert_int_eq(util_write_file_atomic(cp, patch_text, strlen(patch_text)), 0);
	struct patch_series s;
	ck_assert_int_eq(patch_series_load(sd, &s), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "series:4: patch '0002-missing.patch'"));
	const char *txt2 = "0001-test.patch\n";
	ck_assert_int_eq(util_write_file_atomic(series, txt2, strlen(txt2)), 0);
	ck_assert_int_eq(patch_series_load(sd, &s), 0);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_str_eq(s.name, "myseries");
	ck_assert_uint_eq(strlen(s.patches[0].sha256), 64);
	patch_series_free(&s);
	free(sd);
	free(series);
	free(cp);
}
END_TEST

Suite *suite_patch(void)
{
	Suite *s = suite_create("patch");
	TCase *tc = tcase_create("apply");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_applies_then_already_upstream);
	tcase_add_test(tc, test_does_not_apply);
	tcase_add_test(tc, test_reverse_text);
	tcase_add_test(tc, test_series_load);
	suite_add_tcase(s, tc);
	return s;
}
