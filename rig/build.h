/* build: one runsc arm from source, with provenance.
 *
 * Steps: source (fetch or import Debian's tree) -> resolve ref -> fresh
 * checkout in the arm's own directory -> apply compat-offline then the arm's
 * series -> `go build` (CGO_ENABLED=0, -trimpath, GOCACHE shared by arms)
 * -> check the binary is static and `runsc --version` runs -> provenance.json
 * beside the binary. An arm whose inputs (commit, patches, Go, flags) match
 * the existing provenance and whose binary still hashes the same is not
 * rebuilt.
 *
 * Layout: <out_dir>/<arm>/runsc, <out_dir>/<arm>/provenance.json and the
 * patched tree at <out_dir>/<arm>/gopath/src/gvisor.dev/gvisor.
 */
#ifndef GVAB_BUILD_H
#define GVAB_BUILD_H

#include <stddef.h>

#define GVAB_DEFAULT_URL "https://github.com/google/gvisor.git"
#define GVAB_DEBIAN_TREE "/usr/share/gocode/src/gvisor.dev/gvisor"
#define GVAB_DEBIAN_GOPATH "/usr/share/gocode"
#define GVAB_DEFAULT_GO "/usr/lib/go-1.22/bin/go"

struct build_opts {
	const char *source;       /* "debian", a URL or a local repository path */
	const char *debian_tree;  /* default GVAB_DEBIAN_TREE */
	const char *ref;          /* NULL: the Debian import's tag, or "go" */
	const char *arm;          /* "stock", "patched" or series names joined by '+' */
	const char *name;         /* output arm name; NULL: derived from arm */
	const char *patches_dir;  /* holds one directory per series */
	const char *out_dir;      /* arms are built under it */
	const char *cache_dir;    /* bare repository + GOCACHE live here */
	const char *go;           /* go binary; default GVAB_DEFAULT_GO */
	const char *tags;         /* go build -tags value, or NULL */
	const char *blob_source;  /* C sources of the generated blobs (see blobs.h); NULL: default */
	int module_mode;          /* 1: go.mod module mode; 0: GOPATH mode */
	int force;                /* rebuild even when up to date */
	int progress;             /* print progress to stderr */
};

/* Builds one arm. On success *runsc_out (may be NULL) is the binary's path
 * (caller frees). */
int build_arm(const struct build_opts *o, char **runsc_out);

/* Turns an --arm value into the list of series to apply after
 * compat-offline ("stock" -> none, "patched" -> hostmm-lazy, "a+b" -> a, b).
 * Returns the count; names point into *buf, which the caller frees. */
size_t build_arm_series(const char *arm, char ***names, char **buf);

/* The Debian gVisor package version and the git tag its import gets
 * ("debian/0.0_20240729.0-4_bpo12+2"). Caller frees both. */
void build_debian_tag(char **version, char **tag);

/* 1 if the ELF file at path has no PT_INTERP and no PT_DYNAMIC (static),
 * 0 if dynamic, negative on error. */
int build_elf_is_static(const char *path);

#endif
