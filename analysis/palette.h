/* palette: the one set of colours every chart uses (gnuplot charts, the
 * HTML report's SVG, bisect and trend): Okabe and Ito's eight colours,
 * distinguishable with every common colour-vision deficiency, in their
 * usual order. An arm keeps the colour of its position (report charts) or
 * of its name's first appearance (the HTML page). */
#ifndef GVAB_PALETTE_H
#define GVAB_PALETTE_H

static const char *const palette_colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                              "#E69F00", "#56B4E9", "#000000", "#F0E442"};
#define PALETTE_N (sizeof palette_colours / sizeof palette_colours[0])

#endif
