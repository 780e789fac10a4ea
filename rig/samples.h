/* samples: the run directory's raw data, format "gvab-samples/1".
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

#include "boot.h"
#include <cjson/cJSON.h>

#define SAMPLES_FORMAT "gvab-samples/1"

enum sample_phase { PH_CREATE, PH_START, PH_WAIT, PH_DELETE, PH_CORE, PH_OVERALL, PH_COUNT };
extern const char *const sample_phase_names[PH_COUNT];

struct sample {
	int seq;
	int arm;        /* index into samples_file.arms */
	int round;
	int warmup;
	int ok;
	int exit_status;
	int kind;       /* 0: cold boot; 1: warm-pool exec ("kind":"exec") */
	int64_t t_ns;
	int64_t ns[PH_COUNT];
	int64_t exec_ns;
};

struct samples_file {
	char **arms;    /* arm names in order of first appearance */
	size_t narms;
	struct sample *s;
	size_t n;
};

struct samples_writer {
	int fd;
};

int samples_open(struct samples_writer *w, const char *path);
/* `extra` (may be NULL): more members for the line (instrument data). */
int samples_append(struct samples_writer *w, int seq, const char *arm, int round, int warmup,
                   const char *id, int64_t t_ns, const struct boot_result *r,
                   const cJSON *extra);
void samples_close(struct samples_writer *w);

/* Reads samples.jsonl; arms are named in the order of `order` (may be
 * NULL) then of first appearance. */
int samples_load(const char *path, char *const *order, size_t norder, struct samples_file *out);
void samples_free(struct samples_file *f);
int samples_arm_index(const struct samples_file *f, const char *name);

#endif
