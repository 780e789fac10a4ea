/* hostfig: the per-host figures a comparison across hosts publishes, as
 * gnuplot charts (SVG, and PNG at twice the pixel density):
 *   core_by_host   each host's CORE median per arm, a dot with whiskers that
 *                  are the 95% interval of the median, one row per host;
 *   shift_by_host  each host's shift of B against A in % with its verdict
 *                  interval and the +-threshold band, one row per host.
 * Rows keep the order of `runs` (report_load sorts them by --sort). Labels
 * are shown exactly as the inventory or --label wrote them (gnuplot
 * single-quoted literals, no enhanced text), wrapped at word boundaries.
 * The numbers behind each chart are in NAME.dat next to it, and they are
 * the numbers the tables print: hostfig_interval is the one interval of a
 * median that report.html's tables and results.json show. */
#ifndef GVAB_HOSTFIG_H
#define GVAB_HOSTFIG_H

#include "analysis.h"

#include <stddef.h>

/* The 95% distribution-free interval of an arm's median of `phase`
 * (order statistics, 2.5% per side); NaN ends when there are too few
 * boots for one. */
void hostfig_interval(const struct arm_stats *as, int phase, double *lo, double *hi);

/* Run i's label as a reader should see it: the --label / inventory name,
 * with the SKU of its inventory entry when there is one, and the run
 * directory's name when two runs share a label. */
void hostfig_label(const struct run_analysis *runs, size_t nruns, size_t i, char *buf, size_t len);

/* Splits `s` into lines of at most `cols` characters (UTF-8 aware, at a
 * space, '-', '_', '.', '/' or ',' when there is one); returns the number
 * of lines and their starts/lengths in `start`/`len` (at most `max`; the
 * last line keeps the rest). */
size_t hostfig_wrap(const char *s, size_t cols, size_t max, size_t *start, size_t *len);

/* Writes and renders core_by_host and shift_by_host (`phase` CORE in the
 * report) into dir. Returns the number of charts, or negative on error. */
int hostfig_render(const struct run_analysis *runs, size_t nruns, const char *dir, int phase,
                   double threshold_pct);

#endif
