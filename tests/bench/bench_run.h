/* bench_run: one simulated run through the library, for the benchmarks.
 * Boot k of the run took core[k] ms on arm arm[k] (0 = A, 1 = B); boots
 * 2r and 2r + 1 form round r. The decision is gvab's own: the samples go
 * through analysis_index_samples, analysis_compare and analysis_adjust
 * with the shared defaults (verdict.h), CORE only, so the benchmarks
 * measure the rule that `gvab gate` and `gvab report` apply. */
#ifndef GVAB_BENCH_RUN_H
#define GVAB_BENCH_RUN_H

#include "analysis.h"
#include "util.h"

#include <string.h>

/* The first `rounds` rounds through the library, as `gvab gate` decides
 * (one-sided error `look_alpha` for the interval). */
static inline struct comparison bench_decide(const double *core, const int *arm, int rounds,
                                             double alpha, double look_alpha)
{
	struct run_analysis ra;
	memset(&ra, 0, sizeof ra);
	size_t n = (size_t)rounds * 2;
	ra.sf.narms = 2;
	ra.sf.arms = util_xcalloc(2, sizeof *ra.sf.arms);
	ra.sf.arms[0] = util_xstrdup("A");
	ra.sf.arms[1] = util_xstrdup("B");
	ra.sf.s = util_xcalloc(n, sizeof *ra.sf.s);
	ra.sf.n = n;
	for (size_t k = 0; k < n; k++) {
		struct sample *s = &ra.sf.s[k];
		s->seq = (int)k;
		s->arm = arm[k];
		s->round = (int)(k / 2);
		s->ok = 1;
		int64_t ns = (int64_t)(core[k] * 1e6);
		for (int p = 0; p < PH_COUNT; p++)
			s->ns[p] = ns;
	}
	analysis_index_samples(&ra);
	struct analysis_opts o = ANALYSIS_OPTS_DEFAULT;
	o.alpha = alpha;
	o.reps = 1;
	o.phase_mask = 1u << PH_CORE;
	o.interval_alpha = look_alpha;
	analysis_compare(&ra, &o);
	analysis_adjust(&ra, 1, &o, 1u << PH_CORE);
	struct comparison c = ra.cmp[0];
	analysis_free(&ra);
	return c;
}

#endif
