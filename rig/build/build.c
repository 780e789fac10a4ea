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
 * a tag it already has? Branches always move, so they are fetched. */
static int ref_is_cached(git_repository *cache, const char *ref)
{
	git_object *obj = NULL;
	size_t n = strlen(ref);
	int hex = n >= 7 && n <= 40 && strspn(ref, "0123456789abcdef") == n;
	char *tagref = util_fmt("refs/tags/%s", ref);
	git_oid id;
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

int build_arm(const struct build_opts *o, char **runsc_out)
{
	int rc = GVAB_EFAIL;
	git_repository *cache = NULL, *work = NULL;
	struct patch_series *series = NULL;
	size_t nseries = 0;
	char *cache_repo = NULL, *gocache = NULL, *gomodcache = NULL, *arm_dir = NULL, *gopath = NULL,
	     *tree = NULL, *runsc = NULL, *runsc_tmp = NULL, *prov_path = NULL, *log_path = NULL,
	     *deb_version = NULL, *tag = NULL, *go_version = NULL, *version_out = NULL,
	     *gov_m = NULL, *keytext = NULL, *source_desc = NULL, *blob_src = NULL, *blob_dir = NULL,
	     *ldflags = NULL, *go_alloc = NULL, *gomod_text = NULL, *gosum_text = NULL,
	     *deb_libs = NULL, *toolchain_env = NULL, *env_gopath = NULL, *env_cache = NULL,
	     *env_modcache = NULL, *check_what = NULL;
	char **envp = NULL;
	cJSON *blob_rec = NULL, *prov = NULL;
	const char *go = o->go;
	const char *deb_tree = o->debian_tree ? o->debian_tree : GVAB_DEBIAN_TREE;
	const char *name = o->name ? o->name : o->arm;
	const char *ref = o->ref;
	const char *kind = "git";
	struct source_resolution res;
	struct modsource_info mod;
	struct gomod_info gm;
	char hex[GIT_OID_HEXSZ + 1], gosum_sha[65] = "", required[48] = "";
	int is_debian = strcmp(o->source, "debian") == 0;
	int is_module = strcmp(o->source, "module") == 0 || strcmp(o->source, MODSOURCE_MODULE) == 0;
	int module_mode = 0, fetched = 0;
	double wall_s = 0;
	size_t keylen = 0, keycap = 0;

	memset(&res, 0, sizeof res);
	memset(&mod, 0, sizeof mod);
	memset(&gm, 0, sizeof gm);
	if (strchr(name, '/') || !*name || name[0] == '.')
		return error_setc(GVAB_EUSAGE, "arm name '%s': must be a plain name", name);

	cache_repo = util_fmt("%s/gvisor.git", o->cache_dir);
	gocache = util_fmt("%s/gocache", o->cache_dir);
	gomodcache = util_fmt("%s/gomod", o->cache_dir);
	if ((rc = source_open_cache(cache_repo, &cache)) < 0)
		goto out;
	rc = GVAB_EFAIL;

	/* Source. */
	if (is_module) {
		kind = "module";
		if (!go)
			go = go_alloc = gotool_default_go();
		if (!go) {
			rc = error_setc(GVAB_EPRECOND, "no go binary for the module source (/usr/local/go/bin/go "
			                               "or go in PATH); pass --go");
			goto out;
		}
		if ((rc = modsource_fetch(cache, o->cache_dir, go, ref, o->offline, &mod)) < 0)
			goto out;
		rc = GVAB_EFAIL;
		git_oid_cpy(&res.commit, &mod.commit);
		git_oid_cpy(&res.asked, &mod.commit);
		res.master_between = -1;
		snprintf(res.how, sizeof res.how, "%s", mod.how);
		source_desc = util_fmt("module %s@%s", MODSOURCE_MODULE, mod.version);
		ref = ref ? ref : "go";
		fetched = strcmp(mod.sumdb, "cached") != 0;
		if (o->go == NULL) {
			free(go_alloc);
			go = go_alloc = NULL;
		}
	} else if (!is_debian) {
		if (!ref)
			ref = "go";
		if (o->offline || ref_is_cached(cache, ref)) {
			if (o->progress)
				fprintf(stderr, "  %s: %s\n", ref, o->offline ? "offline, using the cache" : "already cached, no fetch");
		} else {
			unsigned got = 0;
			if (o->progress)
				fprintf(stderr, "  fetching %s\n", o->source);
			if (source_fetch(cache, o->source, &got) < 0) {
				rc = error_wrap(GVAB_EPRECOND, "fetching gVisor");
				goto out;
			}
			fetched = 1;
			if (o->progress)
				fprintf(stderr, "  fetched %u new objects\n", got);
		}
		source_desc = util_xstrdup(o->source);
		if ((rc = source_resolve_ref(cache, ref, &res)) < 0)
			goto out;
		rc = GVAB_EFAIL;
	} else {
		kind = "debian";
		git_oid imported;
		build_debian_tag(&deb_version, &tag);
		if (source_import_tree(cache, deb_tree, "debian", tag, &imported) < 0) {
			rc = error_wrap(GVAB_EPRECOND, "importing Debian's gVisor tree");
			goto out;
		}
		source_desc = util_fmt("debian:%s (golang-gvisor-gvisor-dev %s)", deb_tree, deb_version);
		if (!ref)
			ref = tag;
		if ((rc = source_resolve_ref(cache, ref, &res)) < 0)
			goto out;
		rc = GVAB_EFAIL;
	}
	git_oid_tostr(hex, sizeof hex, &res.commit);
	if (o->progress) {
		fprintf(stderr, "  %s\n", res.how);
		if (res.beyond[0])
			fprintf(stderr, "%s", res.beyond);
	}
	(void)fetched;

	/* go.mod and go.sum straight from the commit: the mode, the toolchain and
	 * the up-to-date key are known before anything is checked out. */
	gomod_text = read_blob_text(cache, &res.commit, "go.mod", NULL);
	{
		size_t n = 0;
		gosum_text = read_blob_text(cache, &res.commit, "go.sum", &n);
		if (gosum_text)
			util_sha256_buf(gosum_text, n, gosum_sha);
	}
	if (gomod_text)
		gotool_gomod_parse(gomod_text, &gm);
	module_mode = o->mode == BUILD_MODE_MODULE ||
	              (o->mode == BUILD_MODE_AUTO && gomod_text && !is_debian);
	if (module_mode && !gomod_text) {
		rc = error_setc(GVAB_EPRECOND, "commit %.12s has no go.mod; module mode needs one", hex);
		goto out;
	}

	/* Toolchain. Module mode: the go binary (default /usr/local/go) runs
	 * with GOTOOLCHAIN set to what go.mod names, so Go fetches exactly that
	 * toolchain; --go pins one binary (GOTOOLCHAIN=local) and is checked. */
	if (!go)
		go = go_alloc = module_mode ? gotool_default_go() : util_xstrdup(GVAB_DEFAULT_GO);
	if (!go || access(go, X_OK) != 0) {
		rc = error_setc(GVAB_EPRECOND, "Go toolchain %s not found (run hosts/install-deps.sh, or pass --go)",
		                go ? go : "go");
		goto out;
	}
	if (gm.go[0])
		gotool_required(&gm, required, sizeof required);
	if (module_mode && !o->go && required[0]) {
		toolchain_env = util_fmt("GOTOOLCHAIN=%s", required);
		check_what = util_fmt("GOTOOLCHAIN=%s (through %s)", required, go);
	} else {
		toolchain_env = util_xstrdup("GOTOOLCHAIN=local");
		check_what = util_fmt("%s", go);
	}
	{
		char out_abs_tmp[PATH_MAX];
		if (util_mkdir_p(o->out_dir, 0755) < 0 || !realpath(o->out_dir, out_abs_tmp)) {
			rc = error_set("output directory %s: %s", o->out_dir, strerror(errno));
			goto out;
		}
		arm_dir = util_fmt("%s/%s", out_abs_tmp, name);
	}
	gopath = util_fmt("%s/gopath", arm_dir);
	tree = module_mode ? util_fmt("%s/tree", arm_dir) : util_fmt("%s/src/gvisor.dev/gvisor", gopath);
	env_gopath = module_mode ? util_fmt("GOPATH=%s/gopath", o->cache_dir)
	                         : util_fmt("GOPATH=%s:%s", gopath, GVAB_DEBIAN_GOPATH);
	env_cache = util_fmt("GOCACHE=%s", gocache);
	env_modcache = util_fmt("GOMODCACHE=%s", gomodcache);
	{
		char *env_compat = util_fmt("DEB_GOMINCOMPAT=%s", gm.go);
		char *set[] = {env_gopath, env_cache, module_mode ? env_modcache : "GOMODCACHE=",
		               toolchain_env, env_compat,
		               module_mode ? "GO111MODULE=on" : "GO111MODULE=off", "CGO_ENABLED=0",
		               module_mode ? "GOFLAGS=-modcacherw -mod=readonly" : "GOFLAGS=",
		               "GOWORK=off", o->offline ? "GOPROXY=off" : "GVAB_BUILD=1", "GONOSUMDB=",
		               NULL};
		envp = gotool_env(set);
		free(env_compat);
	}
	if (util_mkdir_p(gocache, 0755) < 0 || util_mkdir_p(gomodcache, 0755) < 0)
		goto out;
	if (o->progress && module_mode && !o->go)
		fprintf(stderr, "  %s: toolchain %s (go.mod: go %s%s%s)\n", name, required, gm.go,
		        gm.toolchain[0] ? ", toolchain " : "", gm.toolchain);
	if ((rc = gotool_version(go, envp, &go_version)) < 0) {
		error_wrap(rc, "toolchain %s", check_what);
		goto out;
	}
	if ((rc = gotool_check(&gm, go_version, check_what)) < 0)
		goto out;
	rc = GVAB_EFAIL;

	if ((rc = load_series(o, &series, &nseries)) < 0)
		goto out;
	rc = GVAB_EFAIL;
	if (!module_mode)
		deb_libs = debian_libraries();

	/* Input key: everything that decides the binary. */
	blob_src = o->blob_source ? util_xstrdup(o->blob_source) : blobs_default_source();
	{
		char *head = util_fmt("%s\nsource %s %s\ncommit %s\ngo %s\ntoolchain %s\ntags %s\nmode %s\n"
		                      "blobs %s\ngo.mod go %s toolchain %s\ngo.sum %s\n",
		                      BUILD_RECIPE, kind, is_module ? mod.version : "", hex, go_version,
		                      toolchain_env, o->tags ? o->tags : "", module_mode ? "module" : "gopath",
		                      blob_src && !module_mode ? blob_src : "", gm.go, gm.toolchain, gosum_sha);
		key_add(&keytext, &keylen, &keycap, head);
		free(head);
		if (deb_libs)
			key_add(&keytext, &keylen, &keycap, deb_libs);
		for (size_t i = 0; i < nseries; i++)
			for (size_t j = 0; j < series[i].count; j++)
				for (size_t k = 0; k < series[i].patches[j].nv; k++) {
					char *l = util_fmt("patch %s/%s %s\n", series[i].name,
					                   series[i].patches[j].v[k].name,
					                   series[i].patches[j].v[k].sha256);
					key_add(&keytext, &keylen, &keycap, l);
					free(l);
				}
	}
	if (o->relayout > 0) {
		/* -randlayout arrived with Go 1.23's linker. */
		char mm[16];
		gotool_major_minor(go_version, mm, sizeof mm);
		if (patch_version_cmp(mm, "1.23") < 0) {
			rc = error_setc(GVAB_EPRECOND,
			                "arm %s: relayout needs the Go 1.23 linker's -randlayout; this tree "
			                "builds with %s", name, go_version);
			goto out;
		}
		char *l = util_fmt("relayout %ld\n", o->relayout);
		key_add(&keytext, &keylen, &keycap, l);
		free(l);
	}
	char key[65];
	util_sha256_buf(keytext, strlen(keytext), key);

	runsc = util_fmt("%s/runsc", arm_dir);
	runsc_tmp = util_fmt("%s/runsc.tmp", arm_dir);
	prov_path = util_fmt("%s/provenance.json", arm_dir);
	log_path = util_fmt("%s/build.log", arm_dir);

	if (!o->force && provenance_up_to_date(prov_path, runsc, key)) {
		if (o->progress)
			fprintf(stderr, "  %s: up to date (%s)\n", name, runsc);
		rc = 0;
		goto done;
	}

	if (util_rm_rf(gopath) < 0 || util_rm_rf(module_mode ? tree : gopath) < 0 ||
	    util_mkdir_p(arm_dir, 0755) < 0)
		goto out;
	{
		char *t2 = util_fmt("%s/tree", arm_dir);
		int r = util_rm_rf(t2);
		free(t2);
		if (r < 0)
			goto out;
	}
	unlink(log_path);
	if (!module_mode) {
		char *parent = util_fmt("%s/src/gvisor.dev", gopath);
		int r = util_mkdir_p(parent, 0755);
		free(parent);
		if (r < 0)
			goto out;
	}
	if (source_checkout(cache, &res.commit, tree) < 0) {
		error_wrap(GVAB_EFAIL, "checking out %.12s", hex);
		goto out;
	}
	if (git_repository_open(&work, tree) < 0) {
		source_git_error(tree);
		goto out;
	}
	{
		struct patch_context ctx = {.tree = tree, .history = is_module || is_debian ? NULL : cache,
		                            .commit = &res.commit, .gomod_go = gm.go[0] ? gm.go : NULL};
		for (size_t i = 0; i < nseries; i++) {
			if ((rc = patch_apply_series(work, &ctx, &series[i])) < 0)
				goto out;
			rc = GVAB_EFAIL;
			for (size_t j = 0; j < series[i].count && o->progress; j++) {
				const struct patch_entry *p = &series[i].patches[j];
				if (p->status == PATCH_SUPERSEDED)
					fprintf(stderr, "  %s: %s/%s %s\n", name, series[i].name, p->v[p->chosen].name,
					        p->detail);
				else
					fprintf(stderr, "  %s: %s/%s %s%s%s\n", name, series[i].name,
					        p->v[p->chosen].name, patch_status_name(p->status),
					        p->detail[0] ? ": " : "", p->detail);
			}
		}
	}

	if (!module_mode && blobs_needed(tree)) {
		if (!blob_src) {
			rc = error_setc(GVAB_EPRECOND,
			                "%s has placeholder vDSO/systrap blobs and no blob source was found "
			                "(run hosts/install-deps.sh, or pass --blob-source DIR)", tree);
			goto out;
		}
		blob_dir = util_fmt("%s/blobs", arm_dir);
		blob_rec = cJSON_CreateObject();
		if ((rc = blobs_generate(tree, blob_src, blob_dir, blob_rec)) < 0) {
			error_wrap(rc, "building gVisor's generated blobs");
			goto out;
		}
		rc = GVAB_EFAIL;
		if (o->progress)
			fprintf(stderr, "  %s: built vDSO and systrap stub from %s\n", name, blob_src);
	} else if (module_mode && blobs_needed(tree)) {
		rc = error_setc(GVAB_EPRECOND,
		                "%.12s ships placeholder vDSO/systrap blobs (non-Go files Bazel generates); "
		                "this tree cannot build in module mode as is", hex);
		goto out;
	}

	/* runsc --version reports this, so a binary says which commit it is. */
	ldflags = o->relayout > 0
	                  ? util_fmt("-X gvisor.dev/gvisor/runsc/version.version=gvab-%.12s -randlayout=%ld", hex,
	                             o->relayout)
	                  : util_fmt("-X gvisor.dev/gvisor/runsc/version.version=gvab-%.12s", hex);
	{
		char *argv[14];
		int a = 0;
		argv[a++] = (char *)go;
		argv[a++] = "build";
		argv[a++] = "-trimpath";
		argv[a++] = "-ldflags";
		argv[a++] = ldflags;
		if (o->tags) {
			argv[a++] = "-tags";
			argv[a++] = (char *)o->tags;
		}
		argv[a++] = "-o";
		argv[a++] = runsc_tmp;
		argv[a++] = "./runsc";
		argv[a] = NULL;
		if ((rc = run_go_build(argv, envp, tree, log_path, name, o->progress, &wall_s)) < 0)
			goto out;
		rc = GVAB_EFAIL;
	}

	int st = build_elf_is_static(runsc_tmp);
	if (st < 0)
		goto out;
	if (st == 0) {
		error_set("%s is dynamically linked; runsc must be static (CGO_ENABLED=0)", runsc_tmp);
		goto out;
	}
	if (rename(runsc_tmp, runsc) < 0) {
		error_set("rename %s: %s", runsc_tmp, strerror(errno));
		goto out;
	}
	version_out = capture_trim((char *[]){runsc, "--version", NULL}, NULL);
	if (!version_out) {
		error_set("%s --version failed", runsc);
		goto out;
	}
	{
		char *out = NULL;
		int s2;
		char *argv[] = {(char *)go, "version", "-m", runsc, NULL};
		if (proc_run_capture(argv, envp, NULL, &out, &s2) == 0 && WIFEXITED(s2) &&
		    WEXITSTATUS(s2) == 0)
			gov_m = out;
		else
			free(out);
	}

	/* Provenance. */
	{
		char sha[65], when[32];
		struct stat sb;
		if (util_sha256_file(runsc, sha) < 0 || stat(runsc, &sb) < 0)
			goto out;
		util_utc_now(when, sizeof when);
		prov = cJSON_CreateObject();
		cJSON_AddStringToObject(prov, "format", "gvab-provenance/2");
		cJSON_AddStringToObject(prov, "arm", name);
		cJSON_AddStringToObject(prov, "arm_spec", o->arm);
		cJSON *src = cJSON_AddObjectToObject(prov, "source");
		cJSON_AddStringToObject(src, "kind", kind);
		cJSON_AddStringToObject(src, "location", is_debian ? deb_tree : is_module ? MODSOURCE_MODULE : o->source);
		cJSON_AddStringToObject(src, "description", source_desc);
		if (deb_version)
			cJSON_AddStringToObject(src, "debian_version", deb_version);
		if (is_module) {
			cJSON_AddStringToObject(src, "module_version", mod.version);
			cJSON_AddStringToObject(src, "go_branch_commit", mod.origin_hash);
			cJSON_AddStringToObject(src, "module_sum", mod.sum);
			cJSON_AddStringToObject(src, "sumdb", mod.sumdb);
		}
		cJSON_AddStringToObject(prov, "ref", ref);
		cJSON_AddStringToObject(prov, "resolved_commit", hex);
		cJSON_AddStringToObject(prov, "resolution", res.how);
		if (res.master_between >= 0)
			cJSON_AddNumberToObject(prov, "master_commits_beyond_tag", res.master_between);
		if (res.beyond[0])
			cJSON_AddStringToObject(prov, "master_commits_beyond_tag_first", res.beyond);
		cJSON *pd = cJSON_AddArrayToObject(prov, "patches_dirs");
		{
			char abs[PATH_MAX];
			cJSON_AddItemToArray(pd, cJSON_CreateString(realpath(o->patches_dir, abs) ? abs : o->patches_dir));
			for (size_t j = 0; o->series_dirs && o->series_dirs[j]; j++)
				cJSON_AddItemToArray(pd, cJSON_CreateString(realpath(o->series_dirs[j], abs)
				                                                ? abs : o->series_dirs[j]));
		}
		cJSON *ser = cJSON_AddArrayToObject(prov, "series");
		for (size_t i = 0; i < nseries; i++) {
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "name", series[i].name);
			cJSON_AddStringToObject(s, "dir", series[i].dir);
			cJSON *ps = cJSON_AddArrayToObject(s, "patches");
			for (size_t j = 0; j < series[i].count; j++) {
				const struct patch_entry *pe = &series[i].patches[j];
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
		cJSON *g = cJSON_AddObjectToObject(prov, "go");
		cJSON_AddStringToObject(g, "path", go);
		cJSON_AddStringToObject(g, "version", go_version);
		cJSON_AddStringToObject(g, "gotoolchain", toolchain_env + strlen("GOTOOLCHAIN="));
		cJSON_AddStringToObject(g, "mode", module_mode ? "module" : "gopath");
		cJSON_AddStringToObject(g, "gomod_go", gm.go);
		cJSON_AddStringToObject(g, "gomod_toolchain", gm.toolchain);
		cJSON_AddStringToObject(g, "gosum_sha256", gosum_sha);
		if (module_mode) {
			cJSON_AddStringToObject(g, "gomodcache", gomodcache);
			const char *proxy = getenv("GOPROXY");
			cJSON_AddStringToObject(g, "goproxy", o->offline ? "off" : proxy ? proxy : "(go default)");
		} else {
			cJSON_AddStringToObject(g, "deb_gomincompat", gm.go);
			cJSON *libs = cJSON_AddArrayToObject(g, "debian_libraries");
			char *copy = util_xstrdup(deb_libs ? deb_libs : "");
			for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				cJSON_AddItemToArray(libs, cJSON_CreateString(l));
			free(copy);
		}
		cJSON *b = cJSON_AddObjectToObject(prov, "build");
		cJSON_AddStringToObject(b, "flags", "CGO_ENABLED=0 go build -trimpath");
		cJSON_AddStringToObject(b, "ldflags", ldflags);
		if (blob_rec) {
			cJSON_AddItemToObject(b, "generated_blobs", blob_rec);
			blob_rec = NULL;
		}
		cJSON_AddStringToObject(b, "tags", o->tags ? o->tags : "");
		if (o->relayout > 0) {
			cJSON *rl = cJSON_AddObjectToObject(b, "relayout");
			cJSON_AddNumberToObject(rl, "seed", (double)o->relayout);
			cJSON_AddStringToObject(rl, "method", "go link -randlayout=SEED: the same source, patches, "
			                                      "toolchain and flags, functions linked in another "
			                                      "order (an A' arm: a different binary, the same "
			                                      "behaviour)");
		}
		cJSON_AddNumberToObject(b, "wall_s", wall_s);
		cJSON_AddStringToObject(b, "built_at", when);
		cJSON_AddStringToObject(b, "log", log_path);
		cJSON_AddStringToObject(b, "tree", tree);
		cJSON *bin = cJSON_AddObjectToObject(prov, "binary");
		cJSON_AddStringToObject(bin, "path", runsc);
		cJSON_AddStringToObject(bin, "sha256", sha);
		cJSON_AddNumberToObject(bin, "size_bytes", (double)sb.st_size);
		cJSON_AddBoolToObject(bin, "static", 1);
		cJSON_AddStringToObject(bin, "version_output", version_out);
		cJSON_AddStringToObject(prov, "go_version_m", gov_m ? gov_m : "");
		cJSON_AddStringToObject(prov, "input_key", key);
		if (util_json_save(prov_path, prov) < 0)
			goto out;
		if (o->progress)
			fprintf(stderr, "  %s: %s (%.1f MB, sha256 %.12s, built in %.1f s)\n", name, runsc,
			        (double)sb.st_size / 1e6, sha, wall_s);
	}
done:
	if (runsc_out) {
		*runsc_out = runsc;
		runsc = NULL;
	}
	rc = 0;
out:
	cJSON_Delete(prov);
	cJSON_Delete(blob_rec);
	gotool_env_free(envp);
	free(blob_src);
	free(blob_dir);
	free(ldflags);
	git_repository_free(work);
	git_repository_free(cache);
	for (size_t i = 0; series && i < nseries; i++)
		patch_series_free(&series[i]);
	free(series);
	free(cache_repo);
	free(gocache);
	free(gomodcache);
	free(arm_dir);
	free(gopath);
	free(tree);
	free(runsc);
	free(runsc_tmp);
	free(prov_path);
	free(log_path);
	free(deb_version);
	free(tag);
	free(go_version);
	free(version_out);
	free(gov_m);
	free(keytext);
	free(source_desc);
	free(go_alloc);
	free(gomod_text);
	free(gosum_text);
	free(deb_libs);
	free(toolchain_env);
	free(env_gopath);
	free(env_cache);
	free(env_modcache);
	free(check_what);
	return rc;
}
