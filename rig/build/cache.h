/* cache: what gvab keeps between builds, how big it is, and pruning it.
 *
 * The cache directory (see util_cache_dir) holds gvisor.git (the bare
 * repository of every fetched or imported source), gomod (GOMODCACHE: the
 * module downloads, gvisor.dev/gvisor versions and their dependencies, and
 * the Go toolchains GOTOOLCHAIN fetched), gocache (GOCACHE, compiled
 * packages shared by every arm) and gopath (module mode's GOPATH).
 */
#ifndef GVAB_CACHE_H
#define GVAB_CACHE_H

enum {
	CACHE_SOURCE = 1,  /* gvisor.git */
	CACHE_MODULES = 2, /* gomod, toolchains included */
	CACHE_BUILD = 4,   /* gocache and gopath */
};

struct cache_part {
	const char *name;     /* "source", "modules", "toolchains", "build" */
	const char *rel;      /* path below the cache directory */
	long long bytes;      /* disk usage (st_blocks), 0 when missing */
};

/* Fills parts[0..3] with the disk usage of each part under `dir`.
 * "toolchains" is a part of "modules". Returns 0 or a negative code. */
int cache_du(const char *dir, struct cache_part parts[4]);

/* Removes the parts named by `mask` (CACHE_*). */
int cache_prune(const char *dir, int mask);

#endif
