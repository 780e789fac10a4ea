/* cmd_hosts: `gvab hosts list|check|run|clean` over an Ansible inventory
 * (INI or YAML). Parses the options, calls the campaign module
 * (hosts/campaign.h) and prints; the closing answer lines per host come
 * from the analysis. The options `run` passes on to gvab run on each host
 * are gvab run's own rows (run_cmd.opts), so the two cannot drift. */
#define _GNU_SOURCE
#include "answer.h"
#include "campaign.h"
#include "cmds.h"
#include "error.h"
#include "inventory.h"
#include "opt.h"
#include "runopts.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARMS 16
#define MAX_PASS 64
#define MAX_OPTS 64

enum {
	O_INVENTORY = 1, O_LIMIT, O_CAMPAIGN, O_RESULTS, O_JOBS, O_BUNDLE, O_REMOTE_DIR, O_RUNSC, O_ARM,
	O_SSH_CONFIG, O_KEEP_REMOTE,
	O_RUN_BASE = 1000, /* gvab run's option N is O_RUN_BASE + N */
};

static const struct opt own_opts[] = {
	{"inventory", 'i', OPT_REQUIRED, "FILE", "Ansible inventory, INI or YAML (*.yml, *.yaml) (required)", O_INVENTORY},
	{"limit", 'l', OPT_REQUIRED, "PATTERN", "a host or group (default all)", O_LIMIT},
	{"campaign", 'c', OPT_REQUIRED, "NAME", "run: results go to RESULTS/NAME/HOST/ (required for run)", O_CAMPAIGN},
	{"results", 0, OPT_REQUIRED, "DIR", "default results", O_RESULTS},
	{"jobs", 'j', OPT_REQUIRED, "N", "hosts at once (default 4)", O_JOBS},
	{"bundle", 0, OPT_REQUIRED, "DIR", "bundle to copy (default build/bundle)", O_BUNDLE},
	{"remote-dir", 0, OPT_REQUIRED, "DIR", "where hosts keep the campaign (default /var/tmp/gvab)", O_REMOTE_DIR},
	{"ssh-config", 'F', OPT_REQUIRED, "FILE",
	 "ssh's config file for every connection (ssh -F; default the\n"
	 "user's own, or $GVAB_SSH_CONFIG)", O_SSH_CONFIG},
	{"keep-remote", 0, OPT_NONE, NULL,
	 "run: leave what the campaign copied on the hosts (default:\n"
	 "removed once the results are here)", O_KEEP_REMOTE},
	{"runsc", 0, OPT_REQUIRED, "PATH",
	 "check: the runsc to boot, on this machine, copied\n(default /usr/bin/runsc on the host)", O_RUNSC},
	{"arm", 'a', OPT_REQUIRED, "NAME=RUNSC[,ITEM...]", "run: an arm (a local binary, copied to each host)", O_ARM},
	{0}};

/* gvab run's options that hosts sets itself on every host, or has its own
 * row for. */
static const char *const not_passed[] = {"arm", "out", "bundle", "label", "meta", "quiet", "append", NULL};

/* hosts' rows, then gvab run's (ids O_RUN_BASE + theirs), filled once. */
static struct opt opts[MAX_OPTS];

static const struct opt_cmd cmd = {
	"hosts", "list|check|run|clean --inventory FILE [options]",
	"list    hosts with their resolved variables\n"
	"check   per host: reachable, root (or passwordless sudo), host facts, whether\n"
	"        runsc boots the bundle, and whether --syscalls works there (perf\n"
	"        events on the syscall tracepoint; gvab needs no perf binary); it\n"
	"        leaves nothing on the host\n"
	"run     the A/B campaign on every host: --arm NAME=RUNSC[,ITEM...] (local\n"
	"        binaries, copied to each host) and gvab run's options (below from\n"
	"        --iterations on); results in RESULTS/NAME/HOST/, each host's answer\n"
	"        at the end; a rerun resumes the hosts not complete, and is refused\n"
	"        when its arms (sha256) or options differ from the first run's\n"
	"clean   remove what gvab left on every host (--remote-dir/CAMPAIGN/HOST, and\n"
	"        the folders that are empty then)\n"
	"\n"
	"The inventory (Ansible's INI or YAML; host ranges like web[01:04]): gvab reads\n"
	"ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file,\n"
	"ansible_connection=local, and its own gvab_label (the report's name for the\n"
	"host), gvab_sku, gvab_notes (recorded in run.json) and gvab_env (\"K=V K=V\",\n"
	"the run's environment there).\n"
	"\n"
	"First: the bundle here (gvab bundle --out build/bundle), gvab-rig (make), and\n"
	"each host's key in known_hosts (ssh runs in batch mode and never asks:\n"
	"ssh-keyscan HOST >> ~/.ssh/known_hosts, after comparing fingerprints).\n"
	"Fleets run with Ansible can use hosts/campaign.yml instead (docs/fleets.md).\n",
	opts,
	"Exit: 0 all hosts ok, 1 some host failed, 64 usage (also: a rerun with other\n"
	"arms or options), 65 malformed inventory, 69 gvab-rig, the bundle or an arm\n"
	"missing here.\n",
	"hosts list --inventory hosts/example-eight-hosts.ini\n"
	"hosts check --inventory hosts/localhost.ini\n"
	"hosts run --inventory hosts/fleet.yml --campaign c1 --arm stock=S/runsc --arm lazy=L/runsc\n"
	"hosts run -i hosts/lab.ini -c c2 --arm a=A/runsc --arm b=B/runsc --cpu-placement split --syscalls\n"
	"hosts clean --inventory hosts/lab.ini"};

static void opts_build(void)
{
	if (opts[0].name)
		return;
	size_t n = 0;
	for (const struct opt *o = own_opts; o->name; o++)
		opts[n++] = *o;
	for (const struct opt *o = run_cmd.opts; o->name && n + 1 < MAX_OPTS; o++) {
		int skip = 0;
		for (const char *const *x = not_passed; *x; x++)
			skip |= strcmp(o->name, *x) == 0;
		if (skip)
			continue;
		opts[n] = *o;
		opts[n].short_name = 0;
		opts[n++].id = O_RUN_BASE + o->id;
	}
	memset(&opts[n], 0, sizeof opts[n]);
}

static void print_list(const struct inventory *inv, const size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct inv_host *h = &inv->hosts[idx[i]];
		char *groups = cJSON_PrintUnformatted(h->groups), *vars = cJSON_PrintUnformatted(h->vars);
		printf("%s\n  connection %s, address %s, port %d, user %s, key %s\n  label %s, sku %s, "
		       "notes %s\n  groups %s\n  vars %s\n",
		       h->name, h->local ? "local" : "ssh", h->address, h->port ? h->port : 22,
		       h->user ? h->user : "(ssh default)", h->key_file ? h->key_file : "(ssh default)",
		       h->label, h->sku ? h->sku : "-", h->notes ? h->notes : "-", groups, vars);
		free(groups);
		free(vars);
	}
}

static void print_check(const struct campaign_check *r)
{
	if (!r->reachable) {
		printf("  reachable: NO (%s)\n", r->unreachable);
		return;
	}
	printf("  reachable: yes (%.0f ms)\n", r->connect_ms);
	printf("  root: %s\n", r->root == 1 ? "yes" : r->root == 2 ? "via passwordless sudo"
	                                                        : "NO (neither root nor sudo -n)");
	if (!r->rig_ok) {
		printf("  gvab-rig: NO (%s)\n", r->rig_error);
		return;
	}
	if (r->facts)
		printf("  facts: %s\n", r->facts);
	printf("  runsc boots the bundle: %s%s\n", r->boots ? "yes" : "NO: ", r->boots ? "" : r->boot_error);
	if (r->boots)
		printf("  --syscalls (perf events on a syscall tracepoint): %s%s\n",
		       r->syscalls ? "yes" : "no: ", r->syscalls ? "" : r->syscalls_error);
}

static int do_check(const struct campaign *c, const struct inventory *inv, const size_t *idx, size_t n)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct inv_host *h = &inv->hosts[idx[i]];
		printf("%s (%s%s%s:%d)\n", h->name, h->user ? h->user : "", h->user ? "@" : "", h->address,
		       h->port ? h->port : 22);
		fflush(stdout);
		struct campaign_check r;
		failed += !campaign_check_host(c, h, &r);
		print_check(&r);
		campaign_check_free(&r);
	}
	return failed;
}

static int do_clean(const struct campaign *c, const struct inventory *inv, const size_t *idx, size_t n)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct inv_host *h = &inv->hosts[idx[i]];
		if (campaign_clean_host(c, h) < 0) {
			printf("%s: NOT removed: %s\n", h->name, error_last());
			failed++;
		} else {
			printf("%s: removed %s\n", h->name, c->remote_dir);
		}
	}
	return failed;
}

/* campaign_answer_fn: the answer lines a host's run ends with. */
static char *host_answer(const char *run_dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	answer_fprint_run(m, run_dir, PH_CORE, "");
	fclose(m);
	return buf;
}

static int do_run(const struct campaign *c, const struct inventory *inv, const size_t *idx, size_t n)
{
	int failed = campaign_run(c, inv, idx, n);
	if (failed < 0)
		return failed;
	/* Summary from the status files, in inventory order. */
	printf("%-20s %-24s %-8s %s\n", "host", "label", "status", "detail");
	for (size_t i = 0; i < n; i++) {
		const struct inv_host *h = &inv->hosts[idx[i]];
		char *err;
		int st = campaign_host_status(c, h, &err);
		printf("%-20s %-24s %-8s %s\n", h->name, h->label, st == 1 ? "ok" : st == 0 ? "FAILED" : "?",
		       err ? err : "");
		free(err);
	}
	/* The answer per host: one line per arm against the first on CORE. */
	for (size_t i = 0; i < n; i++) {
		const struct inv_host *h = &inv->hosts[idx[i]];
		char *dir = campaign_host_dir(c, h);
		char *rj = util_fmt("%s/run.json", dir);
		if (util_path_exists(rj)) {
			char *prefix = util_fmt("%s: ", h->label);
			answer_print_run_prefixed(dir, PH_CORE, prefix);
			free(prefix);
		}
		free(rj);
		free(dir);
	}
	printf("campaign %s: %zu host(s), %d failed; report: gvab report %s/%s\n", c->name, n, failed,
	       c->results, c->name);
	return failed ? error_set("some hosts failed; see the table above") : 0;
}

/* What the command line asked for. */
struct hosts_args {
	struct campaign c;
	const char *inventory, *limit, *sub;
	char *arms[MAX_ARMS], *pass[MAX_PASS];
	int narms, npass;
};

static const char *opt_name(int id)
{
	for (const struct opt *o = opts; o->name; o++)
		if (o->id == id)
			return o->name;
	return "?";
}

/* One option; 0, or a usage error printed (OPT_ERROR). */
static int take_opt(struct opt_parser *p, int id, struct hosts_args *a)
{
	long v;
	switch (id) {
	case O_INVENTORY: a->inventory = p->arg; return 0;
	case O_LIMIT: a->limit = p->arg; return 0;
	case O_CAMPAIGN: a->c.name = p->arg; return 0;
	case O_RESULTS: a->c.results = p->arg; return 0;
	case O_BUNDLE: a->c.bundle = p->arg; return 0;
	case O_REMOTE_DIR: a->c.remote_dir = p->arg; return 0;
	case O_RUNSC: a->c.runsc = p->arg; return 0;
	case O_SSH_CONFIG: a->c.ssh_config = p->arg; return 0;
	case O_KEEP_REMOTE: a->c.keep_remote = 1; return 0;
	case O_JOBS:
		if (opt_long(p, 1, 256, &v) < 0)
			return OPT_ERROR;
		a->c.jobs = v;
		return 0;
	case O_ARM: {
		const char *eq = strchr(p->arg, '=');
		char *nm = eq ? util_fmt("%.*s", (int)(eq - p->arg), p->arg) : NULL;
		int ok = nm && campaign_plain_name(nm);
		free(nm);
		/* NAME becomes the remote directory arms/NAME. */
		if (!eq)
			return opt_error(p, "'%s' is not NAME=RUNSC[,ITEM...]", p->arg);
		if (a->narms == MAX_ARMS)
			return opt_error(p, "'%s': at most %d arms", p->arg, MAX_ARMS);
		if (!ok)
			return opt_error(p, "'%s': NAME must be letters, digits, '.', '_' or '-', not "
			                 "starting with '.' or '-'", p->arg);
		a->arms[a->narms++] = (char *)p->arg;
		return 0;
	}
	default: /* gvab run's options, passed on as given */
		if (a->npass + 2 > MAX_PASS)
			return opt_error(p, "too many of gvab run's options (at most %d words)", MAX_PASS);
		if (p->opt && p->opt->has_arg == OPT_OPTIONAL) {
			a->pass[a->npass++] = p->arg ? util_fmt("--%s=%s", opt_name(id), p->arg)
			                             : util_fmt("--%s", opt_name(id));
			return 0;
		}
		a->pass[a->npass++] = util_fmt("--%s", opt_name(id));
		if (p->arg)
			a->pass[a->npass++] = util_xstrdup(p->arg);
		return 0;
	}
}

/* The subcommand and what it needs; 0 or a usage error printed (64). */
static int check_args(struct hosts_args *a, int argc, char **argv, int ind)
{
	static const char *const subs[] = {"list", "check", "run", "clean", NULL};
	a->sub = ind < argc ? argv[ind] : NULL;
	int known = 0;
	for (const char *const *s = subs; a->sub && *s; s++)
		known |= strcmp(a->sub, *s) == 0;
	if (!a->sub || ind + 1 != argc || !known)
		return opt_usage_error(&cmd, a->sub && ind + 1 == argc
		                                 ? "unknown hosts command '%s' (list, check, run, clean)"
		                                 : "expected one of list, check, run or clean%s",
		                       a->sub && ind + 1 == argc ? a->sub : "");
	if (!a->inventory)
		return opt_usage_error(&cmd, "--inventory FILE is required");
	if (strcmp(a->sub, "run") != 0)
		return 0;
	if (!a->c.name || !campaign_plain_name(a->c.name))
		return opt_usage_error(&cmd, "run needs --campaign NAME (letters, digits, '.', '_' or '-', "
		                       "not starting with '.' or '-')");
	if (a->narms < 2)
		return opt_usage_error(&cmd, "run needs at least two --arm NAME=RUNSC");
	return 0;
}

/* Loads the inventory and runs the subcommand. */
static int hosts_do(struct hosts_args *a)
{
	struct inventory inv = {0};
	size_t *idx = NULL, n;
	int rc = inventory_load(a->inventory, &inv);
	if (rc == 0 && (n = inventory_select(&inv, a->limit, &idx)) == 0)
		rc = GVAB_EUSAGE;
	if (rc == 0 && strcmp(a->sub, "list") == 0) {
		print_list(&inv, idx, n);
	} else if (rc == 0 && (strcmp(a->sub, "clean") == 0 ||
	                       (rc = campaign_preflight(&a->c, strcmp(a->sub, "run") == 0)) == 0) &&
	           (rc = campaign_open(&a->c)) == 0) {
		if (strcmp(a->sub, "check") == 0 && do_check(&a->c, &inv, idx, n))
			rc = error_set("some hosts failed the check");
		else if (strcmp(a->sub, "clean") == 0 && do_clean(&a->c, &inv, idx, n))
			rc = error_set("some hosts were not cleaned");
		else if (strcmp(a->sub, "run") == 0)
			rc = do_run(&a->c, &inv, idx, n);
		campaign_close(&a->c);
	}
	free(idx);
	inventory_free(&inv);
	return rc < 0 ? cmds_fail(rc, "hosts") : 0;
}

int cmd_hosts(int argc, char **argv)
{
	struct hosts_args a = {.c = {.results = "results", .bundle = "build/bundle",
	                             .remote_dir = "/var/tmp/gvab", .jobs = 4}};
	const char *env_cfg = getenv("GVAB_SSH_CONFIG");
	a.c.ssh_config = env_cfg && *env_cfg ? env_cfg : NULL;
	opts_build();
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;)
		take_opt(&p, id, &a);
	int rc;
	if (p.status != OPT_DONE)
		rc = opt_exit(&p);
	else if (check_args(&a, argc, argv, p.ind) != 0)
		rc = EXIT_GVAB_USAGE;
	else {
		a.c.arms = a.arms;
		a.c.narms = a.narms;
		a.c.pass = a.pass;
		a.c.npass = a.npass;
		a.c.answer = host_answer;
		rc = hosts_do(&a);
	}
	if (p.status == OPT_DONE)
		opt_free(&p);
	for (int i = 0; i < a.npass; i++)
		free(a.pass[i]);
	return rc == GVAB_EUSAGE ? EXIT_GVAB_USAGE : rc;
}
