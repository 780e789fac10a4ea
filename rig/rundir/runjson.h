/* runjson: the writer side of run.json ("gvab-run/1"; the validating
 * reader is samples_run_load in samples.h). A run.json describes the run
 * (arms, bundle, settings, host facts) and holds one "chunks" entry per
 * invocation that wrote samples to the directory (`gvab run`, then each
 * `--append`); its top level carries the latest status and end time,
 * totals over the chunks, and the drift of every chunk. */
#ifndef GVAB_RUNJSON_H
#define GVAB_RUNJSON_H

#include <cjson/cJSON.h>

/* --append adds to a run only what it could have measured itself: the
 * same arms (names, binaries by sha256, flags, knobs), bundle and
 * settings. Returns the first thing that differs, or NULL. */
const char *runjson_append_mismatch(const cJSON *old, const cJSON *fresh);

/* Adds `chunk` (taken) to `run`: to a fresh run's new "chunks", or (earlier
 * != 0) as one more chunk of an earlier run.json, whose status becomes "running" again.
 * A run.json from before chunks existed first gets its first chunk from
 * its own top-level fields. */
void runjson_add_chunk(cJSON *run, cJSON *chunk, int earlier);

/* Closes this invocation's part: the chunk's status, end, counts, error
 * (NULL: none), host facts after and drift; the top level's latest status
 * and end, totals, error, host_after and every chunk's drift. `after` and
 * `drift` are taken. */
void runjson_close(cJSON *run, cJSON *chunk, const char *status, const char *ended_at, int attempts,
                   int measured_ok, int failures, const char *error, cJSON *after, cJSON *drift);

#endif
