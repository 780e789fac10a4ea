/* inventory_ini: Ansible's INI inventory form (see inventory.h), into a
 * struct inv_parse (inventory_parse.h).
 *
 * Why not an INI library: Ansible's host lines are not INI key=value pairs
 * ("web1 ansible_host=10.0.0.1 ansible_user=root" would be split at the
 * first '='), so inih and friends would leave the real parsing to us anyway. */
#define _GNU_SOURCE
#include "inventory_parse.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum ini_section { SEC_HOSTS, SEC_VARS, SEC_CHILDREN };

struct ini {
	struct inv_parse *p;
	enum ini_section kind;
	size_t cur;  /* index of the current group */
	int line;
};

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
static int parse_pairs(const struct ini *in, char *s, cJSON *into)
{
	const char *path = in->p->path;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#' || *s == ';')
			break;
		char *k = s;
		while (*s && *s != '=' && !isspace((unsigned char)*s))
			s++;
		if (*s != '=')
			return error_setc(GVAB_EDATA, "%s:%d: '%.*s' is not key=value", path, in->line,
			                  (int)(s - k), k);
		*s++ = '\0';
		if (!*k)
			return error_setc(GVAB_EDATA, "%s:%d: empty variable name", path, in->line);
		char *v;
		if (*s == '"' || *s == '\'') {
			char q = *s++;
			v = s;
			while (*s && *s != q)
				s++;
			if (*s != q)
				return error_setc(GVAB_EDATA, "%s:%d: unterminated quote in %s", path, in->line, k);
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

/* "[name]", "[name:vars]", "[name:children]". */
static int ini_section(struct ini *in, char *l)
{
	const char *path = in->p->path;
	char *close = strchr(l, ']');
	if (!close || trim(close + 1)[0])
		return error_setc(GVAB_EDATA, "%s:%d: malformed section header '%s'", path, in->line, l);
	*close = '\0';
	char *name = l + 1, *colon = strchr(name, ':');
	in->kind = SEC_HOSTS;
	if (colon) {
		*colon = '\0';
		if (strcmp(colon + 1, "vars") == 0)
			in->kind = SEC_VARS;
		else if (strcmp(colon + 1, "children") == 0)
			in->kind = SEC_CHILDREN;
		else
			return error_setc(GVAB_EDATA, "%s:%d: unknown section suffix ':%s' (expected :vars or "
			                  ":children)", path, in->line, colon + 1);
	}
	if (!inv_parse_group_name_ok(name))
		return error_setc(GVAB_EDATA, "%s:%d: bad group name '%s'", path, in->line, name);
	struct inv_group *g = inv_parse_group(in->p, name, 1, in->line);
	if (!g)
		return GVAB_EDATA;
	if (!g->defined_line)
		g->defined_line = in->line;
	in->cur = (size_t)(g - in->p->g);
	return 0;
}

/* A line of [name:children]. */
static int ini_child(struct ini *in, const char *l)
{
	struct inv_parse *p = in->p;
	if (!inv_parse_group_name_ok(l))
		return error_setc(GVAB_EDATA, "%s:%d: bad child group name '%s'", p->path, in->line, l);
	if (strcmp(l, p->g[in->cur].name) == 0)
		return error_setc(GVAB_EDATA, "%s:%d: group '%s' cannot be its own child", p->path,
		                  in->line, l);
	struct inv_group *cg = inv_parse_group(p, l, 1, in->line);
	if (!cg)
		return GVAB_EDATA;
	if (!cg->ref_line)
		cg->ref_line = in->line;
	if (inv_parse_count_member(p, in->line) < 0)
		return GVAB_EDATA;
	cJSON_AddItemToArray(p->g[in->cur].children, cJSON_CreateString(l));
	return 0;
}

/* "NAME[:PORT] [key=value ...]", NAME possibly a range (web[01:04]). */
static int ini_host(struct ini *in, char *l)
{
	char *sp = l;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	char *rest = *sp ? sp + 1 : sp;
	*sp = '\0';
	cJSON *vars = cJSON_CreateObject();
	int rc = 0;
	/* ":PORT" after the name, not a ':' inside a range (web[1:3], web[1:). */
	char *portp = strrchr(l, ':'), *lb = strrchr(l, '[');
	if (portp && !strchr(portp + 1, ']') && !(lb && !strchr(lb, ']'))) {
		long port;
		if (util_parse_long(portp + 1, 1, 65535, "port", &port) < 0) {
			rc = error_setc(GVAB_EDATA, "%s:%d: host '%s': bad port", in->p->path, in->line, l);
			goto out;
		}
		*portp = '\0';
		char buf[16];
		snprintf(buf, sizeof buf, "%ld", port);
		cJSON_AddStringToObject(vars, "ansible_port", buf);
	}
	if ((rc = parse_pairs(in, rest, vars)) == 0)
		rc = inv_parse_add_host(in->p, in->cur, l, vars, in->line);
out:
	cJSON_Delete(vars);
	return rc;
}

int inv_parse_ini(struct inv_parse *p, char *text)
{
	struct ini in = {.p = p, .kind = SEC_HOSTS};
	struct inv_group *ungrouped = inv_parse_group(p, "ungrouped", 0, 0);
	in.cur = (size_t)(ungrouped - p->g);
	int rc = 0;
	for (char *line = text, *next; rc == 0 && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		in.line++;
		char *l = trim(line);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[')
			rc = ini_section(&in, l);
		else if (in.kind == SEC_VARS)
			rc = parse_pairs(&in, l, p->g[in.cur].vars);
		else if (in.kind == SEC_CHILDREN)
			rc = ini_child(&in, l);
		else
			rc = ini_host(&in, l);
	}
	return rc;
}
