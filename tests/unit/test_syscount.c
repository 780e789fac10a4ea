/* syscount: the tracepoint id is found when tracefs is not mounted, and no
 * mount is left behind. Runs in a child with a private mount namespace in
 * which every tracefs mount is removed first, which is what a fresh machine
 * of this project's kind looks like, without touching the host's mounts. */
#define _GNU_SOURCE
#include "error.h"
#include "perfcount.h"
#include "syscount.h"
#include "tests.h"
#include "util.h"
#include "../skip.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/* Number of tracefs mounts this process sees. */
static int tracefs_mounts(void)
{
	char *t = util_read_file("/proc/self/mountinfo", NULL);
	int n = 0;
	for (char *p = t; p && (p = strstr(p, " - tracefs ")); p++)
		n++;
	free(t);
	return n;
}

/* Child exit codes: 0 ok, 2 the id was not found, 3 a mount was left,
 * 4 could not clear the namespace's tracefs mounts, 77 cannot unshare. */
static int child(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 77;
	static const char *const pts[] = {"/sys/kernel/debug/tracing", "/sys/kernel/tracing"};
	for (int round = 0; round < 4 && tracefs_mounts() > 0; round++)
		for (size_t i = 0; i < 2; i++)
			umount2(pts[i], MNT_DETACH);
	if (tracefs_mounts() > 0)
		return 4;
	long id = syscount_tracepoint_id("syscalls/sys_enter_membarrier");
	if (id <= 0) {
		fprintf(stderr, "syscount_tracepoint_id: %s\n", error_last());
		return 2;
	}
	if (tracefs_mounts() != 0)
		return 3;
	struct perfcount_set s;
	perfcount_init(&s);
	perfcount_add_tracepoint(&s, "register", "syscalls/sys_enter_membarrier", "cmd == 16");
	if (!s.ev[0].available) {
		fprintf(stderr, "perfcount_add_tracepoint: %s\n", s.ev[0].why);
		return 2;
	}
	perfcount_close(&s);
	return tracefs_mounts() == 0 ? 0 : 3;
}

START_TEST(id_without_tracefs_mounted)
{
	if (geteuid() != 0)
		TEST_SKIP("not root: mounting tracefs needs CAP_SYS_ADMIN");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(child());
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		TEST_SKIP("no private mount namespace here (unshare refused)");
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST


/* util_umount_under: mounts below a directory go, deepest first, so the
 * directory can be removed (newer runsc leaves an nsfs bind mount in its
 * --root). In a private mount namespace, on tmpfs mounts the test makes. */
static int umount_child(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 77;
	char *d = test_tmpdir("umount");
	char *a = util_fmt("%s/a", d), *b = util_fmt("%s/a/b", d);
	if (util_mkdir_p(a, 0755) < 0 || mount("none", a, "tmpfs", 0, NULL) < 0 ||
	    util_mkdir_p(b, 0755) < 0 || mount("none", b, "tmpfs", 0, NULL) < 0)
		return 77;
	if (util_umount_under(d) != 2)
		return 2;
	if (util_rm_rf(d) < 0 || util_path_exists(d))
		return 3;
	return 0;
}

START_TEST(umount_under)
{
	if (geteuid() != 0)
		TEST_SKIP("not root: mounting tmpfs needs CAP_SYS_ADMIN");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(umount_child());
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		TEST_SKIP("no private mount namespace or tmpfs mount here");
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

Suite *suite_syscount(void)
{
	Suite *s = suite_create("syscount");
	TCase *tc = tcase_create("tracefs");
	tcase_add_test(tc, id_without_tracefs_mounted);
	tcase_add_test(tc, umount_under);
	suite_add_tcase(s, tc);
	return s;
}
