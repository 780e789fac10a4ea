/* revsetup: what bisect and trend share about their revisions: where the
 * source comes from, how each revision is built (arm spec, patch series,
 * cache, toolchain), how it is booted (bundle, extra gvab run arguments)
 * and how two of them are compared (metric, threshold, alpha). */
#ifndef GVAB_REVSETUP_H
#define GVAB_REVSETUP_H

struct revision_setup {
	const char *source;          /* git URL/path or "module" */
	const char *arm;             /* arm spec every revision is built with ("stock") */
	const char *cache_dir;
	const char *patches_dir;
	const char *const *series_dirs; /* NULL-terminated or NULL */
	const char *go;              /* NULL: build's default */
	int offline;
	const char *bundle;
	char *const *run_args;       /* extra gvab run arguments (--set ...), NULL-terminated */
	const char *metric;          /* phase name, default "core" */
	double threshold_pct;
	double alpha;
	int progress;
};

#endif
