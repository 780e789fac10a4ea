/* cmd_footprint: `gvab footprint RUN_DIR...` (see footprint_report.h). */
#define _GNU_SOURCE
#include "cmds.h"
#include "error.h"
#include "footprint_report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage_text[] =
	"[--out DIR] RUN_DIR...\n"
	"\n"
	"The five sizing figures from runs of the same arms, each against the runc arm:\n"
	"cold start (a --cold run), warm start (a plain run), memory per sandbox (a\n"
	"--memory run: PSS and RSS), CPU-bound and syscall-bound time (--workload spin\n"
	"and statwalk: the workload's own time). Per figure and arm: the median and the\n"
	"ratio to runc with a 95% interval. Prints a Markdown table; --out also writes\n"
	"footprint.md, footprint.json and a chart.\n"
	"\n"
	"examples:\n"
	"  make footprint                      # runs the whole set on this host\n"
	"  gvab footprint --out results/fp/report results/fp/*/\n";

int cmd_footprint(int argc, char **argv)
{
	static const struct option opts[] = {{"out", required_argument, 0, 'o'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h': cmds_usage("footprint", usage_text); return 0;
		default:
			fprintf(stderr, "gvab: footprint: unknown option (see gvab help footprint)\n");
			return EXIT_GVAB_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gvab: footprint: no run directory given\n");
		return EXIT_GVAB_USAGE;
	}
	int rc = footprint_report(argv + optind, (size_t)(argc - optind), out);
	return rc < 0 ? cmds_fail(rc, "footprint") : 0;
}
