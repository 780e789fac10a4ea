/* patch: quilt-like patch series applied with libgit2 (git_diff_from_buffer +
 * git_apply), never with patch(1) or git(1).
 *
 * A series is a directory holding a `series` file (one patch file name per
 * line, '#' comments) and the patches. A patch file is free text (its
 * header: what, why, which releases, how measured) followed by a git-style
 * unified diff starting at the first "diff --git" line.
 *
 * Each patch is first checked (GIT_APPLY_CHECK); one whose reverse applies
 * is reported as already upstream and skipped; one that does neither fails
 * with the patch name, the file and the hunk that did not apply.
 */
#ifndef GVAB_PATCH_H
#define GVAB_PATCH_H

#include <git2.h>
#include <stddef.h>

enum patch_status { PATCH_APPLIED, PATCH_ALREADY_UPSTREAM };

struct patch_entry {
	char *name;       /* file name within the series directory */
	char *path;       /* full path */
	char sha256[65];  /* of the whole patch file */
	enum patch_status status;
};

struct patch_series {
	char *name;  /* series directory's base name, e.g. "hostmm-lazy" */
	char *dir;
	struct patch_entry *patches;
	size_t count;
};

/* Reads `dir`/series and hashes every patch. Fails with the series file's
 * line when a listed patch is missing. Caller frees with patch_series_free. */
int patch_series_load(const char *dir, struct patch_series *out);
void patch_series_free(struct patch_series *s);

/* Applies one patch file's diff to the work tree of `repo`. Sets *status. */
int patch_apply_file(git_repository *repo, const char *patch_path, const char *name,
                     enum patch_status *status);

/* Applies every patch of the series in order; stops at the first failure. */
int patch_apply_series(git_repository *repo, struct patch_series *s);

/* Returns a newly allocated diff text with old and new sides swapped
 * (exported for tests). NULL on malformed input, with an error recorded. */
char *patch_reverse_text(const char *diff);

#endif
