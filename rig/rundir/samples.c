/* samples: see samples.h. */
#define _GNU_SOURCE
#include "samples.h"
#include "jsontext.h"
#include "error.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const sample_phase_names[PH_METRICS] = {"create", "start", "wait",
                                                    "delete", "core", "overall", "cpu"};

/* Before appending to a file whose last line has no newline: a torn line
 * (cut short by a crash or a full disk) is cut off, with a warning, and a
 * complete one gets its newline; a file that is invalid otherwise is not
 * appended to at all. */
static int repair_tail(int fd, const char *path)
{
	struct stat st;
	char last;
	if (fstat(fd, &st) < 0)
		return error_set("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return error_setc(GVAB_EDATA, "%s: not a regular file", path);
	if (st.st_size == 0 || pread(fd, &last, 1, st.st_size - 1) != 1 || last == '\n')
		return 0;
	struct samples_file f;
	int rc = samples_load_ex(path, NULL, 0, SAMPLES_QUIET_TORN, &f);
	if (rc < 0)
		return rc;
	if (f.torn_line) {
		fprintf(stderr, "gvab: warning: %s:%d: incomplete last line (a write cut short) removed "
		                "before appending\n", path, f.torn_line);
		if (ftruncate(fd, (off_t)f.valid_len) < 0)
			rc = error_set("%s: truncating the torn last line: %s", path, strerror(errno));
	} else if (write(fd, "\n", 1) != 1) {
		rc = error_set("%s: %s", path, strerror(errno));
	}
	samples_free(&f);
	return rc;
}

int samples_open(struct samples_writer *w, const char *path)
{
	/* O_NOFOLLOW: a run directory may come from another machine. */
	w->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (w->fd < 0)
		return error_set("%s: %s", path, strerror(errno));
	int rc = repair_tail(w->fd, path);
	if (rc < 0) {
		close(w->fd);
		w->fd = -1;
	}
	return rc;
}

/* Copies src into dst (size n), each byte that does not start valid UTF-8
 * turned into '?'. */
static void utf8_scrub(char *dst, const char *src, size_t n)
{
	size_t len = strnlen(src, n - 1), i = 0;
	while (i < len) {
		size_t k = jsontext_utf8_len((const unsigned char *)src + i, len - i);
		if (k == 0) {
			dst[i++] = '?';
			continue;
		}
		memcpy(dst + i, src + i, k);
		i += k;
	}
	dst[i] = '\0';
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
		/* The error quotes runsc's stderr, which may be any bytes; the
		 * reader takes UTF-8 only. */
		char err[sizeof r->error];
		utf8_scrub(err, r->error, sizeof err);
		cJSON_AddStringToObject(o, "error", err);
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

/* Largest time a sample may hold: 10^15 ns (11.6 days). Anything larger is
 * not a boot, and keeps every later conversion (int64, sums, ms doubles)
 * exact and defined. */
#define MAX_NS 1e15

struct line_ctx {
	const char *path;
	int lineno;
};

/* An integer-valued, finite JSON number within [lo, hi]. */
static int get_int(const struct line_ctx *c, const cJSON *o, const char *k, int required,
                   double lo, double hi, double *v)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!j) {
		if (required)
			return error_setc(GVAB_EDATA, "%s:%d: field %s missing", c->path, c->lineno, k);
		return 1;
	}
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble < lo ||
	    j->valuedouble > hi || j->valuedouble != floor(j->valuedouble))
		return error_setc(GVAB_EDATA, "%s:%d: field %s: expected an integer in [%.0f, %.0f]",
		                  c->path, c->lineno, k, lo, hi);
	*v = j->valuedouble;
	return 0;
}

/* A finite number within [lo, hi]. */
static int check_num(const struct line_ctx *c, const cJSON *j, const char *what, double lo,
                     double hi)
{
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble < lo ||
	    j->valuedouble > hi)
		return error_setc(GVAB_EDATA, "%s:%d: field %s: expected a number in [%g, %g]", c->path,
		                  c->lineno, what, lo, hi);
	return 0;
}

/* An object whose members are all finite numbers in [lo, hi], with
 * printable keys (they become table rows and chart labels). */
static int check_num_object(const struct line_ctx *c, const cJSON *o, const char *what, double lo,
                            double hi)
{
	if (!cJSON_IsObject(o))
		return error_setc(GVAB_EDATA, "%s:%d: field %s: expected an object", c->path, c->lineno,
		                  what);
	/* Tables and charts look keys up one by one; a boot's init trace has a
	 * few hundred packages. */
	if (cJSON_GetArraySize(o) > 20000)
		return error_setc(GVAB_EDATA, "%s:%d: field %s: more than 20000 entries", c->path,
		                  c->lineno, what);
	const cJSON *e;
	cJSON_ArrayForEach(e, o) {
		char where[160];
		snprintf(where, sizeof where, "%s.%.100s", what, e->string);
		if (jsontext_check_name(e->string, 512) < 0)
			return error_setc(GVAB_EDATA, "%s:%d: field %s: a key is empty, too long or has "
			                  "control characters", c->path, c->lineno, what);
		if (check_num(c, e, where, lo, hi) < 0)
			return GVAB_EDATA;
	}
	return 0;
}

/* Per-boot counts: finite numbers in [0, 1e15], and optionally
 * "unavailable": {NAME: "why"} for the counts this boot could not make
 * (samples_extra writes it so, never a 0 that was not counted). */
static int check_counts_object(const struct line_ctx *c, const cJSON *o, const char *what)
{
	if (!cJSON_IsObject(o))
		return error_setc(GVAB_EDATA, "%s:%d: field %s: expected an object", c->path, c->lineno,
		                  what);
	cJSON *copy = cJSON_Duplicate(o, 1);
	cJSON *na = cJSON_DetachItemFromObjectCaseSensitive(copy, "unavailable");
	int rc = check_num_object(c, copy, what, 0, 1e15);
	cJSON_Delete(copy);
	const cJSON *e;
	if (rc == 0 && na && !cJSON_IsObject(na))
		rc = error_setc(GVAB_EDATA, "%s:%d: field %s.unavailable: expected an object", c->path,
		                c->lineno, what);
	const cJSON *names = rc == 0 ? na : NULL;
	cJSON_ArrayForEach(e, names) {
		if (jsontext_check_name(e->string, 512) < 0 || !cJSON_IsString(e)) {
			rc = error_setc(GVAB_EDATA, "%s:%d: field %s.unavailable: expected NAME: \"why\" "
			                "strings", c->path, c->lineno, what);
			break;
		}
	}
	cJSON_Delete(na);
	return rc;
}

/* The instrument members an instrumented run adds ("internal", "syscalls",
 * "inittrace", "workload", "memory"), checked to the shape the report reads; detached from `o`
 * into a new object (NULL when the line has none). */
static int take_instruments(const struct line_ctx *c, cJSON *o, cJSON **out)
{
	*out = NULL;
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(o, "internal");
	if (in) {
		if (!cJSON_IsObject(in))
			return error_setc(GVAB_EDATA, "%s:%d: field internal: expected an object", c->path,
			                  c->lineno);
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(in, "markers");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "timers_ms");
		/* Marker offsets span at most a month of days (glog times). */
		if ((m && check_num_object(c, m, "internal.markers", -1e10, 1e10) < 0) ||
		    (t && check_num_object(c, t, "internal.timers_ms", -1e14, 1e14) < 0))
			return GVAB_EDATA;
	}
	const cJSON *sy = cJSON_GetObjectItemCaseSensitive(o, "syscalls");
	if (sy && check_counts_object(c, sy, "syscalls") < 0)
		return GVAB_EDATA;
	const cJSON *hw = cJSON_GetObjectItemCaseSensitive(o, "hw");
	if (hw && check_counts_object(c, hw, "hw") < 0)
		return GVAB_EDATA;
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "inittrace");
	if (it) {
		if (!cJSON_IsObject(it))
			return error_setc(GVAB_EDATA, "%s:%d: field inittrace: expected an object", c->path,
			                  c->lineno);
		if (check_num(c, cJSON_GetObjectItemCaseSensitive(it, "total_ms"), "inittrace.total_ms", 0,
		              1e9) < 0 ||
		    check_num(c, cJSON_GetObjectItemCaseSensitive(it, "processes"), "inittrace.processes",
		              0, 1e6) < 0 ||
		    check_num_object(c, cJSON_GetObjectItemCaseSensitive(it, "packages_ms"),
		                     "inittrace.packages_ms", 0, 1e9) < 0)
			return GVAB_EDATA;
		const cJSON *pm = cJSON_GetObjectItemCaseSensitive(it, "processes_ms");
		if (pm && check_num_object(c, pm, "inittrace.processes_ms", 0, 1e9) < 0)
			return GVAB_EDATA;
	}
	/* Optional objects of numbers, each member within [lo, hi]. */
	static const struct {
		const char *key;
		double lo;
	} nums[] = {
		{"workload", 0}, /* the workload's own timing of its hot loop */
		{"memory", -1},  /* medians over a boot's memory samples (footprint.h) */
		{"cpu", 0},      /* CPU time of a boot's processes (user_ns, sys_ns) */
		{"faults", 0},   /* page faults of a boot's processes (minor, major) */
	};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, nums[i].key);
		if (v && check_num_object(c, v, nums[i].key, nums[i].lo, 1e15) < 0)
			return GVAB_EDATA;
	}
	static const char *const keys[] = {"internal", "syscalls", "inittrace", "workload", "memory", "cpu",
	                                   "faults", "hw"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		cJSON *e = cJSON_DetachItemFromObjectCaseSensitive(o, keys[i]);
		if (!e)
			continue;
		if (!*out)
			*out = cJSON_CreateObject();
		cJSON_AddItemToObject(*out, keys[i], e);
	}
	return 0;
}

/* One line, parsed and checked, into *s. */
static int parse_line(const struct line_ctx *c, cJSON *o, size_t nlines, struct samples_file *out,
                      struct sample *s)
{
	memset(s, 0, sizeof *s);
	if (!cJSON_IsObject(o))
		return error_setc(GVAB_EDATA, "%s:%d: not a JSON object", c->path, c->lineno);
	const cJSON *arm = cJSON_GetObjectItemCaseSensitive(o, "arm");
	if (!cJSON_IsString(arm) || jsontext_check_name(arm->valuestring, 255) < 0)
		return error_setc(GVAB_EDATA, "%s:%d: field arm: expected a name (1-255 bytes of "
		                  "printable UTF-8)", c->path, c->lineno);
	static const char *const bools[] = {"ok", "warmup"};
	for (int i = 0; i < 2; i++)
		if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, bools[i])))
			return error_setc(GVAB_EDATA, "%s:%d: field %s: expected true or false", c->path,
			                  c->lineno, bools[i]);
	double v;
	if (get_int(c, o, "seq", 1, 0, INT_MAX - 1, &v) < 0)
		return GVAB_EDATA;
	s->seq = (int)v;
	/* Every round has a line of its own, so a round beyond the line count
	 * is not one gvab wrote (and would size the paired analysis). */
	if (get_int(c, o, "round", 1, 0, (double)(nlines ? nlines - 1 : 0), &v) < 0)
		return GVAB_EDATA;
	s->round = (int)v;
	s->warmup = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "warmup"));
	s->ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
	int r = get_int(c, o, "exit_status", 0, -1, 65535, &v);
	if (r < 0)
		return GVAB_EDATA;
	s->exit_status = r == 0 ? (int)v : -1;
	r = get_int(c, o, "t_ns", 0, 0, 1e18, &v);
	if (r < 0)
		return GVAB_EDATA;
	s->t_ns = r == 0 ? (int64_t)v : 0;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
	if (kind && !(cJSON_IsString(kind) && strcmp(kind->valuestring, "exec") == 0))
		return error_setc(GVAB_EDATA, "%s:%d: field kind: expected \"exec\"", c->path, c->lineno);
	s->kind = kind != NULL;
	if (s->ok && s->kind) {
		if (get_int(c, o, "exec_ns", 1, 0, MAX_NS, &v) < 0)
			return GVAB_EDATA;
		s->exec_ns = (int64_t)v;
	} else if (s->ok) {
		for (int p = 0; p < PH_COUNT; p++) {
			char key[32];
			snprintf(key, sizeof key, "%s_ns", sample_phase_names[p]);
			if (get_int(c, o, key, 1, 0, MAX_NS, &v) < 0)
				return GVAB_EDATA;
			s->ns[p] = (int64_t)v;
		}
	}
	/* With run.json's arms given, a line of any other arm is not this
	 * run's (a report would show an arm the run never had). */
	if (out->known_arms && samples_arm_index(out, arm->valuestring) < 0)
		return error_setc(GVAB_EDATA, "%s:%d: field arm: '%s' is not an arm of run.json", c->path,
		                  c->lineno, arm->valuestring);
	/* Arms are looked up by name for every line: keep them few. */
	if (out->narms >= SAMPLES_MAX_ARMS && samples_arm_index(out, arm->valuestring) < 0)
		return error_setc(GVAB_EDATA, "%s:%d: field arm: more than %d arms", c->path, c->lineno,
		                  SAMPLES_MAX_ARMS);
	if (take_instruments(c, o, &s->instr) < 0)
		return GVAB_EDATA;
	s->ns[PH_CPU] = -1;
	const cJSON *cpu = s->instr ? cJSON_GetObjectItemCaseSensitive(s->instr, "cpu") : NULL;
	const cJSON *cu = cJSON_GetObjectItemCaseSensitive(cpu, "user_ns");
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(cpu, "sys_ns");
	if (s->ok && !s->kind && cJSON_IsNumber(cu) && cJSON_IsNumber(cs))
		s->ns[PH_CPU] = (int64_t)cu->valuedouble + (int64_t)cs->valuedouble;
	s->arm = add_arm(out, arm->valuestring);
	return 0;
}

/* True when s[0..n) can be the start of a JSON value, but is not a whole
 * one: what a line cut short by a crash or a full disk looks like. A line
 * that goes wrong before its end ("{"seq":1}x", "garbage") is not torn but
 * invalid. A small pushdown scanner: containers on a stack, and what may
 * come next. */
static int json_torn_prefix(const char *s, size_t n)
{
	enum { VALUE, FIRST_KEY, KEY, COLON, NEXT, FIRST_VALUE } want = VALUE;
	char stack[256];
	size_t depth = 0, i = 0;
	int done = 0;
	while (i < n) {
		char ch = s[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			i++;
			continue;
		}
		if (done)
			return 0;
		if (want == COLON) {
			if (ch != ':')
				return 0;
			want = VALUE;
			i++;
			continue;
		}
		if (want == NEXT) {
			char top = stack[depth - 1];
			if (ch == ',') {
				want = top == '{' ? KEY : VALUE;
			} else if (ch == (top == '{' ? '}' : ']')) {
				if (--depth == 0)
					done = 1;
			} else {
				return 0;
			}
			i++;
			continue;
		}
		if ((want == FIRST_KEY && ch == '}') || (want == FIRST_VALUE && ch == ']')) {
			if (--depth == 0)
				done = 1;
			else
				want = NEXT;
			i++;
			continue;
		}
		int is_key = want == FIRST_KEY || want == KEY;
		if (ch == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\' && ++i < n && !strchr("\"\\/bfnrtu", s[i]))
					return 0;
			if (i >= n)
				return 1; /* cut inside a string */
			i++;
		} else if (is_key) {
			return 0;
		} else if (ch == '{' || ch == '[') {
			if (depth == sizeof stack)
				return 0;
			stack[depth++] = ch;
			want = ch == '{' ? FIRST_KEY : FIRST_VALUE;
			i++;
			continue;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			while (i < n && strchr("+-.0123456789eE", s[i]))
				i++;
			if (i >= n)
				return 1; /* cut inside a number */
		} else {
			static const char *const lits[] = {"true", "false", "null"};
			size_t k, m = 0;
			for (k = 0; k < 3; k++) {
				size_t l = strlen(lits[k]);
				for (m = 0; m < l && i + m < n && s[i + m] == lits[k][m]; m++)
					;
				if (m == l || i + m == n)
					break;
			}
			if (k == 3)
				return 0;
			if (i + m == n && m < strlen(lits[k]))
				return 1; /* cut inside a literal */
			i += m;
		}
		/* A scalar (or key) ended. */
		if (is_key)
			want = COLON;
		else if (depth == 0)
			done = 1;
		else
			want = NEXT;
	}
	return !done;
}

int samples_load_ex(const char *path, char *const *order, size_t norder, int flags,
                    struct samples_file *out)
{
	memset(out, 0, sizeof *out);
	size_t len;
	char *text = util_read_file(path, &len);
	if (!text)
		return error_wrap(GVAB_EDATA, "samples");
	out->valid_len = len;
	for (size_t i = 0; i < norder; i++)
		add_arm(out, order[i]);
	out->known_arms = norder > 0;
	size_t nlines = len && text[len - 1] != '\n';
	for (size_t i = 0; i < len; i++)
		nlines += text[i] == '\n';
	struct line_ctx c = {.path = path};
	int rc = 0;
	size_t cap = 0;
	for (size_t off = 0; off < len && rc == 0;) {
		char *line = text + off, *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off;
		size_t next = off + ll + (nl ? 1 : 0);
		c.lineno++;
		if (memchr(line, '\0', ll)) {
			rc = error_setc(GVAB_EDATA, "%s:%d: NUL byte in the line", path, c.lineno);
			break;
		}
		if (jsontext_check_text(path, c.lineno, line, ll) < 0) {
			rc = GVAB_EDATA;
			break;
		}
		line[ll] = '\0';
		size_t lead = strspn(line, " \t\r");
		if (lead == ll) { /* blank */
			off = next;
			continue;
		}
		cJSON *o = cJSON_ParseWithLengthOpts(line, ll + 1, NULL, 1);
		if (!o) {
			/* Only the last line, without its newline, and cut off mid-value
			 * is a torn write; anything else is invalid data. */
			if (!nl && json_torn_prefix(line, ll)) {
				out->torn_line = c.lineno;
				out->valid_len = off;
				if (!(flags & SAMPLES_QUIET_TORN))
					fprintf(stderr, "gvab: warning: %s:%d: incomplete last line (a write cut "
					                "short) ignored\n", path, c.lineno);
				break;
			}
			rc = error_setc(GVAB_EDATA, "%s:%d: not valid JSON", path, c.lineno);
			break;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 256;
			out->s = util_xrealloc(out->s, cap * sizeof *out->s);
		}
		rc = jsontext_check_keys(path, c.lineno, o);
		if (rc == 0)
			rc = parse_line(&c, o, nlines, out, &out->s[out->n]);
		cJSON_Delete(o);
		if (rc == 0)
			out->n++;
		off = next;
	}
	free(text);
	if (rc < 0)
		samples_free(out);
	return rc;
}

int samples_load(const char *path, char *const *order, size_t norder, struct samples_file *out)
{
	return samples_load_ex(path, order, norder, 0, out);
}

void samples_free(struct samples_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		cJSON_Delete(f->s[i].instr);
	for (size_t i = 0; i < f->narms; i++)
		free(f->arms[i]);
	free(f->arms);
	free(f->s);
	memset(f, 0, sizeof *f);
}
