/* remote: what `hosts run`, `hosts check` and `hosts clean` do on a host
 * (internal to hosts/): the ssh target of an inventory host, argv building
 * for a remote gvab-rig (sudo, gvab_env), copying gvab-rig with its
 * libraries and the bundle, removing what gvab put there, and ssh's own
 * reason when it could not reach a host, with the next step for the
 * common ones (an unknown host key). */
#ifndef GVAB_REMOTE_H
#define GVAB_REMOTE_H

#include "inventory.h"
#include "ssh.h"

#include <stddef.h>

/* A growing argv (gvab_env words, arms and pass-through options have no
 * set count), with the strings it owns. */
struct args {
	char **a;
	size_t n, cap;
	char **owned;
	size_t nowned;
};

void args_add(struct args *v, char *s);
/* Adds s, which the args then own. */
void args_own(struct args *v, char *s);
void args_free(struct args *v);

/* The ssh target of h, its ControlPath sockets in control_dir. */
void remote_target(const struct inv_host *h, const char *control_dir, const char *ssh_config,
                   struct ssh_target *t);
/* argv prefix for a remote gvab-rig: [sudo -n] [env K=V...] RDIR/gvab-rig.
 * inventory_load accepted gvab_env only as NAME=VALUE words, so no word
 * here can be env's command. */
void remote_rig_prefix(const struct inv_host *h, const char *rdir, struct args *v);

/* gvab-rig beside gvab (a build tree) or in PREFIX/libexec/gvab: the
 * directory holding it and its lib/, or NULL (GVAB_EPRECOND recorded).
 * Caller frees. */
char *remote_local_rig_dir(void);
/* Copies gvab-rig, its libraries and the bundle into rdir. */
int remote_push_rig(struct ssh_target *t, const char *rdir, const char *bundle, const char *log);
/* Where remote_push_rig put the bundle (caller frees). */
char *remote_bundle_path(const char *rdir, const char *bundle);

/* Removes `dirs` on the host (rm -rf, through sudo when not root: the run
 * wrote root-owned files), then each of `parents` that is empty now
 * (nearest first; rmdir, so never a folder with someone else's files).
 * Both NULL-terminated. 0, or an error naming the host. */
int remote_remove(struct ssh_target *t, const struct inv_host *h, char *const *dirs,
                  char *const *parents);

/* The plain names (campaign_plain_name) in a folder on the host, or none
 * when it does not exist; *n of them, the caller frees each and the array. */
char **remote_list(struct ssh_target *t, const char *dir, size_t *n);

/* ssh could not run the command (exit 255): ssh's own reason, the last
 * line of `output`, with the next step where there is one. Caller frees. */
char *remote_ssh_reason(const struct ssh_target *t, const char *output);

#endif
