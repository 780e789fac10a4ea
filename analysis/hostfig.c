/* hostfig: see hostfig.h. */
#define _GNU_SOURCE
#include "hostfig.h"
#include "charts.h"
#include "error.h"
#include "palette.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Label columns before a wrap; at 11 pt in a 640 px chart this keeps the
 * plot area above half the width (measured in the 8-host fixture). */
#define LABEL_COLS 24
#define MAX_LINES 6

void hostfig_interval(const struct arm_stats *as, int phase, double *lo, double *hi)
{
	stats_median_ci(as->vals[phase], as->n_ok, 0.025, lo, hi);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void hostfig_label(const struct run_analysis *runs, size_t nruns, size_t i, char *buf, size_t len)
{
	const struct run_analysis *ra = &runs[i];
	const cJSON *meta = ra->run ? cJSON_GetObjectItemCaseSensitive(ra->run, "host_meta") : NULL;
	const char *sku = jstr(meta, "sku");
	int shared = 0;
	for (size_t j = 0; j < nruns; j++)
		shared |= j != i && strcmp(runs[j].label, ra->label) == 0;
	const char *base = strrchr(ra->dir, '/');
	base = base && base[1] ? base + 1 : ra->dir;
	if (shared && sku)
		snprintf(buf, len, "%s (%s) %s", ra->label, sku, base);
	else if (shared)
		snprintf(buf, len, "%s %s", ra->label, base);
	else if (sku && !strstr(ra->label, sku))
		snprintf(buf, len, "%s (%s)", ra->label, sku);
	else
		snprintf(buf, len, "%s", ra->label);
}

size_t hostfig_wrap(const char *s, size_t cols, size_t max, size_t *start, size_t *len)
{
	size_t n = 0, pos = 0, total = strlen(s);
	while (pos < total && n < max) {
		/* Skip the blank a previous line broke at. */
		while (s[pos] == ' ')
			pos++;
		/* The last blank in the line, else the last mark ('-', '.', '/',
		 * ','), else a hard break at `cols`. */
		size_t chars = 0, i = pos, blank = 0, mark = 0;
		while (i < total && chars < cols) {
			unsigned char c = (unsigned char)s[i];
			size_t w = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (c == ' ')
				blank = i;
			else if (strchr("-./,", c))
				mark = i + 1;
			i += w;
			chars++;
		}
		if (i >= total || n + 1 == max) {
			start[n] = pos;
			len[n++] = total - pos;
			break;
		}
		/* A break at the very end of the window is as good as any. */
		if (s[i] == ' ')
			blank = i;
		size_t end = blank > pos ? blank : mark > pos ? mark : i;
		start[n] = pos;
		len[n++] = end - pos;
		pos = end;
	}
	if (n == 0) {
		start[0] = 0;
		len[0] = 0;
		n = 1;
	}
	return n;
}

/* `s` as a gnuplot string expression: single-quoted lines joined by "\n". */
static char *gp_wrapped(const char *s, size_t cols, size_t *nlines)
{
	size_t st[MAX_LINES], ln[MAX_LINES];
	size_t n = hostfig_wrap(s, cols, MAX_LINES, st, ln);
	char *out = util_xstrdup("");
	for (size_t k = 0; k < n; k++) {
		char *part = util_fmt("%.*s", (int)ln[k], s + st[k]);
		char *lit = charts_gp_lit(part);
		char *next = util_fmt("%s%s%s", out, k ? ".\"\\n\"." : "", lit);
		free(out);
		free(part);
		free(lit);
		out = next;
	}
	*nlines = n;
	return out;
}

/* Row labels as a `set ytics (...)` command, row i (from the top) at y =
 * nrows - i; *lines gets the most lines any label wrapped into. */
static void ytics_cmd(FILE *m, char **labels, size_t nrows, size_t *lines)
{
	*lines = 1;
	fputs("  set ytics (", m);
	for (size_t i = 0; i < nrows; i++) {
		size_t nl;
		char *g = gp_wrapped(labels[i], LABEL_COLS, &nl);
		*lines = nl > *lines ? nl : *lines;
		fprintf(m, "%s%s %zu", i ? ", " : "", g, nrows - i);
		free(g);
	}
	fputs(")\n", m);
}

/* Settings both charts share: rows from the top, labels left of the axis
 * without tick marks, a vertical grid, the legend under the plot. */
static void common_head(FILE *m, size_t nrows)
{
	fprintf(m,
	        "  set yrange [0.4:%zu.6]\n  set ytics nomirror scale 0\n  set xtics nomirror\n"
	        "  set grid xtics lc rgb '#dddddd'\n  set border 3\n"
	        "  set key outside top center horizontal\n",
	        nrows);
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char *p = util_fmt("%s/%s", dir, name);
	int rc = util_write_file_atomic(p, text, strlen(text));
	free(p);
	return rc;
}

/* A phase's name as charts show it: "CORE", "create". */
static const char *phase_title(int phase)
{
	static const char *const upper[] = {[PH_CORE] = "CORE", [PH_OVERALL] = "OVERALL"};
	return phase < (int)(sizeof upper / sizeof upper[0]) && upper[phase] ? upper[phase]
	                                                                      : sample_phase_names[phase];
}

/* Arm names at position a across runs ("stock", or "stock / base"). */
static void arm_legend(const struct run_analysis *runs, size_t nruns, size_t a, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t r = 0; r < nruns; r++) {
		if (a >= runs[r].narms)
			continue;
		const char *nm = runs[r].arms[a].name;
		int seen = 0;
		for (size_t q = 0; q < r; q++)
			seen |= a < runs[q].narms && strcmp(runs[q].arms[a].name, nm) == 0;
		if (seen)
			continue;
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s", l ? " / " : "", nm);
	}
}

static int chart_core_by_host(const struct run_analysis *runs, size_t nruns, const char *dir, int phase)
{
	size_t maxarms = 0;
	for (size_t r = 0; r < nruns; r++)
		maxarms = runs[r].narms > maxarms ? runs[r].narms : maxarms;
	/* Data: one block per arm position; y is the row (offset so arm A sits
	 * above arm B), then the median and its interval, then the run. */
	char *dat = NULL, *body = NULL;
	size_t dl = 0, bl = 0;
	FILE *d = open_memstream(&dat, &dl);
	fprintf(d, "# %s p50 ms per host and arm, with the 95%% interval of the median (the "
	           "tables' interval)\n# y p50_ms lo_ms hi_ms run_index arm_index\n",
	        sample_phase_names[phase]);
	double step = maxarms > 1 ? 0.5 / (double)(maxarms - 1) : 0;
	if (step > 0.25)
		step = 0.25;
	for (size_t a = 0; a < maxarms; a++) {
		fprintf(d, "%s# arm position %zu\n", a ? "\n\n" : "", a);
		for (size_t r = 0; r < nruns; r++) {
			if (a >= runs[r].narms)
				continue;
			const struct arm_stats *as = &runs[r].arms[a];
			double lo, hi, med = as->ph[phase].median;
			hostfig_interval(as, phase, &lo, &hi);
			double y = (double)(nruns - r) + step * ((double)(maxarms - 1) / 2 - (double)a);
			/* No interval with too few boots: the whisker collapses to the dot. */
			fprintf(d, "%.3f %.4f %.4f %.4f %zu %zu\n", y, med, isfinite(lo) ? lo : med,
			        isfinite(hi) ? hi : med, r, a);
		}
	}
	fclose(d);
	int rc = write_file(dir, "core_by_host.dat", dat);
	free(dat);
	if (rc < 0)
		return rc;
	char **labels = util_xcalloc(nruns ? nruns : 1, sizeof *labels);
	for (size_t r = 0; r < nruns; r++) {
		char lab[512];
		hostfig_label(runs, nruns, r, lab, sizeof lab);
		labels[r] = util_xstrdup(lab);
	}
	FILE *m = open_memstream(&body, &bl);
	size_t lines;
	fprintf(m, "  set title '%s per host'.\"\\n\".'median (dot), 95%% interval of the median "
	           "(whiskers)'\n  set xlabel '%s median (ms)'\n",
	        phase == PH_CORE ? "Cold boot CORE (runsc create + start)" : phase_title(phase),
	        phase_title(phase));
	common_head(m, nruns);
	ytics_cmd(m, labels, nruns, &lines);
	fputs("  set offsets graph 0.06, graph 0.06, 0, 0\n  plot ", m);
	for (size_t a = 0; a < maxarms; a++) {
		char leg[256];
		arm_legend(runs, nruns, a, leg, sizeof leg);
		char *lit = charts_gp_lit(leg);
		fprintf(m, "%s'core_by_host.dat' index %zu using 2:1:3:4 with xerrorbars pt 7 ps 1.2 lw 1.5 "
		           "lc rgb '%s' title %s",
		        a ? ", " : "", a, palette_colours[a % PALETTE_N], lit);
		free(lit);
	}
	fputs("\n", m);
	fclose(m);
	for (size_t r = 0; r < nruns; r++)
		free(labels[r]);
	free(labels);
	int row_px = 14 * (int)(lines > maxarms ? lines : maxarms) + 12;
	rc = charts_script(dir, "core_by_host", body, 640, 150 + row_px * (int)nruns);
	free(body);
	return rc;
}

static double pct_of(double ms, double base)
{
	return base > 0 ? 100.0 * ms / base : NAN;
}

static int chart_shift_by_host(const struct run_analysis *runs, size_t nruns, const char *dir, int phase,
                               double thr)
{
	size_t nrows = 0;
	for (size_t r = 0; r < nruns; r++)
		for (size_t k = 0; k < runs[r].ncmp; k++)
			nrows += runs[r].cmp[k].phase == phase;
	if (nrows == 0)
		return 0;
	char **labels = util_xcalloc(nrows, sizeof *labels);
	char *dat = NULL, *body = NULL, *notes = NULL;
	size_t dl = 0, bl = 0, nlen = 0;
	FILE *d = open_memstream(&dat, &dl), *nm = open_memstream(&notes, &nlen);
	fprintf(d, "# shift of B against A in %% of A's %s median (the verdict's estimate) and its verdict "
	           "interval\n# y shift_pct lo_pct hi_pct run_index comparison_index\n",
	        sample_phase_names[phase]);
	size_t row = 0;
	double xlo = -thr, xhi = thr;
	for (size_t r = 0; r < nruns; r++)
		for (size_t k = 0; k < runs[r].ncmp; k++) {
			const struct comparison *c = &runs[r].cmp[k];
			if (c->phase != phase)
				continue;
			char lab[512];
			hostfig_label(runs, nruns, r, lab, sizeof lab);
			labels[row] = runs[r].narms > 2
			                  ? util_fmt("%s: %s", lab, runs[r].arms[c->b].name)
			                  : util_xstrdup(lab);
			double y = (double)(nrows - row), s = pct_of(c->shift_ms, c->med_a);
			double lo = pct_of(c->shift_lo, c->med_a), hi = pct_of(c->shift_hi, c->med_a);
			if (isfinite(lo) && isfinite(hi)) {
				fprintf(d, "%.0f %.4f %.4f %.4f %zu %zu\n", y, s, lo, hi, r, k);
				xlo = lo < xlo ? lo : xlo;
				xhi = hi > xhi ? hi : xhi;
			}
			else {
				char why[64];
				analysis_open_reason(c, c->used_paired ? c->npairs : runs[r].arms[c->b].n_ok, why,
				                     sizeof why);
				fprintf(nm, "  set label %zu '%s' at graph 0.02, first %.0f left front\n", row + 1,
				        why, y);
			}
			row++;
		}
	fclose(d);
	fclose(nm);
	int rc = write_file(dir, "shift_by_host.dat", dat);
	free(dat);
	if (rc < 0)
		goto out;
	FILE *m = open_memstream(&body, &bl);
	size_t lines;
	char a[128] = "", b[128] = "";
	arm_legend(runs, nruns, 0, a, sizeof a);
	arm_legend(runs, nruns, 1, b, sizeof b);
	char *la = charts_gp_lit(a), *lb = charts_gp_lit(b);
	/* Arm names in the title only when every run compares the same two. */
	int named = !strstr(a, " / ") && !strstr(b, " / ");
	for (size_t r = 0; r < nruns; r++)
		named &= runs[r].narms == 2;
	fprintf(m, "  set title 'Does B help on every host?'.\"\\n\".'%s shift of '.%s.' against '.%s.', %% of "
	           "'.%s.\"'s median\"\n"
	           "  set xlabel 'shift of B against A (%% of A'.\"'\".'s median)'\n"
	           "  set object 1 rect from %g, graph 0 to %g, graph 1 fc rgb '#e8e8e8' fs solid "
	           "noborder behind\n"
	           "  set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#333333' back\n",
	        phase_title(phase), named ? lb : "'B'", named ? la : "'A'", named ? la : "'A'", -thr, thr);
	common_head(m, nrows);
	ytics_cmd(m, labels, nrows, &lines);
	fputs(notes, m);
	/* Zero and the whole threshold band always show. */
	double pad = (xhi - xlo) * 0.06;
	fprintf(m, "  set xrange [%g:%g]\n", xlo - pad, xhi + pad);
	fprintf(m, "  set key maxcols 1\n"
	           "  plot 'shift_by_host.dat' using 2:1:3:4 with xerrorbars pt 7 ps 1.2 lw 1.5 lc rgb '%s' "
	           "title 'Hodges-Lehmann shift, verdict interval', "
	           "NaN with boxes fs solid fc rgb '#e8e8e8' title 'same: within +-%g%%'\n",
	        palette_colours[1], thr);
	free(la);
	free(lb);
	fclose(m);
	rc = charts_script(dir, "shift_by_host", body, 640, 170 + (14 * (int)lines + 12) * (int)nrows);
out:
	for (size_t i = 0; i < nrows; i++)
		free(labels[i]);
	free(labels);
	free(body);
	free(notes);
	return rc < 0 ? rc : 1;
}

int hostfig_render(const struct run_analysis *runs, size_t nruns, const char *dir, int phase,
                   double threshold_pct)
{
	int rc = chart_core_by_host(runs, nruns, dir, phase);
	if (rc < 0)
		return rc;
	rc = chart_shift_by_host(runs, nruns, dir, phase, threshold_pct);
	return rc < 0 ? rc : 1 + rc;
}
