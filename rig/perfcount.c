/* perfcount: see perfcount.h. */
#define _GNU_SOURCE
#include "perfcount.h"
#include "error.h"
#include "syscount.h"

#include <errno.h>
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

static const char *hint(int err, uint32_t type)
{
	if (err == ENOENT && type == PERF_TYPE_HARDWARE)
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
	if (fd < 0)
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
