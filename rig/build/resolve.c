/* resolve: which buildable go-branch commit a ref names (see source.h).
 *
 * The rule. A commit on the go branch's first-parent chain is built as is.
 * Any other commit X (a release tag's, or a master commit given by id) maps
 * to the FIRST chain commit, oldest first, that contains X. Every chain
 * commit is the first parent of the next, so "chain commit i contains X"
 * is false and then true, flipping exactly once along the chain. The
 * commit where it flips does not have X behind its first parent, so X came
 * in through one of its other parents: it is the first go merge whose
 * merged side contains X, which is what a linear scan of the merges finds.
 * It is found with one walk of the history behind it (first_containing).
 *
 * The predicate used before, "this merge's second parent contains X", is
 * not monotone on upstream's history and a binary search over it answered
 * wrongly for 429 of the 19,397 master commits behind `go`: the chain holds
 * one-parent "Merge ... (automated)" commits, release-branch merges of 2020
 * whose second parents do not continue from the previous merge's, and merges
 * of master from before its 2024 rewrite, which later merges no longer
 * contain.
 */
#define _GNU_SOURCE
#include "source.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A release's go merge that brings more master commits than this beyond
 * the tag is no tree of that release's time: upstream rebuilt the go branch
 * (after the 2024 master rewrite, 176 tags map to one merge bringing
 * thousands). Real releases bring 0-11 (shared/upstream table). */
#define BEYOND_WARN 50

char *source_namespace(const char *location)
{
	char abs[4096], key[65];
	const char *norm = location;
	if (strstr(location, "://") == NULL && realpath(location, abs))
		norm = abs;
	size_t n = strlen(norm);
	while (n > 1 && norm[n - 1] == '/')
		n--;
	if (n > 4 && strncmp(norm + n - 4, ".git", 4) == 0)
		n -= 4;
	util_sha256_buf(norm, n, key);
	/* A readable part (the last path component) and a hash of the whole. */
	size_t b = n;
	while (b > 0 && norm[b - 1] != '/' && norm[b - 1] != ':')
		b--;
	char base[33];
	size_t k = 0;
	for (size_t i = b; i < n && k < sizeof base - 1; i++) {
		char ch = norm[i];
		base[k++] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		             ch == '-' || ch == '_') ? ch : '_';
	}
	base[k] = '\0';
	return util_fmt("refs/sources/%s-%.12s", k ? base : "source", key);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Records "unknown ref X; nearest release tags: a, b, c" (lexical
 * neighbours, which for release-YYYYMMDD.N names are the nearest dates). */
static int unknown_ref_error(git_repository *repo, const char *ns, const char *ref)
{
	git_strarray tags = {0};
	char list[1024] = "";
	char *glob = ns ? util_fmt("%s/tags/release-*", ns) : util_xstrdup("refs/tags/release-*");
	size_t skip = strlen(glob) - strlen("release-*");
	git_reference_iterator *it = NULL;
	const char *name;
	if (git_reference_iterator_glob_new(&it, repo, glob) == 0)
		while (git_reference_next_name(&name, it) == 0) {
			tags.strings = util_xrealloc(tags.strings, (tags.count + 1) * sizeof(char *));
			tags.strings[tags.count++] = util_xstrdup(name + skip);
		}
	git_reference_iterator_free(it);
	free(glob);
	if (tags.count > 0) {
		qsort(tags.strings, tags.count, sizeof(char *), cmp_str);
		size_t pos = 0;
		while (pos < tags.count && strcmp(tags.strings[pos], ref) < 0)
			pos++;
		size_t lo = pos >= 3 ? pos - 3 : 0;
		size_t hi = pos + 3 < tags.count ? pos + 3 : tags.count;
		for (size_t i = lo; i < hi; i++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", tags.strings[i]);
		}
	}
	for (size_t i = 0; i < tags.count; i++)
		free(tags.strings[i]);
	free(tags.strings);
	if (list[0])
		return error_setc(GVAB_EUSAGE, "unknown ref '%s'; nearest release tags: %s", ref, list);
	return error_setc(GVAB_EUSAGE, "unknown ref '%s'; the source has no release-* tags", ref);
}

static int lookup_go_branch(git_repository *repo, const char *ns, git_oid *out)
{
	if (ns) {
		char *r = util_fmt("%s/heads/go", ns);
		int found = git_reference_name_to_id(out, repo, r) == 0;
		free(r);
		return found;
	}
	static const char *names[] = {"refs/heads/go", "refs/remotes/origin/go"};
	for (size_t i = 0; i < 2; i++)
		if (git_reference_name_to_id(out, repo, names[i]) == 0)
			return 1;
	return 0;
}

/* A ref as typed, taken apart: `name` without a "^{}" / "^{commit}" peel
 * suffix and without a refs/tags/, tags/, refs/heads/, heads/ or
 * (refs/remotes/)origin/ prefix; which kinds of ref it may be. */
struct ref_name {
	char base[256]; /* without the peel suffix */
	char name[256]; /* without the prefix either */
	int tags_only, heads_only;
};

static void ref_name_parse(const char *ref, struct ref_name *rn)
{
	static const struct { const char *prefix; int tags, heads; } pre[] = {
		{"refs/tags/", 1, 0}, {"tags/", 1, 0}, {"refs/heads/", 0, 1}, {"heads/", 0, 1},
		{"refs/remotes/origin/", 0, 1}, {"origin/", 0, 1}};
	snprintf(rn->base, sizeof rn->base, "%s", ref);
	size_t n = strlen(rn->base);
	if (n > 3 && strcmp(rn->base + n - 3, "^{}") == 0)
		rn->base[n - 3] = '\0';
	else if (n > 9 && strcmp(rn->base + n - 9, "^{commit}") == 0)
		rn->base[n - 9] = '\0';
	rn->tags_only = rn->heads_only = 0;
	const char *s = rn->base;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
		if (strncmp(s, pre[i].prefix, strlen(pre[i].prefix)) == 0) {
			s += strlen(pre[i].prefix);
			rn->tags_only = pre[i].tags;
			rn->heads_only = pre[i].heads;
			break;
		}
	snprintf(rn->name, sizeof rn->name, "%s", s);
}

static int is_hex_id(const char *s)
{
	size_t n = strlen(s);
	return n >= 4 && n <= 40 && strspn(s, "0123456789abcdef") == n;
}

static int peel_id(git_repository *repo, const git_oid *id, git_commit **out)
{
	git_object *obj = NULL;
	int r = git_object_lookup(&obj, repo, id, GIT_OBJECT_ANY);
	if (r == 0)
		r = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	return r;
}

/* Looks `ref` up: with a source namespace, as its tags and branches, or as a
 * commit id; without one as git would, then as refs/remotes/origin/REF
 * (where a fetch by older gvab versions put `go` and `master`). *is_tag
 * says it named a tag. */
static int lookup_ref(git_repository *repo, const char *ns, const struct ref_name *rn, git_commit **out,
                      int *is_tag)
{
	git_oid id;
	*is_tag = 0;
	if (ns) {
		const char *kinds[] = {"tags", "heads"};
		for (int k = 0; k < 2; k++) {
			if ((k == 0 && rn->heads_only) || (k == 1 && rn->tags_only))
				continue;
			char *full = util_fmt("%s/%s/%s", ns, kinds[k], rn->name);
			int found = git_reference_name_to_id(&id, repo, full) == 0;
			free(full);
			if (found) {
				*is_tag = k == 0;
				return peel_id(repo, &id, out);
			}
		}
		if (!is_hex_id(rn->base))
			return -1;
	}
	git_object *obj = NULL;
	int r = git_revparse_single(&obj, repo, rn->base);
	if (r == 0) {
		char *tagref = util_fmt("refs/tags/%s", rn->name);
		*is_tag = !rn->heads_only && git_reference_name_to_id(&id, repo, tagref) == 0;
		free(tagref);
	} else if (!ns && !rn->tags_only) {
		char *rr = util_fmt("refs/remotes/origin/%s", rn->name);
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

/* 1 if `id` is `target` or has it as an ancestor, 0 if not, < 0 error. */
static int contains(git_repository *repo, const git_oid *id, const git_oid *target)
{
	if (git_oid_equal(id, target))
		return 1;
	int r = git_graph_descendant_of(repo, id, target);
	return r < 0 ? source_git_error("ancestry query") : r;
}

/* A set of commit ids (open addressing; the first bytes of an id are
 * already uniformly distributed). */
struct oidset {
	git_oid *slot;
	unsigned char *used;
	size_t cap, n;
};

static size_t oidset_pos(const struct oidset *s, const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof h);
	for (h &= s->cap - 1; s->used[h] && !git_oid_equal(&s->slot[h], id); h = (h + 1) & (s->cap - 1))
		;
	return h;
}

/* Adds `id`; 1 if it was new. */
static int oidset_add(struct oidset *s, const git_oid *id)
{
	if (2 * (s->n + 1) > s->cap) {
		struct oidset g = {NULL, NULL, s->cap ? 2 * s->cap : 4096, 0};
		g.slot = util_xcalloc(g.cap, sizeof *g.slot);
		g.used = util_xcalloc(g.cap, 1);
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i]) {
				size_t p = oidset_pos(&g, &s->slot[i]);
				g.used[p] = 1;
				git_oid_cpy(&g.slot[p], &s->slot[i]);
				g.n++;
			}
		free(s->slot);
		free(s->used);
		*s = g;
	}
	size_t p = oidset_pos(s, id);
	if (s->used[p])
		return 0;
	s->used[p] = 1;
	git_oid_cpy(&s->slot[p], id);
	s->n++;
	return 1;
}

/* Index of the first (oldest) chain commit containing `target`; -1 when
 * none does, -2 on error. One walk: for i = 0, 1, ... it visits the commits
 * chain[i] reaches that no earlier chain commit reached, and stops at
 * `target`. Every commit is read at most once, so the cost is bounded by the
 * history behind the answer (upstream's whole go history, 26,068 commits,
 * in well under a second), unlike O(log n) libgit2 ancestry queries, each of
 * which walked most of that history (about 2 s per resolution there). */
static long first_containing(git_repository *repo, const struct chain *c, const git_oid *target)
{
	struct oidset seen = {0};
	git_oid *stack = NULL;
	size_t ns = 0, cap = 0;
	long found = -1;
	for (size_t i = 0; i < c->n && found == -1; i++) {
		if (!oidset_add(&seen, &c->ids[i]))
			continue;
		ns = 0;
		for (const git_oid *next = &c->ids[i]; next; next = ns ? &stack[--ns] : NULL) {
			git_oid id;
			git_commit *cm = NULL;
			git_oid_cpy(&id, next);
			if (git_oid_equal(&id, target)) {
				found = (long)i;
				break;
			}
			if (git_commit_lookup(&cm, repo, &id) < 0) {
				found = -2;
				source_git_error("walking the go branch's history");
				break;
			}
			for (unsigned k = 0; k < git_commit_parentcount(cm); k++) {
				const git_oid *p = git_commit_parent_id(cm, k);
				if (!oidset_add(&seen, p))
					continue;
				if (ns == cap)
					stack = util_xrealloc(stack, (cap = cap ? 2 * cap : 256) * sizeof *stack);
				git_oid_cpy(&stack[ns++], p);
			}
			git_commit_free(cm);
		}
	}
	free(stack);
	free(seen.slot);
	free(seen.used);
	return found;
}

int source_go_merge_containing(git_repository *repo, const git_oid *go_head, const git_oid *target,
                               git_oid *merge)
{
	struct chain ch;
	int rc = chain_load(repo, go_head, &ch);
	if (rc < 0)
		return rc;
	long i = first_containing(repo, &ch, target);
	if (i >= 0)
		git_oid_cpy(merge, &ch.ids[i]);
	free(ch.ids);
	return i == -2 ? GVAB_EFAIL : i >= 0;
}

/* The parent of `merge` (not the first) that contains `target`. */
static int merged_parent(git_repository *repo, const git_oid *merge, const git_oid *target, git_oid *out)
{
	git_commit *m = NULL;
	int r = 0;
	if (git_commit_lookup(&m, repo, merge) < 0)
		return source_git_error("reading go merge");
	/* Its first parent lacks target and it has it: with two parents, the
	 * second is the one (no ancestry query, which costs seconds there). */
	if (git_commit_parentcount(m) == 2) {
		git_oid_cpy(out, git_commit_parent_id(m, 1));
		git_commit_free(m);
		return 0;
	}
	for (unsigned k = 1; k < git_commit_parentcount(m) && r == 0; k++)
		if ((r = contains(repo, git_commit_parent_id(m, k), target)) == 1)
			git_oid_cpy(out, git_commit_parent_id(m, k));
	if (r == 0) {
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
		r = error_set("go merge %.12s: no merged parent contains %.12s", git_oid_tostr(a, sizeof a, merge),
		              git_oid_tostr(b, sizeof b, target));
	}
	git_commit_free(m);
	return r < 0 ? r : 0;
}

static void append_line(git_repository *repo, const git_oid *id, char *buf, size_t len, const char *lead)
{
	struct source_commit sc;
	source_describe(repo, id, &sc);
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, "%s%.12s %s\n", lead, sc.hex, sc.subject);
}

/* "  abc123456789 subject" lines for the commits in `from` but not in
 * `hide`, oldest first: the oldest `max`, then one line for the rest and
 * the newest. Sorted newest first (topological, then time) and reversed
 * here: every commit comes after its parents. */
static void list_beyond(git_repository *repo, const git_oid *from, const git_oid *hide, size_t max,
                        char *buf, size_t len)
{
	git_revwalk *walk = NULL;
	git_oid *ids = NULL, oid;
	size_t n = 0, cap = 0;
	buf[0] = '\0';
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, from) < 0 ||
	    git_revwalk_hide(walk, hide) < 0 || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0) {
		git_revwalk_free(walk);
		return;
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = util_xrealloc(ids, cap * sizeof *ids);
		}
		git_oid_cpy(&ids[n++], &oid);
	}
	git_revwalk_free(walk);
	for (size_t k = 0; k < n && k < max; k++)
		append_line(repo, &ids[n - 1 - k], buf, len, "  ");
	if (n > max) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "  ... %zu more, up to ", n - max);
		append_line(repo, &ids[0], buf, len, "");
	}
	free(ids);
}

/* Names the first marker of a Bazel workspace in `commit`'s root tree, or
 * NULL: such a tree (upstream master) does not build with `go build`. */
static const char *bazel_marker(git_commit *commit)
{
	static const char *markers[] = {"MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", "BUILD", "BUILD.bazel"};
	git_tree *t = NULL;
	const char *found = NULL;
	if (git_commit_tree(&t, commit) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof markers / sizeof markers[0] && !found; i++)
		if (git_tree_entry_byname(t, markers[i]))
			found = markers[i];
	git_tree_free(t);
	return found;
}

/* A release tag (or a master commit) X off the chain: the first chain
 * commit containing it, what that brings beyond X, and a warning when it is
 * far more than a release's own few. */
static int resolve_tag(git_repository *repo, const struct chain *ch, long first, const char *ref,
                       struct source_resolution *out)
{
	char hex[GIT_OID_HEXSZ + 1], hex2[GIT_OID_HEXSZ + 1];
	git_oid p;
	size_t ahead = 0, behind = 0;
	int rc = merged_parent(repo, &ch->ids[first], &out->asked, &p);
	if (rc < 0)
		return rc;
	if (git_graph_ahead_behind(&ahead, &behind, repo, &p, &out->asked) < 0)
		return source_git_error("counting master commits");
	git_oid_cpy(&out->commit, &ch->ids[first]);
	out->master_between = (int)ahead;
	git_oid_tostr(hex, sizeof hex, &out->asked);
	git_oid_tostr(hex2, sizeof hex2, &out->commit);
	if (ahead == 0)
		snprintf(out->how, sizeof out->how,
		         "%s (%.12s) resolves to go-branch merge %.12s, the first that contains it (it merges "
		         "exactly the tag's commit)", ref, hex, hex2);
	else
		snprintf(out->how, sizeof out->how,
		         "%s (%.12s) resolves to go-branch merge %.12s, the first that contains it; it also "
		         "brings %zu master commit%s beyond the tag", ref, hex, hex2, ahead, ahead == 1 ? "" : "s");
	if (ahead > BEYOND_WARN)
		snprintf(out->warning, sizeof out->warning,
		         "go merge %.12s brings %zu master commits beyond %s, far more than a release's own few: "
		         "the go branch has no merge from the tag's time (upstream rebuilt it, as after the 2024 "
		         "master rewrite), so this tree is much newer than the tag", hex2, ahead, ref);
	list_beyond(repo, &p, &out->asked, 5, out->beyond, sizeof out->beyond);
	return 0;
}

/* A commit the go chain does not hold: a release tag resolves to the first
 * merge containing it; anything else would be a Bazel tree and is refused by
 * name. */
static int resolve_off_chain(git_repository *repo, const struct chain *ch, const char *ref, int is_release,
                             struct source_resolution *out)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, &out->asked);
	long first = first_containing(repo, ch, &out->asked);
	if (first == -2)
		return GVAB_EFAIL;
	if (first >= 0)
		git_oid_cpy(&out->commit, &ch->ids[first]);
	out->pending = first < 0;
	if (!is_release) {
		if (first >= 0)
			return error_setc(GVAB_EUSAGE,
			                  "ref '%s' (%.12s) is a master commit, not a go-branch tree (master needs "
			                  "Bazel); the first go merge containing it is %.12s: pass that",
			                  ref, hex, git_oid_tostr_s(&ch->ids[first]));
		return error_setc(GVAB_EUSAGE,
		                  "ref '%s' (%.12s) is not on the go branch and no go merge contains it yet", ref, hex);
	}
	if (first < 0)
		return error_setc(GVAB_EUSAGE, "ref '%s' (%.12s): no go-branch merge contains it yet (fetch again later)",
		                  ref, hex);
	return resolve_tag(repo, ch, first, ref, out);
}

static int resolve_in(git_repository *repo, const char *ns, const char *ref, struct source_resolution *out)
{
	int rc = GVAB_EFAIL, is_tag = 0;
	git_commit *commit = NULL;
	struct chain ch = {0};
	struct ref_name rn;
	git_oid go_head;
	char hex[GIT_OID_HEXSZ + 1];

	memset(out, 0, sizeof *out);
	out->master_between = -1;
	if (!ref || !*ref)
		ref = "go";
	ref_name_parse(ref, &rn);
	if (lookup_ref(repo, ns, &rn, &commit, &is_tag) < 0) {
		rc = unknown_ref_error(repo, ns, rn.name);
		out->pending = 1;
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
	if (!lookup_go_branch(repo, ns, &go_head)) {
		const char *marker = bazel_marker(commit);
		if (marker) {
			rc = error_setc(GVAB_EPRECOND,
			                "ref '%s' (%.12s) is a Bazel tree (its root has %s: upstream master), which "
			                "go build cannot build, and this source has no go branch to find the go-branch "
			                "merge that holds it: use a clone with upstream's `go` branch, or --source module",
			                ref, hex, marker);
			goto out;
		}
		git_oid_cpy(&out->commit, &out->asked);
		snprintf(out->how, sizeof out->how, "%s is commit %.12s (no go branch in this source, no Bazel "
		         "workspace in its tree), used as is", ref, hex);
		rc = 0;
		goto out;
	}
	if ((rc = chain_load(repo, &go_head, &ch)) < 0)
		goto out;
	for (size_t i = 0; i < ch.n; i++)
		if (git_oid_equal(&ch.ids[i], &out->asked)) {
			git_oid_cpy(&out->commit, &out->asked);
			snprintf(out->how, sizeof out->how, "%s is go-branch commit %.12s, used as is", ref, hex);
			rc = 0;
			goto out;
		}
	rc = resolve_off_chain(repo, &ch, ref, is_tag && strncmp(rn.name, "release-", 8) == 0, out);
out:
	free(ch.ids);
	git_commit_free(commit);
	return rc;
}

int source_resolve_ref(git_repository *repo, const char *source, const char *ref, struct source_resolution *out)
{
	char *ns = source ? source_namespace(source) : NULL;
	int rc = resolve_in(repo, ns, ref, out);
	free(ns);
	return rc;
}
