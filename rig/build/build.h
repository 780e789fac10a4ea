/* build: one runsc arm from source, with provenance.
 *
 * Steps: source (git fetch, module download, or Debian import; nothing is
 * fetched when the ref is already cached) -> resolve ref -> fresh checkout in
 * the arm's own directory -> apply every compat-* series (by their
 * Applies-if conditions) then the arm's series -> `go build` (CGO_ENABLED=0,
 * -trimpath) -> check the binary is static and `runsc --version` runs ->
 * provenance.json beside the binary.
 *
 * Modes: trees with go.mod from git or module sources build in module mode
 * (GOMODCACHE and GOCACHE in gvab's cache, shared by every arm; GOTOOLCHAIN
 * set to the toolchain go.mod names, so Go fetches it through the module
 * proxy). Debian's offline tree builds in GOPATH mode with Debian's Go and
 * libraries. Either way the toolchain is checked against go.mod first and a
 * mismatch fails in one line naming both versions.
 *
 * A relayout arm (A/A': an arm spec with ",relayout[=N]") builds the same
 * source and patches and links it with the function order shuffled by
 * seed N, a different binary that behaves identically: timing it against
 * the usual build shows what code layout alone does. provenance.json
 * records it under build.relayout.
 *
 * An arm whose inputs (source and commit, patches, toolchain, go.mod and
 * go.sum, Debian library versions, flags) match its provenance and whose
 * binary still hashes the same is not rebuilt.
 *
 * Layout: <out_dir>/<arm>/runsc, <out_dir>/<arm>/provenance.json, and the
 * patched tree at <out_dir>/<arm>/tree (module mode) or
 * <out_dir>/<arm>/gopath/src/gvisor.dev/gvisor (GOPATH mode). A build
 * writes all of it into <out_dir>/.<arm>.build-<pid> and swaps that into
 * place only when it succeeded: a failure leaves the old arm as it was (and
 * keeps the go build log as <out_dir>/<arm>.failed-build.log).
 *
 * Identity: runsc --version prints the upstream go-branch commit's module
 * pseudo-version (whatever the source; "+SERIES" for an arm's own series),
 * and -buildvcs=false keeps a checkout's VCS data out of the binary, so
 * git and module sources of one commit build byte-identical binaries.
 */
#ifndef GVAB_BUILD_H
#define GVAB_BUILD_H

#include <stddef.h>

#define GVAB_DEFAULT_URL "https://github.com/google/gvisor.git"
#define GVAB_DEBIAN_TREE "/usr/share/gocode/src/gvisor.dev/gvisor"
#define GVAB_DEBIAN_GOPATH "/usr/share/gocode"
#define GVAB_DEFAULT_GO "/usr/lib/go-1.22/bin/go"

struct build_opts {
	const char *source;       /* "debian", "module" (gvisor.dev/gvisor from the module
	                           * proxy), a git URL or a local repository path */
	const char *debian_tree;  /* default GVAB_DEBIAN_TREE */
	const char *ref;          /* NULL: the Debian import's tag, or "go" */
	const char *arm;          /* "stock", "patched" or series names joined by '+' */
	const char *name;         /* output arm name; NULL: derived from arm */
	const char *patches_dir;  /* holds one directory per series */
	const char *const *series_dirs; /* extra series directories (NULL-terminated, may be NULL) */
	const char *out_dir;      /* arms are built under it */
	const char *cache_dir;    /* bare repository, GOMODCACHE, GOCACHE live here */
	const char *go;           /* go binary (GOTOOLCHAIN=local); NULL: module mode uses
	                           * /usr/local/go with GOTOOLCHAIN from go.mod, GOPATH mode
	                           * GVAB_DEFAULT_GO */
	const char *tags;         /* go build -tags value, or NULL */
	const char *blob_source;  /* C sources of the generated blobs (see blobs.h); NULL: default */
	int mode;                 /* BUILD_MODE_AUTO, _MODULE or _GOPATH */
	long relayout;            /* > 0: an A' arm, the same source and patches linked
	                           * with the functions in another order (Go's linker
	                           * -randlayout=relayout, Go 1.23 on), so the binary
	                           * differs in code layout only; 0: the usual order */
	int offline;              /* never fetch or download; everything must be cached */
	int force;                /* rebuild even when up to date */
	int progress;             /* print progress to stderr */
};

enum { BUILD_MODE_AUTO, BUILD_MODE_MODULE, BUILD_MODE_GOPATH };

/* Builds one arm. On success *runsc_out (may be NULL) is the binary's path
 * (caller frees). */
int build_arm(const struct build_opts *o, char **runsc_out);

/* The Debian gVisor package version and the git tag its import gets
 * ("debian/0.0_20240729.0-4_bpo12+2"). Caller frees both. */
void build_debian_tag(char **version, char **tag);

/* 1 if the ELF file at path has no PT_INTERP and no PT_DYNAMIC (static),
 * 0 if dynamic, negative on error. */
int build_elf_is_static(const char *path);

#endif
