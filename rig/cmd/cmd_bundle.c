/* cmd_bundle: `gvab bundle` writes the hardened OCI bundle (bundle.h). */
#define _GNU_SOURCE
#include "bundle.h"
#include "cmds.h"
#include "error.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"[--out DIR] [--rootfs DIR] [--memory-mib N] [--cpus X] [--uid N --gid N]\n"
	"       [--workload [--walk-files M]] [-- ARGV...]\n"
	"\n"
	"Writes an OCI bundle for cold-boot runs: a busybox-static rootfs (or --rootfs),\n"
	"config.json for a hardened sandbox (no capabilities, noNewPrivileges, read-only\n"
	"root, non-root user, memory and CPU limits) running ARGV (default /bin/true),\n"
	"and bundle.json with the rootfs digest and config sha256. Default --out:\n"
	"build/bundle.\n"
	"\n"
	"  --workload       also place gvab-workload (built beside gvab) at\n"
	"                   /bin/gvab-workload, and a tree of small files at /walk for\n"
	"                   its statwalk mode\n"
	"  --walk-files M   files in that tree (default 2000)\n"
	"\n"
	"examples:\n"
	"  gvab bundle --out build/bundle\n"
	"  gvab bundle --out build/wl --workload -- /bin/gvab-workload spin 100000000\n";

int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, 0, 'o'},        {"rootfs", required_argument, 0, 'r'},
		{"memory-mib", required_argument, 0, 'm'}, {"cpus", required_argument, 0, 'c'},
		{"uid", required_argument, 0, 'u'},        {"gid", required_argument, 0, 'g'},
		{"busybox", required_argument, 0, 'B'},    {"help", no_argument, 0, 'h'},
		{"workload", no_argument, 0, 'W'},         {"walk-files", required_argument, 0, 'F'},
		{0, 0, 0, 0}};
	struct bundle_opts bo = {.out_dir = "build/bundle"};
	int c, rc, want_workload = 0;
	long v, walk_files = 2000;
	char *wl = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': bo.out_dir = optarg; break;
		case 'r': bo.rootfs_src = optarg; break;
		case 'B': bo.busybox = optarg; break;
		case 'W': want_workload = 1; break;
		case 'F':
			if ((rc = util_parse_long(optarg, 0, 1000000, "--walk-files", &v)) < 0)
				return cmds_fail(rc, "bundle");
			walk_files = v;
			break;
		case 'm':
			if ((rc = util_parse_long(optarg, 16, 1 << 20, "--memory-mib", &v)) < 0)
				return cmds_fail(rc, "bundle");
			bo.memory_mib = v;
			break;
		case 'c': {
			char *end;
			bo.cpus = strtod(optarg, &end);
			if (*end || end == optarg || bo.cpus <= 0 || bo.cpus > 1024) {
				error_setc(GVAB_EUSAGE, "--cpus: '%s' is not a number of CPUs", optarg);
				return cmds_fail(GVAB_EUSAGE, "bundle");
			}
			break;
		}
		case 'u':
			if ((rc = util_parse_long(optarg, 1, 65535, "--uid", &v)) < 0)
				return cmds_fail(rc, "bundle");
			bo.uid = v;
			break;
		case 'g':
			if ((rc = util_parse_long(optarg, 1, 65535, "--gid", &v)) < 0)
				return cmds_fail(rc, "bundle");
			bo.gid = v;
			break;
		case 'h': cmds_usage("bundle", usage_text); return 0;
		default: return EXIT_GVAB_USAGE;
		}
	}
	if (optind < argc)
		bo.args = argv + optind;
	if (want_workload) {
		if (bo.rootfs_src) {
			fprintf(stderr, "gvab: bundle: --workload builds its own rootfs; drop --rootfs\n");
			return EXIT_GVAB_USAGE;
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
