/* inventory_yaml: Ansible's YAML inventory form, read with libyaml, into a
 * struct inv_parse (inventory_parse.h):
 *   all:
 *     hosts:   {NAME: {var: value, ...} | null, ...}
 *     vars:    {var: value, ...}
 *     children: {GROUP: <the same shape>, ...}
 * Any top-level key is a group. Values must be scalars. YAML aliases let a
 * 1.3 KB file name a mapping 2^30 times ("billion laughs"); every visit of
 * a group, host or variable spends one unit of YAML_NODE_BUDGET. */
#define _GNU_SOURCE
#include "inventory_parse.h"
#include "error.h"
#include "yaml_limits.h"
#include "util.h"

#include <yaml.h>
#include <stdlib.h>
#include <string.h>

/* An inventory of 10,000 hosts with a few variables each stays far below. */
#define YAML_NODE_BUDGET 200000

struct ydoc {
	struct inv_parse *p;
	yaml_document_t *d;
};

static int yaml_spend(struct inv_parse *p, long n)
{
	p->yaml_budget -= n;
	if (p->yaml_budget < 0)
		return error_setc(GVAB_EDATA, "%s: more than %d YAML nodes once aliases are expanded "
		                  "(nested aliases?)", p->path, YAML_NODE_BUDGET);
	return 0;
}

static const char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int yaml_is_null(yaml_node_t *n)
{
	const char *v = yscalar(n);
	return !n || (v && (!*v || !strcmp(v, "~") || !strcmp(v, "null")));
}

static int yline(yaml_node_t *n)
{
	return (int)(n ? n->start_mark.line : 0) + 1;
}

static yaml_node_t *ynode(const struct ydoc *y, int id)
{
	return yaml_document_get_node(y->d, id);
}

static int yaml_vars(const struct ydoc *y, yaml_node_t *m, cJSON *into, const char *what)
{
	struct inv_parse *p = y->p;
	if (yaml_is_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return error_setc(GVAB_EDATA, "%s:%d: %s: expected a mapping of variables", p->path,
		                  yline(m), what);
	if (yaml_spend(p, m->data.mapping.pairs.top - m->data.mapping.pairs.start + 1) < 0)
		return GVAB_EDATA;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = ynode(y, pr->key), *v = ynode(y, pr->value);
		const char *ks = yscalar(k), *vs = yscalar(v);
		if (!ks || !vs)
			return error_setc(GVAB_EDATA, "%s:%d: %s: variables must be scalar key: value",
			                  p->path, yline(k), what);
		cJSON_DeleteItemFromObjectCaseSensitive(into, ks);
		cJSON_AddStringToObject(into, ks, vs);
	}
	return 0;
}

static int yaml_group(const struct ydoc *y, yaml_node_t *gn, const char *gname, int depth);

/* hosts: {NAME: {vars} | null, ...} of group gi. */
static int yaml_hosts(const struct ydoc *y, yaml_node_t *v, size_t gi)
{
	struct inv_parse *p = y->p;
	if (yaml_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return error_setc(GVAB_EDATA, "%s:%d: group '%s': hosts must be a mapping", p->path,
		                  yline(v), p->g[gi].name);
	for (yaml_node_pair_t *hp = v->data.mapping.pairs.start; hp < v->data.mapping.pairs.top; hp++) {
		yaml_node_t *hk = ynode(y, hp->key);
		const char *hn = yscalar(hk);
		if (!hn)
			return error_setc(GVAB_EDATA, "%s:%d: a host name must be a scalar", p->path, yline(hk));
		if (yaml_spend(p, 1) < 0)
			return GVAB_EDATA;
		cJSON *vars = cJSON_CreateObject();
		char *what = util_fmt("host '%s'", hn);
		int rc = yaml_vars(y, ynode(y, hp->value), vars, what);
		if (rc == 0)
			rc = inv_parse_add_host(p, gi, hn, vars, yline(hk));
		free(what);
		cJSON_Delete(vars);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* children: {GROUP: <group>, ...} of group gi. */
static int yaml_children(const struct ydoc *y, yaml_node_t *v, size_t gi, int depth)
{
	struct inv_parse *p = y->p;
	if (yaml_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return error_setc(GVAB_EDATA, "%s:%d: group '%s': children must be a mapping", p->path,
		                  yline(v), p->g[gi].name);
	for (yaml_node_pair_t *cp = v->data.mapping.pairs.start; cp < v->data.mapping.pairs.top; cp++) {
		const char *cn = yscalar(ynode(y, cp->key));
		if (!cn)
			return error_setc(GVAB_EDATA, "%s:%d: group '%s': a child name must be a scalar",
			                  p->path, yline(v), p->g[gi].name);
		if (strcmp(cn, p->g[gi].name) && strcmp(p->g[gi].name, "all")) {
			if (inv_parse_count_member(p, yline(v)) < 0)
				return GVAB_EDATA;
			cJSON_AddItemToArray(p->g[gi].children, cJSON_CreateString(cn));
		}
		char *cname = util_xstrdup(cn);
		int rc = yaml_group(y, ynode(y, cp->value), cname, depth + 1);
		free(cname);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int yaml_group(const struct ydoc *y, yaml_node_t *gn, const char *gname, int depth)
{
	struct inv_parse *p = y->p;
	if (depth > 32)
		return error_setc(GVAB_EDATA, "%s: groups nested too deeply at '%s'", p->path, gname);
	if (yaml_spend(p, 1) < 0)
		return GVAB_EDATA;
	if (!inv_parse_group_name_ok(gname))
		return error_setc(GVAB_EDATA, "%s:%d: bad group name '%s'", p->path, yline(gn), gname);
	struct inv_group *g = inv_parse_group(p, gname, 1, yline(gn));
	if (!g)
		return GVAB_EDATA;
	size_t gi = (size_t)(g - p->g);
	if (!g->defined_line)
		g->defined_line = yline(gn);
	if (yaml_is_null(gn))
		return 0;
	if (gn->type != YAML_MAPPING_NODE)
		return error_setc(GVAB_EDATA, "%s:%d: group '%s': expected a mapping (hosts, vars, children)",
		                  p->path, yline(gn), gname);
	for (yaml_node_pair_t *pr = gn->data.mapping.pairs.start; pr < gn->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = ynode(y, pr->key), *v = ynode(y, pr->value);
		const char *ks = yscalar(k);
		int rc;
		if (ks && !strcmp(ks, "vars")) {
			char *what = util_fmt("group '%s' vars", gname);
			rc = yaml_vars(y, v, p->g[gi].vars, what);
			free(what);
		} else if (ks && !strcmp(ks, "hosts")) {
			rc = yaml_hosts(y, v, gi);
		} else if (ks && !strcmp(ks, "children")) {
			rc = yaml_children(y, v, gi, depth);
		} else {
			rc = error_setc(GVAB_EDATA, "%s:%d: group '%s': unknown key '%s' (expected hosts, vars, "
			                "children)", p->path, yline(k), gname, ks ? ks : "?");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int inv_parse_yaml(struct inv_parse *p, const char *text)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = yaml_limits_precheck(p->path, text);
	if (rc < 0)
		return rc;
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
	struct ydoc y = {.p = p, .d = &doc};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if ((rc = yaml_limits_check_nul(p->path, &doc)) < 0) {
		/* recorded */
	} else if (!root || root->type != YAML_MAPPING_NODE) {
		rc = error_setc(GVAB_EDATA, "%s: expected a mapping of groups at the top", p->path);
	} else {
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
		     rc == 0 && pr < root->data.mapping.pairs.top; pr++) {
			const char *gn = yscalar(ynode(&y, pr->key));
			if (!gn) {
				rc = error_setc(GVAB_EDATA, "%s: a group name must be a scalar", p->path);
				break;
			}
			char *name = util_xstrdup(gn);
			rc = yaml_group(&y, ynode(&y, pr->value), name, 0);
			free(name);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}
