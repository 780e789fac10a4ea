/* hostpattern: Ansible's host ranges in inventory host names, expanded as
 * Ansible expands them (ansible/plugins/inventory expand_hostname_range):
 *
 *   web[01:03]      web01 web02 web03   (a leading zero: fixed width, and
 *                                        begin and end must be as wide)
 *   web[1:10:4]     web1 web5 web9      (an optional :step)
 *   db-[a:c]        db-a db-b db-c      (one letter each; a..z then A..Z)
 *   r[1:2]n[a:b]    r1na r1nb r2na r2nb (several ranges, left one outermost)
 *   [:2]x           0x 1x 2x            (an empty begin is 0)
 *
 * Where Ansible quietly yields nothing or something odd (begin after end, a
 * step of 0 or below, letters wider than one, an unclosed '[') this refuses
 * with the reason, as it does ranges that would make more than `max` names.
 */
#ifndef GVAB_HOSTPATTERN_H
#define GVAB_HOSTPATTERN_H

#include <stddef.h>

/* Expands `pattern` (a name without '[' is itself). 0 with *names (n
 * strings, the caller frees them with hostpattern_free) or GVAB_EDATA with
 * the error "host range 'PATTERN': why" recorded. */
int hostpattern_expand(const char *pattern, size_t max, char ***names, size_t *n);
void hostpattern_free(char **names, size_t n);

#endif
