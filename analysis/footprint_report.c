/* footprint_report: see footprint_report.h. */
#define _GNU_SOURCE
#include "footprint_report.h"
#include "analysis.h"
#include "charts.h"
#include "error.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct figure {
	char name[64];      /* "cold start (CORE ms)" */
	char unit[16];
	size_t run;         /* index into runs */
	int source;         /* 0: a phase; 1: workload inner; 2: memory field */
	int phase;
	const char *field;  /* memory member */
	double scale;       /* multiply raw values by it */
};

/* Values of one figure for arm `a` of run `ra`: measured ok samples. */
static size_t values(const struct run_analysis *ra, const struct figure *f, size_t a, double **out)
{
	size_t n = 0;
	*out = NULL;
	if (f->source == 0) {
		const struct arm_stats *as = &ra->arms[a];
		*out = util_xcalloc(as->n_ok ? as->n_ok : 1, sizeof **out);
		for (size_t i = 0; i < as->n_ok; i++)
			(*out)[n++] = as->vals[f->phase][i];
		return n;
	}
	const char *const fields[] = {f->source == 1 ? "inner_ns" : f->field, NULL};
	n = analysis_instr_values(ra, a, f->source == 1 ? "workload" : "memory", fields, out);
	for (size_t i = 0; i < n; i++)
		(*out)[i] *= f->scale;
	return n;
}

/* The runc arm of a run: named runc, or whose binary is runc. */
static size_t runc_arm(const struct run_analysis *ra)
{
	const cJSON *arms = cJSON_GetObjectItemCaseSensitive(ra->run, "arms");
	for (size_t a = 0; a < ra->narms; a++) {
		if (strcmp(ra->arms[a].name, "runc") == 0)
			return a;
		const cJSON *j = cJSON_GetArrayItem(arms, (int)a);
		const cJSON *p = j ? cJSON_GetObjectItemCaseSensitive(j, "runsc") : NULL;
		if (cJSON_IsString(p)) {
			const char *b = strrchr(p->valuestring, '/');
			if (strcmp(b ? b + 1 : p->valuestring, "runc") == 0)
				return a;
		}
	}
	return 0;
}

static size_t figures_of(const struct run_analysis *runs, size_t nruns, struct figure **out)
{
	size_t n = 0;
	*out = NULL;
	for (size_t i = 0; i < nruns; i++) {
		const cJSON *run = runs[i].run;
		const cJSON *mem = cJSON_GetObjectItemCaseSensitive(run, "memory_samples");
		const cJSON *wl = cJSON_GetObjectItemCaseSensitive(run, "workload");
		const cJSON *mode = cJSON_GetArrayItem(wl, 1);
		const char *m = cJSON_IsString(mode) ? mode->valuestring : NULL;
		struct figure f[2];
		size_t k = 0;
		memset(f, 0, sizeof f);
		if (cJSON_IsNumber(mem) && mem->valuedouble > 0) {
			snprintf(f[k].name, sizeof f[k].name, "memory per sandbox, PSS");
			snprintf(f[k].unit, sizeof f[k].unit, "MiB");
			f[k].source = 2, f[k].field = "pss_kib", f[k].scale = 1.0 / 1024, k++;
			snprintf(f[k].name, sizeof f[k].name, "memory per sandbox, RSS");
			snprintf(f[k].unit, sizeof f[k].unit, "MiB");
			f[k].source = 2, f[k].field = "rss_kib", f[k].scale = 1.0 / 1024, k++;
		} else if (m && (!strcmp(m, "spin") || !strcmp(m, "statwalk"))) {
			snprintf(f[k].name, sizeof f[k].name, "%s (workload's own time)",
			         !strcmp(m, "spin") ? "CPU-bound" : "syscall-bound");
			snprintf(f[k].unit, sizeof f[k].unit, "ms");
			f[k].source = 1, f[k].scale = 1e-6, k++;
		} else {
			const cJSON *cold = cJSON_GetObjectItemCaseSensitive(run, "cold");
			snprintf(f[k].name, sizeof f[k].name, "%s start (CORE)", cJSON_IsTrue(cold) ? "cold" : "warm");
			snprintf(f[k].unit, sizeof f[k].unit, "ms");
			f[k].source = 0, f[k].phase = PH_CORE, f[k].scale = 1, k++;
		}
		for (size_t j = 0; j < k; j++) {
			f[j].run = i;
			*out = util_xrealloc(*out, (n + 1) * sizeof **out);
			(*out)[n++] = f[j];
		}
	}
	return n;
}

/* An arm name as a quoted gnuplot data column: no quote or backslash. */
static const char *dat_safe(const char *s)
{
	static char buf[256];
	size_t i = 0;
	for (; s[i] && i + 1 < sizeof buf; i++)
		buf[i] = (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 32) ? '_' : s[i];
	buf[i] = '\0';
	return buf;
}

int footprint_report(char *const *dirs, size_t ndirs, const char *out_dir)
{
	struct run_analysis *runs = util_xcalloc(ndirs, sizeof *runs);
	struct figure *figs = NULL;
	size_t loaded = 0, nf = 0;
	int rc = 0;
	char *md = NULL, *dat = NULL;
	size_t mdlen = 0, datlen = 0;
	FILE *m = open_memstream(&md, &mdlen), *d = open_memstream(&dat, &datlen);
	cJSON *json = cJSON_CreateArray();
	for (size_t i = 0; i < ndirs; i++) {
		if ((rc = analysis_load(dirs[i], &runs[i])) < 0)
			goto out;
		loaded++;
	}
	nf = figures_of(runs, ndirs, &figs);
	fprintf(m, "| figure | arm | n | median | ratio to runc [95%% interval] | run |\n"
	           "|---|---|---:|---:|---|---|\n");
	for (size_t k = 0; k < nf; k++) {
		const struct figure *f = &figs[k];
		const struct run_analysis *ra = &runs[f->run];
		size_t base = runc_arm(ra);
		double *bv;
		size_t bn = values(ra, f, base, &bv);
		double *lb = util_xcalloc(bn ? bn : 1, sizeof *lb);
		for (size_t i = 0; i < bn; i++)
			lb[i] = log(bv[i] > 0 ? bv[i] : 1e-9);
		for (size_t a = 0; a < ra->narms; a++) {
			double *v;
			size_t n = values(ra, f, a, &v);
			double med = n ? stats_median(v, n) : NAN, est = NAN, lo = NAN, hi = NAN;
			if (a != base && n && bn) {
				double *lv = util_xcalloc(n, sizeof *lv);
				for (size_t i = 0; i < n; i++)
					lv[i] = log(v[i] > 0 ? v[i] : 1e-9);
				stats_shift_ci(lb, bn, lv, n, 0.025, &est, &lo, &hi);
				free(lv);
			}
			if (n)
				fprintf(m, "| %s | %s | %zu | %.2f %s | ", f->name, ra->arms[a].name, n, med, f->unit);
			else
				fprintf(m, "| %s | %s | 0 | no values | ", f->name, ra->arms[a].name);
			if (a == base)
				fprintf(m, "1 (baseline)");
			else if (isfinite(lo) && isfinite(hi))
				fprintf(m, "%.2fx [%.2f, %.2f]", exp(est), exp(lo), exp(hi));
			else if (isfinite(est))
				fprintf(m, "%.2fx [too few boots for an interval]", exp(est));
			else
				fprintf(m, "n/a");
			fprintf(m, " | `%s` |\n", ra->dir);
			if (a != base && isfinite(est))
				fprintf(d, "\"%s\" \"%s\" %.4f %.4f %.4f\n", f->name, dat_safe(ra->arms[a].name), exp(est),
				        isfinite(lo) ? exp(lo) : exp(est), isfinite(hi) ? exp(hi) : exp(est));
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "figure", f->name);
			cJSON_AddStringToObject(j, "unit", f->unit);
			cJSON_AddStringToObject(j, "arm", ra->arms[a].name);
			cJSON_AddStringToObject(j, "baseline", ra->arms[base].name);
			cJSON_AddNumberToObject(j, "n", (double)n);
			if (isfinite(med))
				cJSON_AddNumberToObject(j, "median", med);
			if (a != base && isfinite(est)) {
				cJSON_AddNumberToObject(j, "ratio", exp(est));
				if (isfinite(lo) && isfinite(hi)) {
					cJSON_AddNumberToObject(j, "ratio_lo", exp(lo));
					cJSON_AddNumberToObject(j, "ratio_hi", exp(hi));
				}
			}
			cJSON_AddStringToObject(j, "run", ra->dir);
			cJSON_AddItemToArray(json, j);
			free(v);
		}
		free(bv);
		free(lb);
	}
	fclose(m);
	m = NULL;
	fclose(d);
	d = NULL;
	fputs(md, stdout);
	if (out_dir) {
		char *p1 = util_fmt("%s/footprint.md", out_dir), *p2 = util_fmt("%s/footprint.json", out_dir);
		char *p3 = util_fmt("%s/footprint.dat", out_dir);
		char *text = cJSON_Print(json);
		char *page = util_fmt("# gvab footprint\n\nRatios are arm / runc: the two-sample Hodges-Lehmann "
		                      "shift of log values with Moses' 95%% interval, exponentiated.\n\n%s", md);
		if ((rc = util_mkdir_p(out_dir, 0755)) == 0 && (rc = util_write_file_atomic(p1, page, strlen(page))) == 0 &&
		    (rc = util_write_file_atomic(p2, text, strlen(text))) == 0)
			rc = util_write_file_atomic(p3, dat, datlen);
		if (rc == 0 && datlen > 0) {
			const char *body =
				"  set title \"gvab footprint: each arm against runc (ratio, 95% interval)\"\n"
				"  set style data histogram\n  set style histogram errorbars gap 1 lw 1\n"
				"  set style fill solid 0.8 border -1\n  set logscale y\n  set ylabel \"ratio to runc\"\n"
				"  set xtics rotate by -20 font \",9\"\n  set grid ytics\n  set key off\n"
				"  plot \"footprint.dat\" using 3:4:5:xtic(sprintf(\"%s: %s\", strcol(1), strcol(2))) "
				"lc rgb \"#0072B2\"\n";
			if (charts_script(out_dir, "footprint", body, 1000, 520) < 0)
				fprintf(stderr, "gvab: footprint: chart: %s\n", error_last());
		}
		free(p1);
		free(p2);
		free(p3);
		free(text);
		free(page);
	}
out:
	if (m)
		fclose(m);
	if (d)
		fclose(d);
	free(md);
	free(dat);
	cJSON_Delete(json);
	free(figs);
	for (size_t i = 0; i < loaded; i++)
		analysis_free(&runs[i]);
	free(runs);
	return rc;
}
