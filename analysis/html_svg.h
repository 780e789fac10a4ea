/* html_svg: the inline SVG charts of report.html (and forest.svg), drawn
 * for a page column of 390 to 1280 px:
 *   html_svg_hosts   each host's median per arm, a dot with whiskers that
 *                    are the 95% interval of the median (hostfig_interval,
 *                    the interval the page's table prints);
 *   html_svg_forest  each comparison's shift of B against A in % of A's
 *                    median with its verdict interval, the zero line and
 *                    the +-threshold band.
 * Both are one column: a host's label on a line of its own (wrapped, never
 * cut) above its dots, so long labels fit a phone's width; an SVG carries
 * its natural size (width, viewBox) and the page's CSS scales it down, never
 * up, so text keeps its size on a wide screen. Axis ticks are 1, 2 or 5
 * x 10^k. Every text is XML-escaped.
 *
 * This module keeps no state: a `struct html_ctx` says which runs the page
 * shows (arm colours are by first appearance of the arm's name in them). */
#ifndef GVAB_HTML_SVG_H
#define GVAB_HTML_SVG_H

#include "analysis.h"

#include <stdio.h>

struct html_ctx {
	const struct run_analysis *runs;
	size_t nruns;
};

void html_svg_hosts(FILE *f, const struct html_ctx *x, int phase);
void html_svg_forest(FILE *f, const struct html_ctx *x, int phase, double threshold_pct);

/* Helpers the page shares. */
/* Every string from a run directory reaches the page through html_esc or
 * html_escn (text and attribute values alike), so nothing in run.json or
 * samples.jsonl can open an element; html_escn prints at most `max` bytes. */
void html_esc(FILE *f, const char *s);
void html_escn(FILE *f, const char *s, size_t max);
/* "+1.2%" into buf; "" for a value that is not finite. */
void html_fmt_pct(char *buf, size_t len, double v);

#endif
