/* html: see html.h. The charts are html_svg's; this file writes the page
 * around them, one function per section. */
#define _GNU_SOURCE
#include "html.h"
#include "answer.h"
#include "error.h"
#include "hostfig.h"
#include "html_svg.h"
#include "report.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char *verdict_words(enum verdict v)
{
	switch (v) {
	case V_FASTER: return "faster";
	case V_SLOWER: return "slower";
	case V_SAME: return "the same within the threshold";
	default: return "undecided: the interval is too wide to say";
	}
}

/* A comparison's shift and interval in %, "-24.6% [-29.2%, -20.0%]", or,
 * when no interval can be had, why: "-24.6%, too few boots (n=2)" or
 * "+4.0%, interval open at this noise (n=20)" (analysis_open_reason). */
static void shift_text(FILE *f, const struct run_analysis *ra, const struct comparison *c)
{
	char m[32], a[32], b[32];
	double lo = pct(c->shift_lo, c->med_a), hi = pct(c->shift_hi, c->med_a);
	html_fmt_pct(m, sizeof m, pct(c->shift_ms, c->med_a));
	html_fmt_pct(a, sizeof a, lo);
	html_fmt_pct(b, sizeof b, hi);
	if (isfinite(lo) && isfinite(hi))
		fprintf(f, "%s [%s, %s]", m, a, b);
	else {
		char why[64];
		analysis_open_reason(c, c->used_paired ? c->npairs : ra->arms[c->b].n_ok, why, sizeof why);
		fprintf(f, "%s%s%s", m, *m ? ", " : "", why);
	}
}

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
		html_esc(f, g[k].cand);
		fputs(" vs ", f);
		html_esc(f, g[k].base);
		fputs("</td><td class=\"l\">", f);
		for (size_t t = 0; t < g[k].n; t++) {
			char m[32];
			html_fmt_pct(m, sizeof m, g[k].shift_pct[t]);
			if (t)
				fputs("; ", f);
			html_esc(f, runs[g[k].run[t]].label);
			fprintf(f, " %s (%.1f%%)", m, g[k].se_pct[t]);
		}
		char m[32];
		html_fmt_pct(m, sizeof m, g[k].mean_pct);
		fprintf(f, "</td><td>%s</td><td>%.1f%%</td><td>%.1f%%</td><td>%.1f%%</td><td class=\"l\">%s</td></tr>\n",
		        m, g[k].sd_pct, g[k].se_rms_pct, g[k].between_sd_pct,
		        g[k].one_run_enough ? "yes" : "no: repeat runs");
	}
	fputs("</table></div>\n", f);
	free(g);
}

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
		html_esc(f, runs[i].label);
		fputs("</td>", f);
		for (int k = 0; keys[k]; k++) {
			const cJSON *v = jobj(h, keys[k]);
			fputs("<td class=\"l\">", f);
			if (cJSON_IsString(v))
				html_esc(f, v->valuestring);
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
			html_esc(f, e->string);
			fputc('=', f);
			html_esc(f, e->valuestring);
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
			html_esc(f, runs[i].label);
			fputs("</td><td class=\"l\">", f);
			html_esc(f, jstr(a, "name"));
			fputs("</td><td class=\"l\">", f);
			html_esc(f, p ? jstr(jobj(p, "source"), "description") : "(not built by gvab)");
			fputs("</td><td class=\"l\"><code>", f);
			const char *rc = jstr(p, "resolved_commit");
			if (rc)
				html_escn(f, rc, 12);
			fputs("</code></td><td class=\"l\">", f);
			const cJSON *s, *pp;
			cJSON_ArrayForEach(s, jobj(p, "series"))
			{
				cJSON_ArrayForEach(pp, jobj(s, "patches"))
				{
					const char *st = jstr(pp, "status");
					if (st && strcmp(st, "not-applicable") == 0)
						continue;
					html_esc(f, jstr(s, "name"));
					fputs(": ", f);
					html_esc(f, st);
					fputs("<br>", f);
				}
			}
			fputs("</td><td class=\"l\">", f);
			html_esc(f, jstr(jobj(p, "go"), "version"));
			fputs("</td><td class=\"l\"><code>", f);
			const char *sha = jstr(a, "sha256");
			if (sha)
				html_escn(f, sha, 16);
			fputs("</code></td></tr>\n", f);
		}
	}
	fputs("</table></div>\n", f);
}


static const char css[] =
	"body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:980px;margin:0 auto;padding:1rem;"
	"color:#111;line-height:1.45;overflow-wrap:anywhere}h1{font-size:1.6rem}h2{font-size:1.2rem;"
	"margin-top:2rem;border-bottom:1px solid #ccc}.answer{font-size:1.05rem;background:#f4f7fb;"
	"border-left:4px solid #0072B2;padding:.5rem .8rem;margin:.4rem 0}.scroll{overflow-x:auto;"
	"max-width:100%}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px "
	"solid #ccc;padding:.2rem .45rem;text-align:right;white-space:nowrap}th{background:#f0f0f0}"
	"td.l,th.l{text-align:left}svg .title{font-size:13px;font-weight:bold}svg .lab{font-size:12px}"
	"svg .val{font-size:11px;fill:#333}svg .tick,svg .axis{font-size:11px;text-anchor:middle}"
	"svg .leg{font-size:12px}svg text{font-family:'DejaVu Sans',sans-serif;fill:#111}"
	/* A white halo keeps labels readable where a grid line or the
	 * threshold band passes under them. */
	"svg .lab,svg .val{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}"
	"code{font-size:.85em;word-break:break-all}"
	".chart{display:block;width:100%;max-width:640px;height:auto;margin:.8rem 0}"
	/* A phone's column draws the 480-unit charts at ~0.78 scale: 12 px
	 * there is ~9.4 CSS px (11 px was 8.2, measured at 390 px in
	 * Chromium by the figures (chromium) suite). */
	"@media (max-width:480px){body{padding:.5rem}svg .tick,svg .axis,svg .val{font-size:12px}}"
	"@media print{body{max-width:none;font-size:10pt}.scroll{overflow:visible}h2{break-after:avoid}"
	"svg,table{break-inside:avoid}}";

static void page_head(FILE *f, size_t nruns, const struct analysis_opts *o)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	           "style-src 'unsafe-inline'\">\n"
	           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	           "<title>gvab report</title>\n<style>%s</style></head><body>\n", css);
	/* No time of generation: the page regenerates byte for byte from the
	 * same run directories (each run's own start time is in Methodology). */
	fprintf(f, "<h1>gvab report: gVisor cold boot, %zu run%s</h1>\n<p>Shifts are B &#8722; A "
	           "against each run's first arm A, as %% of A's median: the Hodges-Lehmann shift of log "
	           "times (paired over same-round boots when there are at least 10 pairs, else unpaired), "
	           "with the verdict interval (one-sided error %g per side before the family's split); "
	           "threshold &#177;%g%%. report.md also gives the difference of medians, another "
	           "estimator.</p>\n",
	        nruns, nruns == 1 ? "" : "s", o->interval_alpha > 0 ? o->interval_alpha : o->alpha,
	        o->threshold_pct);
}

static void answer_section(FILE *f, const struct html_ctx *x, int phase)
{
	fputs("<h2 id=\"answer\">The answer</h2>\n", f);
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t k = 0; k < x->runs[i].ncmp; k++) {
			const struct run_analysis *ra = &x->runs[i];
			const struct comparison *c = &ra->cmp[k];
			if (c->phase != phase)
				continue;
			char lab[512];
			hostfig_label(x->runs, x->nruns, i, lab, sizeof lab);
			fputs("<p class=\"answer\">On <b>", f);
			html_esc(f, lab);
			fputs("</b>, <b>", f);
			html_esc(f, ra->arms[c->b].name);
			fprintf(f, "</b> takes %.1f ms (%s median) against %.1f ms for ", c->med_b,
			        sample_phase_names[phase], c->med_a);
			html_esc(f, ra->arms[c->a].name);
			fputs(": shift ", f);
			shift_text(f, ra, c);
			fprintf(f, ", <b>%s</b> (%s, n=%zu).</p>\n", verdict_words(c->verdict), report_estimator(c),
			        c->used_paired ? c->npairs : ra->arms[c->b].n_ok);
		}
}

static void hosts_table(FILE *f, const struct html_ctx *x, int phase)
{
	fputs("<h2 id=\"hosts\">Per host</h2>\n<div class=\"scroll\"><table><tr><th class=\"l\">host / run</th>"
	      "<th class=\"l\">arm</th><th>n ok</th><th>failed</th><th>median ms</th>"
	      "<th>95% interval of the median</th><th>p95 ms</th></tr>\n", f);
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t a = 0; a < x->runs[i].narms; a++) {
			const struct arm_stats *as = &x->runs[i].arms[a];
			double lo, hi;
			char lab[512];
			hostfig_label(x->runs, x->nruns, i, lab, sizeof lab);
			hostfig_interval(as, phase, &lo, &hi);
			fputs("<tr><td class=\"l\">", f);
			html_esc(f, lab);
			fputs("</td><td class=\"l\">", f);
			html_esc(f, as->name);
			fprintf(f, "</td><td>%zu</td><td>%zu</td><td>%.1f</td><td>", as->n_ok, as->n_fail,
			        as->ph[phase].median);
			if (isfinite(lo) && isfinite(hi))
				fprintf(f, "[%.1f, %.1f]", lo, hi);
			else
				fprintf(f, "too few boots (n=%zu)", as->n_ok);
			fprintf(f, "</td><td>%.1f</td></tr>\n", as->ph[phase].p95);
		}
	fputs("</table></div>\n", f);
}

static void phases_table(FILE *f, const struct html_ctx *x)
{
	fputs("<h2 id=\"phases\">Every phase</h2>\n<div class=\"scroll\"><table><tr><th class=\"l\">run</th>"
	      "<th class=\"l\">B vs A</th><th class=\"l\">phase</th><th>A median</th><th>B median</th>"
	      "<th>shift (Hodges-Lehmann) [interval]</th><th class=\"l\">verdict</th></tr>\n", f);
	for (size_t i = 0; i < x->nruns; i++)
		for (size_t k = 0; k < x->runs[i].ncmp; k++) {
			const struct run_analysis *ra = &x->runs[i];
			const struct comparison *c = &ra->cmp[k];
			fputs("<tr><td class=\"l\">", f);
			html_esc(f, ra->label);
			fputs("</td><td class=\"l\">", f);
			html_esc(f, ra->arms[c->b].name);
			fputs(" vs ", f);
			html_esc(f, ra->arms[c->a].name);
			fprintf(f, "</td><td class=\"l\">%s</td><td>%.1f</td><td>%.1f</td><td>", sample_phase_names[c->phase],
			        c->med_a, c->med_b);
			shift_text(f, ra, c);
			fprintf(f, "</td><td class=\"l\">%s</td></tr>\n", verdict_name(c->verdict));
		}
	fputs("</table></div>\n", f);
}

static void methodology_list(FILE *f, const struct html_ctx *x, const struct analysis_opts *o)
{
	fputs("<h2 id=\"method\">Methodology</h2>\n<ul>\n", f);
	for (size_t i = 0; i < x->nruns; i++) {
		const cJSON *r = x->runs[i].run;
		const cJSON *it = jobj(r, "iterations"), *wu = jobj(r, "warmups");
		fputs("<li><b>", f);
		html_esc(f, x->runs[i].label);
		fputs("</b> (<code>", f);
		html_esc(f, x->runs[i].dir);
		const char *order = jstr(r, "order");
		fputs("</code>): order ", f);
		html_esc(f, order ? order : "?");
		fprintf(f, ", %d measured boots per arm after %d warm-ups, started ",
		        cJSON_IsNumber(it) && fabs(it->valuedouble) < 1e9 ? (int)it->valuedouble : -1,
		        cJSON_IsNumber(wu) && fabs(wu->valuedouble) < 1e9 ? (int)wu->valuedouble : -1);
		html_esc(f, jstr(r, "started_at"));
		fputs(". Command: <code>", f);
		const cJSON *w;
		cJSON_ArrayForEach(w, jobj(r, "command"))
		{
			if (cJSON_IsString(w)) {
				html_esc(f, w->valuestring);
				fputc(' ', f);
			}
		}
		fputs("</code></li>\n", f);
	}
	fprintf(f, "<li>Each phase is a child process timed with CLOCK_MONOTONIC from spawn to waitpid; CORE "
	           "= create + start. Shifts are Hodges-Lehmann estimates on log times (paired over same-round "
	           "boots when there are at least 10 pairs) with distribution-free intervals; Holm-adjusted per "
	           "run; alpha %g. The interval of a median is distribution-free (order statistics, 2.5%% per "
	           "side).</li>\n</ul>\n", o->alpha);
}

static void drift_list(FILE *f, const struct html_ctx *x)
{
	fputs("<h2 id=\"drift\">Drift during the runs</h2>\n<ul>\n", f);
	for (size_t i = 0; i < x->nruns; i++) {
		const cJSON *d = jobj(x->runs[i].run, "drift");
		fputs("<li>", f);
		html_esc(f, x->runs[i].label);
		fputs(": ", f);
		if (!cJSON_IsArray(d) || cJSON_GetArraySize(d) == 0) {
			fputs("none", f);
		} else {
			char *t = cJSON_PrintUnformatted(d);
			html_esc(f, t);
			free(t);
		}
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

static void write_page(FILE *f, const struct html_ctx *x, const struct analysis_opts *o, int phase)
{
	page_head(f, x->nruns, o);
	answer_section(f, x, phase);
	hosts_table(f, x, phase);
	repeats(f, x->runs, x->nruns, phase);
	fputs("<h2 id=\"charts\">Charts</h2>\n", f);
	html_svg_forest(f, x, phase, o->threshold_pct);
	html_svg_hosts(f, x, phase);
	phases_table(f, x);
	methodology_list(f, x, o);
	fputs("<h2 id=\"facts\">Host facts</h2>\n", f);
	facts_table(f, x->runs, x->nruns);
	drift_list(f, x);
	fputs("<h2 id=\"provenance\">Arms and provenance</h2>\n", f);
	provenance(f, x->runs, x->nruns);
	fputs("<p><small>Made by gvab from run.json and samples.jsonl only; <code>gvab report --html</code> "
	      "regenerates it.</small></p>\n</body></html>\n", f);
}

int html_report(const struct run_analysis *runs, size_t nruns, const struct analysis_opts *o, int phase,
                const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	struct html_ctx x = {runs, nruns};
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return error_set("open_memstream: out of memory");
	write_page(f, &x, o, phase);
	fclose(f);
	int rc = util_write_file_atomic(path, buf, len);
	free(buf);
	return rc;
}

/* The forest plot alone: a standalone SVG carries its style inside. */
int html_forest_svg(const struct run_analysis *runs, size_t nruns, int phase, double threshold_pct,
                    const char *path)
{
	char *buf = NULL, *svg = NULL;
	size_t len = 0, slen = 0;
	struct html_ctx x = {runs, nruns};
	FILE *s = open_memstream(&svg, &slen);
	if (!s)
		return error_set("open_memstream: out of memory");
	html_svg_forest(s, &x, phase, threshold_pct);
	fclose(s);
	FILE *f = open_memstream(&buf, &len);
	char *gt = strchr(svg, '>');
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n", f);
	fwrite(svg, 1, (size_t)(gt + 1 - svg), f);
	fputs("\n<style>.title{font-size:13px;font-weight:bold}.lab{font-size:12px}.val{font-size:11px;"
	      "fill:#333}.tick,.axis{font-size:11px;text-anchor:middle}"
	      "text{font-family:'DejaVu Sans',sans-serif;fill:#111}</style>", f);
	fputs(gt + 1, f);
	fclose(f);
	int rc = util_write_file_atomic(path, buf, len);
	free(buf);
	free(svg);
	return rc;
}
