/* runread: the validating reader of run.json ("gvab-run/1"); declared in
 * samples.h (samples_run_check, samples_run_load). The text must be UTF-8
 * without \u0000 escapes and without a key given twice (jsontext.h); every
 * field a reader uses is checked for type and range. */
#define _GNU_SOURCE
#include "samples.h"
#include "jsontext.h"
#include "error.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* run.json ---------------------------------------------------------------- */

static int run_err(const char *path, const char *field, const char *why)
{
	return error_setc(GVAB_EDATA, "%s: field %s: %s", path, field, why);
}

static int run_opt_string(const cJSON *o, const char *k, const char *path, const char *prefix)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	if (j && !cJSON_IsString(j) && !cJSON_IsNull(j)) { /* null: a fact not known */
		char f[96];
		snprintf(f, sizeof f, "%s%s", prefix, k);
		return run_err(path, f, "expected a string or null");
	}
	return 0;
}

static int run_opt_int(const cJSON *o, const char *k, double lo, double hi, int required,
                       const char *path, const char *prefix)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	char f[96];
	snprintf(f, sizeof f, "%s%s", prefix, k);
	if (!j)
		return required ? run_err(path, f, "missing") : 0;
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble < lo ||
	    j->valuedouble > hi || j->valuedouble != floor(j->valuedouble)) {
		char why[96];
		snprintf(why, sizeof why, "expected an integer in [%.0f, %.0f]", lo, hi);
		return run_err(path, f, why);
	}
	return 0;
}

static int run_check_host(const cJSON *h, const char *k, const char *path)
{
	if (!h)
		return 0;
	char prefix[32];
	snprintf(prefix, sizeof prefix, "%s.", k);
	if (!cJSON_IsObject(h))
		return run_err(path, k, "expected an object");
	static const char *const strs[] = {"hostname", "kernel", "cpu_model", "clocksource",
	                                   "cpufreq_governor", "boot_id"};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (run_opt_string(h, strs[i], path, prefix) < 0)
			return GVAB_EDATA;
	if (run_opt_int(h, "online_cpus", 1, 1 << 20, 1, path, prefix) < 0 ||
	    run_opt_int(h, "mem_total_kib", 0, 1e15, 0, path, prefix) < 0)
		return GVAB_EDATA;
	return 0;
}

/* The optional array K of run: each element a string or, with member, an
 * object whose MEMBER is a string. */
static int run_check_strings(const cJSON *run, const char *k, const char *member, const char *path)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(run, k), *e;
	if (arr && !cJSON_IsArray(arr))
		return run_err(path, k, member ? "expected an array" : "expected an array of strings");
	int i = 0;
	cJSON_ArrayForEach(e, arr) {
		char f[48];
		snprintf(f, sizeof f, "%s[%d]%s%s", k, i++, member ? "." : "", member ? member : "");
		if (!cJSON_IsString(member ? cJSON_GetObjectItemCaseSensitive(e, member) : e))
			return run_err(path, f, "expected a string");
	}
	return 0;
}

int samples_run_check(const cJSON *run, const char *path)
{
	if (!cJSON_IsObject(run))
		return error_setc(GVAB_EDATA, "%s: not a JSON object", path);
	/* The schema version: a run.json of another version is refused by
	 * name rather than misread. (Absent: read as the only version so far.) */
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(run, "format");
	if (fmt && !cJSON_IsString(fmt))
		return run_err(path, "format", "expected \"" RUN_FORMAT "\"");
	if (fmt && strcmp(fmt->valuestring, RUN_FORMAT) != 0) {
		char why[96];
		snprintf(why, sizeof why, "'%.40s': this gvab reads " RUN_FORMAT, fmt->valuestring);
		return run_err(path, "format", why);
	}
	const cJSON *arms = cJSON_GetObjectItemCaseSensitive(run, "arms"), *a;
	if (!cJSON_IsArray(arms) || cJSON_GetArraySize(arms) < 1 ||
	    cJSON_GetArraySize(arms) > SAMPLES_MAX_ARMS)
		return run_err(path, "arms", "expected an array of 1 to 64 arms");
	int i = 0;
	cJSON_ArrayForEach(a, arms) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(a, "name");
		char f[48];
		snprintf(f, sizeof f, "arms[%d].name", i);
		if (!cJSON_IsString(n) || jsontext_check_name(n->valuestring, 255) < 0)
			return run_err(path, f, "expected a name (1-255 bytes of printable UTF-8)");
		const cJSON *b;
		int j = 0;
		cJSON_ArrayForEach(b, arms) {
			if (j++ >= i)
				break;
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(b, "name");
			if (strcmp(m->valuestring, n->valuestring) == 0)
				return run_err(path, f, "a second arm of that name");
		}
		i++;
	}
	if (run_check_host(cJSON_GetObjectItemCaseSensitive(run, "host"), "host", path) < 0 ||
	    run_check_host(cJSON_GetObjectItemCaseSensitive(run, "host_after"), "host_after", path) < 0)
		return GVAB_EDATA;
	static const char *const strs[] = {"format", "status", "host_label", "order", "seed",
	                                   "started_at", "ended_at"};
	for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
		if (run_opt_string(run, strs[k], path, "") < 0)
			return GVAB_EDATA;
	if (run_opt_int(run, "iterations", 0, 1e7, 0, path, "") < 0 ||
	    run_opt_int(run, "warmups", 0, 1e7, 0, path, "") < 0 ||
	    run_opt_int(run, "measured_ok", 0, 1e9, 0, path, "") < 0)
		return GVAB_EDATA;
	if (run_check_strings(run, "command", NULL, path) < 0 ||
	    run_check_strings(run, "drift", "fact", path) < 0)
		return GVAB_EDATA;
	static const char *const objs[] = {"settings", "bundle", "gvab", "host_meta"};
	for (size_t k = 0; k < sizeof objs / sizeof objs[0]; k++) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(run, objs[k]);
		if (o && !cJSON_IsObject(o))
			return run_err(path, objs[k], "expected an object");
	}
	return 0;
}

cJSON *samples_run_load(const char *path)
{
	size_t len;
	char *text = util_read_file(path, &len);
	if (!text) {
		error_wrap(GVAB_EDATA, "run");
		return NULL;
	}
	cJSON *doc = NULL;
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		int line = 1;
		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		error_setc(GVAB_EDATA, "%s:%d: NUL byte", path, line);
	} else if (jsontext_check_text(path, 1, text, len) < 0) {
		/* recorded */
	} else if (!(doc = cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1))) {
		const char *at = cJSON_GetErrorPtr();
		int line = 1;
		for (const char *p = text; at && p < at && p < text + len; p++)
			line += *p == '\n';
		error_setc(GVAB_EDATA, "%s:%d: not valid JSON", path, line);
	} else if (jsontext_check_keys(path, 1, doc) < 0 || samples_run_check(doc, path) < 0) {
		cJSON_Delete(doc);
		doc = NULL;
	}
	free(text);
	return doc;
}

