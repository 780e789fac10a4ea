/* history_page: one self-contained HTML page of every host series (no
 * script, no external file: inline SVG and CSS), like the report. Every
 * stored string is escaped; links to run reports are relative to the
 * page's directory, as stored paths are relative to the working
 * directory. */
#define _GNU_SOURCE
#include "history_int.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

/* "../" per directory of the page's path (relative paths only). */
static void write_link(FILE *f, const char *page, const char *target)
{
	if (target[0] != '/' && page[0] != '/')
		for (const char *c = page; *c; c++)
			if (*c == '/')
				fputs("../", f);
	esc(f, target);
}

struct plot {
	double x0, y0, w, h, lo, hi;
	size_t nrevs;
};

static double px(const struct plot *p, double rev)
{
	return p->x0 + (p->nrevs > 1 ? rev / (double)(p->nrevs - 1) : 0.5) * p->w;
}

static double py(const struct plot *p, double v)
{
	double t = (log(v) - log(p->lo)) / (log(p->hi) - log(p->lo));
	return p->y0 + p->h - t * p->h;
}

static void plot_range(const struct history_series *s, struct plot *p)
{
	p->lo = INFINITY;
	p->hi = 0;
	for (size_t i = 0; i < s->nobs; i++) {
		const struct history_obs *o = &s->obs[i];
		if (o->lo > 0 && o->lo < p->lo)
			p->lo = o->lo;
		if (o->hi > p->hi)
			p->hi = o->hi;
	}
	if (!(p->lo > 0) || !(p->hi > p->lo)) {
		p->lo = 0.5;
		p->hi = 2;
	}
	p->lo /= 1.05;
	p->hi *= 1.05;
}

/* The series as an SVG: each run's figure with its 95% interval (log
 * scale), the pooled revision line, change points as dashed lines. */
static void series_svg(FILE *f, const struct history_series *s, const struct history_detect_result *r)
{
	struct plot p = {.x0 = 70, .y0 = 15, .w = 640, .h = 220, .nrevs = s->nrevs};
	plot_range(s, &p);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"300\" "
	           "role=\"img\"><rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"#fafafa\" "
	           "stroke=\"#ccc\"/>\n", p.x0, p.y0, p.w, p.h);
	for (int t = 0; t <= 4; t++) {
		double v = exp(log(p.lo) + (log(p.hi) - log(p.lo)) * t / 4.0);
		fprintf(f, "<text x=\"%g\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.4g</text>\n",
		        p.x0 - 6, py(&p, v) + 4, v);
	}
	for (size_t k = 0; k < r->nchanges; k++) {
		const struct history_change *c = &r->changes[k];
		if (c->kind == HC_SMALL)
			continue;
		double x = (px(&p, (double)c->before) + px(&p, (double)c->after)) / 2;
		const char *col = c->kind == HC_SLOWER ? "#c0392b" : c->kind == HC_FASTER ? "#1e8449" : "#b9770e";
		fprintf(f, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"%s\" stroke-dasharray=\"5,4\" "
		           "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%g\" font-size=\"11\" fill=\"%s\" "
		           "text-anchor=\"middle\">%s %+.1f%%</text>\n",
		        x, p.y0, x, p.y0 + p.h, col, x, p.y0 + 12, col, history_change_name(c->kind), c->size_pct);
	}
	for (size_t i = 0; i < s->nobs; i++) {
		const struct history_obs *o = &s->obs[i];
		/* Runs of one revision side by side. */
		double x = px(&p, (double)o->rev) + (double)(o->run % 5) * 3 - 6;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2e86c1\"/>"
		           "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#2e86c1\"/>\n",
		        x, py(&p, o->lo > 0 ? o->lo : o->val), x, py(&p, o->hi > 0 ? o->hi : o->val), x,
		        py(&p, o->val > 0 ? o->val : p.lo));
	}
	for (size_t k = 0; k < s->nrevs; k++) {
		double x = px(&p, (double)k);
		fprintf(f, "<text x=\"%.1f\" y=\"%g\" font-size=\"10\" text-anchor=\"end\" "
		           "transform=\"rotate(-30 %.1f %g)\">", x, p.y0 + p.h + 14, x, p.y0 + p.h + 14);
		const char *l = s->revs[k].label;
		esc(f, strlen(l) > 22 ? l + strlen(l) - 22 : l);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

static void series_table(FILE *f, const struct history_series *s, const char *page)
{
	fputs("<table><tr><th>#</th><th>revision</th><th>figures</th><th>pooled [95% interval]</th>"
	      "<th>run reports</th></tr>\n", f);
	size_t nr = s->nrevs ? s->nrevs : 1, i = 0;
	double *e = util_xcalloc(nr, sizeof *e), *lo = util_xcalloc(nr, sizeof *lo), *hi = util_xcalloc(nr, sizeof *hi);
	int *nf = util_xcalloc(nr, sizeof *nf);
	int from; /* pooled as `history show` pools */
	history_rev_estimates(s, history_series_tau(s, &from), e, lo, hi, nf);
	for (size_t k = 0; k < s->nrevs; k++) {
		fprintf(f, "<tr><td>%zu</td><td><code>", k + 1);
		esc(f, s->revs[k].label);
		fprintf(f, "</code></td><td>%d</td><td>%.4g [%.4g, %.4g]</td><td>", nf[k], e[k], lo[k], hi[k]);
		/* Observations are sorted by revision. */
		for (; i < s->nobs && s->obs[i].rev == k; i++) {
			const struct history_run_ref *run = &s->runs[s->obs[i].run];
			if (run->report[0]) {
				fputs("<a href=\"", f);
				write_link(f, page, run->report);
				fputs("\">", f);
				esc(f, run->started_at);
				fputs("</a> ", f);
			} else {
				esc(f, run->started_at);
				fputs(" ", f);
			}
		}
		fputs("</td></tr>\n", f);
	}
	free(e);
	free(lo);
	free(hi);
	free(nf);
	fputs("</table>\n", f);
}

static void series_changes(FILE *f, const struct history_series *s, const struct history_detect_result *r,
                           const char *metric)
{
	fputs("<ul>", f);
	size_t shown = 0;
	for (size_t k = 0; k < r->nchanges; k++) {
		const struct history_change *c = &r->changes[k];
		if (c->kind == HC_SMALL)
			continue;
		char cmd[512];
		history_bisect_command(s, c, metric, cmd, sizeof cmd);
		fprintf(f, "<li class=\"%s\"><b>%s</b> between <code>", history_change_name(c->kind),
		        history_change_name(c->kind));
		esc(f, s->revs[c->before].label);
		fputs("</code> and <code>", f);
		esc(f, s->revs[c->after].label);
		fprintf(f, "</code>: %+.1f%% [%+.1f%%, %+.1f%%], p %.2g<br><code>", c->size_pct, c->lo_pct,
		        c->hi_pct, c->p);
		esc(f, cmd);
		fputs("</code></li>\n", f);
		shown++;
	}
	if (!shown)
		fputs("<li>no change point</li>", f);
	fputs("</ul>\n", f);
}

static int cmp_longer(const void *a, const void *b)
{
	const struct history_series *x = *(const struct history_series *const *)a;
	const struct history_series *y = *(const struct history_series *const *)b;
	return (y->nrevs > x->nrevs) - (y->nrevs < x->nrevs);
}

static int write_page(FILE *f, const struct history_series *s, size_t n, const char *metric,
                      const struct history_detect_opts *o, const char *page)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>gvab history</title><style>body{font-family:sans-serif;max-width:980px;margin:1em auto}"
	      "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;font-size:13px}"
	      "li.slower{color:#c0392b}li.faster{color:#1e8449}li.undecided{color:#b9770e}"
	      "code{font-size:12px}</style></head><body>\n<h1>gvab history: ", f);
	esc(f, metric);
	fprintf(f, " p50 per host series</h1>\n<p>Revisions in go-branch order; each dot is one run's "
	           "figure with its 95%% interval (log scale). Change points: binary segmentation "
	           "(alpha %g, minimum magnitude %g%%; docs/history.md).</p>\n", o->alpha, o->min_pct);
	/* Series over several revisions first; a series of one revision has
	 * nothing to chart. */
	const struct history_series **by = util_xcalloc(n ? n : 1, sizeof *by);
	for (size_t i = 0; i < n; i++)
		by[i] = &s[i];
	qsort(by, n, sizeof *by, cmp_longer);
	for (size_t i = 0; i < n; i++) {
		const struct history_series *si = by[i];
		struct history_detect_result r;
		history_detect(si, o, &r);
		fputs("<h2>host ", f);
		esc(f, si->host);
		fputs("</h2>\n<p>", f);
		esc(f, si->bench);
		fprintf(f, "<br>%s; %zu revisions, %zu runs</p>\n",
		        si->anchor ? "ratio to the run's anchor arm" : "absolute values in ms (no anchor)",
		        si->nrevs, si->nruns);
		if (si->nrevs > 1) {
			series_svg(f, si, &r);
			series_changes(f, si, &r, metric);
		}
		series_table(f, si, page);
		free(r.changes);
	}
	free(by);
	if (n == 0)
		fputs("<p>No figures stored.</p>\n", f);
	fputs("</body></html>\n", f);
	return ferror(f) ? -1 : 0;
}

int history_page(struct history_db *db, const char *metric, const struct history_detect_opts *o,
                 const char *out_path)
{
	struct history_query q = {.metric = metric};
	struct history_series *s;
	size_t n;
	int rc = history_series_load(db, &q, &s, &n);
	if (rc < 0)
		return rc;
	char *dir = util_xstrdup(out_path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (dir[0] && util_mkdir_p(dir, 0755) < 0)
			rc = error_setc(GVAB_EPRECOND, "%s: %s", dir, strerror(errno));
	}
	free(dir);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = rc == 0 ? open_memstream(&buf, &len) : NULL;
	if (f) {
		int bad = write_page(f, s, n, metric, o, out_path);
		fclose(f);
		if (bad || util_write_file_atomic(out_path, buf, len) < 0)
			rc = error_setc(GVAB_EPRECOND, "writing %s: %s", out_path, strerror(errno));
	}
	free(buf);
	history_series_free(s, n);
	free(s);
	return rc;
}
