/* campaign: see campaign.h. */
#define _GNU_SOURCE
#include "campaign.h"
#include "error.h"
#include "proc.h"
#include "remote.h"
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

/* One host's campaign: where things are, here and there. */
struct host_job {
	const struct campaign *o;
	const struct inv_host *h;
	struct ssh_target t;
	char *outdir;  /* RESULTS/CAMPAIGN/HOST */
	char *log;     /* transfer.log there */
	char *cdir;    /* REMOTE_DIR/CAMPAIGN on the host */
	char *rdir;    /* REMOTE_DIR/CAMPAIGN/HOST: per host, as several
	                * inventory hosts may be one machine */
	char *rrun;    /* the run directory there */
	char *hctl;    /* this host's ControlPath directory */
	struct args av; /* the remote gvab-rig run */
};

static void job_init(struct host_job *j, const struct campaign *o, const struct inv_host *h)
{
	memset(j, 0, sizeof *j);
	j->o = o;
	j->h = h;
	j->outdir = util_fmt("%s/%s/%s", o->results, o->name, h->name);
	j->log = util_fmt("%s/transfer.log", j->outdir);
	j->cdir = util_fmt("%s/%s", o->remote_dir, o->name);
	j->rdir = util_fmt("%s/%s", j->cdir, h->name);
	char when[32];
	util_utc_now(when, sizeof when);
	for (char *p = when; *p; p++)
		if (*p == ':')
			*p = '-';
	j->rrun = util_fmt("%s/run-%s", j->rdir, when);
	/* A connection master per host: two hosts on one address must not
	 * share one (one's `ssh -O exit` would cut the other's). */
	j->hctl = util_fmt("%s/%s", o->ctl, h->name);
	util_mkdir_p(j->hctl, 0700);
	remote_target(h, j->hctl, o->ssh_config, &j->t);
}

static void job_free(struct host_job *j)
{
	ssh_close(&j->t);
	args_free(&j->av);
	free(j->hctl);
	free(j->outdir);
	free(j->log);
	free(j->cdir);
	free(j->rdir);
	free(j->rrun);
}

/* The first contact: mkdir there, with ssh's own reason when it fails. */
static int job_connect(struct host_job *j)
{
	char *mk[] = {"mkdir", "-p", "--", j->rdir, NULL};
	char *out = NULL;
	int code = 0, rc = ssh_run(&j->t, mk, NULL, &out, &code);
	if (rc == 0 && code == 255 && !j->t.local) {
		char *why = remote_ssh_reason(&j->t, out);
		rc = error_set("cannot reach %s: %s", j->h->address, why);
		free(why);
	} else if (rc == 0 && code != 0) {
		const char *l;
		size_t n = util_last_line(out, &l);
		rc = error_set("mkdir -p %s failed (exit %d): %.*s", j->rdir, code, (int)n, l);
	}
	free(out);
	return rc;
}

/* gvab-rig, the bundle and every arm (NAME=LOCALPATH[,items] goes to
 * arms/NAME/), and the remote run's argv. */
static int job_push(struct host_job *j)
{
	const struct campaign *o = j->o;
	const struct inv_host *h = j->h;
	int rc = remote_push_rig(&j->t, j->rdir, o->bundle, j->log);
	if (rc < 0)
		return rc;
	struct args *av = &j->av;
	remote_rig_prefix(h, j->rdir, av);
	args_add(av, "run");
	args_add(av, "-q");
	args_add(av, "--out");
	args_add(av, j->rrun);
	args_add(av, "--bundle");
	args_own(av, remote_bundle_path(j->rdir, o->bundle));
	args_add(av, "--label");
	args_add(av, h->label);
	if (h->sku) {
		args_add(av, "--meta");
		args_own(av, util_fmt("sku=%s", h->sku));
	}
	if (h->notes) {
		args_add(av, "--meta");
		args_own(av, util_fmt("notes=%s", h->notes));
	}
	args_add(av, "--meta");
	args_own(av, util_fmt("inventory_host=%s", h->name));
	for (int i = 0; rc == 0 && i < o->narms; i++) {
		char *spec = o->arms[i], *eq = strchr(spec, '=');
		char *comma = strchr(eq + 1, ',');
		char *name = util_fmt("%.*s", (int)(eq - spec), spec);
		char *path = comma ? util_fmt("%.*s", (int)(comma - eq - 1), eq + 1) : util_xstrdup(eq + 1);
		char real[PATH_MAX];
		if (realpath(path, real)) {
			char *dir = util_xstrdup(real), *base = strrchr(dir, '/');
			*base++ = '\0';
			char *adir = util_fmt("%s/arms/%s", j->rdir, name);
			char *ents[] = {base, NULL};
			rc = ssh_push(&j->t, dir, ents, adir, j->log);
			args_add(av, "--arm");
			args_own(av, util_fmt("%s=%s/%s%s", name, adir, base, comma ? comma : ""));
			free(dir);
			free(adir);
		} else {
			rc = error_setc(GVAB_EPRECOND, "arm %s: %s not found here", name, path);
		}
		free(name);
		free(path);
	}
	for (int i = 0; i < o->npass; i++)
		args_add(av, o->pass[i]);
	return rc;
}

/* A run that completed without one good measured boot is a failed host
 * for the campaign (its samples are kept all the same). */
static int job_verify(struct host_job *j)
{
	char *rj = util_fmt("%s/run.json", j->outdir);
	cJSON *run = samples_run_load(rj);
	const cJSON *okn = run ? cJSON_GetObjectItemCaseSensitive(run, "measured_ok") : NULL;
	int rc = 0;
	if (!cJSON_IsNumber(okn) || okn->valuedouble < 1) {
		char *sp = util_fmt("%s/samples.jsonl", j->outdir);
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
	return rc;
}

/* The boots, then whatever the run wrote comes back, even after a
 * failure: nothing is lost. */
static int job_run(struct host_job *j)
{
	logf_host(j->h->name, "running the campaign (%s)", j->rrun);
	char *runlog = util_fmt("%s/run.log", j->outdir);
	int code = 0, rc = ssh_run(&j->t, j->av.a, runlog, NULL, &code);
	if (rc == 0) {
		char *pull[] = {"run.json", "samples.jsonl", NULL};
		int prc = ssh_pull(&j->t, j->rrun, pull, j->outdir, j->log);
		if (code != 0) {
			char *text = util_read_file(runlog, NULL);
			const char *last;
			size_t n = util_last_line(text, &last);
			rc = error_set("gvab run on the host exited %d: %.*s", code, (int)n, last);
			free(text);
		} else {
			rc = prc < 0 ? prc : job_verify(j);
		}
	}
	free(runlog);
	return rc;
}

/* The whole campaign on one host; runs in a child process. */
static int host_campaign(const struct campaign *o, const struct inv_host *h)
{
	char started[32], msg[1024] = "";
	util_utc_now(started, sizeof started);
	struct host_job j;
	job_init(&j, o, h);
	char *cdir = util_fmt("%s/%s", o->results, o->name);
	int rc = real_dir(cdir);
	free(cdir);
	if (rc == 0)
		rc = real_dir(j.outdir);
	if (rc < 0) {
		/* No status.json either: the directory is not ours to write. */
		logf_host(h->name, "FAILED: %s", error_last());
		job_free(&j);
		return rc;
	}
	logf_host(h->name, "copying gvab-rig, bundle and %d arm(s) to %s:%s", o->narms, h->address, j.rdir);
	int contacted = (rc = job_connect(&j)) == 0;
	if (rc == 0 && (rc = job_push(&j)) == 0)
		rc = job_run(&j);
	if (rc < 0)
		snprintf(msg, sizeof msg, "%s", error_last());
	/* Once the results are here, what the campaign copied goes (a failed
	 * host's too: its samples came back all the same). */
	if (contacted && !o->keep_remote) {
		char *dirs[] = {j.rdir, NULL}, *parents[] = {j.cdir, (char *)o->remote_dir, NULL};
		if (remote_remove(&j.t, h, dirs, parents) < 0)
			logf_host(h->name, "warning: %s", error_last());
	}
	/* The message may quote the host's run.log or samples: no terminal
	 * escape sequences or other control characters from there. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	write_status(j.outdir, h, rc == 0, rc < 0 ? msg : NULL, started);
	logf_host(h->name, rc == 0 ? "done: %s/run.json" : "FAILED: %s", rc == 0 ? j.outdir : msg);
	job_free(&j);
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

int campaign_preflight(const struct campaign *c, int run)
{
	char *rig = remote_local_rig_dir(), real[PATH_MAX];
	if (!rig)
		return GVAB_EPRECOND;
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
	int rc = campaign_record_check(o);
	if (rc < 0)
		return rc;
	pid_t *pids = util_xcalloc(n ? n : 1, sizeof *pids);
	struct campaign_status *cs = campaign_status_new(o, inv, idx, n);
	int running = 0, failed = 0;
	size_t next = 0;
	if (campaign_status_write(cs, 0) < 0)
		logf_host(o->name, "warning: %s", error_last());
	while (next < n || running > 0) {
		while (next < n && running < o->jobs) {
			const struct inv_host *h = &inv->hosts[idx[next]];
			if (host_complete(o, h)) {
				logf_host(h->name, "complete already, skipped (resume)");
				campaign_status_set(cs, next, CAMPAIGN_HOST_DONE, 1, NULL);
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
				char *why = util_fmt("fork: %s", strerror(errno));
				logf_host(h->name, "FAILED: %s", why);
				campaign_status_set(cs, next, CAMPAIGN_HOST_DONE, 0, why);
				free(why);
				failed++;
			} else {
				campaign_status_set(cs, next, CAMPAIGN_HOST_RUNNING, 0, NULL);
			}
			pids[next++] = pid;
			running += pid > 0;
		}
		campaign_status_write(cs, 0);
		int st;
		pid_t done = wait(&st);
		if (done < 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (pids[i] == done) {
				running--;
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
					failed++;
				char *why = util_fmt("the host's process ended: %s", proc_status_str(st));
				campaign_status_set(cs, i, CAMPAIGN_HOST_DONE, 0, why);
				free(why);
			}
	}
	if (campaign_status_write(cs, 1) < 0)
		logf_host(o->name, "warning: %s", error_last());
	campaign_status_free(cs);
	free(pids);
	return failed;
}

int campaign_clean_host(const struct campaign *o, const struct inv_host *h)
{
	char *hctl = util_fmt("%s/%s", o->ctl, h->name);
	util_mkdir_p(hctl, 0700);
	struct ssh_target t;
	remote_target(h, hctl, o->ssh_config, &t);
	char *out = NULL;
	int code = 0;
	char *probe[] = {"true", NULL};
	int rc = ssh_run(&t, probe, NULL, &out, &code);
	if (rc == 0 && code != 0) {
		char *why = remote_ssh_reason(&t, out);
		rc = error_set("cannot reach %s: %s", h->address, why);
		free(why);
	}
	free(out);
	/* Only what gvab writes there, REMOTE_DIR/X/HOST (X a campaign or
	 * "check"), then the folders it leaves empty: --remote-dir is the
	 * user's option, and `rm -rf` of "/home/me" is not a clean. */
	size_t n = 0;
	char **names = rc == 0 ? remote_list(&t, o->remote_dir, &n) : NULL;
	char **dirs = util_xcalloc(n + 1, sizeof *dirs), **parents = util_xcalloc(n + 2, sizeof *parents);
	for (size_t i = 0; i < n; i++) {
		dirs[i] = util_fmt("%s/%s/%s", o->remote_dir, names[i], h->name);
		parents[i] = util_fmt("%s/%s", o->remote_dir, names[i]);
	}
	parents[n] = (char *)o->remote_dir;
	if (rc == 0 && n > 0)
		rc = remote_remove(&t, h, dirs, parents);
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(dirs[i]);
		free(parents[i]);
	}
	free(names);
	free(dirs);
	free(parents);
	ssh_close(&t);
	free(hctl);
	return rc;
}
