/* charts: gnuplot charts (PNG via pngcairo and SVG) from analysed runs.
 *
 * gnuplot is an external tool: charts_render() writes the data files and
 * one script per chart into the output directory and runs `gnuplot SCRIPT`
 * there (posix_spawn, no shell), so a reader can edit and rerun any chart.
 * Arms keep one colour across every chart (by arm position).
 */
#ifndef GVAB_CHARTS_H
#define GVAB_CHARTS_H

#include "analysis.h"

/* Renders the per-host figures (hostfig.h: core_by_host, shift_by_host)
 * and per run: ecdf, timeline and phases. Returns the number of charts
 * rendered, or negative on error (gnuplot missing or failing). */
int charts_render(struct run_analysis *runs, size_t nruns, const char *out_dir, double threshold_pct);

/* A file-name-safe copy of a label ([A-Za-z0-9.-], others become '_'). */
char *charts_slug(const char *s);

/* The content of a gnuplot double-quoted string showing `s` as it is: no
 * newline, control character or backquote (gnuplot runs `...` as a shell
 * command even inside double quotes) survives, quotes and backslashes are
 * escaped, and enhanced-text markup too when `enhanced` (a string shown by an
 * enhanced terminal). Caller frees. */
char *charts_gp_str(const char *s, int enhanced);

/* `s` as a gnuplot string expression (single-quoted pieces) shown exactly
 * as written (control characters become spaces). Caller frees. */
char *charts_gp_lit(const char *s);

/* Every terminal is `noenhanced`: no text is read as markup. Writes DIR/NAME.gp rendering `body` (gnuplot plot commands) as NAME.png
 * (pngcairo) and NAME.svg, and runs gnuplot in DIR. */
int charts_script(const char *dir, const char *name, const char *body, int width, int height);

#endif
