/* cmd_gate: `gvab gate` gives a release gate one verdict and an exit code.
 *
 * Candidate B against baseline A on one metric (CORE by default). The
 * figure is the Hodges-Lehmann shift B - A of the same-round differences
 * (at least 10 pairs; else unpaired) with its distribution-free interval,
 * and the rule is analysis/verdict.h's:
 *   FAIL (exit 1)      the interval's lower bound exceeds the threshold;
 *   PASS (exit 0)      its upper bound is below the threshold ("same" when
 *                      it also lies above -threshold);
 *   UNDECIDED (exit 3) anything else: more data needed. Not a pass.
 *   INVALID (exit 2)   unreadable run, missing arms, too few samples, too
 *                      many failed boots, or the host drifted during the run.
 * The interval is two-sided 1 - 2 * alpha / m for m candidates (98% at the
 * default alpha 0.01 with one candidate): each bound is a one-sided test at
 * alpha / m, so a false FAIL and a false PASS each have probability at most
 * alpha over all candidates. --adaptive looks repeatedly with
 * group-sequential levels (verdict_sequential_alphas).
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "cmds.h"
#include "verdict.h"
#include "error.h"
#include "opt.h"
#include "runloop.h"
#include "proc.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

enum { O_METRIC = 1, O_MAXREG, O_ALPHA, O_BASE, O_CAND, O_MINS, O_MAXFAIL, O_DRIFT, O_REPS, O_SEED,
       O_JUNIT, O_ADAPTIVE, O_STEP };

static const struct opt opts[] = {
	{"metric", 0, OPT_REQUIRED, "PHASE", "create|start|wait|delete|core|overall (default core)", O_METRIC},
	{"max-regression", 0, OPT_REQUIRED, "PCT", "allowed slowdown of B, % of A's median (default 3%)", O_MAXREG},
	{"alpha", 0, OPT_REQUIRED, "A", "error rate of FAIL and of PASS, each (default 0.01)", O_ALPHA},
	{"baseline", 0, OPT_REQUIRED, "ARM", "arm A (default: the first arm)", O_BASE},
	{"candidate", 0, OPT_REQUIRED, "ARM", "arm B (default: every other arm, Holm-adjusted)", O_CAND},
	{"min-samples", 0, OPT_REQUIRED, "N", "fewer ok measured boots per arm is invalid (default 10)", O_MINS},
	{"max-failure-rate", 0, OPT_REQUIRED, "F",
	 "more failed boots than this fraction is invalid (default 0.1)", O_MAXFAIL},
	{"allow-drift", 0, OPT_NONE, NULL, "do not treat host drift during the run as invalid", O_DRIFT},
	{"junit", 0, OPT_REQUIRED, "FILE", "also write a JUnit XML report", O_JUNIT},
	{"adaptive", 0, OPT_REQUIRED, "N",
	 "while undecided, add up to N more rounds per arm to the run\n"
	 "(its recorded command again with --append, in this process),\n"
	 "deciding again after every --step rounds; looks use\n"
	 "O'Brien-Fleming-type alpha spending (Lan-DeMets), so\n"
	 "stopping at any look keeps both error rates <= alpha", O_ADAPTIVE},
	{"step", 0, OPT_REQUIRED, "N", "rounds added before each look of --adaptive (default 10)", O_STEP},
	{"reps", 0, OPT_REQUIRED, "N", "accepted for old scripts; unused (the intervals are exact)", O_REPS},
	{"seed", 0, OPT_REQUIRED, "N", "accepted for old scripts; unused", O_SEED},
	{0}};

static const struct opt_cmd gate_cmd = {
	"gate", "RUN_DIR [options]",
	"One verdict and an exit code for a release gate: candidate B against baseline A\n"
	"on one metric, from the interval of the paired shift B - A.\n",
	opts,
	"When undecided it prints how many pairs would decide if the shift stayed put.\n"
	"Exit: 0 pass, 1 regression, 2 invalid data, 3 undecided, 64 usage, 65 a malformed\n"
	"run.json command under --adaptive.\n",
	"gate results/ab --max-regression 3% --junit gate.xml\n"
	"gate results/ab --adaptive 100          # add rounds while undecided\n"
	"gate results/r --baseline r0706-lazy --candidate r0715-upstream"};

static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static int write_junit(const char *path, const char *name, const char *verdict, const char *line,
                       int code)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return error_set("%s: cannot write", path);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuite name=\"gvab-gate\" tests=\"1\" failures=\"%d\" errors=\"%d\">\n",
	        code == GATE_FAIL || code == GATE_UNDECIDED, code == GATE_INVALID);
	fprintf(f, "  <testcase classname=\"gvab.gate\" name=\"");
	xml_escape(f, name);
	fprintf(f, "\">\n");
	if (code != GATE_PASS) {
		fprintf(f, "    <%s message=\"", code == GATE_INVALID ? "error" : "failure");
		xml_escape(f, verdict);
		fprintf(f, "\">");
		xml_escape(f, line);
		fprintf(f, "</%s>\n", code == GATE_INVALID ? "error" : "failure");
	} else {
		fprintf(f, "    <system-out>");
		xml_escape(f, line);
		fprintf(f, "</system-out>\n");
	}
	fprintf(f, "  </testcase>\n</testsuite>\n");
	return fclose(f) == 0 ? 0 : error_set("%s: write failed", path);
}

/* The command recorded in DIR/run.json, checked before any boot: an array
 * of strings whose second item is "run". Caller frees with cJSON_Delete. */
static int gate_load_command(const char *dir, cJSON **run_out, const cJSON **cmd_out)
{
	char *rp = util_fmt("%s/run.json", dir);
	cJSON *run = samples_run_load(rp);
	int rc = 0;
	if (!run) {
		rc = error_wrap(GVAB_EDATA, "run directory %s", dir);
		goto out;
	}
	/* The reader checked that command is an array of strings. */
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(run, "command");
	int i = cJSON_GetArraySize(cmd);
	if (i < 2 || strcmp(cJSON_GetArrayItem(cmd, 1)->valuestring, "run") != 0) {
		rc = error_setc(GVAB_EDATA, "%s: command: not a recorded `gvab run` command", rp);
		goto out;
	}
	*cmd_out = cmd;
out:
	free(rp);
	if (rc < 0) {
		cJSON_Delete(run);
		run = NULL;
	}
	*run_out = run;
	return rc;
}

/* Appends `rounds` measured rounds to the run by running the command
 * recorded in run.json again, in this process, with --out DIR --append
 * --iterations rounds --warmups 1 (the run loop refuses a directory whose
 * arms, binaries or settings differ). */
static int gate_extend_run(const char *dir, long rounds)
{
	cJSON *run;
	const cJSON *cmd;
	int rc = gate_load_command(dir, &run, &cmd);
	if (rc < 0)
		return rc;
	int n = cJSON_GetArraySize(cmd);
	char **argv = util_xcalloc((size_t)n + 12, sizeof *argv);
	char *iters = util_fmt("%ld", rounds);
	int k = 0;
	argv[k++] = "run";
	/* Keep the arms, bundle, order, knobs and flags; drop what we replace. */
	for (int i = 2; i < n; i++) {
		const char *a = cJSON_GetArrayItem(cmd, i)->valuestring;
		if (!strcmp(a, "--out") || !strcmp(a, "--iterations") || !strcmp(a, "--warmups") ||
		    !strcmp(a, "--seed")) {
			i++;
			continue;
		}
		if (!strcmp(a, "--append") || !strncmp(a, "--out=", 6) || !strncmp(a, "--iterations=", 13) ||
		    !strncmp(a, "--warmups=", 10))
			continue;
		argv[k++] = (char *)a;
	}
	argv[k++] = "--out";
	argv[k++] = (char *)dir;
	argv[k++] = "--append";
	argv[k++] = "--iterations";
	argv[k++] = iters;
	argv[k++] = "--warmups";
	argv[k++] = "1";
	argv[k] = NULL;
	struct run_outcome o;
	rc = runloop_command(argv, &o);
	if (rc < 0)
		rc = error_wrap(rc, "extending %s (gvab run --append)", dir);
	free(o.out_dir);
	free(argv);
	free(iters);
	cJSON_Delete(run);
	return rc;
}

struct gate_params {
	struct analysis_opts ao;
	int phase;
	const char *metric, *base_name, *cand_name;
	long min_samples;
	double max_fail_rate;
	int allow_drift;
};

/* The order the run recorded ("abba", "alternate", "random"). */
static const char *run_order(const struct run_analysis *ra)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(ra->run, "order");
	return cJSON_IsString(o) ? o->valuestring : "?";
}

/* Carry-over diagnostic of one comparison: one line, and a warning when
 * the order leaves it on the estimate. The committed rcu0 run (ABBA) had
 * B - A of -44.4 ms with stock first and -32.9 ms with patched first. */
static void gate_print_carry_over(const struct run_analysis *ra, const struct comparison *cp)
{
	const char *an = ra->arms[cp->a].name, *bn = ra->arms[cp->b].name;
	if (cp->co_n_afirst == 0 && cp->co_n_bfirst == 0)
		return; /* no two boots of a round next to each other */
	if (cp->co_n_afirst == 0 || cp->co_n_bfirst == 0) {
		printf("gate: warning: %s boots first in every round (order %s), so a first-in-round "
		       "effect (carry-over) is in every pair and cannot be measured; use --order abba\n",
		       cp->co_n_afirst ? an : bn, run_order(ra));
		return;
	}
	printf("gate: carry-over %s vs %s: B - A %+.2f ms when %s boots first (%zu rounds), %+.2f ms "
	       "when %s does (%zu), p=%.3g (Mann-Whitney), order %s\n",
	       bn, an, cp->co_afirst_ms, an, cp->co_n_afirst, cp->co_bfirst_ms, bn, cp->co_n_bfirst,
	       cp->co_p, run_order(ra));
	size_t hi = cp->co_n_afirst > cp->co_n_bfirst ? cp->co_n_afirst : cp->co_n_bfirst;
	size_t lo = cp->co_n_afirst + cp->co_n_bfirst - hi;
	if (cp->co_p <= 0.05 && hi > lo + lo / 5 + 1)
		printf("gate: warning: significant carry-over and unbalanced orders (%zu vs %zu rounds): "
		       "the shift carries part of it; use --order abba\n", cp->co_n_afirst,
		       cp->co_n_bfirst);
}

/* Sample-size planning for an undecided comparison: an interval's half
 * width shrinks about as 1 / sqrt(pairs), so if the shift stayed where it
 * is, the side that would decide (upper bound below the threshold for a
 * PASS, lower bound above it for a FAIL) gets there at about
 * n * (half width / distance to the threshold)^2 pairs. A rough guide at
 * this look's level, not a promise: the shift moves as pairs come in. */
static void gate_print_plan(const struct comparison *cp, size_t n_unpaired)
{
	double n = (double)(cp->used_paired ? cp->npairs : n_unpaired ? n_unpaired : 1);
	double gap = cp->thr_ms - cp->shift_ms, half = gap > 0 ? cp->shift_hi - cp->shift_ms
	                                                       : cp->shift_ms - cp->shift_lo;
	if (!isfinite(half) || fabs(gap) < 1e-9 * (cp->thr_ms > 0 ? cp->thr_ms : 1)) {
		printf("gate: plan: the shift sits on the threshold; more pairs alone may not decide\n");
		return;
	}
	double need = n * (half / fabs(gap)) * (half / fabs(gap));
	if (need > 100000)
		printf("gate: plan: if the shift stays at %+.2f ms, more than 100000 pairs would be needed "
		       "to %s\n", cp->shift_ms, gap > 0 ? "PASS" : "FAIL");
	else
		printf("gate: plan: if the shift stays at %+.2f ms, about %.0f %s in all (%.0f more) "
		       "would %s\n", cp->shift_ms, ceil(need), cp->used_paired ? "pairs" : "boots per arm",
		       ceil(need) - n > 0 ? ceil(need) - n : 0,
		       gap > 0 ? "PASS" : "FAIL");
}

/* Decides once on the run directory at one-sided error `look_alpha` (the
 * gate's alpha, or a sequential look's level); prints one verdict line per
 * candidate and leaves the deciding line and verdict in line/verdict. */
static int gate_decide(const char *dir, struct gate_params *gp, double look_alpha, char *line,
                       size_t linesz, char *verdict, size_t vsz)
{
	struct analysis_opts ao = gp->ao;
	int phase = gp->phase;
	const char *metric = gp->metric, *base_name = gp->base_name, *cand_name = gp->cand_name;
	struct run_analysis ra;
	int code = GATE_INVALID;
	snprintf(verdict, vsz, "INVALID");
	if (analysis_load(dir, &ra) < 0) {
		snprintf(line, linesz, "gate: INVALID: %s", error_last());
		printf("%s\n", line);
		return GATE_INVALID;
	}
	int a = base_name ? samples_arm_index(&ra.sf, base_name) : 0;
	int only_b = cand_name ? samples_arm_index(&ra.sf, cand_name) : -1;
	const cJSON *drift = cJSON_GetObjectItemCaseSensitive(ra.run, "drift");
	if (a < 0 || (cand_name && only_b < 0)) {
		snprintf(line, linesz, "gate: INVALID: arm '%s' is not in %s",
		         a < 0 ? base_name : cand_name, dir);
		goto done;
	}
	if (!gp->allow_drift && cJSON_GetArraySize(drift) > 0) {
		snprintf(line, linesz, "gate: INVALID: host facts drifted during the run (%s); "
		                       "rerun, or pass --allow-drift", dir);
		goto done;
	}
	char why[256];
	if (!gp->allow_drift && analysis_chunk_drift(&ra, why, sizeof why)) {
		snprintf(line, linesz, "gate: INVALID: %s (%s, appended with --append); rerun, or pass "
		                       "--allow-drift", why, dir);
		goto done;
	}
	for (size_t i = 0; i < ra.narms; i++) {
		const struct arm_stats *as = &ra.arms[i];
		if ((int)i != a && only_b >= 0 && (int)i != only_b)
			continue;
		size_t tried = as->n_fail + as->n_ok;
		double rate = (double)as->n_fail / (double)(tried ? tried : 1);
		if ((long)as->n_ok < gp->min_samples) {
			snprintf(line, linesz, "gate: INVALID: arm %s has %zu ok measured boots, fewer "
			                       "than --min-samples %ld", as->name, as->n_ok, gp->min_samples);
			goto done;
		}
		if (rate > gp->max_fail_rate) {
			snprintf(line, linesz, "gate: INVALID: arm %s failed %zu of %zu boots (%.0f%% > "
			                       "%.0f%%)", as->name, as->n_fail, tried, 100 * rate,
			         100 * gp->max_fail_rate);
			goto done;
		}
	}
	ao.baseline = a;
	ao.interval_alpha = look_alpha;
	ao.phase_mask = 1u << phase;
	ao.reps = 1; /* the bootstrap is descriptive; the gate does not print it */
	analysis_compare(&ra, &ao);
	/* The family: the chosen metric for every candidate (or the one asked). */
	if (only_b >= 0) {
		size_t w = 0;
		for (size_t k = 0; k < ra.ncmp; k++)
			if (ra.cmp[k].b == only_b)
				ra.cmp[w++] = ra.cmp[k];
		ra.ncmp = w;
	}
	analysis_adjust(&ra, 1, &ao, 1u << phase);
	code = GATE_PASS;
	snprintf(verdict, vsz, "PASS");
	for (size_t k = 0; k < ra.ncmp; k++) {
		const struct comparison *cp = &ra.cmp[k];
		struct verdict_in in = {.lo = cp->shift_lo, .hi = cp->shift_hi, .thr_ms = cp->thr_ms};
		int c_code = cp->gate;
		const char *c_verdict = verdict_gate_name(cp->gate);
		double p = cp->used_paired ? cp->p_wx_adj : cp->p_mw_adj;
		snprintf(line, linesz,
		         "gate: %s%s %s vs %s: %s p50 %.1f -> %.1f ms, shift %+.2f ms (%+.2f%%), %.4g%% CI "
		         "[%+.2f, %+.2f] ms, p=%.4g (%s, Holm over %zu), threshold +%.3g%% (%+.2f ms), alpha %.3g",
		         c_verdict, c_code == GATE_PASS && verdict_equivalent(&in) ? " (same)" : "",
		         ra.arms[cp->b].name, ra.arms[cp->a].name, metric, cp->med_a, cp->med_b, cp->shift_ms,
		         cp->med_a > 0 ? 100 * cp->shift_ms / cp->med_a : 0, 100 * (1 - 2 * cp->shift_tail),
		         cp->shift_lo, cp->shift_hi, p,
		         cp->used_paired ? "paired, Wilcoxon" : "unpaired, Mann-Whitney", cp->family_size,
		         ao.threshold_pct, cp->thr_ms, ao.alpha);
		printf("%s\n", line);
		gate_print_carry_over(&ra, cp);
		/* Dependence: what the intervals assume away or widen for. */
		const struct arm_stats *A = &ra.arms[cp->a], *B = &ra.arms[cp->b];
		printf("gate: dependence: lag-1 autocorrelation %+.2f (%s), %+.2f (%s), %+.2f (round "
		       "differences%s); trend %+.1f%% (%s), %+.1f%% (%s) per 100 boots\n",
		       A->lag1[phase], A->name, B->lag1[phase], B->name, cp->lag1,
		       cp->lag1 > 0 ? ", interval widened" : "", A->trend_pct_per_100[phase], A->name,
		       B->trend_pct_per_100[phase], B->name);
		if (c_code == GATE_UNDECIDED)
			gate_print_plan(cp, ra.arms[cp->a].n_ok < ra.arms[cp->b].n_ok ? ra.arms[cp->a].n_ok
			                                                              : ra.arms[cp->b].n_ok);
		/* The worst candidate decides: FAIL > UNDECIDED > PASS. */
		if (c_code == GATE_FAIL || (c_code == GATE_UNDECIDED && code == GATE_PASS)) {
			code = c_code;
			snprintf(verdict, vsz, "%s", c_verdict);
		}
	}
	analysis_free(&ra);
	return code;
done:
	printf("%s\n", line);
	analysis_free(&ra);
	return code;
}

int cmd_gate(int argc, char **argv)
{
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	const char *metric = "core", *base_name = NULL, *cand_name = NULL, *junit = NULL;
	long min_samples = 10, v;
	double max_fail_rate = 0.1;
	int allow_drift = 0, rc = 0;
	long adaptive_budget = 0, adaptive_step = 10;
	char *end;
	struct opt_parser p;
	opt_init(&p, &gate_cmd, argc, argv);
	for (int id; rc == 0 && (id = opt_next(&p)) > 0;) {
		const char *arg = p.arg;
		switch (id) {
		case O_METRIC: metric = arg; break;
		case O_MAXREG:
			ao.threshold_pct = strtod(arg, &end);
			if (end == arg || (*end && strcmp(end, "%") != 0) || ao.threshold_pct < 0)
				rc = error_setc(GVAB_EUSAGE, "--max-regression: '%s' is not a percentage", arg);
			break;
		case O_ALPHA:
			ao.alpha = strtod(arg, &end);
			if (end == arg || *end || ao.alpha <= 0 || ao.alpha >= 0.5)
				rc = error_setc(GVAB_EUSAGE, "--alpha: '%s' is not in (0,0.5)", arg);
			break;
		case O_BASE: base_name = arg; break;
		case O_CAND: cand_name = arg; break;
		case O_MINS: rc = util_parse_long(arg, 2, 1000000, "--min-samples", &min_samples); break;
		case O_MAXFAIL:
			max_fail_rate = strtod(arg, &end);
			if (end == arg || *end || max_fail_rate < 0 || max_fail_rate > 1)
				rc = error_setc(GVAB_EUSAGE, "--max-failure-rate: '%s' is not in [0,1]", arg);
			break;
		case O_DRIFT: allow_drift = 1; break;
		case O_REPS:
			if ((rc = util_parse_long(arg, 10000, 10000000, "--reps", &v)) == 0)
				ao.reps = (int)v;
			break;
		case O_SEED:
			if ((rc = util_parse_long(arg, 0, 0x7fffffffL, "--seed", &v)) == 0)
				ao.seed = (uint64_t)v;
			break;
		case O_JUNIT: junit = arg; break;
		case O_ADAPTIVE: rc = util_parse_long(arg, 1, 100000, "--adaptive", &adaptive_budget); break;
		case O_STEP: rc = util_parse_long(arg, 1, 100000, "--step", &adaptive_step); break;
		}
	}
	if (rc < 0) {
		opt_free(&p);
		return cmds_fail(rc, "gate");
	}
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	if (p.ind + 1 != argc)
		return opt_usage_error(&gate_cmd, "expected exactly one run directory");
	/* The run directory, kept: an --adaptive look parses the run's own
	 * options in this process. */
	const char *dir = argv[p.ind];
	int phase = analysis_phase_index(metric);
	if (phase < 0) {
		return opt_usage_error(&gate_cmd, "--metric '%s': expected create, start, wait, delete, core or overall",
		                       metric);
	}
	struct gate_params gp = {.ao = ao, .phase = phase, .metric = metric, .base_name = base_name,
	                         .cand_name = cand_name, .min_samples = min_samples,
	                         .max_fail_rate = max_fail_rate, .allow_drift = allow_drift};
	char line[2048] = "", verdict[32] = "INVALID";
	int code;
	if (adaptive_budget <= 0) {
		code = gate_decide(dir, &gp, ao.alpha, line, sizeof line, verdict, sizeof verdict);
	} else {
		/* Adaptive: while undecided, append `step` more interleaved rounds
		 * (the run's own command, from run.json) and look again, up to the
		 * budget. The looks are planned at the first one (its pairs, then
		 * +step each) and each uses the nominal level of O'Brien-Fleming
		 * boundaries (verdict_sequential_alphas), which keeps false FAIL and
		 * false PASS at most alpha over all looks. Measured by
		 * tests/bench/gate_sim. The recorded command is checked first, so
		 * a malformed run.json stops the gate before any boot. */
		cJSON *run;
		const cJSON *cmd;
		if ((rc = gate_load_command(dir, &run, &cmd)) < 0)
			return cmds_fail(rc, "gate");
		cJSON_Delete(run);
		int looks = 1 + (int)((adaptive_budget + adaptive_step - 1) / adaptive_step);
		double *look_alpha = util_xcalloc((size_t)looks, sizeof *look_alpha);
		long added = 0;
		for (int look = 1;; look++) {
			if (look == 1) {
				/* Plan from the first look's pairs, before deciding. */
				struct run_analysis ra;
				long n0 = 0;
				if (analysis_load(dir, &ra) == 0) {
					n0 = (long)ra.arms[0].n_ok;
					for (size_t i = 1; i < ra.narms; i++)
						if ((long)ra.arms[i].n_ok < n0)
							n0 = (long)ra.arms[i].n_ok;
					analysis_free(&ra);
				}
				long *n = util_xcalloc((size_t)looks, sizeof *n);
				for (int j = 0; j < looks; j++) {
					long extra = (long)j * adaptive_step;
					n[j] = (n0 > 0 ? n0 : 1) + (extra < adaptive_budget ? extra : adaptive_budget);
				}
				verdict_sequential_alphas(n, looks, ao.alpha, look_alpha);
				free(n);
			}
			printf("gate: look %d of at most %d (one-sided alpha at this look %.3g, %ld rounds "
			       "added)\n", look, looks, look_alpha[look - 1], added);
			code = gate_decide(dir, &gp, look_alpha[look - 1], line, sizeof line, verdict,
			                   sizeof verdict);
			if (code != GATE_UNDECIDED || added >= adaptive_budget)
				break;
			long step = adaptive_step < adaptive_budget - added ? adaptive_step : adaptive_budget - added;
			if (gate_extend_run(dir, step) < 0) {
				snprintf(line, sizeof line, "gate: INVALID: adding rounds failed: %s", error_last());
				snprintf(verdict, sizeof verdict, "INVALID");
				printf("%s\n", line);
				code = GATE_INVALID;
				break;
			}
			added += step;
		}
		free(look_alpha);
	}
	if (junit && write_junit(junit, dir, verdict, line, code) < 0)
		fprintf(stderr, "gvab: gate: %s\n", error_last());
	return code;
}
