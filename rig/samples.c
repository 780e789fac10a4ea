/* samples: see samples.h. */
#define _GNU_SOURCE
#include "samples.h"
#include "error.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const sample_phase_names[PH_COUNT] = {"create", "start", "wait",
                                                  "delete", "core", "overall"};

int samples_open(struct samples_writer *w, const char *path)
{
	w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return error_set("%s: %s", path, strerror(errno));
	return 0;
}

int samples_append(struct samples_writer *w, int seq, const char *arm, int round, int warmup,
                   const char *id, int64_t t_ns, const struct boot_result *r,
                   const cJSON *extra)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", seq);
	cJSON_AddStringToObject(o, "arm", arm);
	cJSON_AddNumberToObject(o, "round", round);
	cJSON_AddBoolToObject(o, "warmup", warmup);
	cJSON_AddBoolToObject(o, "ok", r->ok);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddNumberToObject(o, "t_ns", (double)t_ns);
	if (r->kind == 1)
		cJSON_AddStringToObject(o, "kind", "exec");
	if (r->ok && r->kind == 1) {
		cJSON_AddNumberToObject(o, "exec_ns", (double)r->exec_ns);
	} else if (r->ok) {
		cJSON_AddNumberToObject(o, "create_ns", (double)r->create_ns);
		cJSON_AddNumberToObject(o, "start_ns", (double)r->start_ns);
		cJSON_AddNumberToObject(o, "wait_ns", (double)r->wait_ns);
		cJSON_AddNumberToObject(o, "delete_ns", (double)r->delete_ns);
		cJSON_AddNumberToObject(o, "core_ns", (double)(r->create_ns + r->start_ns));
		cJSON_AddNumberToObject(o, "overall_ns",
		                        (double)(r->create_ns + r->start_ns + r->wait_ns + r->delete_ns));
	} else {
		cJSON_AddStringToObject(o, "failed_phase", r->failed_phase);
		cJSON_AddStringToObject(o, "error", r->error);
		if (r->stderr_path[0])
			cJSON_AddStringToObject(o, "stderr", r->stderr_path);
	}
	cJSON_AddNumberToObject(o, "exit_status", r->exit_status);
	if (r->debug_log[0])
		cJSON_AddStringToObject(o, "debug_log", r->debug_log);
	const cJSON *e;
	cJSON_ArrayForEach(e, extra)
		cJSON_AddItemToObject(o, e->string, cJSON_Duplicate(e, 1));
	char *line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	size_t n = strlen(line);
	line = util_xrealloc(line, n + 2);
	line[n++] = '\n';
	line[n] = '\0';
	int rc = 0;
	/* One write(2) per line with O_APPEND: a line is never interleaved or
	 * half-written by a crash between two writes. */
	ssize_t wr = write(w->fd, line, n);
	if (wr != (ssize_t)n)
		rc = error_set("writing samples: %s", wr < 0 ? strerror(errno) : "short write");
	else if (fdatasync(w->fd) < 0)
		rc = error_set("fdatasync samples: %s", strerror(errno));
	free(line);
	return rc;
}

void samples_close(struct samples_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

int samples_arm_index(const struct samples_file *f, const char *name)
{
	for (size_t i = 0; i < f->narms; i++)
		if (strcmp(f->arms[i], name) == 0)
			return (int)i;
	return -1;
}

static int add_arm(struct samples_file *f, const char *name)
{
	int i = samples_arm_index(f, name);
	if (i >= 0)
		return i;
	f->arms = util_xrealloc(f->arms, (f->narms + 1) * sizeof *f->arms);
	f->arms[f->narms] = util_xstrdup(name);
	return (int)f->narms++;
}

static int get_num(const cJSON *o, const char *k, double *v)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(j))
		return -1;
	*v = j->valuedouble;
	return 0;
}

int samples_load(const char *path, char *const *order, size_t norder, struct samples_file *out)
{
	memset(out, 0, sizeof *out);
	size_t len;
	char *text = util_read_file(path, &len);
	if (!text)
		return error_wrap(GVAB_EDATA, "samples");
	for (size_t i = 0; i < norder; i++)
		add_arm(out, order[i]);
	int lineno = 0, rc = 0;
	size_t cap = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (!*line)
			continue;
		cJSON *o = cJSON_Parse(line);
		if (!o) {
			/* A torn last line (the run was killed mid-write) is dropped
			 * with a warning; anywhere else it is invalid data. */
			if (!strtok_r(NULL, "\n", &save) && text[len - 1] != '\n') {
				fprintf(stderr, "gvab: %s:%d: incomplete last line ignored\n", path, lineno);
				break;
			}
			rc = error_setc(GVAB_EDATA, "%s:%d: not valid JSON", path, lineno);
			break;
		}
		const cJSON *arm = cJSON_GetObjectItemCaseSensitive(o, "arm");
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(o, "ok");
		const cJSON *wu = cJSON_GetObjectItemCaseSensitive(o, "warmup");
		double seq, round;
		if (!cJSON_IsString(arm) || !cJSON_IsBool(ok) || !cJSON_IsBool(wu) ||
		    get_num(o, "seq", &seq) < 0 || get_num(o, "round", &round) < 0) {
			rc = error_setc(GVAB_EDATA, "%s:%d: missing arm, ok, warmup, seq or round", path,
			                lineno);
			cJSON_Delete(o);
			break;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 256;
			out->s = util_xrealloc(out->s, cap * sizeof *out->s);
		}
		struct sample *s = &out->s[out->n];
		memset(s, 0, sizeof *s);
		s->arm = add_arm(out, arm->valuestring);
		s->seq = (int)seq;
		s->round = (int)round;
		s->warmup = cJSON_IsTrue(wu);
		s->ok = cJSON_IsTrue(ok);
		double v;
		s->exit_status = get_num(o, "exit_status", &v) == 0 ? (int)v : -1;
		s->t_ns = get_num(o, "t_ns", &v) == 0 ? (int64_t)v : 0;
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
		s->kind = cJSON_IsString(kind) && strcmp(kind->valuestring, "exec") == 0;
		if (s->ok && s->kind) {
			if (get_num(o, "exec_ns", &v) < 0 || v < 0) {
				rc = error_setc(GVAB_EDATA, "%s:%d: ok exec sample without a valid exec_ns",
				                path, lineno);
			} else {
				s->exec_ns = (int64_t)v;
			}
		} else if (s->ok) {
			for (int p = 0; p < PH_COUNT; p++) {
				char key[32];
				snprintf(key, sizeof key, "%s_ns", sample_phase_names[p]);
				if (get_num(o, key, &v) < 0 || v < 0) {
					rc = error_setc(GVAB_EDATA, "%s:%d: ok sample without a valid %s", path,
					                lineno, key);
					break;
				}
				s->ns[p] = (int64_t)v;
			}
		}
		cJSON_Delete(o);
		if (rc < 0)
			break;
		out->n++;
	}
	free(text);
	if (rc < 0)
		samples_free(out);
	return rc;
}

void samples_free(struct samples_file *f)
{
	for (size_t i = 0; i < f->narms; i++)
		free(f->arms[i]);
	free(f->arms);
	free(f->s);
	memset(f, 0, sizeof *f);
}
