/* syscount: see syscount.h. */
#define _GNU_SOURCE
#include "syscount.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static long read_id(const char *root, const char *event)
{
	char *p = util_fmt("%s/events/%s/id", root, event);
	char buf[32];
	long id = -1;
	if (util_read_line(p, buf, sizeof buf) == 0)
		id = strtol(buf, NULL, 10);
	free(p);
	return id;
}

/* The tracepoint id comes from tracefs. It is not always mounted at boot (on
 * a fresh machine of this project's kind /sys/kernel/tracing was empty), so
 * when neither usual mount point has it, gvab mounts a tracefs instance of
 * its own on a fresh private directory, reads the id and unmounts it at once:
 * the perf counters are opened by id and need no mount afterwards, and the
 * host is left with exactly the mounts it had. */
long syscount_tracepoint_id(const char *event)
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	for (size_t i = 0; i < 2; i++) {
		long id = read_id(roots[i], event);
		if (id >= 0)
			return id;
	}
	char dir[] = "/tmp/gvab-tracefs-XXXXXX";
	if (!mkdtemp(dir))
		return error_setc(GVAB_EPRECOND, "tracepoint %s: tracefs not mounted, and mkdtemp failed: %s",
		                  event, strerror(errno));
	long id;
	if (mount("nodev", dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		int e = errno;
		rmdir(dir);
		return error_setc(GVAB_EPRECOND,
		                  "tracepoint %s: tracefs is not mounted and mounting it failed: %s%s", event,
		                  strerror(e), e == EPERM ? " (needs root / CAP_SYS_ADMIN)" : "");
	}
	id = read_id(dir, event);
	if (umount2(dir, MNT_DETACH) < 0)
		fprintf(stderr, "gvab: warning: unmounting %s: %s\n", dir, strerror(errno));
	rmdir(dir);
	if (id < 0)
		return error_setc(GVAB_EPRECOND,
		                  "tracepoint %s not found in tracefs (kernel built without it?)", event);
	return id;
}

int syscount_open(struct syscount *s, const char *event, const char *filter)
{
	memset(s, 0, sizeof *s);
	long id = syscount_tracepoint_id(event);
	if (id < 0)
		return (int)id;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpu > SYSCOUNT_MAX_CPUS)
		ncpu = SYSCOUNT_MAX_CPUS;
	struct perf_event_attr a;
	memset(&a, 0, sizeof a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof a;
	a.config = (unsigned long long)id;
	a.disabled = 1;
	for (long cpu = 0; cpu < ncpu; cpu++) {
		int fd = (int)syscall(SYS_perf_event_open, &a, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV || errno == EINVAL)
				continue; /* offline CPU */
			int e = errno;
			syscount_close(s);
			return error_setc(GVAB_EPRECOND, "perf_event_open(%s, cpu %ld): %s", event, cpu,
			                  strerror(e));
		}
		if (filter && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter) < 0) {
			int e = errno;
			close(fd);
			syscount_close(s);
			return error_setc(GVAB_EPRECOND, "filter '%s' on %s: %s", filter, event, strerror(e));
		}
		s->fds[s->n++] = fd;
	}
	if (s->n == 0)
		return error_setc(GVAB_EPRECOND, "perf_event_open(%s): no CPU accepted it", event);
	return 0;
}

int syscount_start(struct syscount *s)
{
	for (int i = 0; i < s->n; i++)
		if (ioctl(s->fds[i], PERF_EVENT_IOC_RESET, 0) < 0 ||
		    ioctl(s->fds[i], PERF_EVENT_IOC_ENABLE, 0) < 0)
			return error_set("perf event enable: %s", strerror(errno));
	return 0;
}

int syscount_stop(struct syscount *s, long long *count)
{
	long long total = 0;
	for (int i = 0; i < s->n; i++) {
		unsigned long long v = 0;
		ioctl(s->fds[i], PERF_EVENT_IOC_DISABLE, 0);
		if (read(s->fds[i], &v, sizeof v) != (ssize_t)sizeof v)
			return error_set("perf event read: %s", strerror(errno));
		total += (long long)v;
	}
	*count = total;
	return 0;
}

void syscount_close(struct syscount *s)
{
	for (int i = 0; i < s->n; i++)
		close(s->fds[i]);
	s->n = 0;
}
