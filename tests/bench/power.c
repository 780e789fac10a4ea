/* power: how often gvab sees a regression of known size on real boots, in
 * a fixed budget of boot time (`make bench-power`; issue 23 section 2).
 * A benchmark, not a test: it boots runsc and prints its figures.
 *
 * Arms: stock runsc against the same tree with patches/calibrate-delay,
 * whose create waits D microseconds (GVAB_CALIBRATE_DELAY_US, sleep or spin
 * by GVAB_CALIBRATE_MODE), so CORE grows by D per boot and the true change
 * is known. D is a percentage of stock's CORE median, measured first by a
 * calibration run (stock against the calib binary at D = 0).
 *
 * Then RUNS times, for each D in turn (cells interleaved, so the host's
 * drift over the hours spreads over every cell), one `gvab run` of stock
 * against calib at D in ABBA order, stopped with SIGINT (samples kept, run
 * finished) once its measured boots span the largest budget. A run's
 * prefix is a shorter budget: the boots whose start lies within the first
 * k minutes after the first measured boot, whole rounds only, give the
 * run k minutes would have made (a fixed-budget analysis: nothing about
 * the later boots is used).
 *
 * Per prefix: the report's CORE verdict for calib (the library's
 * analysis_compare and analysis_adjust with the report's defaults, as
 * `gvab report` and `gvab compare` decide), and the exit of `gvab gate
 * PREFIX` (default options: --max-regression 3%, alpha 0.01) and of `gvab
 * gate PREFIX --allow-drift`. Per cell: runs, the rate of "slower", the
 * gate's FAIL, PASS and INVALID rates with their Monte Carlo standard
 * errors (sqrt(p(1-p)/runs)), and mean minutes and pairs used.
 *
 * Output in OUT: calibration/ and d<PCT>/run<R>/ run directories (kept:
 * the raw data), power.csv (one line per run and budget), power.md (the
 * table). A run directory already finished is reused, so an interrupted
 * campaign resumes; --analyse-only recomputes the tables from OUT alone.
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "error.h"
#include "opt.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST 16

struct power_cfg {
	const char *gvab, *stock, *calib, *bundle, *out, *mode;
	long runs, cal_iter, warmups;
	double budgets[MAX_LIST];
	size_t nbudgets;
	double d_pct[MAX_LIST];
	size_t nd;
	int analyse_only;
};

/* One prefix's outcome. */
struct power_obs {
	int slower, gate, gate_drift; /* report said slower; gate exits */
	double minutes, shift_pct;
	double stock_ms;              /* stock's CORE median in the prefix */
	size_t pairs;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int parse_list(const char *arg, double *v, size_t *n, const char *what)
{
	char *t = util_xstrdup(arg), *save = NULL;
	*n = 0;
	for (char *p = strtok_r(t, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
		char *end;
		double x = strtod(p, &end);
		if (*end || !(x >= 0) || x > 1000 || *n == MAX_LIST) {
			free(t);
			return error_setc(GVAB_EUSAGE, "%s: '%s' is not a list of at most %d numbers in [0, 1000]",
			                  what, arg, MAX_LIST);
		}
		v[(*n)++] = x;
	}
	free(t);
	return *n ? 0 : error_setc(GVAB_EUSAGE, "%s: empty list", what);
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_flag)
		;
}

/* The span of measured boots so far in a samples.jsonl: seconds from the
 * first measured boot's start to the last line's; -1 when none yet. */
static double measured_span_s(const char *samples)
{
	char *t = util_read_file(samples, NULL);
	double first = -1, last = -1;
	for (char *l = t, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (!next)
			break; /* a line being written */
		*next++ = '\0';
		cJSON *o = cJSON_Parse(l);
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "warmup");
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "t_ns");
		if (cJSON_IsNumber(ts) && !cJSON_IsTrue(w)) {
			if (first < 0)
				first = ts->valuedouble;
			last = ts->valuedouble;
		}
		cJSON_Delete(o);
	}
	free(t);
	return first < 0 ? -1 : (last - first) / 1e9;
}

/* `gvab run` of stock against calib at `d_us`, into dir: `iterations`
 * rounds, or (span_s > 0) until its measured boots span span_s seconds,
 * then SIGINT. A run.json whose status is not "running" is reused. */
static int boot_run(const struct power_cfg *c, const char *dir, long d_us, long iterations,
                    double span_s)
{
	char *rj = util_fmt("%s/run.json", dir);
	cJSON *old = util_json_load(rj);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(old, "status");
	char *sp0 = util_fmt("%s/samples.jsonl", dir);
	/* Finished, and (budget runs) long enough: not one a stop cut short. */
	int done = cJSON_IsString(st) && strcmp(st->valuestring, "running") != 0 &&
	           (span_s <= 0 || measured_span_s(sp0) >= span_s * 0.98);
	cJSON_Delete(old);
	free(rj);
	free(sp0);
	if (done) {
		printf("power: %s: reusing the finished run\n", dir);
		return 0;
	}
	util_rm_rf(dir);
	char *arm_a = util_fmt("stock=%s", c->stock);
	char *arm_b = util_fmt("calib=%s,env:GVAB_CALIBRATE_DELAY_US=%ld,env:GVAB_CALIBRATE_MODE=%s", c->calib,
	                       d_us, c->mode);
	char *iter = util_fmt("%ld", iterations), *warm = util_fmt("%ld", c->warmups);
	char *log = util_fmt("%s.log", dir), *samples = util_fmt("%s/samples.jsonl", dir);
	char *argv[] = {(char *)c->gvab, "run", "-q", "--out", (char *)dir, "--bundle", (char *)c->bundle,
	                "--iterations", iter, "--warmups", warm, "--order", "abba", "--arm", arm_a, "--arm",
	                arm_b, NULL};
	struct proc_opts po = {.argv = argv, .stdout_path = log, .stderr_path = log, .stdin_null = 1};
	pid_t pid;
	int rc = proc_spawn(&po, &pid);
	if (rc == 0) {
		printf("power: %s: d = %ld us, %s\n", dir, d_us, span_s > 0 ? "until the budget" : iter);
		fflush(stdout);
		int status = 0, signalled = 0;
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				break;
			if (stop_flag && !signalled) {
				kill(pid, SIGINT);
				signalled = 1;
			}
			if (!signalled && span_s > 0 && measured_span_s(samples) >= span_s) {
				kill(pid, SIGINT);
				signalled = 1;
			}
			nap_ms(1000);
		}
		/* Stopped on purpose, gvab run exits with its interrupted code and
		 * keeps the samples; anything else is a failed run. */
		if (!signalled && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			rc = error_set("%s: gvab run %s (see %s)", dir, proc_status_str(status), log);
	}
	free(arm_a);
	free(arm_b);
	free(iter);
	free(warm);
	free(log);
	free(samples);
	return rc;
}

/* prefix/ as the first `minutes` of run `dir`: run.json, and the lines
 * of samples.jsonl that are warm-ups or start within `minutes` of the
 * first measured boot, measured rounds kept only when whole. */
static int write_prefix(const char *dir, const char *prefix, double minutes)
{
	char *sp = util_fmt("%s/samples.jsonl", dir), *rp = util_fmt("%s/run.json", dir);
	char *t = util_read_file(sp, NULL);
	int rc = 0;
	if (!t) {
		rc = error_set("%s: unreadable", sp);
		goto out;
	}
	util_rm_rf(prefix);
	char *np = util_fmt("%s/run.json", prefix);
	if ((rc = util_mkdir_p(prefix, 0755)) == 0)
		rc = util_copy_file(rp, np, 0644);
	free(np);
	if (rc < 0)
		goto out;
	/* Two passes: the rounds' line counts within the prefix, then the lines. */
	enum { MAXR = 200000 };
	int *per_round = util_xcalloc(MAXR, sizeof *per_round);
	double first = -1, limit_ns = minutes * 60e9;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		char *copy = util_xstrdup(t), *outbuf = NULL;
		size_t outlen = 0;
		FILE *m = pass ? open_memstream(&outbuf, &outlen) : NULL;
		for (char *l = copy, *next; l && *l; l = next) {
			next = strchr(l, '\n');
			if (next)
				*next++ = '\0';
			cJSON *o = cJSON_Parse(l);
			const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "warmup");
			const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "t_ns");
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "round");
			int keep = 0;
			if (cJSON_IsTrue(w)) {
				keep = 1;
			} else if (cJSON_IsNumber(ts) && cJSON_IsNumber(r) && r->valueint >= 0 && r->valueint < MAXR) {
				if (first < 0)
					first = ts->valuedouble;
				int in = ts->valuedouble - first < limit_ns;
				if (pass == 0 && in)
					per_round[r->valueint]++;
				keep = in && per_round[r->valueint] >= 2;
			}
			if (pass && keep)
				fprintf(m, "%s\n", l);
			cJSON_Delete(o);
		}
		free(copy);
		if (pass) {
			fclose(m);
			char *sq = util_fmt("%s/samples.jsonl", prefix);
			rc = util_write_file_atomic(sq, outbuf, outlen);
			free(sq);
			free(outbuf);
		}
		first = -1;
	}
	free(per_round);
out:
	free(t);
	free(sp);
	free(rp);
	return rc;
}

/* Minutes from the first measured boot's start to the last one's. */
static double prefix_minutes(const struct run_analysis *ra)
{
	double first = -1, last = -1;
	for (size_t i = 0; i < ra->sf.n; i++) {
		const struct sample *s = &ra->sf.s[i];
		if (s->warmup)
			continue;
		if (first < 0)
			first = (double)s->t_ns;
		last = (double)s->t_ns;
	}
	return first < 0 ? 0 : (last - first) / 60e9;
}

static int gate_exit(const struct power_cfg *c, const char *prefix, int allow_drift)
{
	char *argv[] = {(char *)c->gvab, "gate", (char *)prefix, allow_drift ? "--allow-drift" : NULL, NULL};
	char *out = NULL;
	int status = 0;
	int rc = proc_run_capture(argv, NULL, NULL, &out, &status);
	free(out);
	return rc < 0 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
}

/* The report's verdict on CORE for calib, and the gate's exits, on the
 * first `minutes` of run `dir`. */
static int observe(const struct power_cfg *c, const char *dir, double minutes, struct power_obs *ob)
{
	char *prefix = util_fmt("%s.prefix", dir);
	int rc = write_prefix(dir, prefix, minutes);
	struct run_analysis ra;
	memset(ob, 0, sizeof *ob);
	if (rc == 0 && (rc = analysis_load(prefix, &ra)) == 0) {
		struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
		analysis_compare(&ra, &ao);
		analysis_adjust(&ra, 1, &ao, (1u << PH_COUNT) - 1);
		ob->shift_pct = NAN;
		for (size_t k = 0; k < ra.ncmp; k++) {
			const struct comparison *cp = &ra.cmp[k];
			if (cp->phase != PH_CORE)
				continue;
			ob->slower = cp->verdict == V_SLOWER;
			ob->pairs = cp->npairs;
			ob->shift_pct = cp->med_a > 0 ? 100 * cp->shift_ms / cp->med_a : NAN;
		}
		ob->minutes = prefix_minutes(&ra);
		ob->stock_ms = ra.narms && ra.arms[0].n_ok ? ra.arms[0].ph[PH_CORE].median : NAN;
		analysis_free(&ra);
		ob->gate = gate_exit(c, prefix, 0);
		ob->gate_drift = gate_exit(c, prefix, 1);
	}
	util_rm_rf(prefix);
	free(prefix);
	return rc;
}

/* Stock's CORE median (ms) from the calibration run. */
static int stock_median(const char *dir, double *ms)
{
	struct run_analysis ra;
	int rc = analysis_load(dir, &ra);
	if (rc < 0)
		return rc;
	*ms = ra.narms && ra.arms[0].n_ok ? ra.arms[0].ph[PH_CORE].median : NAN;
	analysis_free(&ra);
	return isfinite(*ms) ? 0 : error_set("%s: no ok boot of stock", dir);
}

static double se(int k, long n)
{
	double p = n ? (double)k / (double)n : 0;
	return n ? 100 * sqrt(p * (1 - p) / (double)n) : NAN;
}

static int analyse(const struct power_cfg *c, double stock_ms)
{
	char *csv = util_fmt("%s/power.csv", c->out), *md = util_fmt("%s/power.md", c->out);
	FILE *fc = fopen(csv, "w"), *fm = fopen(md, "w");
	if (!fc || !fm) {
		if (fc)
			fclose(fc);
		if (fm)
			fclose(fm);
		free(csv);
		free(md);
		return error_set("%s: cannot write", c->out);
	}
	fprintf(fc, "d_pct,d_us,run,budget_min,minutes,pairs,stock_core_ms,d_run_pct,shift_pct,report_slower,gate_exit,"
	            "gate_exit_allow_drift\n");
	fprintf(fm, "Stock CORE median %.1f ms (calibration run); D as %% of it; mode %s.\n"
	            "Rates in %% with their Monte Carlo s.e.; gate: `gvab gate` defaults (FAIL above +3%%, "
	            "alpha 0.01), exits 0 PASS, 1 FAIL, 2 INVALID, 3 undecided; \"drift ok\": with "
	            "--allow-drift. D is fixed in microseconds from the calibration run; \"D in the runs\" is "
	            "it as %% of each run's own stock CORE median (mean, min-max), the change the runs "
	            "really had.\n\n"
	            "| D | D in the runs | budget min | runs | minutes used (mean) | pairs (mean) | report slower | "
	            "gate FAIL | gate PASS | gate INVALID | gate FAIL, drift ok | gate PASS, drift ok |\n"
	            "|---:|---|---:|---:|---:|---:|---|---|---|---|---|---|\n",
	        stock_ms, c->mode);
	for (size_t di = 0; di < c->nd; di++) {
		for (size_t bi = 0; bi < c->nbudgets; bi++) {
			long n = 0;
			int slower = 0, fail = 0, pass = 0, inval = 0, fail_d = 0, pass_d = 0;
			double mins = 0, pairs = 0, dsum = 0, dmin = INFINITY, dmax = -INFINITY;
			long d_us = lround(stock_ms * 1000 * c->d_pct[di] / 100);
			for (long r = 1; r <= c->runs; r++) {
				char *dir = util_fmt("%s/d%g/run%ld", c->out, c->d_pct[di], r);
				char *rj = util_fmt("%s/run.json", dir);
				struct power_obs ob;
				if (util_path_exists(rj) && observe(c, dir, c->budgets[bi], &ob) == 0 && ob.pairs > 0) {
					n++;
					slower += ob.slower;
					fail += ob.gate == 1;
					pass += ob.gate == 0;
					inval += ob.gate == 2;
					fail_d += ob.gate_drift == 1;
					pass_d += ob.gate_drift == 0;
					mins += ob.minutes;
					pairs += (double)ob.pairs;
					double drun = 100 * (double)d_us / 1000 / ob.stock_ms;
					dsum += drun;
					dmin = drun < dmin ? drun : dmin;
					dmax = drun > dmax ? drun : dmax;
					fprintf(fc, "%g,%ld,%ld,%g,%.3f,%zu,%.1f,%.2f,%.2f,%d,%d,%d\n", c->d_pct[di], d_us, r,
					        c->budgets[bi], ob.minutes, ob.pairs, ob.stock_ms, drun, ob.shift_pct, ob.slower,
					        ob.gate, ob.gate_drift);
				}
				free(rj);
				free(dir);
			}
			if (n == 0)
				continue;
			fprintf(fm, "| +%g%% | +%.1f%% (%.1f-%.1f) | %g | %ld | %.2f | %.0f | %.0f%% (%.0f) | %.0f%% (%.0f) | "
			            "%.0f%% (%.0f) | %.0f%% (%.0f) | %.0f%% (%.0f) | %.0f%% (%.0f) |\n",
			        c->d_pct[di], dsum / (double)n, dmin, dmax, c->budgets[bi], n, mins / (double)n,
			        pairs / (double)n,
			        100.0 * slower / (double)n, se(slower, n), 100.0 * fail / (double)n, se(fail, n),
			        100.0 * pass / (double)n, se(pass, n), 100.0 * inval / (double)n, se(inval, n),
			        100.0 * fail_d / (double)n, se(fail_d, n), 100.0 * pass_d / (double)n, se(pass_d, n));
		}
	}
	fclose(fc);
	fclose(fm);
	char *t = util_read_file(md, NULL);
	printf("%s", t ? t : "");
	free(t);
	free(csv);
	free(md);
	return 0;
}

enum { O_GVAB = 1, O_STOCK, O_CALIB, O_BUNDLE, O_OUT, O_RUNS, O_BUDGETS, O_D, O_MODE, O_CAL, O_WARM, O_ANALYSE };

static const struct opt opts[] = {
	{"gvab", 0, OPT_REQUIRED, "PATH", "gvab binary (default build/gvab)", O_GVAB},
	{"stock", 0, OPT_REQUIRED, "RUNSC", "stock runsc (default build/calib26/stock/runsc)", O_STOCK},
	{"calib", 0, OPT_REQUIRED, "RUNSC", "runsc with patches/calibrate-delay (default build/calib26/calib/runsc)",
	 O_CALIB},
	{"bundle", 0, OPT_REQUIRED, "DIR", "bundle (default build/bundle)", O_BUNDLE},
	{"out", 0, OPT_REQUIRED, "DIR", "output directory (required)", O_OUT},
	{"runs", 0, OPT_REQUIRED, "N", "runs per cell (default 20)", O_RUNS},
	{"budgets", 0, OPT_REQUIRED, "LIST", "budgets in minutes of boots (default 1,2,5,10)", O_BUDGETS},
	{"d", 0, OPT_REQUIRED, "LIST", "delays in % of stock's CORE median (default 0,1,3,5,10)", O_D},
	{"mode", 0, OPT_REQUIRED, "M", "sleep (default) or spin", O_MODE},
	{"calibration-rounds", 0, OPT_REQUIRED, "N", "rounds of the calibration run (default 30)", O_CAL},
	{"warmups", 0, OPT_REQUIRED, "N", "warm-ups per arm of each run (default 3)", O_WARM},
	{"analyse-only", 0, OPT_NONE, NULL, "no boots: the tables from OUT's runs", O_ANALYSE},
	{0}};

static const struct opt_cmd power_cmd = {
	"bench-power", "--out DIR [options]",
	"Real A/B runs of stock against the calibration arm at known delays; per\n"
	"delay and budget the report's \"slower\" rate and the gate's FAIL/PASS rates.",
	opts, NULL, NULL, 0};

int main(int argc, char **argv)
{
	struct power_cfg c = {.gvab = "build/gvab", .stock = "build/calib26/stock/runsc",
	                      .calib = "build/calib26/calib/runsc", .bundle = "build/bundle", .mode = "sleep",
	                      .runs = 20, .cal_iter = 30, .warmups = 3};
	parse_list("1,2,5,10", c.budgets, &c.nbudgets, "--budgets");
	parse_list("0,1,3,5,10", c.d_pct, &c.nd, "--d");
	struct opt_parser p;
	opt_init(&p, &power_cmd, argc, argv);
	int rc = 0;
	long v;
	for (int id; rc == 0 && (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_GVAB: c.gvab = p.arg; break;
		case O_STOCK: c.stock = p.arg; break;
		case O_CALIB: c.calib = p.arg; break;
		case O_BUNDLE: c.bundle = p.arg; break;
		case O_OUT: c.out = p.arg; break;
		case O_RUNS: if (opt_long(&p, 1, 10000, &v) == 0) c.runs = v; break;
		case O_CAL: if (opt_long(&p, 3, 100000, &v) == 0) c.cal_iter = v; break;
		case O_WARM: if (opt_long(&p, 0, 1000, &v) == 0) c.warmups = v; break;
		case O_BUDGETS: rc = parse_list(p.arg, c.budgets, &c.nbudgets, "--budgets"); break;
		case O_D: rc = parse_list(p.arg, c.d_pct, &c.nd, "--d"); break;
		case O_MODE: c.mode = p.arg; break;
		case O_ANALYSE: c.analyse_only = 1; break;
		}
	}
	int code;
	if (rc == 0 && opt_end(&p, 0, &code)) {
		opt_free(&p);
		return code;
	}
	opt_free(&p);
	if (rc == 0 && !c.out)
		rc = error_setc(GVAB_EUSAGE, "--out DIR is required");
	if (rc == 0 && strcmp(c.mode, "sleep") && strcmp(c.mode, "spin"))
		rc = error_setc(GVAB_EUSAGE, "--mode: '%s' is not sleep or spin", c.mode);
	if (rc < 0) {
		fprintf(stderr, "bench-power: %s\n", error_last());
		return 64;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	double max_budget = 0;
	for (size_t i = 0; i < c.nbudgets; i++)
		max_budget = c.budgets[i] > max_budget ? c.budgets[i] : max_budget;
	char *cal = util_fmt("%s/calibration", c.out);
	double stock_ms = NAN;
	util_mkdir_p(c.out, 0755);
	if (!c.analyse_only)
		rc = boot_run(&c, cal, 0, c.cal_iter, 0);
	if (rc == 0)
		rc = stock_median(cal, &stock_ms);
	if (rc == 0 && !c.analyse_only)
		printf("power: stock CORE median %.1f ms\n", stock_ms);
	/* Run r boots every D in turn, starting one further each time, so no
	 * delay always comes first after a pause. */
	for (long r = 1; rc == 0 && !c.analyse_only && r <= c.runs && !stop_flag; r++) {
		for (size_t k = 0; rc == 0 && k < c.nd && !stop_flag; k++) {
			size_t di = (k + (size_t)r) % c.nd;
			long d_us = lround(stock_ms * 1000 * c.d_pct[di] / 100);
			char *dd = util_fmt("%s/d%g", c.out, c.d_pct[di]), *dir = util_fmt("%s/run%ld", dd, r);
			util_mkdir_p(dd, 0755);
			rc = boot_run(&c, dir, d_us, 1000000, max_budget * 60);
			free(dd);
			free(dir);
		}
	}
	if (rc == 0)
		rc = analyse(&c, stock_ms);
	free(cal);
	if (rc < 0) {
		fprintf(stderr, "bench-power: %s\n", error_last());
		return 1;
	}
	return stop_flag ? 130 : 0;
}
