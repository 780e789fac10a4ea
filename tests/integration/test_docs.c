/* The documents against the program: README.md and every each docs/ page.
 *   - every `gvab ...` command line they show (a line of a code block, or
 *     an inline code span starting with "gvab ") parses with gvab's own
 *     option tables: it is run with GVAB_DRY_PARSE=1 (rig/core/opt.c), which
 *     accepts a placeholder argument ("N", "DIR") unchecked and exits 0 at
 *     the end of the options, before the command does anything;
 *   - every relative link ([text](path), ![alt](path)) names a file or
 *     directory that exists.
 * A synopsis is read as a reader would: "[--out DIR]" is "--out DIR",
 * "du|prune" is "du", "..." and "[...]" are left out. Runs no sandbox. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WORDS 64

struct docs_check {
	int commands; /* command lines run */
	int links;    /* relative links checked */
	int bad;      /* failures, each printed */
};

static int all_caps(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* Splits a command line into words (single and double quotes group, a
 * '#' after a space starts a comment), then reads the synopsis notation.
 * Returns the number of words; each word is allocated. */
static int split_words(const char *line, char **w)
{
	int n = 0;
	const char *s = line;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			break;
		char buf[1024];
		size_t k = 0;
		while (*s && *s != ' ' && *s != '\t' && k + 1 < sizeof buf) {
			if (*s == '\'' || *s == '"') {
				char q = *s++;
				while (*s && *s != q && k + 1 < sizeof buf)
					buf[k++] = *s++;
				if (*s)
					s++;
			} else
				buf[k++] = *s++;
		}
		buf[k] = 0;
		char *word = buf;
		if (strcmp(word, "...") == 0 || strcmp(word, "[...]") == 0)
			continue;
		if (*word == '[')
			word++;
		size_t len = strlen(word);
		if (len && word[len - 1] == ']')
			word[--len] = 0;
		if (len > 3 && strcmp(word + len - 3, "...") == 0)
			word[len -= 3] = 0;
		if (word[0] != '-' || word[1] != '-') {
			char *bar = strchr(word, '|');
			if (bar && bar != word)
				*bar = 0;
		}
		if (*word && n < MAX_WORDS - 1)
			w[n++] = util_xstrdup(word);
	}
	w[n] = NULL;
	return n;
}

/* Runs one documented command line, if it is one of gvab's. */
static void check_command(struct docs_check *dc, const char *file, int lineno, const char *line)
{
	char *w[MAX_WORDS];
	int n = split_words(line, w);
	const char *prog = n ? w[0] : "";
	size_t pl = strlen(prog);
	int is_gvab = strcmp(prog, "gvab") == 0 || (pl > 5 && strcmp(prog + pl - 5, "/gvab") == 0);
	/* "gvab CMD --help", "gvab help CMD": a placeholder, not a command. */
	int placeholder = n < 2 || all_caps(w[1]) || (strcmp(w[1], "help") == 0 && n > 2 && all_caps(w[2]));
	if (is_gvab && !placeholder) {
		free(w[0]);
		w[0] = util_xstrdup(itest_gvab());
		char *out = NULL;
		int code = itest_run(&out, w);
		dc->commands++;
		if (code != 0) {
			fprintf(stderr, "%s:%d: `%s` does not parse (exit %d): %s", file, lineno, line, code,
			        out ? out : "\n");
			dc->bad++;
		}
		free(out);
	}
	for (int i = 0; i < n; i++)
		free(w[i]);
}

/* Every relative link target of one line of prose exists (relative to the
 * document's folder; an anchor after '#' is not checked). */
static void check_links(struct docs_check *dc, const char *file, const char *dir, int lineno,
                        const char *line)
{
	for (const char *s = strstr(line, "]("); s; s = strstr(s + 1, "](")) {
		const char *t = s + 2, *e = strchr(t, ')');
		if (!e)
			continue;
		char *target = util_fmt("%.*s", (int)(e - t), t);
		target[strcspn(target, "# ")] = 0;
		if (*target && !strstr(target, "://") && strncmp(target, "mailto:", 7) != 0) {
			char *path = util_fmt("%s/%s", dir, target);
			struct stat st;
			dc->links++;
			if (stat(path, &st) != 0) {
				fprintf(stderr, "%s:%d: link '%s' does not resolve (%s)\n", file, lineno, target, path);
				dc->bad++;
			}
			free(path);
		}
		free(target);
	}
}

/* One markdown file: code blocks line by line (a trailing '\' joins the
 * next line), inline code spans (any number of backticks) across line
 * breaks, links in prose. */
static void check_file(struct docs_check *dc, const char *file)
{
	char *text = util_read_file(file, NULL);
	ck_assert_msg(text, "%s: cannot read", file);
	char *dir = util_xstrdup(file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	int in_fence = 0, lineno = 0;
	char *joined = NULL;
	int joined_line = 0;
	/* Prose is collected per paragraph so a code span may break lines. */
	char *para = util_xstrdup("");
	int para_line = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (strncmp(line, "```", 3) == 0) {
			in_fence = !in_fence;
			continue;
		}
		if (in_fence) {
			size_t len = strlen(line);
			int cont = len && line[len - 1] == '\\';
			if (cont)
				line[len - 1] = 0;
			const char *l = strncmp(line, "$ ", 2) == 0 ? line + 2 : line;
			if (!joined) {
				joined = util_xstrdup(l);
				joined_line = lineno;
			} else {
				char *j = util_fmt("%s %s", joined, l);
				free(joined);
				joined = j;
			}
			if (!cont) {
				check_command(dc, file, joined_line, joined);
				free(joined);
				joined = NULL;
			}
			continue;
		}
		check_links(dc, file, dir, lineno, line);
		if (!*para)
			para_line = lineno;
		char *p = util_fmt("%s%s%s", para, *para ? " " : "", line);
		free(para);
		para = p;
		if (*line && next && *next && *next != '\n')
			continue; /* the paragraph goes on */
		/* Code spans of the paragraph: `x`, ``x``; "\|" is a table's '|'. */
		for (char *s = para; (s = strchr(s, '`'));) {
			size_t ticks = strspn(s, "`");
			char *close = NULL;
			for (char *c = s + ticks; (c = strchr(c, '`')); c += strspn(c, "`"))
				if (strspn(c, "`") == ticks) {
					close = c;
					break;
				}
			if (!close)
				break;
			char *span = util_fmt("%.*s", (int)(close - s - ticks), s + ticks);
			for (char *b; (b = strstr(span, "\\|"));)
				memmove(b, b + 1, strlen(b));
			if (strncmp(span, "gvab ", 5) == 0)
				check_command(dc, file, para_line, span);
			free(span);
			s = close + ticks;
		}
		free(para);
		para = util_xstrdup("");
	}
	free(para);
	free(joined);
	free(dir);
	free(text);
}

START_TEST(test_docs_commands_and_links)
{
	setenv("GVAB_DRY_PARSE", "1", 1);
	struct docs_check dc = {0};
	check_file(&dc, "README.md");
	DIR *d = opendir("docs");
	ck_assert_msg(d, "docs/: cannot open");
	int files = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len > 3 && strcmp(e->d_name + len - 3, ".md") == 0) {
			char *f = util_fmt("docs/%s", e->d_name);
			check_file(&dc, f);
			free(f);
			files++;
		}
	}
	closedir(d);
	unsetenv("GVAB_DRY_PARSE");
	/* README, its index and the topic pages; dozens of commands. */
	ck_assert_int_ge(files, 9);
	ck_assert_int_ge(dc.commands, 40);
	ck_assert_int_ge(dc.links, 20);
	ck_assert_msg(dc.bad == 0, "%d command lines or links of the documents fail (listed above)", dc.bad);
}
END_TEST

/* The dry parse is a real parse: a wrong option or value still fails. */
START_TEST(test_docs_dry_parse_refuses)
{
	setenv("GVAB_DRY_PARSE", "1", 1);
	char *bad_opt[] = {(char *)itest_gvab(), "run", "--no-such-option", NULL};
	char *bad_val[] = {(char *)itest_gvab(), "run", "--iterations", "-3", NULL};
	char *good[] = {(char *)itest_gvab(), "run", "--iterations", "N", "--arm", "a=/x", NULL};
	ck_assert_int_eq(itest_run(NULL, bad_opt), 64);
	ck_assert_int_eq(itest_run(NULL, bad_val), 64);
	ck_assert_int_eq(itest_run(NULL, good), 0);
	unsetenv("GVAB_DRY_PARSE");
}
END_TEST

/* One range and one message per meaning: every --alpha of every command
 * is refused the same way, and a value inside the range is taken. */
START_TEST(test_docs_alpha_one_range)
{
	static const char *const cmds[][2] = {{"gate", "r"}, {"compare", "r"}, {"report", "r"}, {"bisect", NULL},
	                                      {"trend", NULL}, {"history", "check"}};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		for (int good = 0; good < 2; good++) {
			char *o = NULL;
			char *argv[] = {(char *)itest_gvab(), (char *)cmds[i][0], "--alpha", good ? "0.2" : "0.5",
			                (char *)cmds[i][1], NULL};
			if (good)
				setenv("GVAB_DRY_PARSE", "1", 1);
			int code = itest_run(&o, argv);
			unsetenv("GVAB_DRY_PARSE");
			if (good) {
				ck_assert_msg(code == 0, "%s --alpha 0.2: exit %d: %s", cmds[i][0], code, o);
			} else {
				char *want = util_fmt("gvab: %s: option '--alpha': '0.5' is not a number above 0 and below "
				                      "0.5 (see gvab help %s)\n", cmds[i][0], cmds[i][0]);
				ck_assert_msg(code == 64 && o && strcmp(o, want) == 0, "%s: exit %d: %s", cmds[i][0], code, o);
				free(want);
			}
			free(o);
		}
	}
}
END_TEST

Suite *suite_docs(void)
{
	Suite *s = suite_create("docs");
	TCase *tc = tcase_create("docs");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_docs_commands_and_links);
	tcase_add_test(tc, test_docs_dry_parse_refuses);
	tcase_add_test(tc, test_docs_alpha_one_range);
	suite_add_tcase(s, tc);
	return s;
}
