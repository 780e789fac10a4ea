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
 * group-sequential levels (verdict_sequential_alphas); --budget plans how
 * many rounds those looks may add from the run's measured round rate.
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "cmds.h"
#include "gate.h"
#include "verdict.h"
#include "error.h"
#include "opt.h"
#include "runloop.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

enum { O_METRIC = 1, O_MAXREG, O_ALPHA, O_BASE, O_CAND, O_MINS, O_MAXFAIL, O_DRIFT,
       O_JUNIT, O_ADAPTIVE, O_STEP, O_BUDGET };

static const struct opt opts[] = {
	{"metric", 0, OPT_REQUIRED, "M",
	 "create|start|wait|delete|core|overall, or cpu: CPU time\n"
	 "per boot, work not latency (default core)", O_METRIC},
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
	 "(the run run.json records, again with --append, in this\n"
	 "process),\n"
	 "deciding again after every --step rounds; looks use\n"
	 "O'Brien-Fleming-type alpha spending (Lan-DeMets), so\n"
	 "stopping at any look keeps both error rates <= alpha", O_ADAPTIVE},
	{"step", 0, OPT_REQUIRED, "N", "rounds added before each look of --adaptive (default 10)", O_STEP},
	{"budget", 0, OPT_REQUIRED, "TIME",
	 "decide within TIME of added boots (90s, 5m, 1h): --adaptive\n"
	 "with at most the rounds the run's measured round rate\n"
	 "allows in TIME, planned at the first look (the looks'\n"
	 "error spending stays valid); with --adaptive N, the\n"
	 "smaller of the two", O_BUDGET},
	{0}};

static const struct opt_cmd gate_cmd = {
	"gate", "RUN_DIR [options]",
	"One verdict and an exit code for a release gate: candidate B against baseline A\n"
	"on one metric, from the interval of the paired shift B - A.\n",
	opts,
	"When undecided it prints how many pairs would decide if the shift stayed put.\n"
	"Exit: 0 pass, 1 regression, 2 invalid data, 3 undecided, 64 usage, 65 a malformed\n"
	"run.json under --adaptive.\n",
	"gate results/ab --max-regression 3% --junit gate.xml\n"
	"gate results/ab --adaptive 100          # add rounds while undecided\n"
	"gate results/ab --budget 5m             # ... as many as five minutes allow\n"
	"gate results/r --baseline r0706-lazy --candidate r0715-upstream"};

/* The run DIR/run.json describes, as a spec (rig/rundir/runspec.h):
 * arms with their flags and knobs, bundle, order, settings, instruments,
 * ... . 0, or GVAB_EDATA naming the file and field; *run (the spec's
 * strings point into it) is the caller's to delete, the spec to free. */
static int gate_load_spec(const char *dir, cJSON **run, struct run_spec *spec)
{
	char *rp = util_fmt("%s/run.json", dir);
	int rc;
	run_spec_init(spec);
	*run = samples_run_load(rp);
	if (!*run)
		rc = error_wrap(GVAB_EDATA, "run directory %s", dir);
	else
		rc = run_spec_from_run_json(*run, rp, spec);
	free(rp);
	return rc;
}

/* A directory without run.json (a campaign's results/NAME, say): says
 * what the gate takes, naming the run directories one level down (a
 * campaign's hosts), and returns 1. */
static int not_a_run_dir(const char *dir)
{
	char *rp = util_fmt("%s/run.json", dir);
	int missing = util_is_dir(dir) && !util_path_exists(rp);
	free(rp);
	if (!missing)
		return 0;
	fprintf(stderr, "gvab: gate: %s is not a run directory (no run.json): gate takes one run "
	                "directory, as gvab run --out wrote it", dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *sub = util_fmt("%s/%s/run.json", dir, e->d_name);
		if (util_path_exists(sub) && n < 8)
			fprintf(stderr, "%s %s/%s", n++ ? "," : "; the run directories in it:", dir,
			        e->d_name);
		free(sub);
	}
	if (d)
		closedir(d);
	fputc('\n', stderr);
	return 1;
}

/* Appends `rounds` measured rounds to the run DIR: the run its run.json
 * describes, again in this process, with --append, `rounds` iterations,
 * one warm-up round and a fresh seed (recorded in the new chunk). The run
 * loop refuses a directory whose arms, binaries or settings differ. */
static int gate_extend_run(const char *dir, long rounds)
{
	cJSON *run;
	struct run_spec spec;
	int rc = gate_load_spec(dir, &run, &spec);
	if (rc == 0) {
		spec.out_dir = dir;
		spec.append = 1;
		spec.iterations = rounds;
		spec.warmups = 1;
		spec.have_seed = 0;
		struct run_outcome o;
		rc = runloop_run(&spec, &o);
		if (rc < 0)
			rc = error_wrap(rc, "extending %s (gvab run --append)", dir);
		free(o.out_dir);
	}
	run_spec_free(&spec);
	cJSON_Delete(run);
	return rc;
}

/* --adaptive's largest N, and what --budget alone allows at most. */
#define GATE_MAX_ADAPTIVE 100000

/* "5m", "90s", "1.5h": a budget as the user would write it. */
static const char *budget_text(double s)
{
	static char buf[32];
	return opt_duration_text(s, buf, sizeof buf);
}

/* --budget: the pairs the looks may add within budget_s at the round rate
 * measured on the run so far (gate_budget_plan), capped at --adaptive's
 * `cap`; says what the budget allowed. Planned before any round is added,
 * so the looks' information fractions do not depend on the data. */
static long gate_plan_budget(const char *dir, double budget_s, long cap, long step)
{
	struct gate_rate rate;
	struct gate_budget b;
	if (gate_round_rate(dir, &rate) < 0)
		memset(&rate, 0, sizeof rate);
	gate_budget_plan(&b, &rate, budget_s, step);
	if (!(rate.rounds_per_min > 0)) {
		printf("gate: budget %s: no round rate to plan with (no chunk of the run has two boots "
		       "with times); no rounds added\n", budget_text(budget_s));
		return 0;
	}
	long pairs = b.pairs < cap ? b.pairs : cap;
	printf("gate: budget %s: %.1f rounds per minute measured (%.0f rounds in %.1f s of boots) "
	       "allow %ld rounds: at most %ld pairs added, +%ld per look, one warm-up round each%s\n",
	       budget_text(budget_s), rate.rounds_per_min, rate.rounds, rate.span_s, b.rounds, pairs,
	       step, b.pairs > cap ? " (--adaptive caps it)" : "");
	return pairs;
}

int cmd_gate(int argc, char **argv)
{
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	const char *metric = "core", *base_name = NULL, *cand_name = NULL, *junit = NULL;
	long min_samples = 10;
	double max_fail_rate = 0.1;
	int allow_drift = 0, rc = 0;
	long adaptive_budget = 0, adaptive_step = 10;
	double budget_s = 0;
	struct opt_parser p;
	opt_init(&p, &gate_cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_METRIC: metric = p.arg; break;
		case O_MAXREG: opt_percent(&p, 0, 1000, &ao.threshold_pct); break;
		case O_ALPHA: opt_alpha(&p, &ao.alpha); break;
		case O_BASE: base_name = p.arg; break;
		case O_CAND: cand_name = p.arg; break;
		case O_MINS: opt_long(&p, 2, 1000000, &min_samples); break;
		case O_MAXFAIL: opt_fraction(&p, &max_fail_rate); break;
		case O_DRIFT: allow_drift = 1; break;
		case O_JUNIT: junit = p.arg; break;
		case O_ADAPTIVE: opt_long(&p, 1, 100000, &adaptive_budget); break;
		case O_STEP: opt_long(&p, 1, 100000, &adaptive_step); break;
		case O_BUDGET: opt_duration(&p, 1, 86400, &budget_s); break;
		}
	}
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	if (p.ind + 1 != argc)
		return opt_usage_error(&gate_cmd, "expected exactly one run directory");
	/* The run directory, kept: an --adaptive look parses the run's own
	 * options in this process. */
	const char *dir = argv[p.ind];
	if (not_a_run_dir(dir))
		return EXIT_GVAB_USAGE;
	int phase = analysis_phase_index(metric);
	if (phase < 0) {
		return opt_usage_error(&gate_cmd, "--metric '%s': expected create, start, wait, delete, core, overall or cpu",
		                       metric);
	}
	struct gate_params gp = {.ao = ao, .phase = phase, .metric = metric, .base_name = base_name,
	                         .cand_name = cand_name, .min_samples = min_samples,
	                         .max_fail_rate = max_fail_rate, .allow_drift = allow_drift};
	char line[2048] = "", verdict[32] = "INVALID";
	int code;
	/* --budget alone: as many rounds as the time allows. */
	if (budget_s > 0 && adaptive_budget <= 0)
		adaptive_budget = GATE_MAX_ADAPTIVE;
	if (adaptive_budget <= 0) {
		code = gate_decide(dir, &gp, ao.alpha, line, sizeof line, verdict, sizeof verdict);
	} else {
		/* Adaptive: while undecided, append `step` more interleaved rounds
		 * (the run run.json describes, read as a spec) and look again, up to the
		 * budget. The looks are planned at the first one (its pairs, then
		 * +step each) and each uses the nominal level of O'Brien-Fleming
		 * boundaries (verdict_sequential_alphas), which keeps false FAIL and
		 * false PASS at most alpha over all looks. Measured by
		 * tests/bench/gate_sim. The recorded run is read first, so a
		 * malformed run.json stops the gate before any boot. */
		cJSON *run;
		struct run_spec spec;
		rc = gate_load_spec(dir, &run, &spec);
		run_spec_free(&spec);
		cJSON_Delete(run);
		if (rc < 0)
			return cmds_fail(rc, "gate");
		long max_added = adaptive_budget;
		if (budget_s > 0)
			max_added = gate_plan_budget(dir, budget_s, adaptive_budget, adaptive_step);
		struct gate_looks gl;
		gate_looks_plan(&gl, gate_first_look_pairs(dir), max_added, adaptive_step, ao.alpha);
		for (int look = 1;; look++) {
			printf("gate: look %d of at most %d (one-sided alpha at this look %.3g, %ld rounds "
			       "added)\n", look, gl.looks, gl.alpha[look - 1], gl.added);
			code = gate_decide(dir, &gp, gl.alpha[look - 1], line, sizeof line, verdict, sizeof verdict);
			long step = gate_looks_next(&gl, code);
			if (step == 0)
				break;
			if (gate_extend_run(dir, step) < 0) {
				snprintf(line, sizeof line, "gate: INVALID: adding rounds failed: %s", error_last());
				snprintf(verdict, sizeof verdict, "INVALID");
				printf("%s\n", line);
				code = GATE_INVALID;
				break;
			}
		}
		if (budget_s > 0 && code == GATE_UNDECIDED && gl.added >= gl.budget)
			printf("gate: the budget (%s) ended the run undecided after %ld pairs added; "
			       "not a pass\n", budget_text(budget_s), gl.added);
		gate_looks_free(&gl);
	}
	if (junit && gate_write_junit(junit, dir, verdict, line, code) < 0)
		fprintf(stderr, "gvab: gate: %s\n", error_last());
	return code;
}
