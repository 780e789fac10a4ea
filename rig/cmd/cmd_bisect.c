/* cmd_bisect: `gvab bisect` finds the go-branch merge where cold boot
 * changed (see bisect.h). */
#define _GNU_SOURCE
#include "bisect.h"
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "util.h"
#include "verdict.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"--good REV --bad REV [--source URL|PATH|module] [--revisions FILE] [options]\n"
	"\n"
	"Finds the first go-branch revision between GOOD (old behaviour) and BAD (new\n"
	"behaviour) whose cold boot behaves like BAD. Each step builds the middle\n"
	"revision, boots it interleaved with both ends in one run, and classifies it\n"
	"good-like or bad-like with the report's statistics, adding rounds while\n"
	"undecided (alpha spent over looks); a revision that does not build or boot\n"
	"is skipped. Works for a regression or an improvement. Resumes from\n"
	"OUT/bisect.json when started again with the same arguments.\n"
	"\n"
	"  --good REV, --bad REV  git: commit, branch or release tag (resolved as build\n"
	"                   does); with --revisions: a commit prefix or pseudo-version\n"
	"                   from the file\n"
	"  --source SRC     git URL or path (default: the upstream URL), or module\n"
	"  --revisions FILE ordered list, oldest first: '<commit> [<pseudo-version>\n"
	"                   [<master commit> [<subject>]]]' per line, '#' comments;\n"
	"                   needed for a module source, which has no history\n"
	"  --arm SPEC       what every revision is built as (default stock; e.g. patched)\n"
	"  --metric PHASE   create|start|wait|delete|core|overall (default core)\n"
	"  --threshold PCT  smaller differences count as none (default 3)\n"
	"  --alpha A        error per classification, spent over looks (default 0.01)\n"
	"  --iterations N   rounds of mid/good/bad per look (default 20)\n"
	"  --looks K        looks per step before a revision is undecided (default 3)\n"
	"  --max-steps N    stop after N measured steps, printing the range so far\n"
	"  --out DIR        state, runs and arms (default results/bisect)\n"
	"  --bundle DIR     OCI bundle (default build/bundle)\n"
	"  --set NAME=VALUE host knob for every run (passed to gvab run)\n"
	"  --patches DIR, --series DIR, --cache DIR, --go PATH, --offline  as for build\n"
	"  -q, --quiet      no progress lines\n"
	"\n"
	"Exit: 0 found (exactly, or a range where revisions were skipped or undecided),\n"
	"3 stopped by --max-steps, 64 usage, 65 the ends do not differ, 69 an end does\n"
	"not build, 130 interrupted (resume by running the same command).\n"
	"\n"
	"examples:\n"
	"  gvab bisect --good release-20260706.0 --bad release-20260721.0\n"
	"  gvab bisect --source module --revisions go-merges.txt \\\n"
	"      --good 8ed0c00a3f90 --bad 67db8f16ca32 --set rcu_expedited=0\n";

int cmd_bisect(int argc, char **argv)
{
	static const struct option opts[] = {
		{"good", required_argument, 0, 'g'},      {"bad", required_argument, 0, 'b'},
		{"source", required_argument, 0, 's'},    {"revisions", required_argument, 0, 'R'},
		{"arm", required_argument, 0, 'a'},       {"metric", required_argument, 0, 'm'},
		{"threshold", required_argument, 0, 't'}, {"alpha", required_argument, 0, 'A'},
		{"iterations", required_argument, 0, 'n'}, {"looks", required_argument, 0, 'L'},
		{"max-steps", required_argument, 0, 'M'}, {"out", required_argument, 0, 'o'},
		{"bundle", required_argument, 0, 'B'},    {"set", required_argument, 0, 'S'},
		{"patches", required_argument, 0, 'p'},   {"series", required_argument, 0, 'E'},
		{"cache", required_argument, 0, 'c'},     {"go", required_argument, 0, 'G'},
		{"offline", no_argument, 0, 'O'},         {"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
	struct bisect_opts bo = {.source = GVAB_DEFAULT_URL, .arm = "stock", .metric = "core",
	                         .threshold_pct = VERDICT_DEFAULT_THRESHOLD_PCT,
	                         .alpha = VERDICT_DEFAULT_ALPHA, .iterations = 20, .looks = 3,
	                         .out_dir = "results/bisect", .bundle = "build/bundle",
	                         .patches_dir = "patches", .progress = 1};
	const char *series[17] = {0};
	char *run_args[2 * 16 + 1] = {0};
	int nseries = 0, nrun = 0, c;
	long v;
	char *cache = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'g': bo.good = optarg; break;
		case 'b': bo.bad = optarg; break;
		case 's': bo.source = optarg; break;
		case 'R': bo.revisions_file = optarg; break;
		case 'a': bo.arm = optarg; break;
		case 'm': bo.metric = optarg; break;
		case 't':
		case 'A': {
			char *end;
			double d = strtod(optarg, &end);
			if (*end || end == optarg || d <= 0 || d >= (c == 'A' ? 0.5 : 100)) {
				fprintf(stderr, "gvab: bisect: --%s %s: out of range\n", c == 'A' ? "alpha" : "threshold",
				        optarg);
				return EXIT_GVAB_USAGE;
			}
			if (c == 'A')
				bo.alpha = d;
			else
				bo.threshold_pct = d;
			break;
		}
		case 'n':
			if (util_parse_long(optarg, 5, 100000, "--iterations", &v) < 0)
				return cmds_fail(GVAB_EUSAGE, "bisect");
			bo.iterations = v;
			break;
		case 'L':
			if (util_parse_long(optarg, 1, 10, "--looks", &v) < 0)
				return cmds_fail(GVAB_EUSAGE, "bisect");
			bo.looks = (int)v;
			break;
		case 'M':
			if (util_parse_long(optarg, 1, 1000, "--max-steps", &v) < 0)
				return cmds_fail(GVAB_EUSAGE, "bisect");
			bo.max_steps = (int)v;
			break;
		case 'o': bo.out_dir = optarg; break;
		case 'B': bo.bundle = optarg; break;
		case 'S':
			if (nrun >= 2 * 16) {
				fprintf(stderr, "gvab: bisect: at most 16 --set\n");
				return EXIT_GVAB_USAGE;
			}
			run_args[nrun++] = "--set";
			run_args[nrun++] = optarg;
			break;
		case 'p': bo.patches_dir = optarg; break;
		case 'E':
			if (nseries == 16) {
				fprintf(stderr, "gvab: bisect: at most 16 --series\n");
				return EXIT_GVAB_USAGE;
			}
			series[nseries++] = optarg;
			break;
		case 'c': bo.cache_dir = optarg; break;
		case 'G': bo.go = optarg; break;
		case 'O': bo.offline = 1; break;
		case 'q': bo.progress = 0; break;
		case 'h': cmds_usage("bisect", usage_text); return 0;
		default:
			fprintf(stderr, "gvab: bisect: unknown option (see gvab help bisect)\n");
			return EXIT_GVAB_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gvab: bisect: unexpected argument '%s'\n", argv[optind]);
		return EXIT_GVAB_USAGE;
	}
	if (!bo.good || !bo.bad) {
		fprintf(stderr, "gvab: bisect: --good and --bad are required (see gvab help bisect)\n");
		return EXIT_GVAB_USAGE;
	}
	if (!bo.cache_dir)
		bo.cache_dir = cache = util_cache_dir();
	bo.series_dirs = series;
	bo.run_args = run_args;
	int rc = bisect_run(&bo);
	free(cache);
	if (rc == 3)
		return 3;
	return rc < 0 ? cmds_fail(rc, "bisect") : 0;
}
