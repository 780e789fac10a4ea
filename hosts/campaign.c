/* campaign: see campaign.h. */
#define _GNU_SOURCE
#include "campaign.h"
#include "error.h"
#include "proc.h"
#include "samples.h"
#include "ssh.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void target_of(const struct inv_host *h, const char *control_dir, struct ssh_target *t)
{
	memset(t, 0, sizeof *t);
	t->name = h->name;
	t->address = h->address;
	t->user = h->user;
	t->port = h->port;
	t->key_file = h->key_file;
	t->local = h->local;
	t->control_dir = control_dir;
}

static int needs_sudo(const struct inv_host *h)
{
	if (h->local)
		return getuid() != 0;
	return h->user && strcmp(h->user, "root") != 0;
}

/* A growing argv (no fixed array: gvab_env words, arms and pass-through
 * options have no set count), with the strings it owns. */
struct args {
	char **a;
	size_t n, cap;
	char **owned;
	size_t nowned;
};

static void args_add(struct args *v, char *s)
{
	if (v->n + 2 > v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->a = util_xrealloc(v->a, v->cap * sizeof *v->a);
	}
	v->a[v->n++] = s;
	v->a[v->n] = NULL;
}

/* Adds s, which the args then own. */
static void args_own(struct args *v, char *s)
{
	v->owned = util_xrealloc(v->owned, (v->nowned + 1) * sizeof *v->owned);
	v->owned[v->nowned++] = s;
	args_add(v, s);
}

static void args_free(struct args *v)
{
	for (size_t i = 0; i < v->nowned; i++)
		free(v->owned[i]);
	free(v->owned);
	free(v->a);
	memset(v, 0, sizeof *v);
}

/* argv prefix for a remote gvab-rig: [sudo -n] [env K=V...] DIR/gvab-rig.
 * inventory_load accepted gvab_env only as NAME=VALUE words, so no word
 * here can be env's command. */
static void remote_prefix(const struct inv_host *h, const char *rdir, struct args *v)
{
	if (needs_sudo(h)) {
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

int campaign_plain_name(const char *s)
{
	if (!*s || *s == '.' || *s == '-' || strlen(s) > 128)
		return 0;
	for (const char *c = s; *c; c++)
		if (!(isalnum((unsigned char)*c) || strchr("._-", *c)))
			return 0;
	return 1;
}

/* mkdir -p, then make sure the directory is one (not a symlink that an
 * earlier pull or anything else left where gvab writes). */
static int real_dir(const char *path)
{
	struct stat st;
	if (util_mkdir_p(path, 0755) < 0)
		return GVAB_EFAIL;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_setc(GVAB_EDATA, "%s: not a directory (a symlink?); refused", path);
	return 0;
}

static void logf_host(const char *host, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_host(const char *host, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "[%s] %s\n", host, buf);
}

/* Copies gvab-rig, its libraries and the bundle; returns the remote dir. */
static int push_rig(const struct inv_host *h, struct ssh_target *t, const char *rdir,
                    const char *bundle, const char *log)
{
	/* Beside gvab in a build tree, or in PREFIX/libexec/gvab once installed. */
	char *self = util_self_dir();
	char *rig = util_fmt("%s/gvab-rig", self);
	int rc;
	if (access(rig, X_OK) != 0) {
		char *alt = util_fmt("%s/../libexec/gvab", self);
		char *altrig = util_fmt("%s/gvab-rig", alt);
		if (access(altrig, X_OK) == 0) {
			free(self);
			free(rig);
			self = alt;
			rig = altrig;
		} else {
			free(alt);
			free(altrig);
			rc = error_setc(GVAB_EPRECOND, "%s not built (make build/gvab-rig)", rig);
			goto out;
		}
	}
	char *e1[] = {"gvab-rig", "lib", NULL};
	if ((rc = ssh_push(t, self, e1, rdir, log)) < 0)
		goto out;
	char bundle_real[PATH_MAX];
	if (!realpath(bundle, bundle_real)) {
		rc = error_setc(GVAB_EPRECOND, "bundle %s: not found", bundle);
		goto out;
	}
	char *slash = strrchr(bundle_real, '/');
	*slash = '\0';
	char *e2[] = {slash + 1, NULL};
	char *bdir = util_fmt("%s/bundle-src", rdir);
	rc = ssh_push(t, bundle_real, e2, bdir, log);
	free(bdir);
	(void)h;
out:
	free(self);
	free(rig);
	return rc;
}

static char *bundle_remote(const char *rdir, const char *bundle)
{
	char real[PATH_MAX];
	const char *base = realpath(bundle, real) ? strrchr(real, '/') + 1 : "bundle";
	return util_fmt("%s/bundle-src/%s", rdir, base);
}

static void write_status(const char *dir, const struct inv_host *h, int ok, const char *error,
                         const char *started)
{
	char when[32];
	util_utc_now(when, sizeof when);
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "host", h->name);
	cJSON_AddStringToObject(s, "label", h->label);
	cJSON_AddBoolToObject(s, "ok", ok);
	if (error)
		cJSON_AddStringToObject(s, "error", error);
	cJSON_AddStringToObject(s, "started_at", started);
	cJSON_AddStringToObject(s, "ended_at", when);
	char *p = util_fmt("%s/status.json", dir);
	char *text = cJSON_Print(s);
	if (text)
		util_write_file_excl(p, text, strlen(text));
	free(text);
	free(p);
	cJSON_Delete(s);
}

/* The whole campaign on one host; runs in a child process. */
static int host_campaign(const struct campaign *o, const struct inv_host *h)
{
	char started[32];
	util_utc_now(started, sizeof started);
	char *outdir = util_fmt("%s/%s/%s", o->results, o->name, h->name);
	char *log = util_fmt("%s/transfer.log", outdir);
	/* Per host too: several inventory hosts may be one machine. */
	char *rdir = util_fmt("%s/%s/%s", o->remote_dir, o->name, h->name);
	char when[32];
	util_utc_now(when, sizeof when);
	for (char *p = when; *p; p++)
		if (*p == ':')
			*p = '-';
	char *rrun = util_fmt("%s/run-%s", rdir, when);
	/* A connection master per host: two hosts on one address must not
	 * share one (one's `ssh -O exit` would cut the other's). */
	char *hctl = util_fmt("%s/%s", o->ctl, h->name);
	util_mkdir_p(hctl, 0700);
	struct ssh_target t;
	target_of(h, hctl, &t);
	int rc = 0, code = 0;
	struct args av = {0};
	char msg[1024] = "";

	char *cdir = util_fmt("%s/%s", o->results, o->name);
	if ((rc = real_dir(cdir)) == 0)
		rc = real_dir(outdir);
	free(cdir);
	if (rc < 0) {
		/* No status.json either: the directory is not ours to write. */
		logf_host(h->name, "FAILED: %s", error_last());
		goto out_nostatus;
	}
	logf_host(h->name, "copying gvab-rig, bundle and %d arm(s) to %s:%s", o->narms, h->address, rdir);
	if ((rc = push_rig(h, &t, rdir, o->bundle, log)) < 0)
		goto out;
	remote_prefix(h, rdir, &av);
	args_add(&av, "run");
	args_add(&av, "-q");
	args_add(&av, "--out");
	args_add(&av, rrun);
	args_add(&av, "--bundle");
	args_own(&av, bundle_remote(rdir, o->bundle));
	args_add(&av, "--label");
	args_add(&av, h->label);
	if (h->sku) {
		args_add(&av, "--meta");
		args_own(&av, util_fmt("sku=%s", h->sku));
	}
	if (h->notes) {
		args_add(&av, "--meta");
		args_own(&av, util_fmt("notes=%s", h->notes));
	}
	args_add(&av, "--meta");
	args_own(&av, util_fmt("inventory_host=%s", h->name));
	for (int i = 0; i < o->narms; i++) {
		/* NAME=LOCALPATH[,items]: copy LOCALPATH to arms/NAME/runsc. */
		char *spec = o->arms[i], *eq = strchr(spec, '=');
		char *comma = strchr(eq + 1, ',');
		char *name = util_fmt("%.*s", (int)(eq - spec), spec);
		char *path = comma ? util_fmt("%.*s", (int)(comma - eq - 1), eq + 1) : util_xstrdup(eq + 1);
		char real[PATH_MAX];
		if (!realpath(path, real)) {
			rc = error_setc(GVAB_EPRECOND, "arm %s: %s not found here", name, path);
			free(name);
			free(path);
			goto out;
		}
		char *dir = util_xstrdup(real), *base = strrchr(dir, '/');
		*base++ = '\0';
		char *adir = util_fmt("%s/arms/%s", rdir, name);
		char *ents[] = {base, NULL};
		rc = ssh_push(&t, dir, ents, adir, log);
		args_add(&av, "--arm");
		args_own(&av, util_fmt("%s=%s/%s%s", name, adir, base, comma ? comma : ""));
		free(dir);
		free(adir);
		free(name);
		free(path);
		if (rc < 0)
			goto out;
	}
	for (int i = 0; i < o->npass; i++)
		args_add(&av, o->pass[i]);
	logf_host(h->name, "running the campaign (%s)", rrun);
	char *runlog = util_fmt("%s/run.log", outdir);
	rc = ssh_run(&t, av.a, runlog, NULL, &code);
	free(runlog);
	if (rc < 0)
		goto out;
	/* Pull whatever the run wrote, even after a failure: nothing is lost. */
	char *pull[] = {"run.json", "samples.jsonl", NULL};
	int prc = ssh_pull(&t, rrun, pull, outdir, log);
	if (code != 0) {
		char *rl = util_fmt("%s/run.log", outdir);
		char *text = util_read_file(rl, NULL);
		const char *last;
		size_t n = util_last_line(text, &last);
		rc = error_set("gvab run on the host exited %d: %.*s", code, (int)n, last);
		free(text);
		free(rl);
		goto out;
	}
	if (prc < 0) {
		rc = prc;
		goto out;
	}
	{
		/* A run that completed without one good measured boot is a failed
		 * host for the campaign (its samples are kept all the same). */
		char *rj = util_fmt("%s/run.json", outdir);
		cJSON *run = samples_run_load(rj);
		const cJSON *okn = run ? cJSON_GetObjectItemCaseSensitive(run, "measured_ok") : NULL;
		if (!cJSON_IsNumber(okn) || okn->valuedouble < 1) {
			char *sp = util_fmt("%s/samples.jsonl", outdir);
			char *text = util_read_file(sp, NULL);
			cJSON *first = NULL;
			if (text) {
				text[strcspn(text, "\n")] = '\0';
				first = cJSON_Parse(text);
			}
			const cJSON *err = first ? cJSON_GetObjectItemCaseSensitive(first, "error") : NULL;
			rc = error_set("no boot succeeded on the host; first error: %s",
			               cJSON_IsString(err) ? err->valuestring : "unknown");
			cJSON_Delete(first);
			free(text);
			free(sp);
		}
		cJSON_Delete(run);
		free(rj);
	}
out:
	if (rc < 0)
		snprintf(msg, sizeof msg, "%s", error_last());
	/* The message may quote the host's run.log or samples: no terminal
	 * escape sequences or other control characters from there. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	write_status(outdir, h, rc == 0, rc < 0 ? msg : NULL, started);
	logf_host(h->name, rc == 0 ? "done: %s/run.json" : "FAILED: %s", rc == 0 ? outdir : msg);
out_nostatus:
	ssh_close(&t);
	args_free(&av);
	free(hctl);
	free(outdir);
	free(log);
	free(rdir);
	free(rrun);
	return rc;
}

static int host_complete(const struct campaign *o, const struct inv_host *h)
{
	char *p = util_fmt("%s/%s/%s/run.json", o->results, o->name, h->name);
	cJSON *r = util_path_exists(p) ? samples_run_load(p) : NULL;
	free(p);
	const cJSON *st = r ? cJSON_GetObjectItemCaseSensitive(r, "status") : NULL;
	int done = cJSON_IsString(st) && strcmp(st->valuestring, "complete") == 0;
	cJSON_Delete(r);
	return done;
}

char *campaign_host_dir(const struct campaign *c, const struct inv_host *h)
{
	return util_fmt("%s/%s/%s", c->results, c->name, h->name);
}

int campaign_host_status(const struct campaign *c, const struct inv_host *h, char **error)
{
	*error = NULL;
	char *p = util_fmt("%s/%s/%s/status.json", c->results, c->name, h->name);
	cJSON *s = util_path_exists(p) ? util_json_load(p) : NULL;
	free(p);
	if (!s)
		return -1;
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(s, "ok");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(s, "error");
	if (cJSON_IsString(err))
		*error = util_xstrdup(err->valuestring);
	int r = cJSON_IsTrue(ok) ? 1 : 0;
	cJSON_Delete(s);
	return r;
}

/* gvab-rig beside gvab (a build tree) or in PREFIX/libexec/gvab; NULL
 * when neither has it. Caller frees. */
static char *local_rig(void)
{
	char *self = util_self_dir();
	char *paths[] = {util_fmt("%s/gvab-rig", self), util_fmt("%s/../libexec/gvab/gvab-rig", self)};
	char *found = NULL;
	for (int i = 0; i < 2; i++)
		if (!found && access(paths[i], X_OK) == 0)
			found = paths[i];
		else
			free(paths[i]);
	free(self);
	return found;
}

int campaign_preflight(const struct campaign *c, int run)
{
	char *rig = local_rig(), real[PATH_MAX];
	if (!rig)
		return error_setc(GVAB_EPRECOND, "gvab-rig not built here (make build/gvab-rig)");
	free(rig);
	struct stat st;
	if (!realpath(c->bundle, real) || stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_setc(GVAB_EPRECOND, "bundle %s: not found here (gvab bundle --out %s "
		                  "writes it)", c->bundle, c->bundle);
	if (!run && c->runsc && access(c->runsc, X_OK) != 0)
		return error_setc(GVAB_EPRECOND, "--runsc %s: not an executable file here", c->runsc);
	for (int i = 0; run && i < c->narms; i++) {
		const char *spec = c->arms[i], *eq = strchr(spec, '=');
		const char *comma = strchr(eq + 1, ',');
		char *path = comma ? util_fmt("%.*s", (int)(comma - eq - 1), eq + 1) : util_xstrdup(eq + 1);
		int ok = realpath(path, real) && stat(real, &st) == 0 && S_ISREG(st.st_mode) &&
		         access(real, X_OK) == 0;
		int rc = ok ? 0 : error_setc(GVAB_EPRECOND, "arm %.*s: %s is not an executable file here",
		                             (int)(eq - spec), spec, path);
		free(path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int campaign_open(struct campaign *c)
{
	c->ctl = util_xstrdup("/tmp/gvab-ssh-XXXXXX");
	if (!mkdtemp(c->ctl)) {
		int rc = error_set("mkdtemp %s: %s", c->ctl, strerror(errno));
		free(c->ctl);
		c->ctl = NULL;
		return rc;
	}
	return 0;
}

void campaign_close(struct campaign *c)
{
	if (c->ctl) {
		util_rm_rf(c->ctl);
		free(c->ctl);
		c->ctl = NULL;
	}
}

int campaign_run(const struct campaign *o, const struct inventory *inv, const size_t *idx, size_t n)
{
	pid_t *pids = util_xcalloc(n ? n : 1, sizeof *pids);
	int running = 0, failed = 0;
	size_t next = 0;
	while (next < n || running > 0) {
		while (next < n && running < o->jobs) {
			const struct inv_host *h = &inv->hosts[idx[next]];
			if (host_complete(o, h)) {
				logf_host(h->name, "complete already, skipped (resume)");
				pids[next++] = 0;
				continue;
			}
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				/* gvab's process group, not one of its own: a terminal's
				 * Ctrl-C reaches this child and its ssh as it reaches gvab,
				 * and ssh passes the hang-up on to the host's gvab-rig. */
				_exit(host_campaign(o, h) < 0 ? 1 : 0);
			}
			if (pid < 0) {
				logf_host(h->name, "FAILED: fork: %s", strerror(errno));
				failed++;
			}
			pids[next++] = pid;
			running += pid > 0;
		}
		int st;
		pid_t done = wait(&st);
		if (done < 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (pids[i] == done) {
				running--;
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
					failed++;
			}
	}
	free(pids);
	return failed;
}

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
	char *rundir = util_fmt("%s/run-%ld-%ld%s", rdir, (long)getpid(), (long)time(NULL),
	                        extra ? "-extra" : "");
	remote_prefix(h, rdir, &av);
	args_add(&av, "run");
	args_add(&av, "-q");
	args_add(&av, "--out");
	args_add(&av, rundir);
	args_add(&av, "--bundle");
	args_own(&av, bundle_remote(rdir, o->bundle));
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
	/* A check leaves nothing behind on the host: its run directory goes
	 * (the path is gvab's own: --remote-dir, a checked host name, run-PID-TIME). */
	char *rm[] = {"sudo", "-n", "rm", "-rf", "--", rundir, NULL};
	int rc_rm;
	out = NULL;
	ssh_run(t, needs_sudo(h) ? rm : rm + 2, NULL, &out, &rc_rm);
	free(out);
	free(rundir);
	return ok;
}

int campaign_check_host(const struct campaign *o, const struct inv_host *h, struct campaign_check *r)
{
	memset(r, 0, sizeof *r);
	char *hctl = util_fmt("%s/%s", o->ctl, h->name);
	util_mkdir_p(hctl, 0700);
	struct ssh_target t;
	target_of(h, hctl, &t);
	char *out = NULL;
	int code = -1;
	char *rdir = util_fmt("%s/check/%s", o->remote_dir, h->name);
	int64_t t0 = util_now_ns();
	char *id[] = {"id", "-u", NULL};
	if (ssh_run(&t, id, NULL, &out, &code) < 0 || code != 0) {
		const char *l;
		size_t n = out ? util_last_line(out, &l) : 0;
		r->unreachable = n ? util_fmt("%.*s", (int)n, l) : util_xstrdup(error_last());
		goto out;
	}
	r->reachable = 1;
	r->connect_ms = (double)(util_now_ns() - t0) / 1e6;
	r->root = atoi(out) == 0;
	free(out);
	out = NULL;
	if (!r->root) {
		char *sudo[] = {"sudo", "-n", "true", NULL};
		r->root = ssh_run(&t, sudo, NULL, &out, &code) == 0 && code == 0 ? 2 : 0;
		free(out);
		out = NULL;
	}
	if (push_rig(h, &t, rdir, o->bundle, NULL) < 0) {
		r->rig_error = util_xstrdup(error_last());
		goto out;
	}
	r->rig_ok = 1;
	struct args av = {0};
	remote_prefix(h, rdir, &av);
	args_add(&av, "facts");
	if (ssh_run(&t, av.a, NULL, &out, &code) == 0 && code == 0) {
		cJSON *f = cJSON_Parse(out);
		const cJSON *kr = f ? cJSON_GetObjectItemCaseSensitive(f, "kernel") : NULL;
		const cJSON *cpu = f ? cJSON_GetObjectItemCaseSensitive(f, "cpu_model") : NULL;
		const cJSON *nc = f ? cJSON_GetObjectItemCaseSensitive(f, "online_cpus") : NULL;
		r->facts = util_fmt("%s; %s; %d CPUs", cJSON_IsString(kr) ? kr->valuestring : "?",
		                    cJSON_IsString(cpu) ? cpu->valuestring : "?",
		                    cJSON_IsNumber(nc) ? (int)nc->valuedouble : -1);
		cJSON_Delete(f);
	}
	free(out);
	out = NULL;
	args_free(&av);
	/* Does runsc boot the bundle? Two boots, A/A. */
	char *runsc = o->runsc ? push_check_runsc(&t, o->runsc, rdir) : util_xstrdup("/usr/bin/runsc");
	const char *use = runsc ? runsc : "runsc";
	r->boots = check_boot(&t, h, o, rdir, use, NULL, &r->boot_error);
	/* --syscalls: gvab's own perf_event_open on a syscall tracepoint. */
	if (r->boots)
		r->syscalls = check_boot(&t, h, o, rdir, use, "--syscalls", &r->syscalls_error);
	free(runsc);
out:
	free(out);
	ssh_close(&t);
	free(rdir);
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
