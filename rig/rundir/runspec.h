/* runspec: the typed description of a run, `struct run_spec`: what a run
 * is told (arms, bundle, rounds, order, knobs, instruments, ...). Callers
 * inside the process fill one and hand it to the run loop (rig/run/runloop.h);
 * `gvab run`'s command line becomes one in the command layer only
 * (rig/cmd/runopts.c). run.json records it (runjson_describe, runjson.h),
 * and run_spec_from_run_json reads it back, so a recorded run can be
 * repeated exactly (gate --adaptive).
 *
 * Ownership: a spec owns its arms' strings and every string it was given
 * through run_spec_own; other strings (out_dir, bundle, label, workload,
 * meta) are borrowed and must outlive it. run_spec_free frees what it owns.
 */
#ifndef GVAB_RUNSPEC_H
#define GVAB_RUNSPEC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define RUN_MAX_ARMS 16
#define RUN_MAX_ITEMS 32
#define RUN_MAX_SET 8
#define RUN_MAX_META 16
#define RUN_MAX_ARM_KNOBS 4
#define RUN_MAX_OWNED 64
#define RUN_MAX_ENV 8

/* The order of a round's boots (rig/run/schedule.h builds it). */
enum schedule_order { ORDER_ALTERNATE, ORDER_ABBA, ORDER_RANDOM, ORDER_LATIN };

/* An arm's boots: as the run's --cold says, or always warm or cold. */
enum arm_stage { ARM_STAGE_RUN, ARM_STAGE_WARM, ARM_STAGE_COLD };

struct run_arm {
	char *name;
	char *runsc;
	char *flags[RUN_MAX_ITEMS];
	size_t nflags;
	char knob_name[RUN_MAX_ARM_KNOBS][32];
	char knob_value[RUN_MAX_ARM_KNOBS][64];
	size_t nknobs;
	enum arm_stage stage;
	/* Environment for this arm's runsc processes ("K=V", item env:K=V),
	 * over gvab's own: e.g. the calibration delay of patches/calibrate-delay. */
	char *env[RUN_MAX_ENV];
	size_t nenv;
};

struct run_spec {
	struct run_arm arms[RUN_MAX_ARMS];
	size_t narms;
	const char *out_dir;       /* NULL: results/run-<time> */
	const char *bundle;
	long iterations, warmups, timeout_ms, cleanup_ms, max_fail, expect_exit;
	long warm_k;               /* warm pool: execs per arm (0: none) */
	long memory_k;             /* memory samples per boot (0: none) */
	enum schedule_order order;
	uint64_t seed;
	int have_seed;             /* 0: a seed from the clock (recorded) */
	char set_name[RUN_MAX_SET][32], set_value[RUN_MAX_SET][64];
	size_t nset;
	int drop, phases, inittrace, syscalls, append, quiet, cold;
	/* --counters hw: hardware counters of each boot's own processes
	 * (cycles, instructions, dTLB and iTLB misses, named page walks), or
	 * in run.json why the host has none. */
	int hw_counters;
	long settle_ms;            /* pause before every boot (0: none) */
	int placement;             /* PROC_CPUS_* (proc.h) */
	const char *workload;      /* MODE[:ARG...], or NULL */
	const char *label;
	/* > 0: the time budget (seconds) a caller planned this run's rounds
	 * within (gvab trend --budget: a first chunk timed, the rest appended
	 * as its measured round rate allows). run.json records it as
	 * "budget_s" (only when set) so the run is known for what it is; the
	 * run loop keeps no clock against it and `gvab run` has no such option. */
	double budget_s;
	const char *meta[RUN_MAX_META]; /* "KEY=VALUE" */
	int nmeta;
	/* The command run.json records ("gvab" then these words), when the run
	 * came from a command line; NULL: the equivalent `gvab run` command
	 * (run_spec_command). */
	int argc;
	char **argv;
	char *owned[RUN_MAX_OWNED];
	int nowned;
};

/* `gvab run`'s defaults: 50 iterations, 5 warm-ups, abba, build/bundle,
 * 30 s per phase, 10 s forced cleanup, 3 consecutive failures. */
void run_spec_init(struct run_spec *s);
void run_spec_free(struct run_spec *s);

/* Adds arm NAME running RUNSC (copied) with runsc's default flags
 * (run_arm_default_flags). 0, or GVAB_EUSAGE (too many arms, a bad name). */
int run_spec_add_arm(struct run_spec *s, const char *name, const char *runsc);
/* A name is letters, digits, '-', '_' and '.'; 0 or GVAB_EUSAGE. */
int run_arm_check_name(const char *spec_text, const char *name);
/* Only runsc takes these; a baseline arm (runc, crun: a binary not named
 * *runsc*) gets none: --platform=systrap and --network=none unless the arm
 * has a --platform or --network flag already. */
void run_arm_default_flags(struct run_arm *a);

/* "alternate" / "abba" / "latin" / "random"; 0 or GVAB_EUSAGE. */
int schedule_parse_order(const char *s, enum schedule_order *out);
const char *schedule_order_name(enum schedule_order o);
/* "shared" / "one" / "split" (or run.json's "split: gvab on CPU 1, ..."). */
int run_placement_parse(const char *s, int *placement);

/* The spec as a `gvab run` command line: ["gvab", "run", options...]
 * (what run.json records for a run that came from no command line). */
cJSON *run_spec_command(const struct run_spec *s);

/* The spec run.json `run` (read and checked by samples_run_load from
 * `path`) records: arms with their flags, knobs and stage, bundle, order,
 * seed, warm-ups, iterations, knob settings, instruments, warm pool,
 * workload and memory samples, cold, settle and placement, timeouts,
 * label and host metadata. What belongs to one invocation (out_dir,
 * append, quiet) is left at its default. Strings point into `run`, which
 * must outlive the spec. 0, or GVAB_EDATA naming the file and field. */
int run_spec_from_run_json(const cJSON *run, const char *path, struct run_spec *s);

#endif
