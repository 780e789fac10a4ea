/* samples: the run directory's raw data, format "gvab-samples/1", and the
 * validating reader of its run.json.
 *
 * samples.jsonl holds one JSON object per line, one line per boot attempt,
 * appended and flushed (fdatasync) as soon as the attempt ends, so an
 * interrupted run keeps every attempt already made:
 *   {"seq":17, "arm":"stock", "round":3, "warmup":false, "ok":true,
 *    "id":"gvab-...", "t_ns":123456789,
 *    "create_ns":..., "start_ns":..., "wait_ns":..., "delete_ns":...,
 *    "core_ns":..., "overall_ns":..., "exit_status":0}
 * A failed attempt has "ok":false, "failed_phase", "error", "stderr" and no
 * phase times of the failed or later phases; it is never a sample.
 * Warm-pool lines have "kind":"exec" and one time, "exec_ns" (a timed
 * `runsc exec` of the workload inside an already running sandbox).
 * The reader validates every line and reports file:line on bad input.
 */
#ifndef GVAB_SAMPLES_H
#define GVAB_SAMPLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define SAMPLES_FORMAT "gvab-samples/1"
#define RUN_FORMAT "gvab-run/1" /* run.json's "format" */
#define SAMPLES_MAX_ARMS 64 /* a run's arms, in run.json and samples.jsonl */

/* The timed phases (PH_COUNT of them), then the metrics that are not a
 * phase: PH_CPU, the boot's CPU time (user + sys of all its processes, from
 * the line's "cpu"; -1 in ns[] when the line has none). Loops over phases
 * stop at PH_COUNT; analyses that take any metric (gate, compare, bisect,
 * trend: --metric) go to PH_METRICS. */
enum sample_phase { PH_CREATE, PH_START, PH_WAIT, PH_DELETE, PH_CORE, PH_OVERALL, PH_COUNT,
	            PH_CPU = PH_COUNT, PH_METRICS };
extern const char *const sample_phase_names[PH_METRICS];

/* A samples.jsonl line: a cold boot, or a warm-pool exec ("kind":"exec"). */
enum boot_kind { BOOT_COLD, BOOT_EXEC };

struct sample {
	int seq;
	int arm;        /* index into samples_file.arms */
	int round;
	int warmup;
	int ok;
	int exit_status;
	enum boot_kind kind;
	int64_t t_ns;
	int64_t ns[PH_METRICS];
	int64_t exec_ns;
	cJSON *instr;   /* instrumented runs: {"internal", "syscalls", "inittrace"}
	                 * as checked by the reader, or NULL; owned by the file */
};

struct samples_file {
	char **arms;    /* arm names in order of first appearance */
	size_t narms;
	struct sample *s;
	size_t n;
	int known_arms;   /* arms were given (run.json's): no line may add one */
	int torn_line;    /* line number of an ignored torn last line, or 0 */
	size_t valid_len; /* bytes up to that line (the file size when none) */
};

/* One boot attempt as the run loop measured it and samples.jsonl records
 * it (written by samples_append; boot.c fills it). */
struct boot_result {
	int ok;
	enum boot_kind kind;       /* BOOT_EXEC: a warm-pool exec (exec_ns) */
	int64_t exec_ns;
	int64_t create_ns, start_ns, wait_ns, delete_ns;
	int exit_status;           /* container's, -1 if unknown */
	char failed_phase[16];     /* "", "create", "start", "wait", "delete", "cleanup" */
	char error[1024];
	char stderr_path[512];     /* "" unless kept */
	char debug_log[512];       /* debug-log directory if any */
	/* gvab-workload's own timing of its hot loop (parse_workload). */
	int has_workload;
	int64_t workload_inner_ns;
	double workload_result;    /* files walked, or the spin checksum */
	/* Memory (memory_samples): medians over the samples, KiB and bytes;
	 * -1 where unknown. */
	/* CPU time of every process of the boot (runsc commands, sandbox,
	 * gofer, stubs), all reaped by gvab as subreaper: the change of
	 * getrusage(RUSAGE_CHILDREN) across the boot. Less noisy than wall
	 * time when the host is busy: it counts work, not waiting. */
	int64_t cpu_user_ns, cpu_sys_ns;
	/* Page faults of the same processes (ru_minflt, ru_majflt of the same
	 * RUSAGE_CHILDREN change): minor ones need no I/O, major ones do. */
	long long faults_minor, faults_major;
	int has_memory, memory_nsamples, memory_procs;
	long mem_rss_kib, mem_pss_kib, mem_sandbox_pss_kib, mem_gofer_pss_kib, mem_other_pss_kib;
	long long mem_cg_current_bytes, mem_cg_peak_bytes;
	/* Huge pages of the same process tree (smaps_rollup, medians): -1
	 * where the kernel does not show the field (then not written). */
	long mem_anon_huge_kib, mem_file_pmd_kib, mem_shmem_pmd_kib;
};

struct samples_writer {
	int fd;
};

/* Opens for appending (never through a symlink). A last line without its
 * newline is repaired first: cut off with a warning when torn, completed
 * when whole; an otherwise invalid file is refused (GVAB_EDATA). */
int samples_open(struct samples_writer *w, const char *path);
/* `extra` (may be NULL): more members for the line (instrument data). */
int samples_append(struct samples_writer *w, int seq, const char *arm, int round, int warmup,
                   const char *id, int64_t t_ns, const struct boot_result *r,
                   const cJSON *extra);
void samples_close(struct samples_writer *w);

/* A boot's instrument data for its line (samples_extra). */
#define SAMPLES_SYSCALL_COUNTS 2
/* "membarrier", "membarrier_register_private_expedited" */
extern const char *const samples_syscall_names[SAMPLES_SYSCALL_COUNTS];
struct sample_instruments {
	int syscalls;                                     /* counted (--syscalls) */
	long long syscall_count[SAMPLES_SYSCALL_COUNTS];
	const char *syscall_why[SAMPLES_SYSCALL_COUNTS];  /* non-NULL: not counted, why */
	cJSON *internal;                                  /* --phases markers: taken, or NULL */
	cJSON *inittrace;                                 /* --inittrace sums: taken, or NULL */
	cJSON *hw;                                        /* --counters hw: taken, or NULL */
};
/* The members of a good attempt's line beyond its times (NULL for a
 * failed one): "syscalls", "cpu", "faults", "hw", "workload", "memory",
 * "internal", "inittrace". Takes in->internal, in->inittrace and in->hw
 * (freed for a failed attempt). */
cJSON *samples_extra(const struct boot_result *br, struct sample_instruments *in);

/* Reads samples.jsonl, validating every line; arms are named in the order
 * of `order` (may be NULL: then of first appearance); with `order` given, a
 * line of an arm not in it is invalid. Any invalid line is
 * GVAB_EDATA with "FILE:LINE: field F: why": a NUL byte, a non-object, a
 * missing or mistyped field, a number that is not finite, not an integer
 * where one is due, or out of range (times up to 1e15 ns, rounds below the
 * line count), a bad instrument member, invalid UTF-8, a \u0000 escape,
 * a key given twice. The one exception is a last line
 * without a newline that breaks off mid-JSON (a torn write): it is ignored
 * with a warning on stderr and reported in torn_line/valid_len. */
int samples_load(const char *path, char *const *order, size_t norder, struct samples_file *out);
#define SAMPLES_QUIET_TORN 1 /* no warning for a torn last line */
int samples_load_ex(const char *path, char *const *order, size_t norder, int flags,
                    struct samples_file *out);
void samples_free(struct samples_file *f);

/* run.json ("gvab-run/1"), the run directory's other file: checks every
 * field a reader uses (arms with unique printable names; host and
 * host_after with online_cpus; command an array of strings; drift entries
 * with a fact; integers in range; strings where strings are due) and
 * returns 0 or GVAB_EDATA naming the file and the field. */
int samples_run_check(const cJSON *run, const char *path);
/* Reads and checks run.json (a NUL byte or bad JSON names the line);
 * NULL with the error recorded. Caller frees with cJSON_Delete. */
cJSON *samples_run_load(const char *path);
int samples_arm_index(const struct samples_file *f, const char *name);

#endif
