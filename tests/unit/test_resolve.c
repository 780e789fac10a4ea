/* resolve: the go-merge rule on synthetic histories with the shapes of
 * upstream's real one (issue 21), each checked against a linear scan for
 * every commit of the history:
 * - one-parent "Merge ... (automated)" commits on the go chain;
 * - a release-branch merge whose second parent does not continue from the
 *   previous merge's (it forks from an older master commit);
 * - a rewritten master: later merges no longer contain the old commits;
 * - a go branch rebuilt long after a tag (the merge brings far more).
 * Also the ref spellings git accepts for a tag, the "beyond" list's order,
 * a source without a go branch, and per-source ref namespaces. */
#define _GNU_SOURCE
#include "error.h"
#include "source.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static git_repository *repo;
static char *dir;
static long clock_s;

static git_oid mk(git_repository *r, const char *file, const char *content, const git_oid *p1, const git_oid *p2,
                  const char *msg)
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
	ck_assert_int_eq(git_signature_new(&sig, "t", "t@example.org", 1700000000 + 60 * ++clock_s, 0), 0);
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

static void setref(git_repository *r, const char *name, const git_oid *id)
{
	git_reference *ref;
	ck_assert_int_eq(git_reference_create(&ref, r, name, id, 1, NULL), 0);
	git_reference_free(ref);
}

/* Every commit of the history, and the go chain oldest first. */
static git_oid all[64], chain[16];
static size_t nall, nchain;
static git_oid o[9], rb[3], nw[8];

static git_oid add(git_oid id)
{
	all[nall++] = id;
	return id;
}

static git_oid go(const git_oid *p2, const char *msg)
{
	char c[24];
	snprintf(c, sizeof c, "%zu", nchain);
	git_oid id = add(mk(repo, "f.go", c, nchain ? &chain[nchain - 1] : NULL, p2, msg));
	chain[nchain++] = id;
	return id;
}

/* Old master o1..o8; a release branch rb1, rb2 forked from o3; master
 * rewritten from o3 on as nw4..nw7 (o4..o8 are on no later master); the go
 * chain G0..G8 merges o2, (one-parent), o5, rb2, (one-parent), o6, nw5, nw7.
 * o7 and o8 are never merged. */
static void setup(void)
{
	source_lib_init();
	nall = nchain = 0;
	clock_s = 0;
	dir = test_tmpdir("resolve");
	char *p = util_fmt("%s/cache.git", dir);
	ck_assert_int_eq(source_open_cache(p, &repo), 0);
	free(p);
	char msg[64], c[24];
	for (int i = 1; i <= 8; i++) {
		snprintf(msg, sizeof msg, "old master %d", i);
		snprintf(c, sizeof c, "o%d", i);
		o[i] = add(mk(repo, "f", c, i > 1 ? &o[i - 1] : NULL, NULL, msg));
	}
	rb[1] = add(mk(repo, "f", "rb1", &o[3], NULL, "release branch cherry-pick 1"));
	rb[2] = add(mk(repo, "f", "rb2", &rb[1], NULL, "release branch cherry-pick 2"));
	for (int i = 4; i <= 7; i++) {
		snprintf(msg, sizeof msg, "new master %d", i);
		snprintf(c, sizeof c, "n%d", i);
		nw[i] = add(mk(repo, "f", c, i > 4 ? &nw[i - 1] : &o[3], NULL, msg));
	}
	go(NULL, "go branch root");
	go(&o[2], "Merge release-20200101.0-1-g0002 (automated)");
	go(NULL, "Merge release-20200102.0 (automated)"); /* one parent */
	go(&o[5], "Merge release-20200103.0-2-g0005 (automated)");
	go(&rb[2], "Merge release-20200104.0 (automated)"); /* release branch */
	go(NULL, "Merge release-20200105.0 (automated)");
	go(&o[6], "Merge release-20200106.0-1-g0006 (automated)");
	go(&nw[5], "Merge release-20200201.0-1-g0005 (automated)"); /* after the rewrite */
	go(&nw[7], "Merge release-20200202.0-1-g0007 (automated)");
	setref(repo, "refs/heads/go", &chain[nchain - 1]);
	setref(repo, "refs/heads/master", &nw[7]);
	setref(repo, "refs/tags/release-20200103.0", &o[3]);
	setref(repo, "refs/tags/release-20200104.0", &o[4]);
	setref(repo, "refs/tags/release-20200107.0", &o[7]);
}

static void teardown(void)
{
	git_repository_free(repo);
	util_rm_rf(dir);
	free(dir);
}

/* Does `from` reach `x` through parents? Plain recursion, no libgit2 graph
 * code: the reference the rule is checked against. */
static int reaches(const git_oid *from, const git_oid *x)
{
	if (git_oid_equal(from, x))
		return 1;
	git_commit *c;
	ck_assert_int_eq(git_commit_lookup(&c, repo, from), 0);
	int r = 0;
	for (unsigned k = 0; k < git_commit_parentcount(c) && !r; k++)
		r = reaches(git_commit_parent_id(c, k), x);
	git_commit_free(c);
	return r;
}

/* The rule as a linear scan: the first chain commit, oldest first, that is
 * x or merges (through a parent other than its first) a commit reaching x. */
static long linear_scan(const git_oid *x)
{
	for (size_t i = 0; i < nchain; i++) {
		if (git_oid_equal(&chain[i], x))
			return (long)i;
		git_commit *c;
		ck_assert_int_eq(git_commit_lookup(&c, repo, &chain[i]), 0);
		int r = 0;
		for (unsigned k = 1; k < git_commit_parentcount(c) && !r; k++)
			r = reaches(git_commit_parent_id(c, k), x);
		git_commit_free(c);
		if (r)
			return (long)i;
	}
	return -1;
}

START_TEST(test_every_commit_against_linear_scan)
{
	size_t found = 0;
	for (size_t k = 0; k < nall; k++) {
		git_oid m;
		long want = linear_scan(&all[k]);
		int rc = source_go_merge_containing(repo, &chain[nchain - 1], &all[k], &m);
		ck_assert_int_ge(rc, 0);
		if (want < 0) {
			ck_assert_msg(rc == 0, "commit %zu: the scan finds no merge, resolution does", k);
			continue;
		}
		ck_assert_msg(rc == 1 && git_oid_equal(&m, &chain[want]), "commit %zu: want chain commit %ld", k, want);
		found++;
	}
	ck_assert_uint_eq(found, nall - 2); /* o7, o8 */
	/* The shapes that broke the binary search over "the second parent
	 * contains X": o4 is merged by G3 (o5), though G4 (rb2) and G7, G8 (the
	 * rewritten master) do not contain it. */
	git_oid m;
	ck_assert_int_eq(source_go_merge_containing(repo, &chain[nchain - 1], &o[4], &m), 1);
	ck_assert(git_oid_equal(&m, &chain[3]));
	ck_assert_int_eq(source_go_merge_containing(repo, &chain[nchain - 1], &rb[1], &m), 1);
	ck_assert(git_oid_equal(&m, &chain[4]));
	ck_assert_int_eq(source_go_merge_containing(repo, &chain[nchain - 1], &nw[4], &m), 1);
	ck_assert(git_oid_equal(&m, &chain[7]));
}
END_TEST

START_TEST(test_master_commit_named_right)
{
	/* o4, given by id, is refused naming G3, the merge that holds it. */
	struct source_resolution res;
	char hex[GIT_OID_HEXSZ + 1], g3[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &o[4]);
	git_oid_tostr(g3, 13, &chain[3]);
	ck_assert_int_eq(source_resolve_ref(repo, NULL, hex, &res), GVAB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(error_last(), g3));
	git_oid_tostr(hex, sizeof hex, &o[8]);
	ck_assert_int_eq(source_resolve_ref(repo, NULL, hex, &res), GVAB_EUSAGE);
	ck_assert_ptr_nonnull(strstr(error_last(), "no go merge contains it yet"));
	ck_assert_int_eq(res.pending, 1);
}
END_TEST

START_TEST(test_tag_spellings)
{
	/* git accepts tags/NAME, refs/tags/NAME and NAME^{}: so does gvab, and
	 * each is the release tag, not a master commit. */
	const char *forms[] = {"release-20200104.0", "tags/release-20200104.0", "refs/tags/release-20200104.0",
	                       "release-20200104.0^{}", "refs/tags/release-20200104.0^{}"};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct source_resolution res;
		ck_assert_msg(source_resolve_ref(repo, NULL, forms[i], &res) == 0, "%s: %s", forms[i], error_last());
		ck_assert(git_oid_equal(&res.commit, &chain[3]));
		ck_assert_int_eq(res.master_between, 1);
	}
}
END_TEST

START_TEST(test_beyond_oldest_first)
{
	/* release-20200103.0 is o3; G3 merges o5: it brings o4 and o5, listed
	 * oldest first, o4 included. */
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20200103.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &chain[3]));
	ck_assert_int_eq(res.master_between, 2);
	const char *a = strstr(res.beyond, "old master 4"), *b = strstr(res.beyond, "old master 5");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a < b);
	ck_assert_str_eq(res.warning, "");
	/* Not merged by anything yet: pending, so a fetch may help. */
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20200107.0", &res), GVAB_EUSAGE);
	ck_assert_int_eq(res.pending, 1);
}
END_TEST

START_TEST(test_rebuilt_go_branch_warns)
{
	/* A go branch rebuilt long after the tag: its first merge brings 60
	 * master commits beyond it. The rule still answers that merge, and says
	 * it is far newer than the tag; more than 5 are summarised. */
	git_oid m = add(mk(repo, "g", "0", NULL, NULL, "m0"));
	git_oid tag = m;
	for (int i = 1; i <= 60; i++) {
		char msg[32];
		snprintf(msg, sizeof msg, "later %d", i);
		m = mk(repo, "g", msg, &m, NULL, msg);
	}
	git_oid root = mk(repo, "g.go", "r", NULL, NULL, "rebuilt go branch root");
	git_oid merge = mk(repo, "g.go", "m", &root, &m, "Merge release-20240411.0 (automated)");
	setref(repo, "refs/heads/go", &merge);
	setref(repo, "refs/tags/release-20200301.0", &tag);
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20200301.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &merge));
	ck_assert_int_eq(res.master_between, 60);
	ck_assert_ptr_nonnull(strstr(res.warning, "brings 60 master commits beyond"));
	ck_assert_ptr_nonnull(strstr(res.warning, "rebuilt"));
	ck_assert_ptr_nonnull(strstr(res.beyond, "later 1\n"));
	ck_assert_ptr_nonnull(strstr(res.beyond, "55 more, up to"));
	ck_assert_ptr_nonnull(strstr(res.beyond, "later 60\n"));
}
END_TEST

START_TEST(test_no_go_branch_bazel_refused)
{
	/* Without a go branch, a tree with a Bazel workspace (upstream master)
	 * is refused saying why; a plain tree is used as is. */
	git_reference *r;
	ck_assert_int_eq(git_reference_lookup(&r, repo, "refs/heads/go"), 0);
	ck_assert_int_eq(git_reference_delete(r), 0);
	git_reference_free(r);
	git_oid bz = mk(repo, "MODULE.bazel", "module(name = \"gvisor\")\n", &o[8], NULL, "master with Bazel");
	setref(repo, "refs/tags/release-20200401.0", &bz);
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20200401.0", &res), GVAB_EPRECOND);
	ck_assert_ptr_nonnull(strstr(error_last(), "MODULE.bazel"));
	ck_assert_ptr_nonnull(strstr(error_last(), "no go branch"));
	ck_assert_int_eq(source_resolve_ref(repo, NULL, "release-20200104.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &o[4]));
}
END_TEST

START_TEST(test_refs_per_source)
{
	/* Two sources with the same tag name on different commits: each
	 * source's tag resolves in its own namespace; a source never fetched
	 * knows no refs (and a path that does not exist cannot be fetched). */
	char *a = util_fmt("%s/a.git", dir), *b = util_fmt("%s/b.git", dir), *c2 = util_fmt("%s/c2.git", dir);
	git_repository *ra, *rb2, *rc;
	ck_assert_int_eq(source_open_cache(a, &ra), 0);
	ck_assert_int_eq(source_open_cache(b, &rb2), 0);
	git_oid ma = mk(ra, "f", "a", NULL, NULL, "a master"), mb = mk(rb2, "f", "b", NULL, NULL, "b master");
	git_oid ra0 = mk(ra, "f.go", "0", NULL, NULL, "go root"), rb0 = mk(rb2, "f.go", "0", NULL, NULL, "go root");
	git_oid ga = mk(ra, "f.go", "a", &ra0, &ma, "Merge a (automated)");
	git_oid gb = mk(rb2, "f.go", "b", &rb0, &mb, "Merge b (automated)");
	setref(ra, "refs/heads/go", &ga);
	setref(rb2, "refs/heads/go", &gb);
	setref(ra, "refs/tags/release-20300101.0", &ma);
	setref(rb2, "refs/tags/release-20300101.0", &mb);
	ck_assert_int_eq(source_open_cache(c2, &rc), 0);
	ck_assert_int_eq(source_fetch(rc, a, NULL), 0);
	ck_assert_int_eq(source_fetch(rc, b, NULL), 0);
	struct source_resolution res;
	ck_assert_int_eq(source_resolve_ref(rc, a, "release-20300101.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &ga));
	ck_assert_int_eq(source_resolve_ref(rc, b, "release-20300101.0", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &gb));
	ck_assert_int_eq(source_resolve_ref(rc, b, "go", &res), 0);
	ck_assert(git_oid_equal(&res.commit, &gb));
	char *none = util_fmt("%s/never-fetched.git", dir);
	ck_assert_int_eq(source_resolve_ref(rc, none, "release-20300101.0", &res), GVAB_EUSAGE);
	ck_assert_int_eq(res.pending, 1);
	ck_assert_int_eq(source_fetch(rc, none, NULL), GVAB_EPRECOND);
	ck_assert_ptr_nonnull(strstr(error_last(), "no such repository"));
	char *nsa = source_namespace(a), *nsb = source_namespace(b);
	ck_assert_str_ne(nsa, nsb);
	ck_assert_ptr_nonnull(strstr(nsa, "refs/sources/a-"));
	free(nsa);
	free(nsb);
	free(none);
	git_repository_free(ra);
	git_repository_free(rb2);
	git_repository_free(rc);
	free(a);
	free(b);
	free(c2);
}
END_TEST

Suite *suite_resolve(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("shapes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_commit_against_linear_scan);
	tcase_add_test(tc, test_master_commit_named_right);
	tcase_add_test(tc, test_tag_spellings);
	tcase_add_test(tc, test_beyond_oldest_first);
	tcase_add_test(tc, test_rebuilt_go_branch_warns);
	tcase_add_test(tc, test_no_go_branch_bazel_refused);
	tcase_add_test(tc, test_refs_per_source);
	suite_add_tcase(s, tc);
	return s;
}
