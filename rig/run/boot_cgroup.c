/* boot_cgroup: the cgroups runsc creates for a container (named after it,
 * under every cgroup v1 and v2 mount), removed after each boot and after a
 * killed run. See boot_int.h. */
#define _GNU_SOURCE
#include "boot.h"
#include "boot_int.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Mount points of cgroup (v1) and cgroup2 file systems, from
 * /proc/self/mountinfo: hybrid hosts have both (v1 controllers under
 * /sys/fs/cgroup/<controller>, v2 at /sys/fs/cgroup/unified), pure v2 hosts
 * one at /sys/fs/cgroup. Returns how many (at most max); caller frees. */
static size_t cgroup_mounts(char **out, size_t max)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t n = 0;
	char line[4096];
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof line, f)) {
		char mnt[1024], type[64];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", type) != 1 ||
		    (strcmp(type, "cgroup") != 0 && strcmp(type, "cgroup2") != 0))
			continue;
		/* fields: id parent major:minor root mount-point ... */
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		out[n++] = util_xstrdup(mnt);
	}
	fclose(f);
	return n;
}

/* Removes cgroup directory `path` and any below it, killing the tasks
 * still in them. 0 when gone; -1 while something is left. */
static int cgroup_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	int left = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		char *sub = util_fmt("%s/%s", path, de->d_name);
		left |= cgroup_remove_tree(sub) < 0;
		free(sub);
	}
	closedir(d);
	char *procs = util_fmt("%s/cgroup.procs", path);
	FILE *f = fopen(procs, "re");
	long pid;
	while (f && fscanf(f, "%ld", &pid) == 1)
		if (pid > 1 && (pid_t)pid != getpid())
			kill((pid_t)pid, SIGKILL);
	if (f)
		fclose(f);
	free(procs);
	if (left || (rmdir(path) < 0 && errno != ENOENT))
		return -1;
	return 0;
}

/* runsc creates cgroups named after the container; delete removes them,
 * but a failed or forced delete, or a killed run, can leave them behind,
 * with tasks still in them for a moment after a SIGKILL (rmdir fails with
 * EBUSY until the kernel has reaped them). Removes <mount>/<id> under every
 * cgroup mount, retrying for up to timeout_ms; returns how many could not
 * be removed. */
int boot_remove_cgroups(const char *id, int timeout_ms)
{
	char *mounts[64];
	size_t nm = cgroup_mounts(mounts, 64);
	int64_t deadline = util_now_ns() + (int64_t)timeout_ms * 1000000;
	int left;
	for (;;) {
		left = 0;
		for (size_t i = 0; i < nm; i++) {
			char *p = util_fmt("%s/%s", mounts[i], id);
			if (util_is_dir(p) && cgroup_remove_tree(p) < 0)
				left++;
			free(p);
		}
		if (left == 0 || util_now_ns() >= deadline)
			break;
		proc_reap_nohang();
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < nm; i++)
		free(mounts[i]);
	return left;
}

