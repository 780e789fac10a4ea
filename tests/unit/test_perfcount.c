/* perfcount and proc_spawn's gate: an event the host does not offer is
 * reported with its reason, never as 0; a boot with nothing attached has
 * no count; a gated child is counted from its exec with its descendants;
 * a failing gate kills the child and fails the spawn; a gated exec of a
 * missing program fails as posix_spawn's does. (The exact per-boot
 * membarrier count under host-wide noise: tests/integration/test_perfcount.c.) */
#define _GNU_SOURCE
#include "error.h"
#include "perfcount.h"
#include "proc.h"
#include "tests.h"
#include "../skip.h"

#include <linux/perf_event.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(unavailable_is_never_zero)
{
	struct perfcount_set s;
	perfcount_init(&s);
	/* No kernel has software event 0x7fff (beyond PERF_COUNT_SW_MAX). */
	ck_assert_int_eq(perfcount_add(&s, "bogus", PERF_TYPE_SOFTWARE, 0x7fff), 0);
	ck_assert_int_eq(s.ev[0].available, 0);
	perfcount_begin(&s);
	ck_assert_int_eq(perfcount_attach(getpid(), &s), 0);
	perfcount_collect(&s);
	long long n = -1;
	const char *why = perfcount_value(&s, "bogus", &n);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "bogus: perf_event_open: "));
	ck_assert_int_eq(n, -1);
	ck_assert_ptr_nonnull(perfcount_value(&s, "not-in-the-set", &n));
	perfcount_close(&s);
}
END_TEST

static int failing_gate(pid_t pid, void *arg)
{
	*(pid_t *)arg = pid;
	return error_set("gate refused pid %d", (int)pid);
}

START_TEST(gate_counts_child_and_descendants)
{
	struct perfcount_set s;
	perfcount_init(&s);
	perfcount_add(&s, "task_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
	if (!s.ev[0].available)
		TEST_SKIP("perf software events unavailable here: %s", s.ev[0].why);
	/* No process attached: no count, a reason. */
	perfcount_begin(&s);
	perfcount_collect(&s);
	long long n = -1;
	ck_assert_ptr_nonnull(perfcount_value(&s, "task_clock", &n));
	/* A child and its descendant, counted from the child's exec. */
	perfcount_begin(&s);
	char *argv[] = {"sh", "-c", "sh -c 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done'", NULL};
	struct proc_opts o = {.argv = argv, .stdin_null = 1, .gate = perfcount_attach, .gate_arg = &s};
	pid_t pid;
	int st;
	ck_assert_int_eq(proc_spawn(&o, &pid), 0);
	ck_assert_int_eq(proc_wait(pid, &st, NULL), 0);
	ck_assert_int_eq(proc_status_code(st), 0);
	perfcount_collect(&s);
	ck_assert_ptr_null(perfcount_value(&s, "task_clock", &n));
	ck_assert_int_gt(n, 0);
	perfcount_close(&s);
}
END_TEST

START_TEST(gate_failure_and_exec_failure)
{
	pid_t seen = 0, pid = 0;
	char *argv[] = {"true", NULL};
	struct proc_opts o = {.argv = argv, .stdin_null = 1, .gate = failing_gate, .gate_arg = &seen};
	ck_assert_int_lt(proc_spawn(&o, &pid), 0);
	ck_assert_ptr_nonnull(strstr(error_last(), "gate refused"));
	ck_assert_int_gt(seen, 0);
	/* The child is gone and reaped. */
	ck_assert_int_eq(waitpid(seen, NULL, WNOHANG), -1);
	struct perfcount_set s;
	perfcount_init(&s);
	char *missing[] = {"/nonexistent/gvab-no-such-program", NULL};
	struct proc_opts m = {.argv = missing, .stdin_null = 1, .gate = perfcount_attach, .gate_arg = &s};
	ck_assert_int_eq(proc_spawn(&m, &pid), GVAB_EPRECOND);
	ck_assert_ptr_nonnull(strstr(error_last(), "No such file"));
}
END_TEST

Suite *suite_perfcount(void)
{
	Suite *s = suite_create("perfcount");
	TCase *tc = tcase_create("events");
	tcase_add_test(tc, unavailable_is_never_zero);
	tcase_add_test(tc, gate_counts_child_and_descendants);
	tcase_add_test(tc, gate_failure_and_exec_failure);
	suite_add_tcase(s, tc);
	return s;
}
