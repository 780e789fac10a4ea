/* report: the files `gvab report` writes from analysed runs, one writer per
 * format. Markdown (report.md: the CORE summary across runs, per-run arm
 * and comparison tables, warm pool, instruments, CPU time), CSV
 * (results.csv, RFC 4180) and JSON (results.json, "gvab-report/1"), whose
 * comparison columns come from one field table (report.c), and
 * methodology.md. Then report.html, forest.svg and the gnuplot charts.
 * Resampling is seeded, so the same samples give the same files bit for
 * bit. */
#ifndef GVAB_REPORT_H
#define GVAB_REPORT_H

#include "analysis.h"

#include <stdio.h>

/* Run directories from the command line: a directory with run.json is one
 * run; one without is searched one level down (a campaign's HOST dirs).
 * Each run.json goes through the run-directory reader, then analysis_load
 * and analysis_compare; a run with an arm without measured samples is left
 * out with a warning on stderr. Runs are ordered by the first arm's median
 * of `sort_phase` (-1: as given), labels made unique, and Holm-adjusted.
 * GVAB_EDATA names the directory. Free with report_free. */
int report_load(char *const *paths, size_t npaths, const struct analysis_opts *ao, int sort_phase,
                struct run_analysis **runs, size_t *nruns);
void report_free(struct run_analysis *runs, size_t nruns);

/* The per-format writers. */
void report_write_markdown_head(FILE *f, const struct run_analysis *runs, size_t nruns,
                                const struct analysis_opts *ao);
void report_write_markdown_run(FILE *f, const struct run_analysis *ra, const struct analysis_opts *ao);
void report_write_markdown_cpu(FILE *f, const struct run_analysis *runs, size_t nruns);
void report_write_methodology(FILE *f, const struct run_analysis *runs, size_t nruns,
                              const struct analysis_opts *ao);

/* Writes every report file into `out` (created): report.md, results.csv,
 * results.json, methodology.md, report.html, forest.svg and, with
 * `charts`, the gnuplot charts (their count in *ncharts). */
int report_write_all(struct run_analysis *runs, size_t nruns, const struct analysis_opts *ao,
                     const char *out, int charts, int *ncharts);

/* The estimator behind a comparison's shift and verdict, in words. */
const char *report_estimator(const struct comparison *cp);

/* "-24.6% [-29.2%, -20.0%]", the shift and verdict interval the answer
 * line gives, or "too few boots (n=2)" in words where there is none. */
void report_shift_text(const struct comparison *cp, size_t n_b, char *buf, size_t len);

/* A warm-pool slot's one-off cost: cold CORE + wait + delete medians, ms
 * (amortised over the K tasks it serves: this / K + exec). */
double report_warm_once_ms(const struct arm_stats *as);

/* Writes s as one CSV field (RFC 4180): quoted when `always` or when it
 * holds a comma, quote, CR or LF; quotes inside doubled. */
void report_csv_field(FILE *f, const char *s, int always);

#endif
