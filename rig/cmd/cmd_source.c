/* cmd_source: `gvab source` fetches or imports gVisor and resolves a ref. */
#define _GNU_SOURCE
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "modsource.h"
#include "gotool.h"
#include "source.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"[--source module|debian|URL|PATH] [--ref REF] [--cache DIR] [--offline]\n"
	"\n"
	"Fetches gVisor into the cached bare repository (only new objects), downloads\n"
	"the module gvisor.dev/gvisor@REV and imports it as one deterministic commit,\n"
	"or imports Debian's tree; then resolves REF the way build does and prints the\n"
	"commit and how it was chosen. A release tag resolves to the first go-branch\n"
	"merge containing it, with the master commits it brings beyond the tag.\n"
	"Without --source: the upstream URL. Without --ref: go.\n"
	"\n"
	"examples:\n"
	"  gvab source --ref release-20260714.0\n"
	"  gvab source --source module --ref v0.0.0-20260709014902-8ed0c00a3f90\n";

int cmd_source(int argc, char **argv)
{
	static const struct option opts[] = {{"source", required_argument, 0, 's'},
	                                     {"ref", required_argument, 0, 'r'},
	                                     {"cache", required_argument, 0, 'c'},
	                                     {"offline", no_argument, 0, 'O'},
	                                     {"help", no_argument, 0, 'h'},
	                                     {0, 0, 0, 0}};
	const char *src = GVAB_DEFAULT_URL, *ref = NULL;
	char *cache = NULL, *repo_path = NULL, *version = NULL, *tag = NULL;
	int c, rc, offline = 0;
	git_repository *repo = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': src = optarg; break;
		case 'r': ref = optarg; break;
		case 'c': free(cache); cache = util_xstrdup(optarg); break;
		case 'O': offline = 1; break;
		case 'h': cmds_usage("source", usage_text); return 0;
		default: return EXIT_GVAB_USAGE;
		}
	}
	if (!cache)
		cache = util_cache_dir();
	repo_path = util_fmt("%s/gvisor.git", cache);
	if ((rc = source_open_cache(repo_path, &repo)) < 0)
		goto out;
	if (strcmp(src, "module") == 0 || strcmp(src, MODSOURCE_MODULE) == 0) {
		struct modsource_info mi;
		char *go = gotool_default_go();
		if (!go) {
			rc = error_setc(GVAB_EPRECOND, "no go binary (/usr/local/go/bin/go or go in PATH)");
			goto out;
		}
		rc = modsource_fetch(repo, cache, go, ref, offline, &mi);
		free(go);
		if (rc < 0)
			goto out;
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, &mi.commit);
		printf("%s\n%s\n", hex, mi.how);
		goto out;
	} else if (strcmp(src, "debian") == 0) {
		git_oid id;
		char hex[GIT_OID_HEXSZ + 1];
		build_debian_tag(&version, &tag);
		if ((rc = source_import_tree(repo, GVAB_DEBIAN_TREE, "debian", tag, &id)) < 0)
			goto out;
		git_oid_tostr(hex, sizeof hex, &id);
		printf("imported %s (%s) as %s, tag %s\n", GVAB_DEBIAN_TREE, version, hex, tag);
		if (!ref)
			ref = tag;
	} else if (!offline) {
		unsigned got = 0;
		if ((rc = source_fetch(repo, src, &got)) < 0)
			goto out;
		printf("fetched %s: %u new objects into %s\n", src, got, repo_path);
	}
	if (!ref)
		ref = "go";
	struct source_resolution res;
	if ((rc = source_resolve_ref(repo, ref, &res)) < 0)
		goto out;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &res.commit);
	printf("%s\n%s\n%s", hex, res.how, res.beyond);
out:
	git_repository_free(repo);
	free(repo_path);
	free(cache);
	free(version);
	free(tag);
	return rc < 0 ? cmds_fail(rc, "source") : 0;
}
