/* perfcount: see perfcount.h. */
#define _GNU_SOURCE
#include "perfcount.h"
#include "error.h"
#include "syscount.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

void perfcount_init(struct perfcount_set *s)
{
	memset(s, 0, sizeof *s);
}

/* Opens e on pid (0: this process) with inherit; disabled until the
 * target's next exec. -errno on failure. */
static int open_on(const struct perfcount_event *e, pid_t pid)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof a);
	a.type = e->type;
	a.size = sizeof a;
	a.config = e->config;
	a.disabled = 1;
	a.enable_on_exec = 1;
	a.inherit = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Inherited counters use their top-level parent's filter (the kernel's
	 * perf_tp_filter_match), so one filter on this fd covers descendants. */
	if (e->filter[0] && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, e->filter) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* The core PMU's directory: "cpu" on x86, "cpu_core" on hybrid Intel,
 * "armv8_pmuv3*" on arm64. NULL when the host exposes none (a VM without
 * a virtual PMU). */
static const char *core_pmu_dir(char *buf, size_t len)
{
	static const char *const names[] = {"cpu", "cpu_core", "armv8_pmuv3", "armv8_pmuv3_0"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(buf, len, PERFCOUNT_PMU_ROOT "/%s", names[i]);
		if (access(buf, F_OK) == 0)
			return buf;
	}
	return NULL;
}

static int is_hw(uint32_t type)
{
	return type == PERF_TYPE_HARDWARE || type == PERF_TYPE_HW_CACHE || type == PERF_TYPE_RAW;
}

static const char *hint(int err, uint32_t type)
{
	if (err == ENOENT && is_hw(type))
		return " (no hardware PMU exposed on this host)";
	if (err == ENOENT || err == ENODEV || err == EOPNOTSUPP)
		return " (this host does not offer the event)";
	if (err == EACCES || err == EPERM)
		return " (needs root, or a lower kernel.perf_event_paranoid)";
	return "";
}

/* Fills a new entry and probes it on this process. */
static int add_entry(struct perfcount_set *s, const char *name, uint32_t type, uint64_t config,
                     const char *filter, const char *why_not)
{
	if (s->n >= PERFCOUNT_MAX_EVENTS)
		return error_set("perf counters: more than %d events", PERFCOUNT_MAX_EVENTS);
	struct perfcount_event *e = &s->ev[s->n];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	e->type = type;
	e->config = config;
	snprintf(e->filter, sizeof e->filter, "%s", filter ? filter : "");
	if (why_not) {
		snprintf(e->why, sizeof e->why, "%s", why_not);
		return (int)s->n++;
	}
	int fd = open_on(e, 0);
	char dir[128];
	if (fd < 0 && is_hw(type) && !core_pmu_dir(dir, sizeof dir))
		snprintf(e->why, sizeof e->why, "%s: no hardware PMU: " PERFCOUNT_PMU_ROOT
		         "/cpu is missing (perf_event_open: %s)", name, strerror(-fd));
	else if (fd < 0)
		snprintf(e->why, sizeof e->why, "%s: perf_event_open: %s%s", name, strerror(-fd),
		         hint(-fd, type));
	else {
		close(fd);
		e->available = 1;
	}
	return (int)s->n++;
}

int perfcount_add(struct perfcount_set *s, const char *name, uint32_t type, uint64_t config)
{
	return add_entry(s, name, type, config, NULL, NULL);
}

int perfcount_add_tracepoint(struct perfcount_set *s, const char *name, const char *tracepoint,
                             const char *filter)
{
	long id = syscount_tracepoint_id(tracepoint);
	if (id < 0) {
		char why[256];
		snprintf(why, sizeof why, "%s: %s", name, error_last());
		return add_entry(s, name, PERF_TYPE_TRACEPOINT, 0, filter, why);
	}
	return add_entry(s, name, PERF_TYPE_TRACEPOINT, (uint64_t)id, filter, NULL);
}

int perfcount_add_unavailable(struct perfcount_set *s, const char *name, uint32_t type,
                               const char *why)
{
	return add_entry(s, name, type, 0, NULL, why);
}

/* Sets the bits of `value` at "config:A-B" (or "config:A") of a PMU
 * format file; 0, or -1 when the format is not a plain config range. */
static int format_put(const char *pmu, const char *term, unsigned long long value,
                      unsigned long long *config)
{
	char path[256], buf[64];
	snprintf(path, sizeof path, "%s/format/%s", pmu, term);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int lo = -1, hi = -1, n = fgets(buf, sizeof buf, f) ? sscanf(buf, "config:%d-%d", &lo, &hi) : 0;
	fclose(f);
	if (n == 1)
		hi = lo;
	if (n < 1 || lo < 0 || hi < lo || hi > 63)
		return -1;
	unsigned long long mask = hi - lo == 63 ? ~0ULL : ((1ULL << (hi - lo + 1)) - 1);
	*config |= (value & mask) << lo;
	return 0;
}

/* "event=0x08,umask=0x0e" of PMU `pmu` into a raw config; -1 when a term
 * is not a plain config field. */
static int event_config(const char *pmu, const char *spec, unsigned long long *config)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", spec);
	buf[strcspn(buf, "\n")] = '\0';
	*config = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		unsigned long long v = 1;
		if (eq) {
			*eq = '\0';
			char *end;
			v = strtoull(eq + 1, &end, 0);
			if (*end)
				return -1;
		}
		if (format_put(pmu, t, v, config) < 0)
			return -1;
	}
	return 0;
}

int perfcount_add_named_walks(struct perfcount_set *s, size_t max)
{
	char pmu[128], path[256];
	if (!core_pmu_dir(pmu, sizeof pmu))
		return error_set("page_walks: no hardware PMU: " PERFCOUNT_PMU_ROOT "/cpu is missing");
	snprintf(path, sizeof path, "%s/events", pmu);
	DIR *d = opendir(path);
	if (!d)
		return error_set("page_walks: %s: %s", path, strerror(errno));
	char type_path[256];
	snprintf(type_path, sizeof type_path, "%s/type", pmu);
	FILE *tf = fopen(type_path, "re");
	unsigned type = 0;
	int have_type = tf && fscanf(tf, "%u", &type) == 1;
	if (tf)
		fclose(tf);
	size_t added = 0;
	struct dirent *de;
	while (have_type && added < max && (de = readdir(d))) {
		if (!strstr(de->d_name, "walk") || strchr(de->d_name, '.') == de->d_name)
			continue;
		char ev_path[512], spec[256] = "";
		snprintf(ev_path, sizeof ev_path, "%s/%s", path, de->d_name);
		FILE *f = fopen(ev_path, "re");
		int got = f && fgets(spec, sizeof spec, f);
		if (f)
			fclose(f);
		unsigned long long config;
		if (!got || event_config(pmu, spec, &config) < 0)
			continue;
		char name[48];
		snprintf(name, sizeof name, "walks:%.40s", de->d_name);
		if (add_entry(s, name, type, config, NULL, NULL) < 0)
			break;
		added++;
	}
	closedir(d);
	if (!have_type)
		return error_set("page_walks: %s unreadable", type_path);
	if (added == 0)
		return error_set("page_walks: no event of %s names a page walk", path);
	return (int)added;
}

static void close_fds(struct perfcount_event *e)
{
	for (int k = 0; k < e->nfds; k++)
		close(e->fds[k]);
	e->nfds = 0;
}

const struct perfcount_event *perfcount_get(const struct perfcount_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ev[i].name, name) == 0)
			return &s->ev[i];
	return NULL;
}

void perfcount_begin(struct perfcount_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		close_fds(&s->ev[i]);
		s->ev[i].boot_ok = 0;
		s->ev[i].count = 0;
		s->ev[i].boot_why[0] = '\0';
	}
	s->nprocs = 0;
}

int perfcount_attach(pid_t pid, void *set)
{
	struct perfcount_set *s = set;
	s->nprocs++;
	for (size_t i = 0; i < s->n; i++) {
		struct perfcount_event *e = &s->ev[i];
		if (!e->available || e->boot_why[0])
			continue; /* unavailable, or already lost for this boot */
		if (e->nfds >= PERFCOUNT_MAX_PROCS) {
			snprintf(e->boot_why, sizeof e->boot_why, "%s: more than %d processes in one boot",
			         e->name, PERFCOUNT_MAX_PROCS);
			continue;
		}
		int fd = open_on(e, pid);
		if (fd < 0) {
			snprintf(e->boot_why, sizeof e->boot_why, "%s: perf_event_open on pid %d: %s%s", e->name,
			         (int)pid, strerror(-fd), hint(-fd, e->type));
			continue;
		}
		e->fds[e->nfds++] = fd;
	}
	return 0;
}

void perfcount_collect(struct perfcount_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct perfcount_event *e = &s->ev[i];
		long long sum = 0;
		e->boot_ok = 0;
		if (e->available && !e->boot_why[0] && s->nprocs == 0)
			snprintf(e->boot_why, sizeof e->boot_why, "%s: no process of this boot was counted",
			         e->name);
		for (int k = 0; k < e->nfds && !e->boot_why[0]; k++) {
			unsigned long long v = 0;
			if (read(e->fds[k], &v, sizeof v) != (ssize_t)sizeof v)
				snprintf(e->boot_why, sizeof e->boot_why, "%s: reading the counter: %s", e->name,
				         strerror(errno));
			sum += (long long)v;
		}
		close_fds(e);
		if (e->available && !e->boot_why[0]) {
			e->boot_ok = 1;
			e->count = sum;
		}
	}
	s->nprocs = 0;
}

const char *perfcount_value(const struct perfcount_set *s, const char *name, long long *count)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct perfcount_event *e = &s->ev[i];
		if (strcmp(e->name, name) != 0)
			continue;
		if (e->boot_ok) {
			*count = e->count;
			return NULL;
		}
		return !e->available ? e->why : e->boot_why[0] ? e->boot_why : "not collected";
	}
	return "no such event in the set";
}

void perfcount_close(struct perfcount_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		close_fds(&s->ev[i]);
}
