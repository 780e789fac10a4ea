/* instrument: debug-log markers and init traces, on real text captured on
 * this machine kind (tests/fixtures/, from build/arms/stock/runsc, gVisor
 * 20240729, 2026-11-22; the debug logs are trimmed to their first lines and
 * marker lines, and start ran ~3 s after create by hand). Expected values
 * were computed by hand from the timestamps (markers) and with a Python
 * regex over the same files (init traces: 677 records, 43.314 ms, hostmm
 * 25.6 ms, 3 processes). */
#define _GNU_SOURCE
#include "instrument.h"
#include "tests.h"
#include "util.h"

#include <math.h>
#include <string.h>
#include <stdlib.h>

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

static double num(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(cJSON_IsNumber(j), "missing %s", k);
	return j->valuedouble;
}

START_TEST(test_glog_time)
{
	ck_assert_int_eq(instrument_glog_time_us("I1122 18:44:35.220696    9819 main.go:196] x"),
	                 ((22LL * 24 + 18) * 3600 + 44 * 60 + 35) * 1000000LL + 220696);
	ck_assert_int_eq(instrument_glog_time_us("hello"), -1);
	ck_assert_int_eq(instrument_glog_time_us("X1122 18:44:35.220696"), -1);
	/* Not a time of day: marker offsets of millions of years, which the
	 * samples reader would refuse. */
	ck_assert_int_eq(instrument_glog_time_us("I1122 2147483647:44:35.220696 x"), -1);
	ck_assert_int_eq(instrument_glog_time_us("I1322 18:44:35.220696 x"), -1);
	ck_assert_int_eq(instrument_glog_time_us("I1100 18:44:35.220696 x"), -1);
	ck_assert_int_eq(instrument_glog_time_us("I1122 18:60:35.220696 x"), -1);
}
END_TEST

START_TEST(test_debug_markers)
{
	cJSON *o = instrument_parse_debug_logs(FIXTURES "/debuglog-20240729");
	ck_assert_ptr_nonnull(o);
	cJSON *m = cJSON_GetObjectItem(o, "markers");
	/* t0 = create's first line, 18:44:35.220696 */
	ck_assert_double_eq_tol(num(m, "create:first_line"), 0, 1e-9);
	ck_assert_double_eq_tol(num(m, "create:create_container"), 4.574, 1e-9);
	ck_assert_double_eq_tol(num(m, "create:gofer_started"), 30.947, 1e-9);
	ck_assert_double_eq_tol(num(m, "create:sandbox_started"), 37.799, 1e-9);
	ck_assert_double_eq_tol(num(m, "boot:chroot"), 67.722, 1e-9);
	ck_assert_double_eq_tol(num(m, "boot:loader_cpus"), 135.722, 1e-9);
	ck_assert_double_eq_tol(num(m, "start:start_container"), 2871.287, 1e-9);
	ck_assert_double_eq_tol(num(m, "boot:exit"), 2908.329, 1e-9);
	ck_assert_ptr_null(cJSON_GetObjectItem(m, "gofer:sandbox_started"));
	cJSON_Delete(o);
	ck_assert_ptr_null(instrument_parse_debug_logs("/nonexistent"));
}
END_TEST

START_TEST(test_inittrace)
{
	cJSON *acc = instrument_inittrace_new();
	ck_assert_int_eq(instrument_inittrace_add_dir(acc, FIXTURES "/inittrace-20240729"), 0);
	ck_assert_double_eq_tol(num(acc, "total_ms"), 43.314, 1e-6);
	ck_assert_double_eq_tol(num(acc, "processes"), 3, 0.5);
	cJSON *pk = cJSON_GetObjectItem(acc, "packages_ms");
	ck_assert_double_eq_tol(num(pk, "gvisor.dev/gvisor/pkg/sentry/hostmm"), 25.6, 1e-9);
	int n = cJSON_GetArraySize(pk);
	ck_assert_int_gt(n, 200);
	cJSON_Delete(acc);
	/* Per process: create's stderr is one process; the gofer's debug log
	 * holds the gofer's and the sandbox's records (two processes). */
	char *t = util_read_file(FIXTURES "/inittrace-20240729/create.stderr", NULL);
	cJSON *pr = instrument_inittrace_processes(t, FIXTURES "/inittrace-20240729");
	free(t);
	/* create.stderr alone: 20.645 ms (Python regex sum over the file);
	 * the directory's create.stderr is not a *.txt log, so not counted twice. */
	ck_assert_double_eq_tol(num(pr, "create"), 20.645, 1e-6);
	ck_assert_double_eq_tol(num(pr, "gofer+sandbox"), 43.314 - 20.645, 1e-6);
	cJSON_Delete(pr);
	/* Records that run into each other are still found. */
	acc = instrument_inittrace_new();
	instrument_inittrace_add(acc, "init a @1 ms, 0.5 ms clock, 0 bytes, 0 allocs\nx 0.004init b @2 ms, 1.5 ms clock, 0 bytes\nnot init c");
	ck_assert_double_eq_tol(num(acc, "total_ms"), 2.0, 1e-12);
	cJSON_Delete(acc);
	/* "nan" and "inf" clocks are not records: as JSON nulls they made the
	 * samples reader refuse the run. */
	acc = instrument_inittrace_new();
	instrument_inittrace_add(acc, "init a @1 ms, nan ms clock\ninit b @1 ms, inf ms clock\n"
	                              "init c @1 ms, -3 ms clock\ninit d @1 ms, 0.25 ms clock\n");
	ck_assert_double_eq_tol(num(acc, "total_ms"), 0.25, 1e-12);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(acc, "packages_ms")), 1);
	cJSON_Delete(acc);
	/* Nor is a package name with control characters (the reader takes
	 * only printable member names). */
	acc = instrument_inittrace_new();
	instrument_inittrace_add(acc, "init a\001b @1 ms, 1 ms clock\n");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(acc, "packages_ms")), 0);
	cJSON_Delete(acc);
}
END_TEST

START_TEST(test_timing_lines)
{
	/* gVisor 20240729 has no pkg/timing, so these lines are written from the
	 * format strings of timing.go's Timer.Log (newer releases):
	 * "%s timing data: %d %s start %s", "... mid %s = %s", "... end %s". */
	char *d = test_tmpdir("timing");
	char *p = util_fmt("%s/runsc.log.20261122-120000.000000.boot.txt", d);
	const char *t =
		"I1122 12:00:00.000000       1 main.go:1] boot starts\n"
		"D1122 12:00:00.100000       1 timing.go:300] Boot timing data: 1795000000000000000 12:00:00.000000000 start Boot\n"
		"D1122 12:00:00.100000       1 timing.go:300] Boot timing data: 1795000000012500000 12:00:00.012500000 mid Boot = loader\n"
		"D1122 12:00:00.100000       1 timing.go:300] Boot timing data: 1795000000030000000 12:00:00.030000000 start platform\n"
		"D1122 12:00:00.100000       1 timing.go:300] Boot timing data: 1795000000045000000 12:00:00.045000000 end platform\n"
		"D1122 12:00:00.100000       1 timing.go:300] Boot timing data: 1795000000080000000 12:00:00.080000000 end Boot\n";
	util_write_file_atomic(p, t, strlen(t));
	cJSON *o = instrument_parse_debug_logs(d);
	ck_assert_ptr_nonnull(o);
	cJSON *tm = cJSON_GetObjectItem(o, "timers_ms");
	ck_assert_double_eq_tol(num(tm, "Boot/Boot"), 80.0, 1e-9);
	ck_assert_double_eq_tol(num(tm, "Boot/platform"), 15.0, 1e-9);
	ck_assert_double_eq_tol(num(tm, "Boot/Boot=loader"), 12.5, 1e-9);
	cJSON_Delete(o);
	/* Found by fuzzing (tests/fuzz/crashes/debuglog/): a time 2^64 ns from
	 * the first overflowed the subtraction (UB); such an event is no boot's
	 * and is left out. */
	const char *far =
		"I1122 12:00:00.000000       1 t.go:1] r timing data: 9223372036854775807 x start a\n"
		"I1122 12:00:00.000000       1 t.go:1] r timing data: -9223372036854775807 x end a\n"
		"I1122 12:00:00.000000       1 t.go:1] r timing data: 9223372036844775807 x start b\n"
		"I1122 12:00:00.000000       1 t.go:1] r timing data: 9223372036846775807 x end b\n";
	util_write_file_atomic(p, far, strlen(far));
	o = instrument_parse_debug_logs(d);
	ck_assert_ptr_nonnull(o);
	tm = cJSON_GetObjectItem(o, "timers_ms");
	ck_assert_ptr_null(cJSON_GetObjectItem(tm, "r/a"));
	ck_assert_double_eq_tol(num(tm, "r/b"), 2.0, 1e-9);
	cJSON_Delete(o);
	/* Control characters in a timeline name become '_'. */
	const char *ctl = "I1122 12:00:00.000000       1 t.go:1] r timing data: 5 x start a\tb\n"
	                  "I1122 12:00:00.000000       1 t.go:1] r timing data: 1000005 x end a\tb\n";
	util_write_file_atomic(p, ctl, strlen(ctl));
	o = instrument_parse_debug_logs(d);
	ck_assert_double_eq_tol(num(cJSON_GetObjectItem(o, "timers_ms"), "r/a_b"), 1.0, 1e-9);
	cJSON_Delete(o);
	util_rm_rf(d);
	free(d);
	free(p);
}
END_TEST

Suite *suite_instrument(void)
{
	Suite *s = suite_create("instrument");
	TCase *tc = tcase_create("parsers");
	tcase_add_test(tc, test_glog_time);
	tcase_add_test(tc, test_debug_markers);
	tcase_add_test(tc, test_inittrace);
	tcase_add_test(tc, test_timing_lines);
	suite_add_tcase(s, tc);
	return s;
}
