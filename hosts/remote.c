/* remote: see remote.h. */
#define _GNU_SOURCE
#include "remote.h"
#include "campaign.h"
#include "error.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void args_add(struct args *v, char *s)
{
	if (v->n + 2 > v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->a = util_xrealloc(v->a, v->cap * sizeof *v->a);
	}
	v->a[v->n++] = s;
	v->a[v->n] = NULL;
}

void args_own(struct args *v, char *s)
{
	v->owned = util_xrealloc(v->owned, (v->nowned + 1) * sizeof *v->owned);
	v->owned[v->nowned++] = s;
	args_add(v, s);
}

void args_free(struct args *v)
{
	for (size_t i = 0; i < v->nowned; i++)
		free(v->owned[i]);
	free(v->owned);
	free(v->a);
	memset(v, 0, sizeof *v);
}

void remote_target(const struct inv_host *h, const char *control_dir, const char *ssh_config,
                   struct ssh_target *t)
{
	memset(t, 0, sizeof *t);
	t->name = h->name;
	t->address = h->address;
	t->user = h->user;
	t->port = h->port;
	t->key_file = h->key_file;
	t->local = h->local;
	t->control_dir = control_dir;
	t->ssh_config = ssh_config;
}

/* Not root there: commands that need root go through `sudo -n`. */
static int remote_needs_sudo(const struct inv_host *h)
{
	if (h->local)
		return getuid() != 0;
	return h->user && strcmp(h->user, "root") != 0;
}

void remote_rig_prefix(const struct inv_host *h, const char *rdir, struct args *v)
{
	if (remote_needs_sudo(h)) {
		args_add(v, "sudo");
		args_add(v, "-n");
	}
	if (h->env && *h->env) {
		args_add(v, "env");
		char *copy = util_xstrdup(h->env);
		for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			args_own(v, util_xstrdup(w));
		free(copy);
	}
	args_own(v, util_fmt("%s/gvab-rig", rdir));
}

char *remote_local_rig_dir(void)
{
	char *self = util_self_dir();
	char *dirs[] = {util_xstrdup(self), util_fmt("%s/../libexec/gvab", self)};
	char *found = NULL;
	for (int i = 0; i < 2; i++) {
		char *rig = util_fmt("%s/gvab-rig", dirs[i]);
		if (!found && access(rig, X_OK) == 0)
			found = dirs[i];
		else
			free(dirs[i]);
		free(rig);
	}
	if (!found)
		error_setc(GVAB_EPRECOND, "%s/gvab-rig not built (make build/gvab-rig)", self);
	free(self);
	return found;
}

int remote_push_rig(struct ssh_target *t, const char *rdir, const char *bundle, const char *log)
{
	char *self = remote_local_rig_dir();
	if (!self)
		return GVAB_EPRECOND;
	char *e1[] = {"gvab-rig", "lib", NULL};
	int rc = ssh_push(t, self, e1, rdir, log);
	free(self);
	if (rc < 0)
		return rc;
	char bundle_real[PATH_MAX];
	if (!realpath(bundle, bundle_real))
		return error_setc(GVAB_EPRECOND, "bundle %s: not found here; make it with `gvab bundle "
		                  "--out %s`", bundle, bundle);
	char *slash = strrchr(bundle_real, '/');
	*slash = '\0';
	char *e2[] = {slash + 1, NULL};
	char *bdir = util_fmt("%s/bundle-src", rdir);
	rc = ssh_push(t, bundle_real, e2, bdir, log);
	free(bdir);
	return rc;
}

char *remote_bundle_path(const char *rdir, const char *bundle)
{
	char real[PATH_MAX];
	const char *base = realpath(bundle, real) ? strrchr(real, '/') + 1 : "bundle";
	return util_fmt("%s/bundle-src/%s", rdir, base);
}

int remote_remove(struct ssh_target *t, const struct inv_host *h, char *const *dirs,
                  char *const *parents)
{
	struct args av = {0};
	char *out = NULL;
	int code = 0, rc;
	if (remote_needs_sudo(h)) {
		args_add(&av, "sudo");
		args_add(&av, "-n");
	}
	size_t base = av.n;
	args_add(&av, "rm");
	args_add(&av, "-rf");
	args_add(&av, "--");
	for (size_t i = 0; dirs[i]; i++)
		args_add(&av, dirs[i]);
	rc = ssh_run(t, av.a, NULL, &out, &code);
	if (rc == 0 && code != 0) {
		const char *l;
		size_t n = util_last_line(out, &l);
		rc = error_set("removing %s on %s failed (exit %d): %.*s", dirs[0], t->name, code, (int)n, l);
	}
	free(out);
	out = NULL;
	/* rmdir of each parent once empty: stops quietly at one that is not
	 * (another campaign's folder, or files someone else put there). */
	av.n = base;
	args_add(&av, "rmdir");
	args_add(&av, "--ignore-fail-on-non-empty");
	args_add(&av, "--");
	for (size_t i = 0; parents && parents[i]; i++)
		args_add(&av, parents[i]);
	if (rc == 0 && parents && parents[0])
		ssh_run(t, av.a, NULL, &out, &code);
	free(out);
	args_free(&av);
	return rc;
}

char **remote_list(struct ssh_target *t, const char *dir, size_t *n)
{
	char *ls[] = {"ls", "-A", "--", (char *)dir, NULL};
	char *out = NULL, **names = NULL;
	int code = 0;
	*n = 0;
	if (ssh_run(t, ls, NULL, &out, &code) == 0 && code == 0 && out) {
		for (char *save = NULL, *w = strtok_r(out, "\n", &save); w; w = strtok_r(NULL, "\n", &save))
			if (campaign_plain_name(w)) {
				names = util_xrealloc(names, (*n + 1) * sizeof *names);
				names[(*n)++] = util_xstrdup(w);
			}
	}
	free(out);
	return names;
}

char *remote_ssh_reason(const struct ssh_target *t, const char *output)
{
	const char *l;
	size_t n = output ? util_last_line(output, &l) : 0;
	/* ssh ends some messages with "\r\n". */
	while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' '))
		n--;
	char *last = n ? util_fmt("%.*s", (int)n, l) : util_xstrdup("ssh could not connect");
	for (char *c = last; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	char *why;
	if (strstr(last, "Host key verification failed")) {
		char port[16] = "";
		if (t->port)
			snprintf(port, sizeof port, "-p %d ", t->port);
		why = util_fmt("%s ssh does not know this host's key: add it with `ssh-keyscan %s%s >> "
		               "~/.ssh/known_hosts` (compare its fingerprint with the host's own), or "
		               "give gvab an ssh config naming a known_hosts file (--ssh-config FILE)",
		               last, port, t->address);
	} else if (strstr(last, "Permission denied")) {
		why = util_fmt("%s (set ansible_ssh_private_key_file for the host, or add the key to "
		               "ssh-agent)", last);
	} else {
		why = util_xstrdup(last);
	}
	free(last);
	return why;
}
