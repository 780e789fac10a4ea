/* Suites of the unit test binary (one per module). */
#ifndef GVAB_TESTS_H
#define GVAB_TESTS_H
#include <check.h>
Suite *suite_stats(void);
Suite *suite_schedule(void);
Suite *suite_source(void);
Suite *suite_resolve(void);
Suite *suite_patch(void);
Suite *suite_knobs(void);
Suite *suite_samples(void);
Suite *suite_bundle(void);
Suite *suite_instrument(void);
Suite *suite_inventory(void);
Suite *suite_syscount(void);
Suite *suite_perfcount(void);
Suite *suite_opt(void);
Suite *suite_gate(void);
Suite *suite_runspec(void);
Suite *suite_history(void);
Suite *suite_report(void);
/* A fresh empty directory under $TMPDIR; caller frees. */
char *test_tmpdir(const char *tag);
#endif
