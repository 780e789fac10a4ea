/* runloop_int: what the run loop's files share (runloop.h is the
 * module's contract): one run's state and its steps. runloop.c runs the
 * steps and finishes on every path; runprep.c prepares; runrounds.c boots. */
#ifndef GVAB_RUNLOOP_INT_H
#define GVAB_RUNLOOP_INT_H

#include "boot.h"
#include "knobs.h"
#include "perfcount.h"
#include "runloop.h"
#include "samples.h"
#include "schedule.h"

#include <limits.h>
#include <signal.h>
#include <stdint.h>

/* Set by SIGINT, SIGTERM and SIGHUP while a run is on: abandon the boot,
 * clean up, keep the samples, put the knobs back. */
extern volatile sig_atomic_t runloop_stop;

/* Bytes kept free in the run directory (a preallocated file) for the
 * closing run.json: a run.json with two arms and host facts is about 6 KB,
 * so a full disk can still record how and why the run ended. */
#define RUN_RESERVE_BYTES (64 * 1024)

/* One run's state, shared by its four steps. */
struct run_ctx {
	const struct run_spec *s;
	struct run_outcome *o;
	char placement_desc[320];  /* what --cpu-placement did */
	const char *out_dir;
	char *gen_out;
	char bundle_real[PATH_MAX];
	cJSON *bmeta;
	/* --workload/--memory: /bin/gvab-workload MODE ARG... and its bundle */
	char *wl_words[16];
	char *wl_buf, *wl_dir;
	uint64_t seed;
	char *samples_path, *run_path, *reserve_path, *log_dir, *dbg_dir;
	struct boot_state bstate;
	int out_fd;
	cJSON *run, *chunk, *before, *old_run;
	/* Knobs some arm sets for its own boots, and the value each has for
	 * the other arms' boots: --set's, else the value before the run. */
	char arm_knob[KNOBS_MAX][32], arm_knob_base[KNOBS_MAX][128];
	size_t narm_knobs;
	char **envp;
	/* Per arm with env items: the run's environment (envp, else gvab's)
	 * with the arm's variables over it; NULL for arms without. */
	char **arm_envp[RUN_MAX_ARMS];
	struct schedule_slot *slots;
	size_t nslots;
	struct knobs knobs;
	int have_knobs;
	struct samples_writer sw;
	struct perfcount_set counters; /* --syscalls, --counters: this boot's processes only */
	cJSON *hw_status;              /* --counters hw: what the host counts, for run.json */
	int seq0, round0, quiet, cold_drop_ok;
	struct sigaction old_sa[3];
	int handlers;
};

/* runprep.c: each 0 or an error code with the error recorded. */
/* The binaries, the bundle, the output directory's name. */
int run_preconditions(struct run_ctx *c);
/* Knobs first: who owns them is decided before anything is read. */
int run_prepare_knobs(struct run_ctx *c);
/* --syscalls and --counters: the per-boot counters; --syscalls is refused
 * with the reason when the host has no tracepoint, --counters hw records
 * in *hw_status (caller frees) what it counts and why not the rest. */
int run_open_counters(const struct run_spec *s, struct perfcount_set *pc, cJSON **hw_status);
/* The run directory: created, locked, its earlier samples counted. */
int run_prepare_dir(struct run_ctx *c);
/* run.json's first version (runjson_describe), saved before any boot. */
int run_begin_json(struct run_ctx *c);
/* Drops the page cache (root only). */
int run_drop_caches(void);
/* A --cold boot's bundle: a fresh rootfs copy in `stage`. */
int run_stage_cold(const char *bundle_dir, char *const *args, const char *stage);

/* runrounds.c. */
/* The environment of arm a's runsc processes over `base`; NULL when the
 * arm sets none. Free with instrument_env_free. */
char **run_arm_env_build(char **base, const struct run_arm *a);
/* The cold rounds: every slot of the schedule, with progress. */
int run_cold_rounds(struct run_ctx *c);
/* The warm pool, after the cold rounds. */
int run_warm_pool(struct run_ctx *c);

#endif
