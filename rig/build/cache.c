/* cache: see cache.h. */
#define _GNU_SOURCE
#include "cache.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

/* Bytes allocated to path and everything below it on the same file
 * system (dev), symlinks not followed: du's count. The walk's state is its
 * arguments and return value (no globals, unlike nftw's callback). */
static long long du_walk(const char *path, dev_t dev)
{
	struct stat st;
	if (lstat(path, &st) < 0 || st.st_dev != dev)
		return 0;
	long long total = (long long)st.st_blocks * 512;
	DIR *d = S_ISDIR(st.st_mode) ? opendir(path) : NULL;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p = util_fmt("%s/%s", path, e->d_name);
		total += du_walk(p, dev);
		free(p);
	}
	if (d)
		closedir(d);
	return total;
}

static long long du(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? du_walk(path, st.st_dev) : 0;
}

int cache_du(const char *dir, struct cache_part parts[4])
{
	static const struct cache_part tmpl[4] = {
		{"source", "gvisor.git", 0},
		{"modules", "gomod", 0},
		{"toolchains", "gomod/golang.org/toolchain@*", 0},
		{"build", "gocache", 0},
	};
	memcpy(parts, tmpl, sizeof tmpl);
	for (int i = 0; i < 4; i++) {
		if (i == 2) {
			/* Toolchains unpack as golang.org/toolchain@v0.0.1-goX.Y.Z.OS-ARCH. */
			char *base = util_fmt("%s/gomod/golang.org", dir);
			char *dl = util_fmt("%s/gomod/cache/download/golang.org/toolchain", dir);
			long long t = du(dl);
			DIR *d = opendir(base);
			for (struct dirent *e; d && (e = readdir(d));)
				if (strncmp(e->d_name, "toolchain@", 10) == 0) {
					char *p = util_fmt("%s/%s", base, e->d_name);
					t += du(p);
					free(p);
				}
			if (d)
				closedir(d);
			parts[i].bytes = t;
			free(base);
			free(dl);
			continue;
		}
		char *p = util_fmt("%s/%s", dir, parts[i].rel);
		parts[i].bytes = du(p);
		if (i == 3) {
			char *gp = util_fmt("%s/gopath", dir);
			parts[i].bytes += du(gp);
			free(gp);
		}
		free(p);
	}
	return 0;
}

int cache_prune(const char *dir, int mask)
{
	static const struct {
		int bit;
		const char *rel;
	} parts[] = {{CACHE_SOURCE, "gvisor.git"}, {CACHE_MODULES, "gomod"},
	             {CACHE_BUILD, "gocache"}, {CACHE_BUILD, "gopath"}};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (!(mask & parts[i].bit))
			continue;
		char *p = util_fmt("%s/%s", dir, parts[i].rel);
		/* The module cache is read-only unless written with -modcacherw;
		 * gvab writes it so, and runs as root, so removal needs no chmod. */
		int rc = util_rm_rf(p);
		free(p);
		if (rc < 0)
			return rc;
	}
	return 0;
}
