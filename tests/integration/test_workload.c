/* gvab-workload and bundles that carry it: every mode on the host (inner
 * time positive and growing with N, bad usage exit 2), `gvab bundle
 * --workload` (binary, /walk tree, bundle.json), and the statwalk mode in a
 * real sandbox under Debian's runsc, whose line reaches runsc's stdout. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *workload_bin(void)
{
	char *d = util_xstrdup(itest_gvab());
	*strrchr(d, '/') = '\0';
	char *p = util_fmt("%s/gvab-workload", d);
	free(d);
	return p;
}

static long long inner_ns(const char *out)
{
	const char *p = strstr(out, "inner_ns=");
	return p ? strtoll(p + 9, NULL, 10) : -1;
}

START_TEST(test_modes_on_host)
{
	char *w = workload_bin(), *o = NULL;
	char *a1[] = {w, "spin", "1000000", NULL}, *a2[] = {w, "spin", "50000000", NULL};
	ck_assert_int_eq(itest_run(&o, a1), 0);
	long long small = inner_ns(o);
	free(o);
	ck_assert_int_eq(itest_run(&o, a2), 0);
	long long big = inner_ns(o);
	ck_assert_ptr_nonnull(strstr(o, "gvab-workload: mode=spin n=50000000 inner_ns="));
	free(o);
	ck_assert_int_gt(small, 0);
	ck_assert_msg(big > 10 * small, "spin 50M took %lld ns, 1M %lld ns", big, small);
	char *a3[] = {w, "statwalk", "/usr/share/doc", "2", NULL};
	ck_assert_int_eq(itest_run(&o, a3), 0);
	ck_assert_int_gt(inner_ns(o), 0);
	free(o);
	char *a4[] = {w, "spin", "-5", NULL}, *a5[] = {w, "statwalk", "/nonexistent-gvab", "1", NULL};
	ck_assert_int_eq(itest_run(NULL, a4), 2);
	ck_assert_int_eq(itest_run(NULL, a5), 1);
	free(w);
}
END_TEST

START_TEST(test_bundle_in_sandbox)
{
	char *d = itest_tmpdir("workload"), *b = util_fmt("%s/bundle", d), *o = NULL;
	char *av[] = {(char *)itest_gvab(), "bundle", "--out", b, "--workload", "--walk-files", "250", "--",
	              "/bin/gvab-workload", "statwalk", "/walk", "3", NULL};
	ck_assert_int_eq(itest_run(&o, av), 0);
	free(o);
	char *f = util_fmt("%s/rootfs/walk/d002/f049", b), *bin = util_fmt("%s/rootfs/bin/gvab-workload", b);
	ck_assert(util_path_exists(f) && util_path_exists(bin));
	char *meta = util_fmt("%s/bundle.json", b);
	ck_assert_int_eq(itest_count_lines(meta, "\"walk_files\":\t250"), 1);
	if (access("/usr/bin/runsc", X_OK) == 0) {
		char *root = util_fmt("--root=%s/root", d), *log = util_fmt("%s/out", d);
		char *rv[] = {"/usr/bin/runsc", root, "--platform=systrap", "--network=none", "run", "--bundle", b,
		              "gvab-wl-test", NULL};
		pid_t pid = itest_start(log, rv);
		ck_assert_int_eq(itest_wait(pid), 0);
		char *text = util_read_file(log, NULL);
		/* 250 files in 3 directories: 253 entries stat()ed per pass. */
		ck_assert_msg(text && strstr(text, "mode=statwalk n=3 inner_ns=") && strstr(text, "result=253"),
		              "%s", text ? text : "(no output)");
		ck_assert_int_gt(inner_ns(text), 0);
		free(text);
		free(root);
		free(log);
	}
	util_rm_rf(d);
	free(meta);
	free(f);
	free(bin);
	free(b);
	free(d);
}
END_TEST

Suite *suite_workload(void)
{
	Suite *s = suite_create("workload");
	TCase *tc = tcase_create("workload");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_modes_on_host);
	tcase_add_test(tc, test_bundle_in_sandbox);
	suite_add_tcase(s, tc);
	return s;
}
