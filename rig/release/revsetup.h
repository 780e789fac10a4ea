/* revsetup: what bisect and trend share about their revisions: where the
 * source comes from, how each revision is built (arm spec, patch series,
 * cache, toolchain), how it is booted (bundle, extra gvab run arguments)
 * and how two of them are compared (metric, threshold, alpha), and the chart of
 * a metric along revisions. */
#ifndef GVAB_REVSETUP_H
#define GVAB_REVSETUP_H

#include "runspec.h"

struct revision_setup {
	const char *source;          /* git URL/path or "module" */
	const char *arm;             /* arm spec every revision is built with ("stock") */
	const char *cache_dir;
	const char *patches_dir;
	const char *const *series_dirs; /* NULL-terminated or NULL */
	const char *go;              /* NULL: build's default */
	int offline;
	const char *bundle;
	const struct run_spec *run_base; /* what every run gets besides its arms and rounds
	                                  * (knob settings); NULL: gvab run's defaults */
	const char *metric;          /* phase name, default "core" */
	double threshold_pct;
	double alpha;
	int progress;
};

/* A run spec for one of the revisions' runs: gvab run's defaults, the
 * bundle and rs->run_base's knob settings, quiet (progress is the
 * caller's); arms, out_dir, rounds and order are the caller's to add.
 * Free with run_spec_free. */
void revision_run_spec(const struct revision_setup *rs, struct run_spec *s);

/* The chart NAME.png in out_dir of NAME.dat, whose rows are "i p50 lo hi
 * \"label\" kind": titled "gvab NAME: METRIC p50 TITLE", x axis xlabel,
 * the key at `key`, then `plot` (the plot command's series, from NAME.dat).
 * The chart is an extra: a failure is said on stderr and not returned. */
void revision_chart(const char *out_dir, const char *name, const char *metric, const char *title,
                    const char *xlabel, const char *key, const char *plot);

#endif
