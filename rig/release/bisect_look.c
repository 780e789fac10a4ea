/* bisect_look: one look of a step: build a revision, run it with both
 * ends in this process, and place it between the ends. See bisect_int.h. */
#define _GNU_SOURCE
#include "bisect.h"
#include "bisect_int.h"
#include "analysis.h"
#include "answer.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "modsource.h"
#include "proc.h"
#include "runloop.h"
#include "samples.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int bisect_build_rev(const struct bisect_opts *o, const struct rev *r, char **runsc)
{
	char label[16];
	bisect_rev_label(r, label, sizeof label);
	char *name = util_fmt("r-%s", label), *arms = util_fmt("%s/arms", o->out_dir);
	struct build_opts bo = {.source = o->rs.source, .ref = r->id, .arm = o->rs.arm, .name = name,
	                        .patches_dir = o->rs.patches_dir, .series_dirs = o->rs.series_dirs,
	                        .out_dir = arms, .cache_dir = o->rs.cache_dir, .go = o->rs.go,
	                        .offline = o->rs.offline, .progress = o->rs.progress};
	if (o->rs.progress)
		fprintf(stderr, "gvab: bisect: building %s (%s)\n", label, r->subject);
	int rc = build_arm(&bo, runsc);
	free(name);
	free(arms);
	return rc;
}

/* Runs one look of a step (appending after the first), in this process. */
int bisect_run_look(const struct bisect_opts *o, const char *dir, int append, char *const bins[3])
{
	static const char *const names[3] = {"mid", "good", "bad"};
	struct run_spec spec;
	revision_run_spec(&o->rs, &spec);
	spec.out_dir = dir;
	spec.iterations = o->iterations;
	spec.warmups = append ? 1 : 2;
	/* abba with three arms never lets the middle one (good) lead a round,
	 * so a first-in-round effect would sit on one comparison only. */
	spec.order = ORDER_LATIN;
	spec.append = append;
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = run_spec_add_arm(&spec, names[i], bins[i]);
	/* The run's answer lines go to a log beside it, so bisect's output is
	 * bisect's. SIGINT/SIGTERM stop the run cleanly (knobs back). */
	char *parent = util_xstrdup(dir);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	util_mkdir_p(parent, 0755);
	free(parent);
	struct run_outcome ro = {0};
	if (rc == 0)
		rc = runloop_run(&spec, &ro);
	if (ro.saved && ro.ok_count > 0 && rc != GVAB_EINTR)
		answer_write_log(dir, PH_CORE);
	free(ro.out_dir);
	if (rc < 0 && rc != GVAB_EINTR)
		rc = error_wrap(rc, "gvab run");
	run_spec_free(&spec);
	return rc;
}


/* Where the middle revision sits between the ends, with an interval:
 * (mid - good) / (bad - good), from the interval of good - mid over the
 * ends' shift. A single change between the ends puts every revision at 0
 * or 1; the classification asks which half the interval is in, so a small
 * but bisect_significant difference from an end (a loaded host, a second small
 * change) does not make a revision undecided. */
/* -1 good-like, +1 bad-like, 0 undecided. One change between the ends puts
 * a revision at 0 or 1: it is good-like when its whole interval is below
 * one half and reaches down to the good end's neighbourhood (0.2), bad-like
 * when it is above one half and reaches up to 0.8. A revision whose interval
 * sits in between, clear of both ends (a change spread over several
 * merges), is undecided, never guessed. */
int bisect_end_like(const struct look_result *lr)
{
	if (!isfinite(lr->pos_lo) || !isfinite(lr->pos_hi))
		return 0;
	if (lr->pos_hi < 0.5 && lr->pos_lo <= 0.2)
		return -1;
	if (lr->pos_lo > 0.5 && lr->pos_hi >= 0.8)
		return 1;
	return 0;
}

void bisect_position(struct look_result *lr)
{
	double e = lr->ends_ms;
	lr->pos = lr->pos_lo = lr->pos_hi = NAN;
	if (!(fabs(e) > 0) || !isfinite(lr->good_mid_lo) || !isfinite(lr->good_mid_hi))
		return;
	double a = -lr->good_mid_ms / e, b = -lr->good_mid_hi / e, c = -lr->good_mid_lo / e;
	lr->pos = a;
	lr->pos_lo = b < c ? b : c;
	lr->pos_hi = b < c ? c : b;
}

int bisect_analyse(const struct bisect_opts *o, const char *dir, int phase, double tail,
                   struct look_result *lr)
{
	struct run_analysis ra;
	int rc = analysis_load(dir, &ra);
	if (rc < 0)
		return rc;
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	ao.alpha = o->rs.alpha;
	ao.threshold_pct = o->rs.threshold_pct;
	ao.interval_alpha = tail;
	ao.phase_mask = 1u << phase;
	ao.baseline = 0;
	memset(lr, 0, sizeof *lr);
	lr->vs_good = lr->vs_bad = lr->ends = V_UNDECIDED;
	analysis_compare(&ra, &ao);
	analysis_adjust(&ra, 1, &ao, ao.phase_mask);
	for (size_t i = 0; i < ra.ncmp; i++) {
		const struct comparison *c = &ra.cmp[i];
		if (c->phase != phase)
			continue;
		if (c->b == 1) {
			lr->vs_good = c->verdict;
			lr->good_mid_ms = c->shift_ms;
			lr->good_mid_lo = c->shift_lo;
			lr->good_mid_hi = c->shift_hi;
		}
		if (c->b == 2) {
			lr->vs_bad = c->verdict;
			lr->pairs = c->npairs;
		}
	}
	for (size_t a = 0; a < ra.narms && a < 3; a++) {
		const struct arm_stats *as = &ra.arms[a];
		lr->med[a] = as->ph[phase].median;
		stats_median_ci(as->vals[phase], as->n_ok, 0.025, &lr->lo[a], &lr->hi[a]);
	}
	/* The ends against each other: bad - good. */
	free(ra.cmp);
	ra.cmp = NULL;
	ra.ncmp = 0;
	ao.baseline = 1;
	analysis_compare(&ra, &ao);
	analysis_adjust(&ra, 1, &ao, ao.phase_mask);
	for (size_t i = 0; i < ra.ncmp; i++) {
		const struct comparison *c = &ra.cmp[i];
		if (c->phase == phase && c->b == 2) {
			lr->ends = c->verdict;
			lr->ends_ms = c->shift_ms;
			lr->ends_lo = c->shift_lo;
			lr->ends_hi = c->shift_hi;
			lr->ends_pct = c->med_a > 0 ? 100.0 * c->shift_ms / c->med_a : 0;
			lr->ends_pairs = c->used_paired ? c->npairs : 0;
			lr->ends_factor = c->used_paired && c->dep_factor > 1 ? c->dep_factor : 1;
			lr->ends_family = c->family_size ? c->family_size : 1;
		}
	}
	analysis_free(&ra);
	return 0;
}

int bisect_significant(enum verdict v)
{
	return v == V_FASTER || v == V_SLOWER;
}

/* The verdicts compare an end (B) with the middle revision (A); notes say
 * how the middle compares with the end, so "faster" and "slower" swap. */
const char *bisect_mid_vs(enum verdict v)
{
	return verdict_name(v == V_FASTER ? V_SLOWER : v == V_SLOWER ? V_FASTER : v);
}
