/* instr_report: tables and charts for instrumented runs (--phases,
 * --inittrace) inside a report; see instr_report.c. */
#ifndef GVAB_INSTR_REPORT_H
#define GVAB_INSTR_REPORT_H

#include <stdio.h>

#include "analysis.h"

/* Appends the run's instrument sections to md and renders their charts into
 * out_dir (adding to *charts). A run without instrument data adds nothing. */
int instr_report(FILE *md, struct run_analysis *ra, const char *out_dir, int *charts);

/* Median of a JSON array of numbers, counting missing entries up to pad_to
 * as 0 (a package absent from some boots); NAN when there is nothing. */
double instr_json_median(const cJSON *arr, int pad_to);

#endif
