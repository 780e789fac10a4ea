/* Building real upstream gVisor from the Go module proxy (gvisor.dev/gvisor):
 * the 2024 go merge of release-20240729.0 with Go 1.22 and a 2026 go merge
 * with Go 1.26, each in module mode with the toolchain its go.mod names,
 * each arm booting the bundle; hostmm-lazy applies to release-20260706.0's
 * go merge (its 2026 variant) and is reported superseded on a tree with
 * upstream's own fix; a toolchain that does not match go.mod fails in one
 * line; a release tag on a module source is refused with what to pass.
 *
 * Arms go into a fresh directory per test (nothing stale is reused); the
 * module, toolchain and build caches live in gvab's cache directory and are
 * shared between runs, which is what keeps CI fast after the first run. */
#define _GNU_SOURCE
#include "build.h"
#include "itest.h"
#include "modsource.h"
#include "proc.h"
#include "util.h"
#include "../skip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* release-20240729.0's go merge, release-20260706.0's go merge, and the
 * first go merge after release-20260714.0's that the proxy serves here
 * (it contains upstream's lazy-membarrier commit 00160b93c). */
#define V2024 "v0.0.0-20240726212243-a2b0498dbe7d"
#define V0706 "v0.0.0-20260709014902-8ed0c00a3f90"
#define V0715 "v0.0.0-20260715073107-67db8f16ca32"

static cJSON *prov_of(const char *out, const char *arm)
{
	char *p = util_fmt("%s/%s/provenance.json", out, arm);
	cJSON *doc = util_json_load(p);
	ck_assert_msg(doc != NULL, "no provenance %s", p);
	free(p);
	return doc;
}

static const char *jpath(const cJSON *doc, const char *a, const char *b)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, a);
	const cJSON *v = b ? cJSON_GetObjectItemCaseSensitive(o, b) : o;
	ck_assert_msg(cJSON_IsString(v), "provenance field %s.%s missing", a, b ? b : "");
	return v->valuestring;
}

/* Status of the hostmm-lazy patch in an arm's provenance. */
static const char *hostmm_status(const cJSON *prov, const char **name)
{
	const cJSON *ser = cJSON_GetObjectItemCaseSensitive(prov, "series"), *s;
	cJSON_ArrayForEach(s, ser)
	{
		if (strcmp(cJSON_GetObjectItem(s, "name")->valuestring, "hostmm-lazy") != 0)
			continue;
		const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "patches"), 0);
		*name = cJSON_GetObjectItem(p, "name")->valuestring;
		return cJSON_GetObjectItem(p, "status")->valuestring;
	}
	return NULL;
}

static void hostmm_go_test(const char *tree);

/* The module proxy could not serve a version (it answers 403 "not
 * available" for some gvisor.dev/gvisor versions, and a machine may have no
 * route to it): gvab's one-line reasons for that. Each test downloads what
 * it needs itself (no test relies on a cache another fills) and is a
 * counted skip, with the reason, when the proxy cannot serve it. */
static int proxy_refused(int rc, const char *o)
{
	return rc == 69 && o && (strstr(o, "module " MODSOURCE_MODULE "@") || strstr(o, "go mod download"));
}

/* Builds stock and patched from `version`, boots each once with
 * --syscalls, and checks REGISTER_PRIVATE_EXPEDITED: stock > 0, patched 0. */
static void build_and_boot(const char *test, const char *version, const char *want_go,
                           const char *want_variant)
{
	char *d = itest_tmpdir("modbuild");
	char *out = util_fmt("%s/arms", d), *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "module", "--ref", (char *)version,
	                "--out", out, "--arm", "stock", "--arm", "patched", NULL};
	int rc = itest_run(&o, argv);
	fprintf(stderr, "%s", o);
	if (proxy_refused(rc, o)) {
		test_skip_print(test, "the module proxy cannot serve %s here: %s", version, o);
		return;
	}
	ck_assert_msg(rc == 0, "gvab build %s exit %d: %s", version, rc, o);
	free(o);
	static const char *arms[] = {"stock", "patched"};
	for (int i = 0; i < 2; i++) {
		char *bin = util_fmt("%s/%s/runsc", out, arms[i]);
		ck_assert_int_eq(build_elf_is_static(bin), 1);
		cJSON *prov = prov_of(out, arms[i]);
		ck_assert_str_eq(jpath(prov, "source", "kind"), "module");
		ck_assert_str_eq(jpath(prov, "source", "module_version"), version);
		ck_assert_str_eq(jpath(prov, "go", "mode"), "module");
		ck_assert_msg(strncmp(jpath(prov, "go", "version"), want_go, strlen(want_go)) == 0,
		              "toolchain %s, want %s", jpath(prov, "go", "version"), want_go);
		ck_assert_uint_eq(strlen(jpath(prov, "go", "gosum_sha256")), 64);
		if (i == 1) {
			const char *name = NULL, *st = hostmm_status(prov, &name);
			ck_assert_str_eq(st, "applied");
			ck_assert_str_eq(name, want_variant);
		}
		cJSON_Delete(prov);
		free(bin);
	}
	/* Both boot; the patched arm makes no REGISTER call. */
	char *b = util_fmt("%s/bundle", d), *run = util_fmt("%s/run", d);
	itest_bundle(b, NULL);
	char *sa = util_fmt("stock=%s/stock/runsc", out), *pa = util_fmt("patched=%s/patched/runsc", out);
	char *rv[] = {(char *)itest_gvab(), "run", "-q", "--out", run, "--bundle", b, "--iterations", "1",
	              "--warmups", "0", "--syscalls", "--arm", sa, "--arm", pa, NULL};
	rc = itest_run(&o, rv);
	ck_assert_msg(rc == 0, "boot %s: %s", version, o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", run);
	ck_assert_int_eq(itest_count_lines(sp, "\"ok\":true"), 2);
	ck_assert_int_eq(itest_count_lines(sp, "\"membarrier_register_private_expedited\":0"), 1);
	ck_assert_int_eq(itest_count_lines(sp, "\"membarrier_register_private_expedited\":"), 2);
	/* The patch's own test passes on the patched tree. */
	char *tree = util_fmt("%s/patched/tree", out);
	if (strncmp(want_go, "go1.26", 6) == 0)
		hostmm_go_test(tree);
	free(tree);
	/* Unchanged inputs: nothing is rebuilt and nothing is downloaded. */
	rc = itest_run(&o, argv);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(o, "already imported, no download"));
	ck_assert_ptr_nonnull(strstr(o, "stock: up to date"));
	ck_assert_ptr_nonnull(strstr(o, "patched: up to date"));
	free(o);
	util_rm_rf(d);
	free(sp);
	free(sa);
	free(pa);
	free(b);
	free(run);
	free(out);
	free(d);
}

START_TEST(test_module_2024)
{
	build_and_boot(__func__, V2024, "go1.22", "0001-hostmm-register-private-expedited-membarrier-lazily.patch");
}
END_TEST

/* The patch's own go test on the patched 2026 tree, in module mode with
 * the toolchain and caches gvab used. */
static void hostmm_go_test(const char *tree)
{
	char *cache = util_cache_dir();
	char *e1 = util_fmt("GOMODCACHE=%s/gomod", cache), *e2 = util_fmt("GOCACHE=%s/gocache", cache);
	char *path = util_fmt("PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	char *home = util_fmt("HOME=%s", getenv("HOME") ? getenv("HOME") : "/root");
	char *envp[] = {e1, e2, path, home, "GOTOOLCHAIN=go1.26.3", "GOFLAGS=-modcacherw -mod=readonly",
	                "CGO_ENABLED=0", "GO111MODULE=on", "GOWORK=off", NULL};
	char *go = access("/usr/local/go/bin/go", X_OK) == 0 ? "/usr/local/go/bin/go" : "go";
	char *argv[] = {go, "test", "-count=1", "-v", "./pkg/sentry/hostmm/", NULL};
	char *o = NULL;
	int st;
	ck_assert_int_eq(proc_run_capture(argv, envp, tree, &o, &st), 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "go test: %s", o);
	ck_assert_msg(strstr(o, "--- PASS: TestProcessMemoryBarrierIsLazy") ||
	              strstr(o, "--- SKIP: TestProcessMemoryBarrierIsLazy"), "%s", o);
	free(o);
	free(e1);
	free(e2);
	free(path);
	free(home);
	free(cache);
}

START_TEST(test_module_2026)
{
	build_and_boot(__func__, V0706, "go1.26",
	               "0002-hostmm-register-private-expedited-membarrier-lazily-2026.patch");
}
END_TEST

START_TEST(test_superseded_upstream)
{
	char *d = itest_tmpdir("modsup");
	char *out = util_fmt("%s/arms", d), *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "module", "--ref", V0715, "--out", out,
	                "--arm", "patched", NULL};
	int rc = itest_run(&o, argv);
	if (proxy_refused(rc, o))
		TEST_SKIP("the module proxy cannot serve %s here: %s", V0715, o);
	ck_assert_msg(rc == 0, "gvab build exit %d: %s", rc, o);
	ck_assert_ptr_nonnull(strstr(o, "superseded upstream by 00160b93c"));
	free(o);
	cJSON *prov = prov_of(out, "patched");
	const char *name = NULL;
	ck_assert_str_eq(hostmm_status(prov, &name), "superseded");
	cJSON_Delete(prov);
	util_rm_rf(d);
	free(out);
	free(d);
}
END_TEST

/* Debian's Go 1.22 against a tree whose go.mod says 1.26.3: one answer
 * whether the module still has to be downloaded (Go 1.22 refuses it
 * there: checked on an empty cache of this test's own) or is in the cache
 * already (gvab checks go.mod before the build). */
START_TEST(test_toolchain_mismatch)
{
	char *d = itest_tmpdir("modgo");
	char *out = util_fmt("%s/arms", d), *o = NULL, *cache = util_fmt("%s/cache", d);
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "module", "--ref", V0706, "--go",
	                GVAB_DEFAULT_GO, "--out", out, "--arm", "stock", NULL};
	const char *shared = getenv("GVAB_CACHE_DIR");
	char *keep = shared ? util_xstrdup(shared) : NULL;
	setenv("GVAB_CACHE_DIR", cache, 1);
	int rc = itest_run(&o, argv);
	if (keep)
		setenv("GVAB_CACHE_DIR", keep, 1);
	else
		unsetenv("GVAB_CACHE_DIR");
	free(keep);
	if (proxy_refused(rc, o) && !strstr(o, "go.mod asks for"))
		TEST_SKIP("the module proxy cannot serve %s here: %s", V0706, o);
	ck_assert_int_eq(rc, 69);
	ck_assert_msg(strstr(o, "go.mod asks for go 1.26.3") && strstr(o, "is go1.22"), "%s", o);
	free(o);
	/* The shared cache, with the module imported (test_relayout_aa runs
	 * first) or not (this test alone): the same answer. */
	rc = itest_run(&o, argv);
	ck_assert_int_eq(rc, 69);
	ck_assert_msg(strstr(o, "go.mod asks for go 1.26.3") && strstr(o, "is go1.22"), "%s", o);
	free(o);
	util_rm_rf(d);
	free(cache);
	free(out);
	free(d);
}
END_TEST

START_TEST(test_module_refs_refused)
{
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "module", "--ref", "release-20260714.0",
	                "--out", "/nonexistent-gvab-out", "--arm", "stock", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 64);
	ck_assert_ptr_nonnull(strstr(o, "no git history"));
	ck_assert_ptr_nonnull(strstr(o, "pseudo-version"));
	free(o);
	/* --offline and a version never imported: a failed precondition. */
	char *a2[] = {(char *)itest_gvab(), "build", "--source", "module", "--offline", "--ref",
	              "v0.0.0-20200101000000-000000000000", "--out", "/nonexistent-gvab-out", "--arm",
	              "stock", NULL};
	ck_assert_int_eq(itest_run(&o, a2), 69);
	ck_assert_ptr_nonnull(strstr(o, "--offline"));
	free(o);
}
END_TEST

/* A/A': the same source and patches again as a second arm linked with the
 * functions in another order. A different binary (another sha256, another
 * address for the same function) that boots like the first; provenance
 * says what was done; bad relayout items and a toolchain without
 * -randlayout are refused in one line. The compile is the build cache's:
 * only the link runs again. */
START_TEST(test_relayout_aa)
{
	char *d = itest_tmpdir("modrelayout");
	char *out = util_fmt("%s/arms", d), *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "module", "--ref", V0706, "--out", out,
	                "--arm", "stock", "--arm", "stock2=stock,relayout", NULL};
	int rc = itest_run(&o, argv);
	if (proxy_refused(rc, o))
		TEST_SKIP("the module proxy cannot serve %s here: %s", V0706, o);
	ck_assert_msg(rc == 0, "gvab build exit %d: %s", rc, o);
	free(o);
	cJSON *p1 = prov_of(out, "stock"), *p2 = prov_of(out, "stock2");
	ck_assert_str_eq(jpath(p2, "arm_spec", NULL), "stock");
	ck_assert_str_eq(jpath(p1, "resolved_commit", NULL), jpath(p2, "resolved_commit", NULL));
	ck_assert_str_eq(jpath(p1, "go", "version"), jpath(p2, "go", "version"));
	char *s1 = cJSON_PrintUnformatted(cJSON_GetObjectItem(p1, "series"));
	char *s2 = cJSON_PrintUnformatted(cJSON_GetObjectItem(p2, "series"));
	ck_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	ck_assert_str_ne(jpath(p1, "binary", "sha256"), jpath(p2, "binary", "sha256"));
	const cJSON *b1 = cJSON_GetObjectItem(p1, "build"), *b2 = cJSON_GetObjectItem(p2, "build");
	ck_assert_ptr_null(cJSON_GetObjectItem(b1, "relayout"));
	const cJSON *rl = cJSON_GetObjectItem(b2, "relayout");
	ck_assert_ptr_nonnull(rl);
	ck_assert_int_eq(cJSON_GetObjectItem(rl, "seed")->valueint, 1);
	ck_assert_ptr_nonnull(strstr(jpath(p2, "build", "ldflags"), "-randlayout=1"));
	ck_assert_ptr_null(strstr(jpath(p1, "build", "ldflags"), "randlayout"));
	cJSON_Delete(p1);
	cJSON_Delete(p2);
	/* The layout differs, not only a build id: runsc's main.main moved.
	 * `go tool nm` lists megabytes, more than proc_run_capture keeps: its
	 * output goes to a file. */
	char *addr[2];
	for (int i = 0; i < 2; i++) {
		char *bin = util_fmt("%s/%s/runsc", out, i ? "stock2" : "stock");
		char *nmout = util_fmt("%s/nm-%d.txt", d, i);
		char *go = access("/usr/local/go/bin/go", X_OK) == 0 ? "/usr/local/go/bin/go" : "go";
		char *nv[] = {go, "tool", "nm", bin, NULL};
		char *path = util_fmt("PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		char *home = util_fmt("HOME=%s", getenv("HOME") ? getenv("HOME") : "/root");
		char *envp[] = {path, home, "GOTOOLCHAIN=local", NULL};
		struct proc_opts po = {.argv = nv, .envp = envp, .stdout_path = nmout, .stdin_null = 1};
		pid_t pid;
		int st;
		ck_assert_int_eq(proc_spawn(&po, &pid), 0);
		ck_assert_int_eq(proc_wait(pid, &st, NULL), 0);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "go tool nm %s: %s", bin, proc_status_str(st));
		o = util_read_file(nmout, NULL);
		ck_assert_ptr_nonnull(o);
		char *m = strstr(o, " T main.main\n");
		ck_assert_msg(m != NULL, "no main.main in %s", bin);
		char *l = m;
		while (l > o && l[-1] != '\n')
			l--;
		addr[i] = strndup(l, (size_t)(m - l));
		free(o);
		free(path);
		free(home);
		free(nmout);
		free(bin);
	}
	ck_assert_msg(strcmp(addr[0], addr[1]) != 0, "main.main at %s in both", addr[0]);
	free(addr[0]);
	free(addr[1]);
	/* Both boot. */
	char *b = util_fmt("%s/bundle", d), *run = util_fmt("%s/run", d);
	itest_bundle(b, NULL);
	char *sa = util_fmt("stock=%s/stock/runsc", out), *pa = util_fmt("stock2=%s/stock2/runsc", out);
	char *rv[] = {(char *)itest_gvab(), "run", "-q", "--out", run, "--bundle", b, "--iterations", "1",
	              "--warmups", "0", "--arm", sa, "--arm", pa, NULL};
	rc = itest_run(&o, rv);
	ck_assert_msg(rc == 0, "boot: %s", o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", run);
	ck_assert_int_eq(itest_count_lines(sp, "\"ok\":true"), 2);
	/* Bad items: a usage error naming the item. */
	static const char *bad[] = {"stock2=stock,relayot", "stock,relayout", "s=stock,relayout=0",
	                            "s=stock,relayout=x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *av[] = {(char *)itest_gvab(), "build", "--source", "module", "--ref", V0706, "--out", out,
		              "--arm", (char *)bad[i], NULL};
		ck_assert_int_eq(itest_run(&o, av), 64);
		ck_assert_msg(strstr(o, bad[i]) && strstr(o, "relayout"), "%s: %s", bad[i], o);
		free(o);
	}
	/* Go 1.22's linker has no -randlayout: refused before building. The
	 * 2024 tree's go.mod says which toolchain, so the test fetches that
	 * module version itself when no earlier test did (it used to pass
	 * --offline and rely on test_module_2024 having run first). */
	char *av[] = {(char *)itest_gvab(), "build", "--source", "module", "--ref", V2024,
	              "--out", out, "--arm", "old2=stock,relayout", NULL};
	rc = itest_run(&o, av);
	if (proxy_refused(rc, o) && !strstr(o, "relayout"))
		TEST_SKIP("the module proxy cannot serve %s here: %s", V2024, o);
	ck_assert_int_eq(rc, 69);
	ck_assert_msg(strstr(o, "relayout needs the Go 1.23 linker") && strstr(o, "go1.22"), "%s", o);
	free(o);
	util_rm_rf(d);
	free(sp);
	free(sa);
	free(pa);
	free(b);
	free(run);
	free(out);
	free(d);
}
END_TEST

/* The 2026 trees in two suites: the first compiles release-20260706.0's
 * stock tree (test_relayout_aa) into gvab's Go cache; the second (the
 * patched arm, a later tree) and the real-tree bisect reuse that compile,
 * so tests/run.sh starts them, side by side, once the first has ended. */
Suite *suite_build_module(void)
{
	Suite *s = suite_create("build (module source)");
	TCase *tc = tcase_create("module");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_module_refs_refused);
	tcase_add_test(tc, test_relayout_aa);
	tcase_add_test(tc, test_toolchain_mismatch);
	suite_add_tcase(s, tc);
	return s;
}

Suite *suite_build_module_2026(void)
{
	Suite *s = suite_create("build (module source, 2026 patched)");
	TCase *tc = tcase_create("module 2026");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_module_2026);
	tcase_add_test(tc, test_superseded_upstream);
	suite_add_tcase(s, tc);
	return s;
}

/* The 2024 tree (Go 1.22 toolchain): a compile that shares nothing with the
 * 2026 trees', so a suite of its own, in another lane than theirs
 * (tests/integration/itest.c). */
Suite *suite_build_module_2024(void)
{
	Suite *s = suite_create("build (module source, 2024 tree)");
	TCase *tc = tcase_create("module 2024");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_module_2024);
	suite_add_tcase(s, tc);
	return s;
}
