/* cmd_bisect: `gvab bisect` finds the go-branch merge where cold boot
 * changed (see bisect.h). */
#define _GNU_SOURCE
#include "analysis.h"
#include "bisect.h"
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "revopts.h"
#include "util.h"
#include "verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_GOOD = 1, O_BAD, O_REVISIONS, O_THRESHOLD, O_ALPHA, O_ITERATIONS, O_LOOKS, O_MAX_STEPS, O_OUT, O_BUDGET };

static const struct opt opts[] = {
	{"good", 0, OPT_REQUIRED, "REV",
	 "the old behaviour's end; git: commit, branch or release\n"
	 "tag (resolved as build does); with --revisions: a commit\n"
	 "prefix or pseudo-version from the file", O_GOOD},
	{"bad", 0, OPT_REQUIRED, "REV", "the new behaviour's end, as for --good", O_BAD},
	{"revisions", 0, OPT_REQUIRED, "FILE",
	 "ordered list, oldest first: '<commit> [<pseudo-version>\n"
	 "[<master commit> [<subject>]]]' per line, '#' comments;\n"
	 "needed for a module source, which has no history", O_REVISIONS},
	{"threshold", 0, OPT_REQUIRED, "PCT", "smaller differences count as none (default 3)", O_THRESHOLD},
	{"alpha", 0, OPT_REQUIRED, "A", "error per classification, spent over looks (default 0.01)", O_ALPHA},
	{"iterations", 0, OPT_REQUIRED, "N", "rounds of mid/good/bad per look (default 20)", O_ITERATIONS},
	{"looks", 0, OPT_REQUIRED, "K", "looks per step before a revision is undecided (default 3)", O_LOOKS},
	{"budget", 0, OPT_REQUIRED, "TIME",
	 "a step's boots within TIME (90s, 5m, 1h): as many --looks\n"
	 "as the first look's measured round rate allows, planned\n"
	 "before it is analysed (the error spending stays valid)", O_BUDGET},
	{"max-steps", 0, OPT_REQUIRED, "N", "stop after N measured steps, printing the range so far", O_MAX_STEPS},
	{"out", 0, OPT_REQUIRED, "DIR", "state, runs and arms (default results/bisect)", O_OUT},
	REVISION_OPT_ROWS,
	{0}};

static const struct opt_cmd cmd = {
	"bisect", "--good REV --bad REV [--source URL|PATH|module] [--revisions FILE] [options]",
	"Finds the first go-branch revision between GOOD (old behaviour) and BAD (new\n"
	"behaviour) whose cold boot behaves like BAD. Each step builds the middle\n"
	"revision, boots it interleaved with both ends in one run, and classifies it\n"
	"good-like or bad-like with the report's statistics, adding rounds while\n"
	"undecided (alpha spent over looks); a revision that does not build or boot\n"
	"is skipped. Works for a regression or an improvement. Resumes from\n"
	"OUT/bisect.json when started again with the same arguments.\n",
	opts,
	"Exit: 0 found (exactly, or a range where revisions were skipped or undecided),\n"
	"3 stopped by --max-steps, 64 usage, 65 the ends do not differ (or the rounds\n"
	"were too dependent for these pairs to tell any change: the message says how\n"
	"many could), 69 an end does not build, 130 interrupted (resume by running\n"
	"the same command).\n",
	"bisect --good release-20260706.0 --bad release-20260721.0\n"
	"bisect --source module --revisions go-merges.txt \\\n"
	"    --good 8ed0c00a3f90 --bad 67db8f16ca32 --set rcu_expedited=0"};

int cmd_bisect(int argc, char **argv)
{
	struct bisect_opts bo = {.iterations = 20, .looks = 3, .out_dir = "results/bisect"};
	struct revision_args ra;
	revision_defaults(&bo.rs, &ra);
	long v;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		if (revision_opt(&p, id, &bo.rs, &ra))
			continue;
		switch (id) {
		case O_GOOD: bo.good = p.arg; break;
		case O_BAD: bo.bad = p.arg; break;
		case O_REVISIONS: bo.revisions_file = p.arg; break;
		case O_THRESHOLD: opt_double(&p, 0, 100, &bo.rs.threshold_pct); break;
		case O_ALPHA: opt_alpha(&p, &bo.rs.alpha); break;
		case O_ITERATIONS:
			if (opt_long(&p, 5, 100000, &v) == 0)
				bo.iterations = v;
			break;
		case O_LOOKS:
			if (opt_long(&p, 1, 10, &v) == 0)
				bo.looks = (int)v;
			break;
		case O_MAX_STEPS:
			if (opt_long(&p, 1, 1000, &v) == 0)
				bo.max_steps = (int)v;
			break;
		case O_BUDGET: opt_duration(&p, 1, 86400, &bo.budget_s); break;
		case O_OUT: bo.out_dir = p.arg; break;
		}
	}
	int code;
	if (opt_end(&p, 0, &code))
		return code;
	if (!bo.good || !bo.bad)
		return opt_usage_error(&cmd, "--good and --bad are required");
	revision_finish(&bo.rs, &ra);
	struct bisect_outcome out;
	int rc = bisect_run(&bo, &out);
	revision_args_free(&ra);
	if (rc < 0)
		return cmds_fail(rc, "bisect");
	fputs(out.summary, stdout);
	free(out.summary);
	/* Stopped by --max-steps: the range so far, not an answer. */
	return out.result == BISECT_STOPPED ? EXIT_GVAB_UNDECIDED : 0;
}
