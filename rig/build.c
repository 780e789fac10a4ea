/* build: see build.h. */
#define _GNU_SOURCE
#include "build.h"
#include "blobs.h"
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bump when the build recipe changes in a way that changes the binary. */
#define BUILD_RECIPE "gvab-build/1"

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

static char *gomod_version(const char *tree)
{
	char *path = util_fmt("%s/go.mod", tree);
	char *text = util_read_file(path, NULL);
	char *res = NULL;
	free(path);
	if (!text)
		return NULL;
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		int maj, min;
		if (sscanf(l, "go %d.%d", &maj, &min) == 2) {
			res = util_fmt("%d.%d", maj, min);
			break;
		}
	}
	free(text);
	return res;
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
		char *log = util_read_file(log_path, NULL);
		const char *tail = log ? log : "";
		size_t n = strlen(tail);
		if (n > 600)
			tail += n - 600;
		rc = error_set("go build failed (%s); log %s ends: %s", proc_status_str(st),
		               log_path, tail);
		free(log);
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

int build_arm(const struct build_opts *o, char **runsc_out)
{
	int rc = GVAB_EFAIL;
	git_repository *cache = NULL, *work = NULL;
	struct patch_series *series = NULL;
	size_t nseries = 0;
	char **series_names = NULL, *series_buf = NULL;
	char *cache_repo = NULL, *gocache = NULL, *arm_dir = NULL, *gopath = NULL, *tree = NULL,
	     *runsc = NULL, *runsc_tmp = NULL, *prov_path = NULL, *log_path = NULL,
	     *deb_version = NULL, *tag = NULL, *go_version = NULL, *gomod = NULL,
	     *version_out = NULL, *gov_m = NULL, *keytext = NULL, *source_desc = NULL,
	     *blob_src = NULL, *blob_dir = NULL, *ldflags = NULL;
	cJSON *blob_rec = NULL;
	const char *go = o->go ? o->go : GVAB_DEFAULT_GO;
	const char *deb_tree = o->debian_tree ? o->debian_tree : GVAB_DEBIAN_TREE;
	const char *name = o->name ? o->name : o->arm;
	const char *ref = o->ref;
	struct source_resolution res;
	cJSON *prov = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int is_debian = strcmp(o->source, "debian") == 0;
	double wall_s = 0;

	if (strchr(name, '/') || !*name || name[0] == '.')
		return error_setc(GVAB_EUSAGE, "arm name '%s': must be a plain name", name);
	if (access(go, X_OK) != 0)
		return error_setc(GVAB_EPRECOND, "Go toolchain %s not found (run hosts/install-deps.sh)", go);

	cache_repo = util_fmt("%s/gvisor.git", o->cache_dir);
	gocache = util_fmt("%s/gocache", o->cache_dir);
	if ((rc = source_open_cache(cache_repo, &cache)) < 0)
		goto out;
	rc = GVAB_EFAIL;

	/* Source. */
	if (!is_debian) {
		unsigned got = 0;
		if (o->progress)
			fprintf(stderr, "  fetching %s\n", o->source);
		if (source_fetch(cache, o->source, &got) < 0) {
			error_wrap(GVAB_EPRECOND, "fetching gVisor");
			rc = GVAB_EPRECOND;
			goto out;
		}
		if (o->progress)
			fprintf(stderr, "  fetched %u new objects\n", got);
		source_desc = util_xstrdup(o->source);
		if (!ref)
			ref = "go";
	} else {
		git_oid imported;
		build_debian_tag(&deb_version, &tag);
		if (source_import_tree(cache, deb_tree, "debian", tag, &imported) < 0) {
			rc = error_wrap(GVAB_EPRECOND, "importing Debian's gVisor tree");
			goto out;
		}
		source_desc = util_fmt("debian:%s (golang-gvisor-gvisor-dev %s)", deb_tree, deb_version);
		if (!ref)
			ref = tag;
	}
	if ((rc = source_resolve_ref(cache, ref, &res)) < 0)
		goto out;
	rc = GVAB_EFAIL;
	git_oid_tostr(hex, sizeof hex, &res.commit);
	if (o->progress)
		fprintf(stderr, "  %s\n", res.how);

	/* Patch series: compat-offline for every arm, then the arm's own. */
	char **arm_series;
	nseries = build_arm_series(o->arm, &arm_series, &series_buf);
	series_names = util_xcalloc(nseries + 1, sizeof *series_names);
	series_names[0] = "compat-offline";
	for (size_t i = 0; i < nseries; i++)
		series_names[i + 1] = arm_series[i];
	free(arm_series);
	nseries++;
	series = util_xcalloc(nseries, sizeof *series);
	for (size_t i = 0; i < nseries; i++) {
		char *dir = util_fmt("%s/%s", o->patches_dir, series_names[i]);
		int r = patch_series_load(dir, &series[i]);
		free(dir);
		if (r < 0) {
			rc = r;
			goto out;
		}
	}

	go_version = capture_trim((char *[]){(char *)go, "version", NULL}, NULL);
	if (!go_version) {
		rc = error_setc(GVAB_EPRECOND, "%s version failed", go);
		goto out;
	}

	/* Input key: everything that decides the binary. */
	{
		size_t cap = 4096, len = 0;
		keytext = util_xmalloc(cap);
		blob_src = o->blob_source ? util_xstrdup(o->blob_source) : blobs_default_source();
		len += (size_t)snprintf(keytext, cap, "%s\ncommit %s\ngo %s\ntags %s\nmode %s\nblobs %s\n",
		                        BUILD_RECIPE, hex, go_version, o->tags ? o->tags : "",
		                        o->module_mode ? "module" : "gopath", blob_src ? blob_src : "");
		for (size_t i = 0; i < nseries; i++)
			for (size_t j = 0; j < series[i].count; j++) {
				char *l = util_fmt("patch %s/%s %s\n", series[i].name,
				                   series[i].patches[j].name, series[i].patches[j].sha256);
				if (len + strlen(l) + 1 > cap) {
					cap = (len + strlen(l) + 1) * 2;
					keytext = util_xrealloc(keytext, cap);
				}
				memcpy(keytext + len, l, strlen(l) + 1);
				len += strlen(l);
				free(l);
			}
	}
	char key[65];
	util_sha256_buf(keytext, strlen(keytext), key);

	/* go needs absolute GOPATH entries, and tools run elsewhere. */
	char out_abs[PATH_MAX];
	if (util_mkdir_p(o->out_dir, 0755) < 0 || !realpath(o->out_dir, out_abs)) {
		rc = error_set("output directory %s: %s", o->out_dir, strerror(errno));
		goto out;
	}
	arm_dir = util_fmt("%s/%s", out_abs, name);
	runsc = util_fmt("%s/runsc", arm_dir);
	runsc_tmp = util_fmt("%s/runsc.tmp", arm_dir);
	prov_path = util_fmt("%s/provenance.json", arm_dir);
	log_path = util_fmt("%s/build.log", arm_dir);
	gopath = util_fmt("%s/gopath", arm_dir);
	tree = util_fmt("%s/src/gvisor.dev/gvisor", gopath);

	if (!o->force && provenance_up_to_date(prov_path, runsc, key)) {
		if (o->progress)
			fprintf(stderr, "  %s: up to date (%s)\n", name, runsc);
		rc = 0;
		goto done;
	}

	if (util_rm_rf(gopath) < 0 || util_mkdir_p(arm_dir, 0755) < 0 ||
	    util_mkdir_p(gocache, 0755) < 0)
		goto out;
	unlink(log_path);
	{
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
	for (size_t i = 0; i < nseries; i++) {
		if ((rc = patch_apply_series(work, &series[i])) < 0)
			goto out;
		rc = GVAB_EFAIL;
		for (size_t j = 0; j < series[i].count && o->progress; j++)
			fprintf(stderr, "  %s: %s/%s %s\n", name, series[i].name, series[i].patches[j].name,
			        series[i].patches[j].status == PATCH_APPLIED ? "applied"
			                                                     : "already upstream, skipped");
	}

	if (blobs_needed(tree)) {
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
	}

	gomod = gomod_version(tree);
	/* runsc --version reports this, so a binary says which commit it is. */
	ldflags = util_fmt("-X gvisor.dev/gvisor/runsc/version.version=gvab-%.12s", hex);
	{
		char *env_gopath = o->module_mode ? util_fmt("GOPATH=%s/modpath", o->cache_dir)
		                                  : util_fmt("GOPATH=%s:%s", gopath, GVAB_DEBIAN_GOPATH);
		char *env_cache = util_fmt("GOCACHE=%s", gocache);
		char *env_home = util_fmt("HOME=%s", getenv("HOME") ? getenv("HOME") : "/root");
		char *env_path = util_fmt("PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		char *env_compat = gomod ? util_fmt("DEB_GOMINCOMPAT=%s", gomod)
		                         : util_xstrdup("DEB_GOMINCOMPAT=");
		char *envp[] = {env_gopath, env_cache, env_home, env_path, env_compat,
		                o->module_mode ? "GO111MODULE=on" : "GO111MODULE=off",
		                "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=", NULL};
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
		rc = run_go_build(argv, envp, tree, log_path, name, o->progress, &wall_s);
		free(env_gopath);
		free(env_cache);
		free(env_home);
		free(env_path);
		free(env_compat);
		if (rc < 0)
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
	gov_m = capture_trim((char *[]){(char *)go, "version", "-m", runsc, NULL}, NULL);

	/* Provenance. */
	{
		char sha[65], when[32];
		struct stat sb;
		if (util_sha256_file(runsc, sha) < 0 || stat(runsc, &sb) < 0)
			goto out;
		util_utc_now(when, sizeof when);
		prov = cJSON_CreateObject();
		cJSON_AddStringToObject(prov, "format", "gvab-provenance/1");
		cJSON_AddStringToObject(prov, "arm", name);
		cJSON_AddStringToObject(prov, "arm_spec", o->arm);
		cJSON *src = cJSON_AddObjectToObject(prov, "source");
		cJSON_AddStringToObject(src, "kind", is_debian ? "debian" : "git");
		cJSON_AddStringToObject(src, "location", is_debian ? deb_tree : o->source);
		cJSON_AddStringToObject(src, "description", source_desc);
		if (deb_version)
			cJSON_AddStringToObject(src, "debian_version", deb_version);
		cJSON_AddStringToObject(prov, "ref", ref);
		cJSON_AddStringToObject(prov, "resolved_commit", hex);
		cJSON_AddStringToObject(prov, "resolution", res.how);
		if (res.master_between >= 0)
			cJSON_AddNumberToObject(prov, "master_commits_between", res.master_between);
		cJSON *ser = cJSON_AddArrayToObject(prov, "series");
		for (size_t i = 0; i < nseries; i++) {
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "name", series[i].name);
			cJSON *ps = cJSON_AddArrayToObject(s, "patches");
			for (size_t j = 0; j < series[i].count; j++) {
				cJSON *p = cJSON_CreateObject();
				cJSON_AddStringToObject(p, "name", series[i].patches[j].name);
				cJSON_AddStringToObject(p, "sha256", series[i].patches[j].sha256);
				cJSON_AddStringToObject(p, "status",
				                        series[i].patches[j].status == PATCH_APPLIED
				                            ? "applied" : "already-upstream");
				cJSON_AddItemToArray(ps, p);
			}
			cJSON_AddItemToArray(ser, s);
		}
		cJSON *g = cJSON_AddObjectToObject(prov, "go");
		cJSON_AddStringToObject(g, "path", go);
		cJSON_AddStringToObject(g, "version", go_version);
		cJSON_AddStringToObject(g, "mode", o->module_mode ? "module" : "gopath");
		cJSON_AddStringToObject(g, "deb_gomincompat", gomod ? gomod : "");
		cJSON *b = cJSON_AddObjectToObject(prov, "build");
		cJSON_AddStringToObject(b, "flags", "CGO_ENABLED=0 go build -trimpath");
		cJSON_AddStringToObject(b, "ldflags", ldflags);
		if (blob_rec) {
			cJSON_AddItemToObject(b, "generated_blobs", blob_rec);
			blob_rec = NULL;
		}
		cJSON_AddStringToObject(b, "tags", o->tags ? o->tags : "");
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
	free(blob_src);
	free(blob_dir);
	free(ldflags);
	git_repository_free(work);
	git_repository_free(cache);
	for (size_t i = 0; series && i < nseries; i++)
		patch_series_free(&series[i]);
	free(series);
	free(series_names);
	free(series_buf);
	free(cache_repo);
	free(gocache);
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
	free(gomod);
	free(version_out);
	free(gov_m);
	free(keytext);
	free(source_desc);
	return rc;
}
