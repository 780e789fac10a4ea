/* source: gVisor source handling with libgit2 (never the git command).
 *
 * A cached bare repository holds every source gvab has seen: upstream
 * fetched from a URL or local path, and Debian's offline tree imported as a
 * single tagged commit. Refs resolve to a commit of a tree buildable with
 * `go build` (upstream's generated `go` branch); each arm is checked out into
 * its own directory, which is a fresh repository borrowing the cache's
 * objects through an alternates file, so arms never share a work tree.
 *
 * Ownership: git_repository pointers returned here are the caller's to
 * git_repository_free(). Errors are recorded with error_set().
 */
#ifndef GVAB_SOURCE_H
#define GVAB_SOURCE_H

#include <git2.h>

/* Calls git_libgit2_init once and registers its shutdown at exit. */
void source_lib_init(void);

/* Opens (creating if missing) the bare repository at `path`.
 * source_open_cache, source_fetch and source_import_tree hold an exclusive
 * flock on `path`.lock beside the repository while they create or write it
 * (waiting for another gvab's, with one line on stderr), so gvab processes
 * can share one cache. */
int source_open_cache(const char *path, git_repository **out);

/* The ref namespace of git source `location` in the cache,
 * "refs/sources/<last path component>-<12 hex of its sha256>" (a local path
 * made absolute, a trailing ".git" or "/" dropped first): every source keeps
 * its own branches (<ns>/heads/) and tags (<ns>/tags/), so a ref is only
 * ever found in the source it came from. Caller frees. */
char *source_namespace(const char *location);

/* Fetches branches into <ns>/heads/ and tags into <ns>/tags/ (ns =
 * source_namespace(url)) from `url` (a URL or a local repository path).
 * Only new objects are fetched. *received_objects (may be NULL) is how many
 * objects came in. A local path that does not exist fails with
 * GVAB_EPRECOND, as does any failed fetch. */
int source_fetch(git_repository *repo, const char *url, unsigned *received_objects);

/* Imports the directory tree at `dir` as one commit with a fixed author and
 * time (so the same tree always gives the same commit id), points
 * refs/heads/<branch> at it and tags it `tag` (lightweight). */
int source_import_tree(git_repository *repo, const char *dir, const char *branch,
                       const char *tag, git_oid *out);

struct source_resolution {
	git_oid commit;          /* the go-tree commit to build */
	git_oid asked;           /* what the ref itself named */
	int master_between;      /* master commits the merge brings beyond the tag; -1 if n/a */
	int pending;             /* on failure: the ref is unknown, or no go merge contains it
	                          * yet, so a fetch may help */
	char how[512];           /* one human sentence: which commit and why */
	char warning[512];       /* "" or one sentence: the merge brings far more than the tag */
	char beyond[1024];       /* "  <12 hex> <subject>\n" of the oldest few of those, oldest
	                          * first, then "  ... N more, up to <newest>" */
};

/* Resolves `ref` (commit id, branch, tag; default "go") to a buildable commit
 * (resolve.c). `source` is the git source's location: its branches and
 * tags are looked up in its namespace (source_namespace) only; commit ids
 * in the whole cache. source NULL (imports): names are looked up as git
 * does, then under refs/remotes/origin/. A ref may be written NAME, tags/NAME,
 * refs/tags/NAME, heads/NAME, refs/heads/NAME, each optionally with ^{}.
 * With a go branch (<ns>/heads/go; without ns refs/heads/go or
 * refs/remotes/origin/go):
 * - a commit on its first-parent chain is used as is;
 * - a release tag (release-*, a master commit) resolves to the FIRST commit
 *   of that chain, oldest first, that contains the tag's commit: the first
 *   go merge that merged it; master_between and beyond say what else that
 *   merge brings, and warning is set when that is far more than a release's;
 * - any other commit is a master (Bazel) tree and fails (GVAB_EUSAGE) naming
 *   the first go merge that contains it.
 * Without a go branch, an imported tree or a tree without a Bazel workspace
 * is used as is; a Bazel tree fails (GVAB_EPRECOND) saying why.
 * An unknown ref fails (GVAB_EUSAGE) listing the nearest release tags. */
int source_resolve_ref(git_repository *repo, const char *source, const char *ref,
                       struct source_resolution *out);

/* The first commit of `go_head`'s first-parent chain, oldest first, that is
 * `target` or has it as an ancestor, into *merge: 1 found, 0 none, < 0
 * error. One walk that reads each commit behind the answer at most once. */
int source_go_merge_containing(git_repository *repo, const git_oid *go_head, const git_oid *target,
                               git_oid *merge);

/* Checks `commit` out into `dir` (which must not exist or be empty) as a
 * new repository whose objects come from `cache` via alternates. */
int source_checkout(git_repository *cache, const git_oid *commit, const char *dir);

/* What the layers above the build see of a commit: its id and subject. */
struct source_commit {
	char hex[41];
	char subject[200];
};

/* `commit` as 40 hex digits, and its subject line ("" when unknown). */
void source_describe(git_repository *repo, const git_oid *commit, struct source_commit *out);
/* The first-parent path from `tip` back to `base`, oldest first (base
 * first, tip last): GVAB_EUSAGE when base is not on it within `max`
 * commits. Caller frees *out. */
int source_first_parent_path(git_repository *repo, const git_oid *base, const git_oid *tip, size_t max,
                             struct source_commit **out, size_t *n);
/* The commits merge `merge_hex` brought (its second parent's side, not
 * reachable from its first), oldest first, at most `max`; none when it is
 * not a merge or unknown. Caller frees *out (NULL when none). */
void source_merge_brings(git_repository *repo, const char *merge_hex, size_t max, struct source_commit **out,
                         size_t *n);
/* The tree id of commit `hex` (full or abbreviated) into out: 0, or
 * negative when the cache does not have it. Two commits with one tree build
 * the same binary: trend and bisect do not measure them against each other. */
int source_tree_id(git_repository *repo, const char *hex, char out[GIT_OID_HEXSZ + 1]);
void source_close(git_repository *repo);

/* Records libgit2's last error with a context prefix; returns GVAB_EFAIL. */
int source_git_error(const char *what);

#endif
