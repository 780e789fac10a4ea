/* patch: applies, does not apply (names file and hunk), already upstream. */
#define _GNU_SOURCE
#include "error.h"
#include "patch.h"
#include "source.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
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
	ck_assert_uint_eq(strlen(s.patches[0].v[0].sha256), 64);
	patch_series_free(&s);
	free(sd);
	free(series);
	free(cp);
}
END_TEST


/* Writes a series directory `name` under dir with the given files
 * (name, text pairs, NULL-terminated) and series text; returns its path. */
static char *write_series(const char *name, const char *series_text, const char *const *files)
{
	char *sd = util_fmt("%s/%s", dir, name);
	ck_assert_int_eq(util_mkdir_p(sd, 0755), 0);
	char *sf = util_fmt("%s/series", sd);
	ck_assert_int_eq(util_write_file_atomic(sf, series_text, strlen(series_text)), 0);
	free(sf);
	for (size_t i = 0; files[i]; i += 2) {
		char *f = util_fmt("%s/%s", sd, files[i]);
		ck_assert_int_eq(util_write_file_atomic(f, files[i + 1], strlen(files[i + 1])), 0);
		free(f);
	}
	return sd;
}

/* A variant for another tree: its context does not match. */
static const char *other_tree_patch =
	"Subject: same change, other tree\n\n"
	"diff --git a/dir/file.txt b/dir/file.txt\n"
	"--- a/dir/file.txt\n"
	"+++ b/dir/file.txt\n"
	"@@ -1,3 +1,3 @@\n"
	" other 1\n"
	"-other 2\n"
	"+other two\n"
	" other 3\n";

START_TEST(test_variants_first_that_applies)
{
	const char *files[] = {"a.patch", other_tree_patch, "b.patch", patch_text, NULL};
	char *sd = write_series("var", "a.patch | b.patch\n", files);
	struct patch_series s;
	ck_assert_int_eq(patch_series_load(sd, &s), 0);
	ck_assert_uint_eq(s.patches[0].nv, 2);
	struct patch_context ctx = {.tree = work};
	ck_assert_int_eq(patch_apply_series(repo, &ctx, &s), 0);
	ck_assert_uint_eq(s.patches[0].chosen, 1);
	ck_assert_int_eq(s.patches[0].status, PATCH_APPLIED);
	patch_series_free(&s);
	/* No variant fits: one error naming the patch and the variant count. */
	const char *files2[] = {"a.patch", other_tree_patch, "c.patch", other_tree_patch, NULL};
	char *sd2 = write_series("var2", "a.patch|c.patch\n", files2);
	ck_assert_int_eq(patch_series_load(sd2, &s), 0);
	ck_assert_int_eq(patch_apply_series(repo, &ctx, &s), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "none of the 2 variants of a.patch applies"));
	patch_series_free(&s);
	free(sd);
	free(sd2);
}
END_TEST

START_TEST(test_applies_if)
{
	char *with_cond = util_fmt("Applies-if: exists dir/absent.txt\n%s", patch_text);
	char *go_cond = util_fmt("Applies-if: go < 1.23\n%s", patch_text);
	const char *files[] = {"a.patch", with_cond, "b.patch", go_cond, NULL};
	char *sd = write_series("cond", "a.patch\nb.patch\n", files);
	struct patch_series s;
	ck_assert_int_eq(patch_series_load(sd, &s), 0);
	/* go.mod says 1.26.3: b's condition is false too; nothing changes. */
	struct patch_context ctx = {.tree = work, .gomod_go = "1.26.3"};
	ck_assert_int_eq(patch_apply_series(repo, &ctx, &s), 0);
	ck_assert_int_eq(s.patches[0].status, PATCH_NOT_APPLICABLE);
	ck_assert_int_eq(s.patches[1].status, PATCH_NOT_APPLICABLE);
	ck_assert_ptr_nonnull(strstr(s.patches[1].detail, "go < 1.23"));
	char *n = util_fmt("%s/new.txt", work);
	ck_assert(!util_path_exists(n));
	/* go.mod says 1.22.0: b applies. */
	ctx.gomod_go = "1.22.0";
	ck_assert_int_eq(patch_apply_series(repo, &ctx, &s), 0);
	ck_assert_int_eq(s.patches[1].status, PATCH_APPLIED);
	ck_assert(util_path_exists(n));
	patch_series_free(&s);
	/* A malformed condition is refused at load, naming file and line. */
	char *bad = util_fmt("Subject: x\nApplies-if: sometimes\n%s", patch_text);
	const char *files2[] = {"bad.patch", bad, NULL};
	char *sd2 = write_series("badcond", "bad.patch\n", files2);
	ck_assert_int_eq(patch_series_load(sd2, &s), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "bad.patch:2: Applies-if"));
	free(n);
	free(bad);
	free(sd2);
	free(with_cond);
	free(go_cond);
	free(sd);
}
END_TEST

START_TEST(test_deleting_absent_files_is_not_upstream)
{
	/* Deleting files this tree never had: the reverse (creating them)
	 * applies, but that is not "already upstream". */
	const char *del =
		"Subject: drop C sources\n\n"
		"diff --git a/bpf/x.c b/bpf/x.c\n"
		"deleted file mode 100644\n"
		"--- a/bpf/x.c\n"
		"+++ /dev/null\n"
		"@@ -1,2 +0,0 @@\n"
		"-int x;\n"
		"-int y;\n";
	char *pf = util_fmt("%s/del.patch", dir);
	ck_assert_int_eq(util_write_file_atomic(pf, del, strlen(del)), 0);
	enum patch_status st;
	ck_assert_int_eq(patch_apply_file(repo, pf, "del.patch", &st), 0);
	ck_assert_int_eq(st, PATCH_NOT_APPLICABLE);
	free(pf);
}
END_TEST

START_TEST(test_superseded_by_probe)
{
	char *sup = util_fmt("Subject: x\nSuperseded-by: 00160b93c79e (Upstream did it)\n"
	                     "Superseded-probe: dir/file.txt: line 4\n%s", patch_text);
	const char *files[] = {"s.patch", sup, NULL};
	char *sd = write_series("sup", "s.patch\n", files);
	struct patch_series s;
	ck_assert_int_eq(patch_series_load(sd, &s), 0);
	ck_assert_str_eq(s.patches[0].v[0].hdr.superseded_rev, "00160b93c79e");
	struct patch_context ctx = {.tree = work};
	ck_assert_int_eq(patch_apply_series(repo, &ctx, &s), 0);
	ck_assert_int_eq(s.patches[0].status, PATCH_SUPERSEDED);
	ck_assert_ptr_nonnull(strstr(s.patches[0].detail, "superseded upstream by 00160b93c"));
	char *n = util_fmt("%s/new.txt", work);
	ck_assert(!util_path_exists(n)); /* built without it */
	patch_series_free(&s);
	free(n);
	free(sup);
	free(sd);
}
END_TEST

START_TEST(test_superseded_by_history)
{
	/* History: base -> fix; the tree's commit contains fix, or does not. */
	git_oid blob, tree, base, fix;
	git_treebuilder *tb;
	git_tree *t;
	git_signature *sig;
	git_commit *pc;
	ck_assert_int_eq(git_blob_create_from_buffer(&blob, repo, "x", 1), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, repo, NULL), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, "x", &blob, GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(git_treebuilder_write(&tree, tb), 0);
	git_treebuilder_free(tb);
	ck_assert_int_eq(git_tree_lookup(&t, repo, &tree), 0);
	ck_assert_int_eq(git_signature_new(&sig, "t", "t@example.org", 1700000000, 0), 0);
	ck_assert_int_eq(git_commit_create(&base, repo, NULL, sig, sig, NULL, "base", t, 0, NULL), 0);
	ck_assert_int_eq(git_commit_lookup(&pc, repo, &base), 0);
	const git_commit *parents[1] = {pc};
	ck_assert_int_eq(git_commit_create(&fix, repo, NULL, sig, sig, NULL, "fix", t, 1, parents), 0);
	git_commit_free(pc);
	git_tree_free(t);
	git_signature_free(sig);
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &fix);
	char *sup = util_fmt("Superseded-by: %.12s (fix)\n%s", hex, patch_text);
	const char *files[] = {"s.patch", sup, NULL};
	char *sd = write_series("suph", "s.patch\n", files);
	struct patch_series s;
	ck_assert_int_eq(patch_series_load(sd, &s), 0);
	struct patch_context ctx = {.tree = work, .history = repo, .commit = &base};
	ck_assert_int_eq(patch_apply_series(repo, &ctx, &s), 0);
	ck_assert_int_eq(s.patches[0].status, PATCH_APPLIED); /* base lacks fix */
	ctx.commit = &fix;
	ck_assert_int_eq(patch_apply_series(repo, &ctx, &s), 0);
	ck_assert_int_eq(s.patches[0].status, PATCH_SUPERSEDED);
	patch_series_free(&s);
	free(sup);
	free(sd);
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
	tcase_add_test(tc, test_variants_first_that_applies);
	tcase_add_test(tc, test_applies_if);
	tcase_add_test(tc, test_deleting_absent_files_is_not_upstream);
	tcase_add_test(tc, test_superseded_by_probe);
	tcase_add_test(tc, test_superseded_by_history);
	suite_add_tcase(s, tc);
	return s;
}
