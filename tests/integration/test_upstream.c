/* Upstream fidelity (issue 21) on the synthetic history of fakehist.h, with
 * the real gvab binary:
 * - a failed build (a tree that does not compile, a tree with a blob the
 *   source lacks) leaves the old arm byte-identical and no partial tree; the
 *   missing blob is named with what would provide it (exit 69);
 * - a build names the upstream commit it was built from (runsc --version's
 *   -X value and Go's build info), not a checkout's VCS data;
 * - a --source that does not exist fails (69) even when the ref is cached;
 * - a cached tag whose go merge came later is fetched for, unless --offline;
 * - trend and bisect do not measure one tree against itself. */
#define _GNU_SOURCE
#include "fakehist.h"
#include "itest.h"
#include "source.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 3

static git_oid oid_of(const char *hex)
{
	git_oid id;
	ck_assert_int_eq(git_oid_fromstr(&id, hex), 0);
	return id;
}

static git_oid mkcommit(git_repository *r, const git_oid *tree, const char *msg, const git_oid *p1,
                        const git_oid *p2, long when)
{
	git_tree *t;
	git_signature *sig;
	git_commit *pc[2] = {NULL, NULL};
	const git_commit *parents[2];
	size_t np = 0;
	git_oid id;
	ck_assert_int_eq(git_tree_lookup(&t, r, tree), 0);
	ck_assert_int_eq(git_signature_new(&sig, "t", "t@example.org", 1780000000 + when, 0), 0);
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

static git_oid tree_of(git_repository *r, const git_oid *commit)
{
	git_commit *c;
	ck_assert_int_eq(git_commit_lookup(&c, r, commit), 0);
	git_oid t = *git_commit_tree_id(c);
	git_commit_free(c);
	return t;
}

static void setref(git_repository *r, const char *name, const git_oid *id)
{
	git_reference *ref;
	ck_assert_int_eq(git_reference_create(&ref, r, name, id, 1, NULL), 0);
	git_reference_free(ref);
}

/* gvab build of `ref` into out/stock; extra (may be NULL) after. */
static int build(const struct fakehist *h, const char *out, const char *ref, const char *extra, char **o)
{
	char *argv[] = {(char *)itest_gvab(), "build", "--source", h->repo, "--cache", h->cache, "--patches",
	                h->patches, "--go", FAKEHIST_GO, "--out", (char *)out, "--arm", "stock", "--ref", (char *)ref,
	                (char *)extra, NULL};
	return itest_run(o, argv);
}

static char *slurp(const char *dir, const char *name)
{
	char *p = util_fmt("%s/stock/%s", dir, name), *t = util_read_file(p, NULL);
	free(p);
	ck_assert_msg(t != NULL, "%s/stock/%s missing", dir, name);
	return t;
}

/* Nothing but the arm and a kept failed log beside it: no staging left. */
static void assert_no_stage(const char *out)
{
	DIR *d = opendir(out);
	ck_assert_ptr_nonnull(d);
	for (struct dirent *e; (e = readdir(d));)
		ck_assert_msg(strstr(e->d_name, ".build-") == NULL, "left behind: %s/%s", out, e->d_name);
	closedir(d);
}

START_TEST(test_failed_builds_keep_the_arm)
{
	if (!fakehist_have_go()) {
		fprintf(stderr, "skipped: no %s\n", FAKEHIST_GO);
		return;
	}
	int d[N] = {0};
	struct fakehist h;
	fakehist_create(&h, "upstream-atomic", N, d, 0, 2); /* g2 does not compile */
	char *out = util_fmt("%s/arms", h.dir), *o = NULL;
	ck_assert_msg(build(&h, out, h.go[1], NULL, &o) == 0, "%s", o);
	free(o);
	char *prov = slurp(out, "provenance.json"), *log = slurp(out, "build.log");
	char *binp = util_fmt("%s/stock/runsc", out), bin[65], b2[65];
	ck_assert_int_eq(util_sha256_file(binp, bin), 0);

	/* Identity: the upstream commit as a pseudo-version in -ldflags (what
	 * runsc --version prints); no VCS stamp of the checkout in Go's build
	 * info (Go leaves -ldflags out of it under -trimpath). */
	char when[16], *ident;
	time_t t = 1780000000 + 11; /* g1's commit time (fakehist) */
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y%m%d%H%M%S", &tm);
	ident = util_fmt("v0.0.0-%s-%.12s", when, h.go[1]);
	ck_assert_msg(strstr(prov, ident) != NULL, "no %s in %s", ident, prov);
	char *p = util_fmt("%s/stock/provenance.json", out);
	cJSON *doc = util_json_load(p);
	const char *gvm = cJSON_GetObjectItem(doc, "go_version_m")->valuestring;
	ck_assert_msg(strstr(gvm, "-trimpath=true") && !strstr(gvm, "vcs."), "%s", gvm);
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "identity")->valuestring, ident);
	const char *ldf = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "build"), "ldflags")->valuestring;
	ck_assert_msg(strstr(ldf, "runsc/version.version=") && strstr(ldf, ident), "%s", ldf);
	const cJSON *src = cJSON_GetObjectItem(doc, "source");
	ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(src, "cache_refs")->valuestring, "refs/sources/upstream-"));
	cJSON_Delete(doc);
	free(p);

	/* A tree that does not compile: exit 1, the old arm as it was, the log
	 * kept beside it; a killed build's staging directory (its pid gone) is
	 * cleared on the way. */
	char *stale = util_fmt("%s/.stock.build-999999999/tree", out);
	ck_assert_int_eq(util_mkdir_p(stale, 0755), 0);
	free(stale);
	ck_assert_int_eq(build(&h, out, h.go[2], "--force", &o), 1);
	ck_assert_msg(strstr(o, "stock.failed-build.log"), "%s", o);
	free(o);
	char *p2 = slurp(out, "provenance.json"), *l2 = slurp(out, "build.log");
	ck_assert_int_eq(util_sha256_file(binp, b2), 0);
	ck_assert_str_eq(bin, b2);
	ck_assert_str_eq(prov, p2);
	ck_assert_str_eq(log, l2);
	assert_no_stage(out);
	char *fl = util_fmt("%s/stock.failed-build.log", out);
	ck_assert(util_path_exists(fl));
	free(fl);
	free(p2);
	free(l2);

	/* A go commit whose tree holds a blob no source object has (a partial
	 * clone): 69, the path named with what would provide it. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	git_repository *c;
	char *cache_repo = util_fmt("%s/gvisor.git", h.cache), *ns = source_namespace(h.repo);
	ck_assert_int_eq(git_repository_open_bare(&c, cache_repo), 0);
	git_oid g1 = oid_of(h.go[1]), top = tree_of(c, &g1), fake;
	git_tree *tt, *rt;
	ck_assert_int_eq(git_tree_lookup(&tt, c, &top), 0);
	ck_assert_int_eq(git_tree_lookup(&rt, c, git_tree_entry_id(git_tree_entry_byname(tt, "runsc"))), 0);
	ck_assert_int_eq(git_oid_fromstr(&fake, "9ee46233d459000000000000000000000000beef"), 0);
	git_treebuilder *tb;
	git_oid sub, nt;
	ck_assert_int_eq(git_treebuilder_new(&tb, c, rt), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, "checkpointgofer.bin", &fake, GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(git_treebuilder_write(&sub, tb), 0);
	git_treebuilder_free(tb);
	ck_assert_int_eq(git_treebuilder_new(&tb, c, tt), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, tb, "runsc", &sub, GIT_FILEMODE_TREE), 0);
	ck_assert_int_eq(git_treebuilder_write(&nt, tb), 0);
	git_treebuilder_free(tb);
	git_tree_free(rt);
	git_tree_free(tt);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	git_oid partial = mkcommit(c, &nt, "Merge release-20990101.0-9-gffff (automated)", &g1, NULL, 500);
	char *goref = util_fmt("%s/heads/go", ns), hex[41];
	setref(c, goref, &partial);
	git_oid_tostr(hex, sizeof hex, &partial);
	git_repository_free(c);
	ck_assert_int_eq(build(&h, out, hex, "--offline", &o), 69);
	ck_assert_msg(strstr(o, "runsc/checkpointgofer.bin") && strstr(o, "full clone") &&
	              strstr(o, "--source module --ref v0.0.0-"), "%s", o);
	free(o);
	p2 = slurp(out, "provenance.json");
	ck_assert_int_eq(util_sha256_file(binp, b2), 0);
	ck_assert_str_eq(bin, b2);
	ck_assert_str_eq(prov, p2);
	assert_no_stage(out);
	free(p2);

	/* A --source that does not exist: 69, even with the commit cached. */
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "/nonexistent/gvisor.git", "--cache", h.cache,
	                "--patches", h.patches, "--go", FAKEHIST_GO, "--out", out, "--arm", "other=stock", "--ref",
	                h.go[1], NULL};
	ck_assert_int_eq(itest_run(&o, argv), 69);
	ck_assert_msg(strstr(o, "no such repository"), "%s", o);
	free(o);
	char *other = util_fmt("%s/other", out);
	ck_assert(!util_path_exists(other));
	free(other);
	free(goref);
	free(ns);
	free(cache_repo);
	free(ident);
	free(binp);
	free(prov);
	free(log);
	free(out);
	fakehist_free(&h);
}
END_TEST

START_TEST(test_cached_tag_fetches_its_merge)
{
	if (!fakehist_have_go())
		return;
	int d[N] = {0};
	struct fakehist h;
	fakehist_create(&h, "upstream-fetch", N, d, 0, -1);
	/* Upstream tags a new master commit; its go merge comes later. */
	git_repository *r;
	ck_assert_int_eq(git_repository_open_bare(&r, h.repo), 0);
	git_oid mtip = oid_of(h.master[N - 1]), gtip = oid_of(h.go[N - 1]);
	git_oid mt = tree_of(r, &mtip);
	git_oid mx = mkcommit(r, &mt, "master change x", &mtip, NULL, 1000);
	setref(r, "refs/heads/master", &mx);
	setref(r, "refs/tags/release-20990201.0", &mx);
	char *out = util_fmt("%s/arms", h.dir), *o = NULL;
	ck_assert_int_eq(build(&h, out, "release-20990201.0", NULL, &o), 64);
	ck_assert_msg(strstr(o, "no go-branch merge contains it yet"), "%s", o);
	free(o);
	git_oid gt = tree_of(r, &gtip);
	git_oid gx = mkcommit(r, &gt, "Merge release-20990201.0 (automated)", &gtip, &mx, 1001);
	setref(r, "refs/heads/go", &gx);
	git_repository_free(r);
	/* The tag is cached now, its merge is not: --offline says so ... */
	ck_assert_int_eq(build(&h, out, "release-20990201.0", "--offline", &o), 64);
	free(o);
	/* ... and without it, the build fetches and finds the merge. */
	ck_assert_msg(build(&h, out, "tags/release-20990201.0", NULL, &o) == 0, "%s", o);
	ck_assert_msg(strstr(o, "fetching"), "%s", o);
	char hex[41];
	git_oid_tostr(hex, sizeof hex, &gx);
	char *p = util_fmt("%s/stock/provenance.json", out);
	cJSON *doc = util_json_load(p);
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "resolved_commit")->valuestring, hex);
	cJSON_Delete(doc);
	free(p);
	free(o);
	free(out);
	fakehist_free(&h);
}
END_TEST

START_TEST(test_same_tree_not_measured)
{
	if (!fakehist_have_go())
		return;
	int d[N] = {0};
	struct fakehist h;
	fakehist_create(&h, "upstream-same", N, d, 0, -1);
	/* A one-parent automated merge on top of the go tip with its tree. */
	git_repository *r;
	ck_assert_int_eq(git_repository_open_bare(&r, h.repo), 0);
	git_oid gtip = oid_of(h.go[N - 1]), gt = tree_of(r, &gtip);
	git_oid gs = mkcommit(r, &gt, "Merge release-20990101.0-3-gaaaa (automated)", &gtip, NULL, 2000);
	setref(r, "refs/heads/go", &gs);
	git_repository_free(r);
	char hs[41];
	git_oid_tostr(hs, sizeof hs, &gs);
	char *out = util_fmt("%s/trend", h.dir), *o = NULL;
	char *extra[] = {"--ref", h.go[1], "--ref", h.go[2], "--ref", hs, "--out", out, "--iterations", "5",
	                 "--warmups", "0", NULL};
	char **argv = fakehist_argv(&h, "trend", extra);
	ck_assert_msg(itest_run(&o, argv) == 0, "%s", o);
	ck_assert_msg(strstr(o, "left out: the same tree as"), "%s", o);
	free(argv);
	free(o);
	char *bout = util_fmt("%s/bisect", h.dir);
	char *bx[] = {"--good", h.go[2], "--bad", hs, "--out", bout, NULL};
	argv = fakehist_argv(&h, "bisect", bx);
	ck_assert_int_eq(itest_run(&o, argv), 64);
	ck_assert_msg(strstr(o, "are the same tree"), "%s", o);
	free(argv);
	free(o);
	/* g1 good, gS bad: g2 between them has gS's tree, so it is bad-like
	 * without a measurement, and the first bad. */
	char *bout2 = util_fmt("%s/bisect2", h.dir);
	char *bx2[] = {"--good", h.go[1], "--bad", hs, "--out", bout2, NULL};
	argv = fakehist_argv(&h, "bisect", bx2);
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0 && strstr(o, "not measured: the same tree as"), "exit %d: %s", rc, o);
	free(argv);
	free(o);
	free(bout2);
	free(bout);
	free(out);
	fakehist_free(&h);
}
END_TEST

Suite *suite_upstream(void)
{
	Suite *s = suite_create("upstream fidelity (synthetic history)");
	TCase *tc = tcase_create("upstream");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_failed_builds_keep_the_arm);
	tcase_add_test(tc, test_cached_tag_fetches_its_merge);
	tcase_add_test(tc, test_same_tree_not_measured);
	suite_add_tcase(s, tc);
	return s;
}
