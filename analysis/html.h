/* html: one self-contained report page (report.html) for people to read:
 * the answer first (per comparison on the primary metric: delta, interval
 * and verdict in words), then the per-host table, the charts as inline SVG
 * drawn here (a forest plot of the shifts with a zero line and the
 * +-threshold band, and the per-host medians with their intervals, one
 * colour-blind-safe palette), methodology, host facts, drift, and each
 * arm's provenance.
 *
 * Self-contained: no script, no external file, font or image; a
 * Content-Security-Policy of default-src 'none' makes the browser refuse
 * any request the page could still make. It reads on a phone (fluid
 * layout, tables scroll sideways) and prints (print stylesheet).
 *
 * Every text from a run directory is HTML-escaped.
 */
#ifndef GVAB_HTML_H
#define GVAB_HTML_H

#include "analysis.h"

/* Writes the page to `path` for runs that analysis_compare and
 * analysis_adjust have filled with options `o`; `phase` is the primary
 * metric (PH_CORE). */
int html_report(const struct run_analysis *runs, size_t nruns, const struct analysis_opts *o,
                int phase, const char *path);

/* The forest plot alone as an SVG document (also embedded in the page). */
int html_forest_svg(const struct run_analysis *runs, size_t nruns, int phase, double threshold_pct,
                    const char *path);

#endif
