/* html: see html.h. */
#define _GNU_SOURCE
#include "html.h"
#include "answer.h"
#include "palette.h"
#include "error.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define palette palette_colours
#define NPAL PALETTE_N

/* One colour per arm name across every run and chart, by first appearance,
 * so an arm keeps its colour wherever it sits in a run. */
static const struct run_analysis *g_runs;
static size_t g_nruns;

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

static size_t arm_colour_index(const char *name)
{
	size_t k = 0;
	for (size_t i = 0; i < g_nruns; i++)
		for (size_t a = 0; a < g_runs[i].narms; a++) {
			int first = first_appearance(g_runs, i, a);
			if (strcmp(g_runs[i].arms[a].name, name) == 0)
				return k % NPAL;
			k += first;
		}
	return 0;
}

static const char *arm_colour(const char *name)
{
	return palette[arm_colour_index(name)];
}

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
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

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *jobj(const cJSON *o, const char *k)
{
	return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static double pct(double ms, double base)
{
	return base > 0 ? 100.0 * ms / base : NAN;
}

/* A run's label with its SKU when run.json's host_meta has one. */
static void run_label(const struct run_analysis *ra, char *buf, size_t len)
{
	const char *sku = jstr(jobj(ra->run, "host_meta"), "sku");
	int shared = 0;
	for (size_t i = 0; i < g_nruns; i++)
		shared |= &g_runs[i] != ra && strcmp(g_runs[i].label, ra->label) == 0;
	const char *base = strrchr(ra->dir, '/');
	base = base && base[1] ? base + 1 : ra->dir;
	if (shared && sku)
		snprintf(buf, len, "%s (%s) %s", ra->label, sku, base);
	else if (shared)
		snprintf(buf, len, "%s %s", ra->label, base);
	else if (sku)
		snprintf(buf, len, "%s (%s)", ra->label, sku);
	else
		snprintf(buf, len, "%s", ra->label);
}

static const char *verdict_words(enum verdict v)
{
	switch (v) {
	case V_FASTER: return "faster";
	case V_SLOWER: return "slower";
	case V_SAME: return "the same within the threshold";
	default: return "undecided: the interval is too wide to say";
	}
}

static void fmt_pct(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, "%+.1f%%", v);
	else
		snprintf(buf, len, "%s", v > 0 ? "+&#8734;" : "&#8722;&#8734;");
}

/* ---- SVG charts ------------------------------------------------------- */

struct row {
	const struct run_analysis *ra;
	const struct comparison *c;
};

static size_t primary_rows(const struct run_analysis *runs, size_t nruns, int phase, struct row **out)
{
	size_t n = 0;
	*out = NULL;
	for (size_t i = 0; i < nruns; i++)
		for (size_t k = 0; k < runs[i].ncmp; k++)
			if (runs[i].cmp[k].phase == phase) {
				*out = util_xrealloc(*out, (n + 1) * sizeof **out);
				(*out)[n].ra = &runs[i];
				(*out)[n].c = &runs[i].cmp[k];
				n++;
			}
	return n;
}

static void forest(FILE *f, const struct run_analysis *runs, size_t nruns, int phase, double thr)
{
	struct row *rows;
	size_t n = primary_rows(runs, nruns, phase, &rows);
	const double lw = 300, pw = 420, rh = 30, top = 44, bottom = 46;
	double lo = -thr, hi = thr;
	for (size_t i = 0; i < n; i++) {
		const struct comparison *c = rows[i].c;
		double v[3] = {pct(c->shift_lo, c->med_a), pct(c->shift_ms, c->med_a), pct(c->shift_hi, c->med_a)};
		for (int k = 0; k < 3; k++)
			if (isfinite(v[k])) {
				lo = v[k] < lo ? v[k] : lo;
				hi = v[k] > hi ? v[k] : hi;
			}
	}
	double span = hi - lo;
	lo -= span * 0.08 + 1;
	hi += span * 0.08 + 1;
	double W = lw + pw + 30, H = top + rh * (double)(n ? n : 1) + bottom;
#define X(v) (lw + pw * (((v) < lo ? lo : (v) > hi ? hi : (v)) - lo) / (hi - lo))
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
	           "role=\"img\" aria-label=\"Forest plot of %s shifts\" class=\"chart forest\">\n",
	        W, H, sample_phase_names[phase]);
	fprintf(f, "<text x=\"%.0f\" y=\"20\" class=\"title\">%s: shift of each arm against its run's "
	           "first arm (%% of its median), verdict interval</text>\n", 8.0, sample_phase_names[phase]);
	/* The +-threshold band and the zero line. */
	fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\" fill=\"#e8e8e8\"/>\n", X(-thr),
	        top - 8, X(thr) - X(-thr), rh * (double)n + 8);
	fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#333\" "
	           "stroke-dasharray=\"4 3\"/>\n", X(0), X(0), top - 8, top + rh * (double)n);
	for (size_t i = 0; i < n; i++) {
		const struct comparison *c = rows[i].c;
		const struct run_analysis *ra = rows[i].ra;
		double y = top + rh * ((double)i + 0.5);
		char lab[256];
		run_label(ra, lab, sizeof lab);
		const char *col = arm_colour(ra->arms[c->b].name);
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" class=\"lab\">", lw - 8, y + 4);
		esc(f, lab);
		fputs(": ", f);
		esc(f, ra->arms[c->b].name);
		fputs(" vs ", f);
		esc(f, ra->arms[c->a].name);
		fputs("</text>\n", f);
		double l = pct(c->shift_lo, c->med_a), h = pct(c->shift_hi, c->med_a), m = pct(c->shift_ms, c->med_a);
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>\n",
		        X(isfinite(l) ? l : lo), X(isfinite(h) ? h : hi), y, y, col);
		if (!isfinite(l))
			fprintf(f, "<path d=\"M%.1f %.1f l8 -5 v10 z\" fill=\"%s\"/>\n", X(lo), y, col);
		if (!isfinite(h))
			fprintf(f, "<path d=\"M%.1f %.1f l-8 -5 v10 z\" fill=\"%s\"/>\n", X(hi), y, col);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"><title>", X(m), y, col);
		char a[32], b[32], mm[32];
		fmt_pct(mm, sizeof mm, m);
		fmt_pct(a, sizeof a, l);
		fmt_pct(b, sizeof b, h);
		fprintf(f, "%s [%s, %s], %s</title></circle>\n", mm, a, b, verdict_name(c->verdict));
	}
	/* Axis ticks. */
	double step = pow(10, floor(log10((hi - lo) / 4)));
	if ((hi - lo) / step > 8)
		step *= 2;
	for (double t = ceil(lo / step) * step; t <= hi; t += step) {
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#999\"/>\n", X(t), X(t),
		        top + rh * (double)n, top + rh * (double)n + 5);
		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\">%+g%%</text>\n", X(t), top + rh * (double)n + 18,
		        fabs(t) < 1e-9 ? 0 : t);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"tick\">grey band: &#177;%g%% threshold; "
	           "dashed: no change</text>\n", lw + pw / 2, H - 6, thr);
#undef X
	fputs("</svg>\n", f);
	free(rows);
}

static void per_host(FILE *f, const struct run_analysis *runs, size_t nruns, int phase)
{
	size_t maxarms = 0;
	double ymax = 1;
	for (size_t i = 0; i < nruns; i++) {
		maxarms = runs[i].narms > maxarms ? runs[i].narms : maxarms;
		for (size_t a = 0; a < runs[i].narms; a++) {
			double lo, hi;
			stats_median_ci(runs[i].arms[a].vals[phase], runs[i].arms[a].n_ok, 0.025, &lo, &hi);
			double top = isfinite(hi) ? hi : runs[i].arms[a].ph[phase].median;
			ymax = top > ymax ? top : ymax;
		}
	}
	const double left = 60, bw = 26, gap = 30, top = 40, ph = 240;
	double gw = bw * (double)maxarms + gap;
	double W = left + gw * (double)nruns + 20, H = top + ph + 86;
	if (W < 360)
		W = 360;
	ymax *= 1.1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
	           "role=\"img\" aria-label=\"%s median per host and arm\" class=\"chart hosts\">\n",
	        W, H, sample_phase_names[phase]);
	fprintf(f, "<text x=\"8\" y=\"20\" class=\"title\">%s p50 per host and arm (ms), 95%% interval of "
	           "the median</text>\n", sample_phase_names[phase]);
	for (int t = 0; t <= 4; t++) {
		double v = ymax * t / 4, y = top + ph - ph * t / 4;
		fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		           "<text x=\"%.0f\" y=\"%.1f\" class=\"ytick\">%.0f</text>\n",
		        left, W - 10, y, y, left - 6, y + 4, v);
	}
	for (size_t i = 0; i < nruns; i++) {
		const struct run_analysis *ra = &runs[i];
		double x0 = left + gw * (double)i + gap / 2;
		for (size_t a = 0; a < ra->narms; a++) {
			const struct arm_stats *as = &ra->arms[a];
			double med = as->ph[phase].median, lo, hi;
			stats_median_ci(as->vals[phase], as->n_ok, 0.025, &lo, &hi);
			double x = x0 + bw * (double)a, y = top + ph - ph * med / ymax;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
			        x, y, bw - 4, top + ph - y, arm_colour(as->name));
			esc(f, as->name);
			fprintf(f, ": %.1f ms, n=%zu</title></rect>\n", med, as->n_ok);
			if (isfinite(lo) && isfinite(hi))
				fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n",
				        x + (bw - 4) / 2, x + (bw - 4) / 2, top + ph - ph * lo / ymax,
				        top + ph - ph * hi / ymax);
		}
		char lab[256];
		run_label(ra, lab, sizeof lab);
		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" class=\"xlab\">", x0 + bw * (double)ra->narms / 2, top + ph + 16);
		esc(f, lab);
		fputs("</text>\n", f);
	}
	/* Legend: every arm name once, in its colour. */
	double lx = left, ly = H - 28;
	for (size_t i = 0; i < nruns; i++)
		for (size_t a = 0; a < runs[i].narms; a++) {
			const char *nm = runs[i].arms[a].name;
			if (!first_appearance(runs, i, a))
				continue;
			double w = 16 + 7.0 * (double)strlen(nm) + 18;
			if (lx + w > W - 10 && lx > left) {
				lx = left;
				ly += 16;
			}
			fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			           "<text x=\"%.0f\" y=\"%.0f\" class=\"leg\">", lx, ly, arm_colour(nm), lx + 16, ly + 10);
			esc(f, nm);
			fputs("</text>\n", f);
			lx += w;
		}
	fputs("</svg>\n", f);
}

/* ---- the page --------------------------------------------------------- */

/* Repeated runs of the same arms and knobs (answer_between_runs): only
 * when the report has some, so pages without them are unchanged. */
static void repeats(FILE *f, const struct run_analysis *runs, size_t nruns, int phase)
{
	struct between_runs *g;
	size_t ng = answer_between_runs(runs, nruns, phase, &g);
	if (ng == 0) {
		free(g);
		return;
	}
	fprintf(f, "<h2 id=\"repeats\">Repeated runs</h2>\n<p>Runs of the same two arms under the same "
	           "knobs, instruments and page-cache treatment: each run's %s shift with its standard error, the sd of the run shifts, a run's "
	           "own standard error (rms) and the between-run sd (the part of the spread a run's own "
	           "interval does not account for). When the between-run sd is larger, one run is not "
	           "enough.</p>\n<div class=\"scroll\"><table><tr><th class=\"l\">B vs A</th>"
	           "<th class=\"l\">runs: shift (s.e.)</th><th>mean</th><th>sd of runs</th>"
	           "<th>run s.e.</th><th>between-run sd</th><th class=\"l\">one run enough?</th></tr>\n",
	        sample_phase_names[phase]);
	for (size_t k = 0; k < ng; k++) {
		fputs("<tr><td class=\"l\">", f);
		esc(f, g[k].cand);
		fputs(" vs ", f);
		esc(f, g[k].base);
		fputs("</td><td class=\"l\">", f);
		for (size_t t = 0; t < g[k].n; t++) {
			char m[32];
			fmt_pct(m, sizeof m, g[k].shift_pct[t]);
			if (t)
				fputs("; ", f);
			esc(f, runs[g[k].run[t]].label);
			fprintf(f, " %s (%.1f%%)", m, g[k].se_pct[t]);
		}
		char m[32];
		fmt_pct(m, sizeof m, g[k].mean_pct);
		fprintf(f, "</td><td>%s</td><td>%.1f%%</td><td>%.1f%%</td><td>%.1f%%</td><td class=\"l\">%s</td></tr>\n",
		        m, g[k].sd_pct, g[k].se_rms_pct, g[k].between_sd_pct,
		        g[k].one_run_enough ? "yes" : "no: repeat runs");
	}
	fputs("</table></div>\n", f);
	free(g);
}

static const char css[] =
	"body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:980px;margin:0 auto;padding:1rem;"
	"color:#111;line-height:1.45}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;"
	"border-bottom:1px solid #ccc}.answer{font-size:1.05rem;background:#f4f7fb;border-left:4px solid "
	"#0072B2;padding:.5rem .8rem;margin:.4rem 0}.scroll{overflow-x:auto}table{border-collapse:collapse;"
	"font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:right;"
	"white-space:nowrap}th{background:#f0f0f0}td.l,th.l{text-align:left}svg .title{font-size:13px;"
	"font-weight:bold}svg .lab{font-size:11px;text-anchor:end}svg .tick,svg .xlab{font-size:10px;"
	"text-anchor:middle}svg .ytick{font-size:10px;text-anchor:end}svg .leg{font-size:11px}"
	"svg text{font-family:'DejaVu Sans',sans-serif;fill:#111}code{font-size:.85em;word-break:break-all}"
	".chart{max-width:100%;height:auto;margin:.5rem 0}"
	"@media print{body{max-width:none;font-size:10pt}.scroll{overflow:visible}h2{break-after:avoid}"
	"svg,table{break-inside:avoid}}";

static void facts_table(FILE *f, const struct run_analysis *runs, size_t nruns)
{
	static const char *const keys[] = {"hostname", "kernel", "cpu_model", "online_cpus", "mem_total_kib",
	                                   "clocksource", "cpufreq_governor", NULL};
	fputs("<div class=\"scroll\"><table><tr><th class=\"l\">run</th>", f);
	for (int k = 0; keys[k]; k++)
		fprintf(f, "<th class=\"l\">%s</th>", keys[k]);
	fputs("<th class=\"l\">knobs</th></tr>\n", f);
	for (size_t i = 0; i < nruns; i++) {
		const cJSON *h = jobj(runs[i].run, "host");
		fputs("<tr><td class=\"l\">", f);
		esc(f, runs[i].label);
		fputs("</td>", f);
		for (int k = 0; keys[k]; k++) {
			const cJSON *v = jobj(h, keys[k]);
			fputs("<td class=\"l\">", f);
			if (cJSON_IsString(v))
				esc(f, v->valuestring);
			else if (cJSON_IsNumber(v))
				fprintf(f, "%.0f", v->valuedouble);
			else
				fputs("&#8212;", f);
			fputs("</td>", f);
		}
		fputs("<td class=\"l\">", f);
		const cJSON *kn = jobj(h, "knobs"), *e;
		cJSON_ArrayForEach(e, kn) if (cJSON_IsString(e))
		{
			esc(f, e->string);
			fputc('=', f);
			esc(f, e->valuestring);
			fputc(' ', f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
}

static void provenance(FILE *f, const struct run_analysis *runs, size_t nruns)
{
	fputs("<div class=\"scroll\"><table><tr><th class=\"l\">run</th><th class=\"l\">arm</th><th class=\"l\">"
	      "source</th><th class=\"l\">revision</th><th class=\"l\">patches</th><th class=\"l\">toolchain</th>"
	      "<th class=\"l\">sha256</th></tr>\n", f);
	for (size_t i = 0; i < nruns; i++) {
		const cJSON *arms = jobj(runs[i].run, "arms"), *a;
		cJSON_ArrayForEach(a, arms)
		{
			const cJSON *p = jobj(a, "provenance");
			fputs("<tr><td class=\"l\">", f);
			esc(f, runs[i].label);
			fputs("</td><td class=\"l\">", f);
			esc(f, jstr(a, "name"));
			fputs("</td><td class=\"l\">", f);
			esc(f, p ? jstr(jobj(p, "source"), "description") : "(not built by gvab)");
			fputs("</td><td class=\"l\"><code>", f);
			const char *rc = jstr(p, "resolved_commit");
			if (rc)
				fprintf(f, "%.12s", rc);
			fputs("</code></td><td class=\"l\">", f);
			const cJSON *s, *pp;
			cJSON_ArrayForEach(s, jobj(p, "series"))
			{
				cJSON_ArrayForEach(pp, jobj(s, "patches"))
				{
					const char *st = jstr(pp, "status");
					if (st && strcmp(st, "not-applicable") == 0)
						continue;
					esc(f, jstr(s, "name"));
					fputs(": ", f);
					esc(f, st);
					fputs("<br>", f);
				}
			}
			fputs("</td><td class=\"l\">", f);
			esc(f, jstr(jobj(p, "go"), "version"));
			fputs("</td><td class=\"l\"><code>", f);
			const char *sha = jstr(a, "sha256");
			if (sha)
				fprintf(f, "%.16s", sha);
			fputs("</code></td></tr>\n", f);
		}
	}
	fputs("</table></div>\n", f);
}

static void write_page(FILE *f, const struct run_analysis *runs, size_t nruns, const struct analysis_opts *o,
                       int phase)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	           "style-src 'unsafe-inline'\">\n"
	           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	           "<title>gvab report</title>\n<style>%s</style></head><body>\n", css);
	/* No time of generation: the page regenerates byte for byte from the
	 * same run directories (each run's own start time is in Methodology). */
	fprintf(f, "<h1>gvab report: gVisor cold boot, %zu run%s</h1>\n<p>Shifts are B &#8722; A "
	           "against each run's first arm A, as %% of A's median, with the verdict interval "
	           "(one-sided error %g per side before the family's split); threshold &#177;%g%%.</p>\n",
	        nruns, nruns == 1 ? "" : "s", o->interval_alpha > 0 ? o->interval_alpha : o->alpha,
	        o->threshold_pct);

	fputs("<h2 id=\"answer\">The answer</h2>\n", f);
	for (size_t i = 0; i < nruns; i++)
		for (size_t k = 0; k < runs[i].ncmp; k++) {
			const struct comparison *c = &runs[i].cmp[k];
			if (c->phase != phase)
				continue;
			char lab[256], m[32], a[32], b[32];
			run_label(&runs[i], lab, sizeof lab);
			fmt_pct(m, sizeof m, pct(c->shift_ms, c->med_a));
			fmt_pct(a, sizeof a, pct(c->shift_lo, c->med_a));
			fmt_pct(b, sizeof b, pct(c->shift_hi, c->med_a));
			fputs("<p class=\"answer\">On <b>", f);
			esc(f, lab);
			fputs("</b>, <b>", f);
			esc(f, runs[i].arms[c->b].name);
			fprintf(f, "</b> takes %.1f ms (%s p50) against %.1f ms for ", c->med_b, sample_phase_names[phase],
			        c->med_a);
			esc(f, runs[i].arms[c->a].name);
			fprintf(f, ": %s [%s, %s], <b>%s</b> (%s, n=%zu).</p>\n", m, a, b, verdict_words(c->verdict),
			        c->used_paired ? "paired" : "unpaired",
			        c->used_paired ? c->npairs : runs[i].arms[c->b].n_ok);
		}

	fputs("<h2 id=\"hosts\">Per host</h2>\n<div class=\"scroll\"><table><tr><th class=\"l\">host / run</th>"
	      "<th class=\"l\">arm</th><th>n ok</th><th>failed</th><th>p50 ms</th><th>95% interval</th>"
	      "<th>p95 ms</th></tr>\n", f);
	for (size_t i = 0; i < nruns; i++)
		for (size_t a = 0; a < runs[i].narms; a++) {
			const struct arm_stats *as = &runs[i].arms[a];
			double lo, hi;
			char lab[256];
			run_label(&runs[i], lab, sizeof lab);
			stats_median_ci(as->vals[phase], as->n_ok, 0.025, &lo, &hi);
			fputs("<tr><td class=\"l\">", f);
			esc(f, lab);
			fputs("</td><td class=\"l\">", f);
			esc(f, as->name);
			fprintf(f, "</td><td>%zu</td><td>%zu</td><td>%.1f</td><td>", as->n_ok, as->n_fail,
			        as->ph[phase].median);
			if (isfinite(lo) && isfinite(hi))
				fprintf(f, "[%.1f, %.1f]", lo, hi);
			else
				fputs("&#8212;", f);
			fprintf(f, "</td><td>%.1f</td></tr>\n", as->ph[phase].p95);
		}
	fputs("</table></div>\n", f);

	repeats(f, runs, nruns, phase);

	fputs("<h2 id=\"charts\">Charts</h2>\n", f);
	forest(f, runs, nruns, phase, o->threshold_pct);
	per_host(f, runs, nruns, phase);

	fputs("<h2 id=\"phases\">Every phase</h2>\n<div class=\"scroll\"><table><tr><th class=\"l\">run</th>"
	      "<th class=\"l\">B vs A</th><th class=\"l\">phase</th><th>A p50</th><th>B p50</th><th>shift</th>"
	      "<th>interval</th><th class=\"l\">verdict</th></tr>\n", f);
	for (size_t i = 0; i < nruns; i++)
		for (size_t k = 0; k < runs[i].ncmp; k++) {
			const struct comparison *c = &runs[i].cmp[k];
			char m[32], a[32], b[32];
			fmt_pct(m, sizeof m, pct(c->shift_ms, c->med_a));
			fmt_pct(a, sizeof a, pct(c->shift_lo, c->med_a));
			fmt_pct(b, sizeof b, pct(c->shift_hi, c->med_a));
			fputs("<tr><td class=\"l\">", f);
			esc(f, runs[i].label);
			fputs("</td><td class=\"l\">", f);
			esc(f, runs[i].arms[c->b].name);
			fputs(" vs ", f);
			esc(f, runs[i].arms[c->a].name);
			fprintf(f, "</td><td class=\"l\">%s</td><td>%.1f</td><td>%.1f</td><td>%s</td><td>[%s, %s]</td>"
			           "<td class=\"l\">%s</td></tr>\n",
			        sample_phase_names[c->phase], c->med_a, c->med_b, m, a, b, verdict_name(c->verdict));
		}
	fputs("</table></div>\n", f);

	fputs("<h2 id=\"method\">Methodology</h2>\n<ul>\n", f);
	for (size_t i = 0; i < nruns; i++) {
		const cJSON *r = runs[i].run;
		const cJSON *it = jobj(r, "iterations"), *wu = jobj(r, "warmups");
		fputs("<li><b>", f);
		esc(f, runs[i].label);
		fputs("</b> (<code>", f);
		esc(f, runs[i].dir);
		const char *order = jstr(r, "order");
		fputs("</code>): order ", f);
		esc(f, order ? order : "?");
		fprintf(f, ", %d measured boots per arm after %d warm-ups, started ",
		        cJSON_IsNumber(it) && fabs(it->valuedouble) < 1e9 ? (int)it->valuedouble : -1,
		        cJSON_IsNumber(wu) && fabs(wu->valuedouble) < 1e9 ? (int)wu->valuedouble : -1);
		esc(f, jstr(r, "started_at"));
		fputs(". Command: <code>", f);
		const cJSON *w;
		cJSON_ArrayForEach(w, jobj(r, "command"))
		{
			if (cJSON_IsString(w)) {
				esc(f, w->valuestring);
				fputc(' ', f);
			}
		}
		fputs("</code></li>\n", f);
	}
	fprintf(f, "<li>Each phase is a child process timed with CLOCK_MONOTONIC from spawn to waitpid; CORE "
	           "= create + start. Shifts are Hodges-Lehmann estimates on log times (paired over same-round "
	           "boots when there are at least 10 pairs) with distribution-free intervals; Holm-adjusted per "
	           "run; alpha %g.</li>\n</ul>\n", o->alpha);

	fputs("<h2 id=\"facts\">Host facts</h2>\n", f);
	facts_table(f, runs, nruns);
	fputs("<h2 id=\"drift\">Drift during the runs</h2>\n<ul>\n", f);
	for (size_t i = 0; i < nruns; i++) {
		const cJSON *d = jobj(runs[i].run, "drift");
		fputs("<li>", f);
		esc(f, runs[i].label);
		fputs(": ", f);
		if (!cJSON_IsArray(d) || cJSON_GetArraySize(d) == 0) {
			fputs("none", f);
		} else {
			char *t = cJSON_PrintUnformatted(d);
			esc(f, t);
			free(t);
		}
		fputs("</li>\n", f);
	}
	fputs("</ul>\n<h2 id=\"provenance\">Arms and provenance</h2>\n", f);
	provenance(f, runs, nruns);
	fputs("<p><small>Made by gvab from run.json and samples.jsonl only; <code>gvab report --html</code> "
	      "regenerates it.</small></p>\n</body></html>\n", f);
}

int html_report(const struct run_analysis *runs, size_t nruns, const struct analysis_opts *o, int phase,
                const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	g_runs = runs;
	g_nruns = nruns;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return error_set("open_memstream: out of memory");
	write_page(f, runs, nruns, o, phase);
	fclose(f);
	int rc = util_write_file_atomic(path, buf, len);
	free(buf);
	return rc;
}

int html_forest_svg(const struct run_analysis *runs, size_t nruns, int phase, double threshold_pct,
                    const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	g_runs = runs;
	g_nruns = nruns;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return error_set("open_memstream: out of memory");
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n", f);
	fputs("<style>.title{font-size:13px;font-weight:bold}.lab{font-size:11px;text-anchor:end}"
	      ".tick{font-size:10px;text-anchor:middle}text{font-family:'DejaVu Sans',sans-serif}</style>\n", f);
	forest(f, runs, nruns, phase, threshold_pct);
	fclose(f);
	/* A standalone SVG needs its style inside the root element. */
	char *svg = strstr(buf, "<svg");
	char *style_end = strstr(buf, "</style>\n");
	char *doc = NULL;
	if (svg && style_end) {
		char *gt = strchr(svg, '>');
		size_t head = (size_t)(gt + 1 - svg);
		size_t slen = (size_t)(style_end + 9 - strstr(buf, "<style>"));
		doc = util_fmt("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n%.*s\n%.*s%s", (int)head, svg, (int)slen,
		               strstr(buf, "<style>"), gt + 1);
	}
	int rc = util_write_file_atomic(path, doc ? doc : buf, strlen(doc ? doc : buf));
	free(doc);
	free(buf);
	return rc;
}
