/* build_prov: provenance.json of an arm (one writer here; readers go through
 * build_provenance_up_to_date or util_json_load) and the facts it records. */
#define _GNU_SOURCE
#include "build_int.h"
#include "error.h"
#include "proc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int build_provenance_up_to_date(const char *prov_path, const char *runsc, const char *key)
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

/* `path` under the staging directory, as it will be named in the arm. */
static char *build_final_path(const struct build_ctx *c, const char *path)
{
	size_t n = strlen(c->stage);
	if (strncmp(path, c->stage, n) == 0 && (path[n] == '/' || path[n] == '\0'))
		return util_fmt("%s%s", c->arm_dir, path + n);
	return util_xstrdup(path);
}

char *build_debian_libraries(void)
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

static void add_final(const struct build_ctx *c, cJSON *o, const char *k, const char *path)
{
	char *f = build_final_path(c, path);
	cJSON_AddStringToObject(o, k, f);
	free(f);
}

/* "source": where the commit was read and which upstream commit it is. */
static void prov_source(const struct build_ctx *c, cJSON *prov)
{
	cJSON *src = cJSON_AddObjectToObject(prov, "source");
	cJSON_AddStringToObject(src, "kind", c->kind);
	cJSON_AddStringToObject(src, "location", c->is_debian ? c->deb_tree : c->is_module ? MODSOURCE_MODULE : c->o->source);
	cJSON_AddStringToObject(src, "description", c->source_desc);
	if (c->source_ns) {
		/* Where the commit was read: this source's refs in the cache (a
		 * source never fetched has none, and the build fails instead). */
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
	cJSON_AddStringToObject(prov, "ref", c->ref);
	cJSON_AddStringToObject(prov, "resolved_commit", c->hex);
	cJSON_AddStringToObject(prov, "identity", c->ident);
	cJSON_AddStringToObject(prov, "resolution", c->res.how);
	if (c->res.master_between >= 0)
		cJSON_AddNumberToObject(prov, "master_commits_beyond_tag", c->res.master_between);
	if (c->res.beyond[0])
		cJSON_AddStringToObject(prov, "master_commits_beyond_tag_first", c->res.beyond);
	if (c->res.warning[0])
		cJSON_AddStringToObject(prov, "resolution_warning", c->res.warning);
}

static void prov_series(const struct build_ctx *c, cJSON *prov)
{
	char abs[PATH_MAX];
	cJSON *pd = cJSON_AddArrayToObject(prov, "patches_dirs");
	cJSON_AddItemToArray(pd, cJSON_CreateString(realpath(c->o->patches_dir, abs) ? abs : c->o->patches_dir));
	for (size_t j = 0; c->o->series_dirs && c->o->series_dirs[j]; j++)
		cJSON_AddItemToArray(pd, cJSON_CreateString(realpath(c->o->series_dirs[j], abs) ? abs
		                                                                                  : c->o->series_dirs[j]));
	cJSON *ser = cJSON_AddArrayToObject(prov, "series");
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
}

static void prov_go(const struct build_ctx *c, cJSON *prov)
{
	cJSON *g = cJSON_AddObjectToObject(prov, "go");
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
}

static void prov_build(struct build_ctx *c, cJSON *prov, const char *when)
{
	cJSON *b = cJSON_AddObjectToObject(prov, "build");
	cJSON_AddStringToObject(b, "flags", "CGO_ENABLED=0 go build -trimpath -buildvcs=false");
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
	add_final(c, b, "log", c->log_path);
	add_final(c, b, "tree", c->tree);
}

int build_provenance(struct build_ctx *c)
{
	char sha[65], when[32];
	struct stat sb;
	if (util_sha256_file(c->runsc, sha) < 0 || stat(c->runsc, &sb) < 0)
		return error_set("%s: cannot read the binary", c->runsc);
	util_utc_now(when, sizeof when);
	cJSON *prov = cJSON_CreateObject();
	cJSON_AddStringToObject(prov, "format", "gvab-provenance/2");
	cJSON_AddStringToObject(prov, "arm", c->name);
	cJSON_AddStringToObject(prov, "arm_spec", c->o->arm);
	prov_source(c, prov);
	prov_series(c, prov);
	prov_go(c, prov);
	prov_build(c, prov, when);
	cJSON *bin = cJSON_AddObjectToObject(prov, "binary");
	add_final(c, bin, "path", c->runsc);
	cJSON_AddStringToObject(bin, "sha256", sha);
	cJSON_AddNumberToObject(bin, "size_bytes", (double)sb.st_size);
	cJSON_AddBoolToObject(bin, "static", 1);
	cJSON_AddStringToObject(bin, "version_output", c->version_out);
	cJSON_AddStringToObject(prov, "go_version_m", c->gov_m ? c->gov_m : "");
	cJSON_AddStringToObject(prov, "input_key", c->key);
	char *path = util_fmt("%s/provenance.json", c->stage);
	int rc = util_json_save(path, prov);
	free(path);
	cJSON_Delete(prov);
	if (rc < 0)
		return rc;
	if (c->o->progress)
		fprintf(stderr, "  %s: %s/runsc (%.1f MB, sha256 %.12s, built in %.1f s)\n", c->name, c->arm_dir,
		        (double)sb.st_size / 1e6, sha, c->wall_s);
	return 0;
}
