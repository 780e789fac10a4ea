/* bundle: the hardened OCI bundle every boot uses.
 *
 * The rootfs is Debian's busybox-static (or a directory the user gives) and
 * config.json mirrors a hardened agent sandbox: runsc runs it with
 * --network=none, every capability dropped, noNewPrivileges, read-only
 * root, a non-root user (65534), cgroup memory and CPU limits, and args
 * ["/bin/true"] unless told otherwise.
 *
 * With a workload, the rootfs also holds /bin/gvab-workload (static; see
 * rig/workload/gvab-workload.c) and a tree of small files at /walk (100 per
 * directory) for its statwalk mode; bundle.json records both.
 *
 * The bundle is pinned: bundle.json beside config.json records the sha256
 * of config.json and a digest of the rootfs (every path, mode, and file or
 * link content, in sorted order), which runs copy into run.json.
 */
#ifndef GVAB_BUNDLE_H
#define GVAB_BUNDLE_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct bundle_opts {
	const char *out_dir;
	const char *rootfs_src;   /* NULL: busybox-static */
	const char *busybox;      /* default /bin/busybox */
	char *const *args;        /* NULL: {"/bin/true"} */
	long memory_mib;          /* cgroup memory limit; default 512 */
	double cpus;              /* CPU quota in CPUs; default 1.0 */
	long uid, gid;            /* default 65534 */
	const char *workload;     /* gvab-workload binary to place at /bin/gvab-workload, or NULL */
	long walk_files;          /* > 0: a tree of this many files at /walk for statwalk */
};

/* Writes out_dir/rootfs, out_dir/config.json and out_dir/bundle.json. */
int bundle_write(const struct bundle_opts *o);

/* Writes just a config.json into `dir` for the rootfs of `bundle_dir`
 * (absolute root path) with other args: used for derived bundles
 * (the warm-pool sandbox, a /bin/false check). */
int bundle_write_config(const char *dir, const char *bundle_dir, char *const *args);

/* Digest of a directory tree (see above) into hex[65]. */
int bundle_tree_digest(const char *dir, char hex[65]);

/* Loads bundle.json (NULL with an error if missing or invalid). */
cJSON *bundle_load_meta(const char *bundle_dir);

#endif
