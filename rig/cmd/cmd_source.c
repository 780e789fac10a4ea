/* cmd_source: `gvab source` fetches or imports gVisor and resolves a ref. */
#define _GNU_SOURCE
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "gotool.h"
#include "modsource.h"
#include "opt.h"
#include "source.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_SOURCE = 1, O_REF, O_CACHE, O_OFFLINE };

static const struct opt opts[] = {
	{"source", 0, OPT_REQUIRED, "SRC",
	 "module (gvisor.dev/gvisor from the Go module proxy),\n"
	 "debian (Debian's golang-gvisor-gvisor-dev tree), a git\n"
	 "URL or a local repository path; default: the upstream URL", O_SOURCE},
	{"ref", 0, OPT_REQUIRED, "REF",
	 "what to resolve, as build does (default: go; debian: the\n"
	 "import's tag)", O_REF},
	{"cache", 0, OPT_REQUIRED, "DIR",
	 "cache (bare repository, GOMODCACHE); default\n"
	 "$GVAB_CACHE_DIR, $XDG_CACHE_HOME/gvab or ~/.cache/gvab", O_CACHE},
	{"offline", 0, OPT_NONE, NULL, "no fetch or download: the ref must be cached", O_OFFLINE},
	{0}};

static const struct opt_cmd cmd = {
	"source", "[--source module|debian|URL|PATH] [--ref REF] [--cache DIR] [--offline]",
	"Fetches gVisor into the cached bare repository (only new objects), downloads\n"
	"the module gvisor.dev/gvisor@REV and imports it as one deterministic commit,\n"
	"or imports Debian's tree; then resolves REF the way build does and prints the\n"
	"commit and how it was chosen. A release tag resolves to the first go-branch\n"
	"merge containing it, with the master commits it brings beyond the tag.\n"
	"Without --source: the upstream URL. Without --ref: go.\n",
	opts, NULL,
	"source --ref release-20260714.0\n"
	"source --source module --ref v0.0.0-20260709014902-8ed0c00a3f90"};

int cmd_source(int argc, char **argv)
{
	const char *src = GVAB_DEFAULT_URL, *ref = NULL;
	char *cache = NULL, *repo_path = NULL, *version = NULL, *tag = NULL;
	int rc, offline = 0;
	git_repository *repo = NULL;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_SOURCE: src = p.arg; break;
		case O_REF: ref = p.arg; break;
		case O_CACHE: free(cache); cache = util_xstrdup(p.arg); break;
		case O_OFFLINE: offline = 1; break;
		}
	}
	if (p.status != OPT_DONE) {
		free(cache);
		return opt_exit(&p);
	}
	if (p.ind < argc) {
		free(cache);
		return opt_usage_error(&cmd, "unexpected argument '%s'", argv[p.ind]);
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
		struct source_commit sc;
		source_describe(repo, &mi.commit, &sc);
		printf("%s\n%s\n", sc.hex, mi.how);
		goto out;
	} else if (strcmp(src, "debian") == 0) {
		git_oid id;
		struct source_commit sc;
		build_debian_tag(&version, &tag);
		if ((rc = source_import_tree(repo, GVAB_DEBIAN_TREE, "debian", tag, &id)) < 0)
			goto out;
		source_describe(repo, &id, &sc);
		printf("imported %s (%s) as %s, tag %s\n", GVAB_DEBIAN_TREE, version, sc.hex, tag);
		if (!ref)
			ref = tag;
	} else if (!offline) {
		unsigned got = 0;
		if ((rc = source_fetch(repo, src, &got)) < 0)
			goto out;
		char *ns = source_namespace(src);
		printf("fetched %s: %u new objects into %s (its refs: %s/)\n", src, got, repo_path, ns);
		free(ns);
	}
	if (!ref)
		ref = "go";
	struct source_resolution res;
	if ((rc = source_resolve_ref(repo, strcmp(src, "debian") == 0 ? NULL : src, ref, &res)) < 0)
		goto out;
	struct source_commit sc;
	source_describe(repo, &res.commit, &sc);
	printf("%s\n%s\n%s", sc.hex, res.how, res.beyond);
	if (res.warning[0])
		fprintf(stderr, "gvab: warning: %s\n", res.warning);
out:
	source_close(repo);
	free(repo_path);
	free(cache);
	free(version);
	free(tag);
	return rc < 0 ? cmds_fail(rc, "source") : 0;
}
