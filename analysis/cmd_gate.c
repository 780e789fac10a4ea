/* cmd_gate: `gvab gate` gives a release gate one verdict and an exit code.
 *
 * Rule (candidate B against baseline A, one metric, paired figures when
 * there are at least 10 same-round pairs, else unpaired):
 *   FAIL (exit 1)      the change is significant (Holm-adjusted p <= alpha and
 *                      the CI excludes 0) and B is slower by more than the
 *                      threshold (point estimate);
 *   PASS (exit 0)      the CI's upper bound is at most the threshold: B is,
 *                      with 95% confidence, not slower by more than it;
 *   UNDECIDED (exit 3) anything else: more data needed. Undecided is not a
 *                      pass.
 *   INVALID (exit 2)   unreadable run, missing arms, too few samples, too
 *                      many failed boots, or the host drifted during the run.
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "cmds.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

enum { GATE_PASS = 0, GATE_FAIL = 1, GATE_INVALID = 2, GATE_UNDECIDED = 3 };

static const char usage_text[] =
	"RUN_DIR [options]\n"
	"\n"
	"  --metric PHASE        create|start|wait|delete|core|overall (default core)\n"
	"  --max-regression PCT  allowed slowdown of B's median, %% of A's (default 3%%)\n"
	"  --alpha A             significance level (default 0.01)\n"
	"  --baseline ARM        arm A (default: the first arm)\n"
	"  --candidate ARM       arm B (default: every other arm, Holm-adjusted)\n"
	"  --min-samples N       fewer ok measured boots per arm is invalid (default 10)\n"
	"  --max-failure-rate F  more failed boots than this fraction is invalid (default 0.1)\n"
	"  --allow-drift         do not treat host drift during the run as invalid\n"
	"  --reps N --seed N     bootstrap resamples (default 10000) and seed (default 1)\n"
	"  --junit FILE          also write a JUnit XML report\n"
	"  --adaptive N          while undecided, add up to N more rounds per arm to the run\n"
	"                        (rerunning its recorded command with --append), deciding\n"
	"                        again after every --step rounds (default 10); each of the\n"
	"                        L looks tests at alpha/L so the looks cannot inflate errors\n"
	"\n"
	"Exit: 0 pass, 1 regression, 2 invalid data, 3 undecided, 64 usage.\n";

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

/* Appends `rounds` measured rounds to the run by rerunning the command
 * recorded in run.json with --out DIR --append --iterations rounds
 * --warmups 1 (spawned, no shell; the recorded command has no shell either). */
static int gate_extend_run(const char *dir, long rounds)
{
	char *rp = util_fmt("%s/run.json", dir);
	cJSON *run = util_json_load(rp);
	free(rp);
	if (!run)
		return GVAB_EDATA;
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(run, "command");
	int n = cJSON_GetArraySize(cmd);
	if (n < 2 || strcmp(cJSON_GetArrayItem(cmd, 1)->valuestring, "run") != 0) {
		cJSON_Delete(run);
		return error_setc(GVAB_EDATA, "%s/run.json: no recorded gvab run command", dir);
	}
	char **argv = util_xcalloc((size_t)n + 12, sizeof *argv);
	char *selfdir = util_self_dir();
	char *self = util_fmt("%s/gvab", selfdir);
	free(selfdir);
	char *iters = util_fmt("%ld", rounds);
	int k = 0;
	argv[k++] = self;
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
	struct proc_opts po = {.argv = argv, .stdin_null = 1};
	pid_t pid;
	int st = 0, rc = proc_spawn(&po, &pid);
	if (rc == 0)
		rc = proc_wait(pid, &st, NULL);
	if (rc == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		rc = error_set("gvab run --append %s", proc_status_str(st));
	free(argv);
	free(self);
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

/* Decides once on the run directory; prints one verdict line per candidate
 * and leaves the deciding line and verdict in line/verdict. */
static int gate_decide(const char *dir, struct gate_params *gp, char *line, size_t linesz,
                       char *verdict, size_t vsz)
{
	struct analysis_opts ao = gp->ao;
	int phase = gp->phase;
	const char *metric = gp->metric, *base_name = gp->base_name, *cand_name = gp->cand_name;
	long min_samples = gp->min_samples;
	double max_fail_rate = gp->max_fail_rate;
	int allow_drift = gp->allow_drift;
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
	if (!allow_drift && cJSON_GetArraySize(drift) > 0) {
		snprintf(line, linesz, "gate: INVALID: host facts drifted during the run (%s); "
		                            "rerun, or pass --allow-drift", dir);
		goto done;
	}
	for (size_t i = 0; i < ra.narms; i++) {
		const struct arm_stats *as = &ra.arms[i];
		double rate = (double)as->n_fail / (double)(as->n_fail + as->n_ok ? as->n_fail + as->n_ok : 1);
		if ((long)as->n_ok < min_samples) {
			snprintf(line, linesz, "gate: INVALID: arm %s has %zu ok measured boots, fewer "
			                            "than --min-samples %ld", as->name, as->n_ok, min_samples);
			goto done;
		}
		if (rate > max_fail_rate) {
			snprintf(line, linesz, "gate: INVALID: arm %s failed %zu of %zu boots (%.0f%% > "
			                            "%.0f%%)", as->name, as->n_fail, as->n_fail + as->n_ok,
			         100 * rate, 100 * max_fail_rate);
			goto done;
		}
	}
	ao.baseline = a;
	/* The interval matches the test: a (1 - alpha) CI, at least 95%. */
	ao.ci_level = 1.0 - ao.alpha < 0.95 ? 0.95 : 1.0 - ao.alpha;
	analysis_compare(&ra, &ao);
	/* The family: the chosen metric for every candidate. */
	{
		struct run_analysis *one = &ra;
		if (only_b >= 0) {
			size_t w = 0;
			for (size_t k = 0; k < ra.ncmp; k++)
				if (ra.cmp[k].b == only_b)
					ra.cmp[w++] = ra.cmp[k];
			ra.ncmp = w;
		}
		analysis_adjust(one, 1, &ao, 1u << phase);
	}
	size_t family = 0;
	for (size_t k = 0; k < ra.ncmp; k++)
		family += ra.cmp[k].phase == phase;
	code = GATE_PASS;
	snprintf(verdict, vsz, "PASS");
	for (size_t k = 0; k < ra.ncmp; k++) {
		const struct comparison *cp = &ra.cmp[k];
		if (cp->phase != phase)
			continue;
		double est = cp->used_paired ? cp->paired_ms : cp->delta_ms;
		double lo = cp->used_paired ? cp->paired_lo : cp->ci_lo;
		double hi = cp->used_paired ? cp->paired_hi : cp->ci_hi;
		double p = cp->used_paired ? cp->p_wx_adj : cp->p_mw_adj;
		double thr = cp->med_a * ao.threshold_pct / 100.0;
		int c_code;
		const char *c_verdict;
		if (p <= ao.alpha && (lo > 0 || hi < 0) && est > thr) {
			c_code = GATE_FAIL;
			c_verdict = "FAIL";
		} else if (hi <= thr) {
			c_code = GATE_PASS;
			c_verdict = "PASS";
		} else {
			c_code = GATE_UNDECIDED;
			c_verdict = "UNDECIDED";
		}
		snprintf(line, linesz,
		         "gate: %s %s vs %s: %s p50 %.1f -> %.1f ms, delta %+.2f ms (%+.2f%%), %.4g%% CI "
		         "[%+.2f, %+.2f] ms, p=%.4g (%s, Holm over %zu), threshold +%.3g%% (%+.2f ms), alpha %.3g",
		         c_verdict, ra.arms[cp->b].name, ra.arms[cp->a].name, metric, cp->med_a, cp->med_b,
		         est, cp->med_a > 0 ? 100 * est / cp->med_a : 0, 100 * ao.ci_level, lo, hi, p,
		         cp->used_paired ? "paired Wilcoxon" : "Mann-Whitney", family, ao.threshold_pct,
		         thr, ao.alpha);
		printf("%s\n", line);
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
	static const struct option opts[] = {
		{"metric", required_argument, 0, 'm'},   {"max-regression", required_argument, 0, 'x'},
		{"alpha", required_argument, 0, 'a'},    {"baseline", required_argument, 0, 'b'},
		{"candidate", required_argument, 0, 'c'}, {"min-samples", required_argument, 0, 'n'},
		{"max-failure-rate", required_argument, 0, 'f'}, {"allow-drift", no_argument, 0, 'D'},
		{"reps", required_argument, 0, 'r'},     {"seed", required_argument, 0, 's'},
		{"junit", required_argument, 0, 'j'},    {"help", no_argument, 0, 'h'},
		{"adaptive", required_argument, 0, 'A'}, {"step", required_argument, 0, 'S'},
		{0, 0, 0, 0}};
	struct analysis_opts ao = {.alpha = 0.01, .threshold_pct = 3.0, .reps = 10000, .seed = 1};
	const char *metric = "core", *base_name = NULL, *cand_name = NULL, *junit = NULL;
	long min_samples = 10, v;
	double max_fail_rate = 0.1;
	int allow_drift = 0, c, rc;
	long adaptive_budget = 0, adaptive_step = 10;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': metric = optarg; break;
		case 'x':
			ao.threshold_pct = strtod(optarg, &end);
			if (end == optarg || (*end && strcmp(end, "%") != 0) || ao.threshold_pct < 0) {
				error_setc(GVAB_EUSAGE, "--max-regression: '%s' is not a percentage", optarg);
				return cmds_fail(GVAB_EUSAGE, "gate");
			}
			break;
		case 'a':
			ao.alpha = strtod(optarg, &end);
			if (*end || ao.alpha <= 0 || ao.alpha >= 1) {
				error_setc(GVAB_EUSAGE, "--alpha: '%s' is not in (0,1)", optarg);
				return cmds_fail(GVAB_EUSAGE, "gate");
			}
			break;
		case 'b': base_name = optarg; break;
		case 'c': cand_name = optarg; break;
		case 'n':
			if ((rc = util_parse_long(optarg, 2, 1000000, "--min-samples", &min_samples)) < 0)
				return cmds_fail(rc, "gate");
			break;
		case 'f':
			max_fail_rate = strtod(optarg, &end);
			if (*end || max_fail_rate < 0 || max_fail_rate > 1) {
				error_setc(GVAB_EUSAGE, "--max-failure-rate: '%s' is not in [0,1]", optarg);
				return cmds_fail(GVAB_EUSAGE, "gate");
			}
			break;
		case 'D': allow_drift = 1; break;
		case 'r':
			if ((rc = util_parse_long(optarg, 10000, 10000000, "--reps", &v)) < 0)
				return cmds_fail(rc, "gate");
			ao.reps = (int)v;
			break;
		case 's':
			if ((rc = util_parse_long(optarg, 0, 0x7fffffffL, "--seed", &v)) < 0)
				return cmds_fail(rc, "gate");
			ao.seed = (uint64_t)v;
			break;
		case 'j': junit = optarg; break;
		case 'A':
			if ((rc = util_parse_long(optarg, 1, 100000, "--adaptive", &adaptive_budget)) < 0)
				return cmds_fail(rc, "gate");
			break;
		case 'S':
			if ((rc = util_parse_long(optarg, 1, 100000, "--step", &adaptive_step)) < 0)
				return cmds_fail(rc, "gate");
			break;
		case 'h': cmds_usage("gate", usage_text); return 0;
		default: return EXIT_GVAB_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "gvab: gate: expected exactly one run directory\n");
		return EXIT_GVAB_USAGE;
	}
	int phase = analysis_phase_index(metric);
	if (phase < 0) {
		fprintf(stderr, "gvab: gate: --metric '%s': expected create, start, wait, delete, core "
		                "or overall\n", metric);
		return EXIT_GVAB_USAGE;
	}
	struct gate_params gp = {.ao = ao, .phase = phase, .metric = metric, .base_name = base_name,
	                         .cand_name = cand_name, .min_samples = min_samples,
	                         .max_fail_rate = max_fail_rate, .allow_drift = allow_drift};
	char line[1024] = "", verdict[32] = "INVALID";
	int code;
	if (adaptive_budget <= 0) {
		code = gate_decide(argv[optind], &gp, line, sizeof line, verdict, sizeof verdict);
	} else {
		/* Adaptive: while undecided, append `step` more interleaved rounds
		 * (the run's own command, from run.json) and look again, up to the
		 * budget. Repeated looks inflate false positives, so each of the at
		 * most L looks tests at alpha / L (Bonferroni alpha spending): the
		 * chance of any false FAIL or PASS-by-luck over all looks stays at
		 * most alpha. Checked on A/A data by tests/bench/aa_fpr. */
		int looks = 1 + (int)((adaptive_budget + adaptive_step - 1) / adaptive_step);
		gp.ao.alpha = ao.alpha / looks;
		long added = 0;
		for (int look = 1;; look++) {
			printf("gate: look %d of at most %d (alpha per look %.4g, %ld rounds added)\n", look,
			       looks, gp.ao.alpha, added);
			code = gate_decide(argv[optind], &gp, line, sizeof line, verdict, sizeof verdict);
			if (code != GATE_UNDECIDED || added >= adaptive_budget)
				break;
			long step = adaptive_step < adaptive_budget - added ? adaptive_step : adaptive_budget - added;
			if (gate_extend_run(argv[optind], step) < 0) {
				snprintf(line, sizeof line, "gate: INVALID: adding rounds failed: %s", error_last());
				snprintf(verdict, sizeof verdict, "INVALID");
				printf("%s\n", line);
				code = GATE_INVALID;
				break;
			}
			added += step;
		}
	}
	if (junit && write_junit(junit, argv[optind], verdict, line, code) < 0)
		fprintf(stderr, "gvab: gate: %s\n", error_last());
	return code;
}
