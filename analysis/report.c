/* report: see report.h. */
#define _GNU_SOURCE
#include "report.h"
#include "answer.h"
#include "charts.h"
#include "error.h"
#include "hostfig.h"
#include "html.h"
#include "instr_report.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_runs(const char *dir, char ***dirs, size_t *n)
{
	char *rj = util_fmt("%s/run.json", dir);
	int have = util_path_exists(rj);
	free(rj);
	if (have) {
		*dirs = util_xrealloc(*dirs, (*n + 1) * sizeof **dirs);
		(*dirs)[(*n)++] = util_xstrdup(dir);
		return 0;
	}
	struct dirent **ents = NULL;
	int k = scandir(dir, &ents, NULL, alphasort), found = 0;
	for (int i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.') {
			char *sub = util_fmt("%s/%s", dir, ents[i]->d_name);
			char *sj = util_fmt("%s/run.json", sub);
			if (util_path_exists(sj)) {
				*dirs = util_xrealloc(*dirs, (*n + 1) * sizeof **dirs);
				(*dirs)[(*n)++] = sub;
				found++;
			} else {
				free(sub);
			}
			free(sj);
		}
		free(ents[i]);
	}
	free(ents);
	if (!found)
		return error_setc(GVAB_EDATA, "%s: no run.json here or one level down", dir);
	return 0;
}

int report_load(char *const *paths, size_t npaths, const struct analysis_opts *ao, int sort_phase,
                struct run_analysis **runs_out, size_t *nruns_out)
{
	char **dirs = NULL;
	size_t ndirs = 0, kept = 0;
	struct run_analysis *runs = NULL;
	int rc = 0;
	*runs_out = NULL;
	*nruns_out = 0;
	for (size_t i = 0; i < npaths; i++)
		if ((rc = add_runs(paths[i], &dirs, &ndirs)) < 0)
			goto out;
	runs = util_xcalloc(ndirs ? ndirs : 1, sizeof *runs);
	for (size_t i = 0; i < ndirs; i++) {
		/* analysis_load reads run.json through its validating reader. */
		if ((rc = analysis_load(dirs[i], &runs[kept])) < 0)
			goto out;
		int few = -1;
		for (size_t a = 0; a < runs[kept].narms; a++)
			if (runs[kept].arms[a].n_ok < ANALYSIS_MIN_BOOTS && few < 0)
				few = (int)a;
		if (few >= 0) {
			/* A host whose run failed before measuring (a campaign keeps
			 * its directory): nothing to compare, say so and go on. */
			fprintf(stderr, "gvab: report: %s: arm %s has too few boots (n=%zu, fewer than %d); "
			        "left out\n", dirs[i], runs[kept].arms[few].name, runs[kept].arms[few].n_ok,
			        ANALYSIS_MIN_BOOTS);
			analysis_free(&runs[kept]);
			continue;
		}
		analysis_compare(&runs[kept], ao);
		kept++;
	}
	if (kept == 0) {
		rc = error_setc(GVAB_EDATA, "no run with at least %d ok measured boots in every arm",
		                ANALYSIS_MIN_BOOTS);
		goto out;
	}
	if (sort_phase >= 0) {
		/* Order runs (hosts) by the baseline arm's median of a phase. */
		for (size_t i = 1; i < kept; i++)
			for (size_t j = i; j > 0 && runs[j].arms[0].ph[sort_phase].median <
			                                runs[j - 1].arms[0].ph[sort_phase].median; j--) {
				struct run_analysis t = runs[j];
				runs[j] = runs[j - 1];
				runs[j - 1] = t;
			}
	}
	/* Runs sharing a host label are told apart by their directory name. */
	int *dup = util_xcalloc(kept + 1, sizeof *dup);
	for (size_t i = 0; i < kept; i++)
		for (size_t j = 0; j < kept; j++)
			if (i != j && strcmp(runs[i].label, runs[j].label) == 0)
				dup[i] = 1;
	for (size_t i = 0; i < kept; i++)
		if (dup[i]) {
			const char *b = strrchr(runs[i].dir, '/');
			snprintf(runs[i].label, sizeof runs[i].label, "%s", b ? b + 1 : runs[i].dir);
		}
	free(dup);
	for (size_t i = 0; i < kept; i++)
		for (size_t j = i + 1; j < kept; j++)
			if (strcmp(runs[i].label, runs[j].label) == 0) {
				size_t l = strlen(runs[j].label);
				snprintf(runs[j].label + (l > 100 ? 100 : l), 28, "-%zu", j);
			}
	analysis_adjust(runs, kept, ao, (1u << PH_COUNT) - 1);
out:
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);
	if (rc < 0) {
		report_free(runs, kept);
		return rc;
	}
	*runs_out = runs;
	*nruns_out = kept;
	return 0;
}

void report_free(struct run_analysis *runs, size_t nruns)
{
	for (size_t i = 0; runs && i < nruns; i++)
		analysis_free(&runs[i]);
	free(runs);
}

/* ---- The comparison columns, once, for CSV and JSON. ---- */

enum field_src {
	F_RUN_DIR, F_RUN_LABEL, F_A_NAME, F_B_NAME, F_PHASE, F_VERDICT, F_ESTIMATOR, /* strings */
	F_CMP_DBL,  /* double at `off` in struct comparison */
	F_CMP_SIZE, /* size_t at `off` in struct comparison */
	F_A_SIZE, F_B_SIZE, /* size_t at `off` in arm A's / B's struct arm_stats */
	F_A_P95, F_B_P95,   /* the arm's p95 of the comparison's phase */
};

struct field {
	const char *csv;   /* CSV column, NULL: not in the CSV */
	const char *json;  /* JSON key, NULL: not in the JSON */
	enum field_src src;
	size_t off;
	const char *fmt;   /* CSV number format ("%.4f"); strings: "q" always quoted */
};

#define CMP_D(csv, json, member, fmt) {csv, json, F_CMP_DBL, offsetof(struct comparison, member), fmt}

static const struct field cmp_fields[] = {
	{"run", NULL, F_RUN_DIR, 0, "q"},
	{"label", NULL, F_RUN_LABEL, 0, "q"},
	{"arm_a", "a", F_A_NAME, 0, "q"},
	{"arm_b", "b", F_B_NAME, 0, "q"},
	{"phase", "phase", F_PHASE, 0, ""},
	{"a_n", NULL, F_A_SIZE, offsetof(struct arm_stats, n_ok), NULL},
	{"b_n", NULL, F_B_SIZE, offsetof(struct arm_stats, n_ok), NULL},
	{"a_failures", NULL, F_A_SIZE, offsetof(struct arm_stats, n_fail), NULL},
	{"b_failures", NULL, F_B_SIZE, offsetof(struct arm_stats, n_fail), NULL},
	CMP_D("a_p50_ms", "a_p50_ms", med_a, "%.4f"),
	CMP_D("b_p50_ms", "b_p50_ms", med_b, "%.4f"),
	{"a_p95_ms", NULL, F_A_P95, 0, "%.4f"},
	{"b_p95_ms", NULL, F_B_P95, 0, "%.4f"},
	CMP_D("delta_ms", "delta_ms", delta_ms, "%.4f"),
	CMP_D("delta_pct", "delta_pct", delta_pct, "%.4f"),
	CMP_D("ci_lo_ms", "ci_lo_ms", ci_lo, "%.4f"),
	CMP_D("ci_hi_ms", "ci_hi_ms", ci_hi, "%.4f"),
	CMP_D("p_mannwhitney", "p_mannwhitney", p_mw, "%.6g"),
	CMP_D("p_mannwhitney_holm", "p_mannwhitney_holm", p_mw_adj, "%.6g"),
	CMP_D("hodges_lehmann_ms", "hodges_lehmann_ms", hl_ms, "%.4f"),
	{"pairs", "pairs", F_CMP_SIZE, offsetof(struct comparison, npairs), NULL},
	CMP_D("paired_delta_ms", "paired_delta_ms", paired_ms, "%.4f"),
	CMP_D("paired_ci_lo_ms", "paired_ci_lo_ms", paired_lo, "%.4f"),
	CMP_D("paired_ci_hi_ms", "paired_ci_hi_ms", paired_hi, "%.4f"),
	CMP_D("p_wilcoxon", "p_wilcoxon", p_wx, "%.6g"),
	CMP_D("p_wilcoxon_holm", "p_wilcoxon_holm", p_wx_adj, "%.6g"),
	CMP_D("p95_delta_ms", "p95_delta_ms", p95_delta, "%.4f"),
	CMP_D("p95_ci_lo_ms", "p95_ci_lo_ms", p95_lo, "%.4f"),
	CMP_D("p95_ci_hi_ms", "p95_ci_hi_ms", p95_hi, "%.4f"),
	CMP_D("shift_ms", "shift_ms", shift_ms, "%.4f"),
	CMP_D("shift_lo_ms", "shift_lo_ms", shift_lo, "%.4f"),
	CMP_D("shift_hi_ms", "shift_hi_ms", shift_hi, "%.4f"),
	{"estimator", "estimator", F_ESTIMATOR, 0, "q"},
	{"verdict", "verdict", F_VERDICT, 0, ""},
	{0}};

const char *report_estimator(const struct comparison *cp)
{
	return cp->used_paired ? "paired Hodges-Lehmann shift (same-round pairs, log times)"
	                       : "unpaired Hodges-Lehmann shift (log times)";
}

void report_shift_text(const struct comparison *cp, size_t n_b, char *buf, size_t len)
{
	double base = cp->med_a > 0 ? cp->med_a : NAN;
	double s = 100 * cp->shift_ms / base, lo = 100 * cp->shift_lo / base, hi = 100 * cp->shift_hi / base;
	size_t n = cp->used_paired ? cp->npairs : n_b;
	if (!isfinite(s))
		snprintf(buf, len, "too few boots (n=%zu)", n);
	else if (!isfinite(lo) || !isfinite(hi)) {
		char why[64];
		int few = analysis_open_reason(cp, n, why, sizeof why);
		snprintf(buf, len, "%+.1f%%, %s%s", s, why, few ? " for an interval" : "");
	}
	else
		snprintf(buf, len, "%+.1f%% [%+.1f%%, %+.1f%%]", s, lo, hi);
}

/* A field's value for one comparison of a run: its string (returned) or,
 * when that is NULL, its number in *num (*is_size for counts). */
static const char *field_value(const struct field *f, const struct run_analysis *ra,
                               const struct comparison *cp, double *num, int *is_size)
{
	const struct arm_stats *A = &ra->arms[cp->a], *B = &ra->arms[cp->b];
	*is_size = 0;
	switch (f->src) {
	case F_RUN_DIR: return ra->dir;
	case F_RUN_LABEL: return ra->label;
	case F_A_NAME: return A->name;
	case F_B_NAME: return B->name;
	case F_PHASE: return sample_phase_names[cp->phase];
	case F_VERDICT: return analysis_verdict_name(cp->verdict);
	case F_ESTIMATOR: return report_estimator(cp);
	case F_CMP_DBL: *num = *(const double *)((const char *)cp + f->off); return NULL;
	case F_CMP_SIZE:
		*is_size = 1;
		*num = (double)*(const size_t *)((const char *)cp + f->off);
		return NULL;
	case F_A_SIZE:
	case F_B_SIZE:
		*is_size = 1;
		*num = (double)*(const size_t *)((const char *)(f->src == F_A_SIZE ? A : B) + f->off);
		return NULL;
	case F_A_P95: *num = A->ph[cp->phase].p95; return NULL;
	case F_B_P95: *num = B->ph[cp->phase].p95; return NULL;
	}
	return "";
}

/* A cell that is only a decimal number ("-12.5"): a spreadsheet reads it as
 * that number, never as a formula, so it needs no neutralising. */
static int csv_plain_number(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	size_t d = strspn(s, "0123456789");
	if (d == 0)
		return 0;
	s += d;
	if (*s == '.' && s[1])
		s += 1 + strspn(s + 1, "0123456789");
	return *s == '\0';
}

void report_csv_field(FILE *f, const char *s, int always)
{
	/* Spreadsheet (CSV) injection, as OWASP advises against it: a cell that
	 * starts with = + - @ tab or CR would be run as a formula, so it gets a
	 * leading single quote (shown as text) and quotes. */
	int neutralise = s[0] && strchr("=+-@\t\r", s[0]) && !csv_plain_number(s);
	if (!always && !neutralise && !s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (neutralise)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void report_write_csv(FILE *f, const struct run_analysis *runs, size_t nruns)
{
	for (const struct field *fd = cmp_fields; fd->csv || fd->json; fd++)
		if (fd->csv)
			fprintf(f, "%s%s", fd == cmp_fields ? "" : ",", fd->csv);
	fputc('\n', f);
	for (size_t r = 0; r < nruns; r++)
		for (size_t k = 0; k < runs[r].ncmp; k++) {
			int first = 1;
			for (const struct field *fd = cmp_fields; fd->csv || fd->json; fd++) {
				if (!fd->csv)
					continue;
				double v = 0;
				int is_size;
				const char *s = field_value(fd, &runs[r], &runs[r].cmp[k], &v, &is_size);
				if (!first)
					fputc(',', f);
				first = 0;
				if (s)
					report_csv_field(f, s, fd->fmt && fd->fmt[0] == 'q');
				else if (is_size)
					fprintf(f, "%zu", (size_t)v);
				else if (isfinite(v))
					fprintf(f, fd->fmt, v);
				/* else: an empty cell (too few boots for the figure),
				 * never "nan" or "inf". */
			}
			fputc('\n', f);
		}
}

static cJSON *comparison_json(const struct run_analysis *ra, const struct comparison *cp)
{
	cJSON *o = cJSON_CreateObject();
	for (const struct field *fd = cmp_fields; fd->csv || fd->json; fd++) {
		if (!fd->json)
			continue;
		double v = 0;
		int is_size;
		const char *s = field_value(fd, ra, cp, &v, &is_size);
		if (s)
			cJSON_AddStringToObject(o, fd->json, s);
		else
			cJSON_AddNumberToObject(o, fd->json, v);
	}
	return o;
}

static cJSON *repeats_json(const struct run_analysis *runs, const struct between_runs *g, size_t ng)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t k = 0; k < ng; k++) {
		cJSON *o = cJSON_CreateObject(), *jr = cJSON_AddArrayToObject(o, "runs");
		cJSON_AddStringToObject(o, "a", g[k].base);
		cJSON_AddStringToObject(o, "b", g[k].cand);
		cJSON_AddStringToObject(o, "phase", sample_phase_names[g[k].phase]);
		for (size_t t = 0; t < g[k].n; t++) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "dir", runs[g[k].run[t]].dir);
			cJSON_AddStringToObject(r, "label", runs[g[k].run[t]].label);
			cJSON_AddNumberToObject(r, "shift_pct", g[k].shift_pct[t]);
			cJSON_AddNumberToObject(r, "se_pct", g[k].se_pct[t]);
			cJSON_AddItemToArray(jr, r);
		}
		cJSON_AddNumberToObject(o, "mean_shift_pct", g[k].mean_pct);
		cJSON_AddNumberToObject(o, "sd_of_run_shifts_pct", g[k].sd_pct);
		cJSON_AddNumberToObject(o, "run_se_rms_pct", g[k].se_rms_pct);
		cJSON_AddNumberToObject(o, "between_run_sd_pct", g[k].between_sd_pct);
		cJSON_AddBoolToObject(o, "one_run_enough", g[k].one_run_enough);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *report_json(const struct run_analysis *runs, size_t nruns, const struct analysis_opts *ao)
{
	size_t ncomp = 0;
	for (size_t r = 0; r < nruns; r++)
		ncomp += runs[r].ncmp;
	cJSON *js = cJSON_CreateObject();
	cJSON *jruns = cJSON_AddArrayToObject(js, "runs");
	cJSON_AddStringToObject(js, "format", "gvab-report/1");
	cJSON_AddNumberToObject(js, "alpha", ao->alpha);
	cJSON_AddNumberToObject(js, "threshold_pct", ao->threshold_pct);
	cJSON_AddNumberToObject(js, "bootstrap_reps", ao->reps);
	cJSON_AddNumberToObject(js, "seed", (double)ao->seed);
	cJSON_AddNumberToObject(js, "holm_family_size", (double)ncomp);
	struct between_runs *reps = NULL;
	size_t nreps = answer_between_runs(runs, nruns, PH_CORE, &reps);
	if (nreps > 0)
		cJSON_AddItemToObject(js, "between_runs", repeats_json(runs, reps, nreps));
	free(reps);
	for (size_t r = 0; r < nruns; r++) {
		const struct run_analysis *ra = &runs[r];
		cJSON *jr = cJSON_CreateObject();
		cJSON_AddStringToObject(jr, "dir", ra->dir);
		cJSON_AddStringToObject(jr, "label", ra->label);
		cJSON *jarms = cJSON_AddArrayToObject(jr, "arms");
		for (size_t a = 0; a < ra->narms; a++) {
			const struct arm_stats *as = &ra->arms[a];
			cJSON *ja = cJSON_CreateObject();
			cJSON_AddStringToObject(ja, "name", as->name);
			cJSON_AddNumberToObject(ja, "n", (double)as->n_ok);
			cJSON_AddNumberToObject(ja, "failures", (double)as->n_fail);
			for (int p = 0; p < PH_COUNT; p++) {
				const struct stats_summary *s = &as->ph[p];
				cJSON *jp = cJSON_AddObjectToObject(ja, sample_phase_names[p]);
				cJSON_AddNumberToObject(jp, "p50_ms", s->median);
				double lo, hi;
				hostfig_interval(as, p, &lo, &hi);
				if (isfinite(lo) && isfinite(hi)) {
					cJSON_AddNumberToObject(jp, "p50_lo_ms", lo);
					cJSON_AddNumberToObject(jp, "p50_hi_ms", hi);
				}
				cJSON_AddNumberToObject(jp, "p95_ms", s->p95);
				cJSON_AddNumberToObject(jp, "max_ms", s->max);
				cJSON_AddNumberToObject(jp, "mean_ms", s->mean);
				cJSON_AddNumberToObject(jp, "stdev_ms", s->stdev);
				cJSON_AddNumberToObject(jp, "mad_ms", s->mad);
			}
			if (ra->arms[0].n_exec > 0) {
				cJSON *jw = cJSON_AddObjectToObject(ja, "warm_exec");
				cJSON_AddNumberToObject(jw, "n", (double)as->n_exec);
				cJSON_AddNumberToObject(jw, "p50_ms", as->exec.median);
				cJSON_AddNumberToObject(jw, "p95_ms", as->exec.p95);
				cJSON_AddNumberToObject(jw, "stdev_ms", as->exec.stdev);
			}
			cJSON_AddItemToArray(jarms, ja);
		}
		cJSON *jc = cJSON_AddArrayToObject(jr, "comparisons");
		for (size_t k = 0; k < ra->ncmp; k++)
			cJSON_AddItemToArray(jc, comparison_json(ra, &ra->cmp[k]));
		cJSON_AddItemToArray(jruns, jr);
	}
	return js;
}

/* Opens out/name for writing; NULL with an error naming the file. */
static FILE *open_out(const char *out, const char *name)
{
	char *p = util_fmt("%s/%s", out, name);
	FILE *f = fopen(p, "we");
	if (!f)
		error_set("%s: cannot write: %s", p, strerror(errno));
	free(p);
	return f;
}

/* Closes f; an error naming the file when anything failed to be written. */
static int close_out(FILE *f, const char *out, const char *name)
{
	int bad = ferror(f);
	bad |= fclose(f) != 0;
	return bad ? error_set("%s/%s: write failed", out, name) : 0;
}

int report_write_all(struct run_analysis *runs, size_t nruns, const struct analysis_opts *ao,
                     const char *out, int charts, int *ncharts)
{
	int rc, instr_charts = 0;
	*ncharts = 0;
	if ((rc = util_mkdir_p(out, 0755)) < 0)
		return rc;
	FILE *md = open_out(out, "report.md");
	if (!md)
		return GVAB_EFAIL;
	report_write_markdown_head(md, runs, nruns, ao);
	for (size_t r = 0; r < nruns && rc == 0; r++) {
		report_write_markdown_run(md, &runs[r], ao);
		if (charts)
			rc = instr_report(md, &runs[r], out, &instr_charts);
	}
	if (rc == 0)
		report_write_markdown_cpu(md, runs, nruns);
	int crc = close_out(md, out, "report.md");
	if (rc < 0 || (rc = crc) < 0)
		return rc;

	FILE *csv = open_out(out, "results.csv");
	if (!csv)
		return GVAB_EFAIL;
	report_write_csv(csv, runs, nruns);
	if ((rc = close_out(csv, out, "results.csv")) < 0)
		return rc;

	FILE *me = open_out(out, "methodology.md");
	if (!me)
		return GVAB_EFAIL;
	report_write_methodology(me, runs, nruns, ao);
	if ((rc = close_out(me, out, "methodology.md")) < 0)
		return rc;

	cJSON *js = report_json(runs, nruns, ao);
	char *jsp = util_fmt("%s/results.json", out);
	rc = util_json_save(jsp, js);
	free(jsp);
	cJSON_Delete(js);
	if (rc < 0)
		return rc;

	/* The page and the forest plot need no gnuplot. */
	char *hp = util_fmt("%s/report.html", out), *fp = util_fmt("%s/forest.svg", out);
	rc = html_report(runs, nruns, ao, PH_CORE, hp);
	if (rc == 0)
		rc = html_forest_svg(runs, nruns, PH_CORE, ao->threshold_pct, fp);
	free(hp);
	free(fp);
	if (rc < 0 || !charts)
		return rc;
	int nch = charts_render(runs, nruns, out, ao->threshold_pct);
	if (nch < 0)
		return nch;
	*ncharts = nch + instr_charts;
	return 0;
}
