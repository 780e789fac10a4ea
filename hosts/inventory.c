/* inventory: see inventory.h. The INI and YAML forms are read by
 * inventory_ini.c and inventory_yaml.c into one struct inv_parse
 * (inventory_parse.h); this file owns the names and values gvab accepts,
 * host ranges, and the resolution of each host's variables. */
#define _GNU_SOURCE
#include "inventory.h"
#include "inventory_parse.h"
#include "hostpattern.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct inv_group *inv_parse_group(struct inv_parse *p, const char *name, int create, int line)
{
	for (size_t i = 0; i < p->ng; i++)
		if (strcmp(p->g[i].name, name) == 0)
			return &p->g[i];
	if (!create)
		return NULL;
	if (p->ng >= INV_MAX_GROUPS) {
		error_setc(GVAB_EDATA, "%s:%d: more than %d groups", p->path, line, INV_MAX_GROUPS);
		return NULL;
	}
	p->g = util_xrealloc(p->g, (p->ng + 1) * sizeof *p->g);
	struct inv_group *g = &p->g[p->ng++];
	memset(g, 0, sizeof *g);
	g->name = util_xstrdup(name);
	g->vars = cJSON_CreateObject();
	g->children = cJSON_CreateArray();
	g->hosts = cJSON_CreateArray();
	return g;
}

static int name_ok(const char *n)
{
	if (!*n)
		return 0;
	for (const char *c = n; *c; c++)
		if (!(isalnum((unsigned char)*c) || strchr("-_.:", *c)))
			return 0;
	return 1;
}

/* A host name is also a directory name (RESULTS/CAMPAIGN/HOST and the same
 * on the host) and a word of ssh's argv: no ".", "..", or other leading dot,
 * no leading '-'. */
static int host_name_ok(const char *n)
{
	return name_ok(n) && n[0] != '.' && n[0] != '-' && strlen(n) <= 128;
}

/* ansible_host: a DNS name or an IPv4/IPv6 address ("fe80::1%eth0"), which
 * ssh gets as its destination: nothing that could read as an option
 * ("-oProxyCommand=..."), a user ("a@b") or a shell word. */
static int address_ok(const char *a)
{
	size_t n = strlen(a);
	if (n == 0 || n > 253 || a[0] == '-' || a[0] == '.')
		return 0;
	for (const char *c = a; *c; c++)
		if (!(isalnum((unsigned char)*c) || strchr("-_.:%", *c)))
			return 0;
	return 1;
}

/* ansible_user: a POSIX-ish user name. */
static int user_ok(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > 64 || u[0] == '-')
		return 0;
	for (const char *c = u; *c; c++)
		if (!(isalnum((unsigned char)*c) || strchr("-_.$", *c)))
			return 0;
	return 1;
}

/* gvab_env: "NAME=VALUE NAME=VALUE", each word becoming one argument of the
 * remote env(1): a word that is not NAME=VALUE would be env's command. */
static int env_ok(const char *e, char *bad, size_t badlen)
{
	char *copy = util_xstrdup(e);
	int ok = 1;
	for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w && ok;
	     w = strtok_r(NULL, " \t", &save)) {
		const char *eq = strchr(w, '=');
		ok = eq && eq > w && (isalpha((unsigned char)w[0]) || w[0] == '_');
		for (const char *c = w; ok && c < eq; c++)
			ok = isalnum((unsigned char)*c) || *c == '_';
		for (const char *c = eq ? eq : w; ok && *c; c++)
			ok = (unsigned char)*c >= 0x20 && *c != 0x7f;
		if (!ok)
			snprintf(bad, badlen, "%s", w);
	}
	free(copy);
	return ok;
}

/* Control characters have no place in any variable gvab uses. */
static int printable(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return 0;
	return 1;
}

/* Groups containing `host`, with their depth (ancestors deeper first). */
static void host_groups(struct inv_parse *p, const char *host, int *depth_of)
{
	for (size_t i = 0; i < p->ng; i++)
		depth_of[i] = -1;
	/* Direct membership = depth 0; a parent of a depth-d group is d+1. */
	for (size_t i = 0; i < p->ng; i++) {
		const cJSON *h;
		cJSON_ArrayForEach(h, p->g[i].hosts)
			if (strcmp(h->valuestring, host) == 0)
				depth_of[i] = 0;
	}
	for (int changed = 1, round = 0; changed && round < 64; round++) {
		changed = 0;
		for (size_t i = 0; i < p->ng; i++) {
			const cJSON *c;
			cJSON_ArrayForEach(c, p->g[i].children) {
				struct inv_group *cg = inv_parse_group(p, c->valuestring, 0, 0);
				if (!cg)
					continue;
				int d = depth_of[cg - p->g];
				if (d >= 0 && (depth_of[i] < 0 || depth_of[i] < d + 1)) {
					depth_of[i] = d + 1;
					changed = 1;
				}
			}
		}
	}
}


int inv_parse_group_name_ok(const char *n)
{
	return name_ok(n);
}

int inv_parse_count_member(struct inv_parse *p, int line)
{
	if (++p->nmember > INV_MAX_MEMBERSHIPS)
		return error_setc(GVAB_EDATA, "%s:%d: more than %d group entries", p->path, line,
		                  INV_MAX_MEMBERSHIPS);
	return 0;
}

int inv_parse_add_host(struct inv_parse *p, size_t gi, const char *pattern, const cJSON *vars,
                       int line)
{
	char **names;
	size_t n;
	if (hostpattern_expand(pattern, INV_MAX_HOSTS, &names, &n) < 0)
		return error_wrap(GVAB_EDATA, "%s:%d", p->path, line);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *hn = names[i];
		if (!host_name_ok(hn)) {
			rc = error_setc(GVAB_EDATA, "%s:%d: bad host name '%s'", p->path, line, hn);
			break;
		}
		cJSON *hv = cJSON_GetObjectItemCaseSensitive(p->host_vars, hn);
		if (!hv) {
			if (++p->nhosts > INV_MAX_HOSTS) {
				rc = error_setc(GVAB_EDATA, "%s:%d: more than %d hosts", p->path, line, INV_MAX_HOSTS);
				break;
			}
			hv = cJSON_AddObjectToObject(p->host_vars, hn);
			cJSON_AddItemToArray(p->host_order, cJSON_CreateString(hn));
		}
		const cJSON *e;
		cJSON_ArrayForEach(e, vars) {
			cJSON_DeleteItemFromObjectCaseSensitive(hv, e->string);
			cJSON_AddStringToObject(hv, e->string, e->valuestring);
		}
		if ((rc = inv_parse_count_member(p, line)) == 0)
			cJSON_AddItemToArray(p->g[gi].hosts, cJSON_CreateString(hn));
	}
	hostpattern_free(names, n);
	return rc;
}

static const char *var(const cJSON *vars, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(vars, k);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? util_xstrdup(s) : NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void set_var(cJSON *into, const cJSON *e)
{
	cJSON_DeleteItemFromObjectCaseSensitive(into, e->string);
	cJSON_AddStringToObject(into, e->string, e->valuestring);
}

/* h->vars and h->groups. Precedence: all, then groups from the farthest
 * ancestor to the direct group, then the host line. Later writes win. */
static void resolve_vars(struct inv_parse *p, struct inv_host *h, int *depth)
{
	h->vars = cJSON_CreateObject();
	h->groups = cJSON_CreateArray();
	host_groups(p, h->name, depth);
	struct inv_group *all = inv_parse_group(p, "all", 0, 0);
	const cJSON *e;
	cJSON_ArrayForEach(e, all->vars)
		set_var(h->vars, e);
	int maxd = 0;
	for (size_t i = 0; i < p->ng; i++)
		if (depth[i] > maxd)
			maxd = depth[i];
	for (int d = maxd; d >= 0; d--)
		for (size_t i = 0; i < p->ng; i++) {
			if (depth[i] != d || &p->g[i] == all)
				continue;
			if (strcmp(p->g[i].name, "ungrouped") != 0 || d == 0)
				cJSON_AddItemToArray(h->groups, cJSON_CreateString(p->g[i].name));
			cJSON_ArrayForEach(e, p->g[i].vars)
				set_var(h->vars, e);
		}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p->host_vars, h->name))
		set_var(h->vars, e);
}

/* The fields gvab uses, from h->vars, checked (see inventory.h). */
static int resolve_fields(const char *path, struct inv_host *h)
{
	const char *v;
	h->address = util_xstrdup((v = var(h->vars, "ansible_host")) ? v : h->name);
	h->user = dup_or_null(var(h->vars, "ansible_user"));
	h->key_file = dup_or_null(var(h->vars, "ansible_ssh_private_key_file"));
	h->label = util_xstrdup((v = var(h->vars, "gvab_label")) ? v : h->name);
	h->sku = dup_or_null(var(h->vars, "gvab_sku"));
	h->notes = dup_or_null(var(h->vars, "gvab_notes"));
	h->env = dup_or_null(var(h->vars, "gvab_env"));
	h->local = (v = var(h->vars, "ansible_connection")) && strcmp(v, "local") == 0;
	char bad[64] = "";
	const char *why = NULL;
	if (!address_ok(h->address))
		why = "ansible_host is not a host name or address";
	else if (h->user && !user_ok(h->user))
		why = "ansible_user is not a user name";
	else if (h->env && !env_ok(h->env, bad, sizeof bad))
		why = "gvab_env: expected NAME=VALUE words";
	const cJSON *e;
	cJSON_ArrayForEach(e, h->vars)
		if (!why && !printable(e->valuestring)) {
			why = "a control character in a value of";
			snprintf(bad, sizeof bad, "%s", e->string);
		}
	if (why)
		return error_setc(GVAB_EDATA, "%s: host %s: %s%s%.60s%s", path, h->name, why,
		                  bad[0] ? " ('" : "", bad, bad[0] ? "')" : "");
	if ((v = var(h->vars, "ansible_port"))) {
		long port;
		if (util_parse_long(v, 1, 65535, "ansible_port", &port) < 0)
			return error_setc(GVAB_EDATA, "%s: host %s: ansible_port '%s' is not a port", path,
			                  h->name, v);
		h->port = (int)port;
	}
	return 0;
}

static int resolve_hosts(struct inv_parse *p, struct inventory *out)
{
	for (size_t i = 0; i < p->ng; i++)
		if (p->g[i].ref_line && !p->g[i].defined_line && !cJSON_GetArraySize(p->g[i].hosts))
			return error_setc(GVAB_EDATA, "%s:%d: child group '%s' is never defined", p->path,
			                  p->g[i].ref_line, p->g[i].name);
	size_t nh = (size_t)cJSON_GetArraySize(p->host_order);
	out->hosts = util_xcalloc(nh + 1, sizeof *out->hosts);
	int *depth = util_xcalloc(p->ng + 1, sizeof *depth);
	int rc = 0;
	const cJSON *hn;
	cJSON_ArrayForEach(hn, p->host_order) {
		struct inv_host *h = &out->hosts[out->n++];
		h->name = util_xstrdup(hn->valuestring);
		resolve_vars(p, h, depth);
		if ((rc = resolve_fields(p->path, h)) < 0)
			break;
	}
	free(depth);
	return rc;
}

int inventory_load(const char *path, struct inventory *out)
{
	memset(out, 0, sizeof *out);
	struct stat st;
	char *text = util_read_file_max(path, INV_MAX_BYTES, NULL);
	if (!text)
		/* a file that is there but not one gvab reads is invalid data */
		return error_wrap(stat(path, &st) == 0 ? GVAB_EDATA : GVAB_EUSAGE, "inventory");
	struct inv_parse p = {.path = path, .host_vars = cJSON_CreateObject(),
	                      .host_order = cJSON_CreateArray()};
	inv_parse_group(&p, "all", 1, 0)->defined_line = -1;
	inv_parse_group(&p, "ungrouped", 1, 0)->defined_line = -1;
	int rc;
	if (ends_with(path, ".yml") || ends_with(path, ".yaml"))
		rc = inv_parse_yaml(&p, text);
	else
		rc = inv_parse_ini(&p, text);
	free(text);
	if (rc == 0)
		rc = resolve_hosts(&p, out);
	for (size_t i = 0; i < p.ng; i++) {
		free(p.g[i].name);
		cJSON_Delete(p.g[i].vars);
		cJSON_Delete(p.g[i].children);
		cJSON_Delete(p.g[i].hosts);
	}
	free(p.g);
	cJSON_Delete(p.host_vars);
	cJSON_Delete(p.host_order);
	if (rc == 0 && out->n == 0)
		rc = error_setc(GVAB_EDATA, "%s: no hosts", path);
	if (rc < 0)
		inventory_free(out);
	return rc;
}

void inventory_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		struct inv_host *h = &inv->hosts[i];
		free(h->name);
		free(h->address);
		free(h->user);
		free(h->key_file);
		free(h->label);
		free(h->sku);
		free(h->notes);
		free(h->env);
		cJSON_Delete(h->vars);
		cJSON_Delete(h->groups);
	}
	free(inv->hosts);
	memset(inv, 0, sizeof *inv);
}

size_t inventory_select(const struct inventory *inv, const char *pattern, size_t **idx)
{
	*idx = util_xcalloc(inv->n + 1, sizeof **idx);
	size_t n = 0;
	for (size_t i = 0; i < inv->n; i++) {
		int take = !pattern || strcmp(pattern, "all") == 0 || strcmp(pattern, inv->hosts[i].name) == 0;
		const cJSON *g;
		cJSON_ArrayForEach(g, inv->hosts[i].groups)
			take |= pattern && strcmp(g->valuestring, pattern) == 0;
		if (take)
			(*idx)[n++] = i;
	}
	if (n == 0)
		error_setc(GVAB_EUSAGE, "no host or group named '%s' in the inventory", pattern);
	return n;
}
