/* source: ref resolution on a synthetic repository built with libgit2:
 * master m1..m4, a go branch of merges titled like upstream's automated
 * ones, release tags, and the Debian-style import. */
#define _GNU_SOURCE
#include "error.h"
#include "modsource.h"
#include "source.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static git_oid commit(git_repository *r, const char *file, const char *content,
                      const git_oid *p1, const git_oid *p2, const char *msg)
{
	git_treebuilder *tb;
	git_oid blob, tree, id;
	git_tree *t;
	git_signature *sig;
	ck_assert_int_eq(git_blob_create_from_buffer(&blob, r, content, strlen(content)), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, r, NULL), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, file, &blob, GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(git_treebuilder_write(&tree, tb), 0);
	git_treebuilder_free(tb);
	ck_assert_int_eq(git_tree_lookup(&t, r, &tree), 0);
	ck_assert_int_eq(git_signature_new(&sig, "t", "t@example.org", 1700000000, 0), 0);
	const git_commit *parents[2];
	git_commit *pc[2] = {NULL, NULL};
	size_t np = 0;
	if (p1) {
		ck_assert_int_eq(git_commit_lookup(&pc[0], r, p1), 0);
		parents[np++] = pc[0];
	}
	if (p2) {
		ck_assert_int_eq(git_commit_lookup(&pc[1], r, p2), 0);
		parents[np++] = pc[1];
	}
	ck_assert_int_eq(git_commit_create(&id, r, NULL, sig, sig, NULL, msg, t, np, parents), 0);
	git_commit_free(pc[0]);
	git_commit_free(pc[1]);
	git_tree_free(t);
	git_signature_free(sig);
	return id;
}

static void ref(git_repository *r, const char *name, const git_oid *id)
{
	git_reference *ref;
	ck_assert_int_eq(git_reference_create(&ref, r, name, id, 1, NULL), 0);
	git_reference_free(ref);
}

static git_repository *repo;
static git_oid m[8], g[5];
static char *dir;

/* master m1..m7; the go branch merges m1, m2, m4 and m6 (like upstream's
 * automated merges, which skip master commits); release tags on m2 (merged
 * exactly), m3 (between merges) and m7 (not merged yet). Branches are
 * remote-tracking, as after a fetch, plus refs/heads/go so that a fetch of
 * this repository by path finds a go branch. */
static void setup(void)
{
	source_lib_init();
	dir = test_tmpdir("source");
	char *p = util_fmt("%s/cache.git", dir);
	ck_assert_int_eq(source_open_cache(p, &repo), 0);
	free(p);
	m[1] = commit(repo, "f", "1", NULL, NULL, "m1");
	for (int i = 2; i <= 7; i++) {
		char c[2] = {(char)('0' + i), 0}, msg[32];
		snprintf(msg, sizeof msg, "master change %d", i);
		m[i] = commit(repo, "f", c, &m[i - 1], NULL, msg);
	}
	g[0] = commit(repo, "f.go", "0", NULL, NULL, "go branch root");
	g[1] = commit(repo, "f.go", "1", &g[0], &m[1], "Merge release-20240101.0-1-gaaaa (automated)");
	g[2] = commit(repo, "f.go", "2", &g[1], &m[2], "Merge release-20240201.0 (automated)");
	g[3] = commit(repo, "f.go", "3", &g[2], &m[4], "Merge release-20240301.0-1-gcccc (automated)");
	g[4] = commit(repo, "f.go", "4", &g[3], &m[6], "Merge release-20240301.0-3-geeee (automated)");
	ref(repo, "refs/remotes/origin/master", &m[7]);
	ref(repo, "refs/remotes/origin/go", &g[4]);
	ref(repo, "refs/heads/go", &g[4]); /* what a fetch of this repository copies */
	ref(repo, "refs/tags/release-20240201.0", &m[2]);
	ref(repo, "refs/tags/release-20240301.0", &m[3]);
	ref(repo, "refs/tags/release-20240401.0", &m[7]);
	ref(repo, "refs/tags/release-20240115.0", &m[1]);
	ref(repo, "refs/tags/on-go", &g[1]);
}

static void teardown(void)
{
	git_repository_free(repo);
	util_rm_rf(dir);
	free(dir);
}

START_TEST(test_exact_merge)
{
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20240201.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &g[2]));
	ck_assert(git_oid_equal(&res.asked, &m[2]));
	ck_assert_int_eq(res.master_between, 0);
	ck_assert_ptr_nonnull(strstr(res.how, "exactly"));
	ck_assert_str_eq(res.beyond, "");
}
END_TEST

START_TEST(test_tag_between_merges)
{
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20240301.0", &res), 0);
	/* m3 was never merged alone: the FIRST merge containing it is g3 (m4),
	 * not g2, the newest merge behind the tag, which would lack m3 itself. */
	ck_assert(git_oid_equal(&res.commit, &g[3]));
	ck_assert_int_eq(res.master_between, 1);
	ck_assert_ptr_nonnull(strstr(res.how, "1 master commit beyond"));
	ck_assert_ptr_nonnull(strstr(res.beyond, "master change 4"));
	ck_assert_ptr_null(strstr(res.beyond, "master change 5"));
}
END_TEST

START_TEST(test_tag_not_merged_yet)
{
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20240401.0", &res), GVAB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(error_last(), "no go-branch merge contains it yet"));
}
END_TEST

START_TEST(test_master_commit_refused)
{
	struct source_resolution res;
	char hex[GIT_OID_HEXSZ + 1], g4[13];
	git_oid_tostr(hex, sizeof hex, &m[5]);
	git_oid_tostr(g4, sizeof g4, &g[4]);
	ck_assert_int_eq(source_resolve_ref(repo, NULL, hex, &res), GVAB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(error_last(), "is a master commit"));
	ck_assert_ptr_nonnull(strstr(error_last(), g4));
	/* `master` resolves from refs/remotes/origin/ and is refused the same way. */
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "master", &res), GVAB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(error_last(), "not on the go branch"));
}
END_TEST

START_TEST(test_as_is)
{
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "origin/go", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &g[4]));
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "on-go", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &g[1]));
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &g[2]);
	ck_assert_int_eq(source_resolve_ref(repo, NULL, hex, &res), 0);
	ck_assert(git_oid_equal(&res.commit, &g[2]));
}
END_TEST

START_TEST(test_default_branch)
{
	/* Only refs/remotes/origin/go exists: `go` and no ref both find it. */
	struct source_resolution res;
	git_reference *r;
	ck_assert_int_eq(git_reference_lookup(&r, repo, "refs/heads/go"), 0);
	ck_assert_int_eq(git_reference_delete(r), 0);
	git_reference_free(r);
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "go", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &g[4]));
	ck_assert_int_eq(source_resolve_ref(repo, NULL, NULL, &res), 0);
	ck_assert(git_oid_equal(&res.commit, &g[4]));
}
END_TEST

START_TEST(test_unknown_ref)
{
	struct source_resolution res;
	int rc = source_resolve_ref(repo, NULL, "release-20240210.0", &res);
	ck_assert_int_eq(rc, GVAB_EUSAGE);
	const char *e = error_last();
	ck_assert_ptr_nonnull(strstr(e, "unknown ref 'release-20240210.0'"));
	ck_assert_ptr_nonnull(strstr(e, "release-20240201.0"));
	ck_assert_ptr_nonnull(strstr(e, "release-20240301.0"));
}
END_TEST

START_TEST(test_import_and_checkout)
{
	char *src = util_fmt("%s/tree", dir);
	char *sub = util_fmt("%s/tree/pkg", dir);
	ck_assert_int_eq(util_mkdir_p(sub, 0755), 0);
	char *f = util_fmt("%s/a.go", sub);
	ck_assert_int_eq(util_write_file_atomic(f, "package a\n", 10), 0);
	git_oid id1, id2;
	ck_assert_int_eq(source_import_tree(repo, src, "debian", "debian/1.0", &id1), 0);
	ck_assert_int_eq(source_import_tree(repo, src, "debian", "debian/1.0", &id2), 0);
	ck_assert(git_oid_equal(&id1, &id2)); /* same tree, same commit */
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "debian/1.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &id1));
	char *co = util_fmt("%s/co", dir);
	ck_assert_int_eq(source_checkout(repo, &id1, co), 0);
	char *got = util_fmt("%s/pkg/a.go", co);
	char *text = util_read_file(got, NULL);
	ck_assert_str_eq(text, "package a\n");
	free(text);
	free(got);
	free(co);
	free(f);
	free(sub);
	free(src);
}
END_TEST

START_TEST(test_fetch_local)
{
	/* Fetch the synthetic repository by path into a fresh cache: branches
	 * land in <ns>/heads/, tags in <ns>/tags/ (ns = source_namespace of the
	 * path), and a second fetch brings nothing new. */
	char *c2 = util_fmt("%s/cache2.git", dir), *src = util_fmt("%s/cache.git", dir);
	git_repository *r2;
	unsigned got = 0;
	ck_assert_int_eq(source_open_cache(c2, &r2), 0);
	ck_assert_int_eq(source_fetch(r2, src, &got), 0);
	ck_assert_uint_gt(got, 0);
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(r2, src, "release-20240201.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &g[2]));
	ck_assert_int_eq(source_fetch(r2, src, &got), 0);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(source_fetch(r2, "/nonexistent/repo", &got), GVAB_EPRECOND);
	git_repository_free(r2);
	free(c2);
	free(src);
}
END_TEST

/* Processes sharing one cache that does not exist yet: each creates (or
 * opens) it and imports a tree of its own onto the same branch at once.
 * Unlocked, creation and the branch's ref lock race ("failed to lock
 * file"); with the cache's writer lock every import lands and every tag
 * resolves. */
START_TEST(test_concurrent_imports)
{
	enum { N = 6 };
	char *shared = util_fmt("%s/shared/gvisor.git", dir);
	pid_t pids[N];
	for (int i = 0; i < N; i++) {
		char *src = util_fmt("%s/conc%d", dir, i), *f = util_fmt("%s/f.go", src);
		char text[32];
		int n = snprintf(text, sizeof text, "package f // %d\n", i);
		ck_assert_int_eq(util_mkdir_p(src, 0755), 0);
		ck_assert_int_eq(util_write_file_atomic(f, text, (size_t)n), 0);
		free(f);
		free(src);
	}
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			git_repository *r;
			char *src = util_fmt("%s/conc%d", dir, i), tag[32];
			snprintf(tag, sizeof tag, "conc/%d", i);
			git_oid id;
			int ok = source_open_cache(shared, &r) == 0 && source_import_tree(r, src, "conc", tag, &id) == 0;
			if (!ok)
				fprintf(stderr, "import %d: %s\n", i, error_last());
			_exit(ok ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int st;
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "import %d failed", i);
	}
	git_repository *r;
	ck_assert_int_eq(source_open_cache(shared, &r), 0);
	for (int i = 0; i < N; i++) {
		char tag[32];
		snprintf(tag, sizeof tag, "conc/%d", i);
		struct source_resolution res;
		ck_assert_msg(source_resolve_ref(r, NULL, tag, &res) == 0, "%s: %s", tag, error_last());
	}
	git_repository_free(r);
	free(shared);
}
END_TEST

/* The module proxy's refusal is said without its URL (a registry host that
 * changes with GOPROXY); other errors keep their words, not their URLs. */
START_TEST(test_proxy_refusal_words)
{
	char out[512];
	modsource_proxy_refusal("gvisor.dev/gvisor@v0.0.0-20260714215710-28bfd6015831: reading "
	                        "https://proxy.invalid/gvisor.dev/gvisor/@v/v0.0.0-20260714215710-"
	                        "28bfd6015831.info: 403 Forbidden  server response: This module "
	                        "version is not available.", "v0.0.0-20260714215710-28bfd6015831",
	                        out, sizeof out);
	ck_assert_str_eq(out, "the module proxy refused v0.0.0-20260714215710-28bfd6015831 (403 not "
	                      "available)");
	modsource_proxy_refusal("x@v1: reading https://proxy.invalid/x/@v/v1.info: 404 Not Found",
	                        "v1", out, sizeof out);
	ck_assert_str_eq(out, "the module proxy refused v1 (404 not found)");
	modsource_proxy_refusal("dial tcp: lookup https://proxy.invalid/x failed", "v1", out,
	                        sizeof out);
	ck_assert_str_eq(out, "dial tcp: lookup <the module proxy> failed");
	/* A toolchain too old for the module's go.mod (Go 1.22's words). */
	char want[32], have[32];
	ck_assert_int_eq(modsource_go_refusal("gvisor.dev/gvisor@v0.0.0-20260709014902-8ed0c00a3f90 "
	                                      "requires go >= 1.26.3 (running go 1.22.12; "
	                                      "GOTOOLCHAIN=local)", want, sizeof want, have, sizeof have),
	                 1);
	ck_assert_str_eq(want, "1.26.3");
	ck_assert_str_eq(have, "1.22.12");
	ck_assert_int_eq(modsource_go_refusal("requires go >= 1.26.3", want, sizeof want, have, sizeof have),
	                 0);
	ck_assert_int_eq(modsource_go_refusal("x: 403 Forbidden", want, sizeof want, have, sizeof have), 0);
}
END_TEST

Suite *suite_source(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("resolve");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exact_merge);
	tcase_add_test(tc, test_proxy_refusal_words);
	tcase_add_test(tc, test_tag_between_merges);
	tcase_add_test(tc, test_tag_not_merged_yet);
	tcase_add_test(tc, test_master_commit_refused);
	tcase_add_test(tc, test_default_branch);
	tcase_add_test(tc, test_as_is);
	tcase_add_test(tc, test_unknown_ref);
	tcase_add_test(tc, test_import_and_checkout);
	tcase_add_test(tc, test_fetch_local);
	tcase_add_test(tc, test_concurrent_imports);
	suite_add_tcase(s, tc);
	return s;
}
