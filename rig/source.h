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

/* Opens (creating if missing) the bare repository at `path`. */
int source_open_cache(const char *path, git_repository **out);

/* Fetches branches into refs/remotes/origin/ and tags into refs/tags/ from
 * `url` (a URL or a local repository path). Only new objects are fetched.
 * *received_objects (may be NULL) is how many objects came in. */
int source_fetch(git_repository *repo, const char *url, unsigned *received_objects);

/* Imports the directory tree at `dir` as one commit with a fixed author and
 * time (so the same tree always gives the same commit id), points
 * refs/heads/<branch> at it and tags it `tag` (lightweight). */
int source_import_tree(git_repository *repo, const char *dir, const char *branch,
                       const char *tag, git_oid *out);

struct source_resolution {
	git_oid commit;          /* the go-tree commit to build */
	git_oid asked;           /* what the ref itself named */
	int master_between;      /* master commits between asked and the merge's 2nd parent; -1 if n/a */
	char how[512];           /* one human sentence: which commit and why */
};

/* Resolves `ref` (commit id, branch, tag) to a buildable commit:
 * - a commit, branch, or a tag whose commit is on the go branch: as is;
 * - a release tag pointing at a master commit: the go-branch merge whose
 *   second parent is that commit, else the newest go-branch merge whose
 *   second parent is an ancestor of it.
 * The go branch is refs/heads/go or refs/remotes/origin/go. An unknown ref
 * fails (GVAB_EUSAGE) with a message listing the nearest release tags. */
int source_resolve_ref(git_repository *repo, const char *ref, struct source_resolution *out);

/* Checks `commit` out into `dir` (which must not exist or be empty) as a
 * new repository whose objects come from `cache` via alternates. */
int source_checkout(git_repository *cache, const git_oid *commit, const char *dir);

/* Records libgit2's last error with a context prefix; returns GVAB_EFAIL. */
int source_git_error(const char *what);

#endif
