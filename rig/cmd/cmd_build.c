/* cmd_build: `gvab build` builds runsc arms (see build.h). */
#define _GNU_SOURCE
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	O_ARM = 1, O_SOURCE, O_REF, O_OUT, O_PATCHES, O_SERIES, O_CACHE, O_GO, O_OFFLINE, O_TAGS,
	O_BLOB_SOURCE, O_MODULE_MODE, O_GOPATH_MODE, O_FORCE, O_QUIET
};

static const struct opt opts[] = {
	{"arm", 0, OPT_REQUIRED, "ARM",
	 "stock | patched (= hostmm-lazy) | SERIES[+SERIES...],\n"
	 "optionally @TAGS for go build -tags (then with NAME=);\n"
	 "NAME=SPEC names the output arm\n"
	 "(e.g. both=hostmm-lazy+buildtag-split@runsc_slim);\n"
	 "NAME=SPEC,relayout[=N] is an A' arm: SPEC's source and\n"
	 "patches again, linked with the functions in another order\n"
	 "(go link -randlayout=N, N default 1; Go 1.23 on), so build\n"
	 "and layout noise shows in an A/A' run\n"
	 "(e.g. --arm stock --arm stock2=stock,relayout);\n"
	 "repeatable, at most 16", O_ARM},
	{"source", 0, OPT_REQUIRED, "SRC",
	 "module (gvisor.dev/gvisor from the Go module proxy),\n"
	 "debian (Debian's golang-gvisor-gvisor-dev tree), a git\n"
	 "URL or a local repository path; default: auto (the\n"
	 "upstream URL, falling back to debian when it cannot be\n"
	 "fetched)", O_SOURCE},
	{"ref", 0, OPT_REQUIRED, "REF",
	 "git: go-branch commit, branch or release tag (a release\n"
	 "tag builds the first go merge containing it; tags/NAME,\n"
	 "refs/tags/NAME and NAME^{} too; default: go).\n"
	 "module: pseudo-version v0.0.0-<time>-<12 hex>, commit or\n"
	 "go. debian: the import's tag", O_REF},
	{"out", 0, OPT_REQUIRED, "DIR", "where arms go (default: build/arms)", O_OUT},
	{"patches", 0, OPT_REQUIRED, "DIR",
	 "patch series directory (default: patches); every\n"
	 "compat-* series in it applies to every arm, by its\n"
	 "Applies-if lines", O_PATCHES},
	{"series", 0, OPT_REQUIRED, "DIR",
	 "one more series directory (repeatable, at most 16), found\n"
	 "by its base name before patches/; a compat-* one applies\n"
	 "to every arm", O_SERIES},
	{"cache", 0, OPT_REQUIRED, "DIR",
	 "cache (bare repository, GOMODCACHE, GOCACHE); default\n"
	 "$GVAB_CACHE_DIR, $XDG_CACHE_HOME/gvab or ~/.cache/gvab", O_CACHE},
	{"go", 0, OPT_REQUIRED, "PATH",
	 "one go binary for every tree (GOTOOLCHAIN=local), checked\n"
	 "against go.mod. Default: module mode runs\n"
	 "/usr/local/go/bin/go with GOTOOLCHAIN set to the\n"
	 "toolchain go.mod names; GOPATH mode uses\n"
	 GVAB_DEFAULT_GO, O_GO},
	{"offline", 0, OPT_NONE, NULL,
	 "no fetch or download: refs, modules and toolchains must\n"
	 "be cached", O_OFFLINE},
	{"tags", 0, OPT_REQUIRED, "TAGS", "go build -tags", O_TAGS},
	{"blob-source", 0, OPT_REQUIRED, "DIR",
	 "gVisor tree with the vDSO and systrap C sources, for\n"
	 "trees that ship placeholder blobs (default: Debian's orig\n"
	 "tarball under /var/cache/gvab/debian-src, from\n"
	 "hosts/install-deps.sh)", O_BLOB_SOURCE},
	{"module-mode", 0, OPT_NONE, NULL,
	 "force module mode (default for git and module sources\n"
	 "with go.mod)", O_MODULE_MODE},
	{"gopath-mode", 0, OPT_NONE, NULL,
	 "force GOPATH mode with Debian's libraries (default for\n"
	 "debian)", O_GOPATH_MODE},
	{"force", 0, OPT_NONE, NULL, "rebuild even when provenance says the arm is up to date", O_FORCE},
	{"quiet", 'q', OPT_NONE, NULL, "no progress lines", O_QUIET},
	{0}};

static const struct opt_cmd cmd = {
	"build", "[options] --arm ARM [--arm ARM ...]",
	"Builds static runsc binaries from gVisor source, one per arm, each in its own\n"
	"checkout: <out>/<ARM>/runsc with provenance.json beside it.\n",
	opts, NULL,
	"build --source module --ref v0.0.0-20260709014902-8ed0c00a3f90 --arm stock --arm patched\n"
	"build --ref release-20260714.0 --arm stock          # git source, first go merge with it\n"
	"build --source debian --arm slim=hostmm-lazy+buildtag-split@runsc_slim"};

/* NAME=SPEC[,relayout[=N]][@TAGS] into bo->name, arm, relayout and tags
 * (pointing into *spec, which the caller frees); an exit code on a usage
 * error, else 0. */
static int arm_spec_parse(const char *arg, const char *tags_all, struct build_opts *bo, char **spec)
{
	*spec = util_xstrdup(arg);
	char *eq = strchr(*spec, '=');
	bo->name = NULL;
	bo->arm = *spec;
	bo->tags = tags_all;
	if (eq) {
		*eq = '\0';
		bo->name = *spec;
		bo->arm = eq + 1;
	}
	/* SPEC,relayout[=N]: an A' arm (build.h). */
	bo->relayout = 0;
	char *comma = strchr(bo->arm, ',');
	if (comma) {
		*comma = '\0';
		const char *item = comma + 1;
		long seed = 1;
		if (strncmp(item, "relayout", 8) != 0 || (item[8] && item[8] != '=') ||
		    (item[8] == '=' && util_parse_long(item + 9, 1, 0x7fffffffL, "relayout", &seed) < 0))
			return opt_usage_error(&cmd, "option '--arm': '%s': '%s' is not relayout or "
			                             "relayout=N (N >= 1)", arg, item);
		if (!bo->name)
			return opt_usage_error(&cmd, "option '--arm': '%s' is a relayout arm but has no NAME=", arg);
		bo->relayout = seed;
	}
	/* SPEC@TAGS: build tags for this arm only. */
	char *at = strchr(bo->arm, '@');
	if (at) {
		*at = '\0';
		bo->tags = at + 1;
		if (!bo->name)
			return opt_usage_error(&cmd, "option '--arm': '%s' has @TAGS but no NAME=", arg);
	}
	return 0;
}

int cmd_build(int argc, char **argv)
{
	const char *series_dirs[17] = {0};
	int nseries_dirs = 0;
	struct build_opts bo = {.source = "auto", .patches_dir = "patches", .out_dir = "build/arms",
	                        .progress = 1};
	const char *arms[16];
	int narms = 0;
	char *cache = NULL;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_ARM:
			if (narms == 16)
				opt_error(&p, "given more than 16 times");
			else
				arms[narms++] = p.arg;
			break;
		case O_SOURCE: bo.source = p.arg; break;
		case O_REF: bo.ref = p.arg; break;
		case O_OUT: bo.out_dir = p.arg; break;
		case O_PATCHES: bo.patches_dir = p.arg; break;
		case O_CACHE: bo.cache_dir = p.arg; break;
		case O_GO: bo.go = p.arg; break;
		case O_TAGS: bo.tags = p.arg; break;
		case O_MODULE_MODE: bo.mode = BUILD_MODE_MODULE; break;
		case O_GOPATH_MODE: bo.mode = BUILD_MODE_GOPATH; break;
		case O_OFFLINE: bo.offline = 1; break;
		case O_SERIES:
			if (nseries_dirs == 16)
				opt_error(&p, "given more than 16 times");
			else
				series_dirs[nseries_dirs++] = p.arg;
			break;
		case O_FORCE: bo.force = 1; break;
		case O_QUIET: bo.progress = 0; break;
		case O_BLOB_SOURCE: bo.blob_source = p.arg; break;
		}
	}
	int code;
	if (opt_end(&p, 0, &code))
		return code;
	if (narms == 0)
		return opt_usage_error(&cmd, "no --arm given (try --arm stock --arm patched)");
	if (!bo.cache_dir)
		bo.cache_dir = cache = util_cache_dir();
	bo.series_dirs = series_dirs;
	int auto_src = strcmp(bo.source, "auto") == 0;
	const char *tags_all = bo.tags;
	if (auto_src)
		bo.source = GVAB_DEFAULT_URL;
	int rc = 0;
	for (int i = 0; i < narms && rc == 0; i++) {
		char *spec = NULL;
		int u = arm_spec_parse(arms[i], tags_all, &bo, &spec);
		if (u != 0) {
			free(spec);
			free(cache);
			return u;
		}
		if (bo.progress)
			fprintf(stderr, "gvab: building arm %s\n", bo.name ? bo.name : bo.arm);
		rc = build_arm(&bo, NULL);
		if (rc == GVAB_EPRECOND && auto_src && strcmp(bo.source, "debian") != 0) {
			fprintf(stderr, "gvab: %s\ngvab: upstream unreachable; using Debian's offline tree\n",
			        error_last());
			bo.source = "debian";
			rc = build_arm(&bo, NULL);
		}
		if (rc < 0) {
			char ctx[256];
			snprintf(ctx, sizeof ctx, "building arm %s", bo.name ? bo.name : bo.arm);
			free(spec);
			free(cache);
			return cmds_fail(rc, ctx);
		}
		free(spec);
	}
	free(cache);
	return 0;
}
