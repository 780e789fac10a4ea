/* cmd_bundle: `gvab bundle` writes the hardened OCI bundle (bundle.h). */
#define _GNU_SOURCE
#include "bundle.h"
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_OUT = 1, O_ROOTFS, O_BUSYBOX, O_MEMORY_MIB, O_CPUS, O_UID, O_GID, O_WORKLOAD, O_WALK_FILES };

static const struct opt opts[] = {
	{"out", 0, OPT_REQUIRED, "DIR", "where the bundle goes (default build/bundle)", O_OUT},
	{"rootfs", 0, OPT_REQUIRED, "DIR", "copy this directory as the rootfs instead of busybox", O_ROOTFS},
	{"busybox", 0, OPT_REQUIRED, "PATH",
	 "the static busybox copied into the rootfs (default\n"
	 "/bin/busybox, from busybox-static)", O_BUSYBOX},
	{"memory-mib", 0, OPT_REQUIRED, "N", "memory limit in MiB, 16 to 1048576 (default 512)", O_MEMORY_MIB},
	{"cpus", 0, OPT_REQUIRED, "X", "CPU limit, above 0 and up to 1024 (default 1)", O_CPUS},
	{"uid", 0, OPT_REQUIRED, "N", "the sandbox's non-root user, 1 to 65535 (default 65534)", O_UID},
	{"gid", 0, OPT_REQUIRED, "N", "its group, 1 to 65535 (default 65534)", O_GID},
	{"workload", 0, OPT_NONE, NULL,
	 "also place gvab-workload (built beside gvab) at\n"
	 "/bin/gvab-workload, and a tree of small files at /walk\n"
	 "for its statwalk mode", O_WORKLOAD},
	{"walk-files", 0, OPT_REQUIRED, "M", "files in that tree (default 2000)", O_WALK_FILES},
	{0}};

static const struct opt_cmd cmd = {
	"bundle",
	"[--out DIR] [--rootfs DIR] [--memory-mib N] [--cpus X] [--uid N --gid N]\n"
	"       [--workload [--walk-files M]] [-- ARGV...]",
	"Writes an OCI bundle for cold-boot runs: a busybox-static rootfs (or --rootfs),\n"
	"config.json for a hardened sandbox (no capabilities, noNewPrivileges, read-only\n"
	"root, non-root user, memory and CPU limits) running ARGV (default /bin/true),\n"
	"and bundle.json with the rootfs digest and config sha256.\n",
	opts, NULL,
	"bundle --out build/bundle\n"
	"bundle --out build/wl --workload -- /bin/gvab-workload spin 100000000"};

int cmd_bundle(int argc, char **argv)
{
	struct bundle_opts bo = {.out_dir = "build/bundle"};
	int rc, want_workload = 0;
	long v, walk_files = 2000;
	char *wl = NULL;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_OUT: bo.out_dir = p.arg; break;
		case O_ROOTFS: bo.rootfs_src = p.arg; break;
		case O_BUSYBOX: bo.busybox = p.arg; break;
		case O_WORKLOAD: want_workload = 1; break;
		case O_WALK_FILES:
			if (opt_long(&p, 0, 1000000, &v) == 0)
				walk_files = v;
			break;
		case O_MEMORY_MIB:
			if (opt_long(&p, 16, 1 << 20, &v) == 0)
				bo.memory_mib = v;
			break;
		case O_CPUS: {
			char *end;
			double d = strtod(p.arg, &end);
			if (*end || end == p.arg || !(d > 0) || d > 1024)
				opt_error(&p, "'%s' is not a number of CPUs above 0 and up to 1024", p.arg);
			else
				bo.cpus = d;
			break;
		}
		case O_UID:
			if (opt_long(&p, 1, 65535, &v) == 0)
				bo.uid = v;
			break;
		case O_GID:
			if (opt_long(&p, 1, 65535, &v) == 0)
				bo.gid = v;
			break;
		}
	}
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	/* The sandbox's command comes after "--" only: `gvab bundle DIR` would
	 * otherwise write build/bundle running DIR as its program. */
	if (p.ind < argc && strcmp(argv[p.ind - 1], "--") != 0)
		return opt_usage_error(&cmd, "'%s': the sandbox's command goes after -- (gvab bundle -- ARGV); "
		                       "where the bundle goes is --out DIR", argv[p.ind]);
	if (p.ind < argc)
		bo.args = argv + p.ind;
	if (want_workload) {
		if (bo.rootfs_src) {
			return opt_usage_error(&cmd, "option '--workload' builds its own rootfs: drop --rootfs '%s'",
			                       bo.rootfs_src);
		}
		char *self = util_self_dir();
		wl = util_fmt("%s/gvab-workload", self);
		free(self);
		bo.workload = wl;
		bo.walk_files = walk_files;
	}
	rc = bundle_write(&bo);
	free(wl);
	if (rc < 0)
		return cmds_fail(rc, "bundle");
	cJSON *meta = bundle_load_meta(bo.out_dir);
	if (meta) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(meta, "rootfs_digest");
		printf("bundle %s: rootfs digest %s\n", bo.out_dir, cJSON_IsString(d) ? d->valuestring : "?");
		cJSON_Delete(meta);
	}
	return 0;
}
