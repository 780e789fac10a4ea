/* source: see source.h.
 *
 * Invariants: the cache repository is bare and only ever gains objects and
 * refs; checkouts are separate repositories, so a patch applied to one arm can
 * never leak into another arm or into the cache.
 */
#define _GNU_SOURCE
#include "source.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void lib_shutdown(void)
{
	git_libgit2_shutdown();
}

void source_lib_init(void)
{
	static int done;
	if (!done) {
		git_libgit2_init();
		atexit(lib_shutdown);
		done = 1;
	}
}

int source_git_error(const char *what)
{
	const git_error *e = git_error_last();
	return error_set("%s: %s", what, (e && e->message) ? e->message : "libgit2 error");
}

int source_open_cache(const char *path, git_repository **out)
{
	source_lib_init();
	if (git_repository_open_bare(out, path) == 0)
		return 0;
	if (util_mkdir_p(path, 0755) < 0)
		return GVAB_EFAIL;
	if (git_repository_init(out, path, 1) < 0)
		return source_git_error(path);
	return 0;
}

/* One updating line on a terminal, a line per 10% otherwise. */
static int fetch_progress(const git_indexer_progress *st, void *payload)
{
	int *last = payload;
	if (st->total_objects == 0)
		return 0;
	int pct = (int)(100.0 * st->received_objects / st->total_objects);
	if (util_interactive()) {
		fprintf(stderr, "\r  fetching: %u/%u objects (%d%%), %.1f MB", st->received_objects,
		        st->total_objects, pct, (double)st->received_bytes / 1e6);
		if (st->received_objects == st->total_objects)
			fputc('\n', stderr);
	} else if (pct / 10 != *last / 10) {
		fprintf(stderr, "  fetching: %d%% of %u objects\n", pct, st->total_objects);
	}
	*last = pct;
	return 0;
}

int source_fetch(git_repository *repo, const char *url, unsigned *received_objects)
{
	int last_pct = -10;
	git_remote *remote = NULL;
	int rc = GVAB_EFAIL;
	char *specs[] = {"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"};
	git_strarray refspecs = {specs, 2};
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	fo.callbacks.transfer_progress = fetch_progress;
	fo.callbacks.payload = &last_pct;

	if (git_remote_create_anonymous(&remote, repo, url) < 0) {
		source_git_error(url);
		goto out;
	}
	if (git_remote_fetch(remote, &refspecs, &fo, "gvab fetch") < 0) {
		source_git_error(url);
		rc = GVAB_EPRECOND;
		goto out;
	}
	if (received_objects)
		*received_objects = git_remote_stats(remote)->received_objects;
	rc = 0;
out:
	git_remote_free(remote);
	return rc;
}

/* nftw offers no payload pointer; the import is single-threaded, so the walk
 * state lives here for the duration of one source_import_tree call. */
static struct {
	git_repository *repo;
	git_index *index;
	size_t root_len;
	int failed;
} imp;

static int import_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	const char *rel = path + imp.root_len;
	while (*rel == '/')
		rel++;
	if (flag == FTW_D && strcmp(path + ftw->base, ".git") == 0)
		return FTW_SKIP_SUBTREE;
	if (flag != FTW_F && flag != FTW_SL)
		return flag == FTW_DNR || flag == FTW_NS ? (imp.failed = error_set("%s: unreadable", path), FTW_STOP) : FTW_CONTINUE;

	git_index_entry e;
	memset(&e, 0, sizeof e);
	e.path = rel;
	if (flag == FTW_SL) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof target);
		if (n < 0) {
			imp.failed = error_set("readlink %s: %s", path, strerror(errno));
			return FTW_STOP;
		}
		if (git_blob_create_from_buffer(&e.id, imp.repo, target, (size_t)n) < 0)
			goto gitfail;
		e.mode = GIT_FILEMODE_LINK;
	} else {
		if (git_blob_create_from_disk(&e.id, imp.repo, path) < 0)
			goto gitfail;
		e.mode = (st->st_mode & 0111) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	}
	if (git_index_add(imp.index, &e) < 0)
		goto gitfail;
	return FTW_CONTINUE;
gitfail:
	imp.failed = source_git_error(path);
	return FTW_STOP;
}

int source_import_tree(git_repository *repo, const char *dir, const char *branch,
                       const char *tag, git_oid *out)
{
	int rc = GVAB_EFAIL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_oid tree_id;
	char *refname = NULL, *msg = NULL;

	if (!util_is_dir(dir))
		return error_setc(GVAB_EPRECOND, "%s: no such source directory", dir);
	if (git_index_new(&index) < 0) {
		source_git_error("index");
		goto out;
	}
	imp.repo = repo;
	imp.index = index;
	imp.root_len = strlen(dir);
	imp.failed = 0;
	if (nftw(dir, import_one, 64, FTW_PHYS | FTW_ACTIONRETVAL) != 0 || imp.failed) {
		if (!imp.failed)
			error_set("walking %s: %s", dir, strerror(errno));
		goto out;
	}
	if (git_index_write_tree_to(&tree_id, index, repo) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0) {
		source_git_error("writing tree");
		goto out;
	}
	/* Fixed identity and time: the same tree always yields the same commit,
	 * which is what makes rebuilding an unchanged arm a no-op. */
	if (git_signature_new(&sig, "gvab import", "gvab@localhost", 0, 0) < 0) {
		source_git_error("signature");
		goto out;
	}
	/* The message names the tag only: the same tree gives the same commit
	 * wherever it was unpacked (module caches differ between machines). */
	msg = util_fmt("Import %s\n", tag);
	if (git_commit_create(out, repo, NULL, sig, sig, NULL, msg, tree, 0, NULL) < 0) {
		source_git_error("commit");
		goto out;
	}
	refname = util_fmt("refs/heads/%s", branch);
	if (git_reference_create(&ref, repo, refname, out, 1, "gvab import") < 0) {
		source_git_error(refname);
		goto out;
	}
	git_reference_free(ref);
	ref = NULL;
	free(refname);
	refname = util_fmt("refs/tags/%s", tag);
	if (git_reference_create(&ref, repo, refname, out, 1, "gvab import") < 0) {
		source_git_error(refname);
		goto out;
	}
	rc = 0;
out:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	free(refname);
	free(msg);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Records "unknown ref X; nearest release tags: a, b, c" (lexical
 * neighbours, which for release-YYYYMMDD.N names are the nearest dates). */
static int unknown_ref_error(git_repository *repo, const char *ref)
{
	git_strarray tags = {0};
	char list[1024] = "";
	if (git_tag_list_match(&tags, "release-*", repo) == 0 && tags.count > 0) {
		qsort(tags.strings, tags.count, sizeof(char *), cmp_str);
		size_t pos = 0;
		while (pos < tags.count && strcmp(tags.strings[pos], ref) < 0)
			pos++;
		size_t lo = pos >= 3 ? pos - 3 : 0;
		size_t hi = pos + 3 < tags.count ? pos + 3 : tags.count;
		for (size_t i = lo; i < hi; i++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
			         tags.strings[i]);
		}
	}
	git_strarray_dispose(&tags);
	if (list[0])
		return error_setc(GVAB_EUSAGE, "unknown ref '%s'; nearest release tags: %s", ref, list);
	return error_setc(GVAB_EUSAGE, "unknown ref '%s'; the source has no release-* tags", ref);
}

static int lookup_go_branch(git_repository *repo, git_oid *out)
{
	static const char *names[] = {"refs/heads/go", "refs/remotes/origin/go"};
	for (size_t i = 0; i < 2; i++) {
		if (git_reference_name_to_id(out, repo, names[i]) == 0)
			return 1;
	}
	return 0;
}

/* Looks `ref` up as git would, then as a remote-tracking branch of the
 * fetched upstream (refs/remotes/origin/REF), which is where `go` and
 * `master` live after a fetch. */
static int lookup_ref(git_repository *repo, const char *ref, git_commit **out)
{
	git_object *obj = NULL;
	int r = git_revparse_single(&obj, repo, ref);
	if (r < 0) {
		char *rr = util_fmt("refs/remotes/origin/%s", ref);
		git_oid id;
		if (git_reference_name_to_id(&id, repo, rr) == 0)
			r = git_object_lookup(&obj, repo, &id, GIT_OBJECT_COMMIT);
		free(rr);
	}
	if (r < 0)
		return -1;
	r = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	return r;
}

/* The go branch's first-parent chain, oldest first. */
struct chain {
	git_oid *ids;
	size_t n;
};

static int chain_load(git_repository *repo, const git_oid *head, struct chain *c)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t cap = 0;
	memset(c, 0, sizeof *c);
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, head) < 0 ||
	    git_revwalk_simplify_first_parent(walk) < 0) {
		git_revwalk_free(walk);
		return source_git_error("walking the go branch");
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		if (c->n == cap) {
			cap = cap ? cap * 2 : 256;
			c->ids = util_xrealloc(c->ids, cap * sizeof *c->ids);
		}
		git_oid_cpy(&c->ids[c->n++], &oid);
	}
	git_revwalk_free(walk);
	for (size_t i = 0; i < c->n / 2; i++) {
		git_oid t = c->ids[i];
		c->ids[i] = c->ids[c->n - 1 - i];
		c->ids[c->n - 1 - i] = t;
	}
	return 0;
}

/* 1 if chain commit i is a merge whose second parent is `target` or
 * contains it, 0 if not, negative on error. */
static int merge_contains(git_repository *repo, const git_oid *id, const git_oid *target)
{
	git_commit *c = NULL;
	if (git_commit_lookup(&c, repo, id) < 0)
		return source_git_error("reading go branch");
	int r = 0;
	if (git_commit_parentcount(c) >= 2) {
		const git_oid *p2 = git_commit_parent_id(c, 1);
		r = git_oid_equal(p2, target) || git_graph_descendant_of(repo, p2, target) == 1;
	}
	git_commit_free(c);
	return r;
}

/* Index of the first (oldest) go merge containing `target`, or -1. The go
 * branch merges master in order, so "contains" is monotone along the chain
 * and a binary search finds the first with O(log n) ancestry queries. */
static long first_merge_containing(git_repository *repo, const struct chain *c,
                                   const git_oid *target)
{
	long lo = 0, hi = (long)c->n; /* answer in [lo, hi]; hi = none */
	if (c->n == 0 || git_graph_descendant_of(repo, &c->ids[c->n - 1], target) != 1)
		return -1;
	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		int r = merge_contains(repo, &c->ids[mid], target);
		if (r < 0)
			return -2;
		if (r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < (long)c->n ? lo : -1;
}

/* "  abc123456789 subject" lines for master commits in `from` but not in
 * `hide`, oldest first, at most `max`. */
static void list_beyond(git_repository *repo, const git_oid *from, const git_oid *hide, int max,
                        char *buf, size_t len)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	buf[0] = '\0';
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, from) < 0 ||
	    git_revwalk_hide(walk, hide) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0) {
		git_revwalk_free(walk);
		return;
	}
	for (int k = 0; k < max && git_revwalk_next(&oid, walk) == 0; k++) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, repo, &oid) < 0)
			break;
		const char *subj = git_commit_summary(c);
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "  %.12s %s\n", git_oid_tostr_s(&oid), subj ? subj : "");
		git_commit_free(c);
	}
	git_revwalk_free(walk);
}

int source_resolve_ref(git_repository *repo, const char *ref, struct source_resolution *out)
{
	int rc = GVAB_EFAIL;
	git_commit *commit = NULL;
	struct chain ch = {0};
	git_oid go_head, tagid;
	char hex[GIT_OID_HEXSZ + 1], hex2[GIT_OID_HEXSZ + 1];
	char *tagref = NULL;

	memset(out, 0, sizeof *out);
	out->master_between = -1;
	if (!ref || !*ref)
		ref = "go";
	if (lookup_ref(repo, ref, &commit) < 0) {
		rc = unknown_ref_error(repo, ref);
		goto out;
	}
	git_oid_cpy(&out->asked, git_commit_id(commit));
	git_oid_tostr(hex, sizeof hex, &out->asked);

	const git_signature *au = git_commit_author(commit);
	if (git_commit_parentcount(commit) == 0 && au && au->name && strcmp(au->name, "gvab import") == 0) {
		/* A Debian or module import: a buildable tree of its own. */
		git_oid_cpy(&out->commit, &out->asked);
		snprintf(out->how, sizeof out->how, "%s is imported tree %.12s, used as is", ref, hex);
		rc = 0;
		goto out;
	}
	if (!lookup_go_branch(repo, &go_head)) {
		/* No go branch: a Debian or module import, or a user's own tree. */
		git_oid_cpy(&out->commit, &out->asked);
		snprintf(out->how, sizeof out->how, "%s is commit %.12s (no go branch in this source), used as is",
		         ref, hex);
		rc = 0;
		goto out;
	}
	if ((rc = chain_load(repo, &go_head, &ch)) < 0)
		goto out;
	rc = GVAB_EFAIL;
	for (size_t i = 0; i < ch.n; i++)
		if (git_oid_equal(&ch.ids[i], &out->asked)) {
			git_oid_cpy(&out->commit, &out->asked);
			snprintf(out->how, sizeof out->how, "%s is go-branch commit %.12s, used as is", ref, hex);
			rc = 0;
			goto out;
		}

	/* Not on the go branch: a master commit (a release tag's, or given by
	 * id). Release tags resolve to the first go merge that contains them;
	 * anything else would be a Bazel tree, so it is refused by name. */
	tagref = util_fmt("refs/tags/%s", ref);
	int is_release = strncmp(ref, "release-", 8) == 0 &&
	                 git_reference_name_to_id(&tagid, repo, tagref) == 0;
	long first = first_merge_containing(repo, &ch, &out->asked);
	if (first == -2)
		goto out;
	if (!is_release) {
		if (first >= 0)
			rc = error_setc(GVAB_EUSAGE,
			                "ref '%s' (%.12s) is a master commit, not a go-branch tree (master needs "
			                "Bazel); the first go merge containing it is %.12s: pass that",
			                ref, hex, git_oid_tostr_s(&ch.ids[first]));
		else
			rc = error_setc(GVAB_EUSAGE,
			                "ref '%s' (%.12s) is not on the go branch and no go merge contains it yet",
			                ref, hex);
		goto out;
	}
	if (first < 0) {
		rc = error_setc(GVAB_EUSAGE,
		                "ref '%s' (%.12s): no go-branch merge contains it yet (fetch again later)",
		                ref, hex);
		goto out;
	}
	git_commit *m = NULL;
	if (git_commit_lookup(&m, repo, &ch.ids[first]) < 0) {
		source_git_error("reading go merge");
		goto out;
	}
	git_oid p2;
	git_oid_cpy(&p2, git_commit_parent_id(m, 1));
	git_commit_free(m);
	size_t ahead = 0, behind = 0;
	if (git_graph_ahead_behind(&ahead, &behind, repo, &p2, &out->asked) < 0) {
		source_git_error("counting master commits");
		goto out;
	}
	git_oid_cpy(&out->commit, &ch.ids[first]);
	out->master_between = (int)ahead;
	git_oid_tostr(hex2, sizeof hex2, &out->commit);
	if (ahead == 0)
		snprintf(out->how, sizeof out->how,
		         "%s (%.12s) resolves to go-branch merge %.12s, the first that contains it (its second "
		         "parent is exactly the tag's commit)", ref, hex, hex2);
	else
		snprintf(out->how, sizeof out->how,
		         "%s (%.12s) resolves to go-branch merge %.12s, the first that contains it; it also "
		         "brings %zu master commit%s beyond the tag", ref, hex, hex2, ahead,
		         ahead == 1 ? "" : "s");
	list_beyond(repo, &p2, &out->asked, 5, out->beyond, sizeof out->beyond);
	rc = 0;
out:
	free(ch.ids);
	free(tagref);
	git_commit_free(commit);
	return rc;
}

int source_checkout(git_repository *cache, const git_oid *commit, const char *dir)
{
	int rc = GVAB_EFAIL;
	git_repository *r = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	char *alt = NULL, *objs = NULL, *info = NULL;
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;

	if (git_repository_init(&r, dir, 0) < 0) {
		source_git_error(dir);
		goto out;
	}
	git_repository_free(r);
	r = NULL;
	/* Borrow the cache's objects instead of copying a 20+ MB tree per arm. */
	alt = util_fmt("%s/.git/objects/info/alternates", dir);
	objs = util_fmt("%sobjects\n", git_repository_path(cache));
	info = util_fmt("%s/.git/objects/info", dir);
	if (util_mkdir_p(info, 0755) < 0)
		goto out;
	if (util_write_file_atomic(alt, objs, strlen(objs)) < 0)
		goto out;
	if (git_repository_open(&r, dir) < 0 || git_commit_lookup(&c, r, commit) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		source_git_error(dir);
		goto out;
	}
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_tree(r, (git_object *)tree, &co) < 0 ||
	    git_repository_set_head_detached(r, commit) < 0) {
		source_git_error(dir);
		goto out;
	}
	rc = 0;
out:
	git_tree_free(tree);
	git_commit_free(c);
	git_repository_free(r);
	free(alt);
	free(objs);
	free(info);
	return rc;
}

void source_describe(git_repository *repo, const git_oid *commit, struct source_commit *out)
{
	git_commit *c = NULL;
	git_oid_tostr(out->hex, sizeof out->hex, commit);
	out->subject[0] = '\0';
	if (git_commit_lookup(&c, repo, commit) == 0) {
		const char *sum = git_commit_summary(c);
		snprintf(out->subject, sizeof out->subject, "%s", sum ? sum : "");
		git_commit_free(c);
	}
}

int source_first_parent_path(git_repository *repo, const git_oid *base, const git_oid *tip, size_t max,
                             struct source_commit **out, size_t *n)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, tip) < 0 ||
	    git_revwalk_simplify_first_parent(walk) < 0) {
		git_revwalk_free(walk);
		return source_git_error("walking the go branch");
	}
	int found = 0;
	size_t cap = 0;
	while (*n < max && git_revwalk_next(&oid, walk) == 0) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = util_xrealloc(*out, cap * sizeof **out);
		}
		source_describe(repo, &oid, &(*out)[(*n)++]);
		if (git_oid_equal(&oid, base)) {
			found = 1;
			break;
		}
	}
	git_revwalk_free(walk);
	if (!found) {
		free(*out);
		*out = NULL;
		*n = 0;
		return error_setc(GVAB_EUSAGE, "%.12s is not on the first-parent path behind %.12s",
		                  git_oid_tostr_s(base), git_oid_tostr_s(tip));
	}
	for (size_t i = 0; i < *n / 2; i++) {
		struct source_commit t = (*out)[i];
		(*out)[i] = (*out)[*n - 1 - i];
		(*out)[*n - 1 - i] = t;
	}
	return 0;
}

void source_merge_brings(git_repository *repo, const char *merge_hex, size_t max, struct source_commit **out,
                         size_t *n)
{
	git_oid id;
	git_commit *m = NULL;
	git_revwalk *w = NULL;
	*out = NULL;
	*n = 0;
	if (!repo || git_oid_fromstr(&id, merge_hex) < 0 || git_commit_lookup(&m, repo, &id) < 0)
		return;
	if (git_commit_parentcount(m) == 2 && git_revwalk_new(&w, repo) == 0 &&
	    git_revwalk_push(w, git_commit_parent_id(m, 1)) == 0 &&
	    git_revwalk_hide(w, git_commit_parent_id(m, 0)) == 0) {
		git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
		git_oid o;
		*out = util_xcalloc(max ? max : 1, sizeof **out);
		while (*n < max && git_revwalk_next(&o, w) == 0)
			source_describe(repo, &o, &(*out)[(*n)++]);
	}
	git_revwalk_free(w);
	git_commit_free(m);
}

void source_close(git_repository *repo)
{
	git_repository_free(repo);
}
