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
	"[--out DIR] [--rootfs DIR] [--memory-mib N] [--cpus X] [--uid N --gid N] [-- ARGV...]\n"
	"\n"
	"Writes an OCI bundle for cold-boot runs: a busybox-static rootfs (or --rootfs),\n"
	"config.json for a hardened sandbox (no capabilities, noNewPrivileges, read-only\n"
	"root, non-root user, memory and CPU limits) running ARGV (default /bin/true),\n"
	"and bundle.json with the rootfs digest and config sha256. Default --out:\n"
	"build/bundle.\n";

int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, 0, 'o'},        {"rootfs", required_argument, 0, 'r'},
		{"memory-mib", required_argument, 0, 'm'}, {"cpus", required_argument, 0, 'c'},
		{"uid", required_argument, 0, 'u'},        {"gid", required_argument, 0, 'g'},
		{"busybox", required_argument, 0, 'B'},    {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	struct bundle_opts bo = {.out_dir = "build/bundle"};
	int c, rc;
	long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': bo.out_dir = optarg; break;
		case 'r': bo.rootfs_src = optarg; break;
		case 'B': bo.busybox = optarg; break;
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
	if ((rc = bundle_write(&bo)) < 0)
		return cmds_fail(rc, "bundle");
	cJSON *meta = bundle_load_meta(bo.out_dir);
	if (meta) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(meta, "rootfs_digest");
		printf("bundle %s: rootfs digest %s\n", bo.out_dir, cJSON_IsString(d) ? d->valuestring : "?");
		cJSON_Delete(meta);
	}
	return 0;
}
