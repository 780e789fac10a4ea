/* waterfall: where a boot's time goes, from an instrumented run's phase
 * markers (--phases) and package init times (--inittrace); see waterfall.h.
 *
 * One lane per process (runsc create, gofer, sandbox, runsc start), in it
 * one row per interval between consecutive markers of that process (in the
 * baseline arm's median order), every arm's bar in the row, the baseline
 * on top. A bar starts at the arm's median of the interval's first marker
 * (the markers table's number) and is as long as the arm's median of the
 * interval itself, taken per boot (this table's number): medians do not
 * add, so bars are not chained, and each row keeps both numbers exact.
 * Package init runs before a process's first log line (Go runs it before
 * main), so the lane's first row is its init time ending at that line. The
 * change of an interval is the Hodges-Lehmann shift of the arm's per-boot
 * values against the baseline's, with Moses' 95% interval (unpaired). */
#define _GNU_SOURCE
#include "waterfall.h"
#include "charts.h"
#include "palette.h"
#include "error.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Processes in the order they start; the init keys instrument.c gives
 * them (the sandbox writes its init trace into the gofer's log). */
static const struct {
	const char *kind, *lane;
	const char *init_key, *init_label;
} lanes[] = {
	{"create", "runsc create", "create", "package init"},
	{"gofer", "gofer", "gofer+sandbox", "package init (gofer + sandbox)"},
	{"boot", "sandbox", "boot", "package init"},
	{"start", "runsc start", "start", "package init"},
};
#define NLANES (sizeof lanes / sizeof lanes[0])

enum row_kind { ROW_LANE, ROW_INIT, ROW_INTERVAL };

struct wf_row {
	enum row_kind kind;
	size_t lane;
	char *from, *to; /* ROW_INTERVAL: full marker keys ("boot:chroot") */
	double *start, *med, *shift, *lo, *hi; /* per arm */
	size_t *n;
};

struct wf {
	const struct run_analysis *ra;
	struct wf_row *rows;
	size_t nrows, cap;
};

static const cJSON *boot_markers(const struct sample *sm)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(sm->instr, "internal");
	return in ? cJSON_GetObjectItemCaseSensitive(in, "markers") : NULL;
}

static const cJSON *boot_init(const struct sample *sm)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(sm->instr, "inittrace");
	return it ? cJSON_GetObjectItemCaseSensitive(it, "processes_ms") : NULL;
}

static int counted(const struct sample *sm, size_t a)
{
	return sm->arm == (int)a && sm->instr && sm->ok && !sm->warmup && !sm->kind;
}

/* Per boot of arm a: the number under `key` of obj(sm), minus the one
 * under `minus` when given; boots without them are left out. */
static size_t values(const struct run_analysis *ra, size_t a, const cJSON *(*obj)(const struct sample *),
                     const char *key, const char *minus, double **out)
{
	double *v = util_xcalloc(ra->sf.n + 1, sizeof *v);
	size_t n = 0;
	for (size_t k = 0; k < ra->sf.n; k++) {
		const struct sample *sm = &ra->sf.s[k];
		if (!counted(sm, a))
			continue;
		const cJSON *o = obj(sm);
		const cJSON *x = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
		const cJSON *y = o && minus ? cJSON_GetObjectItemCaseSensitive(o, minus) : NULL;
		if (!cJSON_IsNumber(x) || (minus && !cJSON_IsNumber(y)))
			continue;
		v[n++] = x->valuedouble - (y ? y->valuedouble : 0);
	}
	*out = v;
	return n;
}

static double median_of(const struct run_analysis *ra, size_t a, const cJSON *(*obj)(const struct sample *),
                        const char *key, const char *minus)
{
	double *v;
	size_t n = values(ra, a, obj, key, minus, &v);
	double m = n ? stats_median(v, n) : NAN;
	free(v);
	return m;
}

static struct wf_row *add_row(struct wf *w, enum row_kind kind, size_t lane)
{
	if (w->nrows == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->rows = util_xrealloc(w->rows, w->cap * sizeof *w->rows);
	}
	struct wf_row *r = &w->rows[w->nrows++];
	size_t na = w->ra->narms;
	*r = (struct wf_row){.kind = kind, .lane = lane};
	r->start = util_xcalloc(na, sizeof *r->start);
	r->med = util_xcalloc(na, sizeof *r->med);
	r->shift = util_xcalloc(na, sizeof *r->shift);
	r->lo = util_xcalloc(na, sizeof *r->lo);
	r->hi = util_xcalloc(na, sizeof *r->hi);
	r->n = util_xcalloc(na, sizeof *r->n);
	return r;
}

/* Medians, starts and changes of one row, every arm against arm 0. */
static void row_stats(struct wf *w, struct wf_row *r)
{
	const struct run_analysis *ra = w->ra;
	const cJSON *(*obj)(const struct sample *) = r->kind == ROW_INIT ? boot_init : boot_markers;
	const char *key = r->kind == ROW_INIT ? lanes[r->lane].init_key : r->to;
	const char *minus = r->kind == ROW_INIT ? NULL : r->from;
	double *base = NULL;
	size_t nb = values(ra, 0, obj, key, minus, &base);
	char *first = util_fmt("%s:first_line", lanes[r->lane].kind);
	for (size_t a = 0; a < ra->narms; a++) {
		double *v;
		size_t n = values(ra, a, obj, key, minus, &v);
		r->n[a] = n;
		r->med[a] = n ? stats_median(v, n) : NAN;
		r->shift[a] = r->lo[a] = r->hi[a] = NAN;
		if (a > 0 && n && nb)
			stats_shift_ci(base, nb, v, n, 0.025, &r->shift[a], &r->lo[a], &r->hi[a]);
		/* Init ends where the process's first line is. */
		r->start[a] = r->kind == ROW_INIT ? median_of(ra, a, boot_markers, first, NULL) - r->med[a]
		                                  : median_of(ra, a, boot_markers, r->from, NULL);
		free(v);
	}
	free(first);
	free(base);
}

struct keyed {
	const char *key;
	double v;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return strcmp(x->key, y->key);
}

/* One lane's rows: its markers seen in the baseline's boots, in the
 * baseline's median order, consecutive pairs as intervals. */
static void lane_rows(struct wf *w, size_t l, int have_init)
{
	const struct run_analysis *ra = w->ra;
	size_t plen = strlen(lanes[l].kind);
	cJSON *seen = cJSON_CreateObject();
	for (size_t k = 0; k < ra->sf.n; k++) {
		const struct sample *sm = &ra->sf.s[k];
		if (!counted(sm, 0))
			continue;
		const cJSON *e;
		cJSON_ArrayForEach(e, boot_markers(sm))
			if (strncmp(e->string, lanes[l].kind, plen) == 0 && e->string[plen] == ':' &&
			    !cJSON_GetObjectItemCaseSensitive(seen, e->string))
				cJSON_AddTrueToObject(seen, e->string);
	}
	int n = cJSON_GetArraySize(seen), i = 0;
	struct keyed *ks = util_xcalloc((size_t)n + 1, sizeof *ks);
	const cJSON *e;
	cJSON_ArrayForEach(e, seen) {
		ks[i].key = e->string;
		ks[i].v = median_of(ra, 0, boot_markers, e->string, NULL);
		i++;
	}
	qsort(ks, (size_t)n, sizeof *ks, cmp_keyed);
	if (n >= 2 || have_init) {
		add_row(w, ROW_LANE, l);
		if (have_init)
			row_stats(w, add_row(w, ROW_INIT, l));
		for (i = 0; i + 1 < n; i++) {
			struct wf_row *r = add_row(w, ROW_INTERVAL, l);
			r->from = util_xstrdup(ks[i].key);
			r->to = util_xstrdup(ks[i + 1].key);
			row_stats(w, r);
		}
	}
	free(ks);
	cJSON_Delete(seen);
}

static void wf_free(struct wf *w)
{
	for (size_t i = 0; i < w->nrows; i++) {
		struct wf_row *r = &w->rows[i];
		free(r->from);
		free(r->to);
		free(r->start);
		free(r->med);
		free(r->shift);
		free(r->lo);
		free(r->hi);
		free(r->n);
	}
	free(w->rows);
}

/* "first_line -> chroot": the marker names without their process. */
static char *row_label(const struct wf_row *r)
{
	if (r->kind == ROW_LANE)
		return util_xstrdup(lanes[r->lane].lane);
	if (r->kind == ROW_INIT)
		return util_xstrdup(lanes[r->lane].init_label);
	const char *f = strchr(r->from, ':'), *t = strchr(r->to, ':');
	return util_fmt("%s \xe2\x86\x92 %s", f ? f + 1 : r->from, t ? t + 1 : r->to);
}

/* "+1.9 ms [+0.4, +3.1]", or what the data leave open. */
static char *change_text(const struct wf_row *r, size_t a)
{
	if (!isfinite(r->shift[a]))
		return util_fmt("no data (n=%zu)", r->n[a]);
	if (!isfinite(r->lo[a]) || !isfinite(r->hi[a]))
		return util_fmt("%+.1f ms, too few boots (n=%zu)", r->shift[a], r->n[a]);
	return util_fmt("%+.1f ms [%+.1f, %+.1f]", r->shift[a], r->lo[a], r->hi[a]);
}

static void md_table(FILE *md, const struct wf *w)
{
	const struct run_analysis *ra = w->ra;
	fprintf(md, "### Where the time goes: intervals between markers per process, medians\n\n"
	            "A process's package init (--inittrace) runs before its first log line. "
	            "\"starts\" is the median of the interval's first marker (ms after runsc create's "
	            "first log line); each interval is the median of its per-boot length; the change "
	            "is the Hodges-Lehmann shift against %s with its 95%% interval (unpaired).\n\n"
	            "| process | interval |",
	        ra->arms[0].name);
	for (size_t a = 0; a < ra->narms; a++)
		fprintf(md, " %s starts | %s ms |", ra->arms[a].name, ra->arms[a].name);
	for (size_t a = 1; a < ra->narms; a++)
		fprintf(md, " %s vs %s: change ms [95%% interval] |", ra->arms[a].name, ra->arms[0].name);
	fprintf(md, "\n|---|---|");
	for (size_t a = 0; a < ra->narms; a++)
		fprintf(md, "---:|---:|");
	for (size_t a = 1; a < ra->narms; a++)
		fprintf(md, "---:|");
	fprintf(md, "\n");
	for (size_t i = 0; i < w->nrows; i++) {
		const struct wf_row *r = &w->rows[i];
		if (r->kind == ROW_LANE)
			continue;
		char *lab = row_label(r);
		fprintf(md, "| %s | %s |", lanes[r->lane].lane, lab);
		for (size_t a = 0; a < ra->narms; a++)
			fprintf(md, " %.2f | %.2f |", r->start[a], r->med[a]);
		for (size_t a = 1; a < ra->narms; a++) {
			char *c = change_text(r, a);
			fprintf(md, " %s |", c);
			free(c);
		}
		fprintf(md, "\n");
		free(lab);
	}
	fprintf(md, "\n");
}

/* Row i's bar of arm a: its centre (rows count down from 0 at the top)
 * and half height. */
static double bar_y(const struct wf *w, size_t i, size_t a)
{
	size_t na = w->ra->narms;
	return (double)i - 0.2 + (na > 1 ? 0.4 * (double)a / (double)(na - 1) : 0.2);
}

static int wf_chart(const struct wf *w, const char *dir, const char *base, int *charts)
{
	const struct run_analysis *ra = w->ra;
	char *p = util_fmt("%s/%s-waterfall.dat", dir, base);
	FILE *f = fopen(p, "we");
	free(p);
	if (!f)
		return error_set("%s: cannot write chart data", dir);
	double bh = ra->narms > 1 ? 0.32 / (double)(ra->narms - 1) / 2 + 0.04 : 0.3;
	if (bh > 0.2)
		bh = 0.2;
	double xmin = 0, xmax = 1;
	/* Data sets by index: 2a intervals, 2a+1 package init of arm a. */
	fprintf(f, "# waterfall of %s: per arm two data sets (intervals, package init):\n"
	           "# row y x_from x_to median_ms shift_ms lo_ms hi_ms (ms after runsc create's first log line)\n",
	        ra->label);
	for (size_t a = 0; a < ra->narms; a++)
		for (int init = 0; init < 2; init++) {
			fprintf(f, "# arm %s, %s\n", ra->arms[a].name, init ? "package init" : "intervals");
			int any = 0;
			for (size_t i = 0; i < w->nrows; i++) {
				const struct wf_row *r = &w->rows[i];
				if (r->kind == ROW_LANE || (r->kind == ROW_INIT) != init || !isfinite(r->start[a]) ||
				    !isfinite(r->med[a]))
					continue;
				double x0 = r->start[a], x1 = r->start[a] + r->med[a];
				fprintf(f, "%zu %.4f %.4f %.4f %.4f %.4f %.4f %.4f\n", i, bar_y(w, i, a), x0, x1, r->med[a],
				        r->shift[a], r->lo[a], r->hi[a]);
				xmin = fmin(xmin, fmin(x0, x1));
				xmax = fmax(xmax, fmax(x0, x1));
				any = 1;
			}
			/* An empty data set would make gnuplot refuse the plot. */
			if (!any)
				fprintf(f, "0 -10 0 0 0 0 0 0\n");
			fprintf(f, "\n\n");
		}
	if (fclose(f) != 0)
		return error_set("%s: cannot write chart data", dir);
	char *body = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&body, &size);
	if (!m)
		return error_set("open_memstream: out of memory");
	char *title = charts_gp_lit(ra->label);
	fprintf(m, "  set title 'Where the time goes: medians per process, %s on top'.\"\\n\".%s\n"
	           "  set xlabel \"ms after runsc create's first log line (package init runs before a process's first line)\"\n"
	           "  set xrange [%g:%g]\n  set yrange [%g:-0.8]\n  set grid xtics\n  set mxtics\n"
	           "  set key outside top center horizontal maxcols 2\n  set tics nomirror\n  set ytics scale 0 font ',10' (",
	        ra->arms[0].name, title, floor(xmin / 10) * 10, ceil(xmax * 1.02 / 10) * 10,
	        (double)w->nrows - 0.4);
	free(title);
	for (size_t i = 0; i < w->nrows; i++) {
		char *lab = row_label(&w->rows[i]);
		char *l = charts_gp_lit(lab);
		fprintf(m, "%s%s %zu", i ? ", " : "", l, i);
		free(l);
		free(lab);
	}
	/* The change of each arm against the first, right of its bar. */
	fprintf(m, ")\n  set link y2\n  set y2tics scale 0 font ',10' (");
	int n2 = 0;
	for (size_t i = 0; i < w->nrows; i++)
		for (size_t a = 1; a < ra->narms && w->rows[i].kind != ROW_LANE; a++) {
			char *c = change_text(&w->rows[i], a), *l = charts_gp_lit(c);
			fprintf(m, "%s%s %.4f", n2++ ? ", " : "", l, bar_y(w, i, a));
			free(l);
			free(c);
		}
	if (!n2)
		fprintf(m, "'' -10");
	fprintf(m, ")\n");
	/* Lanes apart: a rule above each process's name. */
	for (size_t i = 1; i < w->nrows; i++)
		if (w->rows[i].kind == ROW_LANE)
			fprintf(m, "  set arrow from graph 0, first %.2f to graph 1, first %.2f nohead lc rgb '#999999' lw 1\n",
			        (double)i - 0.5, (double)i - 0.5);
	fprintf(m, "  plot ");
	for (size_t a = 0; a < ra->narms; a++) {
		char *nm = charts_gp_lit(ra->arms[a].name);
		const char *col = palette_colours[a % PALETTE_N];
		fprintf(m, "%s'%s-waterfall.dat' index %zu using (($3+$4)/2):2:3:4:($2-%.3f):($2+%.3f) with "
		           "boxxyerror fs solid 0.85 border lc rgb '%s' lc rgb '%s' title %s, "
		           "'' index %zu using (($3+$4)/2):2:3:4:($2-%.3f):($2+%.3f) with boxxyerror "
		           "fs pattern 4 border lc rgb '%s' lc rgb '%s' title %s.' package init'",
		        a ? ", " : "", base, 2 * a, bh, bh, col, col, nm, 2 * a + 1, bh, bh, col, col, nm);
		free(nm);
	}
	fprintf(m, "\n");
	fclose(m);
	char *name = util_fmt("%s-waterfall", base);
	int rc = charts_script(dir, name, body, 1000, 130 + 26 * (int)w->nrows);
	free(name);
	free(body);
	if (rc == 0)
		(*charts)++;
	return rc;
}

int waterfall_section(FILE *md, const struct run_analysis *ra, const char *out_dir, const char *base,
                      int *charts)
{
	struct wf w = {.ra = ra};
	int have_init = 0;
	for (size_t k = 0; k < ra->sf.n && !have_init; k++)
		have_init = counted(&ra->sf.s[k], 0) && boot_init(&ra->sf.s[k]) != NULL;
	for (size_t l = 0; l < NLANES; l++) {
		int init_here = 0;
		for (size_t k = 0; k < ra->sf.n && have_init && !init_here; k++) {
			const cJSON *pm = counted(&ra->sf.s[k], 0) ? boot_init(&ra->sf.s[k]) : NULL;
			init_here = pm && cJSON_GetObjectItemCaseSensitive(pm, lanes[l].init_key);
		}
		lane_rows(&w, l, init_here);
	}
	int rc = 0;
	if (w.nrows > 0) {
		md_table(md, &w);
		rc = wf_chart(&w, out_dir, base, charts);
	}
	wf_free(&w);
	return rc;
}
