/* build: see build.h; the steps' shared state and atomic arms in
 * build_int.h. This file: the source, the toolchain and the input key; the
 * tree and the binary are build_tree.c's, provenance build_prov.c's. */
#define _GNU_SOURCE
#include "build_int.h"
#include "blobs.h"
#include "error.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Turns an --arm value into the list of series to apply after
 * compat-offline ("stock" -> none, "patched" -> hostmm-lazy, "a+b" -> a, b).
 * Returns the count; names point into *buf, which the caller frees. */
static size_t build_arm_series(const char *arm, char ***names, char **buf)
{
	*names = NULL;
	*buf = NULL;
	if (strcmp(arm, "stock") == 0)
		return 0;
	*buf = util_xstrdup(strcmp(arm, "patched") == 0 ? "hostmm-lazy" : arm);
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(*buf, "+,", &save); t; t = strtok_r(NULL, "+,", &save)) {
		*names = util_xrealloc(*names, (n + 1) * sizeof **names);
		(*names)[n++] = t;
	}
	return n;
}

/* "0.0~20240729.0-4~bpo12+2" -> "debian/0.0_20240729.0-4_bpo12+2" (git ref
 * names may not contain '~' or ':'). */
static char *debian_tag(const char *version)
{
	char *t = util_fmt("debian/%s", version);
	for (char *p = t; *p; p++)
		if (*p == '~' || *p == ':')
			*p = '_';
	return t;
}

static char *debian_package_version(void)
{
	char *argv[] = {"dpkg-query", "-W", "-f=${Version}", "golang-gvisor-gvisor-dev", NULL};
	char *out = NULL;
	int st;
	if (proc_run_capture(argv, NULL, NULL, &out, &st) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0 || !out || !*out) {
		free(out);
		return util_xstrdup("unknown");
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* "go 1.22.0" line of go.mod -> "1.22" (for DEB_GOMINCOMPAT). */
void build_debian_tag(char **version, char **tag)
{
	*version = debian_package_version();
	*tag = debian_tag(*version);
}

/* The text of `path` in `commit`'s tree, or NULL when it has none. */
static char *read_blob_text(git_repository *repo, const git_oid *commit, const char *path,
                            size_t *len)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	char *res = NULL;
	if (git_commit_lookup(&c, repo, commit) == 0 && git_commit_tree(&t, c) == 0 &&
	    git_tree_entry_bypath(&e, t, path) == 0 &&
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) == 0) {
		size_t n = (size_t)git_blob_rawsize(b);
		res = util_xmalloc(n + 1);
		memcpy(res, git_blob_rawcontent(b), n);
		res[n] = '\0';
		if (len)
			*len = n;
	}
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return res;
}

/* Adds the series directory `dir` to the list. */
static int add_series(const char *dir, struct patch_series **list, size_t *n)
{
	*list = util_xrealloc(*list, (*n + 1) * sizeof **list);
	int r = patch_series_load(dir, &(*list)[*n]);
	if (r == 0)
		(*n)++;
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every compat-* series (patches dir, then each --series dir that is one),
 * then the arm's own series, each looked up in the --series dirs (by base
 * name) before the patches dir. */
static int load_series(const struct build_opts *o, struct patch_series **list, size_t *n)
{
	char **names = NULL, *buf = NULL;
	size_t nn = 0, ncompat = 0;
	char **compat = NULL;
	int rc = 0;
	DIR *d = opendir(o->patches_dir);
	if (!d)
		return error_setc(GVAB_EUSAGE, "patches directory %s: %s", o->patches_dir, strerror(errno));
	for (struct dirent *e; (e = readdir(d));)
		if (strncmp(e->d_name, "compat-", 7) == 0) {
			compat = util_xrealloc(compat, (ncompat + 1) * sizeof *compat);
			compat[ncompat++] = util_fmt("%s/%s", o->patches_dir, e->d_name);
		}
	closedir(d);
	if (ncompat) /* qsort(NULL, 0) is undefined: a patches directory without compat-* series */
		qsort(compat, ncompat, sizeof *compat, cmp_names);
	for (size_t i = 0; i < ncompat && rc == 0; i++)
		rc = add_series(compat[i], list, n);
	for (size_t j = 0; o->series_dirs && o->series_dirs[j] && rc == 0; j++) {
		const char *base = strrchr(o->series_dirs[j], '/');
		base = base ? base + 1 : o->series_dirs[j];
		if (strncmp(base, "compat-", 7) == 0)
			rc = add_series(o->series_dirs[j], list, n);
	}
	nn = build_arm_series(o->arm, &names, &buf);
	for (size_t i = 0; i < nn && rc == 0; i++) {
		if (!*names[i] || strchr(names[i], '/') || names[i][0] == '.') {
			rc = error_setc(GVAB_EUSAGE, "series name '%s': must be a plain name", names[i]);
			break;
		}
		char *dir = NULL;
		for (size_t j = 0; o->series_dirs && o->series_dirs[j] && !dir; j++) {
			const char *base = strrchr(o->series_dirs[j], '/');
			base = base ? base + 1 : o->series_dirs[j];
			if (strcmp(base, names[i]) == 0)
				dir = util_xstrdup(o->series_dirs[j]);
		}
		if (!dir)
			dir = util_fmt("%s/%s", o->patches_dir, names[i]);
		rc = add_series(dir, list, n);
		free(dir);
	}
	for (size_t i = 0; i < ncompat; i++)
		free(compat[i]);
	free(compat);
	free(names);
	free(buf);
	return rc;
}

static void key_add(char **key, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*key = util_xrealloc(*key, *cap);
	}
	memcpy(*key + *len, s, n + 1);
	*len += n;
}

/* Is `ref` something the cache can answer without a fetch: a commit id or
 * a tag that source `ns` already has, with its go branch cached too?
 * Branches always move, so they are fetched. */
static int ref_is_cached(git_repository *cache, const char *ns, const char *ref)
{
	git_object *obj = NULL;
	git_oid id;
	size_t n = strlen(ref);
	int hex = n >= 7 && n <= 40 && strspn(ref, "0123456789abcdef") == n;
	char *goref = util_fmt("%s/heads/go", ns);
	int have_go = git_reference_name_to_id(&id, cache, goref) == 0;
	free(goref);
	if (!have_go)
		return 0;
	const char *name = ref;
	if (strncmp(name, "refs/tags/", 10) == 0)
		name += 10;
	else if (strncmp(name, "tags/", 5) == 0)
		name += 5;
	char *tagref = util_fmt("%s/tags/%.*s", ns, (int)strcspn(name, "^"), name);
	int tagged = git_reference_name_to_id(&id, cache, tagref) == 0;
	free(tagref);
	if (tagged)
		return 1;
	if (hex && git_revparse_single(&obj, cache, ref) == 0) {
		git_object_free(obj);
		return 1;
	}
	return 0;
}

/* The arm name checked, the cache opened. */
static int build_open(struct build_ctx *c)
{
	if (strchr(c->name, '/') || !*c->name || c->name[0] == '.')
		return error_setc(GVAB_EUSAGE, "arm name '%s': must be a plain name", c->name);
	c->cache_repo = util_fmt("%s/gvisor.git", c->o->cache_dir);
	c->gocache = util_fmt("%s/gocache", c->o->cache_dir);
	c->gomodcache = util_fmt("%s/gomod", c->o->cache_dir);
	return source_open_cache(c->cache_repo, &c->cache);
}

static int fetch_git(struct build_ctx *c)
{
	unsigned got = 0;
	if (c->o->progress)
		fprintf(stderr, "  fetching %s\n", c->o->source);
	int rc = source_fetch(c->cache, c->o->source, &got);
	if (rc < 0)
		return error_wrap(GVAB_EPRECOND, "fetching gVisor");
	c->fetched = 1;
	if (c->o->progress)
		fprintf(stderr, "  fetched %u new objects\n", got);
	return 0;
}

/* A git source's ref: fetched unless the cache answers it; fetched after
 * all when the cached go branch has no merge containing it yet (it is older
 * than the tag's merge), unless offline. */
static int resolve_git(struct build_ctx *c)
{
	int rc;
	c->source_ns = source_namespace(c->o->source);
	if (c->o->offline || ref_is_cached(c->cache, c->source_ns, c->ref)) {
		if (c->o->progress)
			fprintf(stderr, "  %s: %s\n", c->ref, c->o->offline ? "offline, using the cache" : "already cached, no fetch");
	} else if ((rc = fetch_git(c)) < 0) {
		return rc;
	}
	c->source_desc = util_xstrdup(c->o->source);
	rc = source_resolve_ref(c->cache, c->o->source, c->ref, &c->res);
	if (rc < 0 && c->res.pending && !c->fetched && !c->o->offline) {
		if (c->o->progress)
			fprintf(stderr, "  %s: the cache cannot resolve it (%s): fetching\n", c->ref, error_last());
		if ((rc = fetch_git(c)) < 0)
			return rc;
		rc = source_resolve_ref(c->cache, c->o->source, c->ref, &c->res);
	}
	return rc;
}

static int source_module(struct build_ctx *c)
{
	c->kind = "module";
	if (!c->go)
		c->go = c->go_alloc = gotool_default_go();
	if (!c->go)
		return error_setc(GVAB_EPRECOND, "no go binary for the module source (/usr/local/go/bin/go "
		                                 "or go in PATH); pass --go");
	int rc = modsource_fetch(c->cache, c->o->cache_dir, c->go, c->ref, c->o->offline, &c->mod);
	if (rc < 0)
		return rc;
	git_oid_cpy(&c->res.commit, &c->mod.commit);
	git_oid_cpy(&c->res.asked, &c->mod.commit);
	c->res.master_between = -1;
	snprintf(c->res.how, sizeof c->res.how, "%s", c->mod.how);
	c->source_desc = util_fmt("module %s@%s", MODSOURCE_MODULE, c->mod.version);
	c->ref = c->ref ? c->ref : "go";
	c->fetched = strcmp(c->mod.sumdb, "cached") != 0;
	if (c->o->go == NULL) {
		free(c->go_alloc);
		c->go = c->go_alloc = NULL;
	}
	return 0;
}

static int source_debian(struct build_ctx *c)
{
	git_oid imported;
	c->kind = "debian";
	build_debian_tag(&c->deb_version, &c->tag);
	if (source_import_tree(c->cache, c->deb_tree, "debian", c->tag, &imported) < 0)
		return error_wrap(GVAB_EPRECOND, "importing Debian's gVisor tree");
	c->source_desc = util_fmt("debian:%s (golang-gvisor-gvisor-dev %s)", c->deb_tree, c->deb_version);
	if (!c->ref)
		c->ref = c->tag;
	return source_resolve_ref(c->cache, NULL, c->ref, &c->res);
}

/* What the binary says it is: the upstream go-branch commit as its module
 * pseudo-version v0.0.0-<UTC commit time>-<12 hex>, the same whether it came
 * from git or the module proxy (Debian: its package version); "+SERIES"
 * when the arm applies series of its own. */
static char *identity(const struct build_ctx *c)
{
	char base[128];
	if (c->is_module) {
		snprintf(base, sizeof base, "%s", c->mod.version);
	} else if (c->is_debian) {
		snprintf(base, sizeof base, "debian-%s", c->deb_version);
	} else {
		git_commit *cm = NULL;
		char when[16] = "19700101000000";
		if (git_commit_lookup(&cm, c->cache, &c->res.commit) == 0) {
			time_t t = (time_t)git_commit_time(cm);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(when, sizeof when, "%Y%m%d%H%M%S", &tm);
			git_commit_free(cm);
		}
		snprintf(base, sizeof base, "v0.0.0-%s-%.12s", when, c->hex);
	}
	if (strcmp(c->o->arm, "stock") == 0)
		return util_xstrdup(base);
	return util_fmt("%s+%s", base, c->o->arm);
}

/* The source: a module version fetched and imported, a git ref fetched (unless
 * cached) and resolved, or Debian's tree imported. */
static int build_source(struct build_ctx *c)
{
	int rc;
	if (c->is_module)
		rc = source_module(c);
	else if (c->is_debian)
		rc = source_debian(c);
	else {
		if (!c->ref)
			c->ref = "go";
		rc = resolve_git(c);
	}
	if (rc < 0)
		return rc;
	git_oid_tostr(c->hex, sizeof c->hex, &c->res.commit);
	c->ident = identity(c);
	if (c->o->progress) {
		fprintf(stderr, "  %s\n", c->res.how);
		if (c->res.beyond[0])
			fprintf(stderr, "%s", c->res.beyond);
	}
	if (c->res.warning[0])
		fprintf(stderr, "gvab: warning: %s\n", c->res.warning);
	return 0;
}

/* go.mod and go.sum straight from the commit: the mode, the toolchain and the
 * up-to-date key are known before anything is checked out. */
static int build_gomod(struct build_ctx *c)
{
	size_t n = 0;
	c->gomod_text = read_blob_text(c->cache, &c->res.commit, "go.mod", NULL);
	c->gosum_text = read_blob_text(c->cache, &c->res.commit, "go.sum", &n);
	if (c->gosum_text)
		util_sha256_buf(c->gosum_text, n, c->gosum_sha);
	if (c->gomod_text)
		gotool_gomod_parse(c->gomod_text, &c->gm);
	c->module_mode = c->o->mode == BUILD_MODE_MODULE ||
	                 (c->o->mode == BUILD_MODE_AUTO && c->gomod_text && !c->is_debian);
	if (c->module_mode && !c->gomod_text)
		return error_setc(GVAB_EPRECOND, "commit %.12s has no go.mod; module mode needs one", c->hex);
	return 0;
}

/* Staging directories of this arm left by a build that was killed (its
 * pid is gone): removed, so they do not pile up beside the arm. */
static void remove_stale_stages(const char *out_abs, const char *name)
{
	DIR *d = opendir(out_abs);
	char *prefix = util_fmt(".%s.build-", name);
	size_t n = strlen(prefix);
	for (struct dirent *e; d && (e = readdir(d));) {
		char *end;
		if (strncmp(e->d_name, prefix, n) != 0)
			continue;
		long pid = strtol(e->d_name + n, &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
			char *path = util_fmt("%s/%s", out_abs, e->d_name);
			util_rm_rf(path);
			free(path);
		}
	}
	if (d)
		closedir(d);
	free(prefix);
}

/* The arm's final place and the staging directory beside it. */
static int arm_paths(struct build_ctx *c)
{
	char out_abs[PATH_MAX];
	if (util_mkdir_p(c->o->out_dir, 0755) < 0 || !realpath(c->o->out_dir, out_abs))
		return error_set("output directory %s: %s", c->o->out_dir, strerror(errno));
	c->arm_dir = util_fmt("%s/%s", out_abs, c->name);
	remove_stale_stages(out_abs, c->name);
	c->stage = util_fmt("%s/.%s.build-%ld", out_abs, c->name, (long)getpid());
	c->failed_log = util_fmt("%s/%s.failed-build.log", out_abs, c->name);
	c->gopath = util_fmt("%s/gopath", c->stage);
	c->tree = c->module_mode ? util_fmt("%s/tree", c->stage) : util_fmt("%s/src/gvisor.dev/gvisor", c->gopath);
	c->runsc = util_fmt("%s/runsc", c->stage);
	c->runsc_tmp = util_fmt("%s/runsc.tmp", c->stage);
	c->log_path = util_fmt("%s/build.log", c->stage);
	c->prov_path = util_fmt("%s/provenance.json", c->arm_dir);
	return 0;
}

/* The toolchain, the build environment and the patch series. */
static int build_toolchain(struct build_ctx *c)
{
	/* Module mode: the go binary (default /usr/local/go) runs with
	 * GOTOOLCHAIN set to what go.mod names, so Go fetches exactly that
	 * toolchain; --go pins one binary (GOTOOLCHAIN=local) and is checked. */
	int rc;
	if (!c->go)
		c->go = c->go_alloc = c->module_mode ? gotool_default_go() : util_xstrdup(GVAB_DEFAULT_GO);
	if (!c->go || access(c->go, X_OK) != 0)
		return error_setc(GVAB_EPRECOND, "Go toolchain %s not found (run hosts/install-deps.sh, or pass --go)",
		                  c->go ? c->go : "go");
	if (c->gm.go[0])
		gotool_required(&c->gm, c->required, sizeof c->required);
	if (c->module_mode && !c->o->go && c->required[0]) {
		c->toolchain_env = util_fmt("GOTOOLCHAIN=%s", c->required);
		c->check_what = util_fmt("GOTOOLCHAIN=%s (through %s)", c->required, c->go);
	} else {
		c->toolchain_env = util_xstrdup("GOTOOLCHAIN=local");
		c->check_what = util_fmt("%s", c->go);
	}
	if ((rc = arm_paths(c)) < 0)
		return rc;
	c->env_gopath = c->module_mode ? util_fmt("GOPATH=%s/gopath", c->o->cache_dir)
	                               : util_fmt("GOPATH=%s:%s", c->gopath, GVAB_DEBIAN_GOPATH);
	c->env_cache = util_fmt("GOCACHE=%s", c->gocache);
	c->env_modcache = util_fmt("GOMODCACHE=%s", c->gomodcache);
	char *env_compat = util_fmt("DEB_GOMINCOMPAT=%s", c->gm.go);
	char *set[] = {c->env_gopath, c->env_cache, c->module_mode ? c->env_modcache : "GOMODCACHE=",
	               c->toolchain_env, env_compat, c->module_mode ? "GO111MODULE=on" : "GO111MODULE=off",
	               "CGO_ENABLED=0", c->module_mode ? "GOFLAGS=-modcacherw -mod=readonly" : "GOFLAGS=",
	               "GOWORK=off", c->o->offline ? "GOPROXY=off" : "GVAB_BUILD=1", "GONOSUMDB=", NULL};
	c->envp = gotool_env(set);
	free(env_compat);
	if ((rc = util_mkdir_p(c->gocache, 0755)) < 0 || (rc = util_mkdir_p(c->gomodcache, 0755)) < 0)
		return rc;
	if (c->o->progress && c->module_mode && !c->o->go)
		fprintf(stderr, "  %s: toolchain %s (go.mod: go %s%s%s)\n", c->name, c->required, c->gm.go,
		        c->gm.toolchain[0] ? ", toolchain " : "", c->gm.toolchain);
	if ((rc = gotool_version(c->go, c->envp, &c->go_version)) < 0)
		return error_wrap(rc, "toolchain %s", c->check_what);
	if ((rc = gotool_check(&c->gm, c->go_version, c->check_what)) < 0)
		return rc;
	if ((rc = load_series(c->o, &c->series, &c->nseries)) < 0)
		return rc;
	if (!c->module_mode)
		c->deb_libs = build_debian_libraries();
	return 0;
}

/* The input key (everything that decides the binary); 1 when the arm on disk
 * was built from the same key (up to date). */
static int build_key(struct build_ctx *c)
{
	c->blob_src = c->o->blob_source ? util_xstrdup(c->o->blob_source) : blobs_default_source();
	char *head = util_fmt("%s\nsource %s %s\ncommit %s\nidentity %s\ngo %s\ntoolchain %s\ntags %s\nmode %s\n"
	                      "blobs %s\ngo.mod go %s toolchain %s\ngo.sum %s\n",
	                      BUILD_RECIPE, c->kind, c->is_module ? c->mod.version : "", c->hex, c->ident,
	                      c->go_version, c->toolchain_env, c->o->tags ? c->o->tags : "",
	                      c->module_mode ? "module" : "gopath", c->blob_src && !c->module_mode ? c->blob_src : "",
	                      c->gm.go, c->gm.toolchain, c->gosum_sha);
	key_add(&c->keytext, &c->keylen, &c->keycap, head);
	free(head);
	if (c->deb_libs)
		key_add(&c->keytext, &c->keylen, &c->keycap, c->deb_libs);
	for (size_t i = 0; i < c->nseries; i++)
		for (size_t j = 0; j < c->series[i].count; j++)
			for (size_t k = 0; k < c->series[i].patches[j].nv; k++) {
				char *l = util_fmt("patch %s/%s %s\n", c->series[i].name, c->series[i].patches[j].v[k].name,
				                   c->series[i].patches[j].v[k].sha256);
				key_add(&c->keytext, &c->keylen, &c->keycap, l);
				free(l);
			}
	if (c->o->relayout > 0) {
		/* -randlayout arrived with Go 1.23's linker. */
		char mm[16];
		gotool_major_minor(c->go_version, mm, sizeof mm);
		if (patch_version_cmp(mm, "1.23") < 0)
			return error_setc(GVAB_EPRECOND, "arm %s: relayout needs the Go 1.23 linker's -randlayout; "
			                                 "this tree builds with %s", c->name, c->go_version);
		char *l = util_fmt("relayout %ld\n", c->o->relayout);
		key_add(&c->keytext, &c->keylen, &c->keycap, l);
		free(l);
	}
	util_sha256_buf(c->keytext, strlen(c->keytext), c->key);
	char *final_runsc = util_fmt("%s/runsc", c->arm_dir);
	int up = !c->o->force && build_provenance_up_to_date(c->prov_path, final_runsc, c->key);
	if (up && c->o->progress)
		fprintf(stderr, "  %s: up to date (%s)\n", c->name, final_runsc);
	free(final_runsc);
	return up;
}

/* A failed build leaves the old arm as it was: the staging directory goes,
 * and the go build log (when there is one) is kept beside the arm. */
static void build_abandon(struct build_ctx *c)
{
	if (!c->stage || !util_path_exists(c->stage))
		return;
	if (c->log_path && util_path_exists(c->log_path))
		rename(c->log_path, c->failed_log);
	util_rm_rf(c->stage);
}

static void build_ctx_free(struct build_ctx *c)
{
	char **strs[] = {&c->blob_src, &c->blob_dir, &c->ldflags, &c->ident, &c->cache_repo, &c->gocache,
	                 &c->gomodcache, &c->arm_dir, &c->stage, &c->gopath, &c->tree, &c->runsc, &c->runsc_tmp,
	                 &c->prov_path, &c->log_path, &c->deb_version, &c->tag, &c->go_version, &c->version_out,
	                 &c->gov_m, &c->keytext, &c->source_desc, &c->go_alloc, &c->gomod_text, &c->gosum_text,
	                 &c->deb_libs, &c->toolchain_env, &c->env_gopath, &c->env_cache, &c->env_modcache,
	                 &c->check_what, &c->source_ns, &c->failed_log};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	cJSON_Delete(c->blob_rec);
	gotool_env_free(c->envp);
	git_repository_free(c->work);
	git_repository_free(c->cache);
	for (size_t i = 0; c->series && i < c->nseries; i++)
		patch_series_free(&c->series[i]);
	free(c->series);
}

int build_arm(const struct build_opts *o, char **runsc_out)
{
	struct build_ctx cx, *c = &cx;
	memset(c, 0, sizeof *c);
	c->o = o;
	c->go = o->go;
	c->deb_tree = o->debian_tree ? o->debian_tree : GVAB_DEBIAN_TREE;
	c->name = o->name ? o->name : o->arm;
	c->ref = o->ref;
	c->kind = "git";
	c->is_debian = strcmp(o->source, "debian") == 0;
	c->is_module = strcmp(o->source, "module") == 0 || strcmp(o->source, MODSOURCE_MODULE) == 0;
	static int (*const steps[])(struct build_ctx *) = {build_open, build_source, build_gomod, build_toolchain,
	                                                   build_key, build_checkout, build_compile,
	                                                   build_provenance, build_install};
	int rc = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0] && rc == 0; i++)
		rc = steps[i](c);
	if (rc < 0) {
		build_abandon(c);
	} else {
		if (rc == 0)
			unlink(c->failed_log); /* an earlier failure's log: this build succeeded */
		rc = 0;
		if (runsc_out)
			*runsc_out = util_fmt("%s/runsc", c->arm_dir);
	}
	build_ctx_free(c);
	return rc;
}
