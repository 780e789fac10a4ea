/* cmd_trend: `gvab trend` times many releases in one interleaved run and
 * reports each against the previous one (see trend.h). */
#define _GNU_SOURCE
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "trend.h"
#include "util.h"
#include "verdict.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"--ref R1 --ref R2 [--ref R3 ...] [options]\n"
	"       gvab trend --revisions FILE [--from A --to B] [options]\n"
	"\n"
	"Builds each revision (oldest first; every build cached), boots them all in ONE\n"
	"interleaved run (--order latin: every revision leads a round equally often),\n"
	"and reports per revision the metric's p50 with its 95% CI and, against the\n"
	"previous revision, the shift with its interval and verdict, Holm over the N-1\n"
	"steps (family-wise alpha). Markdown table on stdout and in OUT/trend.md,\n"
	"OUT/trend.json, chart OUT/trend.png/.svg. A revision that does not build is\n"
	"left out. Run again with the same arguments, a complete run of the same\n"
	"binaries is analysed again, not timed again.\n"
	"\n"
	"  --ref REF        a revision, repeated, oldest first (git: release tag, branch\n"
	"                   or commit, resolved as build does; module: a version or\n"
	"                   pseudo-version); at most 16\n"
	"  --revisions FILE ordered list as for bisect: '<commit> [<pseudo-version>\n"
	"                   [<master commit> [<subject>]]]' per line; every line, or\n"
	"  --from REV, --to REV  only the lines from REV to REV (commit prefix or\n"
	"                   pseudo-version; --good/--bad are the same)\n"
	"  --source SRC     git URL or path (default: the upstream URL), or module\n"
	"  --arm SPEC       what every revision is built as (default stock; e.g. patched)\n"
	"  --metric PHASE   create|start|wait|delete|core|overall (default core)\n"
	"  --threshold PCT  smaller shifts count as none for 'same' (default 3)\n"
	"  --alpha A        family-wise error over the steps (default 0.01)\n"
	"  --iterations N   measured rounds, each boots every revision once (default 30)\n"
	"  --warmups N      discarded warm-up rounds (default 3)\n"
	"  --order ORDER    gvab run --order (default latin)\n"
	"  --out DIR        builds, run, tables and chart (default results/trend)\n"
	"  --arms DIR       where builds go (default OUT/arms; give a bisect's OUT/arms\n"
	"                   to share its builds)\n"
	"  --bundle DIR     OCI bundle (default build/bundle)\n"
	"  --set NAME=VALUE host knob for the run (passed to gvab run)\n"
	"  --patches DIR, --series DIR, --cache DIR, --go PATH, --offline  as for build\n"
	"  -q, --quiet      no progress lines\n"
	"\n"
	"Exit: 0 reported (whatever the verdicts), 1 the run failed, 64 usage, 65 invalid\n"
	"data, 69 fewer than two revisions built, 130 interrupted (run the same command\n"
	"again: builds are cached).\n"
	"\n"
	"examples:\n"
	"  gvab trend --ref release-20260622.0 --ref release-20260706.0 \\\n"
	"      --ref release-20260714.0 --ref release-20260721.0 --set rcu_expedited=0\n"
	"  gvab trend --source module --revisions go-merges.txt --from 8ed0c00a3f90 \\\n"
	"      --to 67db8f16ca32 --out results/trend-july\n";

int cmd_trend(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ref", required_argument, 0, 'r'},        {"revisions", required_argument, 0, 'R'},
		{"from", required_argument, 0, 'f'},       {"good", required_argument, 0, 'f'},
		{"to", required_argument, 0, 'T'},         {"bad", required_argument, 0, 'T'},
		{"source", required_argument, 0, 's'},     {"arm", required_argument, 0, 'a'},
		{"metric", required_argument, 0, 'm'},     {"threshold", required_argument, 0, 't'},
		{"alpha", required_argument, 0, 'A'},      {"iterations", required_argument, 0, 'n'},
		{"warmups", required_argument, 0, 'w'},    {"order", required_argument, 0, 'O'},
		{"out", required_argument, 0, 'o'},        {"arms", required_argument, 0, 'M'},
		{"bundle", required_argument, 0, 'B'},     {"set", required_argument, 0, 'S'},
		{"patches", required_argument, 0, 'p'},    {"series", required_argument, 0, 'E'},
		{"cache", required_argument, 0, 'c'},      {"go", required_argument, 0, 'G'},
		{"offline", no_argument, 0, 'F'},          {"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
	struct trend_opts to = {.source = GVAB_DEFAULT_URL, .arm = "stock", .metric = "core",
	                        .order = "latin", .threshold_pct = VERDICT_DEFAULT_THRESHOLD_PCT,
	                        .alpha = VERDICT_DEFAULT_ALPHA, .iterations = 30, .warmups = 3,
	                        .out_dir = "results/trend", .bundle = "build/bundle",
	                        .patches_dir = "patches", .progress = 1};
	const char *refs[TREND_MAX_REVISIONS + 2] = {0};
	const char *series[17] = {0};
	char *run_args[2 * 16 + 1] = {0};
	int nrefs = 0, nseries = 0, nrun = 0, c;
	long v;
	char *cache = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (nrefs > TREND_MAX_REVISIONS) {
				fprintf(stderr, "gvab: trend: at most %d --ref (one run's arms)\n", TREND_MAX_REVISIONS);
				return EXIT_GVAB_USAGE;
			}
			refs[nrefs++] = optarg;
			break;
		case 'R': to.revisions_file = optarg; break;
		case 'f': to.from = optarg; break;
		case 'T': to.to = optarg; break;
		case 's': to.source = optarg; break;
		case 'a': to.arm = optarg; break;
		case 'm': to.metric = optarg; break;
		case 't':
		case 'A': {
			char *end;
			double d = strtod(optarg, &end);
			if (*end || end == optarg || d <= 0 || d >= (c == 'A' ? 0.5 : 100)) {
				fprintf(stderr, "gvab: trend: --%s %s: out of range\n", c == 'A' ? "alpha" : "threshold",
				        optarg);
				return EXIT_GVAB_USAGE;
			}
			if (c == 'A')
				to.alpha = d;
			else
				to.threshold_pct = d;
			break;
		}
		case 'n':
			if (util_parse_long(optarg, 5, 100000, "--iterations", &v) < 0)
				return cmds_fail(GVAB_EUSAGE, "trend");
			to.iterations = v;
			break;
		case 'w':
			if (util_parse_long(optarg, 0, 1000, "--warmups", &v) < 0)
				return cmds_fail(GVAB_EUSAGE, "trend");
			to.warmups = v;
			break;
		case 'O': to.order = optarg; break;
		case 'o': to.out_dir = optarg; break;
		case 'M': to.arms_dir = optarg; break;
		case 'B': to.bundle = optarg; break;
		case 'S':
			if (nrun >= 2 * 16) {
				fprintf(stderr, "gvab: trend: at most 16 --set\n");
				return EXIT_GVAB_USAGE;
			}
			run_args[nrun++] = "--set";
			run_args[nrun++] = optarg;
			break;
		case 'p': to.patches_dir = optarg; break;
		case 'E':
			if (nseries == 16) {
				fprintf(stderr, "gvab: trend: at most 16 --series\n");
				return EXIT_GVAB_USAGE;
			}
			series[nseries++] = optarg;
			break;
		case 'c': to.cache_dir = optarg; break;
		case 'G': to.go = optarg; break;
		case 'F': to.offline = 1; break;
		case 'q': to.progress = 0; break;
		case 'h': cmds_usage("trend", usage_text); return 0;
		default:
			fprintf(stderr, "gvab: trend: unknown option (see gvab help trend)\n");
			return EXIT_GVAB_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gvab: trend: unexpected argument '%s'\n", argv[optind]);
		return EXIT_GVAB_USAGE;
	}
	if (!to.cache_dir)
		to.cache_dir = cache = util_cache_dir();
	to.refs = refs;
	to.series_dirs = series;
	to.run_args = run_args;
	int rc = trend_run(&to);
	free(cache);
	return rc < 0 ? cmds_fail(rc, "trend") : 0;
}
