/* hostcheck: `gvab hosts check` on one host (campaign_check_host, see
 * campaign.h). Everything it copies goes to REMOTE_DIR/check/HOST and is
 * removed at the end, with REMOTE_DIR/check and REMOTE_DIR once empty: a
 * check leaves nothing on the host. */
#define _GNU_SOURCE
#include "campaign.h"
#include "error.h"
#include "remote.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Copies a local runsc to DIR/arms/check on the host; its remote path, or
 * NULL when it could not be copied. */
static char *push_check_runsc(struct ssh_target *t, const char *runsc, const char *rdir)
{
	char real[PATH_MAX];
	if (!realpath(runsc, real))
		return NULL;
	char *d = util_xstrdup(real), *b = strrchr(d, '/'), *remote = NULL;
	*b++ = '\0';
	char *ents[] = {b, NULL};
	char *adir = util_fmt("%s/arms/check", rdir);
	if (ssh_push(t, d, ents, adir, NULL) == 0)
		remote = util_fmt("%s/%s", adir, b);
	free(adir);
	free(d);
	return remote;
}

/* One round of A/A boots of `runsc` with gvab-rig on the host, with extra
 * run options; 1 when it exited 0, else 0 with the output's last line. */
static int check_boot(struct ssh_target *t, const struct inv_host *h, const struct campaign *o,
                      const char *rdir, const char *runsc, const char *extra, char **why)
{
	struct args av = {0};
	char *out = NULL;
	int code = -1;
	remote_rig_prefix(h, rdir, &av);
	args_add(&av, "run");
	args_add(&av, "-q");
	args_add(&av, "--out");
	args_own(&av, util_fmt("%s/run-%ld-%ld%s", rdir, (long)getpid(), (long)time(NULL),
	                       extra ? "-extra" : ""));
	args_add(&av, "--bundle");
	args_own(&av, remote_bundle_path(rdir, o->bundle));
	args_add(&av, "--iterations");
	args_add(&av, "1");
	args_add(&av, "--warmups");
	args_add(&av, "0");
	args_add(&av, "--arm");
	args_own(&av, util_fmt("a=%s", runsc));
	args_add(&av, "--arm");
	args_own(&av, util_fmt("b=%s", runsc));
	if (extra)
		args_add(&av, (char *)extra);
	int ok = ssh_run(t, av.a, NULL, &out, &code) == 0 && code == 0;
	if (!ok) {
		const char *l;
		size_t n = util_last_line(out, &l);
		*why = util_fmt("%.*s", (int)n, l);
	}
	free(out);
	args_free(&av);
	return ok;
}

/* Reachable (with ssh's reason when not), root or passwordless sudo. */
static int check_access(struct ssh_target *t, struct campaign_check *r)
{
	char *out = NULL;
	int code = -1;
	int64_t t0 = util_now_ns();
	char *id[] = {"id", "-u", NULL};
	if (ssh_run(t, id, NULL, &out, &code) < 0 || code != 0) {
		r->unreachable = code == 255 || !t->local ? remote_ssh_reason(t, out)
		                                          : util_xstrdup(error_last());
		free(out);
		return 0;
	}
	r->reachable = 1;
	r->connect_ms = (double)(util_now_ns() - t0) / 1e6;
	r->root = atoi(out) == 0;
	free(out);
	if (!r->root) {
		char *sudo[] = {"sudo", "-n", "true", NULL};
		out = NULL;
		r->root = ssh_run(t, sudo, NULL, &out, &code) == 0 && code == 0 ? 2 : 0;
		free(out);
	}
	return 1;
}

/* "kernel; CPU; N CPUs" from gvab-rig facts, or NULL. */
static char *check_facts(struct ssh_target *t, const struct inv_host *h, const char *rdir)
{
	struct args av = {0};
	char *out = NULL, *facts = NULL;
	int code = -1;
	remote_rig_prefix(h, rdir, &av);
	args_add(&av, "facts");
	if (ssh_run(t, av.a, NULL, &out, &code) == 0 && code == 0) {
		cJSON *f = cJSON_Parse(out);
		const cJSON *kr = f ? cJSON_GetObjectItemCaseSensitive(f, "kernel") : NULL;
		const cJSON *cpu = f ? cJSON_GetObjectItemCaseSensitive(f, "cpu_model") : NULL;
		const cJSON *nc = f ? cJSON_GetObjectItemCaseSensitive(f, "online_cpus") : NULL;
		facts = util_fmt("%s; %s; %d CPUs", cJSON_IsString(kr) ? kr->valuestring : "?",
		                 cJSON_IsString(cpu) ? cpu->valuestring : "?",
		                 cJSON_IsNumber(nc) ? (int)nc->valuedouble : -1);
		cJSON_Delete(f);
	}
	free(out);
	args_free(&av);
	return facts;
}

int campaign_check_host(const struct campaign *o, const struct inv_host *h, struct campaign_check *r)
{
	memset(r, 0, sizeof *r);
	char *hctl = util_fmt("%s/%s", o->ctl, h->name);
	util_mkdir_p(hctl, 0700);
	struct ssh_target t;
	remote_target(h, hctl, o->ssh_config, &t);
	char *cdir = util_fmt("%s/check", o->remote_dir);
	char *rdir = util_fmt("%s/%s", cdir, h->name);
	if (!check_access(&t, r))
		goto out;
	if (remote_push_rig(&t, rdir, o->bundle, NULL) < 0) {
		r->rig_error = util_xstrdup(error_last());
		goto clean;
	}
	r->rig_ok = 1;
	r->facts = check_facts(&t, h, rdir);
	/* Does runsc boot the bundle? Two boots, A/A. */
	char *runsc = o->runsc ? push_check_runsc(&t, o->runsc, rdir) : util_xstrdup("/usr/bin/runsc");
	const char *use = runsc ? runsc : "runsc";
	r->boots = check_boot(&t, h, o, rdir, use, NULL, &r->boot_error);
	/* --syscalls: gvab's own perf_event_open on a syscall tracepoint. */
	if (r->boots)
		r->syscalls = check_boot(&t, h, o, rdir, use, "--syscalls", &r->syscalls_error);
	free(runsc);
clean:;
	/* Nothing of the check stays there (gvab-rig, bundle, runsc, runs). */
	char *dirs[] = {rdir, NULL}, *parents[] = {cdir, (char *)o->remote_dir, NULL};
	if (remote_remove(&t, h, dirs, parents) < 0 && !r->rig_error)
		r->rig_error = util_xstrdup(error_last());
out:
	ssh_close(&t);
	free(rdir);
	free(cdir);
	free(hctl);
	return r->reachable && r->root && r->rig_ok && r->boots;
}

void campaign_check_free(struct campaign_check *r)
{
	free(r->unreachable);
	free(r->rig_error);
	free(r->facts);
	free(r->boot_error);
	free(r->syscalls_error);
	memset(r, 0, sizeof *r);
}
