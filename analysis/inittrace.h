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

/* Appends v to the array obj[key] (made when missing). */
void inittrace_push(cJSON *obj, const char *key, double v);
/* The tables, `unit` "boot" or "process", the `top` packages. */
void inittrace_print(FILE *out, const struct inittrace_acc *acc, size_t nacc, const char *unit, long top);

#endif
