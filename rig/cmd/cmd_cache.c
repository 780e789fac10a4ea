/* cmd_cache: `gvab cache du|prune` (see cache.h). */
#define _GNU_SOURCE
#include "cache.h"
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_CACHE = 1, O_BUILD, O_MODULES, O_SOURCE, O_ALL };

static const struct opt opts[] = {
	{"build", 0, OPT_NONE, NULL, "the Go build cache (GOCACHE) and module-mode GOPATH", O_BUILD},
	{"modules", 0, OPT_NONE, NULL,
	 "the Go module cache, toolchains included (re-downloaded\n"
	 "on the next build; --offline builds then fail)", O_MODULES},
	{"source", 0, OPT_NONE, NULL, "the source repository (fetched again on the next build)", O_SOURCE},
	{"all", 0, OPT_NONE, NULL, "all of the above", O_ALL},
	{"cache", 0, OPT_REQUIRED, "DIR", "default $GVAB_CACHE_DIR, $XDG_CACHE_HOME/gvab or ~/.cache/gvab", O_CACHE},
	{0}};

static const struct opt_cmd cmd = {
	"cache", "du|prune [options]",
	"du     prints the disk usage of gvab's cache: the source repository (every\n"
	"       fetched or imported gVisor tree), the Go module cache (gVisor module\n"
	"       versions, their dependencies and the Go toolchains fetched for\n"
	"       go.mod), and the Go build cache shared by every arm.\n"
	"prune  removes parts of it. Without a part option: the build cache only\n"
	"       (the next build recompiles; nothing is downloaded again).\n",
	opts, NULL,
	"cache du\n"
	"cache prune --modules"};

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
	char *cache = NULL;
	int mask = 0;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_CACHE: free(cache); cache = util_xstrdup(p.arg); break;
		case O_BUILD: mask |= CACHE_BUILD; break;
		case O_MODULES: mask |= CACHE_MODULES; break;
		case O_SOURCE: mask |= CACHE_SOURCE; break;
		case O_ALL: mask |= CACHE_BUILD | CACHE_MODULES | CACHE_SOURCE; break;
		}
	}
	if (p.status != OPT_DONE) {
		free(cache);
		return opt_exit(&p);
	}
	if (p.ind != argc - 1 || (strcmp(argv[p.ind], "du") != 0 && strcmp(argv[p.ind], "prune") != 0)) {
		free(cache);
		return opt_usage_error(&cmd, "want 'du' or 'prune'");
	}
	if (!cache)
		cache = util_cache_dir();
	int rc = 0;
	if (strcmp(argv[p.ind], "prune") == 0) {
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
