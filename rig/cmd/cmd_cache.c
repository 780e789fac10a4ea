/* cmd_cache: `gvab cache du|prune` (see cache.h). */
#define _GNU_SOURCE
#include "cache.h"
#include "cmds.h"
#include "error.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"du|prune [--cache DIR] [--build] [--modules] [--source] [--all]\n"
	"\n"
	"du     prints the disk usage of gvab's cache: the source repository (every\n"
	"       fetched or imported gVisor tree), the Go module cache (gVisor module\n"
	"       versions, their dependencies and the Go toolchains fetched for\n"
	"       go.mod), and the Go build cache shared by every arm.\n"
	"prune  removes parts of it. Without a part option: the build cache only\n"
	"       (the next build recompiles; nothing is downloaded again).\n"
	"\n"
	"  --build          the Go build cache (GOCACHE) and module-mode GOPATH\n"
	"  --modules        the Go module cache, toolchains included (re-downloaded\n"
	"                   on the next build; --offline builds then fail)\n"
	"  --source         the source repository (fetched again on the next build)\n"
	"  --all            all of the above\n"
	"  --cache DIR      default $GVAB_CACHE_DIR, $XDG_CACHE_HOME/gvab or ~/.cache/gvab\n"
	"\n"
	"examples:\n"
	"  gvab cache du\n"
	"  gvab cache prune --modules\n";

static void print_du(const char *dir)
{
	struct cache_part parts[4];
	cache_du(dir, parts);
	long long total = parts[0].bytes + parts[1].bytes + parts[3].bytes;
	printf("%s\n", dir);
	for (int i = 0; i < 4; i++)
		printf("  %-11s %9.1f MB  %s%s\n", parts[i].name, (double)parts[i].bytes / 1e6, parts[i].rel,
		       i == 2 ? " (part of modules)" : "");
	printf("  %-11s %9.1f MB\n", "total", (double)total / 1e6);
}

int cmd_cache(int argc, char **argv)
{
	static const struct option opts[] = {{"cache", required_argument, 0, 'c'},
	                                     {"build", no_argument, 0, 'b'},
	                                     {"modules", no_argument, 0, 'm'},
	                                     {"source", no_argument, 0, 's'},
	                                     {"all", no_argument, 0, 'a'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	char *cache = NULL;
	int mask = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': free(cache); cache = util_xstrdup(optarg); break;
		case 'b': mask |= CACHE_BUILD; break;
		case 'm': mask |= CACHE_MODULES; break;
		case 's': mask |= CACHE_SOURCE; break;
		case 'a': mask |= CACHE_BUILD | CACHE_MODULES | CACHE_SOURCE; break;
		case 'h': cmds_usage("cache", usage_text); free(cache); return 0;
		default:
			fprintf(stderr, "gvab: cache: unknown option (see gvab help cache)\n");
			free(cache);
			return EXIT_GVAB_USAGE;
		}
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "du") != 0 && strcmp(argv[optind], "prune") != 0)) {
		fprintf(stderr, "gvab: cache: want 'du' or 'prune' (see gvab help cache)\n");
		free(cache);
		return EXIT_GVAB_USAGE;
	}
	if (!cache)
		cache = util_cache_dir();
	int rc = 0;
	if (strcmp(argv[optind], "prune") == 0) {
		if (!mask)
			mask = CACHE_BUILD;
		if ((rc = cache_prune(cache, mask)) < 0) {
			free(cache);
			return cmds_fail(rc, "cache prune");
		}
		printf("pruned:%s%s%s\n", mask & CACHE_SOURCE ? " source" : "",
		       mask & CACHE_MODULES ? " modules" : "", mask & CACHE_BUILD ? " build" : "");
	}
	print_du(cache);
	free(cache);
	return 0;
}
