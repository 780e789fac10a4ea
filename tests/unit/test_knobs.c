/* knobs: journal before change, restore, stale-journal recovery, atomic
 * ownership (flock) and pid reuse, on a fake sysfs tree (GVAB_SYSFS_ROOT)
 * so the host is never touched. */
#define _GNU_SOURCE
#include "error.h"
#include "knobs.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
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
	/* Not the owner: nothing is written. */
	ck_assert_int_lt(knobs_set(&k, "rcu_expedited", "0"), 0);
	ck_assert_int_eq(knobs_acquire(&k), 0);
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
	knobs_release(&k);
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
	/* A journal naming a live pid (its writer's pid was reused) whose
	 * lock nobody holds is a dead owner's: restored, not a blocker. */
	free(j);
	j = util_fmt("{\"pid\":%d,\"knobs\":[{\"name\":\"rcu_expedited\",\"path\":\"%s\","
	             "\"original\":\"1\"}]}", (int)getppid(), rp);
	ck_assert_int_eq(util_write_file_atomic(jp, j, strlen(j)), 0);
	put("kernel/rcu_expedited", "0\n");
	ck_assert_int_eq(knobs_recover_stale(), 1);
	free(v);
	v = get("kernel/rcu_expedited");
	ck_assert_str_eq(v, "1");
	/* A path that is not the knob's is refused, never written. */
	free(j);
	j = util_fmt("{\"pid\":1,\"knobs\":[{\"name\":\"rcu_expedited\",\"path\":\"%s/evil\","
	             "\"original\":\"1\"}]}", dir);
	ck_assert_int_eq(util_write_file_atomic(jp, j, strlen(j)), 0);
	ck_assert_int_eq(knobs_recover_stale(), GVAB_EDATA);
	char *evil = util_fmt("%s/evil", dir);
	ck_assert(!util_path_exists(evil));
	free(evil);
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

/* Ownership is taken before anything is read: while one process owns the
 * knobs (before it has changed any, so there is no journal yet, which the
 * old check-then-act code let through), another cannot take them. When the
 * owner dies, its lock goes with it. */
START_TEST(test_ownership_is_exclusive)
{
	int to_child[2], to_parent[2];
	ck_assert_int_eq(pipe(to_child), 0);
	ck_assert_int_eq(pipe(to_parent), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct knobs k;
		knobs_init(&k);
		char c = knobs_acquire(&k) == 0 ? 'y' : 'n';
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(0); /* dies holding the lock, no restore */
	}
	char c = 0;
	ck_assert_int_eq(read(to_parent[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	char *jp = util_fmt("%s/journal.json", dir);
	ck_assert(!util_path_exists(jp));
	struct knobs k;
	knobs_init(&k);
	ck_assert_int_eq(knobs_acquire(&k), GVAB_EPRECOND);
	char *want = util_fmt("pid %d", (int)pid);
	ck_assert_msg(strstr(error_last(), want), "%s", error_last());
	ck_assert_int_eq(knobs_recover_stale(), GVAB_EPRECOND);
	ck_assert_int_lt(knobs_set(&k, "rcu_expedited", "0"), 0);
	char *v = get("kernel/rcu_expedited");
	ck_assert_str_eq(v, "1\n");
	free(v);
	ck_assert_int_eq(write(to_child[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_eq(knobs_acquire(&k), 0);
	knobs_release(&k);
	free(want);
	free(jp);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}
END_TEST

/* Many processes racing for the knobs at once: exactly one wins. */
START_TEST(test_ownership_race)
{
	enum { N = 8 };
	pid_t kids[N];
	int go[2], res[2];
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(res), 0);
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) != 0) /* released together at EOF */
				_exit(2);
			struct knobs k;
			knobs_init(&k);
			c = knobs_acquire(&k) == 0 ? 'y' : 'n';
			if (write(res[1], &c, 1) != 1)
				_exit(2);
			pause(); /* hold it until killed */
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	int won = 0;
	for (int i = 0; i < N; i++) {
		char c;
		ck_assert_int_eq(read(res[0], &c, 1), 1);
		won += c == 'y';
	}
	for (int i = 0; i < N; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	close(res[0]);
	close(res[1]);
	ck_assert_int_eq(won, 1);
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
	tcase_add_test(tc, test_ownership_is_exclusive);
	tcase_add_test(tc, test_ownership_race);
	suite_add_tcase(s, tc);
	return s;
}
