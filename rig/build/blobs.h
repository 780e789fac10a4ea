/* blobs: the generated binaries gVisor embeds, built from C sources.
 *
 * gVisor's go branch carries three generated files that Bazel normally
 * builds: the sandbox vDSO (pkg/sentry/loader/vdsodata/vdso_<arch>.so), the
 * systrap stub (pkg/sentry/platform/systrap/sysmsg/
 * sighandler.built-in.<arch>.bin) and the Go file with the stub's symbol
 * offsets (sighandler_<arch>.go). Debian's golang-gvisor-gvisor-dev tree
 * ships 1-byte placeholders for the two binaries and zero offsets (a runsc
 * built from it panics at start: "failed to parse vdso.so as ELF file"), and
 * its C sources are only in the package's orig tarball. blobs_generate()
 * compiles them with the flags of gVisor's Bazel rules (vdso/BUILD,
 * pkg/sentry/platform/systrap/sysmsg/BUILD and build.bzl), spawning cc, ld,
 * objcopy and nm directly (no shell), and writes them into the tree.
 */
#ifndef GVAB_BLOBS_H
#define GVAB_BLOBS_H

#include <cjson/cJSON.h>

/* 1 if `tree` has placeholder blobs for this host's architecture. */
int blobs_needed(const char *tree);

/* Builds the blobs from the sources under `src_dir` (a gVisor tree holding
 * vdso/ C++ and sysmsg/ C files), using `work_dir` for objects, and installs
 * them into `tree`. Adds {file: sha256} and the source to `record`. */
int blobs_generate(const char *tree, const char *src_dir, const char *work_dir, cJSON *record);

/* Default source directory: $GVAB_DEBIAN_ORIG, else the extracted orig
 * tarball under /var/cache/gvab/debian-src (hosts/install-deps.sh puts it
 * there). Caller frees; NULL if none is found. */
char *blobs_default_source(void);

#endif
