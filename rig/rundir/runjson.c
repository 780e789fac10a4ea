/* runjson: see runjson.h. The one writer of run.json: the run's
 * description from its spec, chunks, and the closing. */
#define _GNU_SOURCE
#include "runjson.h"
#include "proc.h"
#include "samples.h"
#include "util.h"
#include "version.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
	static const char *const same_if_set[] = {"settle_ms", "cpu_placement", "hw_counters", NULL};
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

/* --- the run's description (run.json's writer) ---------------------------- */

static cJSON *arm_json(const struct run_arm *a)
{
	cJSON *o = cJSON_CreateObject();
	char real[PATH_MAX], hex[65];
	cJSON_AddStringToObject(o, "name", a->name);
	int have_real = realpath(a->runsc, real) != NULL;
	cJSON_AddStringToObject(o, "runsc", have_real ? real : a->runsc);
	if (util_sha256_file(a->runsc, hex) == 0)
		cJSON_AddStringToObject(o, "sha256", hex);
	char *out = NULL;
	int st;
	char *argv[] = {a->runsc, "--version", NULL};
	if (proc_run_capture(argv, NULL, NULL, &out, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		out[strcspn(out, "\n")] = '\0';
		cJSON_AddStringToObject(o, "version", out);
	}
	free(out);
	cJSON *fl = cJSON_AddArrayToObject(o, "flags");
	for (size_t i = 0; i < a->nflags; i++)
		cJSON_AddItemToArray(fl, cJSON_CreateString(a->flags[i]));
	cJSON *kn = cJSON_AddObjectToObject(o, "knobs");
	for (size_t i = 0; i < a->nknobs; i++)
		cJSON_AddStringToObject(kn, a->knob_name[i], a->knob_value[i]);
	if (a->stage != ARM_STAGE_RUN)
		cJSON_AddStringToObject(o, "stage", a->stage == ARM_STAGE_COLD ? "cold" : "warm");
	if (a->nenv) {
		cJSON *env = cJSON_AddObjectToObject(o, "env");
		for (size_t i = 0; i < a->nenv; i++) {
			size_t klen = strcspn(a->env[i], "=");
			char *k = util_fmt("%.*s", (int)klen, a->env[i]);
			cJSON_AddStringToObject(env, k, a->env[i] + klen + 1);
			free(k);
		}
	}
	/* Provenance written by gvab build, when the binary came from it. */
	char *slash = have_real ? strrchr(real, '/') : NULL;
	if (slash) {
		char *pp = util_fmt("%.*s/provenance.json", (int)(slash - real), real);
		if (util_path_exists(pp)) {
			cJSON *prov = util_json_load(pp);
			if (prov)
				cJSON_AddItemToObject(o, "provenance", prov);
		}
		free(pp);
	}
	return o;
}

cJSON *runjson_describe(const struct run_spec *s, struct runjson_start *st)
{
	cJSON *run = cJSON_CreateObject();
	cJSON_AddStringToObject(run, "format", RUN_FORMAT);
	cJSON *g = cJSON_AddObjectToObject(run, "gvab");
	cJSON_AddStringToObject(g, "version", GVAB_VERSION);
	cJSON_AddStringToObject(g, "commit", GVAB_COMMIT);
	cJSON *cmd;
	if (s->argv) {
		cmd = cJSON_AddArrayToObject(run, "command");
		cJSON_AddItemToArray(cmd, cJSON_CreateString("gvab"));
		for (int i = 0; i < s->argc; i++)
			cJSON_AddItemToArray(cmd, cJSON_CreateString(s->argv[i]));
	} else {
		cJSON_AddItemToObject(run, "command", run_spec_command(s));
	}
	cJSON_AddStringToObject(run, "status", "running");
	if (s->label)
		cJSON_AddStringToObject(run, "host_label", s->label);
	cJSON *hm = cJSON_AddObjectToObject(run, "host_meta");
	for (int i = 0; i < s->nmeta; i++) {
		const char *eq = strchr(s->meta[i], '=');
		char *k = util_fmt("%.*s", (int)(eq - s->meta[i]), s->meta[i]);
		cJSON_AddStringToObject(hm, k, eq + 1);
		free(k);
	}
	cJSON_AddStringToObject(run, "started_at", st->started_at);
	cJSON_AddStringToObject(run, "bundle_path", st->bundle_real);
	cJSON_AddItemToObject(run, "bundle", st->bundle_meta ? st->bundle_meta : cJSON_CreateObject());
	st->bundle_meta = NULL;
	cJSON_AddStringToObject(run, "order", schedule_order_name(s->order));
	char seedbuf[32];
	snprintf(seedbuf, sizeof seedbuf, "%llu", (unsigned long long)st->seed);
	cJSON_AddStringToObject(run, "seed", seedbuf);
	cJSON_AddNumberToObject(run, "warmups", (double)s->warmups);
	cJSON_AddNumberToObject(run, "iterations", (double)s->iterations);
	cJSON_AddBoolToObject(run, "drop_caches", s->drop);
	cJSON_AddBoolToObject(run, "phases", s->phases);
	cJSON_AddBoolToObject(run, "inittrace", s->inittrace);
	cJSON_AddBoolToObject(run, "syscalls", s->syscalls);
	/* Only when asked for, so runs without them read as before. */
	if (s->hw_counters) {
		cJSON_AddBoolToObject(run, "hw_counters", 1);
		if (st->hw_status)
			cJSON_AddItemToObject(run, "hw_counters_host", cJSON_Duplicate(st->hw_status, 1));
	}
	cJSON_AddNumberToObject(run, "warm_pool_execs", (double)s->warm_k);
	cJSON_AddNumberToObject(run, "expect_exit", (double)s->expect_exit);
	cJSON_AddBoolToObject(run, "cold", s->cold);
	cJSON_AddNumberToObject(run, "timeout_ms", (double)s->timeout_ms);
	cJSON_AddNumberToObject(run, "cleanup_timeout_ms", (double)s->cleanup_ms);
	cJSON_AddNumberToObject(run, "max_failures", (double)s->max_fail);
	/* Only when set, so runs without them (and their --append) read as before. */
	if (s->settle_ms > 0)
		cJSON_AddNumberToObject(run, "settle_ms", (double)s->settle_ms);
	if (s->budget_s > 0)
		cJSON_AddNumberToObject(run, "budget_s", s->budget_s);
	if (s->placement != PROC_CPUS_SHARED)
		cJSON_AddStringToObject(run, "cpu_placement", st->placement_desc);
	if (st->workload_words) {
		cJSON *wa = cJSON_AddArrayToObject(run, "workload");
		for (int i = 0; st->workload_words[i]; i++)
			cJSON_AddItemToArray(wa, cJSON_CreateString(st->workload_words[i]));
		cJSON_AddNumberToObject(run, "memory_samples", (double)s->memory_k);
	}
	cJSON *settings = cJSON_AddObjectToObject(run, "settings");
	for (size_t i = 0; i < s->nset; i++)
		cJSON_AddStringToObject(settings, s->set_name[i], s->set_value[i]);
	cJSON *ja = cJSON_AddArrayToObject(run, "arms");
	for (size_t i = 0; i < s->narms; i++)
		cJSON_AddItemToArray(ja, arm_json(&s->arms[i]));
	cJSON_AddItemToObject(run, "host", cJSON_Duplicate(st->host, 1));
	return run;
}

cJSON *runjson_chunk_new(const struct run_spec *s, const struct runjson_start *st, const cJSON *run)
{
	char seedbuf[32];
	snprintf(seedbuf, sizeof seedbuf, "%llu", (unsigned long long)st->seed);
	cJSON *chunk = cJSON_CreateObject();
	cJSON_AddItemToObject(chunk, "command",
	                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(run, "command"), 1));
	cJSON_AddStringToObject(chunk, "started_at", st->started_at);
	cJSON_AddStringToObject(chunk, "seed", seedbuf);
	cJSON_AddNumberToObject(chunk, "warmups", (double)s->warmups);
	cJSON_AddNumberToObject(chunk, "iterations", (double)s->iterations);
	cJSON_AddNumberToObject(chunk, "warm_pool_execs", (double)s->warm_k);
	cJSON_AddNumberToObject(chunk, "first_seq", st->first_seq);
	cJSON_AddStringToObject(chunk, "status", "running");
	cJSON_AddItemToObject(chunk, "host", cJSON_Duplicate(st->host, 1));
	return chunk;
}
