/* patch_reverse: the reverse of a unified diff as text (see patch.h,
 * patch_reverse_text): what "already applied" is checked against. */
#define _GNU_SOURCE
#include "patch.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 4096;
		*buf = util_xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Swaps "a/" and "b/" prefixes of a ---/+++ path (leaves /dev/null). */
static char *swap_prefix(const char *path, char want)
{
	if (strncmp(path, "/dev/null", 9) == 0)
		return util_xstrdup(path);
	if ((path[0] == 'a' || path[0] == 'b') && path[1] == '/')
		return util_fmt("%c/%s", want, path + 2);
	return util_xstrdup(path);
}

char *patch_reverse_text(const char *diff)
{
	char *out = NULL, *minus = NULL;
	size_t len = 0, cap = 0;
	long old_left = 0, new_left = 0; /* lines remaining in the current hunk */
	const char *p = diff;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char *line = util_xmalloc(n + 1);
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (eol ? 1 : 0);

		if (old_left > 0 || new_left > 0) {
			char c = line[0];
			if (c == '+') {
				line[0] = '-';
				new_left--;
			} else if (c == '-') {
				line[0] = '+';
				old_left--;
			} else if (c == ' ' || c == '\0') {
				old_left--;
				new_left--;
			}
			sb_add(&out, &len, &cap, line, strlen(line));
			sb_add(&out, &len, &cap, "\n", 1);
		} else if (strncmp(line, "@@ -", 4) == 0) {
			long a, b = 1, c, d = 1;
			char rest[1024] = "";
			int ok = 0;
			if (sscanf(line, "@@ -%ld,%ld +%ld,%ld @@%1023[^\n]", &a, &b, &c, &d, rest) >= 4)
				ok = 1;
			else if (sscanf(line, "@@ -%ld +%ld,%ld @@%1023[^\n]", &a, &c, &d, rest) >= 3)
				ok = 1, b = 1;
			else if (sscanf(line, "@@ -%ld,%ld +%ld @@%1023[^\n]", &a, &b, &c, rest) >= 3)
				ok = 1, d = 1;
			else if (sscanf(line, "@@ -%ld +%ld @@%1023[^\n]", &a, &c, rest) >= 2)
				ok = 1, b = d = 1;
			if (!ok) {
				error_setc(GVAB_EDATA, "malformed hunk header: %s", line);
				free(line);
				free(out);
				free(minus);
				return NULL;
			}
			old_left = b;
			new_left = d;
			char *h = util_fmt("@@ -%ld,%ld +%ld,%ld @@%s\n", c, d, a, b, rest);
			sb_add(&out, &len, &cap, h, strlen(h));
			free(h);
		} else if (strncmp(line, "--- ", 4) == 0) {
			free(minus);
			minus = util_xstrdup(line + 4);
		} else if (strncmp(line, "+++ ", 4) == 0 && minus) {
			char *m = swap_prefix(line + 4, 'a'), *pl = swap_prefix(minus, 'b');
			char *h = util_fmt("--- %s\n+++ %s\n", m, pl);
			sb_add(&out, &len, &cap, h, strlen(h));
			free(h);
			free(m);
			free(pl);
			free(minus);
			minus = NULL;
		} else if (strncmp(line, "new file mode ", 14) == 0) {
			char *h = util_fmt("deleted file mode %s\n", line + 14);
			sb_add(&out, &len, &cap, h, strlen(h));
			free(h);
		} else if (strncmp(line, "deleted file mode ", 18) == 0) {
			char *h = util_fmt("new file mode %s\n", line + 18);
			sb_add(&out, &len, &cap, h, strlen(h));
			free(h);
		} else if (strncmp(line, "index ", 6) == 0 && strstr(line, "..")) {
			char from[64] = "", to[64] = "", mode[32] = "";
			int k = sscanf(line, "index %63[0-9a-f]..%63[0-9a-f] %31s", from, to, mode);
			char *h = k == 3 ? util_fmt("index %s..%s %s\n", to, from, mode)
			                 : util_fmt("index %s..%s\n", to, from);
			sb_add(&out, &len, &cap, h, strlen(h));
			free(h);
		} else if (strncmp(line, "diff --git ", 11) == 0) {
			/* "diff --git a/X b/Y" -> "diff --git a/Y b/X" */
			const char *a = line + 11, *b = strstr(a, " b/");
			if (b && strncmp(a, "a/", 2) == 0) {
				char *h = util_fmt("diff --git a/%s b/%.*s\n", b + 3, (int)(b - a - 2), a + 2);
				sb_add(&out, &len, &cap, h, strlen(h));
				free(h);
			} else {
				sb_add(&out, &len, &cap, line, strlen(line));
				sb_add(&out, &len, &cap, "\n", 1);
			}
		} else {
			sb_add(&out, &len, &cap, line, strlen(line));
			sb_add(&out, &len, &cap, "\n", 1);
		}
		free(line);
	}
	free(minus);
	if (!out)
		out = util_xstrdup("");
	return out;
}

