/* trend_revs: the revisions a trend times, from --ref (resolved in git
 * history) or a revisions file, each with a plain arm name. See trend_int.h. */
#define _GNU_SOURCE
#include "trend.h"
#include "trend_int.h"
#include "analysis.h"
#include "answer.h"
#include "bisect.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "history.h"
#include "modsource.h"
#include "proc.h"
#include "runloop.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int arm_taken(const struct trev *r, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].arm, name) == 0)
			return 1;
	return 0;
}

/* A plain name ([A-Za-z0-9._-], as gvab run wants) for `s`, made unique
 * among the first `n` revisions' arm names. */
static void plain_name(const char *s, const struct trev *r, size_t n, char *out, size_t len)
{
	char base[48];
	size_t k = 0;
	for (; s[k] && k + 1 < sizeof base && k < 40; k++) {
		char ch = s[k];
		base[k] = (ch == '-' || ch == '_' || ch == '.' || (ch >= '0' && ch <= '9') ||
		           (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) ? ch : '_';
	}
	base[k] = '\0';
	if (k == 0)
		snprintf(base, sizeof base, "r");
	else if (base[0] == '.' || base[0] == '-')
		base[0] = 'r';
	snprintf(out, len, "%s", base);
	for (int dup = 2; arm_taken(r, n, out); dup++)
		snprintf(out, len, "%s-%d", base, dup);
}

static int resolve_git(const struct trend_opts *o, struct trev *r, size_t n)
{
	git_repository *repo = NULL;
	char *path = util_fmt("%s/gvisor.git", o->rs.cache_dir);
	int rc = source_open_cache(path, &repo);
	free(path);
	if (rc < 0)
		return rc;
	for (int pass = 0; pass < 2; pass++) {
		size_t ok = 0;
		for (size_t i = 0; i < n; i++) {
			struct source_resolution res;
			if ((rc = source_resolve_ref(repo, o->rs.source, r[i].ref, &res)) < 0) {
				if (pass == 1 || o->rs.offline) {
					error_wrap(rc, "%s %s", o->revisions_file ? o->revisions_file : "--ref",
					           r[i].label);
					goto out;
				}
				break;
			}
			struct source_commit sc;
			source_describe(repo, &res.commit, &sc);
			snprintf(r[i].commit, sizeof r[i].commit, "%s", sc.hex);
			snprintf(r[i].how, sizeof r[i].how, "%s", res.how);
			source_tree_id(repo, sc.hex, r[i].tree);
			if (!r[i].subject[0])
				snprintf(r[i].subject, sizeof r[i].subject, "%s", sc.subject);
			ok++;
		}
		if (ok == n)
			break;
		/* Something is not cached yet: fetch once, then resolve again. */
		unsigned got = 0;
		if (o->rs.progress)
			fprintf(stderr, "gvab: trend: fetching %s\n", o->rs.source);
		if ((rc = source_fetch(repo, o->rs.source, &got)) < 0) {
			error_wrap(GVAB_EPRECOND, "fetching gVisor");
			rc = GVAB_EPRECOND;
			goto out;
		}
	}
	rc = 0;
	/* Build by commit: the build then needs no fetch and no resolution. */
	for (size_t i = 0; i < n; i++)
		snprintf(r[i].ref, sizeof r[i].ref, "%s", r[i].commit);
out:
	source_close(repo);
	return rc;
}

int trend_collect(const struct trend_opts *o, int module, struct trev **out, size_t *nout)
{
	struct trev *r = NULL;
	size_t n = 0;
	int rc = 0;
	if (o->revisions_file) {
		struct bisect_revision *br = NULL;
		if ((rc = bisect_revisions_read(o->revisions_file, module, o->from, o->to, &br, &n)) < 0)
			return rc;
		if (n > TREND_MAX_REVISIONS) {
			free(br);
			return error_setc(GVAB_EUSAGE, "%s: %zu revisions from --from to --to; at most %d fit "
			                               "one run (narrow them with --from/--to)",
			                  o->revisions_file, n, TREND_MAX_REVISIONS);
		}
		r = util_xcalloc(n ? n : 1, sizeof *r);
		for (size_t i = 0; i < n; i++) {
			snprintf(r[i].ref, sizeof r[i].ref, "%s", br[i].id);
			snprintf(r[i].commit, sizeof r[i].commit, "%s", br[i].commit);
			snprintf(r[i].master, sizeof r[i].master, "%s", br[i].master);
			snprintf(r[i].subject, sizeof r[i].subject, "%s", br[i].subject);
			snprintf(r[i].label, sizeof r[i].label, "%.12s", br[i].commit);
		}
		free(br);
		/* Resolved (and fetched when the cache lacks one) like --ref, so
		 * the go branch the build checks each commit against is current. */
		if (!module && (rc = resolve_git(o, r, n)) < 0) {
			free(r);
			return rc;
		}
	} else {
		while (o->refs && o->refs[n])
			n++;
		if (n > TREND_MAX_REVISIONS)
			return error_setc(GVAB_EUSAGE, "%zu --ref; at most %d fit one run", n,
			                  TREND_MAX_REVISIONS);
		r = util_xcalloc(n ? n : 1, sizeof *r);
		for (size_t i = 0; i < n; i++) {
			if (strlen(o->refs[i]) >= sizeof r[i].ref || !o->refs[i][0]) {
				free(r);
				return error_setc(GVAB_EUSAGE, "--ref '%.40s...': empty or too long", o->refs[i]);
			}
			snprintf(r[i].ref, sizeof r[i].ref, "%s", o->refs[i]);
			size_t len = strlen(o->refs[i]);
			int hex = len >= 12 && strspn(o->refs[i], "0123456789abcdef") == len;
			/* a commit id shows as its first 12 digits */
			snprintf(r[i].label, sizeof r[i].label, "%.*s", hex ? 12 : 63, o->refs[i]);
		}
		if (!module && n >= 2 && (rc = resolve_git(o, r, n)) < 0) {
			free(r);
			return rc;
		}
	}
	if (n < 2) {
		free(r);
		return error_setc(GVAB_EUSAGE, "a trend needs at least two revisions (--ref R1 --ref R2 ..., "
		                               "or --revisions FILE)");
	}
	for (size_t i = 0; i < n; i++) {
		r[i].arm_index = -1;
		plain_name(r[i].label, r, i, r[i].arm, sizeof r[i].arm);
		/* Build names as bisect's (r-<12 hex>), so --arms can share them. */
		if (modsource_is_pseudo(r[i].ref))
			snprintf(r[i].build, sizeof r[i].build, "r-%.12s", r[i].ref + 22);
		else if (r[i].commit[0])
			snprintf(r[i].build, sizeof r[i].build, "r-%.12s", r[i].commit);
		else
			snprintf(r[i].build, sizeof r[i].build, "r-%s", r[i].arm);
		/* One tree builds one binary: measuring it against itself says
		 * nothing (176 old release tags resolve to one rebuilt go merge). */
		for (size_t j = 0; j < i && !r[i].note[0]; j++)
			if (strcmp(r[j].build, r[i].build) == 0 || (r[i].tree[0] && strcmp(r[j].tree, r[i].tree) == 0))
				snprintf(r[i].note, sizeof r[i].note, "the same %s as %s (%.12s): the same binary, not "
				         "measured against it", r[i].tree[0] ? "tree" : "revision", r[j].label,
				         r[i].tree[0] ? r[i].tree : r[i].build + 2);
	}
	*out = r;
	*nout = n;
	return 0;
}
