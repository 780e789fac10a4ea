/* yaml_limits: what a YAML inventory must pass before and right after
 * libyaml parses it. libyaml's time grows with the square of the nesting
 * depth (a 200 KB file nested 100,000 deep took 48 s to refuse), so depth
 * is capped on the raw text first; and libyaml decodes "\0" into a NUL
 * that every C string use would cut a value at.
 *
 * Caps (README "Hostile inputs"): flow collections ([ {) at most
 * YAML_MAX_FLOW_DEPTH deep; block content at most YAML_MAX_INDENT columns
 * in, which bounds block nesting. Both return 0 or GVAB_EDATA with
 * "FILE:LINE: why" recorded.
 */
#ifndef GVAB_YAML_LIMITS_H
#define GVAB_YAML_LIMITS_H

#include <yaml.h>

#define YAML_MAX_FLOW_DEPTH 64
#define YAML_MAX_INDENT 256

int yaml_limits_precheck(const char *path, const char *text);
int yaml_limits_check_nul(const char *path, yaml_document_t *doc);

#endif
