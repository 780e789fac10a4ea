/* Building stock and patched runsc from Debian's gVisor source: static,
 * runnable, provenance, no-op rebuild, the patch's own go test, a boot of
 * each, and the membarrier REGISTER count per boot (stock > 0, patched 0). */
#define _GNU_SOURCE
#include "build.h"
#include "itest.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		ck_assert_ptr_nonnull(strstr(o, "runsc version gvab-"));
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
	char *argv[] = {"perf", "stat", "-x,", "-a", "-e", "syscalls:sys_enter_membarrier",
	                "--filter", "cmd == 16", "--", (char *)itest_gvab(), "run", "-q", "--out",
	                (char *)out, "--bundle", (char *)bundle, "--iterations", "1", "--warmups", "0",
	                "--arm", a1, "--arm", a2, NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "perf/gvab exit %d: %s", rc, o);
	long n = -1;
	for (char *l = o; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strstr(l, "syscalls:sys_enter_membarrier")) {
			n = strtol(l, NULL, 10);
			break;
		}
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
	ck_assert_msg(itest_run(&o, probe) == 0, "perf tracepoints unavailable: %s", o);
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

Suite *suite_build(void)
{
	Suite *s = suite_create("build (Debian source)");
	TCase *tc = tcase_create("arms");
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_build_both_arms);
	tcase_add_test(tc, test_hostmm_go_test);
	tcase_add_test(tc, test_membarrier_register_count);
	suite_add_tcase(s, tc);
	return s;
}
