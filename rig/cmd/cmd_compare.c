/* cmd_compare: `gvab compare RUN_DIR...` prints the answer lines and a
 * benchstat-style table from existing runs, writing nothing. */
#define _GNU_SOURCE
#include "analysis.h"
#include "answer.h"
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

enum { O_METRIC = 1, O_ALPHA, O_THRESHOLD };

static const struct opt opts[] = {
	{"metric", 0, OPT_REQUIRED, "M",
	 "create|start|wait|delete|core|overall, or cpu: CPU time\n"
	 "per boot, work not latency (default core)", O_METRIC},
	{"alpha", 0, OPT_REQUIRED, "A", "above 0 and below 0.5 (default 0.01)", O_ALPHA},
	{"threshold", 0, OPT_REQUIRED, "PCT", "|shift| below this counts as same (default 3)", O_THRESHOLD},
	{0}};

static const struct opt_cmd cmd = {
	"compare", "[--metric PHASE] [--alpha A] [--threshold PCT] RUN_DIR...",
	"Prints, per run, one line per arm against the first arm on the metric (B's\n"
	"median vs A's, the shift in % with its verdict interval, the verdict) and\n"
	"then a table of every phase. Same statistics as gvab report; writes no file.\n",
	opts, NULL,
	"compare results/2026-11-23-upstream/rcu0-0706\n"
	"compare --metric create results/run-a results/run-b"};

int cmd_compare(int argc, char **argv)
{
	const char *metric = "core";
	double alpha = VERDICT_DEFAULT_ALPHA, thr = VERDICT_DEFAULT_THRESHOLD_PCT;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_METRIC:
			metric = p.arg;
			if (analysis_phase_index(metric) < 0)
				opt_error(&p, "'%s' is not a metric (create|start|wait|delete|core|overall|cpu)", metric);
			break;
		case O_ALPHA: opt_alpha(&p, &alpha); break;
		case O_THRESHOLD: opt_double(&p, 0, 100, &thr); break;
		}
	}
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	if (p.ind >= argc)
		return opt_usage_error(&cmd, "no RUN_DIR given");
	int rc = answer_compare(argv + p.ind, (size_t)(argc - p.ind), analysis_phase_index(metric), alpha, thr);
	return rc < 0 ? cmds_fail(rc, "compare") : 0;
}
