/* revopts: the options `gvab bisect` and `gvab trend` share, one table of
 * rows and one handler for both (their struct revision_setup). */
#ifndef GVAB_REVOPTS_H
#define GVAB_REVOPTS_H

#include "opt.h"
#include "revsetup.h"

enum {
	O_REV_SOURCE = 100, O_REV_ARM, O_REV_METRIC, O_REV_BUNDLE, O_REV_SET, O_REV_PATCHES, O_REV_SERIES,
	O_REV_CACHE, O_REV_GO, O_REV_OFFLINE, O_REV_QUIET
};

/* The shared rows, for the end of a command's table (before its {0}). */
#define REVISION_OPT_ROWS \
	{"source", 0, OPT_REQUIRED, "SRC", "git URL or path (default: the upstream URL), or module", O_REV_SOURCE}, \
	{"arm", 0, OPT_REQUIRED, "SPEC", \
	 "what every revision is built as (default stock; e.g.\npatched)", O_REV_ARM}, \
	{"metric", 0, OPT_REQUIRED, "M", \
	 "create|start|wait|delete|core|overall, or cpu: CPU time\n" \
	 "per boot, work not latency (default core)", O_REV_METRIC}, \
	{"bundle", 0, OPT_REQUIRED, "DIR", "OCI bundle (default build/bundle)", O_REV_BUNDLE}, \
	{"set", 0, OPT_REQUIRED, "NAME=VALUE", "host knob for the runs (as gvab run --set); at most 8", O_REV_SET}, \
	{"patches", 0, OPT_REQUIRED, "DIR", "patch series directory, as for build (default: patches)", O_REV_PATCHES}, \
	{"series", 0, OPT_REQUIRED, "DIR", "one more series directory, as for build (repeatable)", O_REV_SERIES}, \
	{"cache", 0, OPT_REQUIRED, "DIR", "cache, as for build", O_REV_CACHE}, \
	{"go", 0, OPT_REQUIRED, "PATH", "one go binary for every tree, as for build", O_REV_GO}, \
	{"offline", 0, OPT_NONE, NULL, "no fetch or download, as for build", O_REV_OFFLINE}, \
	{"quiet", 'q', OPT_NONE, NULL, "no progress lines", O_REV_QUIET}

/* Storage behind a revision_setup's lists while a command runs. */
struct revision_args {
	const char *series[17];
	struct run_spec run_base; /* the runs' knob settings */
	int nseries;
	char *cache;
};

/* The defaults both commands start from. */
void revision_defaults(struct revision_setup *rs, struct revision_args *ra);
/* Takes option `id` when it is a shared one (1), else 0; a bad value is
 * reported through the parser (opt_error). */
int revision_opt(struct opt_parser *p, int id, struct revision_setup *rs, struct revision_args *ra);
/* After parsing: the default cache and the lists into rs. */
void revision_finish(struct revision_setup *rs, struct revision_args *ra);
void revision_args_free(struct revision_args *ra);

#endif
