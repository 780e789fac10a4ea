/* bisect_path: the revisions a bisect walks: first-parent go merges of
 * git history, or the lines of a revisions file. See bisect_int.h. */
#define _GNU_SOURCE
#include "bisect.h"
#include "bisect_int.h"
#include "analysis.h"
#include "answer.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "modsource.h"
#include "proc.h"
#include "runloop.h"
#include "samples.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

void bisect_rev_label(const struct rev *r, char *buf, size_t len)
{
	if (modsource_is_pseudo(r->id))
		snprintf(buf, len, "%.12s", r->id + 22);
	else
		snprintf(buf, len, "%.12s", r->commit[0] ? r->commit : r->id);
}


int bisect_path_from_git(const struct bisect_opts *o, git_repository *repo, struct path *p)
{
	struct source_resolution rg, rb;
	int rc;
	if ((rc = source_resolve_ref(repo, o->rs.source, o->good, &rg)) < 0)
		return error_wrap(rc, "--good");
	if ((rc = source_resolve_ref(repo, o->rs.source, o->bad, &rb)) < 0)
		return error_wrap(rc, "--bad");
	struct source_commit *c = NULL;
	size_t n = 0;
	if ((rc = source_first_parent_path(repo, &rg.commit, &rb.commit, 100000, &c, &n)) < 0)
		return error_wrap(rc, "--good %s is not on the go branch's first-parent path behind --bad %s",
		                  o->good, o->bad);
	p->r = util_xcalloc(n, sizeof *p->r);
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		struct rev *r = &p->r[i];
		r->step = -1;
		snprintf(r->commit, sizeof r->commit, "%s", c[i].hex);
		snprintf(r->id, sizeof r->id, "%s", r->commit);
		snprintf(r->subject, sizeof r->subject, "%s", c[i].subject);
		source_tree_id(repo, r->commit, r->tree);
	}
	free(c);
	p->have_history = 1;
	if (p->r[0].tree[0] && strcmp(p->r[0].tree, p->r[n - 1].tree) == 0)
		return error_setc(GVAB_EUSAGE, "--good %s and --bad %s are the same tree (%.12s): one binary, "
		                  "nothing to bisect", o->good, o->bad, p->r[0].tree);
	return 0;
}

static int matches(const struct rev *r, const char *want)
{
	size_t n = strlen(want);
	if (strcmp(r->id, want) == 0)
		return 1;
	return n >= 7 && n <= 40 && strncmp(r->commit, want, n) == 0;
}

/* Lines: "<commit> [<pseudo-version> [<master commit> [<subject>]]]";
 * '#' starts a comment. The lines from `first` to `last` (NULL: the file's
 * first, last), which `first_opt` and `last_opt` name in messages. */
static int read_revisions(const char *file, int module, const char *first, const char *last,
                          const char *first_opt, const char *last_opt, struct path *p)
{
	char *text = util_read_file(file, NULL);
	if (!text)
		return error_wrap(GVAB_EUSAGE, "--revisions");
	size_t cap = 0;
	int lineno = 0, rc = 0;
	long gi = -1, bi = -1;
	for (char *l = text, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l || *l == '#')
			continue;
		char commit[64] = "", ver[96] = "", master[64] = "";
		int used = 0;
		int k = sscanf(l, "%63s %95s %63s %n", commit, ver, master, &used);
		size_t cn = strlen(commit);
		if (k < 1 || cn < 7 || cn > 40 || strspn(commit, "0123456789abcdef") != cn) {
			rc = error_setc(GVAB_EDATA, "%s:%d: want '<commit hex> [<pseudo-version> [<master commit> "
			                            "[<subject>]]]'", file, lineno);
			goto out;
		}
		if (k >= 2 && !modsource_is_pseudo(ver)) {
			rc = error_setc(GVAB_EDATA, "%s:%d: '%s' is not a pseudo-version v0.0.0-<time>-<12 hex>",
			                file, lineno, ver);
			goto out;
		}
		if (module && k < 2) {
			rc = error_setc(GVAB_EDATA, "%s:%d: a module source needs each line's pseudo-version",
			                file, lineno);
			goto out;
		}
		if (p->n == cap) {
			cap = cap ? cap * 2 : 64;
			p->r = util_xrealloc(p->r, cap * sizeof *p->r);
		}
		struct rev *r = &p->r[p->n++];
		memset(r, 0, sizeof *r);
		r->step = -1;
		snprintf(r->commit, sizeof r->commit, "%.40s", commit);
		snprintf(r->id, sizeof r->id, "%s", module ? ver : commit);
		if (k >= 3)
			snprintf(r->master, sizeof r->master, "%.40s", master);
		if (k >= 3 && used > 0) {
			const char *s = l + used;
			for (size_t i = 0; s[i] && i + 1 < sizeof r->subject; i++)
				r->subject[i] = (s[i] >= 32 && s[i] != 127) ? s[i] : '?';
		}
		if (gi < 0 && first && matches(r, first))
			gi = (long)p->n - 1;
		if (bi < 0 && last && matches(r, last))
			bi = (long)p->n - 1;
	}
	if (!first)
		gi = 0;
	if (!last)
		bi = (long)p->n - 1;
	if (gi < 0 || bi < 0) {
		rc = error_setc(GVAB_EUSAGE, "%s: %s '%s' is not in the list", file,
		                gi < 0 ? first_opt : last_opt, gi < 0 ? first : last);
		goto out;
	}
	if (gi >= bi) {
		rc = error_setc(GVAB_EUSAGE, "%s: %s (revision %ld) must come before %s (%ld)", file,
		                first_opt, gi + 1, last_opt, bi + 1);
		goto out;
	}
	memmove(p->r, p->r + gi, (size_t)(bi - gi + 1) * sizeof *p->r);
	p->n = (size_t)(bi - gi + 1);
out:
	free(text);
	return rc;
}

int bisect_path_from_file(const struct bisect_opts *o, int module, struct path *p)
{
	return read_revisions(o->revisions_file, module, o->good, o->bad, "--good", "--bad", p);
}

int bisect_revisions_read(const char *file, int module, const char *first, const char *last,
                          struct bisect_revision **out, size_t *n)
{
	struct path p = {0};
	*out = NULL;
	*n = 0;
	int rc = read_revisions(file, module, first, last, "--from", "--to", &p);
	if (rc == 0) {
		*out = util_xcalloc(p.n ? p.n : 1, sizeof **out);
		for (size_t i = 0; i < p.n; i++) {
			struct bisect_revision *b = &(*out)[i];
			snprintf(b->id, sizeof b->id, "%s", p.r[i].id);
			snprintf(b->commit, sizeof b->commit, "%s", p.r[i].commit);
			snprintf(b->master, sizeof b->master, "%s", p.r[i].master);
			snprintf(b->subject, sizeof b->subject, "%s", p.r[i].subject);
		}
		*n = p.n;
	}
	free(p.r);
	return rc;
}
