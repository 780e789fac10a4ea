/* instr_report: the instrumented-run part of a report: internal phase
 * markers (--phases) and package init times (--inittrace), arm beside arm,
 * as Markdown tables and gnuplot charts, from the instrument members that
 * samples_load checked and kept (struct sample's instr). */
#define _GNU_SOURCE
#include "instr_report.h"
#include "palette.h"
#include "charts.h"
#include "error.h"
#include "proc.h"
#include "util.h"
#include "waterfall.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* acc[arm][key] = array of values */
static void push(cJSON *acc, const char *arm, const char *key, double v)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(acc, arm);
	if (!a)
		a = cJSON_AddObjectToObject(acc, arm);
	cJSON *k = cJSON_GetObjectItemCaseSensitive(a, key);
	if (!k)
		k = cJSON_AddArrayToObject(a, key);
	cJSON_AddItemToArray(k, cJSON_CreateNumber(v));
}

double instr_json_median(const cJSON *arr, int pad_to)
{
	int n = cJSON_GetArraySize(arr), total = pad_to > n ? pad_to : n;
	if (total <= 0)
		return NAN;
	double *v = util_xcalloc((size_t)total, sizeof *v); /* padding counts 0 */
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, arr)
		v[i++] = e->valuedouble;
	double m = stats_median(v, (size_t)total);
	free(v);
	return m;
}

/* "| FIRST | arm1SUFFIX | arm2SUFFIX |" and its alignment row. */
static void arm_table_header(FILE *md, const char *first, const struct run_analysis *ra,
                             const char *suffix)
{
	fprintf(md, "| %s |", first);
	for (size_t a = 0; a < ra->narms; a++)
		fprintf(md, " %s%s |", ra->arms[a].name, suffix);
	fprintf(md, "\n|---|");
	for (size_t a = 0; a < ra->narms; a++)
		fprintf(md, "---:|");
	fprintf(md, "\n");
}

static double arm_median(const cJSON *acc, const char *arm, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(acc, arm);
	return instr_json_median(a ? cJSON_GetObjectItemCaseSensitive(a, key) : NULL, 0);
}

/* "| arm | COLUMNS |": a row per arm of its medians of acc[arm][k1] and
 * acc[arm][k2] in row_fmt (the arm's name, then the two). */
static void arm_pair_table(FILE *md, const struct run_analysis *ra, const cJSON *acc,
                           const char *columns, const char *k1, const char *k2, const char *row_fmt)
{
	fprintf(md, "| arm | %s |\n|---|---:|---:|\n", columns);
	for (size_t a = 0; a < ra->narms; a++)
		fprintf(md, row_fmt, ra->arms[a].name, arm_median(acc, ra->arms[a].name, k1),
		        arm_median(acc, ra->arms[a].name, k2));
	fprintf(md, "\n");
}

struct keyval {
	const char *key;
	double v;
};

static int cmp_kv_desc(const void *a, const void *b)
{
	double x = ((const struct keyval *)a)->v, y = ((const struct keyval *)b)->v;
	return (x < y) - (x > y);
}

static int cmp_kv_asc(const void *a, const void *b)
{
	return -cmp_kv_desc(a, b);
}

/* A quoted label column of a gnuplot data file. Keys come from samples.jsonl,
 * so a quote, backslash or control character becomes '_'. */
static void dat_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' ? '_' : *p, f);
	fputc('"', f);
}

/* Clustered bar chart of BASE-WHAT.dat (label column, then one column per
 * arm), arms in their report colours. */
static int clustered_chart(const char *out_dir, const char *base, const char *what,
                           const char *title, const char *ylabel, const char *key,
                           const struct run_analysis *ra, int *charts)
{
	const char *const *colours = palette_colours;
	char *body = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&body, &size); /* names of any length */
	if (!m)
		return error_set("open_memstream: out of memory");
	fprintf(m,
		"  set title \"%s: %s\"\n"
		"  set termoption noenhanced\n  set style data histogram\n  set style histogram clustered gap 1\n"
		"  set style fill solid 0.85 border -1\n  set xtics rotate by -40 font \",8\"\n"
		"  set ylabel \"%s\"\n  set grid ytics\n  set key %s\n  plot ", base, title, ylabel, key);
	for (size_t a = 0; a < ra->narms; a++) {
		char *nm = charts_gp_str(ra->arms[a].name, 0); /* noenhanced above */
		fprintf(m, "%s\"%s-%s.dat\" using %zu:xtic(1) title \"%s\" lc rgb \"%s\"",
		        a ? ", " : "", base, what, a + 2, nm, colours[a % 4]);
		free(nm);
	}
	fprintf(m, "\n");
	fclose(m);
	char *name = util_fmt("%s-%s", base, what);
	int rc = charts_script(out_dir, name, body, 1000, 520);
	free(name);
	free(body);
	if (rc == 0)
		(*charts)++;
	return rc;
}

/* A table of the arms' medians of acc[arm][key], one row per key of
 * kv[0..n), and its data file BASE-WHAT.dat and clustered chart. */
struct median_table {
	const char *what;
	const char *md_cell, *dat_cell; /* printf formats of one value */
	int nan_as_zero;                /* a key an arm lacks counts 0 */
	int short_labels;               /* chart labels: the last two path elements */
	const char *title, *ylabel, *key;
};

static int median_table_write(FILE *md, const struct run_analysis *ra, const cJSON *acc,
                              const struct keyval *kv, int n, const struct median_table *t,
                              const char *out_dir, const char *base, int *charts)
{
	char *dat = util_fmt("%s/%s-%s.dat", out_dir, base, t->what);
	FILE *f = fopen(dat, "we");
	for (int i = 0; i < n; i++) {
		fprintf(md, "| %s |", kv[i].key);
		const char *label = kv[i].key;
		if (t->short_labels) { /* "syscalls/linux" */
			label += strlen(label);
			for (int slashes = 0; label > kv[i].key; label--)
				if (label[-1] == '/' && ++slashes == 2)
					break;
		}
		if (f)
			dat_label(f, label);
		for (size_t a = 0; a < ra->narms; a++) {
			double v = arm_median(acc, ra->arms[a].name, kv[i].key);
			if (t->nan_as_zero && isnan(v))
				v = 0;
			fprintf(md, t->md_cell, v);
			if (f)
				fprintf(f, t->dat_cell, v);
		}
		fprintf(md, "\n");
		if (f)
			fprintf(f, "\n");
	}
	fprintf(md, "\n");
	if (f)
		fclose(f);
	free(dat);
	return clustered_chart(out_dir, base, t->what, t->title, t->ylabel, t->key, ra, charts);
}

/* The markers table in the baseline arm's median order, then the
 * waterfall of the intervals between them. */
static int markers_section(FILE *md, const struct run_analysis *ra, const cJSON *markers, const char *out_dir,
                           const char *base, int *charts)
{
	/* Keys in the baseline arm's median order: the boot's timeline. */
	const cJSON *a0 = cJSON_GetObjectItemCaseSensitive(markers, ra->arms[0].name);
	int n = cJSON_GetArraySize(a0), i = 0;
	struct keyval *kv = util_xcalloc((size_t)n + 1, sizeof *kv);
	const cJSON *e;
	cJSON_ArrayForEach(e, a0) {
		kv[i].key = e->string;
		kv[i].v = instr_json_median(e, 0);
		i++;
	}
	qsort(kv, (size_t)n, sizeof *kv, cmp_kv_asc);
	fprintf(md, "### Internal phase markers (--phases): ms after the boot's first runsc log line, medians\n\n");
	arm_table_header(md, "marker", ra, "");
	for (i = 0; i < n; i++) {
		fprintf(md, "| %s |", kv[i].key);
		for (size_t a = 0; a < ra->narms; a++)
			fprintf(md, " %.2f |", arm_median(markers, ra->arms[a].name, kv[i].key));
		fprintf(md, "\n");
	}
	fprintf(md, "\n");
	free(kv);
	/* The markers as a waterfall: a lane per process, bars per interval. */
	return waterfall_section(md, ra, out_dir, base, charts);
}

/* Package init per boot and the top packages, with their chart. */
static int inittrace_section(FILE *md, const struct run_analysis *ra, const cJSON *tot, const cJSON *pk,
                             const char *out_dir, const char *base, int *charts)
{
	fprintf(md, "### Package init (--inittrace), summed over a boot's runsc processes, medians\n\n");
	arm_pair_table(md, ra, tot, "init ms per boot | processes", "total_ms", "processes",
	               "| %s | %.2f | %.0f |\n");
	/* Top packages by the largest median across arms. */
	const cJSON *any = cJSON_GetObjectItemCaseSensitive(pk, ra->arms[0].name);
	int n = cJSON_GetArraySize(any), i = 0;
	struct keyval *kv = util_xcalloc((size_t)n + 1, sizeof *kv);
	const cJSON *e;
	cJSON_ArrayForEach(e, any) {
		double best = 0;
		for (size_t a = 0; a < ra->narms; a++) {
			double v = arm_median(pk, ra->arms[a].name, e->string);
			if (!isnan(v) && v > best)
				best = v;
		}
		kv[i].key = e->string;
		kv[i].v = best;
		i++;
	}
	qsort(kv, (size_t)n, sizeof *kv, cmp_kv_desc);
	int top = n < 15 ? n : 15;
	char first[48];
	snprintf(first, sizeof first, "package (top %d)", top);
	arm_table_header(md, first, ra, " ms");
	static const struct median_table t = {
		"inittrace", " %.3f |", " %.4f", 1, 1,
		"top package init times per boot (median ms, all runsc processes)", "init ms per boot",
		"top right",
	};
	int rc = median_table_write(md, ra, pk, kv, top, &t, out_dir, base, charts);
	free(kv);
	return rc;
}

int instr_report(FILE *md, struct run_analysis *ra, const char *out_dir, int *charts)
{
	cJSON *markers = cJSON_CreateObject(), *pk = cJSON_CreateObject(), *tot = cJSON_CreateObject();
	cJSON *sys = cJSON_CreateObject(), *timers = cJSON_CreateObject();
	int have_m = 0, have_i = 0, have_s = 0, have_t = 0;
	/* samples_load checked every instrument member's shape. */
	for (size_t k = 0; k < ra->sf.n; k++) {
		const struct sample *sm = &ra->sf.s[k];
		if (!sm->instr || !sm->ok || sm->warmup)
			continue;
		const char *arm = ra->sf.arms[sm->arm];
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(sm->instr, "internal");
		const cJSON *m = in ? cJSON_GetObjectItemCaseSensitive(in, "markers") : NULL, *e;
		cJSON_ArrayForEach(e, m) {
			push(markers, arm, e->string, e->valuedouble);
			have_m = 1;
		}
		const cJSON *tms = in ? cJSON_GetObjectItemCaseSensitive(in, "timers_ms") : NULL;
		cJSON_ArrayForEach(e, tms) {
			push(timers, arm, e->string, e->valuedouble);
			have_t = 1;
		}
		const cJSON *sy = cJSON_GetObjectItemCaseSensitive(sm->instr, "syscalls");
		cJSON_ArrayForEach(e, sy) {
			push(sys, arm, e->string, e->valuedouble);
			have_s = 1;
		}
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(sm->instr, "inittrace");
		if (it) {
			have_i = 1;
			push(tot, arm, "total_ms", cJSON_GetObjectItemCaseSensitive(it, "total_ms")->valuedouble);
			push(tot, arm, "processes",
			     cJSON_GetObjectItemCaseSensitive(it, "processes")->valuedouble);
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "packages_ms"))
				push(pk, arm, e->string, e->valuedouble);
		}
	}
	char *base = charts_slug(ra->label);
	int rc = 0;
	if (have_m)
		rc = markers_section(md, ra, markers, out_dir, base, charts);
	if (have_i && rc == 0)
		rc = inittrace_section(md, ra, tot, pk, out_dir, base, charts);
	if (have_t) {
		fprintf(md, "### pkg/timing intervals (--phases, newer gVisor), median ms\n\n");
		arm_table_header(md, "timeline", ra, "");
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(timers, ra->arms[0].name)) {
			fprintf(md, "| %s |", e->string);
			for (size_t a = 0; a < ra->narms; a++)
				fprintf(md, " %.2f |", arm_median(timers, ra->arms[a].name, e->string));
			fprintf(md, "\n");
		}
		fprintf(md, "\n");
	}
	if (have_s) {
		fprintf(md, "### Syscalls per boot (--syscalls, host-wide tracepoint counts), medians\n\n");
		arm_pair_table(md, ra, sys, "membarrier (all) | membarrier REGISTER_PRIVATE_EXPEDITED",
		               "membarrier", "membarrier_register_private_expedited", "| %s | %.0f | %.0f |\n");
	}
	free(base);
	cJSON_Delete(sys);
	cJSON_Delete(timers);
	cJSON_Delete(markers);
	cJSON_Delete(pk);
	cJSON_Delete(tot);
	return rc;
}
