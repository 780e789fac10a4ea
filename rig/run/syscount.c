/* syscount: see syscount.h. */
#define _GNU_SOURCE
#include "syscount.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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
 * perf counters (perfcount.h) are opened by id and need no mount afterwards,
 * and the host is left with exactly the mounts it had. */
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
