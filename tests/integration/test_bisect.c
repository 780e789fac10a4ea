/* gvab bisect on a synthetic go-branch history made of real gVisor trees:
 * release-20260706.0's go merge (from the module proxy), and the same tree
 * with a start-up delay (runsc/gvab_test_delay.go: runsc create and runsc
 * start sleep 300 ms in init), as four first-parent go merges
 *   g0 delayed, g1 delayed + a note, g2 without the delay (merging master
 *   commit "fix"), g3 + another note,
 * so the answer is known: the first bad (here: faster) merge is g2, and it
 * brings the master commit "fix". The effect (600 ms of CORE: the create
 * and start processes each sleep; nothing untimed does) is far beyond what a loaded host
 * adds to a boot, so the answer does not depend on timing noise, and it
 * holds at any rcu_expedited (the hostmm-lazy effect it used to bisect is
 * tens of milliseconds at 0 and within the noise at 1). */
#define _GNU_SOURCE
#include "itest.h"
#include "source.h"
#include "util.h"
#include "../skip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V0706 "v0.0.0-20260709014902-8ed0c00a3f90"

static git_oid mkcommit(git_repository *r, const git_oid *tree, const char *msg, const git_oid *p1,
                        const git_oid *p2)
{
	git_tree *t;
	git_signature *sig;
	git_commit *pc[2] = {NULL, NULL};
	const git_commit *parents[2];
	size_t np = 0;
	git_oid id;
	ck_assert_int_eq(git_tree_lookup(&t, r, tree), 0);
	ck_assert_int_eq(git_signature_new(&sig, "t", "t@example.org", 1780000000, 0), 0);
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

/* `base` plus a root file NOTE with `text`. */
static git_oid with_note(git_repository *r, const git_oid *base, const char *text)
{
	git_tree *t;
	git_treebuilder *tb;
	git_oid blob, out;
	ck_assert_int_eq(git_tree_lookup(&t, r, base), 0);
	ck_assert_int_eq(git_blob_create_from_buffer(&blob, r, text, strlen(text)), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, r, t), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, "NOTE", &blob, GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(git_treebuilder_write(&out, tb), 0);
	git_treebuilder_free(tb);
	git_tree_free(t);
	return out;
}

/* `base` plus runsc/gvab_test_delay.go. */
static git_oid with_delay(git_repository *r, const git_oid *base)
{
	static const char go[] = "package main\n\n"
	                         "import (\n\t\"os\"\n\t\"time\"\n)\n\n"
	                         "// A start-up delay for gvab's bisect test, in the two\n"
	                         "// commands CORE times (the sandbox and gofer processes\n"
	                         "// and delete do not pay it).\n"
	                         "func init() {\n"
	                         "\tfor _, a := range os.Args[1:] {\n"
	                         "\t\tif a == \"create\" || a == \"start\" {\n"
	                         "\t\t\ttime.Sleep(300 * time.Millisecond)\n"
	                         "\t\t\treturn\n"
	                         "\t\t}\n"
	                         "\t}\n"
	                         "}\n";
	git_tree *t, *sub;
	git_treebuilder *tb;
	git_oid blob, sub_out, out;
	ck_assert_int_eq(git_tree_lookup(&t, r, base), 0);
	const git_tree_entry *e = git_tree_entry_byname(t, "runsc");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(git_tree_lookup(&sub, r, git_tree_entry_id(e)), 0);
	ck_assert_int_eq(git_blob_create_from_buffer(&blob, r, go, strlen(go)), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, r, sub), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, "gvab_test_delay.go", &blob, GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(git_treebuilder_write(&sub_out, tb), 0);
	git_treebuilder_free(tb);
	ck_assert_int_eq(git_treebuilder_new(&tb, r, t), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, "runsc", &sub_out, GIT_FILEMODE_TREE), 0);
	ck_assert_int_eq(git_treebuilder_write(&out, tb), 0);
	git_treebuilder_free(tb);
	git_tree_free(sub);
	git_tree_free(t);
	return out;
}

START_TEST(test_bisect_finds_the_merge)
{
	char *o = NULL;
	char *src[] = {(char *)itest_gvab(), "source", "--source", "module", "--ref", V0706, NULL};
	int rc = itest_run(&o, src);
	if (rc == 69 && (strstr(o, "module gvisor.dev/gvisor@") || strstr(o, "go mod download")))
		TEST_SKIP("the module proxy cannot serve %s here: %s", V0706, o);
	ck_assert_msg(rc == 0, "gvab source: %s", o);
	free(o);

	/* The synthetic upstream borrows the cache's objects (no copy). */
	source_lib_init();
	char *cache = util_cache_dir(), *d = itest_tmpdir("bisect");
	char *cache_repo = util_fmt("%s/gvisor.git", cache), *up = util_fmt("%s/upstream.git", d);
	git_repository *c, *r;
	ck_assert_int_eq(git_repository_open_bare(&c, cache_repo), 0);
	ck_assert_int_eq(git_repository_init(&r, up, 1), 0);
	char *alt = util_fmt("%s/objects/info/alternates", up), *objs = util_fmt("%s/objects\n", cache_repo);
	ck_assert_int_eq(util_write_file_atomic(alt, objs, strlen(objs)), 0);
	git_repository_free(r);
	ck_assert_int_eq(git_repository_open_bare(&r, up), 0);
	git_oid imported, fast_tree, slow_tree;
	git_commit *ic;
	ck_assert_int_eq(git_reference_name_to_id(&imported, c, "refs/tags/module/" V0706), 0);
	ck_assert_int_eq(git_commit_lookup(&ic, r, &imported), 0);
	/* The delayed tree: one more file in runsc/ (package main). */
	git_oid_cpy(&fast_tree, git_commit_tree_id(ic));
	slow_tree = with_delay(r, &fast_tree);
	git_commit_free(ic);

	git_oid t1 = with_note(r, &slow_tree, "one\n"), t2 = with_note(r, &fast_tree, "one\n"),
	        t3 = with_note(r, &fast_tree, "three\n");
	git_oid m0 = mkcommit(r, &slow_tree, "master root", NULL, NULL);
	git_oid fix = mkcommit(r, &fast_tree, "fix: drop the start-up delay", &m0, NULL);
	git_oid m3 = mkcommit(r, &fast_tree, "docs: a later master change", &fix, NULL);
	git_oid g0 = mkcommit(r, &slow_tree, "Merge release-20990101.0 (automated)", NULL, NULL);
	git_oid g1 = mkcommit(r, &t1, "Merge release-20990101.0-1-g0000000 (automated)", &g0, &m0);
	git_oid g2 = mkcommit(r, &t2, "Merge release-20990101.0-2-g1111111 (automated)",
	                      &g1, &fix);
	git_oid g3 = mkcommit(r, &t3, "Merge release-20990101.0-3-g2222222 (automated)", &g2, &m3);
	git_reference *ref;
	ck_assert_int_eq(git_reference_create(&ref, r, "refs/heads/go", &g3, 1, NULL), 0);
	git_reference_free(ref);
	(void)g1;

	char good[41], bad[41], want[13], fixhex[13];
	git_oid_tostr(good, sizeof good, &g0);
	git_oid_tostr(bad, sizeof bad, &g3);
	git_oid_tostr(want, sizeof want, &g2);
	git_oid_tostr(fixhex, sizeof fixhex, &fix);
	char *b = util_fmt("%s/bundle", d), *out = util_fmt("%s/bisect", d);
	itest_bundle(b, NULL);
	char *argv[] = {(char *)itest_gvab(), "bisect", "-q", "--source", up, "--good", good, "--bad", bad,
	                "--out", out, "--bundle", b, "--iterations", "12", NULL};
	rc = itest_run(&o, argv);
	fprintf(stderr, "%s", o);
	/* Real boots beside make check's other lanes can drift so much that
	 * the ends' 600 ms apart cannot be told at 12 rounds a look: bisect
	 * then says the pairs could not decide any change (the floor of the
	 * rank test at that widening), never that the ends are alike. That is
	 * the load, not the bisect: a counted skip with its words. Seen once
	 * under load: "bad - good -606.5 ms [-776.7, -286.3]" undecided. */
	const char *floor = strstr(o, "cannot decide a change of any size");
	if (rc == 65 && floor) {
		const char *at = strstr(o, "good and bad could not be told apart");
		char *why = util_fmt("%.300s", at ? at : floor);
		why[strcspn(why, "\n")] = '\0';
		free(o);
		TEST_SKIP("real-tree bisect undecidable under this load: %s", why);
	}
	ck_assert_msg(rc == 0, "gvab bisect exit %d: %s", rc, o);
	/* The same load can leave the middle revision undecided: the answer
	 * is then a range whose upper end is the merge (seen: "first bad: one
	 * of 2 revisions after 5d5e5b599569 up to 1639009edc2e ... skipped or
	 * undecided between"). Right but not exact: a counted skip with its
	 * words; a range that misses the merge still fails. */
	char *upto = util_fmt("up to %s", want);
	const char *range = strstr(o, "first bad: one of ");
	if (range && strstr(range, upto)) {
		char *why = util_fmt("%.300s", range);
		why[strcspn(why, "\n")] = '\0';
		TEST_SKIP("real-tree bisect left a range under this load (its middle revision undecided): %s",
		          why);
	}
	free(upto);
	char *line = util_fmt("first bad: %s", want);
	ck_assert_msg(strstr(o, line), "want %s: %s", line, o);
	ck_assert_ptr_nonnull(strstr(o, fixhex));
	free(o);
	char *bj = util_fmt("%s/bisect.json", out);
	cJSON *doc = util_json_load(bj);
	ck_assert_ptr_nonnull(doc);
	const cJSON *ans = cJSON_GetObjectItem(doc, "answer");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(ans, "exact")));
	ck_assert_double_lt(cJSON_GetObjectItem(ans, "delta_ms")->valuedouble, 0); /* faster */
	cJSON_Delete(doc);
	/* Resuming a finished bisect measures nothing again. */
	rc = itest_run(&o, argv);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(o, line), "resume: %s", o);
	free(o);
	char *chart = util_fmt("%s/bisect.svg", out);
	ck_assert(util_path_exists(chart));
	git_repository_free(r);
	git_repository_free(c);
	util_rm_rf(d);
	free(chart);
	free(bj);
	free(line);
	free(b);
	free(out);
	free(alt);
	free(objs);
	free(up);
	free(cache_repo);
	free(cache);
	free(d);
}
END_TEST

Suite *suite_bisect(void)
{
	Suite *s = suite_create("bisect (real gVisor trees)");
	TCase *tc = tcase_create("bisect");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_bisect_finds_the_merge);
	suite_add_tcase(s, tc);
	return s;
}
