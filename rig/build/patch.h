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
 * with the patch name, the file and the hunk that did not apply. Header
 * fields (below) let a patch say when it is superseded upstream or when it
 * applies at all, and a series line may list variants for different trees.
 */
#ifndef GVAB_PATCH_H
#define GVAB_PATCH_H

#include <git2.h>
#include <stddef.h>

enum patch_status {
	PATCH_APPLIED,          /* the diff was applied */
	PATCH_ALREADY_UPSTREAM, /* its reverse applies: the tree already has it */
	PATCH_SUPERSEDED,       /* the tree has the upstream change named by Superseded-by */
	PATCH_NOT_APPLICABLE,   /* an Applies-if condition is false, or every file it
	                         * deletes is absent (never "already upstream") */
};

/* "applied", "already-upstream", "superseded", "not-applicable". */
const char *patch_status_name(enum patch_status st);

/* Header fields a patch file may carry before its diff, one per line:
 *
 *   Superseded-by: <upstream commit> (<subject>)
 *       The tree needs no such patch once it contains that upstream change.
 *       With git history the commit's ancestry decides; without it (module
 *       and Debian sources) the Superseded-probe does, if there is one.
 *   Superseded-probe: <path>: <text>
 *       The change is in the tree when file <path> contains <text>.
 *   Applies-if: exists <path> | missing <path> | go < X.Y | go >= X.Y
 *       Every Applies-if line must hold (go = go.mod's go line), else the
 *       patch is skipped as not applicable. Compat edits use this.
 */
struct patch_header {
	char *superseded_by;     /* full value, e.g. "00160b93c79e (Shave ...)" */
	char superseded_rev[41]; /* its leading hex */
	char *probe_path, *probe_text;
	char **applies_if;       /* raw condition strings */
	size_t napplies_if;
};

struct patch_variant {
	char *name;      /* file name within the series directory */
	char *path;      /* full path */
	char sha256[65]; /* of the whole patch file */
	struct patch_header hdr;
};

/* One line of a series file: a patch, or variants of one patch for
 * different trees written "a.patch | b.patch"; the first variant that applies
 * cleanly (or whose reverse applies) is used. */
struct patch_entry {
	char *name;                  /* the first variant's file name */
	struct patch_variant *v;
	size_t nv;
	size_t chosen;               /* index into v of the variant that decided */
	enum patch_status status;
	char detail[512];            /* why superseded / not applicable; "" otherwise */
};

struct patch_series {
	char *name;  /* series directory's base name, e.g. "hostmm-lazy" */
	char *dir;
	struct patch_entry *patches;
	size_t count;
};

/* What the superseded and Applies-if checks look at. */
struct patch_context {
	const char *tree;          /* work tree root */
	git_repository *history;   /* repository with upstream history, or NULL */
	const git_oid *commit;     /* the tree's commit in `history` */
	const char *gomod_go;      /* go.mod's go line ("1.26.3"), or NULL */
};

/* Reads `dir`/series and hashes every patch. Fails with the series file's
 * line when a listed patch is missing or its header is malformed. Caller
 * frees with patch_series_free. */
int patch_series_load(const char *dir, struct patch_series *out);
void patch_series_free(struct patch_series *s);

/* Parses the header fields of a patch text (everything before its first
 * "diff --git" line). `where` names the file in errors. */
int patch_header_parse(const char *text, const char *where, struct patch_header *out);
void patch_header_free(struct patch_header *h);

/* Applies one patch file's diff to the work tree of `repo`. Sets *status
 * (APPLIED, ALREADY_UPSTREAM or NOT_APPLICABLE). */
int patch_apply_file(git_repository *repo, const char *patch_path, const char *name,
                     enum patch_status *status);

/* Applies every patch of the series in order, with the Superseded-by and
 * Applies-if checks against `ctx`; stops at the first failure. */
int patch_apply_series(git_repository *repo, const struct patch_context *ctx,
                       struct patch_series *s);

/* Compares dotted versions ("1.22.0" vs "1.22"): <0, 0, >0. */
int patch_version_cmp(const char *a, const char *b);

/* Returns a newly allocated diff text with old and new sides swapped
 * (exported for tests). NULL on malformed input, with an error recorded. */
char *patch_reverse_text(const char *diff);

#endif
