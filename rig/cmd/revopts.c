/* revopts: see revopts.h. */
#include "revopts.h"
#include "analysis.h"
#include "build.h"
#include "error.h"
#include "knobs.h"
#include "util.h"
#include "verdict.h"

#include <stdlib.h>
#include <string.h>

void revision_defaults(struct revision_setup *rs, struct revision_args *ra)
{
	memset(rs, 0, sizeof *rs);
	memset(ra, 0, sizeof *ra);
	run_spec_init(&ra->run_base);
	rs->source = GVAB_DEFAULT_URL;
	rs->arm = "stock";
	rs->metric = "core";
	rs->threshold_pct = VERDICT_DEFAULT_THRESHOLD_PCT;
	rs->alpha = VERDICT_DEFAULT_ALPHA;
	rs->bundle = "build/bundle";
	rs->patches_dir = "patches";
	rs->progress = 1;
}

int revision_opt(struct opt_parser *p, int id, struct revision_setup *rs, struct revision_args *ra)
{
	switch (id) {
	case O_REV_SOURCE: rs->source = p->arg; return 1;
	case O_REV_ARM: rs->arm = p->arg; return 1;
	case O_REV_METRIC:
		rs->metric = p->arg;
		if (analysis_phase_index(p->arg) < 0)
			opt_error(p, "'%s' is not a metric (create|start|wait|delete|core|overall|cpu)", p->arg);
		return 1;
	case O_REV_BUNDLE: rs->bundle = p->arg; return 1;
	case O_REV_SET: {
		struct run_spec *b = &ra->run_base;
		if (b->nset == RUN_MAX_SET)
			opt_error(p, "given more than %d times", RUN_MAX_SET);
		else if (knobs_parse_setting(p->arg, b->set_name[b->nset], 32, b->set_value[b->nset], 64) < 0)
			opt_error(p, "%s", error_last());
		else
			b->nset++;
		return 1;
	}
	case O_REV_PATCHES: rs->patches_dir = p->arg; return 1;
	case O_REV_SERIES:
		if (ra->nseries == 16)
			opt_error(p, "given more than 16 times");
		else
			ra->series[ra->nseries++] = p->arg;
		return 1;
	case O_REV_CACHE: rs->cache_dir = p->arg; return 1;
	case O_REV_GO: rs->go = p->arg; return 1;
	case O_REV_OFFLINE: rs->offline = 1; return 1;
	case O_REV_QUIET: rs->progress = 0; return 1;
	}
	return 0;
}

void revision_finish(struct revision_setup *rs, struct revision_args *ra)
{
	if (!rs->cache_dir)
		rs->cache_dir = ra->cache = util_cache_dir();
	rs->series_dirs = ra->series;
	rs->run_base = &ra->run_base;
}

void revision_args_free(struct revision_args *ra)
{
	free(ra->cache);
	ra->cache = NULL;
	run_spec_free(&ra->run_base);
}
