/* html_svg: see html_svg.h. */
#define _GNU_SOURCE
#include "html_svg.h"
#include "hostfig.h"
#include "palette.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Geometry in SVG user units (= CSS px at natural size). Characters per
 * line come from DejaVu Sans' widest common glyphs (~0.62 em): 12 px text
 * wraps at 60 columns in 464 units, 13 px bold at 50. */
#define W 480.0
#define PAD 8.0
#define X0 28.0
#define X1 (W - 28.0)
#define LABEL_COLS 60
#define TITLE_COLS 50
#define MAX_LINES 8

void html_esc(FILE *f, const char *s)
{
	html_escn(f, s, (size_t)-1);
}

void html_escn(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; s && *s && i < max; s++, i++) {
		unsigned char c = (unsigned char)*s;
		if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '&')
			fputs("&amp;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c == '\'')
			fputs("&#39;", f);
		else if (c < 32 || c == 127)
			fputc(' ', f);
		else
			fputc(c, f);
	}
}

/* True when arm a of run i is the first appearance of its name in runs. */
static int first_appearance(const struct run_analysis *runs, size_t i, size_t a)
{
	const char *n = runs[i].arms[a].name;
	for (size_t j = 0; j <= i; j++)
		for (size_t b = 0; b < (j == i ? a : runs[j].narms); b++)
			if (strcmp(runs[j].arms[b].name, n) == 0)
				return 0;
	return 1;
}

static const char *html_arm_colour(const struct html_ctx *x, const char *name)
{
	size_t k = 0;
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t a = 0; a < x->runs[i].narms; a++) {
			int first = first_appearance(x->runs, i, a);
			if (strcmp(x->runs[i].arms[a].name, name) == 0)
				return palette_colours[k % PALETTE_N];
			k += first;
		}
	return palette_colours[0];
}

void html_fmt_pct(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, "%+.1f%%", fabs(v) < 0.05 ? 0.0 : v);
	else
		snprintf(buf, len, "%s", "");
}

/* A tick step of 1, 2 or 5 x 10^k giving at most `max_ticks` over `span`. */
static double html_nice_step(double span, int max_ticks)
{
	if (!(span > 0) || !isfinite(span))
		return 1;
	double raw = span / max_ticks, mag = pow(10, floor(log10(raw)));
	static const double m[] = {1, 2, 5, 10};
	for (int i = 0; i < 4; i++)
		if (m[i] * mag >= raw * (1 - 1e-9))
			return m[i] * mag;
	return 10 * mag;
}

/* Text wrapped into lines of `cols`, one <text> per line, each `dy` below
 * the last, starting at baseline *y (advanced past the last line). */
static void text_lines(FILE *f, const char *s, size_t cols, double x, double *y, double dy,
                       const char *cls)
{
	size_t st[MAX_LINES], ln[MAX_LINES];
	size_t n = hostfig_wrap(s, cols, MAX_LINES, st, ln);
	for (size_t k = 0; k < n; k++) {
		char *part = util_fmt("%.*s", (int)ln[k], s + st[k]);
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"%s\">", x, *y, cls);
		html_esc(f, part);
		fputs("</text>\n", f);
		free(part);
		*y += dy;
	}
}

/* An axis from lo to hi (rounded out to ticks): its range in *lo and *hi, its
 * step returned. */
static double axis_range(double *lo, double *hi)
{
	if (!(*hi > *lo)) {
		*lo -= 1;
		*hi += 1;
	}
	double step = html_nice_step(*hi - *lo, 5);
	*lo = floor(*lo / step) * step;
	*hi = ceil(*hi / step) * step;
	return step;
}

static double xpos(double v, double lo, double hi)
{
	v = v < lo ? lo : v > hi ? hi : v;
	return X0 + (X1 - X0) * (v - lo) / (hi - lo);
}

/* Ticks, grid lines from `top` and the axis title under the plot; returns
 * the height of the chart. */
static double axis(FILE *f, double lo, double hi, double step, double top, double y, const char *unit,
                   const char *title)
{
	fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", X0, X1, y, y);
	for (double t = lo; t <= hi + step * 1e-6; t += step) {
		double v = fabs(t) < step * 1e-6 ? 0 : t, px = xpos(v, lo, hi);
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
		           "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
		        px, px, top, y, px, px, y, y + 4);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%g%s</text>\n", px, y + 17, v, unit);
	}
	y += 36;
	text_lines(f, title, LABEL_COLS, W / 2, &y, 15, "axis");
	return y;
}

static void svg_open(FILE *f, double h, const char *cls, const char *aria)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
	           "%.0f\" role=\"img\" aria-label=\"%s\" class=\"chart %s\">\n",
	        W, h, W, h, aria, cls);
}

/* The chart body goes into a memory stream first: its height is known
 * once every label has wrapped. */
static void svg_emit(FILE *f, char *body, double h, const char *cls, const char *aria)
{
	svg_open(f, h, cls, aria);
	fputs(body, f);
	fputs("</svg>\n", f);
	free(body);
}

static void legend(FILE *f, const struct html_ctx *x, double *y)
{
	double lx = PAD;
	*y += 4;
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t a = 0; a < x->runs[i].narms; a++) {
			if (!first_appearance(x->runs, i, a))
				continue;
			const char *nm = x->runs[i].arms[a].name;
			double w = 16 + 7.5 * (double)strlen(nm) + 16;
			if (lx + w > W - PAD && lx > PAD) {
				lx = PAD;
				*y += 18;
			}
			fprintf(f, "<circle cx=\"%.0f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/><text x=\"%.0f\" y=\"%.1f\" "
			           "class=\"leg\">",
			        lx + 5, *y - 4, html_arm_colour(x, nm), lx + 14, *y);
			html_esc(f, nm);
			fputs("</text>\n", f);
			lx += w;
		}
	*y += 22;
}

void html_svg_hosts(FILE *out, const struct html_ctx *x, int phase)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t a = 0; a < x->runs[i].narms; a++) {
			const struct arm_stats *as = &x->runs[i].arms[a];
			double l, h, m = as->ph[phase].median;
			hostfig_interval(as, phase, &l, &h);
			lo = fmin(lo, isfinite(l) ? l : m);
			hi = fmax(hi, isfinite(h) ? h : m);
		}
	double step = axis_range(&lo, &hi), y = 18;
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	char *title = util_fmt("%s per host: median (dot) and 95%% interval of the median (whiskers), ms",
	                       phase == PH_CORE ? "CORE (runsc create + start)" : sample_phase_names[phase]);
	text_lines(f, title, TITLE_COLS, PAD, &y, 17, "title");
	free(title);
	legend(f, x, &y);
	double top = y - 12;
	for (size_t i = 0; i < x->nruns; i++) {
		const struct run_analysis *ra = &x->runs[i];
		char lab[512];
		hostfig_label(x->runs, x->nruns, i, lab, sizeof lab);
		text_lines(f, lab, LABEL_COLS, PAD, &y, 15, "lab");
		y -= 4;
		for (size_t a = 0; a < ra->narms; a++) {
			const struct arm_stats *as = &ra->arms[a];
			double l, h, m = as->ph[phase].median;
			hostfig_interval(as, phase, &l, &h);
			const char *col = html_arm_colour(x, as->name);
			if (isfinite(l) && isfinite(h))
				fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
				           "stroke-width=\"2\"/>\n",
				        xpos(l, lo, hi), xpos(h, lo, hi), y, y, col);
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"><title>", xpos(m, lo, hi), y, col);
			html_esc(f, as->name);
			if (isfinite(l) && isfinite(h))
				fprintf(f, ": %.1f ms [%.1f, %.1f], n=%zu</title></circle>\n", m, l, h, as->n_ok);
			else
				fprintf(f, ": %.1f ms, too few boots for an interval (n=%zu)</title></circle>\n", m,
				        as->n_ok);
			y += 12;
		}
		y += 14;
	}
	char *at = util_fmt("%s median (ms)", phase == PH_CORE ? "CORE" : sample_phase_names[phase]);
	double h = axis(f, lo, hi, step, top, y - 12, "", at);
	free(at);
	fclose(f);
	char *aria = util_fmt("%s median per host and arm", sample_phase_names[phase]);
	svg_emit(out, body, h, "hosts", aria);
	free(aria);
}

static double pct(double ms, double base)
{
	return base > 0 ? 100.0 * ms / base : NAN;
}

/* One forest row: label, the estimate in words, the whisker. */
static void forest_row(FILE *f, const struct html_ctx *x, size_t i, const struct comparison *c, double lo,
                       double hi, double *y)
{
	const struct run_analysis *ra = &x->runs[i];
	char lab[512], m[32], a[32], b[32], line[256];
	hostfig_label(x->runs, x->nruns, i, lab, sizeof lab);
	char *full = util_fmt("%s: %s vs %s", lab, ra->arms[c->b].name, ra->arms[c->a].name);
	text_lines(f, full, LABEL_COLS, PAD, y, 15, "lab");
	free(full);
	double l = pct(c->shift_lo, c->med_a), h = pct(c->shift_hi, c->med_a), s = pct(c->shift_ms, c->med_a);
	html_fmt_pct(m, sizeof m, s);
	html_fmt_pct(a, sizeof a, l);
	html_fmt_pct(b, sizeof b, h);
	size_t n = c->used_paired ? c->npairs : ra->arms[c->b].n_ok;
	if (isfinite(l) && isfinite(h))
		snprintf(line, sizeof line, "%s [%s, %s]: %s", m, a, b, verdict_name(c->verdict));
	else {
		char why[64];
		int few = analysis_open_reason(c, n, why, sizeof why);
		snprintf(line, sizeof line, "%s: %s%s", m, why, few ? " for an interval" : "");
	}
	text_lines(f, line, LABEL_COLS, PAD, y, 15, "val");
	*y -= 4;
	const char *col = html_arm_colour(x, ra->arms[c->b].name);
	if (isfinite(l) && isfinite(h))
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>\n",
		        xpos(l, lo, hi), xpos(h, lo, hi), *y, *y, col);
	if (isfinite(s))
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", xpos(s, lo, hi), *y, col);
	*y += 26;
}

void html_svg_forest(FILE *out, const struct html_ctx *x, int phase, double thr)
{
	double lo = -thr, hi = thr;
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t k = 0; k < x->runs[i].ncmp; k++) {
			const struct comparison *c = &x->runs[i].cmp[k];
			double v[3] = {pct(c->shift_lo, c->med_a), pct(c->shift_ms, c->med_a), pct(c->shift_hi, c->med_a)};
			/* Half an interval is not drawn (forest_row), so it does not
			 * set the axis: a log-scale lower end of -inf is -100% here
			 * and squeezed sixteen hosts' dots into a third of the axis. */
			if (!isfinite(v[0]) || !isfinite(v[2]))
				v[0] = v[2] = NAN;
			for (int j = 0; c->phase == phase && j < 3; j++)
				if (isfinite(v[j])) {
					lo = fmin(lo, v[j]);
					hi = fmax(hi, v[j]);
				}
		}
	double step = axis_range(&lo, &hi), y = 18;
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	char *title = util_fmt("%s: shift of B against A (%% of A's median), Hodges-Lehmann estimate (dot) "
	                       "and verdict interval (whiskers)",
	                       phase == PH_CORE ? "CORE" : sample_phase_names[phase]);
	text_lines(f, title, TITLE_COLS, PAD, &y, 17, "title");
	free(title);
	y += 8;
	double top = y - 14;
	/* The band and the zero line go under the rows, whose extent is known
	 * once they are written: rows go to their own stream first. */
	char *rows = NULL;
	size_t rl = 0;
	FILE *r = open_memstream(&rows, &rl);
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t k = 0; k < x->runs[i].ncmp; k++)
			if (x->runs[i].cmp[k].phase == phase)
				forest_row(r, x, i, &x->runs[i].cmp[k], lo, hi, &y);
	fclose(r);
	double bottom = y - 14;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#e8e8e8\"/>\n",
	        xpos(-thr, lo, hi), top, xpos(thr, lo, hi) - xpos(-thr, lo, hi), bottom - top);
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n",
	        xpos(0, lo, hi), xpos(0, lo, hi), top, bottom);
	fputs(rows, f);
	free(rows);
	char *at = util_fmt("shift (%%); grey band: within \xc2\xb1%g%%, the same; dashed: no change", thr);
	double h = axis(f, lo, hi, step, top, bottom, "%", at);
	free(at);
	fclose(f);
	char *aria = util_fmt("Forest plot of %s shifts", sample_phase_names[phase]);
	svg_emit(out, body, h, "forest", aria);
	free(aria);
}
