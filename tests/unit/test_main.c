/* Unit test runner: every module's suite, Check's summary line last. */
#define _GNU_SOURCE
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

char *test_tmpdir(const char *tag)
{
	char *t = util_fmt("%s/gvab-unit-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", tag);
	if (!mkdtemp(t))
		abort();
	return t;
}

int main(void)
{
	SRunner *sr = srunner_create(suite_stats());
	srunner_add_suite(sr, suite_schedule());
	srunner_add_suite(sr, suite_opt());
	srunner_add_suite(sr, suite_gate());
	srunner_add_suite(sr, suite_runspec());
	srunner_add_suite(sr, suite_source());
	srunner_add_suite(sr, suite_resolve());
	srunner_add_suite(sr, suite_patch());
	srunner_add_suite(sr, suite_knobs());
	srunner_add_suite(sr, suite_samples());
	srunner_add_suite(sr, suite_bundle());
	srunner_add_suite(sr, suite_instrument());
	srunner_add_suite(sr, suite_inventory());
	srunner_add_suite(sr, suite_syscount());
	srunner_add_suite(sr, suite_perfcount());
	srunner_add_suite(sr, suite_history());
	srunner_add_suite(sr, suite_report());
	/* A failing check's message carries the command's whole output, which
	 * can pass Check's 4 KiB default: past it the test dies as "Early exit
	 * with return value 2" and the message is lost. */
	check_set_max_msg_size(1 << 20);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
