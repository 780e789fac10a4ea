/* knobs: journal before change, restore, stale-journal recovery, on a fake
 * sysfs tree (GVAB_SYSFS_ROOT) so the host is never touched. */
#define _GNU_SOURCE
#include "error.h"
#include "knobs.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *dir;

static void put(const char *rel, const char *v)
{
	char *p = util_fmt("%s/sys/%s", dir, rel);
	char *d = util_xstrdup(p);
	*strrchr(d, '/') = '\0';
	ck_assert_int_eq(util_mkdir_p(d, 0755), 0);
	ck_assert_int_eq(util_write_file_atomic(p, v, strlen(v)), 0);
	free(p);
	free(d);
}

static char *get(const char *rel)
{
	char *p = util_fmt("%s/sys/%s", dir, rel);
	char *t = util_read_file(p, NULL);
	free(p);
	return t;
}

static void setup(void)
{
	dir = test_tmpdir("knobs");
	char *root = util_fmt("%s/sys", dir), *j = util_fmt("%s/journal.json", dir);
	setenv("GVAB_SYSFS_ROOT", root, 1);
	setenv("GVAB_JOURNAL", j, 1);
	free(root);
	free(j);
	put("kernel/rcu_expedited", "1\n");
	put("kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	put("kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n");
	put("kernel/mm/transparent_hugepage/shmem_enabled", "always within_size advise [never] deny force\n");
}

static void teardown(void)
{
	unsetenv("GVAB_SYSFS_ROOT");
	unsetenv("GVAB_JOURNAL");
	util_rm_rf(dir);
	free(dir);
}

START_TEST(test_read)
{
	char v[64];
	ck_assert_int_eq(knobs_read("thp_defrag", v, sizeof v), 0);
	ck_assert_str_eq(v, "madvise");
	ck_assert_int_eq(knobs_read("rcu_expedited", v, sizeof v), 0);
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(knobs_read("nope", v, sizeof v), GVAB_EUSAGE);
	char n[32], val[64];
	ck_assert_int_eq(knobs_parse_setting("rcu_expedited=0", n, 32, val, 64), 0);
	ck_assert_str_eq(n, "rcu_expedited");
	ck_assert_int_lt(knobs_parse_setting("rcu_expedited", n, 32, val, 64), 0);
	ck_assert_int_lt(knobs_parse_setting("bogus=1", n, 32, val, 64), 0);
}
END_TEST

START_TEST(test_set_journal_restore)
{
	struct knobs k;
	knobs_init(&k);
	ck_assert_int_eq(knobs_set(&k, "rcu_expedited", "0"), 0);
	/* The journal holds the original before anything else happens. */
	char *jp = util_fmt("%s/journal.json", dir);
	char *j = util_read_file(jp, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_nonnull(strstr(j, "\"original\":\t\"1\""));
	free(j);
	char *v = get("kernel/rcu_expedited");
	ck_assert_str_eq(v, "0");
	free(v);
	ck_assert_int_eq(knobs_set(&k, "rcu_expedited", "1"), 0);
	ck_assert_int_eq(knobs_set(&k, "rcu_expedited", "0"), 0);
	ck_assert_uint_eq(k.nchanged, 1); /* original recorded once */
	ck_assert_int_eq(knobs_restore(&k), 0);
	v = get("kernel/rcu_expedited");
	ck_assert_str_eq(v, "1");
	free(v);
	ck_assert(!util_path_exists(jp));
	free(jp);
}
END_TEST

START_TEST(test_recover_stale)
{
	/* A journal left by a process that no longer exists. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	char *rp = util_fmt("%s/sys/kernel/rcu_expedited", dir);
	char *j = util_fmt("{\"format\":\"gvab-knobs-journal/1\",\"pid\":%d,\"knobs\":[{\"name\":"
	                   "\"rcu_expedited\",\"path\":\"%s\",\"original\":\"1\"}]}", (int)pid, rp);
	char *jp = util_fmt("%s/journal.json", dir);
	ck_assert_int_eq(util_write_file_atomic(jp, j, strlen(j)), 0);
	put("kernel/rcu_expedited", "0\n");
	ck_assert_int_eq(knobs_recover_stale(), 1);
	char *v = get("kernel/rcu_expedited");
	ck_assert_str_eq(v, "1");
	ck_assert(!util_path_exists(jp));
	ck_assert_int_eq(knobs_recover_stale(), 0);
	/* A live owner is refused. */
	free(j);
	j = util_fmt("{\"pid\":%d,\"knobs\":[]}", (int)getppid());
	ck_assert_int_eq(util_write_file_atomic(jp, j, strlen(j)), 0);
	ck_assert_int_eq(knobs_recover_stale(), GVAB_EPRECOND);
	/* Garbage is invalid data, named. */
	ck_assert_int_eq(util_write_file_atomic(jp, "{", 1), 0);
	ck_assert_int_eq(knobs_recover_stale(), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "journal.json"));
	free(v);
	free(j);
	free(jp);
	free(rp);
}
END_TEST

Suite *suite_knobs(void)
{
	Suite *s = suite_create("knobs");
	TCase *tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_set_journal_restore);
	tcase_add_test(tc, test_recover_stale);
	suite_add_tcase(s, tc);
	return s;
}
