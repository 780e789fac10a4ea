/* inventory_parse: what the INI and YAML readers of inventory.c share
 * (internal to hosts/). Both fill one `struct inv_parse`: groups with their
 * own variables, children and host entries, and the host-line variables
 * per host; inventory.c then resolves each host's variables. Every host
 * name goes through inv_parse_add_host, which expands Ansible host ranges
 * (hostpattern.h), checks the name and keeps the size caps. */
#ifndef GVAB_INVENTORY_PARSE_H
#define GVAB_INVENTORY_PARSE_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct inv_group {
	char *name;
	cJSON *vars;      /* object */
	cJSON *children;  /* array of names */
	cJSON *hosts;     /* array of names, with the host line's vars kept apart */
	int defined_line; /* 0 when only referenced */
	int ref_line;     /* first reference as a child */
};

struct inv_parse {
	const char *path;
	struct inv_group *g;
	size_t ng;
	cJSON *host_vars;   /* name -> object of host-line vars */
	cJSON *host_order;  /* array of names in first-seen order */
	long yaml_budget;   /* YAML nodes still to visit (aliases repeat nodes) */
	size_t nhosts;      /* size of host_order */
	size_t nmember;     /* host and child entries of groups */
};

/* Resolution is hosts x memberships; these keep loading to a second or so
 * whatever the file (a fuzzer found 1 MB INI files that took minutes). */
#define INV_MAX_BYTES ((size_t)4 << 20) /* 4 MiB: 4,096 hosts with room to spare */
#define INV_MAX_HOSTS 4096
#define INV_MAX_GROUPS 1024
#define INV_MAX_MEMBERSHIPS 50000

/* The group named `name`, created when `create` (NULL past INV_MAX_GROUPS
 * with the error recorded, or when absent and !create). Pointers into p->g
 * move when a group is created. */
struct inv_group *inv_parse_group(struct inv_parse *p, const char *name, int create, int line);
/* Group names: letters, digits, '-', '_', '.'. */
int inv_parse_group_name_ok(const char *n);
/* Adds the host (or every host of its range) to group gi with the
 * variables `vars` (an object, copied; later entries win). 0 or GVAB_EDATA
 * naming path:line. */
int inv_parse_add_host(struct inv_parse *p, size_t gi, const char *pattern, const cJSON *vars,
                       int line);
/* One more group entry (a host or a child), within INV_MAX_MEMBERSHIPS. */
int inv_parse_count_member(struct inv_parse *p, int line);

int inv_parse_ini(struct inv_parse *p, char *text);
int inv_parse_yaml(struct inv_parse *p, const char *text);

#endif
