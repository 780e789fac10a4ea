/* patch: see patch.h. */
#define _GNU_SOURCE
#include "patch.h"
#include "error.h"
#include "source.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int patch_series_load(const char *dir, struct patch_series *out)
{
	memset(out, 0, sizeof *out);
	char *series = util_fmt("%s/series", dir);
	char *text = util_read_file(series, NULL);
	int rc = GVAB_EFAIL;
	if (!text) {
		error_wrap(GVAB_EUSAGE, "patch series %s", dir);
		rc = GVAB_EUSAGE;
		goto out;
	}
	const char *base = strrchr(dir, '/');
	out->name = util_xstrdup(base && base[1] ? base + 1 : dir);
	out->dir = util_xstrdup(dir);
	int lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *n = trim(line);
		if (!*n)
			continue;
		if (strchr(n, '/')) {
			rc = error_setc(GVAB_EDATA, "%s:%d: '%s': patch names may not contain '/'",
			                series, lineno, n);
			goto out;
		}
		out->patches = util_xrealloc(out->patches, (out->count + 1) * sizeof *out->patches);
		struct patch_entry *p = &out->patches[out->count++];
		memset(p, 0, sizeof *p);
		p->name = util_xstrdup(n);
		p->path = util_fmt("%s/%s", dir, n);
		if (util_sha256_file(p->path, p->sha256) < 0) {
			rc = error_setc(GVAB_EDATA, "%s:%d: patch '%s' is listed but cannot be read",
			                series, lineno, n);
			goto out;
		}
	}
	if (out->count == 0) {
		rc = error_setc(GVAB_EDATA, "%s: lists no patches", series);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		patch_series_free(out);
	free(series);
	free(text);
	return rc;
}

void patch_series_free(struct patch_series *s)
{
	for (size_t i = 0; i < s->count; i++) {
		free(s->patches[i].name);
		free(s->patches[i].path);
	}
	free(s->patches);
	free(s->name);
	free(s->dir);
	memset(s, 0, sizeof *s);
}

/* Where the diff begins: the first line starting "diff --git ". */
static const char *diff_start(const char *text)
{
	if (strncmp(text, "diff --git ", 11) == 0)
		return text;
	const char *p = strstr(text, "\ndiff --git ");
	return p ? p + 1 : NULL;
}

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

/* Tracks the delta and hunk libgit2 is working on, so a failure can name
 * them: git_apply calls delta_cb before each file and hunk_cb before each
 * hunk, so the last ones seen are where it stopped. */
struct apply_trace {
	char file[512];
	char hunk[256];
	int hunk_no;
};

static int trace_delta(const git_diff_delta *d, void *payload)
{
	struct apply_trace *t = payload;
	snprintf(t->file, sizeof t->file, "%s", d->old_file.path ? d->old_file.path : d->new_file.path);
	t->hunk[0] = '\0';
	t->hunk_no = 0;
	return 0;
}

static int trace_hunk(const git_diff_hunk *h, void *payload)
{
	struct apply_trace *t = payload;
	t->hunk_no++;
	size_t n = h->header_len;
	while (n > 0 && (h->header[n - 1] == '\n' || h->header[n - 1] == '\r'))
		n--;
	if (n >= sizeof t->hunk)
		n = sizeof t->hunk - 1;
	memcpy(t->hunk, h->header, n);
	t->hunk[n] = '\0';
	return 0;
}

static int apply_text(git_repository *repo, const char *text, unsigned flags,
                      struct apply_trace *trace)
{
	git_diff *diff = NULL;
	git_apply_options ao = GIT_APPLY_OPTIONS_INIT;
	ao.flags = flags;
	ao.delta_cb = trace_delta;
	ao.hunk_cb = trace_hunk;
	ao.payload = trace;
	if (git_diff_from_buffer(&diff, text, strlen(text)) < 0)
		return source_git_error("parsing diff");
	int r = git_apply(repo, diff, GIT_APPLY_LOCATION_WORKDIR, &ao);
	git_diff_free(diff);
	return r < 0 ? source_git_error("git_apply") : 0;
}

int patch_apply_file(git_repository *repo, const char *patch_path, const char *name,
                     enum patch_status *status)
{
	int rc = GVAB_EFAIL;
	char *text = util_read_file(patch_path, NULL), *rev = NULL;
	struct apply_trace fwd = {0}, back = {0};
	if (!text)
		return error_wrap(GVAB_EDATA, "patch %s", name);
	const char *d = diff_start(text);
	if (!d) {
		rc = error_setc(GVAB_EDATA, "patch %s: no 'diff --git' line", name);
		goto out;
	}
	if (apply_text(repo, d, GIT_APPLY_CHECK, &fwd) == 0) {
		if (apply_text(repo, d, 0, &fwd) < 0) {
			rc = error_wrap(GVAB_EFAIL, "patch %s", name);
			goto out;
		}
		*status = PATCH_APPLIED;
		rc = 0;
		goto out;
	}
	char why[512];
	snprintf(why, sizeof why, "%s", error_last());
	rev = patch_reverse_text(d);
	if (rev && apply_text(repo, rev, GIT_APPLY_CHECK, &back) == 0) {
		*status = PATCH_ALREADY_UPSTREAM;
		rc = 0;
		goto out;
	}
	if (fwd.hunk_no > 0)
		rc = error_setc(GVAB_EDATA, "patch %s does not apply: file %s, hunk #%d (%s): %s",
		                name, fwd.file, fwd.hunk_no, fwd.hunk, why);
	else
		rc = error_setc(GVAB_EDATA, "patch %s does not apply: file %s: %s", name,
		                fwd.file[0] ? fwd.file : "?", why);
out:
	free(text);
	free(rev);
	return rc;
}

int patch_apply_series(git_repository *repo, struct patch_series *s)
{
	for (size_t i = 0; i < s->count; i++) {
		struct patch_entry *p = &s->patches[i];
		int rc = patch_apply_file(repo, p->path, p->name, &p->status);
		if (rc < 0)
			return error_wrap(rc, "series %s", s->name);
	}
	return 0;
}
