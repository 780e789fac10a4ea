/* runloop: the measuring instrument as a module. A run is interleaved
 * cold boots of one bundle under two or more runsc arms (rounds in a
 * schedule order, warm-ups first), then an optional warm pool, written to
 * a run directory (run.json + samples.jsonl, rig/rundir). `gvab run` is
 * run_spec_parse + runloop_run; the gate's --adaptive extension, bisect,
 * trend and inittrace call the same two functions in their own process.
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

#include "knobs.h"
#include "opt.h"
#include "schedule.h"

#include <stdint.h>
#include <stdio.h>

#define RUN_MAX_ARMS 16
#define RUN_MAX_ITEMS 32
#define RUN_MAX_SET 8
#define RUN_MAX_META 16
#define RUN_MAX_ENV 8

struct run_arm {
	char *name;
	char *runsc;
	char *flags[RUN_MAX_ITEMS];
	size_t nflags;
	char knob_name[4][32];
	char knob_value[4][64];
	size_t nknobs;
	int stage;      /* -1: the run's --cold setting; 0: warm; 1: cold (item stage:cold|warm) */
	/* Environment for this arm's runsc processes ("K=V", item env:K=V),
	 * over gvab's own: e.g. the calibration delay of patches/calibrate-delay. */
	char *env[RUN_MAX_ENV];
	size_t nenv;
};

/* Everything a run is told; `gvab run`'s options one to one. */
struct run_spec {
	struct run_arm arms[RUN_MAX_ARMS];
	size_t narms;
	const char *out_dir;       /* NULL: results/run-<time> */
	const char *bundle;
	long iterations, warmups, timeout_ms, cleanup_ms, max_fail, expect_exit;
	long warm_k;               /* --warm-pool K (0: none) */
	long memory_k;             /* --memory[=K] (0: none) */
	enum schedule_order order;
	uint64_t seed;
	int have_seed;
	char set_name[RUN_MAX_SET][32], set_value[RUN_MAX_SET][64];
	size_t nset;
	int drop, phases, inittrace, syscalls, append, quiet, cold;
	long settle_ms;            /* --settle-ms (0: none) */
	int placement;             /* --cpu-placement: PROC_CPUS_* (proc.h) */
	const char *workload;
	const char *label;
	const char *meta[RUN_MAX_META];
	int nmeta;
	/* The command as run.json records it: "gvab" then these words. */
	int argc;
	char **argv;
};

/* What came of a run. */
struct run_outcome {
	char *out_dir;             /* the run directory (caller frees) */
	int attempts, ok_count, failures;
	int stopped_by_failures;
	int saved;                 /* run.json was written at the end */
};

/* `gvab run`'s option table and help. */
extern const struct opt_cmd run_cmd;

/* Parses `gvab run` options (argv[0] is "run"). 0; RUN_SPEC_HELP after
 * printing the help (exit 0); RUN_SPEC_REPORTED after printing a usage
 * error (exit 64); or an error code with the error recorded (GVAB_EUSAGE
 * for a bad value). The spec points into argv; free it with run_spec_free
 * in every case. */
#define RUN_SPEC_HELP 1
#define RUN_SPEC_REPORTED 2
int run_spec_parse(int argc, char **argv, struct run_spec *s);
void run_spec_free(struct run_spec *s);

/* Runs the spec. 0 when every planned boot ran; GVAB_EINTR when a signal
 * stopped it (samples kept, knobs restored); another error code with the
 * error recorded. `o` is filled in every case. */
int runloop_run(const struct run_spec *s, struct run_outcome *o);

/* `gvab run ARGS...` in this process (argv[0] is "run", NULL-terminated):
 * what the gate's --adaptive extension, bisect, trend and inittrace do.
 * Progress and warnings go to stderr as gvab run's; the closing answer is
 * the caller's to print. Arguments the parser refuses are GVAB_EUSAGE. */
int runloop_command(char **argv, struct run_outcome *o);

#endif
