/* inventory: Ansible inventories, INI or YAML (*.yml, *.yaml, read with
 * libyaml), so users can point gvab at the inventory they already have.
 *
 * Supported: host lines ("name [key=value ...]", name may be "host:port"
 * and hold Ansible host ranges, web[01:04] or db-[a:c], see hostpattern.h),
 * [group], [group:vars], [group:children], ungrouped hosts before the first
 * section, '#' and ';' comments, single- and double-quoted values. Variables
 * resolve as Ansible does for these sources: host line > child group vars >
 * parent group vars > [all:vars]. gvab reads ansible_host, ansible_user,
 * ansible_port, ansible_ssh_private_key_file, ansible_connection and its own
 * gvab_label, gvab_sku, gvab_notes, gvab_env (extra environment for the
 * remote run, "K=V K=V").
 *
 * YAML: the Ansible shape (group: {hosts: {name: {vars}}, vars: {...},
 * children: {group: ...}}), scalar values only.
 *
 * The INI form is read by inventory_ini.c, YAML by inventory_yaml.c.
 *
 * Inventories may come from someone else, and their values reach paths,
 * ssh's argv and env(1) on a host, so inventory_load refuses (GVAB_EDATA):
 * host names that are paths or options ("..", a leading '.' or '-'), an
 * ansible_host or ansible_user that is not a host or user name, gvab_env
 * words that are not NAME=VALUE, control characters in any value. YAML
 * alias expansion is capped at 200,000 visited nodes ("billion laughs"),
 * and an inventory at 4,096 hosts, 1,024 groups and 50,000 group entries,
 * so loading stays well under a second whatever the file.
 *
 * Errors name the file, line and reason (GVAB_EDATA).
 */
#ifndef GVAB_INVENTORY_H
#define GVAB_INVENTORY_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct inv_host {
	char *name;        /* inventory name */
	char *address;     /* ansible_host, default name */
	char *user;        /* ansible_user, may be NULL (ssh's default) */
	int port;          /* ansible_port, 0 = ssh's default */
	char *key_file;    /* ansible_ssh_private_key_file, may be NULL */
	int local;         /* ansible_connection=local */
	char *label;       /* gvab_label, default name */
	char *sku, *notes, *env;
	cJSON *vars;       /* every resolved variable, strings */
	cJSON *groups;     /* array of group names */
};

struct inventory {
	struct inv_host *hosts;
	size_t n;
};

/* Parses `path`; the caller frees with inventory_free. */
int inventory_load(const char *path, struct inventory *out);
void inventory_free(struct inventory *inv);

/* Hosts of a group ("all" = every host) in inventory order; returns the
 * count, indices in *idx (caller frees); 0 with an error if unknown. */
size_t inventory_select(const struct inventory *inv, const char *pattern, size_t **idx);

#endif
