/* cmd_source: `gvab source` fetches or imports gVisor and resolves a ref. */
#define _GNU_SOURCE
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "source.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"[--source debian|URL|PATH] [--ref REF] [--cache DIR]\n"
	"\n"
	"Fetches gVisor into the cached bare repository (only new objects), or imports\n"
	"Debian's tree as one tagged commit, then resolves REF the way build does and\n"
	"prints the commit and how it was chosen. Without --source: the upstream URL.\n";

int cmd_source(int argc, char **argv)
{
	static const struct option opts[] = {{"source", required_argument, 0, 's'},
	                                     {"ref", required_argument, 0, 'r'},
	                                     {"cache", required_argument, 0, 'c'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *src = GVAB_DEFAULT_URL, *ref = NULL;
	char *cache = NULL, *repo_path = NULL, *version = NULL, *tag = NULL;
	int c, rc;
	git_repository *repo = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': src = optarg; break;
		case 'r': ref = optarg; break;
		case 'c': cache = util_xstrdup(optarg); break;
		case 'h': cmds_usage("source", usage_text); return 0;
		default: return EXIT_GVAB_USAGE;
		}
	}
	if (!cache)
		cache = util_cache_dir();
	repo_path = util_fmt("%s/gvisor.git", cache);
	if ((rc = source_open_cache(repo_path, &repo)) < 0)
		goto out;
	if (strcmp(src, "debian") == 0) {
		git_oid id;
		char hex[GIT_OID_HEXSZ + 1];
		build_debian_tag(&version, &tag);
		if ((rc = source_import_tree(repo, GVAB_DEBIAN_TREE, "debian", tag, &id)) < 0)
			goto out;
		git_oid_tostr(hex, sizeof hex, &id);
		printf("imported %s (%s) as %s, tag %s\n", GVAB_DEBIAN_TREE, version, hex, tag);
		if (!ref)
			ref = tag;
	} else {
		unsigned got = 0;
		if ((rc = source_fetch(repo, src, &got)) < 0)
			goto out;
		printf("fetched %s: %u new objects into %s\n", src, got, repo_path);
		if (!ref)
			ref = "go";
	}
	struct source_resolution res;
	if ((rc = source_resolve_ref(repo, ref, &res)) < 0)
		goto out;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &res.commit);
	printf("%s\n%s\n", hex, res.how);
out:
	git_repository_free(repo);
	free(repo_path);
	free(cache);
	free(version);
	free(tag);
	return rc < 0 ? cmds_fail(rc, "source") : 0;
}
