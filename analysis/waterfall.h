/* waterfall: "where the time goes" of an instrumented run (--phases, and
 * --inittrace when present): one lane per runsc process, a row per interval
 * between its markers, each arm's bar in the row on one time axis, the
 * change of each interval against the first arm with its interval; see
 * waterfall.c for what the bars are exactly. */
#ifndef GVAB_WATERFALL_H
#define GVAB_WATERFALL_H

#include <stdio.h>

#include "analysis.h"

/* Appends the table to md and renders BASE-waterfall (.dat, .gp, .png at
 * twice the density, .svg) into out_dir, adding to *charts. A run without
 * phase markers adds nothing. 0, or negative (gnuplot failing). */
int waterfall_section(FILE *md, const struct run_analysis *ra, const char *out_dir, const char *base,
                      int *charts);

#endif
