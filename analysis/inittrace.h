/* inittrace: the package-init audit's tables (`gvab inittrace`): per
 * binary, GODEBUG=inittrace=1 records accumulated per boot (or per
 * process), then medians per boot, per runsc process, per module group
 * (gvisor.dev, the Go standard library, other modules) and the top
 * packages, binary A beside binary B. */
#ifndef GVAB_INITTRACE_H
#define GVAB_INITTRACE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

struct inittrace_acc {
	char name[64];
	cJSON *pk;     /* package -> [ms per boot] */
	cJSON *proc;   /* process -> [ms per boot] */
	cJSON *tot;    /* [ms per boot] */
};

/* An empty column named `name` (at most 63 bytes kept). */
void inittrace_acc_init(struct inittrace_acc *a, const char *name);
void inittrace_acc_free(struct inittrace_acc *a);
/* One boot's (or one process's) record, {"total_ms", "packages_ms",
 * "processes_ms"} as instrument.c makes it and samples.c checks it; a
 * record without processes_ms counts as one process, "process". */
void inittrace_acc_add(struct inittrace_acc *a, const cJSON *it);
/* Every measured boot's record of the run's samples.jsonl at `path`, into
 * the column of its arm: acc[0..*nacc) first (in their order), a new
 * column for an arm not among them while *nacc < max. 0 or GVAB_EDATA. */
int inittrace_acc_from_samples(const char *path, struct inittrace_acc *acc, size_t max, size_t *nacc);

/* The tables, `unit` "boot" or "process", the `top` packages. */
void inittrace_print(FILE *out, const struct inittrace_acc *acc, size_t nacc, const char *unit, long top);

#endif
