/* report and gate on run directories the test writes itself: known shifts
 * give known verdicts; charts are rendered by real gnuplot and checked to
 * be PNG and SVG files. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static void setup(void) { dir = itest_tmpdir("analysis"); }
static void teardown(void)
{
	util_rm_rf(dir);
	free(dir);
}

/* Writes a run with arms A and B, n rounds; B's CORE = A's * factor plus
 * the same per-round noise (deterministic LCG). */
static char *make_run(const char *name, int n, double factor, double noise_ms, int fail_b,
                      double own_ms)
{
	char *rd = util_fmt("%s/%s", dir, name);
	util_mkdir_p(rd, 0755);
	char *rj = util_fmt("%s/run.json", rd);
	const char *run = "{\"format\":\"gvab-run/1\",\"status\":\"complete\",\"host\":{\"hostname\":\"testhost\","
	                  "\"kernel\":\"Linux test\",\"online_cpus\":2,\"knobs\":{}},\"arms\":[{\"name\":\"A\"},"
	                  "{\"name\":\"B\"}],\"drift\":[],\"command\":[\"gvab\",\"run\"],\"iterations\":1,"
	                  "\"warmups\":0}";
	util_write_file_atomic(rj, run, strlen(run));
	char *sp = util_fmt("%s/samples.jsonl", rd);
	FILE *f = fopen(sp, "w");
	unsigned long long s = 12345;
	int seq = 0;
	for (int r = 0; r < n; r++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		double host = (double)((s >> 33) % 1000) / 1000.0 * noise_ms;
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		double own = (double)((s >> 33) % 1000) / 1000.0 * own_ms;
		for (int a = 0; a < 2; a++) {
			double core = (100.0 + host + (a ? own : own_ms - own)) * (a ? factor : 1.0);
			long long cr = (long long)(core * 0.7e6), st = (long long)(core * 1e6) - cr;
			if (a == 1 && fail_b && r % 3 == 0) {
				fprintf(f, "{\"seq\":%d,\"arm\":\"B\",\"round\":%d,\"warmup\":false,\"ok\":false,\"failed_phase\":\"start\",\"error\":\"x\"}\n", seq++, r);
				continue;
			}
			fprintf(f, "{\"seq\":%d,\"arm\":\"%s\",\"round\":%d,\"warmup\":false,\"ok\":true,"
			           "\"create_ns\":%lld,\"start_ns\":%lld,\"wait_ns\":20000000,\"delete_ns\":30000000,"
			           "\"core_ns\":%lld,\"overall_ns\":%lld,\"exit_status\":0}\n",
			        seq++, a ? "B" : "A", r, cr, st, cr + st, cr + st + 50000000);
		}
	}
	fclose(f);
	free(rj);
	free(sp);
	return rd;
}

/* A run whose arms boot equally fast but B does `cpu_factor` times A's
 * CPU work per boot (each line's "cpu"; none when cpu_factor is 0). */
static char *make_cpu_run(const char *name, int n, double cpu_factor)
{
	char *rd = make_run(name, n, 1.0, 20, 0, 2);
	char *sp = util_fmt("%s/samples.jsonl", rd);
	char *t = util_read_file(sp, NULL);
	FILE *f = fopen(sp, "w");
	unsigned long long s = 777;
	int k = 0;
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save), k++) {
		if (k % 2 == 0)
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		double cpu = 50.0 + (double)((s >> 33) % 1000) / 100.0;
		if (cpu_factor > 0) {
			l[strlen(l) - 1] = '\0'; /* the closing brace */
			fprintf(f, "%s,\"cpu\":{\"user_ns\":%.0f,\"sys_ns\":%.0f}}\n", l,
			        (k % 2 ? cpu_factor : 1.0) * cpu * 0.6e6, (k % 2 ? cpu_factor : 1.0) * cpu * 0.4e6);
		} else {
			fprintf(f, "%s\n", l);
		}
	}
	fclose(f);
	free(t);
	free(sp);
	return rd;
}

static int gate(const char *rd, char **out, const char *extra)
{
	char *argv[] = {(char *)itest_gvab(), "gate", (char *)rd, (char *)extra, NULL};
	return itest_run(out, argv);
}

START_TEST(test_gate_verdicts)
{
	char *o = NULL;
	char *slow = make_run("slow", 40, 1.10, 20, 0, 2);
	ck_assert_int_eq(gate(slow, &o, NULL), 1);
	ck_assert_ptr_nonnull(strstr(o, "gate: FAIL B vs A: core"));
	free(o);
	char *fast = make_run("fast", 40, 0.90, 20, 0, 2);
	ck_assert_int_eq(gate(fast, &o, NULL), 0);
	free(o);
	char *same = make_run("same", 60, 1.0, 20, 0, 2);
	ck_assert_int_eq(gate(same, &o, NULL), 0);
	free(o);
	/* A small sample with large independent noise cannot rule out a 3%
	 * regression, nor show one: undecided. */
	char *few = make_run("few", 12, 1.02, 20, 0, 60);
	ck_assert_int_eq(gate(few, &o, NULL), 3);
	ck_assert_ptr_nonnull(strstr(o, "UNDECIDED"));
	free(o);
	char *tiny = make_run("tiny", 5, 1.0, 1, 0, 2);
	ck_assert_int_eq(gate(tiny, &o, NULL), 2);
	ck_assert_ptr_nonnull(strstr(o, "fewer than --min-samples"));
	free(o);
	char *fails = make_run("fails", 40, 1.0, 1, 1, 2);
	ck_assert_int_eq(gate(fails, &o, NULL), 2);
	ck_assert_ptr_nonnull(strstr(o, "arm B failed"));
	free(o);
	ck_assert_int_eq(gate("/nonexistent-run", &o, NULL), 2);
	free(o);
	/* JUnit output for CI systems. */
	char *ju = util_fmt("%s/junit.xml", dir);
	char *argv[] = {(char *)itest_gvab(), "gate", slow, "--junit", ju, NULL};
	ck_assert_int_eq(itest_run(NULL, argv), 1);
	char *x = util_read_file(ju, NULL);
	ck_assert_ptr_nonnull(strstr(x, "<failure message=\"FAIL\""));
	free(x);
	char *bad[] = {(char *)itest_gvab(), "gate", slow, "--metric", "speed", NULL};
	ck_assert_int_eq(itest_run(&o, bad), 64);
	ck_assert_ptr_nonnull(strstr(o, "--metric 'speed'"));
	free(o);
	free(ju);
	free(slow);
	free(fast);
	free(same);
	free(few);
	free(tiny);
	free(fails);
}
END_TEST

static int file_starts(const char *path, const char *magic, size_t n)
{
	size_t len;
	char *t = util_read_file(path, &len);
	int ok = t && len > n && memcmp(t, magic, n) == 0;
	free(t);
	return ok;
}

/* --metric cpu gates on CPU time per boot, which a latency-only change
 * does not move and a CPU-work change does; a run without CPU times is
 * invalid for it, never a pass. */
START_TEST(test_gate_cpu_metric)
{
	char *o = NULL;
	char *work = make_cpu_run("cpu-work", 40, 1.20);
	ck_assert_int_eq(gate(work, &o, "--metric=cpu"), 1);
	ck_assert_ptr_nonnull(strstr(o, "gate: FAIL B vs A: cpu"));
	ck_assert_ptr_nonnull(strstr(o, "work, not latency"));
	free(o);
	ck_assert_int_eq(gate(work, &o, NULL), 0); /* CORE: the same speed */
	free(o);
	char *same = make_cpu_run("cpu-same", 40, 1.0);
	ck_assert_int_eq(gate(same, &o, "--metric=cpu"), 0);
	free(o);
	char *none = make_cpu_run("cpu-none", 40, 0);
	ck_assert_int_eq(gate(none, &o, "--metric=cpu"), 2);
	ck_assert_ptr_nonnull(strstr(o, "without a CPU time"));
	free(o);
	char *cmp[] = {(char *)itest_gvab(), "compare", "--metric", "cpu", work, NULL};
	ck_assert_int_eq(itest_run(&o, cmp), 0);
	ck_assert_ptr_nonnull(strstr(o, "cpu"));
	free(o);
	free(work);
	free(same);
	free(none);
}
END_TEST

START_TEST(test_report_and_charts)
{
	char *r1 = make_run("hostA", 30, 0.8, 10, 0, 2);
	char *out = util_fmt("%s/report", dir);
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "report", "--out", out, r1, NULL};
	ck_assert_int_eq(itest_run(&o, argv), 0);
	free(o);
	static const char *files[] = {"report.md", "results.csv", "results.json", "methodology.md", NULL};
	for (int i = 0; files[i]; i++) {
		char *p = util_fmt("%s/%s", out, files[i]);
		ck_assert_msg(util_path_exists(p), "%s missing", p);
		free(p);
	}
	static const char *charts[] = {"core_by_host", "testhost-ecdf", "testhost-timeline", "testhost-phases", NULL};
	for (int i = 0; charts[i]; i++) {
		char *png = util_fmt("%s/%s.png", out, charts[i]), *svg = util_fmt("%s/%s.svg", out, charts[i]);
		ck_assert_msg(file_starts(png, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", png);
		char *t = util_read_file(svg, NULL);
		ck_assert_msg(t && strstr(t, "<svg"), "%s is not SVG", svg);
		free(t);
		free(png);
		free(svg);
	}
	char *md = util_fmt("%s/report.md", out);
	char *t = util_read_file(md, NULL);
	ck_assert_ptr_nonnull(strstr(t, "| core |"));
	ck_assert_ptr_nonnull(strstr(t, "faster"));
	free(t);
	/* Regenerating from the same samples gives the same tables, bit for bit. */
	char *csv = util_fmt("%s/results.csv", out);
	char *c1 = util_read_file(csv, NULL);
	ck_assert_int_eq(itest_run(NULL, argv), 0);
	char *c2 = util_read_file(csv, NULL);
	ck_assert_str_eq(c1, c2);
	free(c1);
	free(c2);
	free(csv);
	free(md);
	char *bad[] = {(char *)itest_gvab(), "report", "/nonexistent-run", NULL};
	ck_assert_int_eq(itest_run(&o, bad), 65);
	ck_assert_ptr_nonnull(strstr(o, "/nonexistent-run"));
	free(o);
	free(out);
	free(r1);
}
END_TEST

/* Labels and arm names come from inventories and run directories of other
 * machines: a newline or a backquote in them must not become a gnuplot
 * command (gnuplot runs `...` even inside double quotes, and system(...)
 * after a newline). */
START_TEST(test_report_label_injection)
{
	char *r1 = make_run("evil", 20, 0.9, 10, 0, 2);
	char *pwn1 = util_fmt("%s/pwned-newline", dir), *pwn2 = util_fmt("%s/pwned-backquote", dir);
	char *rj = util_fmt("%s/run.json", r1);
	char *run = util_fmt(
		"{\"format\":\"gvab-run/1\",\"status\":\"complete\",\"host_label\":"
		"\"x\\\"\\nsystem(\\\"touch %s\\\")\\n# `touch %s` \\\\\","
		"\"host\":{\"hostname\":\"testhost\",\"kernel\":\"Linux test\",\"online_cpus\":2,\"knobs\":{}},"
		"\"arms\":[{\"name\":\"A\"},{\"name\":\"B\"}],\"drift\":[],\"command\":[\"gvab\",\"run\"],"
		"\"iterations\":1,\"warmups\":0}", pwn1, pwn2);
	util_write_file_atomic(rj, run, strlen(run));
	char *out = util_fmt("%s/report", dir);
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "report", "--out", out, r1, NULL};
	ck_assert_msg(itest_run(&o, argv) == 0, "%s", o);
	free(o);
	ck_assert_msg(!util_path_exists(pwn1), "gnuplot ran system() from a label");
	ck_assert_msg(!util_path_exists(pwn2), "gnuplot ran a backquoted label");
	free(out);
	free(run);
	free(rj);
	free(pwn1);
	free(pwn2);
	free(r1);
}
END_TEST

/* Hostile run directories: gvab report stops with exit 65 and one line
 * naming the file, line and field (no crash, no 1.5 GB allocation). */
START_TEST(test_report_hostile_run)
{
	char *r1 = make_run("hostile", 20, 0.9, 10, 0, 2);
	char *sp = util_fmt("%s/samples.jsonl", r1), *rj = util_fmt("%s/run.json", r1);
	char *out = util_fmt("%s/report", dir);
	char *argv[] = {(char *)itest_gvab(), "report", "--out", out, r1, NULL};
	char *o = NULL;
	FILE *f = fopen(sp, "a");
	fputs("{\"seq\":99,\"arm\":\"A\",\"round\":1e8,\"warmup\":false,\"ok\":false}\n", f);
	fclose(f);
	ck_assert_int_eq(itest_run(&o, argv), 65);
	ck_assert_msg(strstr(o, "samples.jsonl:41: field round"), "%s", o);
	free(o);
	char *m = make_run("hostile", 20, 0.9, 10, 0, 2);
	free(m);
	const char *run = "{\"format\":\"gvab-run/1\",\"host\":{\"hostname\":\"h\"},"
	                  "\"arms\":[{\"name\":\"A\"},{\"name\":\"B\"}]}";
	util_write_file_atomic(rj, run, strlen(run));
	ck_assert_int_eq(itest_run(&o, argv), 65);
	ck_assert_msg(strstr(o, "run.json: field host.online_cpus: missing"), "%s", o);
	free(o);
	free(out);
	free(sp);
	free(rj);
	free(r1);
}
END_TEST

START_TEST(test_gate_adaptive)
{
	/* A real (fake-runsc) A/A run gated with a 0% threshold: the gate adds
	 * rounds while undecided, up to the budget. */
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/run", dir);
	itest_bundle(b, NULL);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *run[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b, "--iterations",
	               "10", "--warmups", "1", "--arm", a1, "--arm", a2, NULL};
	ck_assert_int_eq(itest_run(NULL, run), 0);
	char *o = NULL;
	char *g[] = {(char *)itest_gvab(), "gate", out, "--adaptive", "20", "--step", "10",
	             "--max-regression", "0%", NULL};
	int rc = itest_run(&o, g);
	/* A/A data decides nothing for sure, so check the mechanism rather than
	 * one outcome: the gate looked L times, added 10 rounds before each look
	 * after the first, and stopped early only on a decision. */
	int looks = 0;
	for (const char *p = strstr(o, "gate: look "); p; p = strstr(p + 1, "gate: look "))
		looks = atoi(p + 11);
	ck_assert_msg(looks >= 1 && looks <= 3, "looks %d: %s", looks, o);
	/* O'Brien-Fleming-type levels for looks at 10, 20, 30 pairs: strict
	 * first, close to alpha (0.01) last. */
	char *want = util_fmt("look %d of at most 3 (one-sided alpha at this look %s, %d rounds added)",
	                      looks, looks == 1 ? "8.14e-06" : looks == 2 ? "0.0016" : "0.00949",
	                      10 * (looks - 1));
	ck_assert_msg(strstr(o, want), "missing '%s' in %s", want, o);
	free(want);
	if (looks < 3)
		ck_assert_msg(rc == 0 || rc == 1, "stopped at look %d without a decision (exit %d)", looks, rc);
	else
		ck_assert_msg(rc == 0 || rc == 1 || rc == 3, "exit %d", rc);
	free(o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	/* 10 measured rounds per look, both arms; 1 warm-up round per run */
	ck_assert_int_eq(itest_count_lines(sp, "\"warmup\":false"), 20 * looks);
	char *last = util_fmt("\"round\":%d,", 10 * looks - 1);
	ck_assert_int_eq(itest_count_lines(sp, last), 2);
	free(last);
	free(sp);
	free(a1);
	free(a2);
	free(b);
	free(out);
}
END_TEST

START_TEST(test_inittrace_audit)
{
	/* One process of Debian's runsc (Go, so it honours inittrace=1). Every
	 * package listed (--top 1000): hostmm's rank depends on rcu_expedited
	 * (8-13 ms at 0, ~0.05 ms at 1) and on the host's load, its presence
	 * does not. */
	char *o = NULL;
	char *a[] = {(char *)itest_gvab(), "inittrace", "--binary", "deb=/usr/bin/runsc", "--top", "1000",
	             "--", "--version", NULL};
	ck_assert_int_eq(itest_run(&o, a), 0);
	ck_assert_ptr_nonnull(strstr(o, "init time per process"));
	ck_assert_ptr_nonnull(strstr(o, "gvisor.dev/gvisor/pkg/sentry/hostmm"));
	ck_assert_ptr_nonnull(strstr(o, "Go standard library"));
	ck_assert_ptr_null(strstr(o, "(null)"));
	free(o);
	/* Boots of a binary that is not Go: no records, a clear error. */
	char *b = util_fmt("%s/bundle", dir);
	itest_bundle(b, NULL);
	char *f = util_fmt("fake=%s", itest_fake());
	char *a2[] = {(char *)itest_gvab(), "inittrace", "--binary", f, "--boots", "1", "--bundle", b, NULL};
	ck_assert_int_eq(itest_run(&o, a2), 65);
	ck_assert_ptr_nonnull(strstr(o, "no init trace records were captured"));
	free(o);
	/* Without --out the boots go to a mkdtemp directory, not
	 * /tmp/gvab-inittrace-PID (a name anyone could create first). */
	char *nb[] = {(char *)itest_gvab(), "inittrace", "--binary", f, "--boots", "1", "--bundle",
	              "/nonexistent-bundle", NULL};
	ck_assert_int_ne(itest_run(&o, nb), 0);
	const char *tp = strstr(o, "gvab-inittrace-");
	ck_assert_msg(tp && tp[21] == '/' && strspn(tp + 15, "0123456789") < 6, "%s", o);
	/* ... kept after a failure, since the message points there. */
	char *see = strstr(o, "; see ");
	ck_assert_ptr_nonnull(see);
	see += 6;
	see[strcspn(see, "\n")] = '\0';
	char *last = strrchr(see, '/');
	*last = '\0';
	ck_assert_msg(util_is_dir(see), "%s was removed", see);
	util_rm_rf(see);
	free(o);
	char *a3[] = {(char *)itest_gvab(), "inittrace", "--binary", "/nonexistent", NULL};
	ck_assert_int_eq(itest_run(&o, a3), 69);
	ck_assert_ptr_nonnull(strstr(o, "--binary /nonexistent: not an executable file"));
	free(o);
	free(b);
	free(f);
}
END_TEST

/* The gate decides on the interval, not the point estimate: a shift of
 * +6.8% whose 98% interval (16 pairs, taken with the AR(1) variance factor
 * and its one-sd margin: 1.95x here) starts just below 0 is undecided
 * against a 3% threshold, not a FAIL; an interval inside +-3% is a PASS
 * that says "same". */
START_TEST(test_gate_interval_rule)
{
	char *o = NULL;
	char *straddle = make_run("straddle", 16, 1.05, 20, 0, 10);
	ck_assert_int_eq(gate(straddle, &o, NULL), 3);
	ck_assert_msg(strstr(o, "gate: UNDECIDED B vs A: core") && strstr(o, "98% CI [-0.37, +14.24]"),
	              "%s", o);
	/* ... with a sample-size guide: the lower bound needs to pass +3%. */
	ck_assert_msg(strstr(o, "gate: plan: if the shift stays at +7.43 ms, about ") &&
	              strstr(o, "would FAIL"), "%s", o);
	free(o);
	char *same = make_run("same", 60, 1.0, 20, 0, 2);
	ck_assert_int_eq(gate(same, &o, NULL), 0);
	ck_assert_msg(strstr(o, "gate: PASS (same) B vs A"), "%s", o);
	/* ABBA-free fixture (A first in every round): the gate says carry-over
	 * cannot be measured. */
	ck_assert_msg(strstr(o, "cannot be measured"), "%s", o);
	free(o);
	char *argv[] = {(char *)itest_gvab(), "gate", same, "--alpha", "0.5", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 64);
	free(o);
	free(straddle);
	free(same);
}
END_TEST

/* Holm families are per run: a run's verdicts are the same alone and in a
 * report with other runs. */
START_TEST(test_report_family_per_run)
{
	char *r1 = make_run("one", 30, 1.02, 10, 0, 4), *r2 = make_run("two", 30, 0.8, 10, 0, 2);
	char *out1 = util_fmt("%s/rep1", dir), *out2 = util_fmt("%s/rep2", dir);
	char *a1[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", out1, r1, NULL};
	char *a2[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", out2, r1, r2, NULL};
	ck_assert_int_eq(itest_run(NULL, a1), 0);
	ck_assert_int_eq(itest_run(NULL, a2), 0);
	char *c1p = util_fmt("%s/results.csv", out1), *c2p = util_fmt("%s/results.csv", out2);
	char *c1 = util_read_file(c1p, NULL), *c2 = util_read_file(c2p, NULL);
	/* Every line of the run alone appears unchanged in the joint report
	 * (from the arm names on: the label becomes the directory name when
	 * two runs share a host). */
	char *save = NULL;
	for (char *l = strtok_r(c1, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		const char *from = strstr(l, ",\"A\",\"B\",");
		if (from)
			ck_assert_msg(strstr(c2, from), "line changed in the joint report: %s", l);
	}
	free(c1);
	free(c2);
	free(c1p);
	free(c2p);
	free(out1);
	free(out2);
	free(r1);
	free(r2);
}
END_TEST

/* Rewrites every boot's "t_ns" of a run's samples.jsonl to its line
 * number times `gap_ns`: a known round rate, whatever the host did. */
static void set_boot_times(const char *run_dir, long long gap_ns)
{
	char *sp = util_fmt("%s/samples.jsonl", run_dir);
	char *text = util_read_file(sp, NULL);
	ck_assert_ptr_nonnull(text);
	FILE *f = fopen(sp, "we");
	ck_assert_ptr_nonnull(f);
	long long line = 0;
	for (char *p = text, *nl; *p; p = nl + 1, line++) {
		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		char *t = strstr(p, "\"t_ns\":");
		ck_assert_msg(t && t < nl, "no t_ns in line %lld", line);
		t += strlen("\"t_ns\":");
		char *e = t + strspn(t, "0123456789");
		fprintf(f, "%.*s%lld%.*s\n", (int)(t - p), p, line * gap_ns, (int)(nl - e), e);
	}
	ck_assert_int_eq(fclose(f), 0);
	free(text);
	free(sp);
}

START_TEST(test_gate_budget)
{
	/* A fake-runsc A/A run whose boots are made 0.5 s apart: 10 measured
	 * rounds and 1 warm-up of 2 arms, 22 boots, 21 intervals in 10.5 s:
	 * 60 rounds a minute. --budget 30s buys 30 rounds; in extensions of 5
	 * (+1 warm-up each): 25 pairs at most, however fast the fake boots
	 * really are: the plan is made from the rate, once, at the first look,
	 * so this holds on a loaded host too. */
	char *b = util_fmt("%s/bundle", dir), *out = util_fmt("%s/brun", dir);
	itest_bundle(b, NULL);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *run[] = {(char *)itest_gvab(), "run", "-q", "--out", out, "--bundle", b, "--iterations",
	               "10", "--warmups", "1", "--arm", a1, "--arm", a2, NULL};
	ck_assert_int_eq(itest_run(NULL, run), 0);
	set_boot_times(out, 500000000);
	char *o = NULL;
	char *g[] = {(char *)itest_gvab(), "gate", out, "--budget", "30s", "--step", "5",
	             "--max-regression", "0%", NULL};
	int rc = itest_run(&o, g);
	ck_assert_msg(strstr(o, "gate: budget 30s: 60.0 rounds per minute measured (10 rounds in 10.5 s "
	                        "of boots) allow 30 rounds: at most 25 pairs added, +5 per look"),
	              "%s", o);
	/* Looks at 10, 15, ..., 35 pairs: at most 6. A/A data may decide early
	 * (each error at most alpha); otherwise the budget ends the run. */
	int looks = 0;
	for (const char *p = strstr(o, "gate: look "); p; p = strstr(p + 1, "gate: look "))
		looks = atoi(p + 11);
	ck_assert_msg(looks >= 1 && looks <= 6 && strstr(o, "of at most 6"), "looks %d: %s", looks, o);
	char *sp = util_fmt("%s/samples.jsonl", out);
	ck_assert_int_eq(itest_count_lines(sp, "\"warmup\":false"), 2 * (10 + 5 * (looks - 1)));
	if (rc == 3) {
		ck_assert_int_eq(looks, 6);
		ck_assert_msg(strstr(o, "gate: the budget (30s) ended the run undecided after 25 pairs "
		                        "added"), "%s", o);
	} else {
		ck_assert_msg(rc == 0 || rc == 1, "exit %d: %s", rc, o);
	}
	free(o);
	/* With --adaptive smaller than the budget allows, --adaptive caps it. */
	char *g2[] = {(char *)itest_gvab(), "gate", out, "--budget", "1h", "--adaptive", "5", "--step",
	              "5", "--max-regression", "0%", NULL};
	set_boot_times(out, 500000000);
	itest_run(&o, g2);
	ck_assert_msg(strstr(o, "at most 5 pairs added, +5 per look, one warm-up round each "
	                        "(--adaptive caps it)"), "%s", o);
	free(o);
	/* A bad time is a usage error naming the option. */
	char *g3[] = {(char *)itest_gvab(), "gate", out, "--budget", "5d", NULL};
	ck_assert_int_eq(itest_run(&o, g3), 64);
	ck_assert_msg(strstr(o, "option '--budget': '5d' is not a time"), "%s", o);
	free(o);
	free(sp);
	free(a1);
	free(a2);
	free(b);
	free(out);
}
END_TEST

/* gate --adaptive reruns the command recorded in run.json: a non-string
 * item there is invalid data (exit 65, file and field named) before any
 * boot, not a crash. */
START_TEST(test_gate_adaptive_bad_command)
{
	char *rd = make_run("badcmd", 12, 1.02, 20, 0, 60);
	char *rj = util_fmt("%s/run.json", rd);
	const char *run = "{\"format\":\"gvab-run/1\",\"status\":\"complete\",\"host\":{\"hostname\":"
	                  "\"h\",\"online_cpus\":2},\"arms\":[{\"name\":\"A\"},{\"name\":\"B\"}],"
	                  "\"drift\":[],\"command\":[\"gvab\",\"run\",5]}";
	util_write_file_atomic(rj, run, strlen(run));
	char *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "gate", rd, "--adaptive", "10", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 65);
	ck_assert_msg(strstr(o, "run.json") && strstr(o, "command[2]"), "%s", o);
	ck_assert_ptr_null(strstr(o, "look 1"));
	free(o);
	free(rj);
	free(rd);
}
END_TEST

/* A run appended to in two chunks on different boots of the host is not
 * pooled by the gate (unless --allow-drift). */
START_TEST(test_gate_chunks)
{
	char *rd = make_run("chunks", 40, 1.0, 20, 0, 2);
	char *rj = util_fmt("%s/run.json", rd);
	const char *run = "{\"format\":\"gvab-run/1\",\"status\":\"complete\",\"host\":{\"hostname\":"
	                  "\"h\",\"online_cpus\":2,\"boot_id\":\"b1\"},\"arms\":[{\"name\":\"A\"},"
	                  "{\"name\":\"B\"}],\"drift\":[],\"command\":[\"gvab\",\"run\"],\"chunks\":["
	                  "{\"first_seq\":0,\"host\":{\"online_cpus\":2,\"boot_id\":\"b1\"}},"
	                  "{\"first_seq\":40,\"host\":{\"online_cpus\":2,\"boot_id\":\"b2\"}}]}";
	util_write_file_atomic(rj, run, strlen(run));
	char *o = NULL;
	ck_assert_int_eq(gate(rd, &o, NULL), 2);
	ck_assert_msg(strstr(o, "host fact boot_id of chunk 2 differs"), "%s", o);
	free(o);
	ck_assert_int_eq(gate(rd, &o, "--allow-drift"), 0);
	free(o);
	free(rj);
	free(rd);
}
END_TEST

Suite *suite_analysis(void)
{
	Suite *s = suite_create("analysis");
	TCase *tc = tcase_create("report+gate");
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gate_verdicts);
	tcase_add_test(tc, test_gate_cpu_metric);
	tcase_add_test(tc, test_report_and_charts);
	tcase_add_test(tc, test_report_label_injection);
	tcase_add_test(tc, test_report_hostile_run);
	tcase_add_test(tc, test_gate_adaptive);
	tcase_add_test(tc, test_gate_budget);
	tcase_add_test(tc, test_gate_interval_rule);
	tcase_add_test(tc, test_report_family_per_run);
	tcase_add_test(tc, test_gate_adaptive_bad_command);
	tcase_add_test(tc, test_gate_chunks);
	tcase_add_test(tc, test_inittrace_audit);
	suite_add_tcase(s, tc);
	return s;
}
