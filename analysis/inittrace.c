/* inittrace: see inittrace.h. */
#define _GNU_SOURCE
#include "inittrace.h"
#include "instr_report.h"
#include "samples.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends v to the array obj[key] (made when missing). */
static void inittrace_push(cJSON *obj, const char *key, double v)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!a)
		a = cJSON_AddArrayToObject(obj, key);
	cJSON_AddItemToArray(a, cJSON_CreateNumber(v));
}

static double med(const cJSON *arr, int nboots)
{
	double m = instr_json_median(arr, nboots);
	return isnan(m) ? 0 : m;
}

static const char *group_of(const char *pkg)
{
	if (strncmp(pkg, "gvisor.dev/", 11) == 0)
		return "gvisor.dev";
	const char *slash = strchr(pkg, '/');
	size_t first = slash ? (size_t)(slash - pkg) : strlen(pkg);
	return memchr(pkg, '.', first) ? "other modules" : "Go standard library";
}

struct kv {
	const char *k;
	double v;
};

static int cmp_kv(const void *a, const void *b)
{
	double x = ((const struct kv *)a)->v, y = ((const struct kv *)b)->v;
	return (x < y) - (x > y);
}

void inittrace_print(FILE *out, const struct inittrace_acc *acc, size_t nacc, const char *unit, long top)
{
	/* Per boot and per process. */
	fprintf(out, "init time per %s, median ms (GODEBUG=inittrace=1 clock ms)\n\n",
	       unit);
	fprintf(out, "%-28s", "");
	for (size_t i = 0; i < nacc; i++)
		fprintf(out, " %14s", acc[i].name);
	fprintf(out, "\n%-28s", "total");
	for (size_t i = 0; i < nacc; i++)
		fprintf(out, " %14.2f", med(acc[i].tot, 0));
	fprintf(out, "\n");
	const cJSON *e;
	cJSON_ArrayForEach(e, acc[0].proc) {
		fprintf(out, "  %-26s", e->string);
		for (size_t i = 0; i < nacc; i++)
			fprintf(out, " %14.2f", med(cJSON_GetObjectItemCaseSensitive(acc[i].proc, e->string),
			                      cJSON_GetArraySize(acc[i].tot)));
		fprintf(out, "\n");
	}
	/* Module groups. */
	static const char *const groups[] = {"gvisor.dev", "Go standard library", "other modules"};
	fprintf(out, "\nby module group (sums of per-package medians)\n");
	for (int g = 0; g < 3; g++) {
		fprintf(out, "  %-26s", groups[g]);
		for (size_t i = 0; i < nacc; i++) {
			double sum = 0;
			cJSON_ArrayForEach(e, acc[i].pk)
				if (strcmp(group_of(e->string), groups[g]) == 0)
					sum += med(e, cJSON_GetArraySize(acc[i].tot));
			fprintf(out, " %14.2f", sum);
		}
		fprintf(out, "\n");
	}
	/* Top packages by the largest median across binaries. */
	int n = 0;
	cJSON *all = cJSON_CreateObject();
	for (size_t i = 0; i < nacc; i++)
		cJSON_ArrayForEach(e, acc[i].pk) {
			double m = med(e, cJSON_GetArraySize(acc[i].tot));
			cJSON *cur = cJSON_GetObjectItemCaseSensitive(all, e->string);
			if (!cur)
				cJSON_AddNumberToObject(all, e->string, m);
			else if (m > cur->valuedouble)
				cJSON_SetNumberValue(cur, m);
		}
	n = cJSON_GetArraySize(all);
	struct kv *kv = util_xcalloc((size_t)n + 1, sizeof *kv);
	int j = 0;
	cJSON_ArrayForEach(e, all) {
		kv[j].k = e->string;
		kv[j].v = e->valuedouble;
		j++;
	}
	qsort(kv, (size_t)n, sizeof *kv, cmp_kv);
	fprintf(out, "\ntop %ld packages (median ms per %s)\n", top, unit);
	for (int t = 0; t < n && t < top; t++) {
		fprintf(out, "  %-60s", kv[t].k);
		for (size_t i = 0; i < nacc; i++)
			fprintf(out, " %9.3f", med(cJSON_GetObjectItemCaseSensitive(acc[i].pk, kv[t].k),
			                     cJSON_GetArraySize(acc[i].tot)));
		fprintf(out, "\n");
	}
	free(kv);
	cJSON_Delete(all);
}

void inittrace_acc_init(struct inittrace_acc *a, const char *name)
{
	snprintf(a->name, sizeof a->name, "%s", name);
	a->pk = cJSON_CreateObject();
	a->proc = cJSON_CreateObject();
	a->tot = cJSON_CreateArray();
}

void inittrace_acc_free(struct inittrace_acc *a)
{
	cJSON_Delete(a->pk);
	cJSON_Delete(a->proc);
	cJSON_Delete(a->tot);
	a->pk = a->proc = a->tot = NULL;
}

void inittrace_acc_add(struct inittrace_acc *a, const cJSON *it)
{
	double total = cJSON_GetObjectItemCaseSensitive(it, "total_ms")->valuedouble;
	cJSON_AddItemToArray(a->tot, cJSON_CreateNumber(total));
	const cJSON *e, *procs = cJSON_GetObjectItemCaseSensitive(it, "processes_ms");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "packages_ms"))
		inittrace_push(a->pk, e->string, e->valuedouble);
	if (!procs)
		inittrace_push(a->proc, "process", total);
	cJSON_ArrayForEach(e, procs)
		inittrace_push(a->proc, e->string, e->valuedouble);
}

int inittrace_acc_from_samples(const char *path, struct inittrace_acc *acc, size_t max, size_t *nacc)
{
	struct samples_file sf;
	int rc = samples_load(path, NULL, 0, &sf);
	if (rc < 0)
		return rc;
	for (size_t si = 0; si < sf.n; si++) {
		const struct sample *sm = &sf.s[si];
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(sm->instr, "inittrace");
		if (!it || sm->warmup)
			continue;
		const char *arm = sf.arms[sm->arm];
		struct inittrace_acc *a = NULL;
		for (size_t i = 0; i < *nacc && !a; i++)
			if (strcmp(acc[i].name, arm) == 0)
				a = &acc[i];
		if (!a && *nacc < max)
			inittrace_acc_init(a = &acc[(*nacc)++], arm);
		if (a)
			inittrace_acc_add(a, it); /* the reader checked its shape */
	}
	samples_free(&sf);
	return 0;
}
