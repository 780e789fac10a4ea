/* cmd_report: `gvab report` turns run directories into delta tables
 * (Markdown, CSV, JSON), methodology.md, report.html and gnuplot charts
 * through analysis/report.h. It reads only run.json and samples.jsonl;
 * resampling is seeded, so rerunning it on the same samples reproduces
 * every file bit for bit. */
#define _GNU_SOURCE
#include "analysis.h"
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_OUT = 1, O_ALPHA, O_THRESHOLD, O_REPS, O_SEED, O_SORT, O_NO_CHARTS };

static const struct opt opts[] = {
	{"out", 0, OPT_REQUIRED, "DIR", "output directory (default: FIRST/report, FIRST the first\ndirectory given: a campaign's report is CAMPAIGN_DIR/report\nwhatever --sort says)", O_OUT},
	{"alpha", 0, OPT_REQUIRED, "A", "significance level (default 0.01, as gvab gate)", O_ALPHA},
	{"threshold", 0, OPT_REQUIRED, "PCT",
	 "|shift| below this % of A's median counts as same\n(default 3, as gvab gate)", O_THRESHOLD},
	{"reps", 0, OPT_REQUIRED, "N", "bootstrap resamples (default 10000, at least 10000)", O_REPS},
	{"seed", 0, OPT_REQUIRED, "N", "resampling seed (default 1; recorded)", O_SEED},
	{"sort", 0, OPT_REQUIRED, "PHASE", "order runs (hosts) by the first arm's median of PHASE", O_SORT},
	{"no-charts", 0, OPT_NONE, NULL, "skip gnuplot", O_NO_CHARTS},
	{0}};

static const struct opt_cmd cmd = {
	"report", "[options] RUN_DIR... | CAMPAIGN_DIR",
	"Per run (host) and pair of arms (each arm against the first): phase medians,\n"
	"delta ms and %, bootstrap 95% CI, Mann-Whitney p, Hodges-Lehmann shift, the\n"
	"paired (same-round) median difference with CI and Wilcoxon p, the p95 delta\n"
	"with CI, and a verdict (faster / slower / same / undecided) from the shift's\n"
	"distribution-free interval, the rule gvab gate uses. p-values are Holm-adjusted\n"
	"per run (CORE one family, the other phases another), never across runs. A\n"
	"directory without run.json is searched one level down for run directories.\n"
	"Runs that repeat the same two arms under the same knobs, instruments and\n"
	"page-cache treatment get a \"Repeated runs\" section (and between_runs in\n"
	"results.json, a table in report.html): each run's CORE shift, the between-run\n"
	"sd against a run's own standard error, and whether one run is enough.\n",
	opts,
	"Writes report.md, results.csv (RFC 4180), results.json, methodology.md,\n"
	"report.html, one self-contained page (answer first, tables, inline SVG forest\n"
	"plot and per-host chart, methodology, host facts, drift, provenance; no script\n"
	"or external file), forest.svg and the gnuplot charts.\n"
	"\n"
	"Exit: 0 written, 1 a file could not be written, 64 usage, 65 invalid run data.\n",
	"report results/2026-11-23-upstream/rcu0-0706\n"
	"report --out results/NAME/report --sort core results/NAME"};

int cmd_report(int argc, char **argv)
{
	/* The gate's defaults, so a report and a gate of one run agree. */
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	const char *out = NULL;
	int charts = 1, sort_by = -1;
	long v;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_OUT: out = p.arg; break;
		case O_ALPHA: opt_alpha(&p, &ao.alpha); break;
		case O_THRESHOLD: opt_percent(&p, 0, 1000, &ao.threshold_pct); break;
		case O_REPS:
			if (opt_long(&p, 10000, 10000000, &v) == 0)
				ao.reps = (int)v;
			break;
		case O_SEED:
			if (opt_long(&p, 0, 0x7fffffffL, &v) == 0)
				ao.seed = (uint64_t)v;
			break;
		case O_SORT:
			if ((sort_by = analysis_phase_index(p.arg)) < 0)
				opt_error(&p, "'%s' is not a phase (core, overall, ...)", p.arg);
			break;
		case O_NO_CHARTS: charts = 0; break;
		}
	}
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	opt_free(&p);
	if (p.ind >= argc)
		return opt_usage_error(&cmd, "no run directory given");

	struct run_analysis *runs = NULL;
	size_t nruns = 0;
	int rc = report_load(argv + p.ind, (size_t)(argc - p.ind), &ao, sort_by, &runs, &nruns);
	if (rc < 0)
		return cmds_fail(rc, "report");
	/* The first directory given, not the first run after sorting: a
	 * campaign's one page for all hosts is CAMPAIGN_DIR/report whatever
	 * --sort says (a trailing slash is dropped). */
	size_t fl = strlen(argv[p.ind]);
	while (fl > 1 && argv[p.ind][fl - 1] == '/')
		fl--;
	char *gen_out = out ? NULL : util_fmt("%.*s/report", (int)fl, argv[p.ind]);
	if (!out)
		out = gen_out;
	int nch = 0;
	rc = report_write_all(runs, nruns, &ao, out, charts, &nch);
	if (rc == 0)
		printf("report: %s (report.md, report.html, results.csv, results.json, methodology.md, "
		       "%d chart%s)\n",
		       out, nch, nch == 1 ? "" : "s");
	report_free(runs, nruns);
	free(gen_out);
	return rc < 0 ? cmds_fail(rc, "report") : 0;
}
