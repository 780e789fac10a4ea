/* instrument: see instrument.h. */
#define _GNU_SOURCE
#include "instrument.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Markers seen in gVisor 20240729's logs on this host kind (a --debug-log
 * run of build/arms/stock/runsc, 2026-11-22; tests/fixtures holds one), keyed by a short
 * name. Only the first occurrence per process counts. */
static const struct {
	const char *name;
	const char *needle;
} markers[] = {
	{"create_container", "Create container, cid:"},
	{"gofer_started", "Gofer started, PID:"},
	{"sandbox_started", "Sandbox started, PID:"},
	{"chroot", "Setting up sandbox chroot"},
	{"loader_cpus", "] CPUs:"},
	{"seccomp", "Installing seccomp filters for"},
	{"process_started", "Process should have started"},
	{"start_container", "Start container, cid:"},
	{"exit", "Exiting with status:"},
};
#define NMARKERS (sizeof markers / sizeof markers[0])

long long instrument_glog_time_us(const char *l)
{
	int mo, d, h, mi, s, us;
	char sev;
	if (sscanf(l, "%c%2d%2d %d:%d:%d.%6d", &sev, &mo, &d, &h, &mi, &s, &us) != 7)
		return -1;
	if (!sev || !strchr("IWEDF", sev))
		return -1;
	/* Ranges of a real time of day; any other digits would make marker
	 * offsets of millions of years. */
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
	    s > 60 || us < 0 || us > 999999)
		return -1;
	/* Day of month keeps a boot that crosses midnight ordered. */
	return ((((long long)d * 24 + h) * 60 + mi) * 60 + s) * 1000000LL + us;
}

/* "runsc.log.20261122-184435.220637.boot.txt" -> "boot" */
static int process_kind(const char *fname, char *kind, size_t len)
{
	size_t n = strlen(fname);
	if (n < 5 || strcmp(fname + n - 4, ".txt") != 0)
		return -1;
	const char *end = fname + n - 4, *start = end;
	while (start > fname && start[-1] != '.')
		start--;
	if (start == fname || (size_t)(end - start) >= len)
		return -1;
	memcpy(kind, start, (size_t)(end - start));
	kind[end - start] = '\0';
	return 0;
}

/* pkg/timing lines of newer releases. Their debug log carries one event a
 * line, as timing.go's Timer.Log writes it:
 *   "<root> timing data: <unixnano> <hh:mm:ss.ns> start <timeline>"
 *   "<root> timing data: <unixnano> <hh:mm:ss.ns> mid <timeline> = <point>"
 *   "<root> timing data: <unixnano> <hh:mm:ss.ns> end <timeline>"
 * and an older form "Timer for <X>: time <unixnano> ... start|end" is read too.
 * Events are kept per "<root>/<timeline>" as start_ns, end_ns, mid:<point>. */
/* The timers of one boot's logs: times are kept relative to the first
 * event seen (base), since unix nanoseconds (~1.8e18) do not fit a
 * double's 53-bit mantissa. */
struct timing_acc {
	cJSON *timers;
	long long base;
	int have_base;
};

/* Keys become JSON member names that the samples reader takes only as
 * printable text: control characters from a log line become '_'. */
static void printable_key(char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f)
			*k = '_';
}

static void timing_event(struct timing_acc *acc, char *key, char *what, long long ns)
{
	printable_key(key);
	printable_key(what);
	if (!acc->have_base) {
		acc->base = ns;
		acc->have_base = 1;
	}
	/* A time this far from the first is no boot's (and would overflow). */
	if (__builtin_sub_overflow(ns, acc->base, &ns))
		return;
	cJSON *e = cJSON_GetObjectItemCaseSensitive(acc->timers, key);
	if (!e)
		e = cJSON_AddObjectToObject(acc->timers, key);
	if (!cJSON_GetObjectItemCaseSensitive(e, what))
		cJSON_AddNumberToObject(e, what, (double)ns);
}

static void parse_timing_line(const char *l, struct timing_acc *acc)
{
	const char *td = strstr(l, " timing data: ");
	if (td) {
		const char *rb = strstr(l, "] ");
		char root[128], hms[40], kind[8];
		long long ns;
		int n = 0;
		if (!rb || rb > td)
			return;
		snprintf(root, sizeof root, "%.*s", (int)(td - (rb + 2)), rb + 2);
		if (sscanf(td, " timing data: %lld %39s %7s %n", &ns, hms, kind, &n) < 3 || !n)
			return;
		const char *rest = td + n, *eq = strstr(rest, " = ");
		size_t tl = eq ? (size_t)(eq - rest) : strcspn(rest, "\r\n");
		char key[300];
		snprintf(key, sizeof key, "%s/%.*s", root, (int)tl, rest);
		if (strcmp(kind, "start") == 0)
			timing_event(acc, key, (char[]){"start_ns"}, ns);
		else if (strcmp(kind, "end") == 0)
			timing_event(acc, key, (char[]){"end_ns"}, ns);
		else if (strcmp(kind, "mid") == 0 && eq) {
			char what[200];
			snprintf(what, sizeof what, "mid:%.*s", (int)strcspn(eq + 3, "\r\n"), eq + 3);
			timing_event(acc, key, what, ns);
		}
		return;
	}
	const char *tf = strstr(l, "Timer for ");
	if (tf) {
		char name[128];
		long long ns;
		if (sscanf(tf, "Timer for %127[^:]: time %lld", name, &ns) == 2) {
			if (strstr(tf, " end"))
				timing_event(acc, name, (char[]){"end_ns"}, ns);
			else if (strstr(tf, " start"))
				timing_event(acc, name, (char[]){"start_ns"}, ns);
		}
	}
}

cJSON *instrument_parse_debug_logs(const char *dir)
{
	struct dirent **ents = NULL;
	int k = scandir(dir, &ents, NULL, alphasort);
	if (k < 0) {
		error_set("%s: cannot read debug logs", dir);
		return NULL;
	}
	struct {
		char kind[32];
		long long first;
		long long at[NMARKERS];
	} procs[16];
	size_t np = 0;
	long long t0 = -1;
	cJSON *timers = cJSON_CreateObject();
	struct timing_acc acc = {timers, 0, 0};
	for (int i = 0; i < k; i++) {
		char kind[32];
		if (np < 16 && process_kind(ents[i]->d_name, kind, sizeof kind) == 0) {
			char *p = util_fmt("%s/%s", dir, ents[i]->d_name);
			char *text = util_read_file(p, NULL);
			free(p);
			if (text) {
				snprintf(procs[np].kind, sizeof procs[np].kind, "%s", kind);
				procs[np].first = -1;
				for (size_t m = 0; m < NMARKERS; m++)
					procs[np].at[m] = -1;
				for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
				     l = strtok_r(NULL, "\n", &save)) {
					long long t = instrument_glog_time_us(l);
					if (t < 0)
						continue;
					if (procs[np].first < 0)
						procs[np].first = t;
					for (size_t m = 0; m < NMARKERS; m++)
						if (procs[np].at[m] < 0 && strstr(l, markers[m].needle))
							procs[np].at[m] = t;
					parse_timing_line(l, &acc);
				}
				if (procs[np].first >= 0) {
					if (t0 < 0 || procs[np].first < t0)
						t0 = procs[np].first;
					np++;
				}
				free(text);
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (np == 0) {
		cJSON_Delete(timers);
		error_set("%s: no runsc debug logs", dir);
		return NULL;
	}
	cJSON *out = cJSON_CreateObject();
	cJSON *mk = cJSON_AddObjectToObject(out, "markers");
	for (size_t p = 0; p < np; p++) {
		char key[2048];
		snprintf(key, sizeof key, "%s:first_line", procs[p].kind);
		cJSON_AddNumberToObject(mk, key, (double)(procs[p].first - t0) / 1000.0);
		for (size_t m = 0; m < NMARKERS; m++)
			if (procs[p].at[m] >= 0) {
				snprintf(key, sizeof key, "%s:%s", procs[p].kind, markers[m].name);
				cJSON_AddNumberToObject(mk, key, (double)(procs[p].at[m] - t0) / 1000.0);
			}
	}
	/* Timer intervals in ms (end - start) where both were seen. */
	cJSON *tm = cJSON_AddObjectToObject(out, "timers_ms");
	cJSON *e;
	cJSON_ArrayForEach(e, timers) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "start_ns");
		const cJSON *en = cJSON_GetObjectItemCaseSensitive(e, "end_ns");
		if (!cJSON_IsNumber(st))
			continue;
		if (cJSON_IsNumber(en))
			cJSON_AddNumberToObject(tm, e->string, (en->valuedouble - st->valuedouble) / 1e6);
		/* Mid points: ms after their timeline's start ("root/timeline=point"). */
		const cJSON *m;
		cJSON_ArrayForEach(m, e) {
			if (strncmp(m->string, "mid:", 4) != 0)
				continue;
			char *midkey = util_fmt("%s=%s", e->string, m->string + 4);
			cJSON_AddNumberToObject(tm, midkey, (m->valuedouble - st->valuedouble) / 1e6);
			free(midkey);
		}
	}
	cJSON_Delete(timers);
	return out;
}

/* One "init <pkg> @<t> ms, <c> ms clock" record at p. sscanf runs on a
 * bounded copy: on the whole remaining text it would measure that text for
 * every record, quadratic in a large trace. The %n proves the literal
 * " ms clock" matched too: in interleaved output a record can lose its
 * clock field ("@2.4 ms, 1488 bytes"). */
static int scan_record(const char *p, char pkg[256], double *at, double *clock)
{
	char rec[384];
	size_t n = strnlen(p, sizeof rec - 1);
	memcpy(rec, p, n);
	rec[n] = '\0';
	int end = 0;
	if (sscanf(rec, "init %255s @%lf ms, %lf ms clock%n", pkg, at, clock, &end) != 3 || !end)
		return -1;
	for (const char *c = pkg; *c; c++) /* a member name the samples reader takes */
		if ((unsigned char)*c < 0x21 || *c == 0x7f)
			return -1;
	/* "nan" and "inf" parse as numbers; JSON would write them as null and
	 * the samples reader would then refuse the whole run. */
	if (!isfinite(*clock) || *clock < 0 || *clock > 1e9)
		return -1;
	return 0;
}

cJSON *instrument_inittrace_new(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "total_ms", 0);
	cJSON_AddNumberToObject(o, "processes", 0);
	cJSON_AddObjectToObject(o, "packages_ms");
	return o;
}

void instrument_inittrace_add(cJSON *acc, const char *text)
{
	cJSON *pk = cJSON_GetObjectItemCaseSensitive(acc, "packages_ms");
	cJSON *tot = cJSON_GetObjectItemCaseSensitive(acc, "total_ms");
	cJSON *procs = cJSON_GetObjectItemCaseSensitive(acc, "processes");
	for (const char *p = strstr(text, "init "); p; p = strstr(p + 5, "init ")) {
		char pkg[256];
		double at, clock;
		if (scan_record(p, pkg, &at, &clock) < 0)
			continue;
		if (strcmp(pkg, "internal/bytealg") == 0)
			cJSON_SetNumberValue(procs, procs->valuedouble + 1);
		cJSON *e = cJSON_GetObjectItemCaseSensitive(pk, pkg);
		if (e)
			cJSON_SetNumberValue(e, e->valuedouble + clock);
		else
			cJSON_AddNumberToObject(pk, pkg, clock);
		cJSON_SetNumberValue(tot, tot->valuedouble + clock);
	}
}

int instrument_inittrace_add_dir(cJSON *acc, const char *dir)
{
	struct dirent **ents = NULL;
	int k = scandir(dir, &ents, NULL, alphasort);
	if (k < 0)
		return error_set("%s: cannot read", dir);
	for (int i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.') {
			char *p = util_fmt("%s/%s", dir, ents[i]->d_name);
			char *t = util_read_file(p, NULL);
			if (t)
				instrument_inittrace_add(acc, t);
			free(t);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

/* Sum of clock ms and number of process starts in text. */
static double sum_records(const char *text, const char *end, int *starts)
{
	double sum = 0;
	*starts = 0;
	for (const char *p = strstr(text, "init "); p && (!end || p < end); p = strstr(p + 5, "init ")) {
		char pkg[256];
		double at, clock;
		if (scan_record(p, pkg, &at, &clock) < 0)
			continue;
		if (strcmp(pkg, "internal/bytealg") == 0)
			(*starts)++;
		sum += clock;
	}
	return sum;
}

cJSON *instrument_inittrace_processes(const char *stderr_text, const char *debug_dir)
{
	static const char *const order[] = {"create", "start", "delete"};
	cJSON *o = cJSON_CreateObject();
	if (stderr_text) {
		/* Segment boundaries: each process's first record. */
		const char *seg[8];
		int nseg = 0;
		for (const char *p = strstr(stderr_text, "init internal/bytealg "); p && nseg < 8;
		     p = strstr(p + 1, "init internal/bytealg "))
			seg[nseg++] = p;
		for (int i = 0; i < nseg; i++) {
			int starts;
			double ms = sum_records(seg[i], i + 1 < nseg ? seg[i + 1] : NULL, &starts);
			char name[32];
			if (i < 3)
				snprintf(name, sizeof name, "%s", order[i]);
			else
				snprintf(name, sizeof name, "process%d", i + 1);
			cJSON_AddNumberToObject(o, name, ms);
		}
	}
	struct dirent **ents = NULL;
	int k = debug_dir ? scandir(debug_dir, &ents, NULL, alphasort) : -1;
	for (int i = 0; i < k; i++) {
		char kind[32];
		if (process_kind(ents[i]->d_name, kind, sizeof kind) == 0) {
			char *p = util_fmt("%s/%s", debug_dir, ents[i]->d_name);
			char *t = util_read_file(p, NULL);
			if (t) {
				int starts;
				double ms = sum_records(t, NULL, &starts);
				if (starts > 0 || ms > 0) {
					char name[48];
					/* The sandbox writes its trace into the gofer's log. */
					snprintf(name, sizeof name, "%s%s", kind,
					         strcmp(kind, "gofer") == 0 ? "+sandbox" : "");
					cJSON *e = cJSON_GetObjectItemCaseSensitive(o, name);
					if (e)
						cJSON_SetNumberValue(e, e->valuedouble + ms);
					else
						cJSON_AddNumberToObject(o, name, ms);
				}
			}
			free(t);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	return o;
}

char **instrument_inittrace_env(void)
{
	extern char **environ;
	size_t ne = 0;
	while (environ[ne])
		ne++;
	char **envp = util_xcalloc(ne + 2, sizeof *envp);
	size_t k = 0;
	const char *gd = getenv("GODEBUG");
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "GODEBUG=", 8) != 0)
			envp[k++] = util_xstrdup(environ[i]);
	envp[k++] = gd && *gd ? util_fmt("GODEBUG=%s,inittrace=1", gd) : util_xstrdup("GODEBUG=inittrace=1");
	envp[k] = NULL;
	return envp;
}

void instrument_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}
