/* runjson: see runjson.h. */
#include "runjson.h"

#include <stdio.h>

const char *runjson_append_mismatch(const cJSON *old, const cJSON *fresh)
{
	static const char *const same[] = {"bundle", "settings", "order", "expect_exit", "drop_caches",
	                                   "phases", "inittrace", "syscalls", NULL};
	static char what[128];
	for (size_t i = 0; same[i]; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, same[i]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(fresh, same[i]);
		if (!a || !cJSON_Compare(a, b, 1)) {
			snprintf(what, sizeof what, "'%s'", same[i]);
			return what;
		}
	}
	/* Written only when set, so absent in both is the same. */
	static const char *const same_if_set[] = {"settle_ms", "cpu_placement", NULL};
	for (size_t i = 0; same_if_set[i]; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, same_if_set[i]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(fresh, same_if_set[i]);
		if ((a || b) && !(a && b && cJSON_Compare(a, b, 1))) {
			snprintf(what, sizeof what, "'%s'", same_if_set[i]);
			return what;
		}
	}
	const cJSON *oa = cJSON_GetObjectItemCaseSensitive(old, "arms");
	const cJSON *fa = cJSON_GetObjectItemCaseSensitive(fresh, "arms");
	if (!cJSON_IsArray(oa) || cJSON_GetArraySize(oa) != cJSON_GetArraySize(fa))
		return "the number of arms";
	static const char *const arm_same[] = {"name", "sha256", "flags", "knobs", NULL};
	for (int i = 0; i < cJSON_GetArraySize(fa); i++) {
		const cJSON *x = cJSON_GetArrayItem(oa, i), *y = cJSON_GetArrayItem(fa, i);
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(y, "name");
		for (size_t k = 0; arm_same[k]; k++) {
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(x, arm_same[k]);
			const cJSON *b = cJSON_GetObjectItemCaseSensitive(y, arm_same[k]);
			if (!a || !cJSON_Compare(a, b, 1)) {
				snprintf(what, sizeof what, "arm %d (%s): '%s'", i + 1,
				         cJSON_IsString(name) ? name->valuestring : "?", arm_same[k]);
				return what;
			}
		}
		/* env (item env:K=V) only when set, so runs without it append as before. */
		const cJSON *ea = cJSON_GetObjectItemCaseSensitive(x, "env");
		const cJSON *eb = cJSON_GetObjectItemCaseSensitive(y, "env");
		if ((ea || eb) && !(ea && eb && cJSON_Compare(ea, eb, 1))) {
			snprintf(what, sizeof what, "arm %d (%s): 'env'", i + 1,
			         cJSON_IsString(name) ? name->valuestring : "?");
			return what;
		}
	}
	return NULL;
}

/* run.json's "chunks", made from the top-level fields of a run.json from
 * before chunks existed. */
static cJSON *chunks_of(cJSON *run)
{
	cJSON *chunks = cJSON_GetObjectItemCaseSensitive(run, "chunks");
	if (cJSON_IsArray(chunks))
		return chunks;
	cJSON_DeleteItemFromObjectCaseSensitive(run, "chunks");
	chunks = cJSON_AddArrayToObject(run, "chunks");
	cJSON *first = cJSON_CreateObject();
	static const char *const keep[] = {"command", "started_at", "ended_at", "seed", "warmups",
	                                   "iterations", "warm_pool_execs", "status", "attempts",
	                                   "measured_ok", "failures", "error", NULL};
	for (size_t i = 0; keep[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, keep[i]);
		if (v)
			cJSON_AddItemToObject(first, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON_AddItemToArray(chunks, first);
	return chunks;
}

/* Replaces (or adds) o[key]. */
static void put(cJSON *o, const char *key, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, v);
}

/* Adds n to the number run[key] (missing: 0). */
static void add_count(cJSON *run, const char *key, int n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, key);
	double total = (cJSON_IsNumber(v) ? v->valuedouble : 0) + n;
	put(run, key, cJSON_CreateNumber(total));
}

void runjson_add_chunk(cJSON *run, cJSON *chunk, int earlier)
{
	if (earlier) {
		cJSON *chunks = chunks_of(run);
		cJSON_ReplaceItemInObject(run, "status", cJSON_CreateString("running"));
		cJSON_AddItemToArray(chunks, chunk);
	} else {
		cJSON_AddItemToArray(cJSON_AddArrayToObject(run, "chunks"), chunk);
	}
}

void runjson_close(cJSON *run, cJSON *chunk, const char *status, const char *ended_at, int attempts,
                   int measured_ok, int failures, const char *error, cJSON *after, cJSON *drift)
{
	if (chunk) {
		put(chunk, "status", cJSON_CreateString(status));
		cJSON_AddStringToObject(chunk, "ended_at", ended_at);
		cJSON_AddNumberToObject(chunk, "attempts", attempts);
		cJSON_AddNumberToObject(chunk, "measured_ok", measured_ok);
		cJSON_AddNumberToObject(chunk, "failures", failures);
		if (error)
			cJSON_AddStringToObject(chunk, "error", error);
		cJSON_AddItemToObject(chunk, "host_after", cJSON_Duplicate(after, 1));
		cJSON_AddItemToObject(chunk, "drift", cJSON_Duplicate(drift, 1));
	}
	put(run, "status", cJSON_CreateString(status));
	put(run, "ended_at", cJSON_CreateString(ended_at));
	add_count(run, "attempts", attempts);
	add_count(run, "measured_ok", measured_ok);
	add_count(run, "failures", failures);
	if (error)
		put(run, "error", cJSON_CreateString(error));
	else
		cJSON_DeleteItemFromObjectCaseSensitive(run, "error");
	put(run, "host_after", after);
	cJSON *all = cJSON_GetObjectItemCaseSensitive(run, "drift");
	if (cJSON_IsArray(all) && chunk && cJSON_GetArraySize(chunks_of(run)) > 1) {
		cJSON *d;
		while ((d = cJSON_DetachItemFromArray(drift, 0)))
			cJSON_AddItemToArray(all, d);
		cJSON_Delete(drift);
	} else {
		put(run, "drift", drift);
	}
}
