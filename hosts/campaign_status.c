/* campaign_status: RESULTS/CAMPAIGN/status.json, the campaign's state
 * beside the per-host status.json files, rewritten (atomically: a reader
 * sees the old file or the new one, never half of one) whenever a host
 * starts or ends, and once at the end.
 *
 * Format gvab-campaign-status/1:
 *   {"format", "campaign", "state": "running" | "complete" | "failed",
 *    "pid" (gvab's, while running), "started_at", "updated_at",
 *    "ended_at" (once not running), "hosts_total", "hosts_ok",
 *    "hosts_failed",
 *    "hosts": [{"host", "label", "dir" (under the campaign),
 *               "state": "pending" | "running" | "ok" | "failed",
 *               "resumed" (true when skipped as complete already),
 *               "error" (failed), "answer": [lines]}]}
 * "complete" is every host ok, "failed" at least one failed. A host's state
 * and error come from its own status.json (its child wrote it), its answer
 * lines from c->answer (the command layer's: analysis is above hosts). A
 * "running" file whose pid is gone is a campaign that was interrupted. */
#define _GNU_SOURCE
#include "campaign.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATUS_FORMAT "gvab-campaign-status/1"

struct campaign_status {
	const struct campaign *c;
	const struct inventory *inv;
	const size_t *idx;
	size_t n;
	char started[32];
	enum campaign_host_state *state;
	int *resumed;
	char **error;  /* failed: why (owned) */
	char **answer; /* done: answer lines, '\n'-separated (owned) */
};

struct campaign_status *campaign_status_new(const struct campaign *c, const struct inventory *inv,
                                            const size_t *idx, size_t n)
{
	struct campaign_status *s = util_xcalloc(1, sizeof *s);
	s->c = c;
	s->inv = inv;
	s->idx = idx;
	s->n = n;
	util_utc_now(s->started, sizeof s->started);
	s->state = util_xcalloc(n ? n : 1, sizeof *s->state);
	s->resumed = util_xcalloc(n ? n : 1, sizeof *s->resumed);
	s->error = util_xcalloc(n ? n : 1, sizeof *s->error);
	s->answer = util_xcalloc(n ? n : 1, sizeof *s->answer);
	return s;
}

void campaign_status_free(struct campaign_status *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->error[i]);
		free(s->answer[i]);
	}
	free(s->state);
	free(s->resumed);
	free(s->error);
	free(s->answer);
	free(s);
}

void campaign_status_set(struct campaign_status *s, size_t i, enum campaign_host_state st, int resumed,
                         const char *why)
{
	const struct inv_host *h = &s->inv->hosts[s->idx[i]];
	s->state[i] = st;
	s->resumed[i] |= resumed;
	if (st != CAMPAIGN_HOST_DONE)
		return;
	free(s->error[i]);
	s->error[i] = NULL;
	char *err = NULL;
	int ok = resumed ? 1 : campaign_host_status(s->c, h, &err);
	if (ok != 1)
		s->error[i] = err ? err : util_xstrdup(why ? why : "no status.json: the host's process died");
	else
		free(err);
	s->state[i] = ok == 1 ? CAMPAIGN_HOST_OK : CAMPAIGN_HOST_FAILED;
	char *dir = campaign_host_dir(s->c, h), *rj = util_fmt("%s/run.json", dir);
	free(s->answer[i]);
	s->answer[i] = s->c->answer && util_path_exists(rj) ? s->c->answer(dir) : NULL;
	free(rj);
	free(dir);
}

static const char *state_name(enum campaign_host_state st)
{
	switch (st) {
	case CAMPAIGN_HOST_PENDING: return "pending";
	case CAMPAIGN_HOST_RUNNING: return "running";
	case CAMPAIGN_HOST_OK: return "ok";
	default: return "failed";
	}
}

int campaign_status_write(const struct campaign_status *s, int finished)
{
	char now[32];
	util_utc_now(now, sizeof now);
	size_t ok = 0, failed = 0;
	for (size_t i = 0; i < s->n; i++) {
		ok += s->state[i] == CAMPAIGN_HOST_OK;
		failed += s->state[i] == CAMPAIGN_HOST_FAILED;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "format", STATUS_FORMAT);
	cJSON_AddStringToObject(o, "campaign", s->c->name);
	cJSON_AddStringToObject(o, "state", !finished ? "running" : failed || ok < s->n ? "failed" : "complete");
	if (!finished)
		cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "started_at", s->started);
	cJSON_AddStringToObject(o, "updated_at", now);
	if (finished)
		cJSON_AddStringToObject(o, "ended_at", now);
	cJSON_AddNumberToObject(o, "hosts_total", (double)s->n);
	cJSON_AddNumberToObject(o, "hosts_ok", (double)ok);
	cJSON_AddNumberToObject(o, "hosts_failed", (double)failed);
	cJSON *hs = cJSON_AddArrayToObject(o, "hosts");
	for (size_t i = 0; i < s->n; i++) {
		const struct inv_host *h = &s->inv->hosts[s->idx[i]];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "host", h->name);
		cJSON_AddStringToObject(e, "label", h->label);
		cJSON_AddStringToObject(e, "dir", h->name);
		cJSON_AddStringToObject(e, "state", state_name(s->state[i]));
		if (s->resumed[i])
			cJSON_AddBoolToObject(e, "resumed", 1);
		if (s->error[i])
			cJSON_AddStringToObject(e, "error", s->error[i]);
		cJSON *ans = cJSON_AddArrayToObject(e, "answer");
		for (const char *l = s->answer[i]; l && *l;) {
			size_t len = strcspn(l, "\n");
			char *line = util_fmt("%.*s", (int)len, l);
			cJSON_AddItemToArray(ans, cJSON_CreateString(line));
			free(line);
			l += len + (l[len] == '\n');
		}
		cJSON_AddItemToArray(hs, e);
	}
	char *text = cJSON_Print(o), *p = util_fmt("%s/%s/status.json", s->c->results, s->c->name);
	int rc = text ? util_write_file_atomic(p, text, strlen(text)) : error_set("status.json: out of memory");
	free(p);
	free(text);
	cJSON_Delete(o);
	return rc;
}
