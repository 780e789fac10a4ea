/* runspec: see runspec.h. */
#define _GNU_SOURCE
#include "runspec.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_spec_init(struct run_spec *s)
{
	memset(s, 0, sizeof *s);
	s->bundle = "build/bundle";
	s->iterations = 50;
	s->warmups = 5;
	s->timeout_ms = 30000;
	s->cleanup_ms = 10000;
	s->max_fail = 3;
	s->order = ORDER_ABBA;
	s->placement = PROC_CPUS_SHARED;
}

static void run_arm_free(struct run_arm *a)
{
	free(a->name);
	free(a->runsc);
	for (size_t i = 0; i < a->nflags; i++)
		free(a->flags[i]);
	for (size_t i = 0; i < a->nenv; i++)
		free(a->env[i]);
	memset(a, 0, sizeof *a);
}

void run_spec_free(struct run_spec *s)
{
	for (size_t i = 0; i < s->narms; i++)
		run_arm_free(&s->arms[i]);
	s->narms = 0;
	for (int i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	s->nowned = 0;
}

/* Hands `str` (allocated) to the spec, which frees it; returns it. */
static char *run_spec_own(struct run_spec *s, char *str)
{
	if (s->nowned == RUN_MAX_OWNED)
		abort(); /* a fixed, small number of strings per spec: a bug */
	return s->owned[s->nowned++] = str;
}

int run_arm_check_name(const char *spec_text, const char *name)
{
	if (!*name)
		return error_setc(GVAB_EUSAGE, "--arm '%s': expected NAME=RUNSC[,ITEM...]", spec_text);
	for (const char *p = name; *p; p++)
		if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			return error_setc(GVAB_EUSAGE, "--arm '%s': name may hold only letters, digits, "
			                               "'-', '_' and '.'", spec_text);
	return 0;
}

void run_arm_default_flags(struct run_arm *a)
{
	int have_platform = 0, have_network = 0;
	for (size_t i = 0; i < a->nflags; i++) {
		have_platform |= strncmp(a->flags[i], "--platform", 10) == 0;
		have_network |= strncmp(a->flags[i], "--network", 9) == 0;
	}
	const char *bn = strrchr(a->runsc, '/');
	if (!strstr(bn ? bn + 1 : a->runsc, "runsc"))
		return;
	if (!have_platform && a->nflags < RUN_MAX_ITEMS)
		a->flags[a->nflags++] = util_xstrdup("--platform=systrap");
	if (!have_network && a->nflags < RUN_MAX_ITEMS)
		a->flags[a->nflags++] = util_xstrdup("--network=none");
}

int run_spec_add_arm(struct run_spec *s, const char *name, const char *runsc)
{
	if (s->narms == RUN_MAX_ARMS)
		return error_setc(GVAB_EUSAGE, "at most %d arms", RUN_MAX_ARMS);
	int rc = run_arm_check_name(name, name);
	if (rc < 0)
		return rc;
	struct run_arm *a = &s->arms[s->narms++];
	memset(a, 0, sizeof *a);
	a->name = util_xstrdup(name);
	a->runsc = util_xstrdup(runsc);
	a->stage = ARM_STAGE_RUN;
	run_arm_default_flags(a);
	return 0;
}

int schedule_parse_order(const char *s, enum schedule_order *out)
{
	if (strcmp(s, "alternate") == 0)
		*out = ORDER_ALTERNATE;
	else if (strcmp(s, "abba") == 0)
		*out = ORDER_ABBA;
	else if (strcmp(s, "random") == 0)
		*out = ORDER_RANDOM;
	else if (strcmp(s, "latin") == 0)
		*out = ORDER_LATIN;
	else
		return error_setc(GVAB_EUSAGE, "order '%s': expected alternate, abba, latin or random", s);
	return 0;
}

const char *schedule_order_name(enum schedule_order o)
{
	switch (o) {
	case ORDER_ALTERNATE: return "alternate";
	case ORDER_ABBA: return "abba";
	case ORDER_LATIN: return "latin";
	default: return "random";
	}
}

int run_placement_parse(const char *s, int *placement)
{
	size_t n = strcspn(s, ":");
	if (n == 6 && strncmp(s, "shared", 6) == 0)
		*placement = PROC_CPUS_SHARED;
	else if (n == 3 && strncmp(s, "one", 3) == 0)
		*placement = PROC_CPUS_ONE;
	else if (n == 5 && strncmp(s, "split", 5) == 0)
		*placement = PROC_CPUS_SPLIT;
	else
		return error_setc(GVAB_EUSAGE, "--cpu-placement: '%s' is not shared, one or split", s);
	return 0;
}

static void add_word(cJSON *cmd, const char *w)
{
	cJSON_AddItemToArray(cmd, cJSON_CreateString(w));
}

static void add_opt(cJSON *cmd, const char *name, const char *value)
{
	add_word(cmd, name);
	if (value)
		add_word(cmd, value);
}

static void add_long(cJSON *cmd, const char *name, long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%ld", v);
	add_opt(cmd, name, buf);
}

/* NAME=RUNSC,FLAG...,knob:N=V...,stage:cold|warm */
static char *arm_text(const struct run_arm *a)
{
	char *t = util_fmt("%s=%s", a->name, a->runsc);
	for (size_t i = 0; i < a->nflags; i++) {
		char *u = util_fmt("%s,%s", t, a->flags[i]);
		free(t);
		t = u;
	}
	for (size_t i = 0; i < a->nknobs; i++) {
		char *u = util_fmt("%s,knob:%s=%s", t, a->knob_name[i], a->knob_value[i]);
		free(t);
		t = u;
	}
	for (size_t i = 0; i < a->nenv; i++) {
		char *u = util_fmt("%s,env:%s", t, a->env[i]);
		free(t);
		t = u;
	}
	if (a->stage != ARM_STAGE_RUN) {
		char *u = util_fmt("%s,stage:%s", t, a->stage == ARM_STAGE_COLD ? "cold" : "warm");
		free(t);
		t = u;
	}
	return t;
}

cJSON *run_spec_command(const struct run_spec *s)
{
	static const char *const placements[] = {"shared", "one", "split"};
	cJSON *cmd = cJSON_CreateArray();
	add_word(cmd, "gvab");
	add_word(cmd, "run");
	if (s->quiet)
		add_word(cmd, "-q");
	if (s->out_dir)
		add_opt(cmd, "--out", s->out_dir);
	add_opt(cmd, "--bundle", s->bundle);
	add_long(cmd, "--iterations", s->iterations);
	add_long(cmd, "--warmups", s->warmups);
	add_opt(cmd, "--order", schedule_order_name(s->order));
	if (s->have_seed) {
		char buf[32];
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->seed);
		add_opt(cmd, "--seed", buf);
	}
	for (size_t i = 0; i < s->nset; i++) {
		char *kv = util_fmt("%s=%s", s->set_name[i], s->set_value[i]);
		add_opt(cmd, "--set", kv);
		free(kv);
	}
	if (s->drop)
		add_word(cmd, "--drop-caches");
	if (s->settle_ms)
		add_long(cmd, "--settle-ms", s->settle_ms);
	if (s->placement != PROC_CPUS_SHARED && s->placement >= 0 && s->placement <= 2)
		add_opt(cmd, "--cpu-placement", placements[s->placement]);
	add_long(cmd, "--timeout-ms", s->timeout_ms);
	add_long(cmd, "--cleanup-timeout-ms", s->cleanup_ms);
	add_long(cmd, "--max-failures", s->max_fail);
	if (s->expect_exit)
		add_long(cmd, "--expect-exit", s->expect_exit);
	if (s->phases)
		add_word(cmd, "--phases");
	if (s->inittrace)
		add_word(cmd, "--inittrace");
	if (s->syscalls)
		add_word(cmd, "--syscalls");
	if (s->hw_counters)
		add_opt(cmd, "--counters", "hw");
	if (s->warm_k)
		add_long(cmd, "--warm-pool", s->warm_k);
	if (s->workload)
		add_opt(cmd, "--workload", s->workload);
	if (s->cold)
		add_word(cmd, "--cold");
	if (s->memory_k) {
		char *m = util_fmt("--memory=%ld", s->memory_k);
		add_word(cmd, m);
		free(m);
	}
	if (s->label)
		add_opt(cmd, "--label", s->label);
	for (int i = 0; i < s->nmeta; i++)
		add_opt(cmd, "--meta", s->meta[i]);
	if (s->append)
		add_word(cmd, "--append");
	for (size_t i = 0; i < s->narms; i++) {
		char *t = arm_text(&s->arms[i]);
		add_opt(cmd, "--arm", t);
		free(t);
	}
	return cmd;
}

/* --- the reader ---------------------------------------------------------- */

static int bad(const char *path, const char *field, const char *why)
{
	return error_setc(GVAB_EDATA, "%s: field %s: %s", path, field, why);
}

/* run[key] as a whole number from lo to hi into *out; absent: *out kept. */
static int read_long(const cJSON *run, const char *key, long lo, long hi, const char *path, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, key);
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble || v->valuedouble < lo ||
	    v->valuedouble > hi) {
		char why[96];
		snprintf(why, sizeof why, "expected a whole number from %ld to %ld", lo, hi);
		return bad(path, key, why);
	}
	*out = (long)v->valuedouble;
	return 0;
}

static int read_bool(const cJSON *run, const char *key, const char *path, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, key);
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return bad(path, key, "expected true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

/* An object of NAME: "VALUE" strings into fixed-size name/value arrays. */
static int read_pairs(const cJSON *o, const char *field, const char *path, size_t max, char (*names)[32],
                      char (*values)[64], size_t *n)
{
	const cJSON *kv;
	*n = 0;
	cJSON_ArrayForEach(kv, o) {
		if (*n == max || !cJSON_IsString(kv) || strlen(kv->string) >= 32 || strlen(kv->valuestring) >= 64)
			return bad(path, field, "expected at most a few NAME: \"VALUE\" strings (names < 32, "
			                        "values < 64 bytes)");
		snprintf(names[*n], 32, "%s", kv->string);
		snprintf(values[*n], 64, "%s", kv->valuestring);
		(*n)++;
	}
	return 0;
}

static int read_arm(const cJSON *ja, int i, const char *path, struct run_arm *a)
{
	char f[64];
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(ja, "name");
	const cJSON *runsc = cJSON_GetObjectItemCaseSensitive(ja, "runsc");
	const cJSON *flags = cJSON_GetObjectItemCaseSensitive(ja, "flags");
	const cJSON *knobs = cJSON_GetObjectItemCaseSensitive(ja, "knobs");
	const cJSON *stage = cJSON_GetObjectItemCaseSensitive(ja, "stage"), *fl;
	memset(a, 0, sizeof *a);
	snprintf(f, sizeof f, "arms[%d].runsc", i);
	if (!cJSON_IsString(runsc) || !*runsc->valuestring)
		return bad(path, f, "expected the arm's binary");
	a->name = util_xstrdup(name->valuestring); /* checked by samples_run_check */
	a->runsc = util_xstrdup(runsc->valuestring);
	snprintf(f, sizeof f, "arms[%d].flags", i);
	if (flags && !cJSON_IsArray(flags))
		return bad(path, f, "expected an array of strings");
	cJSON_ArrayForEach(fl, flags) {
		if (!cJSON_IsString(fl) || a->nflags == RUN_MAX_ITEMS)
			return bad(path, f, "expected at most 32 strings");
		a->flags[a->nflags++] = util_xstrdup(fl->valuestring);
	}
	snprintf(f, sizeof f, "arms[%d].knobs", i);
	if (knobs && !cJSON_IsObject(knobs))
		return bad(path, f, "expected an object");
	if (read_pairs(knobs, f, path, RUN_MAX_ARM_KNOBS, a->knob_name, a->knob_value, &a->nknobs) < 0)
		return GVAB_EDATA;
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(ja, "env"), *kv;
	snprintf(f, sizeof f, "arms[%d].env", i);
	if (env && !cJSON_IsObject(env))
		return bad(path, f, "expected an object");
	cJSON_ArrayForEach(kv, env) {
		if (!cJSON_IsString(kv) || a->nenv == RUN_MAX_ENV || !*kv->string || strchr(kv->string, '='))
			return bad(path, f, "expected at most 8 NAME: \"VALUE\" strings");
		a->env[a->nenv++] = util_fmt("%s=%s", kv->string, kv->valuestring);
	}
	a->stage = ARM_STAGE_RUN;
	snprintf(f, sizeof f, "arms[%d].stage", i);
	if (stage) {
		if (!cJSON_IsString(stage) || (strcmp(stage->valuestring, "cold") && strcmp(stage->valuestring, "warm")))
			return bad(path, f, "expected \"cold\" or \"warm\"");
		a->stage = stage->valuestring[0] == 'c' ? ARM_STAGE_COLD : ARM_STAGE_WARM;
	}
	return 0;
}

static int read_flags(const cJSON *run, const char *path, struct run_spec *s)
{
	static const struct {
		const char *key;
		size_t off;
	} bools[] = {{"drop_caches", offsetof(struct run_spec, drop)},
	             {"phases", offsetof(struct run_spec, phases)},
	             {"inittrace", offsetof(struct run_spec, inittrace)},
	             {"syscalls", offsetof(struct run_spec, syscalls)},
	             {"hw_counters", offsetof(struct run_spec, hw_counters)},
	             {"cold", offsetof(struct run_spec, cold)}};
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
		if (read_bool(run, bools[i].key, path, (int *)((char *)s + bools[i].off)) < 0)
			return GVAB_EDATA;
	static const struct {
		const char *key;
		long lo, hi;
		size_t off;
	} longs[] = {{"iterations", 1, 1000000, offsetof(struct run_spec, iterations)},
	             {"warmups", 0, 100000, offsetof(struct run_spec, warmups)},
	             {"warm_pool_execs", 0, 1000000, offsetof(struct run_spec, warm_k)},
	             {"expect_exit", 0, 255, offsetof(struct run_spec, expect_exit)},
	             {"settle_ms", 0, 60000, offsetof(struct run_spec, settle_ms)},
	             {"memory_samples", 0, 64, offsetof(struct run_spec, memory_k)},
	             {"timeout_ms", 100, 3600000, offsetof(struct run_spec, timeout_ms)},
	             {"cleanup_timeout_ms", 100, 3600000, offsetof(struct run_spec, cleanup_ms)},
	             {"max_failures", 1, 1000000, offsetof(struct run_spec, max_fail)}};
	for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++)
		if (read_long(run, longs[i].key, longs[i].lo, longs[i].hi, path, (long *)((char *)s + longs[i].off)) < 0)
			return GVAB_EDATA;
	return 0;
}

/* run.json's workload words ["/bin/gvab-workload", MODE, ARG...] back
 * into MODE:ARG:... */
static int read_workload(const cJSON *run, const char *path, struct run_spec *s)
{
	const cJSON *wl = cJSON_GetObjectItemCaseSensitive(run, "workload"), *w;
	if (!wl)
		return 0;
	if (!cJSON_IsArray(wl) || cJSON_GetArraySize(wl) < 2)
		return bad(path, "workload", "expected [\"/bin/gvab-workload\", MODE, ARG...]");
	char *t = NULL;
	int i = 0;
	cJSON_ArrayForEach(w, wl) {
		if (!cJSON_IsString(w) || strchr(w->valuestring, ':')) {
			free(t);
			return bad(path, "workload", "expected strings without ':'");
		}
		if (i++ == 0)
			continue;
		char *u = t ? util_fmt("%s:%s", t, w->valuestring) : util_xstrdup(w->valuestring);
		free(t);
		t = u;
	}
	s->workload = run_spec_own(s, t);
	return 0;
}

static int read_text(const cJSON *run, const char *path, struct run_spec *s)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, "bundle_path");
	if (!cJSON_IsString(v))
		return bad(path, "bundle_path", "expected the bundle's directory");
	s->bundle = v->valuestring;
	v = cJSON_GetObjectItemCaseSensitive(run, "order");
	if (v && schedule_parse_order(v->valuestring, &s->order) < 0)
		return bad(path, "order", "expected alternate, abba, latin or random");
	v = cJSON_GetObjectItemCaseSensitive(run, "seed");
	if (v) {
		char *end;
		errno = 0;
		s->seed = strtoull(v->valuestring, &end, 10);
		if (errno || end == v->valuestring || *end)
			return bad(path, "seed", "expected a whole number");
		s->have_seed = 1;
	}
	v = cJSON_GetObjectItemCaseSensitive(run, "cpu_placement");
	if (v && (!cJSON_IsString(v) || run_placement_parse(v->valuestring, &s->placement) < 0))
		return bad(path, "cpu_placement", "expected shared, one or split");
	v = cJSON_GetObjectItemCaseSensitive(run, "host_label");
	if (v)
		s->label = v->valuestring;
	const cJSON *hm = cJSON_GetObjectItemCaseSensitive(run, "host_meta"), *kv;
	cJSON_ArrayForEach(kv, hm) {
		if (!cJSON_IsString(kv) || s->nmeta == RUN_MAX_META)
			return bad(path, "host_meta", "expected at most 16 KEY: \"VALUE\" strings");
		s->meta[s->nmeta++] = run_spec_own(s, util_fmt("%s=%s", kv->string, kv->valuestring));
	}
	return 0;
}

int run_spec_from_run_json(const cJSON *run, const char *path, struct run_spec *s)
{
	run_spec_init(s);
	const cJSON *arms = cJSON_GetObjectItemCaseSensitive(run, "arms"), *ja;
	if (cJSON_GetArraySize(arms) < 2 || cJSON_GetArraySize(arms) > RUN_MAX_ARMS)
		return bad(path, "arms", "expected 2 to 16 arms");
	cJSON_ArrayForEach(ja, arms) {
		int rc = read_arm(ja, (int)s->narms, path, &s->arms[s->narms]);
		s->narms++; /* freed by run_spec_free even when half read */
		if (rc < 0)
			return rc;
	}
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(run, "settings");
	if (read_pairs(set, "settings", path, RUN_MAX_SET, s->set_name, s->set_value, &s->nset) < 0 ||
	    read_flags(run, path, s) < 0 || read_workload(run, path, s) < 0 || read_text(run, path, s) < 0)
		return GVAB_EDATA;
	return 0;
}
