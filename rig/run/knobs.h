/* knobs: host settings a run may change, with a journal that guarantees
 * they are put back.
 *
 * Knobs: rcu_expedited (/sys/kernel/rcu_expedited) and THP's enabled,
 * defrag and shmem_enabled (/sys/kernel/mm/transparent_hugepage/...).
 *
 * Ownership: one process at a time owns the host's knobs, by holding an
 * flock on <journal>.lock (knobs_acquire). It is taken before any knob or
 * the journal is read or written, so two runs started together cannot both
 * pass a check and then both change knobs; and it dies with its holder, so
 * a dead run's reused pid never blocks the next one. The lock file is never
 * removed (removing it would let two processes hold "the" lock at once).
 *
 * Invariant: before any knob is written, its original value is in the
 * journal file on disk (fsync'd, atomic rename). knobs_restore() writes the
 * originals back and removes the journal; it runs at the end of a run, on
 * error and on SIGINT/SIGTERM/SIGPIPE. If a run is killed (SIGKILL) the
 * journal stays; the next owner (gvab run or `gvab restore`) restores it
 * first.
 *
 * Paths are relative to $GVAB_SYSFS_ROOT (default "/sys") and the journal
 * lives at $GVAB_JOURNAL (default /run/gvab/knobs-journal.json), so tests
 * can use a fake tree.
 */
#ifndef GVAB_KNOBS_H
#define GVAB_KNOBS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define KNOBS_MAX 8

struct knob_change {
	char name[32];       /* e.g. "thp_enabled" */
	char path[512];
	char original[128];
};

struct knobs {
	char journal[512];
	int lock_fd;         /* <journal>.lock, held; -1 when not the owner */
	struct knob_change changed[KNOBS_MAX];
	size_t nchanged;
};

/* Names gvab knows, NULL-terminated. */
extern const char *const knobs_names[];

/* Current value; for THP's "always [madvise] never" the bracketed word. */
int knobs_read(const char *name, char *val, size_t len);

/* Reads every known knob into a JSON object {name: value} (missing ones
 * are null). */
cJSON *knobs_snapshot(void);

void knobs_init(struct knobs *k);

/* Takes ownership of the host knobs (non-blocking), then restores a journal
 * a dead owner left. Returns how many knobs were restored (0 or more), or
 * GVAB_EPRECOND naming the owner's pid when another process owns them. */
int knobs_acquire(struct knobs *k);
/* Drops ownership (call after knobs_restore). */
void knobs_release(struct knobs *k);

/* Sets knob `name` to `value`, journaling the original first (only the
 * first change of a knob records its original). Needs ownership. */
int knobs_set(struct knobs *k, const char *name, const char *value);

/* Puts back everything changed, in reverse order, and removes the journal.
 * Async-signal-unsafe; call from the main flow after a signal flag. */
int knobs_restore(struct knobs *k);

/* knobs_acquire + knobs_release: restores a journal left by a dead owner.
 * Returns the number of knobs restored (0 if none), or negative:
 * GVAB_EPRECOND if another process owns the knobs. */
int knobs_recover_stale(void);

/* Parses "name=value" as given on the command line. */
int knobs_parse_setting(const char *s, char *name, size_t nlen, char *value, size_t vlen);

#endif
