/* campaign_record: what a campaign was run with, so a rerun resumes only
 * the same campaign (campaign_record_check, see campaign.h).
 *
 * RESULTS/CAMPAIGN/campaign.json, format gvab-campaign/1:
 *   {"format", "campaign", "created_at",
 *    "arms": [{"name", "binary" (as given), "sha256", "items"}],
 *    "options": ["--iterations", "30", ...]}   (gvab run's, as given)
 * Arms compare by name, order (the first is the baseline), the binary's
 * sha256 and items; options word by word. The binary's path may change
 * (a rebuilt tree elsewhere): its bytes may not. */
#define _GNU_SOURCE
#include "campaign.h"
#include "error.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_FORMAT "gvab-campaign/1"

/* This run's record; NULL with GVAB_EPRECOND when an arm is missing. */
static cJSON *record_build(const struct campaign *c)
{
	cJSON *r = cJSON_CreateObject();
	char when[32];
	util_utc_now(when, sizeof when);
	cJSON_AddStringToObject(r, "format", RECORD_FORMAT);
	cJSON_AddStringToObject(r, "campaign", c->name);
	cJSON_AddStringToObject(r, "created_at", when);
	cJSON *arms = cJSON_AddArrayToObject(r, "arms");
	for (int i = 0; i < c->narms; i++) {
		const char *spec = c->arms[i], *eq = strchr(spec, '='), *comma = strchr(eq + 1, ',');
		char *name = util_fmt("%.*s", (int)(eq - spec), spec);
		char *path = comma ? util_fmt("%.*s", (int)(comma - eq - 1), eq + 1) : util_xstrdup(eq + 1);
		char hex[65];
		int rc = util_sha256_file(path, hex);
		if (rc == 0) {
			cJSON *a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "name", name);
			cJSON_AddStringToObject(a, "binary", path);
			cJSON_AddStringToObject(a, "sha256", hex);
			cJSON_AddStringToObject(a, "items", comma ? comma + 1 : "");
			cJSON_AddItemToArray(arms, a);
		} else {
			error_setc(GVAB_EPRECOND, "arm %s: %s cannot be read here", name, path);
		}
		free(name);
		free(path);
		if (rc < 0) {
			cJSON_Delete(r);
			return NULL;
		}
	}
	cJSON *opts = cJSON_AddArrayToObject(r, "options");
	for (int i = 0; i < c->npass; i++)
		cJSON_AddItemToArray(opts, cJSON_CreateString(c->pass[i]));
	return r;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(j) ? j->valuestring : "";
}

/* Appends "; what" to *diff. */
static void diff_add(char **diff, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diff_add(char **diff, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	char *d = util_fmt("%s%s%s", *diff ? *diff : "", *diff ? "; " : "", buf);
	free(*diff);
	*diff = d;
}

/* The arms' names in order, "a, b". Caller frees. */
static char *arm_names(const cJSON *arms)
{
	char *s = util_xstrdup("");
	const cJSON *a;
	cJSON_ArrayForEach(a, arms) {
		char *n = util_fmt("%s%s%s", s, *s ? ", " : "", str(a, "name"));
		free(s);
		s = n;
	}
	return s;
}

static char *words(const cJSON *arr)
{
	char *s = util_xstrdup("");
	const cJSON *w;
	cJSON_ArrayForEach(w, arr) {
		char *n = util_fmt("%s%s%s", s, *s ? " " : "", cJSON_IsString(w) ? w->valuestring : "?");
		free(s);
		s = n;
	}
	return s;
}

/* Every difference between the recorded campaign and this run, or NULL. */
static char *record_diff(const cJSON *was, const cJSON *now)
{
	char *diff = NULL;
	const cJSON *wa = cJSON_GetObjectItemCaseSensitive(was, "arms");
	const cJSON *na = cJSON_GetObjectItemCaseSensitive(now, "arms");
	char *wn = arm_names(wa), *nn = arm_names(na);
	if (strcmp(wn, nn) != 0) {
		diff_add(&diff, "arms %s there, %s here", wn, nn);
	} else {
		for (int i = 0; i < cJSON_GetArraySize(na); i++) {
			const cJSON *x = cJSON_GetArrayItem(wa, i), *y = cJSON_GetArrayItem(na, i);
			if (strcmp(str(x, "sha256"), str(y, "sha256")) != 0)
				diff_add(&diff, "arm %s: binary sha256 %.12s there, %.12s here (%s)", str(y, "name"),
				         str(x, "sha256"), str(y, "sha256"), str(y, "binary"));
			if (strcmp(str(x, "items"), str(y, "items")) != 0)
				diff_add(&diff, "arm %s: items '%s' there, '%s' here", str(y, "name"),
				         str(x, "items"), str(y, "items"));
		}
	}
	char *wo = words(cJSON_GetObjectItemCaseSensitive(was, "options"));
	char *no = words(cJSON_GetObjectItemCaseSensitive(now, "options"));
	if (strcmp(wo, no) != 0)
		diff_add(&diff, "options '%s' there, '%s' here", wo, no);
	free(wn);
	free(nn);
	free(wo);
	free(no);
	return diff;
}

int campaign_record_check(const struct campaign *c)
{
	cJSON *now = record_build(c);
	if (!now)
		return GVAB_EPRECOND;
	char *dir = util_fmt("%s/%s", c->results, c->name);
	char *path = util_fmt("%s/campaign.json", dir);
	int rc = 0;
	if (util_path_exists(path)) {
		cJSON *was = util_json_load(path);
		if (!was || strcmp(str(was, "format"), RECORD_FORMAT) != 0) {
			rc = error_setc(GVAB_EDATA, "%s: not a %s record", path, RECORD_FORMAT);
		} else {
			char *diff = record_diff(was, now);
			if (diff)
				rc = error_setc(GVAB_EUSAGE, "campaign %s was run with other settings (%s): %s; "
				                "run it as it was to resume it, or name another --campaign",
				                c->name, path, diff);
			free(diff);
		}
		cJSON_Delete(was);
	} else if ((rc = util_mkdir_p(dir, 0755)) == 0) {
		char *text = cJSON_Print(now);
		rc = util_write_file_atomic(path, text, strlen(text));
		free(text);
	}
	cJSON_Delete(now);
	free(path);
	free(dir);
	return rc;
}
