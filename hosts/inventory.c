/* inventory: see inventory.h. */
#define _GNU_SOURCE
#include "inventory.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <yaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct group {
	char *name;
	cJSON *vars;      /* object */
	cJSON *children;  /* array of names */
	cJSON *hosts;     /* array of names, with the host line's vars kept apart */
	int defined_line; /* 0 when only referenced */
	int ref_line;     /* first reference as a child */
};

struct parse {
	const char *path;
	struct group *g;
	size_t ng;
	cJSON *host_vars;   /* name -> object of host-line vars */
	cJSON *host_order;  /* array of names in first-seen order */
	long yaml_budget;   /* YAML nodes still to visit (aliases repeat nodes) */
	size_t nhosts;      /* size of host_order */
	size_t nmember;     /* host and child entries of groups */
};

/* YAML aliases let a 1.3 KB file name a mapping 2^30 times ("billion
 * laughs"); every visit of a group, host or variable spends one unit. An
 * inventory of 10,000 hosts with a few variables each stays far below. */
#define YAML_NODE_BUDGET 200000
#define INV_MAX_HOSTS 4096
#define INV_MAX_GROUPS 1024
#define INV_MAX_MEMBERSHIPS 50000

static int yaml_spend(struct parse *p, long n)
{
	p->yaml_budget -= n;
	if (p->yaml_budget < 0)
		return error_setc(GVAB_EDATA, "%s: more than %d YAML nodes once aliases are expanded "
		                  "(nested aliases?)", p->path, YAML_NODE_BUDGET);
	return 0;
}

static struct group *group_get(struct parse *p, const char *name, int create)
{
	for (size_t i = 0; i < p->ng; i++)
		if (strcmp(p->g[i].name, name) == 0)
			return &p->g[i];
	if (!create)
		return NULL;
	p->g = util_xrealloc(p->g, (p->ng + 1) * sizeof *p->g);
	struct group *g = &p->g[p->ng++];
	memset(g, 0, sizeof *g);
	g->name = util_xstrdup(name);
	g->vars = cJSON_CreateObject();
	g->children = cJSON_CreateArray();
	g->hosts = cJSON_CreateArray();
	return g;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Splits "k=v k2='v 2'" into pairs; 0 or GVAB_EDATA naming the line. */
static int parse_pairs(struct parse *p, int lineno, char *s, cJSON *into)
{
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#' || *s == ';')
			break;
		char *k = s;
		while (*s && *s != '=' && !isspace((unsigned char)*s))
			s++;
		if (*s != '=')
			return error_setc(GVAB_EDATA, "%s:%d: '%.*s' is not key=value", p->path, lineno,
			                  (int)(s - k), k);
		*s++ = '\0';
		if (!*k)
			return error_setc(GVAB_EDATA, "%s:%d: empty variable name", p->path, lineno);
		char *v;
		if (*s == '"' || *s == '\'') {
			char q = *s++;
			v = s;
			while (*s && *s != q)
				s++;
			if (*s != q)
				return error_setc(GVAB_EDATA, "%s:%d: unterminated quote in %s", p->path, lineno, k);
			*s++ = '\0';
		} else {
			v = s;
			while (*s && !isspace((unsigned char)*s))
				s++;
			if (*s)
				*s++ = '\0';
		}
		cJSON_DeleteItemFromObjectCaseSensitive(into, k);
		cJSON_AddStringToObject(into, k, v);
	}
	return 0;
}

static int name_ok(const char *n)
{
	if (!*n)
		return 0;
	for (const char *c = n; *c; c++)
		if (!(isalnum((unsigned char)*c) || strchr("-_.:[]", *c)))
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
static void host_groups(struct parse *p, const char *host, int *depth_of)
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
				struct group *cg = group_get(p, c->valuestring, 0);
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

static const char *var(const cJSON *vars, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(vars, k);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? util_xstrdup(s) : NULL;
}

/* YAML inventories (Ansible's YAML form), read with libyaml:
 *   all:
 *     hosts:   {NAME: {var: value, ...} | null, ...}
 *     vars:    {var: value, ...}
 *     children: {GROUP: <the same shape>, ...}
 * Any top-level key is a group. Values must be scalars. */
static const char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int yaml_is_null(yaml_node_t *n)
{
	const char *v = yscalar(n);
	return !n || (v && (!*v || !strcmp(v, "~") || !strcmp(v, "null")));
}

static int yaml_vars(struct parse *p, yaml_document_t *d, yaml_node_t *m, cJSON *into,
                     const char *what)
{
	if (yaml_is_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return error_setc(GVAB_EDATA, "%s:%zu: %s: expected a mapping of variables", p->path,
		                  m->start_mark.line + 1, what);
	if (yaml_spend(p, m->data.mapping.pairs.top - m->data.mapping.pairs.start + 1) < 0)
		return GVAB_EDATA;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(d, pr->key), *v = yaml_document_get_node(d, pr->value);
		const char *ks = yscalar(k), *vs = yscalar(v);
		if (!ks || !vs)
			return error_setc(GVAB_EDATA, "%s:%zu: %s: variables must be scalar key: value",
			                  p->path, (k ? k->start_mark.line : 0) + 1, what);
		cJSON_DeleteItemFromObjectCaseSensitive(into, ks);
		cJSON_AddStringToObject(into, ks, vs);
	}
	return 0;
}

static int yaml_group(struct parse *p, yaml_document_t *d, yaml_node_t *gn, const char *gname,
                      int depth)
{
	if (depth > 32)
		return error_setc(GVAB_EDATA, "%s: groups nested too deeply at '%s'", p->path, gname);
	if (yaml_spend(p, 1) < 0)
		return GVAB_EDATA;
	if (!name_ok(gname))
		return error_setc(GVAB_EDATA, "%s:%zu: bad group name '%s'", p->path,
		                  (gn ? gn->start_mark.line : 0) + 1, gname);
	size_t gi = (size_t)(group_get(p, gname, 1) - p->g);
	if (p->ng > INV_MAX_GROUPS)
		return error_setc(GVAB_EDATA, "%s: more than %d groups", p->path, INV_MAX_GROUPS);
	if (!p->g[gi].defined_line)
		p->g[gi].defined_line = (int)(gn ? gn->start_mark.line : 0) + 1;
	if (yaml_is_null(gn))
		return 0;
	if (gn->type != YAML_MAPPING_NODE)
		return error_setc(GVAB_EDATA, "%s:%zu: group '%s': expected a mapping (hosts, vars, children)",
		                  p->path, gn->start_mark.line + 1, gname);
	for (yaml_node_pair_t *pr = gn->data.mapping.pairs.start; pr < gn->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(d, pr->key), *v = yaml_document_get_node(d, pr->value);
		const char *ks = yscalar(k);
		int rc = 0;
		if (ks && !strcmp(ks, "vars")) {
			char *what = util_fmt("group '%s' vars", gname);
			rc = yaml_vars(p, d, v, p->g[gi].vars, what);
			free(what);
		} else if (ks && !strcmp(ks, "hosts")) {
			if (yaml_is_null(v))
				continue;
			if (v->type != YAML_MAPPING_NODE)
				return error_setc(GVAB_EDATA, "%s:%zu: group '%s': hosts must be a mapping",
				                  p->path, v->start_mark.line + 1, gname);
			for (yaml_node_pair_t *hp = v->data.mapping.pairs.start; hp < v->data.mapping.pairs.top; hp++) {
				yaml_node_t *hk = yaml_document_get_node(d, hp->key);
				const char *hn = yscalar(hk);
				if (!hn || !host_name_ok(hn))
					return error_setc(GVAB_EDATA, "%s:%zu: bad host name '%s'", p->path,
					                  (hk ? hk->start_mark.line : 0) + 1, hn ? hn : "?");
				if (yaml_spend(p, 1) < 0)
					return GVAB_EDATA;
				cJSON *hv = cJSON_GetObjectItemCaseSensitive(p->host_vars, hn);
				if (!hv) {
					hv = cJSON_AddObjectToObject(p->host_vars, hn);
					cJSON_AddItemToArray(p->host_order, cJSON_CreateString(hn));
					if (++p->nhosts > INV_MAX_HOSTS)
						return error_setc(GVAB_EDATA, "%s: more than %d hosts", p->path,
						                  INV_MAX_HOSTS);
				}
				char *what = util_fmt("host '%s'", hn);
				rc = yaml_vars(p, d, yaml_document_get_node(d, hp->value), hv, what);
				free(what);
				if (rc < 0)
					return rc;
				if (++p->nmember > INV_MAX_MEMBERSHIPS)
					return error_setc(GVAB_EDATA, "%s: more than %d group entries", p->path,
					                  INV_MAX_MEMBERSHIPS);
				cJSON_AddItemToArray(p->g[gi].hosts, cJSON_CreateString(hn));
			}
		} else if (ks && !strcmp(ks, "children")) {
			if (yaml_is_null(v))
				continue;
			if (v->type != YAML_MAPPING_NODE)
				return error_setc(GVAB_EDATA, "%s:%zu: group '%s': children must be a mapping",
				                  p->path, v->start_mark.line + 1, gname);
			for (yaml_node_pair_t *cp = v->data.mapping.pairs.start; cp < v->data.mapping.pairs.top; cp++) {
				const char *cn = yscalar(yaml_document_get_node(d, cp->key));
				if (!cn)
					return error_setc(GVAB_EDATA, "%s:%zu: group '%s': a child name must be a scalar",
				                  p->path, v->start_mark.line + 1, gname);
				if (strcmp(cn, gname) && strcmp(gname, "all")) {
					if (++p->nmember > INV_MAX_MEMBERSHIPS)
						return error_setc(GVAB_EDATA, "%s: more than %d group entries", p->path,
						                  INV_MAX_MEMBERSHIPS);
					cJSON_AddItemToArray(p->g[gi].children, cJSON_CreateString(cn));
				}
				char *cname = util_xstrdup(cn);
				rc = yaml_group(p, d, yaml_document_get_node(d, cp->value), cname, depth + 1);
				free(cname);
				if (rc < 0)
					return rc;
			}
		} else {
			return error_setc(GVAB_EDATA, "%s:%zu: group '%s': unknown key '%s' (expected hosts, vars, children)",
			                  p->path, (k ? k->start_mark.line : 0) + 1, gname, ks ? ks : "?");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_yaml(struct parse *p, const char *text)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = 0;
	if (!yaml_parser_initialize(&parser))
		return error_set("libyaml: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	p->yaml_budget = YAML_NODE_BUDGET;
	if (!yaml_parser_load(&parser, &doc)) {
		rc = error_setc(GVAB_EDATA, "%s:%zu: %s", p->path, parser.problem_mark.line + 1,
		                parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		return rc;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = error_setc(GVAB_EDATA, "%s: expected a mapping of groups at the top", p->path);
	} else {
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
		     rc == 0 && pr < root->data.mapping.pairs.top; pr++) {
			const char *gn = yscalar(yaml_document_get_node(&doc, pr->key));
			if (!gn) {
				rc = error_setc(GVAB_EDATA, "%s: a group name must be a scalar", p->path);
				break;
			}
			char *name = util_xstrdup(gn);
			rc = yaml_group(p, &doc, yaml_document_get_node(&doc, pr->value), name, 0);
			free(name);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int inventory_load(const char *path, struct inventory *out)
{
	memset(out, 0, sizeof *out);
	char *text = util_read_file(path, NULL);
	if (!text)
		return error_wrap(GVAB_EUSAGE, "inventory");
	struct parse p = {.path = path, .host_vars = cJSON_CreateObject(),
	                  .host_order = cJSON_CreateArray()};
	group_get(&p, "all", 1)->defined_line = -1;
	group_get(&p, "ungrouped", 1)->defined_line = -1;
	int rc = 0, lineno = 0;
	enum { SEC_HOSTS, SEC_VARS, SEC_CHILDREN } kind = SEC_HOSTS;
	struct group *cur = group_get(&p, "ungrouped", 0);
	int is_yaml = ends_with(path, ".yml") || ends_with(path, ".yaml");
	if (is_yaml)
		rc = parse_yaml(&p, text);
	for (char *line = is_yaml ? NULL : text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *l = trim(line);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *close = strchr(l, ']');
			if (!close || trim(close + 1)[0]) {
				rc = error_setc(GVAB_EDATA, "%s:%d: malformed section header '%s'", path, lineno, l);
				break;
			}
			*close = '\0';
			char *name = l + 1, *colon = strchr(name, ':');
			kind = SEC_HOSTS;
			if (colon) {
				*colon = '\0';
				if (strcmp(colon + 1, "vars") == 0)
					kind = SEC_VARS;
				else if (strcmp(colon + 1, "children") == 0)
					kind = SEC_CHILDREN;
				else {
					rc = error_setc(GVAB_EDATA, "%s:%d: unknown section suffix ':%s' (expected :vars or :children)",
					                path, lineno, colon + 1);
					break;
				}
			}
			if (!name_ok(name)) {
				rc = error_setc(GVAB_EDATA, "%s:%d: bad group name '%s'", path, lineno, name);
				break;
			}
			cur = group_get(&p, name, 1);
			if (p.ng > INV_MAX_GROUPS) {
				rc = error_setc(GVAB_EDATA, "%s:%d: more than %d groups", path, lineno, INV_MAX_GROUPS);
				break;
			}
			if (!cur->defined_line)
				cur->defined_line = lineno;
			continue;
		}
		if (kind == SEC_VARS) {
			if ((rc = parse_pairs(&p, lineno, l, cur->vars)) < 0)
				break;
			continue;
		}
		if (kind == SEC_CHILDREN) {
			if (!name_ok(l) || strchr(l, ' ')) {
				rc = error_setc(GVAB_EDATA, "%s:%d: bad child group name '%s'", path, lineno, l);
				break;
			}
			if (strcmp(l, cur->name) == 0) {
				rc = error_setc(GVAB_EDATA, "%s:%d: group '%s' cannot be its own child", path, lineno, l);
				break;
			}
			size_t ci = (size_t)(cur - p.g);
			struct group *cg = group_get(&p, l, 1);
			if (p.ng > INV_MAX_GROUPS) {
				rc = error_setc(GVAB_EDATA, "%s:%d: more than %d groups", path, lineno, INV_MAX_GROUPS);
				break;
			}
			if (!cg->ref_line)
				cg->ref_line = lineno;
			cur = &p.g[ci]; /* group_get may have moved the array */
			if (++p.nmember > INV_MAX_MEMBERSHIPS) {
				rc = error_setc(GVAB_EDATA, "%s:%d: more than %d group entries", path, lineno,
				                INV_MAX_MEMBERSHIPS);
				break;
			}
			cJSON_AddItemToArray(cur->children, cJSON_CreateString(l));
			continue;
		}
		/* A host line. */
		char *sp = l;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		char *rest = *sp ? sp + 1 : sp;
		*sp = '\0';
		char *hname = l;
		cJSON *hv = cJSON_GetObjectItemCaseSensitive(p.host_vars, hname);
		char *portp = strrchr(hname, ':');
		char portbuf[16] = "";
		if (portp && !strchr(portp + 1, ']')) {
			long port;
			if (util_parse_long(portp + 1, 1, 65535, "port", &port) < 0) {
				rc = error_setc(GVAB_EDATA, "%s:%d: host '%s': bad port", path, lineno, hname);
				break;
			}
			snprintf(portbuf, sizeof portbuf, "%ld", port);
			*portp = '\0';
			hv = cJSON_GetObjectItemCaseSensitive(p.host_vars, hname);
		}
		if (!host_name_ok(hname)) {
			rc = error_setc(GVAB_EDATA, "%s:%d: bad host name '%s'", path, lineno, hname);
			break;
		}
		if (!hv) {
			hv = cJSON_AddObjectToObject(p.host_vars, hname);
			cJSON_AddItemToArray(p.host_order, cJSON_CreateString(hname));
			if (++p.nhosts > INV_MAX_HOSTS) {
				rc = error_setc(GVAB_EDATA, "%s:%d: more than %d hosts", path, lineno, INV_MAX_HOSTS);
				break;
			}
		}
		if (portbuf[0]) {
			cJSON_DeleteItemFromObjectCaseSensitive(hv, "ansible_port");
			cJSON_AddStringToObject(hv, "ansible_port", portbuf);
		}
		if ((rc = parse_pairs(&p, lineno, rest, hv)) < 0)
			break;
		if (++p.nmember > INV_MAX_MEMBERSHIPS) {
			rc = error_setc(GVAB_EDATA, "%s:%d: more than %d group entries", path, lineno,
			                INV_MAX_MEMBERSHIPS);
			break;
		}
		cJSON_AddItemToArray(cur->hosts, cJSON_CreateString(hname));
	}
	free(text);
	for (size_t i = 0; rc == 0 && i < p.ng; i++)
		if (p.g[i].ref_line && !p.g[i].defined_line && !cJSON_GetArraySize(p.g[i].hosts))
			rc = error_setc(GVAB_EDATA, "%s:%d: child group '%s' is never defined", path,
			                p.g[i].ref_line, p.g[i].name);

	/* Resolution below is hosts x memberships; keep it to a second or so
	 * whatever the file (a fuzzer found 1 MB INI files that took minutes). */
	if (rc == 0) {
		size_t memberships = 0, nhosts = (size_t)cJSON_GetArraySize(p.host_order);
		for (size_t i = 0; i < p.ng; i++)
			memberships += (size_t)cJSON_GetArraySize(p.g[i].hosts) +
			               (size_t)cJSON_GetArraySize(p.g[i].children);
		if (nhosts > INV_MAX_HOSTS || p.ng > INV_MAX_GROUPS || memberships > INV_MAX_MEMBERSHIPS)
			rc = error_setc(GVAB_EDATA, "%s: too large: %zu hosts (at most %d), %zu groups (at "
			                "most %d), %zu group entries (at most %d)", path, nhosts,
			                INV_MAX_HOSTS, p.ng, INV_MAX_GROUPS, memberships, INV_MAX_MEMBERSHIPS);
	}
	if (rc == 0) {
		size_t nh = (size_t)cJSON_GetArraySize(p.host_order);
		out->hosts = util_xcalloc(nh + 1, sizeof *out->hosts);
		int *depth = util_xcalloc(p.ng + 1, sizeof *depth);
		const cJSON *hn;
		cJSON_ArrayForEach(hn, p.host_order) {
			struct inv_host *h = &out->hosts[out->n++];
			h->name = util_xstrdup(hn->valuestring);
			h->vars = cJSON_CreateObject();
			h->groups = cJSON_CreateArray();
			host_groups(&p, h->name, depth);
			/* Precedence: all, then groups from the farthest ancestor to the
			 * direct group, then the host line. Later writes win. */
			struct group *all = group_get(&p, "all", 0);
			const cJSON *e;
			cJSON_ArrayForEach(e, all->vars)
				cJSON_AddStringToObject(h->vars, e->string, e->valuestring);
			int maxd = 0;
			for (size_t i = 0; i < p.ng; i++)
				if (depth[i] > maxd)
					maxd = depth[i];
			int member = 0;
			for (int d = maxd; d >= 0; d--)
				for (size_t i = 0; i < p.ng; i++) {
					if (depth[i] != d || &p.g[i] == all)
						continue;
					if (strcmp(p.g[i].name, "ungrouped") != 0 || d == 0) {
						cJSON_AddItemToArray(h->groups, cJSON_CreateString(p.g[i].name));
						member |= strcmp(p.g[i].name, "ungrouped") != 0;
					}
					cJSON_ArrayForEach(e, p.g[i].vars) {
						cJSON_DeleteItemFromObjectCaseSensitive(h->vars, e->string);
						cJSON_AddStringToObject(h->vars, e->string, e->valuestring);
					}
				}
			(void)member;
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p.host_vars, h->name)) {
				cJSON_DeleteItemFromObjectCaseSensitive(h->vars, e->string);
				cJSON_AddStringToObject(h->vars, e->string, e->valuestring);
			}
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
			const cJSON *e2;
			cJSON_ArrayForEach(e2, h->vars)
				if (!why && !printable(e2->valuestring)) {
					why = "a control character in a value of";
					snprintf(bad, sizeof bad, "%s", e2->string);
				}
			if (why) {
				rc = error_setc(GVAB_EDATA, "%s: host %s: %s%s%.60s%s", path, h->name, why,
				                bad[0] ? " ('" : "", bad, bad[0] ? "')" : "");
				break;
			}
			if ((v = var(h->vars, "ansible_port"))) {
				long port;
				if (util_parse_long(v, 1, 65535, "ansible_port", &port) < 0) {
					rc = error_setc(GVAB_EDATA, "%s: host %s: ansible_port '%s' is not a port",
					                path, h->name, v);
					break;
				}
				h->port = (int)port;
			}
		}
		free(depth);
	}
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
