/* trend_int: what the trend_*.c files share (trend.h is the module's
 * contract): a revision as the trend sees it and one step's comparison. */
#ifndef GVAB_TREND_INT_H
#define GVAB_TREND_INT_H

#include "analysis.h"
#include "trend.h"

#include <stddef.h>

#include <cjson/cJSON.h>

struct trev {
	char ref[96];       /* what build --ref gets */
	char label[64];     /* shown: the ref as given, or the commit */
	char arm[64];       /* the run's arm name (label made a plain name) */
	char build[64];     /* the build's arm directory name */
	char commit[41];
	char master[41];
	char tree[41];      /* the commit's tree id (git), "" unknown */
	char subject[200];
	char how[512];      /* how a ref resolved (git) */
	char note[400];     /* why it was left out */
	char *runsc;        /* NULL: did not build */
	int arm_index;      /* index in the run's analysis, -1 none */
	size_t n_ok, n_fail;
	double med, lo, hi; /* metric p50 and its 95% CI, ms */
};

struct trend_step {
	size_t from, to;    /* indices into the revisions */
	struct comparison c;
};

/* trend_revs.c: the revisions of --ref or --revisions, with plain arm
 * names; 0 or an error code. */
int trend_collect(const struct trend_opts *o, int module, struct trev **out, size_t *nout);

/* trend_out.c: trend.md's text (NULL when out of memory), trend.json, the
 * chart. `plan`: what --budget allowed, or NULL without one. */
char *trend_markdown(const struct trend_opts *o, const struct trev *r, size_t n,
                     const struct trend_step *st, size_t ns, const struct trend_plan *plan);
cJSON *trend_json(const struct trend_opts *o, const struct trev *r, size_t n,
                  const struct trend_step *st, size_t ns, const struct trend_plan *plan);
void trend_write_chart(const struct trend_opts *o, const struct trev *r, size_t n,
                       const struct trend_step *st, size_t ns);

#endif
