/* yaml_limits: see yaml_limits.h. */
#include "yaml_limits.h"
#include "error.h"

#include <string.h>

/* Nesting caps checked on the text BEFORE libyaml sees it: libyaml's time
 * grows with the square of the depth (a 200 KB file nested 100,000 deep
 * took 48 s to refuse). Flow collections ([ {) at most YAML_MAX_FLOW_DEPTH
 * deep; block content at most YAML_MAX_INDENT columns in (spaces and "- "
 * or "? " indicators), which bounds block nesting. Quoted scalars and
 * comments are skipped; a quote counts only where a scalar can start. */

int yaml_limits_precheck(const char *path, const char *t)
{
	int line = 1, depth = 0, col = 0, at_indent = 1;
	char prev = '\n'; /* last non-blank character */
	for (const char *c = t; *c; c++) {
		if (*c == '\n') {
			line++;
			col = 0;
			at_indent = 1;
			prev = '\n';
			continue;
		}
		if (at_indent) {
			if (*c == ' ' || ((*c == '-' || *c == '?') && (c[1] == ' ' || c[1] == '\n'))) {
				if (++col > YAML_MAX_INDENT)
					return error_setc(GVAB_EDATA, "%s:%d: nested deeper than %d columns; "
					                  "refused", path, line, YAML_MAX_INDENT);
				continue;
			}
			at_indent = 0;
		}
		int scalar_start = prev == '\n' || strchr(":-[{,?", prev);
		if (*c == '#' && (c == t || c[-1] == ' ' || c[-1] == '\t' || c[-1] == '\n')) {
			while (c[1] && c[1] != '\n')
				c++;
		} else if ((*c == '"' || *c == '\'') && scalar_start) {
			char q = *c;
			for (c++; *c; c++) {
				if (*c == '\n')
					line++;
				if (q == '"' && *c == '\\' && c[1])
					c++;
				else if (*c == q && !(q == '\'' && c[1] == '\''))
					break;
				else if (*c == q)
					c++; /* '' inside single quotes */
			}
			if (!*c)
				break;
		} else if (*c == '[' || *c == '{') {
			if (++depth > YAML_MAX_FLOW_DEPTH)
				return error_setc(GVAB_EDATA, "%s:%d: collections nested deeper than %d; "
				                  "refused", path, line, YAML_MAX_FLOW_DEPTH);
		} else if ((*c == ']' || *c == '}') && depth > 0) {
			depth--;
		}
		if (*c != ' ' && *c != '\t')
			prev = *c;
	}
	return 0;
}

/* A scalar with a NUL in it ("\0" in a double-quoted value) would be cut
 * at the NUL by every C string use: refused. */
int yaml_limits_check_nul(const char *path, yaml_document_t *doc)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE &&
		    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
			return error_setc(GVAB_EDATA, "%s:%zu: a value holds a NUL character (\\0); "
			                  "refused", path, n->start_mark.line + 1);
	return 0;
}

