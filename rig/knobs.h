/* knobs: host settings a run may change, with a journal that guarantees
 * they are put back.
 *
 * Knobs: rcu_expedited (/sys/kernel/rcu_expedited) and THP's enabled,
 * defrag and shmem_enabled (/sys/kernel/mm/transparent_hugepage/...).
 *
 * Invariant: before any knob is written, its original value is in the
 * journal file on disk (fsync'd, atomic rename). knobs_restore() writes the
 * originals back and removes the journal; it runs at the end of a run, on
 * error and on SIGINT/SIGTERM. If a run is killed (SIGKILL) the journal
 * stays; the next gvab run or `gvab restore` finds it (its pid is gone) and
 * restores first.
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
	struct knob_change changed[KNOBS_MAX];
	size_t nchanged;
};

/* Names gvab knows, NULL-terminated. */
extern const char *const knobs_names[];

/* Full path of a knob; NULL for an unknown name. Caller frees. */
char *knobs_path(const char *name);

/* Current value; for THP's "always [madvise] never" the bracketed word. */
int knobs_read(const char *name, char *val, size_t len);

/* Reads every known knob into a JSON object {name: value} (missing ones
 * are null). */
cJSON *knobs_snapshot(void);

void knobs_init(struct knobs *k);

/* Sets knob `name` to `value`, journaling the original first (only the
 * first change of a knob records its original). */
int knobs_set(struct knobs *k, const char *name, const char *value);

/* Puts back everything changed, in reverse order, and removes the journal.
 * Async-signal-unsafe; call from the main flow after a signal flag. */
int knobs_restore(struct knobs *k);

/* If a journal left by a dead process exists, restores it. Returns the
 * number of knobs restored (0 if none), or negative: GVAB_EPRECOND if the
 * journal's owner is still running. */
int knobs_recover_stale(void);

/* Parses "name=value" as given on the command line. */
int knobs_parse_setting(const char *s, char *name, size_t nlen, char *value, size_t vlen);

#endif
