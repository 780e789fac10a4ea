/* cmd_hosts: `gvab hosts list|check|run` over an Ansible inventory.
 *
 * run: for every selected host, in parallel up to -j, a child process
 * copies what the host needs into a per-campaign directory there
 * (gvab-rig with its two libraries, the bundle, each arm's runsc), runs
 * `gvab-rig run` there, and copies run.json and samples.jsonl back into
 * RESULTS/CAMPAIGN/HOST/. One host failing (unreachable, runsc missing, a
 * run error) is reported in RESULTS/CAMPAIGN/HOST/status.json and does not
 * stop or lose the others; hosts whose run.json says "complete" are skipped
 * when the campaign is run again (resume).
 */
#define _GNU_SOURCE
#include "answer.h"
#include "cmds.h"
#include "error.h"
#include "inventory.h"
#include "proc.h"
#include "ssh.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"list|check|run --inventory FILE [options]\n"
	"\n"
	"  list    hosts with their resolved variables\n"
	"  check   per host: reachable, root (or passwordless sudo), perf, host facts, and\n"
	"          whether runsc boots the bundle (--runsc PATH on this machine, copied)\n"
	"  run     the A/B campaign on every host: --arm NAME=RUNSC[,ITEM...] (local\n"
	"          binaries, copied to each host) and gvab run's options\n"
	"\n"
	"  --inventory FILE   Ansible INI inventory (required)\n"
	"  --limit PATTERN    a host or group (default all)\n"
	"  --campaign NAME    run: results go to RESULTS/NAME/HOST/ (required for run)\n"
	"  --results DIR      default results\n"
	"  -j N               hosts at once (default 4)\n"
	"  --bundle DIR       bundle to copy (default build/bundle)\n"
	"  --remote-dir DIR   where hosts keep the campaign (default /var/tmp/gvab)\n"
	"  --runsc PATH       check: the runsc to boot (default: the first --arm, else\n"
	"                     /usr/bin/runsc on the host)\n"
	"  --iterations N --warmups N --order O --seed N --set K=V --drop-caches\n"
	"  --timeout-ms N --max-failures N   passed to gvab run on each host\n"
	"\n"
	"Exit: 0 all hosts ok, 1 some host failed, 64 usage, 65 malformed inventory.\n"
	"\n"
	"examples:\n"
	"  gvab hosts list --inventory hosts/example-eight-hosts.ini\n"
	"  gvab hosts check --inventory hosts/localhost.ini\n"
	"  gvab hosts run --inventory hosts/fleet.yml --campaign c1 --arm stock=S/runsc --arm lazy=L/runsc\n";

#define MAX_ARMS 16
#define MAX_PASS 64

struct hosts_opts {
	const char *inventory, *limit, *campaign, *results, *bundle, *remote_dir, *runsc;
	long jobs;
	char *arms[MAX_ARMS];
	int narms;
	char *pass[MAX_PASS];
	int npass;
};

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

/* A name that becomes one path component (campaign, arm): letters, digits,
 * '.', '_', '-', not starting with '.' or '-' (so never "." or ".."). */
static int plain_name(const char *s)
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
static int host_campaign(const struct hosts_opts *o, const struct inv_host *h, const char *ctl)
{
	char started[32];
	util_utc_now(started, sizeof started);
	char *outdir = util_fmt("%s/%s/%s", o->results, o->campaign, h->name);
	char *log = util_fmt("%s/transfer.log", outdir);
	/* Per host too: several inventory hosts may be one machine. */
	char *rdir = util_fmt("%s/%s/%s", o->remote_dir, o->campaign, h->name);
	char when[32];
	util_utc_now(when, sizeof when);
	for (char *p = when; *p; p++)
		if (*p == ':')
			*p = '-';
	char *rrun = util_fmt("%s/run-%s", rdir, when);
	/* A connection master per host: two hosts on one address must not
	 * share one (one's `ssh -O exit` would cut the other's). */
	char *hctl = util_fmt("%s/%s", ctl, h->name);
	util_mkdir_p(hctl, 0700);
	struct ssh_target t;
	target_of(h, hctl, &t);
	int rc = 0, code = 0;
	struct args av = {0};
	char msg[1024] = "";

	char *cdir = util_fmt("%s/%s", o->results, o->campaign);
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
		const char *last = text ? text : "";
		size_t n = strlen(last);
		while (n && last[n - 1] == '\n')
			n--;
		size_t b = n;
		while (b && last[b - 1] != '\n')
			b--;
		rc = error_set("gvab run on the host exited %d: %.*s", code, (int)(n - b), last + b);
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
		cJSON *run = util_json_load(rj);
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

static int host_complete(const struct hosts_opts *o, const struct inv_host *h)
{
	char *p = util_fmt("%s/%s/%s/run.json", o->results, o->campaign, h->name);
	cJSON *r = util_path_exists(p) ? util_json_load(p) : NULL;
	free(p);
	const cJSON *st = r ? cJSON_GetObjectItemCaseSensitive(r, "status") : NULL;
	int done = cJSON_IsString(st) && strcmp(st->valuestring, "complete") == 0;
	cJSON_Delete(r);
	return done;
}

static int hosts_run(const struct hosts_opts *o, struct inventory *inv, size_t *idx, size_t n,
                     const char *ctl)
{
	pid_t *pids = util_xcalloc(n, sizeof *pids);
	int running = 0, failed = 0;
	size_t next = 0;
	while (next < n || running > 0) {
		while (next < n && running < o->jobs) {
			struct inv_host *h = &inv->hosts[idx[next]];
			if (host_complete(o, h)) {
				logf_host(h->name, "complete already, skipped (resume)");
				pids[next++] = 0;
				continue;
			}
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				/* Own process group: a Ctrl-C reaches the hosts' gvab through
				 * ssh's own handling, not half-way through a copy here. */
				_exit(host_campaign(o, h, ctl) < 0 ? 1 : 0);
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
	/* Summary from the status files, in inventory order. */
	printf("%-20s %-24s %-8s %s\n", "host", "label", "status", "detail");
	for (size_t i = 0; i < n; i++) {
		struct inv_host *h = &inv->hosts[idx[i]];
		char *p = util_fmt("%s/%s/%s/status.json", o->results, o->campaign, h->name);
		cJSON *s = util_path_exists(p) ? util_json_load(p) : NULL;
		const cJSON *ok = s ? cJSON_GetObjectItemCaseSensitive(s, "ok") : NULL;
		const cJSON *err = s ? cJSON_GetObjectItemCaseSensitive(s, "error") : NULL;
		printf("%-20s %-24s %-8s %s\n", h->name, h->label,
		       cJSON_IsTrue(ok) ? "ok" : s ? "FAILED" : "?",
		       cJSON_IsString(err) ? err->valuestring : "");
		cJSON_Delete(s);
		free(p);
	}
	/* The answer per host: one line per arm against the first on CORE. */
	for (size_t i = 0; i < n; i++) {
		struct inv_host *h = &inv->hosts[idx[i]];
		char *dir = util_fmt("%s/%s/%s", o->results, o->campaign, h->name);
		char *rj = util_fmt("%s/run.json", dir);
		if (util_path_exists(rj)) {
			char *prefix = util_fmt("%s: ", h->label);
			answer_print_run_prefixed(dir, PH_CORE, prefix);
			free(prefix);
		}
		free(rj);
		free(dir);
	}
	printf("campaign %s: %zu host(s), %d failed; report: gvab report %s/%s\n", o->campaign, n,
	       failed, o->results, o->campaign);
	return failed ? 1 : 0;
}

static int hosts_check(const struct hosts_opts *o, struct inventory *inv, size_t *idx, size_t n,
                       const char *ctl)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct inv_host *h = &inv->hosts[idx[i]];
		char *hctl = util_fmt("%s/%s", ctl, h->name);
		util_mkdir_p(hctl, 0700);
		struct ssh_target t;
		target_of(h, hctl, &t);
		char *out = NULL;
		int code = -1;
		struct args av = {0};
		char *rdir = util_fmt("%s/check/%s", o->remote_dir, h->name);
		printf("%s (%s%s%s:%d)\n", h->name, h->user ? h->user : "", h->user ? "@" : "",
		       h->address, h->port ? h->port : 22);
		int64_t t0 = util_now_ns();
		char *id[] = {"id", "-u", NULL};
		if (ssh_run(&t, id, NULL, &out, &code) < 0 || code != 0) {
			printf("  reachable: NO (%s)\n", out ? strtok(out, "\n") : error_last());
			free(out);
			free(rdir);
			free(hctl);
			failed++;
			continue;
		}
		printf("  reachable: yes (%.0f ms)\n", (double)(util_now_ns() - t0) / 1e6);
		int root = atoi(out) == 0;
		free(out);
		out = NULL;
		if (!root) {
			char *sudo[] = {"sudo", "-n", "true", NULL};
			root = ssh_run(&t, sudo, NULL, &out, &code) == 0 && code == 0;
			free(out);
			out = NULL;
			printf("  root: %s\n", root ? "via passwordless sudo" : "NO (neither root nor sudo -n)");
		} else {
			printf("  root: yes\n");
		}
		char *perf[] = {"perf", "--version", NULL};
		int have_perf = ssh_run(&t, perf, NULL, &out, &code) == 0 && code == 0;
		printf("  perf: %s\n", have_perf ? strtok(out, "\n") : "not available (--syscalls needs it... gvab counts via perf events; install linux-perf)");
		free(out);
		out = NULL;
		int ok = root;
		if (push_rig(h, &t, rdir, o->bundle, NULL) < 0) {
			printf("  gvab-rig: NO (%s)\n", error_last());
			ok = 0;
		} else {
			remote_prefix(h, rdir, &av);
			args_add(&av, "facts");
			if (ssh_run(&t, av.a, NULL, &out, &code) == 0 && code == 0) {
				cJSON *f = cJSON_Parse(out);
				const cJSON *kr = f ? cJSON_GetObjectItemCaseSensitive(f, "kernel") : NULL;
				const cJSON *cpu = f ? cJSON_GetObjectItemCaseSensitive(f, "cpu_model") : NULL;
				const cJSON *nc = f ? cJSON_GetObjectItemCaseSensitive(f, "online_cpus") : NULL;
				printf("  facts: %s; %s; %d CPUs\n", cJSON_IsString(kr) ? kr->valuestring : "?",
				       cJSON_IsString(cpu) ? cpu->valuestring : "?",
				       cJSON_IsNumber(nc) ? (int)nc->valuedouble : -1);
				cJSON_Delete(f);
			}
			free(out);
			out = NULL;
			/* Does runsc boot the bundle? Two boots, A/A. */
			char *runsc = NULL;
			if (o->runsc) {
				char real[PATH_MAX];
				if (realpath(o->runsc, real)) {
					char *d = util_xstrdup(real), *b = strrchr(d, '/');
					*b++ = '\0';
					char *ents[] = {b, NULL};
					char *adir = util_fmt("%s/arms/check", rdir);
					if (ssh_push(&t, d, ents, adir, NULL) == 0)
						runsc = util_fmt("%s/%s", adir, b);
					free(adir);
					free(d);
				}
			} else {
				runsc = util_xstrdup("/usr/bin/runsc");
			}
			args_free(&av);
			remote_prefix(h, rdir, &av);
			args_add(&av, "run");
			args_add(&av, "-q");
			args_add(&av, "--out");
			args_own(&av, util_fmt("%s/run-%ld-%ld", rdir, (long)getpid(), (long)time(NULL)));
			args_add(&av, "--bundle");
			args_own(&av, bundle_remote(rdir, o->bundle));
			args_add(&av, "--iterations");
			args_add(&av, "1");
			args_add(&av, "--warmups");
			args_add(&av, "0");
			args_add(&av, "--arm");
			args_own(&av, util_fmt("a=%s", runsc ? runsc : "runsc"));
			args_add(&av, "--arm");
			args_own(&av, util_fmt("b=%s", runsc ? runsc : "runsc"));
			int boots = ssh_run(&t, av.a, NULL, &out, &code) == 0 && code == 0;
			printf("  runsc boots the bundle: %s", boots ? "yes\n" : "NO: ");
			if (!boots) {
				const char *l = out ? out : "";
				size_t len = strlen(l);
				while (len && l[len - 1] == '\n')
					len--;
				size_t b = len;
				while (b && l[b - 1] != '\n')
					b--;
				printf("%.*s\n", (int)(len - b), l + b);
			}
			ok &= boots;
			free(out);
			free(runsc);
		}
		args_free(&av);
		ssh_close(&t);
		free(rdir);
		free(hctl);
		failed += !ok;
	}
	return failed ? 1 : 0;
}

int cmd_hosts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"inventory", required_argument, 0, 'i'}, {"limit", required_argument, 0, 'l'},
		{"campaign", required_argument, 0, 'c'},  {"results", required_argument, 0, 'R'},
		{"bundle", required_argument, 0, 'b'},    {"remote-dir", required_argument, 0, 'D'},
		{"runsc", required_argument, 0, 'r'},     {"arm", required_argument, 0, 'a'},
		{"iterations", required_argument, 0, 'P'}, {"warmups", required_argument, 0, 'P'},
		{"order", required_argument, 0, 'P'},     {"seed", required_argument, 0, 'P'},
		{"set", required_argument, 0, 'P'},       {"timeout-ms", required_argument, 0, 'P'},
		{"max-failures", required_argument, 0, 'P'}, {"drop-caches", no_argument, 0, 'F'},
		{"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
	struct hosts_opts o = {.results = "results", .bundle = "build/bundle",
	                       .remote_dir = "/var/tmp/gvab", .jobs = 4};
	int c, idxopt = 0, rc = 0;
	struct inventory inv = {0};
	size_t *idx = NULL;
	char *ctl = NULL;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			cmds_usage("hosts", usage_text);
			return 0;
		}
		fprintf(stderr, "gvab: hosts: expected list, check or run (see gvab help hosts)\n");
		return EXIT_GVAB_USAGE;
	}
	const char *sub = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "j:h", opts, &idxopt)) != -1) {
		long v;
		switch (c) {
		case 'i': o.inventory = optarg; break;
		case 'l': o.limit = optarg; break;
		case 'c': o.campaign = optarg; break;
		case 'R': o.results = optarg; break;
		case 'b': o.bundle = optarg; break;
		case 'D': o.remote_dir = optarg; break;
		case 'r': o.runsc = optarg; break;
		case 'j':
			if ((rc = util_parse_long(optarg, 1, 256, "-j", &v)) < 0)
				goto out;
			o.jobs = v;
			break;
		case 'a':
			if (o.narms == MAX_ARMS || !strchr(optarg, '=')) {
				rc = error_setc(GVAB_EUSAGE, "--arm '%s': expected NAME=RUNSC[,ITEM...]", optarg);
				goto out;
			}
			{
				/* NAME becomes the remote directory arms/NAME. */
				char *nm = util_fmt("%.*s", (int)(strchr(optarg, '=') - optarg), optarg);
				int okname = plain_name(nm);
				free(nm);
				if (!okname) {
					rc = error_setc(GVAB_EUSAGE, "--arm '%s': NAME must be letters, digits, '.', "
					                "'_' or '-', not starting with '.' or '-'", optarg);
					goto out;
				}
			}
			o.arms[o.narms++] = optarg;
			break;
		case 'P':
		case 'F':
			if (o.npass + 2 > MAX_PASS) {
				rc = error_setc(GVAB_EUSAGE, "too many options");
				goto out;
			}
			o.pass[o.npass++] = util_fmt("--%s", opts[idxopt].name);
			if (c == 'P')
				o.pass[o.npass++] = util_xstrdup(optarg);
			break;
		case 'h': cmds_usage("hosts", usage_text); return 0;
		default: /* getopt named the option */
			rc = error_setc(GVAB_EUSAGE, "bad option (see gvab help hosts)");
			goto out;
		}
	}
	if (!o.inventory) {
		rc = error_setc(GVAB_EUSAGE, "--inventory FILE is required");
		goto out;
	}
	if ((rc = inventory_load(o.inventory, &inv)) < 0)
		goto out;
	size_t n = inventory_select(&inv, o.limit, &idx);
	if (n == 0) {
		rc = GVAB_EUSAGE;
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		for (size_t i = 0; i < n; i++) {
			struct inv_host *h = &inv.hosts[idx[i]];
			char *groups = cJSON_PrintUnformatted(h->groups), *vars = cJSON_PrintUnformatted(h->vars);
			printf("%s\n  connection %s, address %s, port %d, user %s, key %s\n  label %s, sku %s, "
			       "notes %s\n  groups %s\n  vars %s\n",
			       h->name, h->local ? "local" : "ssh", h->address, h->port ? h->port : 22,
			       h->user ? h->user : "(ssh default)", h->key_file ? h->key_file : "(ssh default)",
			       h->label, h->sku ? h->sku : "-", h->notes ? h->notes : "-", groups, vars);
			free(groups);
			free(vars);
		}
		goto out;
	}
	/* ssh's ControlPath sockets: a fresh private directory (mkdtemp), not a
	 * predictable name someone could create first. */
	ctl = util_xstrdup("/tmp/gvab-ssh-XXXXXX");
	if (!mkdtemp(ctl)) {
		rc = error_set("mkdtemp %s: %s", ctl, strerror(errno));
		free(ctl);
		ctl = NULL;
		goto out;
	}
	if (strcmp(sub, "check") == 0) {
		rc = hosts_check(&o, &inv, idx, n, ctl) ? GVAB_EFAIL : 0;
		if (rc < 0)
			error_set("some hosts failed the check");
	} else if (strcmp(sub, "run") == 0) {
		if (!o.campaign || !plain_name(o.campaign)) {
			rc = error_setc(GVAB_EUSAGE, "run needs --campaign NAME (letters, digits, '.', '_' "
			                "or '-', not starting with '.' or '-')");
			goto out;
		}
		if (o.narms < 2) {
			rc = error_setc(GVAB_EUSAGE, "run needs at least two --arm NAME=RUNSC");
			goto out;
		}
		if (hosts_run(&o, &inv, idx, n, ctl) != 0)
			rc = error_set("some hosts failed; see the table above");
	} else {
		rc = error_setc(GVAB_EUSAGE, "unknown hosts command '%s' (list, check, run)", sub);
	}
out:
	if (ctl) {
		util_rm_rf(ctl);
		free(ctl);
	}
	for (int i = 0; i < o.npass; i++)
		free(o.pass[i]);
	free(idx);
	inventory_free(&inv);
	return rc < 0 ? cmds_fail(rc, "hosts") : 0;
}
