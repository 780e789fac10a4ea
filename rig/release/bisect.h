/* bisect: find the go-branch merge where cold boot changed.
 *
 * The path is an ordered list of buildable revisions from GOOD (the old
 * behaviour) to BAD (the new one): the first-parent go-branch commits
 * between them for a git source, or the lines of a revisions file (for a
 * module source, which has no history). The search is git bisect's, with
 * measurement instead of a human: each step builds the middle revision
 * (every build cached), boots it interleaved with both ends in one run,
 * and places it between them on the chosen metric: the interval of
 * (mid - good) / (bad - good) from the paired shift the report uses
 * (analysis/verdict.h decides whether the ends differ at all):
 *   good-like  the interval is below one half and reaches down to 0.2;
 *   bad-like   it is above one half and reaches up to 0.8;
 *   undecided  it straddles one half (too little data) or sits clear of
 *              both ends (the change is spread over several commits):
 *              rounds are added (gvab run
 *              --append) at group-sequential looks whose error is spent
 *              over the looks (Lan-DeMets, O'Brien-Fleming type), and a
 *              revision still undecided at the last look is reported so
 *              and stepped around, never guessed.
 * A revision that fails to build or boot is skipped, as `git bisect skip`.
 * It works in either direction (a regression or an improvement): only
 * "like GOOD" and "like BAD" matter.
 *
 * State: OUT/bisect.json is rewritten after every step, so a bisect stopped
 * by Ctrl-C or a crash resumes where it was when started again with the
 * same arguments. Outputs: bisect.json (path, every step, the answer),
 * bisect.md, and a chart of the metric along the path (bisect.png/.svg).
 */
#ifndef GVAB_BISECT_H
#define GVAB_BISECT_H

#include <stddef.h>
#include "revsetup.h"

struct bisect_opts {
	struct revision_setup rs; /* source, build, boot and comparison */
	const char *good, *bad;      /* revisions (commit ids, pseudo-versions, refs) */
	const char *revisions_file;  /* ordered revision list, or NULL (git history) */
	const char *out_dir;
	long iterations;             /* measured rounds per look */
	int looks;                   /* looks per step (1 = no sequential extension) */
	double budget_s;             /* > 0: a step's boots within this time: its looks
	                              * are cut to what the first look's measured round
	                              * rate allows, planned before that look is analysed */
	int max_steps;               /* 0: until done */
};

/* How a bisect ended, when it ran to an answer. */
enum bisect_result {
	BISECT_DONE,    /* the first bad revision, or the range left where skipped or
	                 * undecided revisions sit at the boundary */
	BISECT_STOPPED  /* stopped early (--max-steps): the range so far */
};

struct bisect_outcome {
	enum bisect_result result;
	char *summary;  /* the answer in a few lines (also bisect.md's opening):
	                 * the caller's to print and free */
};

/* Runs (or resumes) a bisect: 0 with *out filled, or a negative code with
 * the error recorded (GVAB_EDATA when the ends do not differ). Progress
 * goes to stderr; nothing to stdout. */
int bisect_run(const struct bisect_opts *o, struct bisect_outcome *out);

/* One line of a revisions file (the format --revisions reads). */
struct bisect_revision {
	char id[96];       /* what build --ref gets: the pseudo-version for a module
	                    * source, else the commit */
	char commit[41];   /* go-branch commit (hex, possibly abbreviated) */
	char master[41];   /* master commit the line names, or "" */
	char subject[200];
};

/* Reads a revisions file ('<commit> [<pseudo-version> [<master commit>
 * [<subject>]]]' per line, '#' comments, oldest first): the lines from
 * `first` to `last` (a commit prefix of 7+ hex or a pseudo-version; NULL:
 * the first or last line), which must come in that order. `module`: every
 * line needs its pseudo-version. *out (caller frees) holds *n entries.
 * Errors name the file and line (GVAB_EDATA) or the option (GVAB_EUSAGE). */
int bisect_revisions_read(const char *file, int module, const char *first, const char *last,
                          struct bisect_revision **out, size_t *n);

#endif
