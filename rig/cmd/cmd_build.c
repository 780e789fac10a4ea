/* cmd_build: `gvab build` builds runsc arms (see build.h). */
#define _GNU_SOURCE
#include "build.h"
#include "cmds.h"
#include "error.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"[options] --arm ARM [--arm ARM ...]\n"
	"\n"
	"Builds static runsc binaries from gVisor source, one per arm, each in its own\n"
	"checkout: <out>/<ARM>/runsc with provenance.json beside it.\n"
	"\n"
	"  --arm ARM        stock | patched (= hostmm-lazy) | SERIES[+SERIES...], optionally\n"
	"                   @TAGS for go build -tags; NAME=SPEC names the output arm\n"
	"                   (e.g. both=hostmm-lazy+buildtag-split@runsc_slim)\n"
	"  --source SRC     module (gvisor.dev/gvisor from the Go module proxy), debian\n"
	"                   (Debian's golang-gvisor-gvisor-dev tree), a git URL or a local\n"
	"                   repository path; default: auto (the upstream URL, falling back\n"
	"                   to debian when it cannot be fetched)\n"
	"  --ref REF        git: go-branch commit, branch or release tag (a release tag\n"
	"                   builds the first go merge containing it; default: go).\n"
	"                   module: pseudo-version v0.0.0-<time>-<12 hex>, commit or go.\n"
	"                   debian: the import's tag\n"
	"  --out DIR        where arms go (default: build/arms)\n"
	"  --patches DIR    patch series directory (default: patches); every compat-*\n"
	"                   series in it applies to every arm, by its Applies-if lines\n"
	"  --series DIR     one more series directory (repeatable), found by its base\n"
	"                   name before patches/; a compat-* one applies to every arm\n"
	"  --cache DIR      cache (bare repository, GOMODCACHE, GOCACHE); default\n"
	"                   $GVAB_CACHE_DIR, $XDG_CACHE_HOME/gvab or ~/.cache/gvab\n"
	"  --go PATH        one go binary for every tree (GOTOOLCHAIN=local), checked\n"
	"                   against go.mod. Default: module mode runs /usr/local/go/bin/go\n"
	"                   with GOTOOLCHAIN set to the toolchain go.mod names; GOPATH\n"
	"                   mode uses " GVAB_DEFAULT_GO "\n"
	"  --offline        no fetch or download: refs, modules and toolchains must be cached\n"
	"  --tags TAGS      go build -tags\n"
	"  --blob-source DIR  gVisor tree with the vDSO and systrap C sources, for trees\n"
	"                   that ship placeholder blobs (default: Debian's orig tarball\n"
	"                   under /var/cache/gvab/debian-src, from hosts/install-deps.sh)\n"
	"  --module-mode    force module mode (default for git and module sources with go.mod)\n"
	"  --gopath-mode    force GOPATH mode with Debian's libraries (default for debian)\n"
	"  --force          rebuild even when provenance says the arm is up to date\n"
	"  -q, --quiet      no progress lines\n"
	"\n"
	"examples:\n"
	"  gvab build --source module --ref v0.0.0-20260709014902-8ed0c00a3f90 --arm stock --arm patched\n"
	"  gvab build --ref release-20260714.0 --arm stock          # git source, first go merge with it\n"
	"  gvab build --source debian --arm slim=hostmm-lazy+buildtag-split@runsc_slim\n";

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{"arm", required_argument, 0, 'a'},   {"source", required_argument, 0, 's'},
		{"ref", required_argument, 0, 'r'},   {"out", required_argument, 0, 'o'},
		{"patches", required_argument, 0, 'p'}, {"cache", required_argument, 0, 'c'},
		{"go", required_argument, 0, 'g'},    {"tags", required_argument, 0, 't'},
		{"module-mode", no_argument, 0, 'm'}, {"force", no_argument, 0, 'f'},
		{"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
		{"blob-source", required_argument, 0, 'B'},
		{"series", required_argument, 0, 'S'}, {"offline", no_argument, 0, 'O'},
		{"gopath-mode", no_argument, 0, 'G'},
		{0, 0, 0, 0}};
	const char *series_dirs[17] = {0};
	int nseries_dirs = 0;
	struct build_opts bo = {.source = "auto", .patches_dir = "patches", .out_dir = "build/arms",
	                        .progress = 1};
	const char *arms[16];
	int narms = 0, c;
	char *cache = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (narms == 16) {
				fprintf(stderr, "gvab: build: at most 16 --arm\n");
				return EXIT_GVAB_USAGE;
			}
			arms[narms++] = optarg;
			break;
		case 's': bo.source = optarg; break;
		case 'r': bo.ref = optarg; break;
		case 'o': bo.out_dir = optarg; break;
		case 'p': bo.patches_dir = optarg; break;
		case 'c': bo.cache_dir = optarg; break;
		case 'g': bo.go = optarg; break;
		case 't': bo.tags = optarg; break;
		case 'm': bo.mode = BUILD_MODE_MODULE; break;
		case 'G': bo.mode = BUILD_MODE_GOPATH; break;
		case 'O': bo.offline = 1; break;
		case 'S':
			if (nseries_dirs == 16) {
				fprintf(stderr, "gvab: build: at most 16 --series\n");
				return EXIT_GVAB_USAGE;
			}
			series_dirs[nseries_dirs++] = optarg;
			break;
		case 'f': bo.force = 1; break;
		case 'q': bo.progress = 0; break;
		case 'B': bo.blob_source = optarg; break;
		case 'h': cmds_usage("build", usage_text); return 0;
		default: return EXIT_GVAB_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gvab: build: unexpected argument '%s'\n", argv[optind]);
		return EXIT_GVAB_USAGE;
	}
	if (narms == 0) {
		fprintf(stderr, "gvab: build: no --arm given (try --arm stock --arm patched)\n");
		return EXIT_GVAB_USAGE;
	}
	if (!bo.cache_dir)
		bo.cache_dir = cache = util_cache_dir();
	bo.series_dirs = series_dirs;
	int auto_src = strcmp(bo.source, "auto") == 0;
	const char *tags_all = bo.tags;
	if (auto_src)
		bo.source = GVAB_DEFAULT_URL;
	int rc = 0;
	for (int i = 0; i < narms && rc == 0; i++) {
		char *spec = util_xstrdup(arms[i]);
		char *eq = strchr(spec, '=');
		bo.name = NULL;
		bo.arm = spec;
		bo.tags = tags_all;
		if (eq) {
			*eq = '\0';
			bo.name = spec;
			bo.arm = eq + 1;
		}
		/* SPEC@TAGS: build tags for this arm only. */
		char *at = strchr(bo.arm, '@');
		if (at) {
			*at = '\0';
			bo.tags = at + 1;
			if (!bo.name) {
				fprintf(stderr, "gvab: build: --arm %s: an arm with @TAGS needs NAME=\n", arms[i]);
				free(spec);
				free(cache);
				return EXIT_GVAB_USAGE;
			}
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
