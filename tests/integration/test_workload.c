/* gvab-workload and bundles that carry it: every mode on the host (inner
 * time positive and growing with N, bad usage exit 2), `gvab bundle
 * --workload` (binary, /walk tree, bundle.json), and the statwalk mode in a
 * real sandbox under Debian's runsc, whose line reaches runsc's stdout. */
#define _GNU_SOURCE
#include "itest.h"
#include "footprint.h"
#include "proc.h"
#include "util.h"
#include "../skip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Pids of every process one of whose argv words is `word`, and of all
 * their descendants, each once. */
static int find_by_arg(const char *word, pid_t *pids, size_t max, size_t *n)
{
	pid_t *found, tree[FOOTPRINT_MAX_PROCS];
	size_t k = proc_find_by_arg(word, &found);
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		size_t m = 0;
		if (footprint_find_tree(found[i], tree, FOOTPRINT_MAX_PROCS, &m) < 0)
			continue;
		for (size_t j = 0; j < m; j++) {
			int seen = 0;
			for (size_t q = 0; q < *n && !seen; q++)
				seen = pids[q] == tree[j];
			if (!seen && *n < max)
				pids[(*n)++] = tree[j];
		}
	}
	free(found);
	return 0;
}

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

/* CPU time (user + system) of the children reaped so far, in ns. */
static long long children_cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

START_TEST(test_modes_on_host)
{
	char *w = workload_bin(), *o = NULL;
	char *a1[] = {w, "spin", "1000000", NULL}, *a2[] = {w, "spin", "50000000", NULL};
	long long c0 = children_cpu_ns();
	ck_assert_int_eq(itest_run(&o, a1), 0);
	long long c1 = children_cpu_ns();
	long long small = inner_ns(o);
	free(o);
	ck_assert_int_eq(itest_run(&o, a2), 0);
	long long c2 = children_cpu_ns();
	long long big = inner_ns(o);
	ck_assert_ptr_nonnull(strstr(o, "gvab-workload: mode=spin n=50000000 inner_ns="));
	free(o);
	ck_assert_int_gt(small, 0);
	ck_assert_int_gt(big, 0);
	/* The spin scales with n: on CPU time, which the host's load cannot
	 * inflate (wall time can: under make check's ASan lane the 1M spin
	 * once took 9.6 ms of wall time against 89 ms for 50M). */
	ck_assert_msg(c2 - c1 > 10 * (c1 - c0), "spin 50M used %lld ns of CPU, 1M %lld ns (wall %lld, %lld)",
	              c2 - c1, c1 - c0, big, small);
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


static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Memory of a process tree found by an argv word; a vanished process is an
 * error naming it. */
START_TEST(test_footprint_host_tree)
{
	char *word = util_fmt("--gvab-fp-%d", (int)getpid());
	char *argv[] = {"sh", "-c", "sleep 30 & wait", word, NULL};
	pid_t pid = itest_start("/dev/null", argv);
	nap_ms(200);
	pid_t pids[16];
	size_t n = 0;
	ck_assert_int_eq(find_by_arg(word, pids, 16, &n), 0);
	ck_assert_uint_ge(n, 2); /* sh and its sleep */
	struct footprint_sample fs;
	ck_assert_int_eq(footprint_sample(pids, n, &fs), 0);
	ck_assert_int_gt(fs.rss_kib, 100);
	ck_assert_int_gt(fs.pss_kib, 0);
	ck_assert_int_le(fs.pss_kib, fs.rss_kib);
	kill(pids[1], SIGKILL);
	kill(pid, SIGKILL);
	itest_wait(pid);
	nap_ms(50);
	ck_assert_int_lt(footprint_sample(pids, n, &fs), 0);
	free(word);
}
END_TEST

/* An idle sandbox under Debian's runsc: the sandbox and the gofer are
 * found by the boot's --root word, with plausible resident sets. */
START_TEST(test_footprint_sandbox)
{
	if (access("/usr/bin/runsc", X_OK) != 0)
		TEST_SKIP("no /usr/bin/runsc here (Debian's runsc package)");
	char *d = itest_tmpdir("fp"), *b = util_fmt("%s/bundle", d), *o = NULL;
	char *av[] = {(char *)itest_gvab(), "bundle", "--out", b, "--workload", "--walk-files", "0", "--",
	              "/bin/gvab-workload", "idle", NULL};
	ck_assert_int_eq(itest_run(&o, av), 0);
	free(o);
	char *root = util_fmt("--root=%s/root", d), *id = util_fmt("gvab-fp-%d", (int)getpid());
	char *cv[] = {"/usr/bin/runsc", root, "--platform=systrap", "--network=none", "create", "--bundle", b,
	              id, NULL};
	/* runsc's global flags go with every command. */
	char *sv[] = {"/usr/bin/runsc", root, "--platform=systrap", "--network=none", "start", id, NULL};
	char *dv[] = {"/usr/bin/runsc", root, "--platform=systrap", "--network=none", "delete", "--force",
	              id, NULL};
	/* Delete whatever happens before any assertion can end the test. */
	int crc = itest_run(NULL, cv), src = crc == 0 ? itest_run(NULL, sv) : -1;
	nap_ms(300);
	pid_t pids[FOOTPRINT_MAX_PROCS];
	size_t n = 0;
	int rc = find_by_arg(root, pids, FOOTPRINT_MAX_PROCS, &n);
	struct footprint_sample fs;
	int rs = rc == 0 ? footprint_sample(pids, n, &fs) : rc;
	int sandbox = 0, gofer = 0;
	for (size_t i = 0; rs == 0 && i < fs.n; i++) {
		sandbox += strcmp(fs.procs[i].kind, "sandbox") == 0;
		gofer += strcmp(fs.procs[i].kind, "gofer") == 0;
	}
	itest_run(NULL, dv);
	ck_assert_int_eq(crc, 0);
	ck_assert_int_eq(src, 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(rs, 0);
	fprintf(stderr, "idle sandbox: %zu processes, RSS %ld KiB, PSS %ld KiB, cgroup %lld bytes (%s)\n",
	        fs.n, fs.rss_kib, fs.pss_kib, fs.cg_current_bytes, fs.cg_path);
	ck_assert_int_ge(sandbox, 1);
	ck_assert_int_ge(gofer, 1);
	ck_assert_int_gt(fs.rss_kib, 5 * 1024);
	util_rm_rf(d);
	free(root);
	free(id);
	free(b);
	free(d);
}
END_TEST


/* A small footprint set under Debian's runsc and runc: workload and memory
 * runs, then the table against runc. */
START_TEST(test_footprint_set)
{
	if (access("/usr/bin/runsc", X_OK) != 0 || access("/usr/sbin/runc", X_OK) != 0)
		TEST_SKIP("no /usr/bin/runsc or /usr/sbin/runc here (Debian's runsc and runc packages)");
	char *d = itest_tmpdir("fpset"), *b = util_fmt("%s/bundle", d), *o = NULL;
	char *bv[] = {(char *)itest_gvab(), "bundle", "--out", b, "--workload", "--walk-files", "200", NULL};
	ck_assert_int_eq(itest_run(&o, bv), 0);
	free(o);
	char *r1 = util_fmt("%s/spin", d), *r2 = util_fmt("%s/mem", d), *r3 = util_fmt("%s/cold", d);
	char *r4 = util_fmt("%s/report", d);
	char *s1[] = {(char *)itest_gvab(), "run", "-q", "--out", r1, "--bundle", b, "--iterations", "2",
	              "--warmups", "0", "--workload", "spin:20000000", "--arm", "runc=/usr/sbin/runc",
	              "--arm", "runsc=/usr/bin/runsc", NULL};
	char *s2[] = {(char *)itest_gvab(), "run", "-q", "--out", r2, "--bundle", b, "--iterations", "1",
	              "--warmups", "0", "--memory=2", "--arm", "runc=/usr/sbin/runc", "--arm",
	              "runsc=/usr/bin/runsc", NULL};
	char *s3[] = {(char *)itest_gvab(), "run", "-q", "--out", r3, "--bundle", b, "--iterations", "1",
	              "--warmups", "0", "--cold", "--arm", "runc=/usr/sbin/runc", "--arm",
	              "runsc=/usr/bin/runsc", NULL};
	int rc = itest_run(&o, s1);
	ck_assert_msg(rc == 0, "spin run: %s", o);
	free(o);
	rc = itest_run(&o, s2);
	ck_assert_msg(rc == 0, "memory run: %s", o);
	free(o);
	rc = itest_run(&o, s3);
	ck_assert_msg(rc == 0, "cold run: %s", o);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", r2);
	ck_assert_int_eq(itest_count_lines(sp, "\"gofer_pss_kib\":"), 2);
	/* Huge pages beside PSS, from smaps_rollup (Linux 4.14 on shows
	 * AnonHugePages there): under runc and runsc alike. */
	ck_assert_int_eq(itest_count_lines(sp, "\"anon_huge_kib\":"), 2);
	/* The cold copies are gone with their boots: nothing is left under the
	 * state directory the runs used. */
	const char *sd = getenv("GVAB_STATE_DIR");
	if (sd) {
		char *lv[] = {"find", (char *)sd, "-name", "cold-*", NULL};
		char *lo = NULL;
		ck_assert_int_eq(itest_run(&lo, lv), 0);
		ck_assert_msg(!strstr(lo, "cold-"), "left behind: %s", lo);
		free(lo);
	}
	char *fv[] = {(char *)itest_gvab(), "footprint", "--out", r4, r1, r2, r3, NULL};
	rc = itest_run(&o, fv);
	ck_assert_msg(rc == 0, "footprint: %s", o);
	ck_assert_ptr_nonnull(strstr(o, "| CPU-bound (workload's own time) | runsc | 2 |"));
	ck_assert_ptr_nonnull(strstr(o, "| memory per sandbox, PSS | runsc | 1 |"));
	ck_assert_ptr_nonnull(strstr(o, "| cold start (CORE) | runc | 1 |"));
	free(o);
	char *fj = util_fmt("%s/footprint.json", r4);
	ck_assert(util_path_exists(fj));
	util_rm_rf(d);
	free(fj);
	free(sp);
	free(r1);
	free(r2);
	free(r3);
	free(r4);
	free(b);
	free(d);
}
END_TEST

Suite *suite_workload(void)
{
	Suite *s = suite_create("workload");
	TCase *tc = tcase_create("workload");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_modes_on_host);
	tcase_add_test(tc, test_bundle_in_sandbox);
	tcase_add_test(tc, test_footprint_host_tree);
	tcase_add_test(tc, test_footprint_sandbox);
	tcase_add_test(tc, test_footprint_set);
	suite_add_tcase(s, tc);
	return s;
}
