/* build_int: what the build steps share (build.c: source, toolchain, key;
 * build_tree.c: the checkout and go build in the staging directory;
 * build_prov.c: provenance and the up-to-date check). Not for other layers.
 *
 * Every step returns 0 (go on), 1 (the arm is up to date: stop, done) or a
 * negative GVAB_E* code with the message recorded.
 *
 * Atomic arms: everything a build writes goes into a staging directory
 * beside the arm (<out>/.<arm>.build-<pid>); only a build that succeeded
 * swaps it into place (renameat2 RENAME_EXCHANGE), so a failed or
 * interrupted build leaves the old arm exactly as it was.
 */
#ifndef GVAB_BUILD_INT_H
#define GVAB_BUILD_INT_H

#include "build.h"
#include "gotool.h"
#include "modsource.h"
#include "patch.h"
#include "source.h"
#include "util.h"

/* Bump when the build recipe changes in a way that changes the binary. */
#define BUILD_RECIPE "gvab-build/3"

/* One arm's build: the options, what each step found, and what it holds. */
struct build_ctx {
	const struct build_opts *o;
	git_repository *cache, *work;
	struct patch_series *series;
	size_t nseries;
	/* arm_dir: the arm's final place; stage: where this build writes;
	 * gopath, tree, runsc, log_path, blob_dir are under stage. */
	char *cache_repo, *gocache, *gomodcache, *arm_dir, *stage, *gopath, *tree, *runsc, *runsc_tmp,
	     *prov_path, *log_path, *deb_version, *tag, *go_version, *version_out, *gov_m, *keytext,
	     *source_desc, *blob_src, *blob_dir, *ldflags, *ident, *go_alloc, *gomod_text, *gosum_text,
	     *deb_libs, *toolchain_env, *env_gopath, *env_cache, *env_modcache, *check_what, *source_ns,
	     *failed_log; /* where a failed build's log is kept: <out>/<arm>.failed-build.log */
	char **envp;
	cJSON *blob_rec;
	const char *go, *deb_tree, *name, *ref, *kind;
	struct source_resolution res;
	struct modsource_info mod;
	struct gomod_info gm;
	char hex[GIT_OID_HEXSZ + 1], gosum_sha[65], required[48], key[65];
	int is_debian, is_module, module_mode, fetched;
	double wall_s;
	size_t keylen, keycap;
};

/* build_tree.c */
int build_checkout(struct build_ctx *c);
int build_compile(struct build_ctx *c);
/* Swaps the staging directory into the arm's place; the old arm is removed. */
int build_install(struct build_ctx *c);

/* build_prov.c */
int build_provenance(struct build_ctx *c);
int build_provenance_up_to_date(const char *prov_path, const char *runsc, const char *key);
/* "golang-foo-dev=1.2-3\n..." for every installed golang-*-dev package. */
char *build_debian_libraries(void);

#endif
