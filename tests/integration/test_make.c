/* The build as a newcomer and CI meet it.
 *
 * "tree" (fast): tests/check_tree.sh, which `make check` runs first, fails
 * when a folder holding tracked files matches an ignore rule (an unanchored
 * `build/` in .gitignore used to match rig/build/, so a new file there was
 * left out of commits and a clean clone failed to link), and passes on the
 * anchored rule; and this checkout passes it.
 *
 * "make" (slow, full suite only): plain `make` in a fresh clone of this
 * repository's HEAD leaves build/gvab, build/gvab-rig and
 * build/gvab-workload (it used to build only build/ar/core.a, the first
 * explicit rule, and exit 0). */
#define _GNU_SOURCE
#include "itest.h"
#include "proc.h"
#include "util.h"
#include "../skip.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs argv in cwd with a plain environment for make (no MAKEFLAGS of a
 * `make check` above this test). Returns the exit code; *out gets the
 * output. */
static int run_in(const char *cwd, char *const *argv, char **out)
{
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	char *o = NULL;
	int st = 0;
	extern char **environ;
	ck_assert_int_eq(proc_run_capture(argv, environ, cwd, &o, &st), 0);
	*out = o;
	return proc_status_code(st);
}

static void git_in(const char *cwd, const char *a, const char *b, const char *c)
{
	char *argv[] = {"git", "-c", "user.name=gvab tests", "-c", "user.email=tests@gvab.invalid",
	                (char *)a, (char *)b, (char *)c, NULL};
	char *o = NULL;
	int rc = run_in(cwd, argv, &o);
	ck_assert_msg(rc == 0, "git %s %s: exit %d: %s", a, b ? b : "", rc, o);
	free(o);
}

static void write_in(const char *dir, const char *name, const char *text)
{
	char *p = util_fmt("%s/%s", dir, name);
	ck_assert_int_eq(util_write_file_atomic(p, text, strlen(text)), 0);
	free(p);
}

START_TEST(test_tracked_folder_ignored_fails)
{
	char *top = getcwd(NULL, 0);
	char *script = util_fmt("%s/tests/check_tree.sh", top);
	char *d = itest_tmpdir("tree");
	char *sub = util_fmt("%s/rig/build", d);
	ck_assert_int_eq(util_mkdir_p(sub, 0755), 0);
	write_in(sub, "new.c", "int x;\n");
	write_in(d, ".gitignore", "build/\n");
	git_in(d, "init", "-q", NULL);
	git_in(d, "add", "-f", ".");
	git_in(d, "commit", "-qm", "unanchored build/");
	char *argv[] = {"sh", script, d, NULL};
	char *o = NULL;
	ck_assert_int_eq(run_in(d, argv, &o), 1);
	ck_assert_msg(strstr(o, "rig/build/"), "%s", o);
	free(o);
	write_in(d, ".gitignore", "/build/\n");
	ck_assert_int_eq(run_in(d, argv, &o), 0);
	free(o);
	/* This checkout itself. */
	char *self[] = {"sh", script, top, NULL};
	ck_assert_int_eq(run_in(top, self, &o), 0);
	free(o);
	util_rm_rf(d);
	free(d);
	free(sub);
	free(script);
	free(top);
}
END_TEST

START_TEST(test_plain_make_in_fresh_clone)
{
	char *top = getcwd(NULL, 0);
	char *d = itest_tmpdir("clone");
	char *clone = util_fmt("%s/gvab", d);
	char *o = NULL;
	char *gc[] = {"git", "clone", "-q", "--no-hardlinks", top, clone, NULL};
	char *dotgit = util_fmt("%s/.git", top);
	int git_checkout = util_path_exists(dotgit);
	free(dotgit);
	if (!git_checkout)
		TEST_SKIP("%s is not a git checkout (a release tarball): nothing to clone", top);
	int rc = run_in(d, gc, &o);
	ck_assert_msg(rc == 0, "git clone: %s", o);
	free(o);
	char *mk[] = {"make", NULL};
	rc = run_in(clone, mk, &o);
	ck_assert_msg(rc == 0, "make: exit %d:\n%s", rc, o);
	free(o);
	static const char *const progs[] = {"build/gvab", "build/gvab-rig", "build/gvab-workload"};
	for (size_t i = 0; i < 3; i++) {
		char *p = util_fmt("%s/%s", clone, progs[i]);
		ck_assert_msg(access(p, X_OK) == 0, "plain make left no %s", progs[i]);
		free(p);
	}
	char *gv = util_fmt("%s/build/gvab", clone);
	char *ver[] = {gv, "--version", NULL};
	ck_assert_int_eq(run_in(clone, ver, &o), 0);
	free(o);
	free(gv);
	util_rm_rf(d);
	free(clone);
	free(d);
	free(top);
}
END_TEST

Suite *suite_tree(void)
{
	Suite *s = suite_create("tree (ignore rules)");
	TCase *tc = tcase_create("check_tree");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tracked_folder_ignored_fails);
	suite_add_tcase(s, tc);
	return s;
}

Suite *suite_make(void)
{
	Suite *s = suite_create("make (fresh clone)");
	TCase *tc = tcase_create("plain make");
	tcase_set_timeout(tc, 1800); /* a hang guard: a serial build on a loaded 2-vCPU host */
	tcase_add_test(tc, test_plain_make_in_fresh_clone);
	suite_add_tcase(s, tc);
	return s;
}
