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

const char *patch_status_name(enum patch_status st)
{
	switch (st) {
	case PATCH_APPLIED: return "applied";
	case PATCH_ALREADY_UPSTREAM: return "already-upstream";
	case PATCH_SUPERSEDED: return "superseded";
	case PATCH_NOT_APPLICABLE: return "not-applicable";
	}
	return "?";
}

int patch_version_cmp(const char *a, const char *b)
{
	for (;;) {
		long x = 0, y = 0;
		if (*a)
			x = strtol(a, (char **)&a, 10);
		if (*b)
			y = strtol(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if (!*a && !*b)
			return 0;
		if ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9')))
			return strcmp(a, b);
	}
}

void patch_header_free(struct patch_header *h)
{
	free(h->superseded_by);
	free(h->probe_path);
	free(h->probe_text);
	for (size_t i = 0; i < h->napplies_if; i++)
		free(h->applies_if[i]);
	free(h->applies_if);
	memset(h, 0, sizeof *h);
}

/* Checks one Applies-if condition's syntax; returns 0 if well formed. */
static int condition_valid(const char *c)
{
	char op[4], ver[32];
	if (strncmp(c, "exists ", 7) == 0 || strncmp(c, "missing ", 8) == 0)
		return strchr(c, ' ')[1] ? 0 : -1;
	if (sscanf(c, "go %3s %31s", op, ver) == 2 &&
	    (!strcmp(op, "<") || !strcmp(op, ">=") || !strcmp(op, "<=") || !strcmp(op, ">") ||
	     !strcmp(op, "==")) &&
	    ver[0] >= '0' && ver[0] <= '9')
		return 0;
	return -1;
}

int patch_header_parse(const char *text, const char *where, struct patch_header *out)
{
	memset(out, 0, sizeof *out);
	int lineno = 0;
	for (const char *l = text; l && *l; ) {
		const char *eol = strchr(l, '\n');
		size_t n = eol ? (size_t)(eol - l) : strlen(l);
		lineno++;
		if (strncmp(l, "diff --git ", 11) == 0)
			break;
		char *line = util_xmalloc(n + 1);
		memcpy(line, l, n);
		line[n] = '\0';
		char *v = NULL;
		int rc = 0;
		if (strncmp(line, "Superseded-by:", 14) == 0) {
			v = trim(line + 14);
			size_t hex = strspn(v, "0123456789abcdef");
			if (hex < 7 || hex > 40 || (v[hex] && v[hex] != ' ')) {
				rc = error_setc(GVAB_EDATA,
				                "%s:%d: Superseded-by: want '<commit, 7-40 hex> (<subject>)', got '%s'",
				                where, lineno, v);
			} else {
				free(out->superseded_by);
				out->superseded_by = util_xstrdup(v);
				memcpy(out->superseded_rev, v, hex);
				out->superseded_rev[hex] = '\0';
			}
		} else if (strncmp(line, "Superseded-probe:", 17) == 0) {
			v = trim(line + 17);
			char *sep = strstr(v, ": ");
			if (!sep || sep == v || !sep[2] || strstr(v, "..") || v[0] == '/') {
				rc = error_setc(GVAB_EDATA,
				                "%s:%d: Superseded-probe: want '<relative path>: <text>', got '%s'",
				                where, lineno, v);
			} else {
				free(out->probe_path);
				free(out->probe_text);
				out->probe_path = util_fmt("%.*s", (int)(sep - v), v);
				out->probe_text = util_xstrdup(sep + 2);
			}
		} else if (strncmp(line, "Applies-if:", 11) == 0) {
			v = trim(line + 11);
			if (condition_valid(v) < 0 || strstr(v, "..")) {
				rc = error_setc(GVAB_EDATA,
				                "%s:%d: Applies-if: want 'exists PATH', 'missing PATH' or "
				                "'go OP X.Y', got '%s'", where, lineno, v);
			} else {
				out->applies_if = util_xrealloc(out->applies_if,
				                                (out->napplies_if + 1) * sizeof *out->applies_if);
				out->applies_if[out->napplies_if++] = util_xstrdup(v);
			}
		}
		free(line);
		if (rc < 0) {
			patch_header_free(out);
			return rc;
		}
		l = eol ? eol + 1 : NULL;
	}
	return 0;
}

static int variant_load(const char *dir, const char *name, const char *series, int lineno,
                        struct patch_variant *v)
{
	memset(v, 0, sizeof *v);
	if (strchr(name, '/') || name[0] == '.')
		return error_setc(GVAB_EDATA, "%s:%d: '%s': patch names may not contain '/' or start with '.'",
		                  series, lineno, name);
	v->name = util_xstrdup(name);
	v->path = util_fmt("%s/%s", dir, name);
	char *text = util_read_file(v->path, NULL);
	if (!text || util_sha256_file(v->path, v->sha256) < 0) {
		free(text);
		return error_setc(GVAB_EDATA, "%s:%d: patch '%s' is listed but cannot be read", series,
		                  lineno, name);
	}
	int rc = patch_header_parse(text, v->path, &v->hdr);
	free(text);
	return rc;
}

static void entry_free(struct patch_entry *e)
{
	for (size_t k = 0; k < e->nv; k++) {
		free(e->v[k].name);
		free(e->v[k].path);
		patch_header_free(&e->v[k].hdr);
	}
	free(e->v);
	memset(e, 0, sizeof *e);
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
		out->patches = util_xrealloc(out->patches, (out->count + 1) * sizeof *out->patches);
		struct patch_entry *p = &out->patches[out->count++];
		memset(p, 0, sizeof *p);
		/* "a.patch | b.patch": variants of one patch for different trees. */
		for (char *save = NULL, *t = strtok_r(n, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
			char *name = trim(t);
			if (!*name) {
				rc = error_setc(GVAB_EDATA, "%s:%d: empty patch variant", series, lineno);
				goto out;
			}
			p->v = util_xrealloc(p->v, (p->nv + 1) * sizeof *p->v);
			if ((rc = variant_load(dir, name, series, lineno, &p->v[p->nv++])) < 0)
				goto out;
		}
		if (p->nv == 0) {
			rc = error_setc(GVAB_EDATA, "%s:%d: no patch named", series, lineno);
			goto out;
		}
		p->name = p->v[0].name;
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
	for (size_t i = 0; i < s->count; i++)
		entry_free(&s->patches[i]);
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

/* 1 when every file of `text` is deleted by it and none of them exists in
 * the work tree: such a patch is not applicable rather than "already
 * upstream" (its reverse, a pure creation, applies to any tree). */
static int deletes_only_absent_files(git_repository *repo, const char *text)
{
	git_diff *diff = NULL;
	int res = 0;
	if (git_diff_from_buffer(&diff, text, strlen(text)) < 0)
		return 0;
	size_t n = git_diff_num_deltas(diff);
	const char *wd = git_repository_workdir(repo);
	res = n > 0 && wd;
	for (size_t i = 0; i < n && res; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (d->status != GIT_DELTA_DELETED) {
			res = 0;
			break;
		}
		char *path = util_fmt("%s%s", wd, d->old_file.path);
		if (util_path_exists(path))
			res = 0;
		free(path);
	}
	git_diff_free(diff);
	return res;
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
	if (deletes_only_absent_files(repo, d)) {
		*status = PATCH_NOT_APPLICABLE;
		rc = 0;
		goto out;
	}
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

/* Evaluates one Applies-if condition. Returns 1 true, 0 false. */
static int condition_holds(const char *c, const struct patch_context *ctx)
{
	char op[4], ver[32];
	if (strncmp(c, "exists ", 7) == 0 || strncmp(c, "missing ", 8) == 0) {
		int want = c[0] == 'e';
		char *p = util_fmt("%s/%s", ctx->tree, strchr(c, ' ') + 1);
		int have = util_path_exists(p);
		free(p);
		return have == want;
	}
	if (sscanf(c, "go %3s %31s", op, ver) == 2) {
		if (!ctx->gomod_go)
			return 0;
		int r = patch_version_cmp(ctx->gomod_go, ver);
		if (!strcmp(op, "<"))
			return r < 0;
		if (!strcmp(op, "<="))
			return r <= 0;
		if (!strcmp(op, ">"))
			return r > 0;
		if (!strcmp(op, ">="))
			return r >= 0;
		return r == 0;
	}
	return 0;
}

/* Is the change named by the header's Superseded-by in the tree?
 * 1 yes (detail says how it was decided), 0 no, -1 cannot tell. */
static int superseded(const struct patch_header *h, const struct patch_context *ctx,
                      char *detail, size_t cap)
{
	if (!h->superseded_by)
		return 0;
	if (ctx->history && ctx->commit) {
		git_object *obj = NULL;
		if (git_revparse_single(&obj, ctx->history, h->superseded_rev) == 0) {
			git_oid up;
			git_oid_cpy(&up, git_object_id(obj));
			git_object_free(obj);
			int in = git_oid_equal(&up, ctx->commit) ||
			         git_graph_descendant_of(ctx->history, ctx->commit, &up) == 1;
			snprintf(detail, cap, "superseded upstream by %.9s: the tree's history contains it (%s)",
			         h->superseded_rev, h->superseded_by);
			return in;
		}
	}
	if (h->probe_path) {
		char *p = util_fmt("%s/%s", ctx->tree, h->probe_path);
		char *t = util_read_file(p, NULL);
		int in = t && strstr(t, h->probe_text) != NULL;
		free(t);
		free(p);
		snprintf(detail, cap,
		         "superseded upstream by %.9s: %s contains \"%s\" (no history to check; content probe)",
		         h->superseded_rev, h->probe_path, h->probe_text);
		return in;
	}
	return -1;
}

int patch_apply_series(git_repository *repo, const struct patch_context *ctx,
                       struct patch_series *s)
{
	for (size_t i = 0; i < s->count; i++) {
		struct patch_entry *p = &s->patches[i];
		p->detail[0] = '\0';
		p->chosen = 0;
		/* Superseded upstream: decided once for the entry, by the first
		 * variant that names the upstream change. */
		int unknown = 0;
		for (size_t k = 0; k < p->nv; k++) {
			if (!p->v[k].hdr.superseded_by)
				continue;
			int r = superseded(&p->v[k].hdr, ctx, p->detail, sizeof p->detail);
			if (r == 1) {
				p->chosen = k;
				p->status = PATCH_SUPERSEDED;
				goto next;
			}
			unknown = r < 0;
			p->detail[0] = '\0';
			break;
		}
		/* Variants: the first whose conditions hold and that applies. */
		char first_err[1024] = "";
		int any_condition_held = 0;
		for (size_t k = 0; k < p->nv; k++) {
			const struct patch_variant *v = &p->v[k];
			int ok = 1;
			for (size_t c = 0; c < v->hdr.napplies_if && ok; c++)
				if (!condition_holds(v->hdr.applies_if[c], ctx)) {
					ok = 0;
					if (!p->detail[0])
						snprintf(p->detail, sizeof p->detail, "%s: Applies-if: %s is false",
						         v->name, v->hdr.applies_if[c]);
				}
			if (!ok)
				continue;
			any_condition_held = 1;
			enum patch_status st;
			if (patch_apply_file(repo, v->path, v->name, &st) == 0) {
				p->chosen = k;
				p->status = st;
				if (st == PATCH_NOT_APPLICABLE)
					snprintf(p->detail, sizeof p->detail,
					         "%s: none of the files it deletes exist in this tree", v->name);
				else
					p->detail[0] = '\0';
				goto next;
			}
			if (!first_err[0])
				snprintf(first_err, sizeof first_err, "%s", error_last());
		}
		if (!any_condition_held) {
			p->status = PATCH_NOT_APPLICABLE;
			goto next;
		}
		if (p->nv > 1)
			return error_setc(GVAB_EDATA, "series %s: none of the %zu variants of %s applies (first: %s)%s",
			                  s->name, p->nv, p->name, first_err,
			                  unknown ? "; its Superseded-by could not be checked (no history, no probe)" : "");
		return error_setc(GVAB_EDATA, "series %s: %s%s", s->name, first_err,
		                  unknown ? "; its Superseded-by could not be checked (no history, no probe)" : "");
next:;
	}
	return 0;
}
