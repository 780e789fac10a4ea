/* Answers a CI can act on, from hostile or thin run directories (issue 19
 * items 3 and 4): a run whose arm never boots ends with exit 1 naming the
 * arm; too few boots is said in words, never nan or inf, in every output;
 * the gate blames the arm that lacks samples; run directories that are
 * FIFOs, devices or empty are refused with exit 65 naming the file; chart
 * files never start with '-'. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static void setup(void) { dir = itest_tmpdir("answers"); }
static void teardown(void)
{
	util_rm_rf(dir);
	free(dir);
}

/* A run directory with arms A (n_a ok boots) and B (n_b ok, the rest of
 * `rounds` failed); host label `label`. */
static char *make_run(const char *name, const char *label, int rounds, int n_a, int n_b)
{
	char *rd = util_fmt("%s/%s", dir, name);
	util_mkdir_p(rd, 0755);
	char *rj = util_fmt("%s/run.json", rd);
	char *run = util_fmt("{\"format\":\"gvab-run/1\",\"status\":\"complete\",\"host_label\":\"%s\","
	                     "\"host\":{\"hostname\":\"h\",\"online_cpus\":2},\"arms\":[{\"name\":\"A\"},"
	                     "{\"name\":\"B\"}],\"drift\":[],\"command\":[\"gvab\",\"run\"],"
	                     "\"iterations\":%d,\"warmups\":0}", label, rounds);
	ck_assert_int_eq(util_write_file_atomic(rj, run, strlen(run)), 0);
	char *sp = util_fmt("%s/samples.jsonl", rd);
	FILE *f = fopen(sp, "w");
	int seq = 0;
	for (int r = 0; r < rounds; r++)
		for (int a = 0; a < 2; a++) {
			int ok = r < (a ? n_b : n_a);
			long long cr = 70000000 + 1000000LL * ((r * 7 + a * 3) % 11), st = 30000000;
			if (!ok)
				fprintf(f, "{\"seq\":%d,\"arm\":\"%s\",\"round\":%d,\"warmup\":false,\"ok\":false,"
				           "\"failed_phase\":\"start\",\"error\":\"boom\"}\n", seq++, a ? "B" : "A", r);
			else
				fprintf(f, "{\"seq\":%d,\"arm\":\"%s\",\"round\":%d,\"warmup\":false,\"ok\":true,"
				           "\"create_ns\":%lld,\"start_ns\":%lld,\"wait_ns\":1000000,"
				           "\"delete_ns\":2000000,\"core_ns\":%lld,\"overall_ns\":%lld,"
				           "\"exit_status\":0}\n", seq++, a ? "B" : "A", r, cr, st, cr + st,
				        cr + st + 3000000);
		}
	fclose(f);
	free(run);
	free(rj);
	free(sp);
	return rd;
}

static int run_gvab(char **out, const char *a1, const char *a2, const char *a3, const char *a4,
                    const char *a5)
{
	char *argv[] = {(char *)itest_gvab(), (char *)a1, (char *)a2, (char *)a3, (char *)a4,
	                (char *)a5, NULL};
	return itest_run(out, argv);
}

/* An arm with 2 ok boots of 8 and an arm with 0: compare, report, gate
 * say "too few boots" and never print nan or inf. */
START_TEST(test_too_few_boots_in_words)
{
	char *o = NULL;
	char *few = make_run("few", "host", 8, 8, 2);
	ck_assert_int_eq(run_gvab(&o, "compare", few, NULL, NULL, NULL), 0);
	ck_assert_msg(strstr(o, "B: core too few boots (n=2)"), "%s", o);
	ck_assert_msg(!itest_nan_or_inf(o), "compare printed '%.20s'", itest_nan_or_inf(o));
	free(o);
	char *none = make_run("none", "host", 8, 8, 0);
	ck_assert_int_eq(run_gvab(&o, "compare", none, NULL, NULL, NULL), 0);
	ck_assert_msg(strstr(o, "too few boots (n=0)"), "%s", o);
	ck_assert_msg(!itest_nan_or_inf(o), "compare printed '%.20s'", itest_nan_or_inf(o));
	free(o);
	/* The gate blames B, the arm without samples, not A. */
	ck_assert_int_eq(run_gvab(&o, "gate", none, NULL, NULL, NULL), 2);
	ck_assert_msg(strstr(o, "arm B has 0 ok measured boots"), "%s", o);
	ck_assert_msg(!itest_nan_or_inf(o), "gate printed '%.20s'", itest_nan_or_inf(o));
	free(o);
	/* A report over it and a good run: the thin run is left out, in words. */
	char *good = make_run("good", "good", 12, 12, 12), *rep = util_fmt("%s/report", dir);
	char *argv[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", rep, good, few, NULL};
	ck_assert_int_eq(itest_run(&o, argv), 0);
	ck_assert_msg(strstr(o, "arm B has too few boots (n=2"), "%s", o);
	free(o);
	static const char *const files[] = {"report.md", "report.html", "results.csv", "results.json",
	                                    "methodology.md"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *p = util_fmt("%s/%s", rep, files[i]);
		char *t = util_read_file(p, NULL);
		ck_assert_msg(t, "%s missing", p);
		ck_assert_msg(!itest_nan_or_inf(t), "%s has '%.20s'", files[i], itest_nan_or_inf(t));
		free(t);
		free(p);
	}
	free(rep);
	free(good);
	free(few);
	free(none);
}
END_TEST

/* Two runs of the same arms on one host, one too short for an interval:
 * compare says there is no between-run spread, and why, instead of
 * leaving the section out in silence. */
START_TEST(test_between_runs_too_few_in_words)
{
	char *o = NULL;
	char *r1 = make_run("rep1", "host", 24, 24, 24), *r2 = make_run("rep2", "host", 4, 4, 4);
	ck_assert_int_eq(run_gvab(&o, "compare", r1, r2, NULL, NULL), 0);
	ck_assert_msg(strstr(o, "Between runs, B against A on core (2 runs): only 1 with an interval"),
	              "%s", o);
	ck_assert_msg(!strstr(o, "between-run sd"), "%s", o);
	ck_assert_msg(!itest_nan_or_inf(o), "compare printed '%.20s'", itest_nan_or_inf(o));
	free(o);
	/* Both with intervals: the spread, and no such line. */
	char *r3 = make_run("rep3", "host", 24, 24, 24);
	ck_assert_int_eq(run_gvab(&o, "compare", r1, r3, NULL, NULL), 0);
	ck_assert_msg(strstr(o, "between-run sd") && !strstr(o, "with an interval"), "%s", o);
	free(o);
	/* The report has the repeated-runs section (report.md, results.json,
	 * the page) over the two with intervals, and none over the pair that
	 * lacks one. */
	for (int k = 0; k < 2; k++) {
		char *rep = util_fmt("%s/report-%d", dir, k);
		char *argv[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", rep, r1, k ? r3 : r2, NULL};
		ck_assert_int_eq(itest_run(NULL, argv), 0);
		itest_repeats_section(rep, "| B vs A | 2 | ", k);
		free(rep);
	}
	free(r1);
	free(r2);
	free(r3);
}
END_TEST

/* Only regular files are read, up to a cap: a FIFO (which would block
 * forever), /dev/zero and /dev/urandom (endless), a directory; and an
 * empty samples.jsonl in compare. Each is exit 65 naming the file. */
START_TEST(test_run_dir_special_files)
{
	char *o = NULL;
	char *rd = make_run("fifo", "host", 6, 6, 6);
	char *sp = util_fmt("%s/samples.jsonl", rd), *rj = util_fmt("%s/run.json", rd);
	unlink(sp);
	ck_assert_int_eq(mkfifo(sp, 0600), 0);
	static const char *const cmds[] = {"report", "gate", "compare"};
	char *rep = util_fmt("%s/report", dir);
	for (int i = 0; i < 3; i++) {
		int rc = i == 0 ? run_gvab(&o, "report", "--out", rep, rd, NULL)
		                : run_gvab(&o, cmds[i], rd, NULL, NULL, NULL);
		ck_assert_msg(rc == (i == 1 ? 2 : 65), "%s on a FIFO: exit %d: %s", cmds[i], rc, o);
		ck_assert_msg(strstr(o, sp) && strstr(o, "a FIFO, not a regular file"), "%s", o);
		free(o);
	}
	unlink(sp);
	static const char *const devs[] = {"/dev/zero", "/dev/urandom"};
	for (int i = 0; i < 2; i++) {
		unlink(rj);
		ck_assert_int_eq(symlink(devs[i], rj), 0);
		ck_assert_int_eq(run_gvab(&o, "compare", rd, NULL, NULL, NULL), 65);
		ck_assert_msg(strstr(o, rj) && strstr(o, "a character device"), "%s", o);
		free(o);
	}
	unlink(rj);
	ck_assert_int_eq(mkdir(rj, 0755), 0);
	ck_assert_int_eq(run_gvab(&o, "compare", rd, NULL, NULL, NULL), 65);
	ck_assert_msg(strstr(o, rj) && strstr(o, "a directory"), "%s", o);
	free(o);
	/* An empty samples.jsonl: compare says so (as report does), 65. */
	char *empty = make_run("empty", "host", 6, 6, 6);
	char *esp = util_fmt("%s/samples.jsonl", empty);
	ck_assert_int_eq(util_write_file_atomic(esp, "", 0), 0);
	ck_assert_int_eq(run_gvab(&o, "compare", empty, NULL, NULL, NULL), 65);
	ck_assert_msg(strstr(o, esp) && strstr(o, "no samples"), "%s", o);
	ck_assert_msg(!itest_nan_or_inf(o), "%s", o);
	free(o);
	free(esp);
	free(empty);
	free(rep);
	free(sp);
	free(rj);
	free(rd);
}
END_TEST

/* A host label "-e" (or "-"): the chart files are named so that no program
 * reads them as options, and every chart is drawn. */
START_TEST(test_chart_names_never_options)
{
	if (access("/usr/bin/gnuplot", X_OK) != 0) {
		ck_abort_msg("gnuplot missing (hosts/install-deps.sh installs it)");
		return;
	}
	static const char *const labels[] = {"-e", "-"};
	for (int i = 0; i < 2; i++) {
		char *name = util_fmt("dash%d", i);
		char *rd = make_run(name, labels[i], 12, 12, 12), *o = NULL;
		char *rep = util_fmt("%s/report%d", dir, i);
		ck_assert_int_eq(run_gvab(&o, "report", "--out", rep, rd, NULL), 0);
		free(o);
		DIR *d = opendir(rep);
		struct dirent *e;
		int charts = 0;
		while ((e = readdir(d))) {
			ck_assert_msg(e->d_name[0] != '-', "%s/%s starts with '-'", rep, e->d_name);
			charts += strstr(e->d_name, "-ecdf.png") != NULL;
		}
		closedir(d);
		ck_assert_int_eq(charts, 1);
		char *ecdf = util_fmt("%s/_%s-ecdf.svg", rep, labels[i]);
		ck_assert_msg(util_path_exists(ecdf), "%s missing", ecdf);
		free(ecdf);
		free(rep);
		free(rd);
		free(name);
	}
}
END_TEST

/* `gvab run` with an arm that never boots (/bin/true as its runsc):
 * interleaving keeps --max-failures (consecutive) from tripping, so the
 * end-of-run minimum does: exit 1 naming the arm and its last error, and
 * run.json says failed. */
START_TEST(test_run_arm_never_boots)
{
	char *bundle = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir), *o = NULL;
	itest_bundle(bundle, NULL);
	char *stock = util_fmt("stock=%s", itest_fake());
	char *argv[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", bundle,
	                "--iterations", "6", "--warmups", "0", "--arm", stock, "--arm", "a=/bin/true",
	                NULL};
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 1, "exit %d: %s", rc, o);
	ck_assert_msg(strstr(o, "arm a: 0 of 6 measured boots ok, fewer than the minimum 3"), "%s", o);
	ck_assert_msg(strstr(o, "last error: "), "%s", o);
	ck_assert_msg(!itest_nan_or_inf(o), "run printed '%.20s'", itest_nan_or_inf(o));
	free(o);
	char *rj = util_fmt("%s/run.json", out);
	char *t = util_read_file(rj, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(strstr(t, "\"status\":\t\"failed\"") || strstr(t, "\"status\": \"failed\""),
	              "%s", t);
	free(t);
	free(rj);
	free(stock);
	free(bundle);
	free(out);
}
END_TEST

/* `gvab run` as a user other than root: a failed precondition (exit 69)
 * that says it needs root, before anything is created. */
START_TEST(test_run_needs_root)
{
	char *out = util_fmt("%s/run", dir), *o = NULL;
	ck_assert_int_eq(chmod(dir, 0777), 0);
	char *argv[] = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
	                (char *)itest_gvab(), "run", "--out", out, "--bundle", dir, "--iterations",
	                "2", "--arm", "a=/bin/true", "--arm", "b=/bin/true", NULL};
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 69, "exit %d: %s", rc, o);
	ck_assert_msg(strstr(o, "gvab: run: needs root"), "%s", o);
	ck_assert(!util_path_exists(out));
	free(o);
	free(out);
}
END_TEST

/* gvab-rig's help and errors name gvab-rig, not gvab. */
START_TEST(test_rig_usage_names_itself)
{
	char *rig = util_fmt("%s-rig", itest_gvab()), *o = NULL;
	char *help[] = {rig, "run", "--help", NULL};
	ck_assert_int_eq(itest_run(&o, help), 0);
	ck_assert_msg(strstr(o, "usage: gvab-rig run") && !strstr(o, "usage: gvab run"), "%s", o);
	free(o);
	char *bad[] = {rig, "run", "--no-such-option", NULL};
	ck_assert_int_eq(itest_run(&o, bad), 64);
	ck_assert_msg(strstr(o, "see gvab-rig help run") && !strstr(o, "see gvab help"), "%s", o);
	free(o);
	free(rig);
}
END_TEST

/* `gvab bundle DIR` (the directory meant for --out): a usage error naming
 * the word, nothing written. Before, it wrote build/bundle with DIR as the
 * sandbox's program. The sandbox's command goes after --. */
START_TEST(test_bundle_operand_needs_dashes)
{
	char *want = util_fmt("%s/meant-out", dir), *cwd = util_fmt("%s/cwd", dir), *o = NULL;
	ck_assert_int_eq(util_mkdir_p(cwd, 0755), 0);
	char *self = realpath(itest_gvab(), NULL);
	ck_assert_ptr_nonnull(self);
	char *script = util_fmt("cd '%s' && exec '%s' bundle '%s'", cwd, self, want);
	char *argv[] = {"sh", "-c", script, NULL};
	ck_assert_int_eq(itest_run(&o, argv), 64);
	ck_assert_msg(strstr(o, "the sandbox's command goes after --") && strstr(o, want), "%s", o);
	free(o);
	ck_assert(!util_path_exists(want));
	char *made = util_fmt("%s/build", cwd);
	ck_assert_msg(!util_path_exists(made), "%s was written", made);
	/* After --, the same word is the sandbox's command. */
	char *b = util_fmt("%s/b", dir);
	char *ok[] = {(char *)itest_gvab(), "bundle", "--out", b, "--", "/bin/true", NULL};
	ck_assert_int_eq(itest_run(NULL, ok), 0);
	free(b);
	free(made);
	free(script);
	free(self);
	free(cwd);
	free(want);
}
END_TEST

/* `gvab hosts check|run` check what they need here (bundle, arms) before
 * contacting a host or creating results/NAME: exit 69, nothing made. The
 * inventory's host is unreachable (TEST-NET-1): contacting it would fail
 * differently, and slowly. */
START_TEST(test_hosts_local_preconditions)
{
	char *inv = util_fmt("%s/hosts.ini", dir), *res = util_fmt("%s/results", dir), *o = NULL;
	const char *ini = "[rig]\nh1 ansible_host=192.0.2.1\n";
	ck_assert_int_eq(util_write_file_atomic(inv, ini, strlen(ini)), 0);
	char *nob = util_fmt("%s/no-bundle", dir), *bundle = util_fmt("%s/bundle", dir);
	char *check[] = {(char *)itest_gvab(), "hosts", "check", "--inventory", inv, "--bundle", nob,
	                 "--results", res, NULL};
	int rc = itest_run(&o, check);
	ck_assert_msg(rc == 69, "exit %d: %s", rc, o);
	ck_assert_msg(strstr(o, "bundle") && strstr(o, nob), "%s", o);
	free(o);
	itest_bundle(bundle, NULL);
	char *arm = util_fmt("b=%s/missing-runsc", dir), *good = util_fmt("a=%s", itest_fake());
	char *run[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--bundle", bundle,
	               "--results", res, "--campaign", "c1", "--arm", good, "--arm", arm, NULL};
	rc = itest_run(&o, run);
	ck_assert_msg(rc == 69, "exit %d: %s", rc, o);
	ck_assert_msg(strstr(o, "arm b:") && strstr(o, "missing-runsc"), "%s", o);
	ck_assert_msg(!util_path_exists(res), "%s was created", res);
	free(o);
	free(arm);
	free(good);
	free(nob);
	free(bundle);
	free(inv);
	free(res);
}
END_TEST

/* `gvab gate` on a campaign folder says what it takes and which run
 * directories are in it (exit 64), instead of "run.json: No such file". */
START_TEST(test_gate_on_campaign_folder)
{
	char *camp = util_fmt("%s/camp", dir), *o = NULL;
	char *h1 = util_fmt("camp/h1");
	char *rd = make_run(h1, "h1", 6, 6, 6);
	char *argv[] = {(char *)itest_gvab(), "gate", camp, NULL};
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 64, "exit %d: %s", rc, o);
	ck_assert_msg(strstr(o, "is not a run directory") && strstr(o, rd), "%s", o);
	free(o);
	free(rd);
	free(h1);
	free(camp);
}
END_TEST

Suite *suite_answers(void)
{
	Suite *s = suite_create("answers");
	TCase *tc = tcase_create("answers");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_too_few_boots_in_words);
	tcase_add_test(tc, test_run_dir_special_files);
	tcase_add_test(tc, test_chart_names_never_options);
	tcase_add_test(tc, test_run_arm_never_boots);
	tcase_add_test(tc, test_run_needs_root);
	tcase_add_test(tc, test_rig_usage_names_itself);
	tcase_add_test(tc, test_hosts_local_preconditions);
	tcase_add_test(tc, test_gate_on_campaign_folder);
	tcase_add_test(tc, test_bundle_operand_needs_dashes);
	tcase_add_test(tc, test_between_runs_too_few_in_words);
	suite_add_tcase(s, tc);
	return s;
}
