/* cmd_footprint: `gvab footprint RUN_DIR...` (see footprint_report.h). */
#define _GNU_SOURCE
#include "cmds.h"
#include "error.h"
#include "footprint_report.h"
#include "opt.h"

#include <stdio.h>
#include <stdlib.h>

enum { O_OUT = 1 };

static const struct opt opts[] = {
	{"out", 0, OPT_REQUIRED, "DIR", "also write footprint.md, footprint.json and a chart there", O_OUT},
	{0}};

static const struct opt_cmd cmd = {
	"footprint", "[--out DIR] RUN_DIR...",
	"The five sizing figures from runs of the same arms, each against the runc arm:\n"
	"cold start (a --cold run), warm start (a plain run), memory per sandbox (a\n"
	"--memory run: PSS and RSS), CPU-bound and syscall-bound time (--workload spin\n"
	"and statwalk: the workload's own time). Per figure and arm: the median and the\n"
	"ratio to runc with a 95% interval. Prints a Markdown table; --out also writes\n"
	"footprint.md, footprint.json and a chart.\n",
	opts, NULL,
	"$ make footprint                      # runs the whole set on this host\n"
	"footprint --out results/fp/report results/fp/*/"};

int cmd_footprint(int argc, char **argv)
{
	const char *out = NULL;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;)
		if (id == O_OUT)
			out = p.arg;
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	if (p.ind >= argc)
		return opt_usage_error(&cmd, "no RUN_DIR given");
	int rc = footprint_report(argv + p.ind, (size_t)(argc - p.ind), out);
	return rc < 0 ? cmds_fail(rc, "footprint") : 0;
}
