/* cmd_compare: `gvab compare RUN_DIR...` prints the answer lines and a
 * benchstat-style table from existing runs, writing nothing. */
#define _GNU_SOURCE
#include "analysis.h"
#include "answer.h"
#include "cmds.h"
#include "error.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage_text[] =
	"[--metric PHASE] [--alpha A] [--threshold PCT] RUN_DIR...\n"
	"\n"
	"Prints, per run, one line per arm against the first arm on the metric (B's\n"
	"median vs A's, the shift in % with its verdict interval, the verdict) and\n"
	"then a table of every phase. Same statistics as gvab report; writes no file.\n"
	"\n"
	"  --metric PHASE   create|start|wait|delete|core|overall (default core)\n"
	"  --alpha A        default 0.01\n"
	"  --threshold PCT  |shift| below this counts as same (default 3)\n"
	"\n"
	"examples:\n"
	"  gvab compare results/2026-11-23-upstream/rcu0-0706\n"
	"  gvab compare --metric create results/run-a results/run-b\n";

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {{"metric", required_argument, 0, 'm'},
	                                     {"alpha", required_argument, 0, 'a'},
	                                     {"threshold", required_argument, 0, 't'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *metric = "core";
	double alpha = VERDICT_DEFAULT_ALPHA, thr = VERDICT_DEFAULT_THRESHOLD_PCT;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': metric = optarg; break;
		case 'a':
		case 't': {
			char *end;
			double d = strtod(optarg, &end);
			if (*end || end == optarg || d <= 0 || d >= (c == 'a' ? 0.5 : 100)) {
				fprintf(stderr, "gvab: compare: --%s %s: out of range\n",
				        c == 'a' ? "alpha" : "threshold", optarg);
				return EXIT_GVAB_USAGE;
			}
			if (c == 'a')
				alpha = d;
			else
				thr = d;
			break;
		}
		case 'h': cmds_usage("compare", usage_text); return 0;
		default:
			fprintf(stderr, "gvab: compare: unknown option (see gvab help compare)\n");
			return EXIT_GVAB_USAGE;
		}
	}
	int phase = analysis_phase_index(metric);
	if (phase < 0) {
		fprintf(stderr, "gvab: compare: --metric %s: not a phase\n", metric);
		return EXIT_GVAB_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "gvab: compare: no run directory given\n");
		return EXIT_GVAB_USAGE;
	}
	int rc = answer_compare(argv + optind, (size_t)(argc - optind), phase, alpha, thr);
	return rc < 0 ? cmds_fail(rc, "compare") : 0;
}
