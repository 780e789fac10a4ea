/* Building stock and patched runsc from Debian's gVisor source: static,
 * runnable, provenance, no-op rebuild, the patch's own go test, a boot of
 * each, and the membarrier REGISTER count per boot (stock > 0, patched 0). */
#define _GNU_SOURCE
#include "build.h"
#include "itest.h"
#include "proc.h"
#include "util.h"
#include "../skip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *arms_dir(void)
{
	const char *d = getenv("GVAB_ITEST_ARMS");
	return d ? d : "build/itest-arms";
}

START_TEST(test_build_both_arms)
{
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "debian", "--out",
	                (char *)arms_dir(), "--arm", "stock", "--arm", "patched", NULL};
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab build exit %d: %s", rc, o);
	fprintf(stderr, "%s", o);
	free(o);
	static const char *arms[] = {"stock", "patched"};
	for (int i = 0; i < 2; i++) {
		char *bin = util_fmt("%s/%s/runsc", arms_dir(), arms[i]);
		ck_assert_int_eq(build_elf_is_static(bin), 1);
		char *v[] = {bin, "--version", NULL};
		ck_assert_int_eq(itest_run(&o, v), 0);
		/* What it was built from: Debian's package version (+ the arm's series). */
		ck_assert_msg(strstr(o, "runsc version debian-") && (i == 0 || strstr(o, "+patched")), "%s", o);
		free(o);
		char *pp = util_fmt("%s/%s/provenance.json", arms_dir(), arms[i]);
		cJSON *prov = util_json_load(pp);
		ck_assert_ptr_nonnull(prov);
		char hex[65];
		ck_assert_int_eq(util_sha256_file(bin, hex), 0);
		ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(prov, "binary"), "sha256")->valuestring, hex);
		ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(prov, "series")), i ? 2 : 1);
		cJSON_Delete(prov);
		free(pp);
		free(bin);
	}
	/* Unchanged inputs: nothing is rebuilt. */
	rc = itest_run(&o, argv);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(o, "stock: up to date"));
	ck_assert_ptr_nonnull(strstr(o, "patched: up to date"));
	free(o);
}
END_TEST

START_TEST(test_hostmm_go_test)
{
	char *tree = util_fmt("%s/patched/gopath/src/gvisor.dev/gvisor", arms_dir());
	char *gopath = util_fmt("%s/patched/gopath:" GVAB_DEBIAN_GOPATH, arms_dir());
	setenv("GOPATH", gopath, 1);
	setenv("GO111MODULE", "off", 1);
	setenv("CGO_ENABLED", "0", 1);
	setenv("GOFLAGS", "", 1);
	ck_assert_int_eq(chdir(tree), 0);
	char *o = NULL;
	char *argv[] = {GVAB_DEFAULT_GO, "test", "-count=1", "-v", "./pkg/sentry/hostmm/", NULL};
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "go test exit %d: %s", rc, o);
	ck_assert_ptr_nonnull(strstr(o, "--- PASS: TestProcessMemoryBarrierIsLazy"));
	free(o);
	free(tree);
	free(gopath);
}
END_TEST

/* REGISTER_PRIVATE_EXPEDITED calls during an A/A run of two boots. */
static long count_register(const char *arm, const char *bundle, const char *out)
{
	char *bin = util_fmt("%s/%s/runsc", arms_dir(), arm);
	char *a1 = util_fmt("a=%s", bin), *a2 = util_fmt("b=%s", bin);
	/* MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED == 16 (linux/membarrier.h) */
	/* perf's counts go to their own file (-o): gvab run prints its answer
	 * on the same terminal. Not -a: perf counts gvab and its descendants
	 * (every runsc, gofer and sandbox of the run), so another runsc on the
	 * host never lands in the count (with -a it did: patched 66 under a
	 * concurrent run). */
	char *counts = util_fmt("%s.perf", out);
	char *argv[] = {"perf", "stat", "-x,", "-o", counts, "-e", "syscalls:sys_enter_membarrier",
	                "--filter", "cmd == 16", "--", (char *)itest_gvab(), "run", "-q", "--out",
	                (char *)out, "--bundle", (char *)bundle, "--iterations", "1", "--warmups", "0",
	                "--arm", a1, "--arm", a2, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "perf/gvab exit %d: %s", rc, o);
	free(o);
	o = util_read_file(counts, NULL);
	ck_assert_ptr_nonnull(o);
	/* The CSV line of the event (-x,): "COUNT,,syscalls:sys_enter_membarrier,...";
	 * comment lines start with '#'. Each line is looked at alone. */
	long n = -1;
	for (char *l = strtok(o, "\n"); l; l = strtok(NULL, "\n"))
		if (l[0] != '#' && strstr(l, ",syscalls:sys_enter_membarrier,")) {
			n = strtol(l, NULL, 10);
			break;
		}
	free(counts);
	free(o);
	free(bin);
	free(a1);
	free(a2);
	return n;
}

START_TEST(test_membarrier_register_count)
{
	char *o = NULL;
	char *probe[] = {"perf", "stat", "-e", "syscalls:sys_enter_membarrier", "true", NULL};
	if (itest_run(&o, probe) != 0)
		TEST_SKIP("perf or its syscall tracepoints are unavailable here: %s", o ? o : "");
	free(o);
	char *d = itest_tmpdir("membarrier");
	char *b = util_fmt("%s/bundle", d), *o1 = util_fmt("%s/stock", d), *o2 = util_fmt("%s/patched", d);
	itest_bundle(b, NULL);
	long stock = count_register("stock", b, o1);
	long patched = count_register("patched", b, o2);
	fprintf(stderr, "membarrier REGISTER_PRIVATE_EXPEDITED calls for 2 boots: stock %ld, patched %ld\n",
	        stock, patched);
	ck_assert_int_gt(stock, 0);
	ck_assert_int_eq(patched, 0);
	/* gvab's own --syscalls counter agrees, per boot. */
	char *o3 = util_fmt("%s/sys", d);
	char *sa = util_fmt("stock=%s/stock/runsc", arms_dir()), *pa = util_fmt("patched=%s/patched/runsc", arms_dir());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", o3, "--bundle", b, "--iterations", "1",
	                "--warmups", "0", "--syscalls", "--arm", sa, "--arm", pa, NULL};
	ck_assert_int_eq(itest_run(NULL, argv), 0);
	char *s3 = util_fmt("%s/samples.jsonl", o3);
	ck_assert_int_eq(itest_count_lines(s3, "\"membarrier_register_private_expedited\":0"), 1);
	ck_assert_int_eq(itest_count_lines(s3, "\"membarrier_register_private_expedited\":"), 2);
	free(s3);
	free(o3);
	free(sa);
	free(pa);
	/* Both boots of each arm succeeded. */
	char *s1 = util_fmt("%s/samples.jsonl", o1), *s2 = util_fmt("%s/samples.jsonl", o2);
	ck_assert_int_eq(itest_count_lines(s1, "\"ok\":true"), 2);
	ck_assert_int_eq(itest_count_lines(s2, "\"ok\":true"), 2);
	util_rm_rf(d);
	free(s1);
	free(s2);
	free(b);
	free(o1);
	free(o2);
	free(d);
}
END_TEST

/* `go list -deps ./runsc` of an arm's tree, with optional tags. */
static char *deps_of(const char *arm, const char *tags)
{
	char *tree = util_fmt("%s/%s/gopath/src/gvisor.dev/gvisor", arms_dir(), arm);
	char *gopath = util_fmt("GOPATH=%s/%s/gopath:" GVAB_DEBIAN_GOPATH, arms_dir(), arm);
	char *tagarg = util_fmt("-tags=%s", tags ? tags : "");
	char *argv[] = {GVAB_DEFAULT_GO, "list", "-deps", tagarg, "./runsc", NULL};
	char *envp[] = {gopath, "GO111MODULE=off", "CGO_ENABLED=0", "GOFLAGS=", "HOME=/root",
	                "PATH=/usr/bin:/bin", NULL};
	char *o = NULL;
	int st;
	ck_assert_int_eq(proc_run_capture(argv, envp, tree, &o, &st), 0);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "go list: %s", o);
	free(tree);
	free(gopath);
	free(tagarg);
	return o;
}

START_TEST(test_buildtag_split)
{
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "build", "--source", "debian", "--out",
	                (char *)arms_dir(), "--arm", "split=buildtag-split",
	                "--arm", "slim=hostmm-lazy+buildtag-split@runsc_slim", NULL};
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab build exit %d: %s", rc, o);
	free(o);
	/* Untagged: exactly stock's package set. (Not byte-identical: moving
	 * code between files changes the binary's file:line tables.) */
	char *ds = deps_of("stock", NULL), *dsplit = deps_of("split", NULL);
	ck_assert_str_eq(ds, dsplit);
	char *dslim = deps_of("slim", "runsc_slim");
	static const char *gone[] = {"gvisor.dev/gvisor/pkg/sentry/platform/kvm\n",
	                             "gvisor.dev/gvisor/pkg/sentry/devices/nvproxy\n",
	                             "gvisor.dev/gvisor/pkg/sentry/devices/tpuproxy\n",
	                             "gvisor.dev/gvisor/pkg/sentry/devices/accel\n",
	                             "gvisor.dev/gvisor/pkg/abi/tpu\n", NULL};
	for (int i = 0; gone[i]; i++) {
		ck_assert_ptr_nonnull(strstr(ds, gone[i]));
		ck_assert_msg(!strstr(dslim, gone[i]), "%s still linked with runsc_slim", gone[i]);
	}
	free(ds);
	free(dsplit);
	free(dslim);
	/* The tagged build boots the bundle ... */
	char *d = itest_tmpdir("slim");
	char *b = util_fmt("%s/bundle", d), *out = util_fmt("%s/run", d);
	itest_bundle(b, NULL);
	char *bin = util_fmt("%s/slim/runsc", arms_dir());
	char *a1 = util_fmt("a=%s", bin), *a2 = util_fmt("b=%s", bin);
	char *run[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b, "--iterations",
	               "1", "--warmups", "0", "--arm", a1, "--arm", a2, NULL};
	rc = itest_run(&o, run);
	ck_assert_msg(rc == 0, "slim boot: %s", o);
	free(o);
	/* ... and each gated feature fails at once, naming the tag. */
	static const char *flags[] = {"--platform=kvm", "--nvproxy", "--tpuproxy", NULL};
	for (int i = 0; flags[i]; i++) {
		char *root = util_fmt("--root=%s/root%d", d, i);
		char *c[] = {bin, root, (char *)flags[i], "create", "--bundle", b, "slimtest", NULL};
		rc = itest_run(&o, c);
		ck_assert_int_ne(rc, 0);
		ck_assert_msg(strstr(o, "built with -tags runsc_slim") && strstr(o, flags[i]),
		              "%s: %s", flags[i], o);
		free(o);
		free(root);
	}
	util_rm_rf(d);
	free(a1);
	free(a2);
	free(bin);
	free(b);
	free(out);
	free(d);
}
END_TEST

Suite *suite_build(void)
{
	Suite *s = suite_create("build (Debian source)");
	TCase *tc = tcase_create("arms");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_build_both_arms);
	tcase_add_test(tc, test_hostmm_go_test);
	tcase_add_test(tc, test_membarrier_register_count);
	tcase_add_test(tc, test_buildtag_split);
	suite_add_tcase(s, tc);
	return s;
}
