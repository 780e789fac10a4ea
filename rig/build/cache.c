/* cache: see cache.h. */
#define _GNU_SOURCE
#include "cache.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

/* nftw has no payload pointer; cache_du is single-threaded. */
static long long du_total;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	du_total += (long long)st->st_blocks * 512;
	return 0;
}

static long long du(const char *path)
{
	du_total = 0;
	if (util_path_exists(path))
		nftw(path, du_one, 32, FTW_PHYS | FTW_MOUNT);
	return du_total;
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
