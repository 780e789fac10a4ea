/* bisect_state: bisect.json, rewritten after every step, so the same
 * command resumes and measures nothing twice. See bisect_int.h. */
#define _GNU_SOURCE
#include "bisect.h"
#include "bisect_int.h"
#include "analysis.h"
#include "answer.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "modsource.h"
#include "proc.h"
#include "runloop.h"
#include "samples.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *const bisect_state_names[] = {"untested", "good-like", "bad-like", "skipped", "undecided"};

static cJSON *params_json(const struct bisect_opts *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "source", o->rs.source);
	cJSON_AddStringToObject(j, "good", o->good);
	cJSON_AddStringToObject(j, "bad", o->bad);
	cJSON_AddStringToObject(j, "revisions_file", o->revisions_file ? o->revisions_file : "");
	cJSON_AddStringToObject(j, "arm", o->rs.arm);
	cJSON_AddStringToObject(j, "metric", o->rs.metric);
	cJSON_AddNumberToObject(j, "threshold_pct", o->rs.threshold_pct);
	cJSON_AddNumberToObject(j, "alpha", o->rs.alpha);
	cJSON_AddNumberToObject(j, "iterations", (double)o->iterations);
	cJSON_AddNumberToObject(j, "looks", o->looks);
	return j;
}

int bisect_state_save(const struct bisect_opts *o, const struct path *p, int steps,
                      const char *status, cJSON *answer)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "format", "gvab-bisect/1");
	cJSON_AddItemToObject(doc, "params", params_json(o));
	cJSON_AddStringToObject(doc, "status", status);
	cJSON_AddNumberToObject(doc, "steps", steps);
	cJSON *arr = cJSON_AddArrayToObject(doc, "path");
	for (size_t i = 0; i < p->n; i++) {
		const struct rev *r = &p->r[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", r->id);
		cJSON_AddStringToObject(x, "commit", r->commit);
		if (r->master[0])
			cJSON_AddStringToObject(x, "master_commit", r->master);
		cJSON_AddStringToObject(x, "subject", r->subject);
		cJSON_AddStringToObject(x, "state", bisect_state_names[r->state]);
		cJSON_AddStringToObject(x, "note", r->note);
		cJSON_AddNumberToObject(x, "step", r->step);
		if (r->step >= 0) {
			cJSON_AddNumberToObject(x, "median_ms", r->med_ms);
			cJSON_AddNumberToObject(x, "median_lo_ms", r->lo_ms);
			cJSON_AddNumberToObject(x, "median_hi_ms", r->hi_ms);
		}
		cJSON_AddItemToArray(arr, x);
	}
	if (answer)
		cJSON_AddItemReferenceToObject(doc, "answer", answer);
	char *path = util_fmt("%s/bisect.json", o->out_dir);
	int rc = util_json_save(path, doc);
	free(path);
	cJSON_Delete(doc);
	return rc;
}

/* Resumes: copies states of a saved bisect with the same parameters. */
int bisect_state_load(const struct bisect_opts *o, struct path *p, int *steps)
{
	char *path = util_fmt("%s/bisect.json", o->out_dir);
	*steps = 0;
	if (!util_path_exists(path)) {
		free(path);
		return 0;
	}
	cJSON *doc = util_json_load(path), *want = params_json(o);
	int rc = 0;
	const cJSON *params = doc ? cJSON_GetObjectItemCaseSensitive(doc, "params") : NULL;
	const cJSON *arr = doc ? cJSON_GetObjectItemCaseSensitive(doc, "path") : NULL;
	if (!params || !cJSON_Compare(params, want, 1)) {
		rc = error_setc(GVAB_EUSAGE, "%s belongs to a bisect with other parameters (or is not one); "
		                             "use another --out", path);
		goto out;
	}
	if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != p->n) {
		rc = error_setc(GVAB_EDATA, "%s: field path: expected %zu revisions", path, p->n);
		goto out;
	}
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "steps");
	*steps = cJSON_IsNumber(st) && st->valuedouble >= 0 && st->valuedouble < 1e6 ? (int)st->valuedouble : 0;
	size_t i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, arr) {
		struct rev *r = &p->r[i];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(x, "id");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, "state");
		if (!cJSON_IsString(id) || strcmp(id->valuestring, r->id) != 0 || !cJSON_IsString(s)) {
			rc = error_setc(GVAB_EDATA, "%s: field path[%zu]: not revision %s", path, i, r->id);
			goto out;
		}
		for (int k = 0; k < 5; k++)
			if (strcmp(s->valuestring, bisect_state_names[k]) == 0)
				r->state = (enum rev_state)k;
		const cJSON *note = cJSON_GetObjectItemCaseSensitive(x, "note");
		if (cJSON_IsString(note))
			snprintf(r->note, sizeof r->note, "%s", note->valuestring);
		const cJSON *stp = cJSON_GetObjectItemCaseSensitive(x, "step");
		if (cJSON_IsNumber(stp) && stp->valuedouble >= 0 && stp->valuedouble < 1e6) {
			r->step = (int)stp->valuedouble;
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(x, "median_ms");
			const cJSON *lo = cJSON_GetObjectItemCaseSensitive(x, "median_lo_ms");
			const cJSON *hi = cJSON_GetObjectItemCaseSensitive(x, "median_hi_ms");
			r->med_ms = cJSON_IsNumber(m) ? m->valuedouble : NAN;
			r->lo_ms = cJSON_IsNumber(lo) ? lo->valuedouble : NAN;
			r->hi_ms = cJSON_IsNumber(hi) ? hi->valuedouble : NAN;
		}
		i++;
	}
out:
	cJSON_Delete(doc);
	cJSON_Delete(want);
	free(path);
	return rc;
}
