/* bisect_int: what the bisect_*.c files share (bisect.h is the module's
 * contract). bisect.c searches; bisect_path.c reads the path of revisions;
 * bisect_state.c keeps bisect.json; bisect_look.c builds, runs and places
 * one revision; bisect_out.c writes the chart and bisect.md. */
#ifndef GVAB_BISECT_INT_H
#define GVAB_BISECT_INT_H

#include "bisect.h"
#include "source.h"
#include "verdict.h"

#include <stddef.h>

#include <cjson/cJSON.h>

enum rev_state { R_UNTESTED, R_GOOD, R_BAD, R_SKIP, R_UNDECIDED };
extern const char *const bisect_state_names[]; /* by enum rev_state */

struct rev {
	char id[96];        /* what build --ref gets */
	char commit[41];    /* go-branch commit (hex, possibly abbreviated) */
	char master[41];    /* the master commit a revisions file names, if any */
	char tree[41];      /* its tree id (git history), "" unknown */
	char subject[200];
	enum rev_state state;
	char note[400];
	int step;           /* step that measured it, -1 none */
	double med_ms, lo_ms, hi_ms; /* metric median and its CI in that step */
};

struct path {
	struct rev *r;
	size_t n;
	int have_history;
};

/* Verdicts of good (b=1) and bad (b=2) against mid (a=0) on `phase`, with
 * intervals at one-sided error `tail`; medians and CIs per arm; and the
 * ends' delta bad - good with its interval. */
struct look_result {
	enum verdict vs_good, vs_bad, ends;
	double med[3], lo[3], hi[3];
	double ends_ms, ends_lo, ends_hi, ends_pct;
	/* The ends' pairs, widening for dependent rounds and Holm family: with
	 * them stats_sign_floor_p says whether any change could be told. */
	size_t ends_pairs, ends_family;
	double ends_factor;
	double good_mid_ms, good_mid_lo, good_mid_hi; /* good - mid, its interval */
	double pos, pos_lo, pos_hi;  /* where mid sits: 0 at good, 1 at bad */
	size_t pairs;
};

/* Where the middle revision sits between the ends, with an interval:
 * (mid - good) / (bad - good), from the interval of good - mid over the
 * ends' shift. A single change between the ends puts every revision at 0
 * or 1; the classification asks which half the interval is in, so a small
 * but bisect_significant difference from an end (a loaded host, a second small
 * change) does not make a revision undecided. */
/* -1 good-like, +1 bad-like, 0 undecided. One change between the ends puts
 * a revision at 0 or 1: it is good-like when its whole interval is below
 * one half and reaches down to the good end's neighbourhood (0.2), bad-like
 * when it is above one half and reaches up to 0.8. A revision whose interval
 * sits in between, clear of both ends (a change spread over several
 * merges), is undecided, never guessed. */

/* bisect_path.c */
void bisect_rev_label(const struct rev *r, char *buf, size_t len);
int bisect_path_from_git(const struct bisect_opts *o, git_repository *repo, struct path *p);
int bisect_path_from_file(const struct bisect_opts *o, int module, struct path *p);

/* bisect_state.c: bisect.json after every step; resuming reads it back. */
int bisect_state_save(const struct bisect_opts *o, const struct path *p, int steps,
                      const char *status, cJSON *answer);
int bisect_state_load(const struct bisect_opts *o, struct path *p, int *steps);

/* bisect_look.c */
int bisect_build_rev(const struct bisect_opts *o, const struct rev *r, char **runsc);
/* One look of a step (appending after the first), in this process. */
int bisect_run_look(const struct bisect_opts *o, const char *dir, int append, char *const bins[3]);
/* -1 good-like, +1 bad-like, 0 undecided. */
int bisect_end_like(const struct look_result *lr);
void bisect_position(struct look_result *lr);
int bisect_analyse(const struct bisect_opts *o, const char *dir, int phase, double tail,
                   struct look_result *lr);
int bisect_significant(enum verdict v);
const char *bisect_mid_vs(enum verdict v);

/* bisect_out.c */
void bisect_write_chart(const struct bisect_opts *o, const struct path *p);
void bisect_write_markdown(const struct bisect_opts *o, const struct path *p, const char *summary,
                           const char *status);
void bisect_merge_brings(git_repository *repo, const char *merge_hex, cJSON *list);
void bisect_ends_from_look(struct path *p, int step, const struct look_result *lr);

#endif
