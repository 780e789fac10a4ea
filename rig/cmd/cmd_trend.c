/* cmd_trend: `gvab trend` times many releases in one interleaved run and
 * reports each against the previous one (see trend.h). */
#define _GNU_SOURCE
#include "analysis.h"
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "revopts.h"
#include "schedule.h"
#include "trend.h"
#include "util.h"
#include "verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_REF = 1, O_REVISIONS, O_FROM, O_TO, O_THRESHOLD, O_ALPHA, O_ITERATIONS, O_WARMUPS, O_ORDER, O_OUT, O_ARMS, O_ANCHOR, O_DB, O_BUDGET };

static const struct opt opts[] = {
	{"ref", 0, OPT_REQUIRED, "REF",
	 "a revision, repeated, oldest first (git: release tag,\n"
	 "branch or commit, resolved as build does; module: a\n"
	 "version or pseudo-version); at most 16", O_REF},
	{"revisions", 0, OPT_REQUIRED, "FILE",
	 "ordered list as for bisect: '<commit> [<pseudo-version>\n"
	 "[<master commit> [<subject>]]]' per line; every line, or", O_REVISIONS},
	{"from", 0, OPT_REQUIRED, "REV",
	 "only the lines from REV (commit prefix or pseudo-version)", O_FROM},
	{"to", 0, OPT_REQUIRED, "REV", "to REV", O_TO},
	{"good", 0, OPT_REQUIRED, "REV", "the same as --from", O_FROM},
	{"bad", 0, OPT_REQUIRED, "REV", "the same as --to", O_TO},
	{"threshold", 0, OPT_REQUIRED, "PCT", "smaller shifts count as none for 'same' (default 3)", O_THRESHOLD},
	{"alpha", 0, OPT_REQUIRED, "A", "family-wise error over the steps (default 0.01)", O_ALPHA},
	{"iterations", 0, OPT_REQUIRED, "N",
	 "measured rounds, each boots every revision once (default\n"
	 "30)", O_ITERATIONS},
	{"warmups", 0, OPT_REQUIRED, "N", "discarded warm-up rounds (default 3)", O_WARMUPS},
	{"budget", 0, OPT_REQUIRED, "TIME",
	 "the whole run's boots within TIME (90s, 5m, 1h): 10\n"
	 "rounds timed first, then as many more as their measured\n"
	 "round rate allows, planned before any step is compared\n"
	 "(with --iterations N: at most N rounds)", O_BUDGET},
	{"order", 0, OPT_REQUIRED, "ORDER", "gvab run --order: alternate|abba|latin|random\n"
	 "(default latin)", O_ORDER},
	{"out", 0, OPT_REQUIRED, "DIR", "builds, run, tables and chart (default results/trend)", O_OUT},
	{"arms", 0, OPT_REQUIRED, "DIR",
	 "where builds go (default OUT/arms; give a bisect's\n"
	 "OUT/arms to share its builds)", O_ARMS},
	{"anchor", 0, OPT_REQUIRED, "REF|PATH",
	 "one more arm, 'anchor': a fixed reference runsc (a\n"
	 "binary, or a revision built like the others); the\n"
	 "history stores each revision as a ratio to it", O_ANCHOR},
	{"db", 0, OPT_REQUIRED, "FILE", "add the run to this history file (gvab history)", O_DB},
	REVISION_OPT_ROWS,
	{0}};

static const struct opt_cmd cmd = {
	"trend",
	"--ref R1 --ref R2 [--ref R3 ...] [options]\n"
	"       gvab trend --revisions FILE [--from A --to B] [options]",
	"Builds each revision (oldest first; every build cached), boots them all in ONE\n"
	"interleaved run (--order latin: every revision leads a round equally often),\n"
	"and reports per revision the metric's p50 with its 95% CI and, against the\n"
	"previous revision, the shift with its interval and verdict, Holm over the N-1\n"
	"steps (family-wise alpha). Markdown table on stdout and in OUT/trend.md,\n"
	"OUT/trend.json, chart OUT/trend.png/.svg. A revision that does not build is\n"
	"left out. Run again with the same arguments, a complete run of the same\n"
	"binaries is analysed again, not timed again.\n",
	opts,
	"Exit: 0 reported (whatever the verdicts), 1 the run failed, 64 usage, 65 invalid\n"
	"data, 69 fewer than two revisions built, 130 interrupted (run the same command\n"
	"again: builds are cached).\n",
	"trend --ref release-20260622.0 --ref release-20260706.0 \\\n"
	"    --ref release-20260714.0 --ref release-20260721.0 --set rcu_expedited=0\n"
	"trend --source module --revisions go-merges.txt --from 8ed0c00a3f90 \\\n"
	"    --to 67db8f16ca32 --out results/trend-july\n"
	"trend --ref release-20260622.0 --ref release-20260706.0 --budget 10m"};

int cmd_trend(int argc, char **argv)
{
	struct trend_opts to = {.order = "latin", .iterations = 30, .warmups = 3, .out_dir = "results/trend"};
	struct revision_args ra;
	revision_defaults(&to.rs, &ra);
	const char *refs[TREND_MAX_REVISIONS + 1] = {0};
	int nrefs = 0;
	long v;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		if (revision_opt(&p, id, &to.rs, &ra))
			continue;
		switch (id) {
		case O_REF:
			if (nrefs == TREND_MAX_REVISIONS)
				opt_error(&p, "given more than %d times (one run's arms)", TREND_MAX_REVISIONS);
			else
				refs[nrefs++] = p.arg;
			break;
		case O_REVISIONS: to.revisions_file = p.arg; break;
		case O_FROM: to.from = p.arg; break;
		case O_TO: to.to = p.arg; break;
		case O_THRESHOLD: opt_double(&p, 0, 100, &to.rs.threshold_pct); break;
		case O_ALPHA: opt_alpha(&p, &to.rs.alpha); break;
		case O_ITERATIONS:
			if (opt_long(&p, 5, 100000, &v) == 0) {
				to.iterations = v;
				to.iterations_given = 1;
			}
			break;
		case O_WARMUPS:
			if (opt_long(&p, 0, 1000, &v) == 0)
				to.warmups = v;
			break;
		case O_ORDER: {
			enum schedule_order so;
			to.order = p.arg;
			if (schedule_parse_order(p.arg, &so) < 0)
				opt_error(&p, "'%s' is not an order (alternate|abba|latin|random)", p.arg);
			break;
		}
		case O_OUT: to.out_dir = p.arg; break;
		case O_ARMS: to.arms_dir = p.arg; break;
		case O_ANCHOR: to.anchor = p.arg; break;
		case O_DB: to.db = p.arg; break;
		case O_BUDGET: opt_duration(&p, 1, 86400, &to.budget_s); break;
		}
	}
	int code;
	if (opt_end(&p, 0, &code))
		return code;
	revision_finish(&to.rs, &ra);
	to.refs = refs;
	char *md;
	int rc = trend_run(&to, &md);
	revision_args_free(&ra);
	if (md) {
		fputs(md, stdout);
		fflush(stdout);
		free(md);
	}
	return rc < 0 ? cmds_fail(rc, "trend") : 0;
}
