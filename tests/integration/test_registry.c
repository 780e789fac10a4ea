/* No tracked file names a package registry's host (README "Hostile inputs
 * and fuzzing", issue 19 item 5). The hosts are this machine's own: every
 * URI of its apt sources (/etc/apt/sources.list, sources.list.d/ *.list and
 * *.sources) and `go env GOPROXY GOSUMDB`, so no host name is written in the
 * repository, this test included. And hosts/install-deps.sh takes the
 * archive it adds from those sources. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_HOSTS 64

struct hosts {
	char *name[MAX_HOSTS];
	size_t n;
};

/* Adds the host of a URL ("scheme://host[:port]/...") or of a bare name. */
static void add_host(struct hosts *h, const char *url)
{
	const char *s = strstr(url, "://");
	s = s ? s + 3 : url;
	size_t len = strcspn(s, "/:@ \t\r\n,|");
	if (len < 4 || !memchr(s, '.', len) || h->n == MAX_HOSTS)
		return;
	char *name = util_fmt("%.*s", (int)len, s);
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0) {
			free(name);
			return;
		}
	h->name[h->n++] = name;
}

/* Every URI in an apt sources file, one-line or deb822. */
static void apt_file_hosts(struct hosts *h, const char *path)
{
	char *t = util_read_file(path, NULL);
	if (!t)
		return;
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*l))
			l++;
		if (strncmp(l, "URIs:", 5) == 0 || strncmp(l, "deb ", 4) == 0 ||
		    strncmp(l, "deb-src ", 8) == 0)
			for (char *s2 = NULL, *w = strtok_r(l, " \t", &s2); w; w = strtok_r(NULL, " \t", &s2))
				if (strstr(w, "://"))
					add_host(h, w);
	}
	free(t);
}

static void registry_hosts(struct hosts *h)
{
	apt_file_hosts(h, "/etc/apt/sources.list");
	static const char *const pats[] = {"/etc/apt/sources.list.d/*.list",
	                                   "/etc/apt/sources.list.d/*.sources"};
	for (int i = 0; i < 2; i++) {
		glob_t g;
		if (glob(pats[i], 0, NULL, &g) == 0)
			for (size_t k = 0; k < g.gl_pathc; k++)
				apt_file_hosts(h, g.gl_pathv[k]);
		globfree(&g);
	}
	char *out = NULL;
	char *go[] = {"go", "env", "GOPROXY", "GOSUMDB", NULL};
	if (itest_run(&out, go) == 0) {
		/* GOPROXY: URLs split by , or |; GOSUMDB: NAME[+KEY] [URL]. */
		for (char *s = out; *s;) {
			size_t w = strcspn(s, ",| \n");
			char *word = util_fmt("%.*s", (int)w, s);
			char *plus = strchr(word, '+');
			if (plus)
				*plus = '\0';
			if (strcmp(word, "direct") && strcmp(word, "off"))
				add_host(h, word);
			free(word);
			s += w;
			s += strspn(s, ",| \n");
		}
	}
	free(out);
}

START_TEST(test_no_registry_host_in_tracked_files)
{
	struct hosts h = {0};
	registry_hosts(&h);
	if (h.n == 0) {
		ck_abort_msg("no apt sources and no go here: no registry hosts to look for");
		return;
	}
	char *list = NULL;
	char *git[] = {"git", "ls-files", NULL};
	ck_assert_msg(itest_run(&list, git) == 0, "git ls-files: %s", list);
	int found = 0;
	for (char *save = NULL, *f = strtok_r(list, "\n", &save); f; f = strtok_r(NULL, "\n", &save)) {
		size_t len;
		char *t = util_read_file(f, &len);
		if (!t)
			continue; /* a symlink to a directory, a file deleted in the work tree */
		for (size_t i = 0; i < h.n; i++)
			if (memmem(t, len, h.name[i], strlen(h.name[i]))) {
				fprintf(stderr, "registry host %s named in %s\n", h.name[i], f);
				found++;
			}
		free(t);
	}
	free(list);
	ck_assert_msg(found == 0, "%d tracked files name a package registry's host (see above)",
	              found);
	for (size_t i = 0; i < h.n; i++)
		free(h.name[i]);
}
END_TEST

/* install-deps.sh reads the archive from the apt sources it is shown:
 * one-line lists first, then deb822 files; a release it has no source for
 * is a failed precondition (69). */
START_TEST(test_install_deps_archive_from_sources)
{
	char *d = itest_tmpdir("apt"), *o = NULL;
	char *ld = util_fmt("%s/sources.list.d", d), *sl = util_fmt("%s/sources.list", d);
	char *src = util_fmt("%s/a.sources", ld);
	ck_assert_int_eq(util_mkdir_p(ld, 0755), 0);
	char *codename = NULL;
	char *cn[] = {"sh", "-c", ". /etc/os-release && printf %s \"$VERSION_CODENAME\"", NULL};
	ck_assert_int_eq(itest_run(&codename, cn), 0);
	char *deb822 = util_fmt("Types: deb\nURIs: http://m2.invalid/debian\nSuites: %s-security\n\n"
	                        "Types: deb-src deb\nURIs: http://m3.invalid/debian http://m4.invalid/x\n"
	                        "Suites: other %s\nComponents: main\n", codename, codename);
	ck_assert_int_eq(util_write_file_atomic(src, deb822, strlen(deb822)), 0);
	setenv("GVAB_APT_ETC", d, 1);
	char *argv[] = {"sh", "hosts/install-deps.sh", "--print-archive", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 0);
	ck_assert_str_eq(o, "http://m3.invalid/debian\n");
	free(o);
	char *line = util_fmt("# x\ndeb [arch=amd64 signed-by=/k.gpg] http://m1.invalid/debian %s main\n",
	                      codename);
	ck_assert_int_eq(util_write_file_atomic(sl, line, strlen(line)), 0);
	ck_assert_int_eq(itest_run(&o, argv), 0);
	ck_assert_str_eq(o, "http://m1.invalid/debian\n");
	free(o);
	unlink(sl);
	unlink(src);
	ck_assert_int_eq(itest_run(&o, argv), 69);
	free(o);
	unsetenv("GVAB_APT_ETC");
	util_rm_rf(d);
	free(line);
	free(deb822);
	free(codename);
	free(src);
	free(sl);
	free(ld);
	free(d);
}
END_TEST

Suite *suite_registry(void)
{
	Suite *s = suite_create("registry hosts");
	TCase *tc = tcase_create("registry");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_no_registry_host_in_tracked_files);
	tcase_add_test(tc, test_install_deps_archive_from_sources);
	suite_add_tcase(s, tc);
	return s;
}
