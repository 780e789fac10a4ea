/* runloop: the measuring instrument as a module. A run is interleaved
 * cold boots of one bundle under two or more runsc arms (rounds in a
 * schedule order, warm-ups first), then an optional warm pool, written to
 * a run directory (run.json + samples.jsonl, rig/rundir). Callers fill a
 * `struct run_spec` (rig/rundir/runspec.h) and call runloop_run: `gvab
 * run` (its command line parsed in rig/cmd/runopts.c), the gate's
 * --adaptive extension (the spec run.json records), bisect, trend and
 * inittrace, each in its own process.
 *
 * Invariants: every host knob changed is journaled first and put back on
 * every exit path (success, error, SIGINT/SIGTERM/SIGHUP, a closed output
 * pipe); each boot runs with its arm's knobs and every other knob at the
 * run's value; each attempt is on disk before the next boot starts, and a
 * line that could not be written whole is cut off again; a failed attempt
 * is recorded and never counted. One run at a time writes a run directory
 * (flock on it), and --append adds a chunk only to a run with the same
 * arms, binaries and settings, keeping the earlier chunks' description.
 */
#ifndef GVAB_RUNLOOP_H
#define GVAB_RUNLOOP_H

#include "runspec.h"

/* What came of a run. */
struct run_outcome {
	char *out_dir;             /* the run directory (caller frees) */
	int attempts, ok_count, failures;
	int stopped_by_failures;
	int saved;                 /* run.json was written at the end */
};

/* Fewest ok measured boots each arm needs for a run to end complete:
 * half of --iterations, rounded up (README "Exit codes"). */
#define RUN_MIN_OK_BOOTS(iterations) (((long)(iterations) + 1) / 2)

/* Runs the spec. 0 when every planned boot ran; GVAB_EINTR when a signal
 * stopped it (samples kept, knobs restored); another error code with the
 * error recorded (GVAB_EUSAGE for a spec the run refuses). Progress and
 * warnings go to stderr; the closing answer is the caller's to print. `o`
 * is filled in every case. */
int runloop_run(const struct run_spec *s, struct run_outcome *o);

#endif
