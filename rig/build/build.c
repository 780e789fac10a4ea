/* build: see build.h. */
#define _GNU_SOURCE
#include "build.h"
#include "blobs.h"
#include "gotool.h"
#include "modsource.h"
#include "error.h"
#include "patch.h"
#include "proc.h"
#include "source.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bump when the build recipe changes in a way that changes the binary. */
#define BUILD_RECIPE "gvab-build/2"

size_t build_arm_series(const char *arm, char ***names, char **buf)
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

int build_elf_is_static(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set("%s: %s", path, strerror(errno));
	Elf64_Ehdr eh;
	int rc = GVAB_EFAIL;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		rc = error_setc(GVAB_EDATA, "%s: not a 64-bit ELF file", path);
		goto out;
	}
	rc = 1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)eh.e_phoff + (off_t)i * eh.e_phentsize;
		if (pread(fd, &ph, sizeof ph, off) != (ssize_t)sizeof ph) {
			rc = error_setc(GVAB_EDATA, "%s: truncated program headers", path);
			goto out;
		}
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			rc = 0;
	}
out:
	close(fd);
	return rc;
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

static char *capture_trim(char *const *argv, const char *cwd)
{
	char *out = NULL;
	int st;
	if (proc_run_capture(argv, NULL, cwd, &out, &st) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		free(out);
		return NULL;
	}
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return out;
}

/* One line saying why go build failed, from its log: the first line that
 * is Go's own error (not a download note or a "# package" header), plus what
 * it means where gvab knows: a go:embed pattern with no file is a non-Go
 * file the go branch lacks (Bazel generates it), C files are refused without
 * cgo, and a missing package in GOPATH mode is a library Debian lacks. */
static char *build_log_summary(const char *log_path)
{
	char *log = util_read_file(log_path, NULL);
	char *res = NULL;
	const char *hint = "";
	if (!log)
		return util_xstrdup("no log");
	for (char *l = log, *next; l && *l && !res; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (!*l || strncmp(l, "go: downloading", 15) == 0 || strncmp(l, "go: finding", 11) == 0 ||
		    l[0] == '#')
			continue;
		if (strstr(l, "no matching files found") || strstr(l, "cannot embed"))
			hint = " [the tree lacks a non-Go file it embeds; the go branch does not ship "
			       "some Bazel-generated files: add it with a compat series]";
		else if (strstr(l, "C source files not allowed"))
			hint = " [C sources in a CGO_ENABLED=0 build: a compat series must drop them]";
		else if (strstr(l, "cannot find package") || strstr(l, "is not in std") ||
		         strstr(l, "no required module provides"))
			hint = " [a Go package is missing: GOPATH mode needs it from Debian's "
			       "golang-*-dev packages; module mode from the module proxy]";
		res = util_fmt("%.300s%s", l, hint);
	}
	free(log);
	return res ? res : util_xstrdup("no error line in the log");
}

static volatile sig_atomic_t build_interrupted;
static void on_build_signal(int sig)
{
	(void)sig;
	build_interrupted = 1;
}

/* Runs go build, showing elapsed time; returns wall seconds in *wall_s. */
static int run_go_build(char *const *argv, char *const *envp, const char *cwd,
                        const char *log_path, const char *label, int progress, double *wall_s)
{
	struct proc_opts po = {.argv = argv, .envp = envp, .cwd = cwd, .stdout_path = log_path,
	                       .stderr_path = log_path, .stdin_null = 1, .own_pgroup = 1};
	pid_t pid;
	struct sigaction sa = {.sa_handler = on_build_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	build_interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int64_t t0 = util_now_ns();
	int rc = proc_spawn(&po, &pid);
	int tty = util_interactive();
	if (rc < 0)
		goto out;
	if (progress)
		fprintf(stderr, tty ? "  %s: go build ..." : "  %s: go build started\n", label);
	int st = 0;
	long last = -1;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			rc = error_set("waitpid: %s", strerror(errno));
			goto out;
		}
		if (build_interrupted) {
			kill(-pid, SIGTERM);
			waitpid(pid, &st, 0);
			rc = error_setc(GVAB_EINTR, "go build interrupted");
			goto out;
		}
		long secs = (long)((util_now_ns() - t0) / 1000000000);
		if (progress && tty && secs != last) {
			fprintf(stderr, "\r  %s: go build %lds", label, secs);
			last = secs;
		}
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	*wall_s = (double)(util_now_ns() - t0) / 1e9;
	if (progress)
		fprintf(stderr, tty ? "\r  %s: go build %.1fs\n" : "  %s: go build done in %.1fs\n",
		        label, *wall_s);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *why = build_log_summary(log_path);
		rc = error_set("go build failed (%s): %s (log: %s)", proc_status_str(st), why, log_path);
		free(why);
		goto out;
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

static int provenance_up_to_date(const char *prov_path, const char *runsc, const char *key)
{
	cJSON *doc = util_json_load(prov_path);
	int ok = 0;
	if (!doc)
		return 0;
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "input_key");
	const cJSON *bin = cJSON_GetObjectItemCaseSensitive(doc, "binary");
	const cJSON *sha = bin ? cJSON_GetObjectItemCaseSensitive(bin, "sha256") : NULL;
	char hex[65];
	if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0 && cJSON_IsString(sha) &&
	    util_sha256_file(runsc, hex) == 0 && strcmp(hex, sha->valuestring) == 0)
		ok = 1;
	cJSON_Delete(doc);
	return ok;
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

/* "golang-foo-dev=1.2-3\n..." for every installed golang-*-dev package:
 * the libraries a GOPATH-mode build compiles in. */
static char *debian_libraries(void)
{
	char *argv[] = {"dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Package}=${Version}\n",
	                "golang-*-dev", NULL};
	char *out = NULL, *res;
	int st;
	size_t len = 0, cap = 0;
	if (proc_run_capture(argv, NULL, NULL, &out, &st) < 0 || !out) {
		free(out);
		return util_xstrdup("");
	}
	res = util_xstrdup("");
	for (char *l = out, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(l, "ii ", 3) != 0)
			continue;
		const char *pkg = l + 3;
		while (*pkg == ' ')
			pkg++;
		size_t n = strlen(pkg);
		if (len + n + 2 > cap) {
			cap = (len + n + 2) * 2;
			res = util_xrealloc(res, cap);
		}
		memcpy(res + len, pkg, n);
		len += n;
		res[len++] = '\n';
		res[len] = '\0';
	}
	free(out);
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

/* One arm's build: the options, what each step found, and what it holds. */
struct build_ctx {
	const struct build_opts *o;
	int rc;
	git_repository *cache, *work;
	struct patch_series *series;
	size_t nseries;
	char *cache_repo, *gocache, *gomodcache, *arm_dir, *gopath, *tree, *runsc, *runsc_tmp, *prov_path,
	     *log_path, *deb_version, *tag, *go_version, *version_out, *gov_m, *keytext, *source_desc,
	     *blob_src, *blob_dir, *ldflags, *go_alloc, *gomod_text, *gosum_text, *deb_libs, *toolchain_env,
	     *env_gopath, *env_cache, *env_modcache, *check_what, *source_ns;
	char **envp;
	cJSON *blob_rec, *prov;
	const char *go, *deb_tree, *name, *ref, *kind;
	struct source_resolution res;
	struct modsource_info mod;
	struct gomod_info gm;
	char hex[GIT_OID_HEXSZ + 1], gosum_sha[65], required[48], key[65];
	int is_debian, is_module, module_mode, fetched;
	double wall_s;
	size_t keylen, keycap;
};

/* The arm name checked, the cache opened. */
static int build_open(struct build_ctx *c)
{
	memset(&c->res, 0, sizeof c->res);
	memset(&c->mod, 0, sizeof c->mod);
	memset(&c->gm, 0, sizeof c->gm);
	if (strchr(c->name, '/') || !*c->name || c->name[0] == '.') {
		c->rc = error_setc(GVAB_EUSAGE, "arm name '%s': must be a plain name", c->name);
		return -1;
	}

	c->cache_repo = util_fmt("%s/gvisor.git", c->o->cache_dir);
	c->gocache = util_fmt("%s/gocache", c->o->cache_dir);
	c->gomodcache = util_fmt("%s/gomod", c->o->cache_dir);
	if ((c->rc = source_open_cache(c->cache_repo, &c->cache)) < 0)
		return -1;
	c->rc = GVAB_EFAIL;

	return 0;
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

/* The source: a module version fetched and imported, a git ref fetched (unless
 * cached) and resolved, or Debian's tree imported. */
static int build_source(struct build_ctx *c)
{
	/* Source. */
	if (c->is_module) {
		c->kind = "module";
		if (!c->go)
			c->go = c->go_alloc = gotool_default_go();
		if (!c->go) {
			c->rc = error_setc(GVAB_EPRECOND, "no go binary for the module source (/usr/local/go/bin/go "
			                               "or go in PATH); pass --go");
			return -1;
		}
		if ((c->rc = modsource_fetch(c->cache, c->o->cache_dir, c->go, c->ref, c->o->offline, &c->mod)) < 0)
			return -1;
		c->rc = GVAB_EFAIL;
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
	} else if (!c->is_debian) {
		if (!c->ref)
			c->ref = "go";
		int rc = resolve_git(c);
		if (rc < 0)
			return c->rc = rc, -1;
	} else {
		c->kind = "debian";
		git_oid imported;
		build_debian_tag(&c->deb_version, &c->tag);
		if (source_import_tree(c->cache, c->deb_tree, "debian", c->tag, &imported) < 0) {
			c->rc = error_wrap(GVAB_EPRECOND, "importing Debian's gVisor tree");
			return -1;
		}
		c->source_desc = util_fmt("debian:%s (golang-gvisor-gvisor-dev %s)", c->deb_tree, c->deb_version);
		if (!c->ref)
			c->ref = c->tag;
		if ((c->rc = source_resolve_ref(c->cache, NULL, c->ref, &c->res)) < 0)
			return -1;
		c->rc = GVAB_EFAIL;
	}
	git_oid_tostr(c->hex, sizeof c->hex, &c->res.commit);
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
	/* go.mod and go.sum straight from the commit: the mode, the toolchain and
	 * the up-to-date key are known before anything is checked out. */
	c->gomod_text = read_blob_text(c->cache, &c->res.commit, "go.mod", NULL);
	{
		size_t n = 0;
		c->gosum_text = read_blob_text(c->cache, &c->res.commit, "go.sum", &n);
		if (c->gosum_text)
			util_sha256_buf(c->gosum_text, n, c->gosum_sha);
	}
	if (c->gomod_text)
		gotool_gomod_parse(c->gomod_text, &c->gm);
	c->module_mode = c->o->mode == BUILD_MODE_MODULE ||
	              (c->o->mode == BUILD_MODE_AUTO && c->gomod_text && !c->is_debian);
	if (c->module_mode && !c->gomod_text) {
		c->rc = error_setc(GVAB_EPRECOND, "commit %.12s has no go.mod; module mode needs one", c->hex);
		return -1;
	}

	return 0;
}
/* The toolchain, the build environment and the patch series. */
static int build_toolchain(struct build_ctx *c)
{
	/* Toolchain. Module mode: the go binary (default /usr/local/go) runs
	 * with GOTOOLCHAIN set to what go.mod names, so Go fetches exactly that
	 * toolchain; --go pins one binary (GOTOOLCHAIN=local) and is checked. */
	if (!c->go)
		c->go = c->go_alloc = c->module_mode ? gotool_default_go() : util_xstrdup(GVAB_DEFAULT_GO);
	if (!c->go || access(c->go, X_OK) != 0) {
		c->rc = error_setc(GVAB_EPRECOND, "Go toolchain %s not found (run hosts/install-deps.sh, or pass --go)",
		                c->go ? c->go : "go");
		return -1;
	}
	if (c->gm.go[0])
		gotool_required(&c->gm, c->required, sizeof c->required);
	if (c->module_mode && !c->o->go && c->required[0]) {
		c->toolchain_env = util_fmt("GOTOOLCHAIN=%s", c->required);
		c->check_what = util_fmt("GOTOOLCHAIN=%s (through %s)", c->required, c->go);
	} else {
		c->toolchain_env = util_xstrdup("GOTOOLCHAIN=local");
		c->check_what = util_fmt("%s", c->go);
	}
	{
		char out_abs_tmp[PATH_MAX];
		if (util_mkdir_p(c->o->out_dir, 0755) < 0 || !realpath(c->o->out_dir, out_abs_tmp)) {
			c->rc = error_set("output directory %s: %s", c->o->out_dir, strerror(errno));
			return -1;
		}
		c->arm_dir = util_fmt("%s/%s", out_abs_tmp, c->name);
	}
	c->gopath = util_fmt("%s/gopath", c->arm_dir);
	c->tree = c->module_mode ? util_fmt("%s/tree", c->arm_dir) : util_fmt("%s/src/gvisor.dev/gvisor", c->gopath);
	c->env_gopath = c->module_mode ? util_fmt("GOPATH=%s/gopath", c->o->cache_dir)
	                         : util_fmt("GOPATH=%s:%s", c->gopath, GVAB_DEBIAN_GOPATH);
	c->env_cache = util_fmt("GOCACHE=%s", c->gocache);
	c->env_modcache = util_fmt("GOMODCACHE=%s", c->gomodcache);
	{
		char *env_compat = util_fmt("DEB_GOMINCOMPAT=%s", c->gm.go);
		char *set[] = {c->env_gopath, c->env_cache, c->module_mode ? c->env_modcache : "GOMODCACHE=",
		               c->toolchain_env, env_compat,
		               c->module_mode ? "GO111MODULE=on" : "GO111MODULE=off", "CGO_ENABLED=0",
		               c->module_mode ? "GOFLAGS=-modcacherw -mod=readonly" : "GOFLAGS=",
		               "GOWORK=off", c->o->offline ? "GOPROXY=off" : "GVAB_BUILD=1", "GONOSUMDB=",
		               NULL};
		c->envp = gotool_env(set);
		free(env_compat);
	}
	if (util_mkdir_p(c->gocache, 0755) < 0 || util_mkdir_p(c->gomodcache, 0755) < 0)
		return -1;
	if (c->o->progress && c->module_mode && !c->o->go)
		fprintf(stderr, "  %s: toolchain %s (go.mod: go %s%s%s)\n", c->name, c->required, c->gm.go,
		        c->gm.toolchain[0] ? ", toolchain " : "", c->gm.toolchain);
	if ((c->rc = gotool_version(c->go, c->envp, &c->go_version)) < 0) {
		error_wrap(c->rc, "toolchain %s", c->check_what);
		return -1;
	}
	if ((c->rc = gotool_check(&c->gm, c->go_version, c->check_what)) < 0)
		return -1;
	c->rc = GVAB_EFAIL;

	if ((c->rc = load_series(c->o, &c->series, &c->nseries)) < 0)
		return -1;
	c->rc = GVAB_EFAIL;
	if (!c->module_mode)
		c->deb_libs = debian_libraries();

	return 0;
}
/* The input key (everything that decides the binary); 1 when the arm on disk
 * was built from the same key (up to date). */
static int build_key(struct build_ctx *c)
{
	/* Input key: everything that decides the binary. */
	c->blob_src = c->o->blob_source ? util_xstrdup(c->o->blob_source) : blobs_default_source();
	{
		char *head = util_fmt("%s\nsource %s %s\ncommit %s\ngo %s\ntoolchain %s\ntags %s\nmode %s\n"
		                      "blobs %s\ngo.mod go %s toolchain %s\ngo.sum %s\n",
		                      BUILD_RECIPE, c->kind, c->is_module ? c->mod.version : "", c->hex, c->go_version,
		                      c->toolchain_env, c->o->tags ? c->o->tags : "", c->module_mode ? "module" : "gopath",
		                      c->blob_src && !c->module_mode ? c->blob_src : "", c->gm.go, c->gm.toolchain, c->gosum_sha);
		key_add(&c->keytext, &c->keylen, &c->keycap, head);
		free(head);
		if (c->deb_libs)
			key_add(&c->keytext, &c->keylen, &c->keycap, c->deb_libs);
		for (size_t i = 0; i < c->nseries; i++)
			for (size_t j = 0; j < c->series[i].count; j++)
				for (size_t k = 0; k < c->series[i].patches[j].nv; k++) {
					char *l = util_fmt("patch %s/%s %s\n", c->series[i].name,
					                   c->series[i].patches[j].v[k].name,
					                   c->series[i].patches[j].v[k].sha256);
					key_add(&c->keytext, &c->keylen, &c->keycap, l);
					free(l);
				}
	}
	if (c->o->relayout > 0) {
		/* -randlayout arrived with Go 1.23's linker. */
		char mm[16];
		gotool_major_minor(c->go_version, mm, sizeof mm);
		if (patch_version_cmp(mm, "1.23") < 0) {
			c->rc = error_setc(GVAB_EPRECOND,
			                "arm %s: relayout needs the Go 1.23 linker's -randlayout; this tree "
			                "builds with %s", c->name, c->go_version);
			return -1;
		}
		char *l = util_fmt("relayout %ld\n", c->o->relayout);
		key_add(&c->keytext, &c->keylen, &c->keycap, l);
		free(l);
	}
	util_sha256_buf(c->keytext, strlen(c->keytext), c->key);

	c->runsc = util_fmt("%s/runsc", c->arm_dir);
	c->runsc_tmp = util_fmt("%s/runsc.tmp", c->arm_dir);
	c->prov_path = util_fmt("%s/provenance.json", c->arm_dir);
	c->log_path = util_fmt("%s/build.log", c->arm_dir);

	if (!c->o->force && provenance_up_to_date(c->prov_path, c->runsc, c->key)) {
		if (c->o->progress)
			fprintf(stderr, "  %s: up to date (%s)\n", c->name, c->runsc);
		c->rc = 0;
		return 1;
	}

	return 0;
}
/* A fresh tree, checked out, the series applied, the generated blobs built
 * (GOPATH mode). */
static int build_checkout(struct build_ctx *c)
{
	if (util_rm_rf(c->gopath) < 0 || util_rm_rf(c->module_mode ? c->tree : c->gopath) < 0 ||
	    util_mkdir_p(c->arm_dir, 0755) < 0)
		return -1;
	{
		char *t2 = util_fmt("%s/tree", c->arm_dir);
		int r = util_rm_rf(t2);
		free(t2);
		if (r < 0)
			return -1;
	}
	unlink(c->log_path);
	if (!c->module_mode) {
		char *parent = util_fmt("%s/src/gvisor.dev", c->gopath);
		int r = util_mkdir_p(parent, 0755);
		free(parent);
		if (r < 0)
			return -1;
	}
	if (source_checkout(c->cache, &c->res.commit, c->tree) < 0) {
		error_wrap(GVAB_EFAIL, "checking out %.12s", c->hex);
		return -1;
	}
	if (git_repository_open(&c->work, c->tree) < 0) {
		source_git_error(c->tree);
		return -1;
	}
	{
		struct patch_context ctx = {.tree = c->tree, .history = c->is_module || c->is_debian ? NULL : c->cache,
		                            .commit = &c->res.commit, .gomod_go = c->gm.go[0] ? c->gm.go : NULL};
		for (size_t i = 0; i < c->nseries; i++) {
			if ((c->rc = patch_apply_series(c->work, &ctx, &c->series[i])) < 0)
				return -1;
			c->rc = GVAB_EFAIL;
			for (size_t j = 0; j < c->series[i].count && c->o->progress; j++) {
				const struct patch_entry *p = &c->series[i].patches[j];
				if (p->status == PATCH_SUPERSEDED)
					fprintf(stderr, "  %s: %s/%s %s\n", c->name, c->series[i].name, p->v[p->chosen].name,
					        p->detail);
				else
					fprintf(stderr, "  %s: %s/%s %s%s%s\n", c->name, c->series[i].name,
					        p->v[p->chosen].name, patch_status_name(p->status),
					        p->detail[0] ? ": " : "", p->detail);
			}
		}
	}

	if (!c->module_mode && blobs_needed(c->tree)) {
		if (!c->blob_src) {
			c->rc = error_setc(GVAB_EPRECOND,
			                "%s has placeholder vDSO/systrap blobs and no blob source was found "
			                "(run hosts/install-deps.sh, or pass --blob-source DIR)", c->tree);
			return -1;
		}
		c->blob_dir = util_fmt("%s/blobs", c->arm_dir);
		c->blob_rec = cJSON_CreateObject();
		if ((c->rc = blobs_generate(c->tree, c->blob_src, c->blob_dir, c->blob_rec)) < 0) {
			error_wrap(c->rc, "building gVisor's generated blobs");
			return -1;
		}
		c->rc = GVAB_EFAIL;
		if (c->o->progress)
			fprintf(stderr, "  %s: built vDSO and systrap stub from %s\n", c->name, c->blob_src);
	} else if (c->module_mode && blobs_needed(c->tree)) {
		c->rc = error_setc(GVAB_EPRECOND,
		                "%.12s ships placeholder vDSO/systrap blobs (non-Go files Bazel generates); "
		                "this tree cannot build in module mode as is", c->hex);
		return -1;
	}

	return 0;
}
/* go build, then the binary checked (static), moved into place and asked its
 * version. */
static int build_compile(struct build_ctx *c)
{
	/* runsc --version reports this, so a binary says which commit it is. */
	c->ldflags = c->o->relayout > 0
	                  ? util_fmt("-X gvisor.dev/gvisor/runsc/version.version=gvab-%.12s -randlayout=%ld", c->hex,
	                             c->o->relayout)
	                  : util_fmt("-X gvisor.dev/gvisor/runsc/version.version=gvab-%.12s", c->hex);
	{
		char *argv[14];
		int a = 0;
		argv[a++] = (char *)c->go;
		argv[a++] = "build";
		argv[a++] = "-trimpath";
		argv[a++] = "-ldflags";
		argv[a++] = c->ldflags;
		if (c->o->tags) {
			argv[a++] = "-tags";
			argv[a++] = (char *)c->o->tags;
		}
		argv[a++] = "-o";
		argv[a++] = c->runsc_tmp;
		argv[a++] = "./runsc";
		argv[a] = NULL;
		if ((c->rc = run_go_build(argv, c->envp, c->tree, c->log_path, c->name, c->o->progress, &c->wall_s)) < 0)
			return -1;
		c->rc = GVAB_EFAIL;
	}

	int st = build_elf_is_static(c->runsc_tmp);
	if (st < 0)
		return -1;
	if (st == 0) {
		error_set("%s is dynamically linked; runsc must be static (CGO_ENABLED=0)", c->runsc_tmp);
		return -1;
	}
	if (rename(c->runsc_tmp, c->runsc) < 0) {
		error_set("rename %s: %s", c->runsc_tmp, strerror(errno));
		return -1;
	}
	c->version_out = capture_trim((char *[]){c->runsc, "--version", NULL}, NULL);
	if (!c->version_out) {
		error_set("%s --version failed", c->runsc);
		return -1;
	}
	{
		char *out = NULL;
		int s2;
		char *argv[] = {(char *)c->go, "version", "-m", c->runsc, NULL};
		if (proc_run_capture(argv, c->envp, NULL, &out, &s2) == 0 && WIFEXITED(s2) &&
		    WEXITSTATUS(s2) == 0)
			c->gov_m = out;
		else
			free(out);
	}

	return 0;
}
/* provenance.json. */
static int build_provenance(struct build_ctx *c)
{
	/* Provenance. */
	{
		char sha[65], when[32];
		struct stat sb;
		if (util_sha256_file(c->runsc, sha) < 0 || stat(c->runsc, &sb) < 0)
			return -1;
		util_utc_now(when, sizeof when);
		c->prov = cJSON_CreateObject();
		cJSON_AddStringToObject(c->prov, "format", "gvab-provenance/2");
		cJSON_AddStringToObject(c->prov, "arm", c->name);
		cJSON_AddStringToObject(c->prov, "arm_spec", c->o->arm);
		cJSON *src = cJSON_AddObjectToObject(c->prov, "source");
		cJSON_AddStringToObject(src, "kind", c->kind);
		cJSON_AddStringToObject(src, "location", c->is_debian ? c->deb_tree : c->is_module ? MODSOURCE_MODULE : c->o->source);
		cJSON_AddStringToObject(src, "description", c->source_desc);
		if (c->source_ns) {
			/* Where the commit was read: this source's refs in the cache,
			 * fetched by this build or an earlier one. */
			cJSON_AddStringToObject(src, "cache_refs", c->source_ns);
			cJSON_AddBoolToObject(src, "fetched_now", c->fetched);
		}
		if (c->deb_version)
			cJSON_AddStringToObject(src, "debian_version", c->deb_version);
		if (c->is_module) {
			cJSON_AddStringToObject(src, "module_version", c->mod.version);
			cJSON_AddStringToObject(src, "go_branch_commit", c->mod.origin_hash);
			cJSON_AddStringToObject(src, "module_sum", c->mod.sum);
			cJSON_AddStringToObject(src, "sumdb", c->mod.sumdb);
		}
		cJSON_AddStringToObject(c->prov, "ref", c->ref);
		cJSON_AddStringToObject(c->prov, "resolved_commit", c->hex);
		cJSON_AddStringToObject(c->prov, "resolution", c->res.how);
		if (c->res.master_between >= 0)
			cJSON_AddNumberToObject(c->prov, "master_commits_beyond_tag", c->res.master_between);
		if (c->res.beyond[0])
			cJSON_AddStringToObject(c->prov, "master_commits_beyond_tag_first", c->res.beyond);
		if (c->res.warning[0])
			cJSON_AddStringToObject(c->prov, "resolution_warning", c->res.warning);
		cJSON *pd = cJSON_AddArrayToObject(c->prov, "patches_dirs");
		{
			char abs[PATH_MAX];
			cJSON_AddItemToArray(pd, cJSON_CreateString(realpath(c->o->patches_dir, abs) ? abs : c->o->patches_dir));
			for (size_t j = 0; c->o->series_dirs && c->o->series_dirs[j]; j++)
				cJSON_AddItemToArray(pd, cJSON_CreateString(realpath(c->o->series_dirs[j], abs)
				                                                ? abs : c->o->series_dirs[j]));
		}
		cJSON *ser = cJSON_AddArrayToObject(c->prov, "series");
		for (size_t i = 0; i < c->nseries; i++) {
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "name", c->series[i].name);
			cJSON_AddStringToObject(s, "dir", c->series[i].dir);
			cJSON *ps = cJSON_AddArrayToObject(s, "patches");
			for (size_t j = 0; j < c->series[i].count; j++) {
				const struct patch_entry *pe = &c->series[i].patches[j];
				cJSON *p = cJSON_CreateObject();
				cJSON_AddStringToObject(p, "name", pe->v[pe->chosen].name);
				cJSON_AddStringToObject(p, "sha256", pe->v[pe->chosen].sha256);
				cJSON_AddStringToObject(p, "status", patch_status_name(pe->status));
				if (pe->nv > 1)
					cJSON_AddNumberToObject(p, "variant", (double)pe->chosen + 1);
				if (pe->detail[0])
					cJSON_AddStringToObject(p, "detail", pe->detail);
				cJSON_AddItemToArray(ps, p);
			}
			cJSON_AddItemToArray(ser, s);
		}
		cJSON *g = cJSON_AddObjectToObject(c->prov, "go");
		cJSON_AddStringToObject(g, "path", c->go);
		cJSON_AddStringToObject(g, "version", c->go_version);
		cJSON_AddStringToObject(g, "gotoolchain", c->toolchain_env + strlen("GOTOOLCHAIN="));
		cJSON_AddStringToObject(g, "mode", c->module_mode ? "module" : "gopath");
		cJSON_AddStringToObject(g, "gomod_go", c->gm.go);
		cJSON_AddStringToObject(g, "gomod_toolchain", c->gm.toolchain);
		cJSON_AddStringToObject(g, "gosum_sha256", c->gosum_sha);
		if (c->module_mode) {
			cJSON_AddStringToObject(g, "gomodcache", c->gomodcache);
			const char *proxy = getenv("GOPROXY");
			cJSON_AddStringToObject(g, "goproxy", c->o->offline ? "off" : proxy ? proxy : "(go default)");
		} else {
			cJSON_AddStringToObject(g, "deb_gomincompat", c->gm.go);
			cJSON *libs = cJSON_AddArrayToObject(g, "debian_libraries");
			char *copy = util_xstrdup(c->deb_libs ? c->deb_libs : "");
			for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				cJSON_AddItemToArray(libs, cJSON_CreateString(l));
			free(copy);
		}
		cJSON *b = cJSON_AddObjectToObject(c->prov, "build");
		cJSON_AddStringToObject(b, "flags", "CGO_ENABLED=0 go build -trimpath");
		cJSON_AddStringToObject(b, "ldflags", c->ldflags);
		if (c->blob_rec) {
			cJSON_AddItemToObject(b, "generated_blobs", c->blob_rec);
			c->blob_rec = NULL;
		}
		cJSON_AddStringToObject(b, "tags", c->o->tags ? c->o->tags : "");
		if (c->o->relayout > 0) {
			cJSON *rl = cJSON_AddObjectToObject(b, "relayout");
			cJSON_AddNumberToObject(rl, "seed", (double)c->o->relayout);
			cJSON_AddStringToObject(rl, "method", "go link -randlayout=SEED: the same source, patches, "
			                                      "toolchain and flags, functions linked in another "
			                                      "order (an A' arm: a different binary, the same "
			                                      "behaviour)");
		}
		cJSON_AddNumberToObject(b, "wall_s", c->wall_s);
		cJSON_AddStringToObject(b, "built_at", when);
		cJSON_AddStringToObject(b, "log", c->log_path);
		cJSON_AddStringToObject(b, "tree", c->tree);
		cJSON *bin = cJSON_AddObjectToObject(c->prov, "binary");
		cJSON_AddStringToObject(bin, "path", c->runsc);
		cJSON_AddStringToObject(bin, "sha256", sha);
		cJSON_AddNumberToObject(bin, "size_bytes", (double)sb.st_size);
		cJSON_AddBoolToObject(bin, "static", 1);
		cJSON_AddStringToObject(bin, "version_output", c->version_out);
		cJSON_AddStringToObject(c->prov, "go_version_m", c->gov_m ? c->gov_m : "");
		cJSON_AddStringToObject(c->prov, "input_key", c->key);
		if (util_json_save(c->prov_path, c->prov) < 0)
			return -1;
		if (c->o->progress)
			fprintf(stderr, "  %s: %s (%.1f MB, sha256 %.12s, built in %.1f s)\n", c->name, c->runsc,
			        (double)sb.st_size / 1e6, sha, c->wall_s);
	}
	return 0;
}
int build_arm(const struct build_opts *o, char **runsc_out)
{
	struct build_ctx cx, *c = &cx;
	memset(c, 0, sizeof *c);
	c->o = o;
	c->rc = GVAB_EFAIL;
	c->go = o->go;
	c->deb_tree = o->debian_tree ? o->debian_tree : GVAB_DEBIAN_TREE;
	c->name = o->name ? o->name : o->arm;
	c->ref = o->ref;
	c->kind = "git";
	c->is_debian = strcmp(o->source, "debian") == 0;
	c->is_module = strcmp(o->source, "module") == 0 || strcmp(o->source, MODSOURCE_MODULE) == 0;
	static int (*const steps[])(struct build_ctx *) = {build_open, build_source, build_gomod, build_toolchain,
	                                                   build_key, build_checkout, build_compile,
	                                                   build_provenance};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		int r = steps[i](c);
		if (r < 0)
			goto out;
		if (r == 1) /* up to date */
			break;
	}
	if (runsc_out) {
		*runsc_out = c->runsc;
		c->runsc = NULL;
	}
	c->rc = 0;
out:
	cJSON_Delete(c->prov);
	cJSON_Delete(c->blob_rec);
	gotool_env_free(c->envp);
	free(c->blob_src);
	free(c->blob_dir);
	free(c->ldflags);
	git_repository_free(c->work);
	git_repository_free(c->cache);
	for (size_t i = 0; c->series && i < c->nseries; i++)
		patch_series_free(&c->series[i]);
	free(c->series);
	free(c->cache_repo);
	free(c->gocache);
	free(c->gomodcache);
	free(c->arm_dir);
	free(c->gopath);
	free(c->tree);
	free(c->runsc);
	free(c->runsc_tmp);
	free(c->prov_path);
	free(c->log_path);
	free(c->deb_version);
	free(c->tag);
	free(c->go_version);
	free(c->version_out);
	free(c->gov_m);
	free(c->keytext);
	free(c->source_desc);
	free(c->go_alloc);
	free(c->gomod_text);
	free(c->gosum_text);
	free(c->deb_libs);
	free(c->toolchain_env);
	free(c->env_gopath);
	free(c->env_cache);
	free(c->env_modcache);
	free(c->check_what);
	free(c->source_ns);
	return c->rc;
}
