/* runjson: the writer side of run.json ("gvab-run/1"; the validating
 * reader is samples_run_load in samples.h). A run.json describes the run
 * (arms, bundle, settings, host facts) and holds one "chunks" entry per
 * invocation that wrote samples to the directory (`gvab run`, then each
 * `--append`); its top level carries the latest status and end time,
 * totals over the chunks, and the drift of every chunk. */
#ifndef GVAB_RUNJSON_H
#define GVAB_RUNJSON_H

#include "runspec.h"

#include <stdint.h>

#include <cjson/cJSON.h>

/* What a run found out before its first boot, for its description. */
struct runjson_start {
	const char *started_at;       /* UTC, as util_utc_now writes it */
	const char *bundle_real;      /* the bundle's real path */
	cJSON *bundle_meta;           /* bundle.json's content: taken */
	uint64_t seed;                /* the seed the schedule used */
	const char *placement_desc;   /* what --cpu-placement did */
	char *const *workload_words;  /* /bin/gvab-workload MODE ARG..., NULL-terminated; or NULL */
	const cJSON *host;            /* host facts at start (copied) */
	int first_seq;                /* the seq of this invocation's first boot */
	/* --counters hw: {"counted": [NAME...], "unavailable": {NAME: why}}
	 * (copied), or NULL. */
	const cJSON *hw_status;
};

/* run.json's description of a run, field by field from the spec: format,
 * gvab's version, the command (s->argv, else run_spec_command), status
 * "running", label and host metadata, bundle, order, seed, warm-ups,
 * iterations, instruments, warm pool, exit status, cold, timeouts, settle
 * and placement (only when set), workload, knob settings, each arm (name,
 * real path, sha256, `--version`, flags, knobs, stage, and the
 * provenance.json beside a gvab-built binary) and the host facts. */
cJSON *runjson_describe(const struct run_spec *s, struct runjson_start *st);
/* This invocation's chunk: its command (copied from `run`), start, seed,
 * warm-ups, iterations, warm pool, first seq, status, host facts. */
cJSON *runjson_chunk_new(const struct run_spec *s, const struct runjson_start *st, const cJSON *run);

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
