/* modsource: see modsource.h. */
#define _GNU_SOURCE
#include "modsource.h"
#include "error.h"
#include "gotool.h"
#include "proc.h"
#include "source.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int modsource_is_pseudo(const char *s)
{
	/* v0.0.0-20260709014902-8ed0c00a3f90 */
	if (strncmp(s, "v0.0.0-", 7) != 0 || strlen(s) != 7 + 14 + 1 + 12)
		return 0;
	for (int i = 7; i < 21; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[21] != '-')
		return 0;
	for (int i = 22; i < 34; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_hex_id(const char *s)
{
	size_t n = strlen(s);
	return n >= 7 && n <= 40 && strspn(s, "0123456789abcdef") == n;
}

/* An imported version whose commit starts with `hex`, from the cache's
 * module/v... tags. Into buf; 1 found, 0 not. */
static int cached_version_for_commit(git_repository *cache, const char *hex, char *buf, size_t len)
{
	git_strarray tags = {0};
	int found = 0;
	size_t n = strlen(hex) < 12 ? strlen(hex) : 12;
	if (git_tag_list_match(&tags, "module/v*", cache) == 0)
		for (size_t i = 0; i < tags.count && !found; i++) {
			const char *v = tags.strings[i] + 7;
			if (modsource_is_pseudo(v) && strncmp(v + 22, hex, n) == 0) {
				snprintf(buf, len, "%s", v);
				found = 1;
			}
		}
	git_strarray_dispose(&tags);
	return found;
}

/* Runs `go mod download -json MODULE@rev`; parses its answer into *doc. */
/* Go's answer when the module proxy refuses a version ("M@V: reading
 * <proxy URL>/M/@v/V.info: 403 Forbidden\n\tserver response: This module
 * version is not available.") said without the URL, which names a registry
 * host and changes with GOPROXY: "the module proxy refused V (403 not
 * available)". Any other answer is kept, with URLs left out. */
void modsource_proxy_refusal(const char *err, const char *version, char *out, size_t n)
{
	const char *r = strstr(err, "reading http"), *colon = r ? strstr(r, ": ") : NULL;
	if (colon) {
		int code = atoi(colon + 2);
		const char *why = strstr(err, "not available") ? "not available"
		                  : code == 404 ? "not found" : code == 410 ? "gone" : "refused";
		if (code >= 400 && code <= 599) {
			snprintf(out, n, "the module proxy refused %s (%d %s)", version, code, why);
			return;
		}
	}
	size_t o = 0;
	for (const char *c = err; *c && o + 1 < n;) {
		if (strncmp(c, "http://", 7) == 0 || strncmp(c, "https://", 8) == 0) {
			o += (size_t)snprintf(out + o, n - o, "<the module proxy>");
			while (*c && *c != ' ' && !(c[0] == ':' && c[1] == ' '))
				c++;
			continue;
		}
		out[o++] = *c++;
	}
	out[o < n ? o : n - 1] = '\0';
}

/* Go's refusal of a module that needs a newer toolchain ("... requires go
 * >= 1.26.3 (running go 1.22.12; GOTOOLCHAIN=local)"): 1 with the two
 * versions, else 0. */
int modsource_go_refusal(const char *err, char *want, size_t nw, char *have, size_t nh)
{
	const char *r = strstr(err, "requires go >= "), *h = strstr(err, "(running go ");
	if (!r || !h)
		return 0;
	r += strlen("requires go >= ");
	h += strlen("(running go ");
	size_t lr = strcspn(r, " ;)"), lh = strcspn(h, " ;)");
	if (!lr || !lh || lr >= nw || lh >= nh)
		return 0;
	memcpy(want, r, lr);
	want[lr] = '\0';
	memcpy(have, h, lh);
	have[lh] = '\0';
	return 1;
}

static int download(const char *cache_dir, const char *go, const char *rev, int nosumdb,
                    cJSON **doc)
{
	char *modcache = util_fmt("GOMODCACHE=%s/gomod", cache_dir);
	char *set[] = {modcache, "GOFLAGS=-modcacherw", "GOTOOLCHAIN=local", "GO111MODULE=on",
	               "GOWORK=off", nosumdb ? "GONOSUMDB=" MODSOURCE_MODULE : "GONOSUMDB=", NULL};
	char **env = gotool_env(set);
	char *what = util_fmt("%s@%s", MODSOURCE_MODULE, rev);
	char *argv[] = {(char *)go, "mod", "download", "-json", what, NULL};
	char *out = NULL;
	int st, rc = 0;
	*doc = NULL;
	if (proc_run_capture(argv, env, cache_dir, &out, &st) < 0) {
		rc = error_wrap(GVAB_EPRECOND, "go mod download %s", what);
		goto out;
	}
	const char *brace = out ? strchr(out, '{') : NULL;
	*doc = brace ? cJSON_ParseWithOpts(brace, NULL, 0) : NULL;
	if (!*doc) {
		size_t n = out ? strlen(out) : 0;
		while (n && out[n - 1] == '\n')
			out[--n] = '\0';
		rc = error_setc(GVAB_EPRECOND, "go mod download %s failed (%s): %.400s", what,
		                proc_status_str(st), out ? out : "");
	}
out:
	free(out);
	free(what);
	free(modcache);
	gotool_env_free(env);
	return rc;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int modsource_fetch(git_repository *cache, const char *cache_dir, const char *go,
                    const char *rev, int offline, struct modsource_info *out)
{
	int rc = GVAB_EFAIL;
	cJSON *doc = NULL;
	char *tag = NULL, *tagref = NULL, *branch = NULL;
	char version[96];
	memset(out, 0, sizeof *out);
	if (!rev || !*rev)
		rev = "go";
	if (strncmp(rev, "release-", 8) == 0)
		return error_setc(GVAB_EUSAGE,
		                  "ref '%s': a module source has no git history to map a release tag to its "
		                  "go-branch merge; pass that merge's pseudo-version (v0.0.0-<time>-<12 hex>) "
		                  "or commit, or use a git source", rev);
	if (!modsource_is_pseudo(rev) && !is_hex_id(rev) && strcmp(rev, "go") != 0 &&
	    strcmp(rev, "latest") != 0)
		return error_setc(GVAB_EUSAGE,
		                  "ref '%s': for a module source pass a pseudo-version "
		                  "(v0.0.0-YYYYMMDDhhmmss-<12 hex>), a go-branch commit id or 'go'", rev);

	/* Already imported? Then nothing is downloaded. */
	version[0] = '\0';
	if (modsource_is_pseudo(rev))
		snprintf(version, sizeof version, "%s", rev);
	else if (is_hex_id(rev))
		cached_version_for_commit(cache, rev, version, sizeof version);
	if (version[0]) {
		tagref = util_fmt("refs/tags/module/%s", version);
		if (git_reference_name_to_id(&out->commit, cache, tagref) == 0) {
			snprintf(out->version, sizeof out->version, "%s", version);
			snprintf(out->origin_hash, sizeof out->origin_hash, "%.12s", version + 22);
			snprintf(out->sumdb, sizeof out->sumdb, "cached");
			snprintf(out->how, sizeof out->how,
			         "%s@%s (go-branch commit %.12s) already imported, no download", MODSOURCE_MODULE,
			         version, version + 22);
			rc = 0;
			goto out;
		}
	}
	if (offline) {
		rc = error_setc(GVAB_EPRECOND, "ref '%s': %s is not in the cache and --offline forbids a download",
		                rev, MODSOURCE_MODULE);
		goto out;
	}
	const char *query = strcmp(rev, "go") == 0 ? "latest" : rev;
	int nosumdb = 0;
	if ((rc = download(cache_dir, go, query, 0, &doc)) < 0)
		goto out;
	const char *err = jstr(doc, "Error");
	/* A checksum-database failure ("verifying ...", a sumdb /lookup/ URL):
	 * retried without it, and recorded as "unlisted". */
	if (err && (strstr(err, "verifying") || strstr(err, "/lookup/") || strstr(err, "sumdb"))) {
		cJSON_Delete(doc);
		nosumdb = 1;
		if ((rc = download(cache_dir, go, query, 1, &doc)) < 0)
			goto out;
		err = jstr(doc, "Error");
	}
	if (err) {
		/* One line: Go's answer spans lines ("\n\tserver response: ..."). */
		for (char *c = (char *)err; *c; c++)
			if (*c == '\n' || *c == '\t')
				*c = ' ';
		/* A toolchain older than the module's go.mod (--go pins one, with
		 * GOTOOLCHAIN=local) refuses it at the download already: said as
		 * gvab says it for a module in the cache (gotool_check). */
		char want[32], have[32];
		if (modsource_go_refusal(err, want, sizeof want, have, sizeof have)) {
			rc = error_setc(GVAB_EPRECOND,
			                "module %s@%s: go.mod asks for go %s, but %s is go%s (it cannot even "
			                "download the module)", MODSOURCE_MODULE, rev, want, go, have);
			goto out;
		}
		const char *hint = is_hex_id(rev) ? "; the proxy may not resolve bare commit ids: pass the "
		                                    "pseudo-version v0.0.0-<UTC commit time>-<12 hex>" : "";
		char why[512];
		modsource_proxy_refusal(err, query, why, sizeof why);
		rc = error_setc(GVAB_EPRECOND, "module %s@%s: %s%s", MODSOURCE_MODULE, rev, why, hint);
		goto out;
	}
	const char *ver = jstr(doc, "Version"), *dir = jstr(doc, "Dir"), *sum = jstr(doc, "Sum");
	const cJSON *origin = cJSON_GetObjectItemCaseSensitive(doc, "Origin");
	const char *hash = origin ? jstr(origin, "Hash") : NULL;
	if (!ver || !dir || strlen(ver) >= sizeof out->version) {
		rc = error_setc(GVAB_EDATA, "go mod download %s: answer without Version/Dir", rev);
		goto out;
	}
	snprintf(out->version, sizeof out->version, "%s", ver);
	snprintf(out->sum, sizeof out->sum, "%s", sum ? sum : "");
	snprintf(out->origin_hash, sizeof out->origin_hash, "%s",
	         hash ? hash : (modsource_is_pseudo(ver) ? ver + 22 : ""));
	snprintf(out->sumdb, sizeof out->sumdb, "%s", nosumdb ? "unlisted" : "verified");
	tag = util_fmt("module/%s", ver);
	branch = util_xstrdup("module");
	if ((rc = source_import_tree(cache, dir, branch, tag, &out->commit)) < 0) {
		error_wrap(rc, "importing %s@%s", MODSOURCE_MODULE, ver);
		goto out;
	}
	snprintf(out->how, sizeof out->how, "%s@%s (go-branch commit %.12s, %s%s) downloaded and imported",
	         MODSOURCE_MODULE, ver, out->origin_hash, out->sum,
	         nosumdb ? ", not in the checksum database" : ", checksum database verified");
	rc = 0;
out:
	cJSON_Delete(doc);
	free(tag);
	free(tagref);
	free(branch);
	return rc;
}
