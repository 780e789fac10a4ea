/* cmd_hosts: `gvab hosts list|check|run` over an Ansible inventory (INI or
 * YAML). Parses the options, calls the campaign module (hosts/campaign.h)
 * and prints; the closing answer lines per host come from the analysis. */
#define _GNU_SOURCE
#include "answer.h"
#include "campaign.h"
#include "cmds.h"
#include "error.h"
#include "inventory.h"
#include "opt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARMS 16
#define MAX_PASS 64

enum {
	O_INVENTORY = 1, O_LIMIT, O_CAMPAIGN, O_RESULTS, O_JOBS, O_BUNDLE, O_REMOTE_DIR, O_RUNSC, O_ARM,
	O_PASS, /* from here on: gvab run's options, passed on as they are */
	O_ITERATIONS = O_PASS, O_WARMUPS, O_ORDER, O_SEED, O_SET, O_DROP_CACHES, O_TIMEOUT, O_MAX_FAILURES,
};

static const struct opt opts[] = {
	{"inventory", 'i', OPT_REQUIRED, "FILE", "Ansible inventory, INI or YAML (*.yml, *.yaml) (required)", O_INVENTORY},
	{"limit", 'l', OPT_REQUIRED, "PATTERN", "a host or group (default all)", O_LIMIT},
	{"campaign", 'c', OPT_REQUIRED, "NAME", "run: results go to RESULTS/NAME/HOST/ (required for run)", O_CAMPAIGN},
	{"results", 0, OPT_REQUIRED, "DIR", "default results", O_RESULTS},
	{"jobs", 'j', OPT_REQUIRED, "N", "hosts at once (default 4)", O_JOBS},
	{"bundle", 0, OPT_REQUIRED, "DIR", "bundle to copy (default build/bundle)", O_BUNDLE},
	{"remote-dir", 0, OPT_REQUIRED, "DIR", "where hosts keep the campaign (default /var/tmp/gvab)", O_REMOTE_DIR},
	{"runsc", 0, OPT_REQUIRED, "PATH",
	 "check: the runsc to boot, on this machine, copied\n(default /usr/bin/runsc on the host)", O_RUNSC},
	{"arm", 'a', OPT_REQUIRED, "NAME=RUNSC[,ITEM...]", "run: an arm (a local binary, copied to each host)", O_ARM},
	{"iterations", 0, OPT_REQUIRED, "N", "passed to gvab run on each host", O_ITERATIONS},
	{"warmups", 0, OPT_REQUIRED, "N", "passed to gvab run", O_WARMUPS},
	{"order", 0, OPT_REQUIRED, "O", "passed to gvab run", O_ORDER},
	{"seed", 0, OPT_REQUIRED, "N", "passed to gvab run", O_SEED},
	{"set", 0, OPT_REQUIRED, "K=V", "passed to gvab run", O_SET},
	{"drop-caches", 0, OPT_NONE, NULL, "passed to gvab run", O_DROP_CACHES},
	{"timeout-ms", 0, OPT_REQUIRED, "N", "passed to gvab run", O_TIMEOUT},
	{"max-failures", 0, OPT_REQUIRED, "N", "passed to gvab run", O_MAX_FAILURES},
	{0}};

static const struct opt_cmd cmd = {
	"hosts", "list|check|run --inventory FILE [options]",
	"list    hosts with their resolved variables\n"
	"check   per host: reachable, root (or passwordless sudo), host facts, whether\n"
	"        runsc boots the bundle, and whether --syscalls works there (perf\n"
	"        events on the syscall tracepoint; gvab needs no perf binary)\n"
	"run     the A/B campaign on every host: --arm NAME=RUNSC[,ITEM...] (local\n"
	"        binaries, copied to each host) and gvab run's options\n",
	opts,
	"Exit: 0 all hosts ok, 1 some host failed, 64 usage, 65 malformed inventory,\n"
	"69 gvab-rig or the bundle missing here.\n",
	"hosts list --inventory hosts/example-eight-hosts.ini\n"
	"hosts check --inventory hosts/localhost.ini\n"
	"hosts run --inventory hosts/fleet.yml --campaign c1 --arm stock=S/runsc --arm lazy=L/runsc"};

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

static int do_check(const struct campaign *c, const struct inventory *inv, const size_t *idx, size_t n)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct inv_host *h = &inv->hosts[idx[i]];
		printf("%s (%s%s%s:%d)\n", h->name, h->user ? h->user : "", h->user ? "@" : "", h->address,
		       h->port ? h->port : 22);
		fflush(stdout);
		struct campaign_check r;
		int ok = campaign_check_host(c, h, &r);
		if (!r.reachable) {
			printf("  reachable: NO (%s)\n", r.unreachable);
		} else {
			printf("  reachable: yes (%.0f ms)\n", r.connect_ms);
			printf("  root: %s\n", r.root == 1 ? "yes" : r.root == 2 ? "via passwordless sudo"
			                                                        : "NO (neither root nor sudo -n)");
			if (!r.rig_ok) {
				printf("  gvab-rig: NO (%s)\n", r.rig_error);
			} else {
				if (r.facts)
					printf("  facts: %s\n", r.facts);
				printf("  runsc boots the bundle: %s%s\n", r.boots ? "yes" : "NO: ",
				       r.boots ? "" : r.boot_error);
				if (r.boots)
					printf("  --syscalls (perf events on a syscall tracepoint): %s%s\n",
					       r.syscalls ? "yes" : "no: ", r.syscalls ? "" : r.syscalls_error);
			}
		}
		campaign_check_free(&r);
		failed += !ok;
	}
	return failed;
}

static int do_run(const struct campaign *c, const struct inventory *inv, const size_t *idx, size_t n)
{
	int failed = campaign_run(c, inv, idx, n);
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
	return failed;
}

static const char *opt_name(int id)
{
	for (const struct opt *o = opts; o->name; o++)
		if (o->id == id)
			return o->name;
	return "?";
}

int cmd_hosts(int argc, char **argv)
{
	struct campaign c = {.results = "results", .bundle = "build/bundle",
	                     .remote_dir = "/var/tmp/gvab", .jobs = 4};
	const char *inventory = NULL, *limit = NULL;
	char *arms[MAX_ARMS], *pass[MAX_PASS];
	int narms = 0, npass = 0, rc = 0, usage = 0;
	long v;
	struct inventory inv = {0};
	size_t *idx = NULL;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; !usage && (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_INVENTORY: inventory = p.arg; break;
		case O_LIMIT: limit = p.arg; break;
		case O_CAMPAIGN: c.name = p.arg; break;
		case O_RESULTS: c.results = p.arg; break;
		case O_BUNDLE: c.bundle = p.arg; break;
		case O_REMOTE_DIR: c.remote_dir = p.arg; break;
		case O_RUNSC: c.runsc = p.arg; break;
		case O_JOBS:
			if (util_parse_long(p.arg, 1, 256, "-j", &v) < 0)
				usage = opt_usage_error(&cmd, "%s", error_last());
			else
				c.jobs = v;
			break;
		case O_ARM: {
			const char *eq = strchr(p.arg, '=');
			char *nm = eq ? util_fmt("%.*s", (int)(eq - p.arg), p.arg) : NULL;
			/* NAME becomes the remote directory arms/NAME. */
			if (!eq || narms == MAX_ARMS)
				usage = opt_usage_error(&cmd, "--arm '%s': expected NAME=RUNSC[,ITEM...] (at most %d)",
				                        p.arg, MAX_ARMS);
			else if (!campaign_plain_name(nm))
				usage = opt_usage_error(&cmd, "--arm '%s': NAME must be letters, digits, '.', '_' or "
				                        "'-', not starting with '.' or '-'", p.arg);
			else
				arms[narms++] = (char *)p.arg;
			free(nm);
			break;
		}
		default: /* gvab run's options */
			if (npass + 2 > MAX_PASS) {
				usage = opt_usage_error(&cmd, "too many of gvab run's options (at most %d words)", MAX_PASS);
				break;
			}
			pass[npass++] = util_fmt("--%s", opt_name(id));
			if (p.arg)
				pass[npass++] = util_xstrdup(p.arg);
			break;
		}
	}
	c.arms = arms;
	c.narms = narms;
	c.pass = pass;
	c.npass = npass;
	if (usage) {
		opt_free(&p);
		rc = GVAB_EUSAGE;
		goto out;
	}
	if (p.status != OPT_DONE) {
		int code = opt_exit(&p);
		for (int i = 0; i < npass; i++)
			free(pass[i]);
		return code;
	}
	const char *sub = p.ind < argc ? argv[p.ind] : NULL;
	if (!sub || p.ind + 1 != argc ||
	    (strcmp(sub, "list") && strcmp(sub, "check") && strcmp(sub, "run"))) {
		opt_usage_error(&cmd, sub && p.ind + 1 == argc ? "unknown hosts command '%s' (list, check, run)"
		                                                : "expected one of list, check or run%s",
		                sub && p.ind + 1 == argc ? sub : "");
		rc = GVAB_EUSAGE;
		goto out;
	}
	if (!inventory) {
		opt_usage_error(&cmd, "--inventory FILE is required");
		rc = GVAB_EUSAGE;
		goto out;
	}
	if (strcmp(sub, "run") == 0) {
		if (!c.name || !campaign_plain_name(c.name)) {
			opt_usage_error(&cmd, "run needs --campaign NAME (letters, digits, '.', '_' or '-', not "
			                "starting with '.' or '-')");
			rc = GVAB_EUSAGE;
			goto out;
		}
		if (narms < 2) {
			opt_usage_error(&cmd, "run needs at least two --arm NAME=RUNSC");
			rc = GVAB_EUSAGE;
			goto out;
		}
	}
	if ((rc = inventory_load(inventory, &inv)) < 0) {
		rc = cmds_fail(rc, "hosts");
		goto out;
	}
	size_t n = inventory_select(&inv, limit, &idx);
	if (n == 0) {
		rc = cmds_fail(GVAB_EUSAGE, "hosts");
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		print_list(&inv, idx, n);
		goto out;
	}
	if ((rc = campaign_preflight(&c, strcmp(sub, "run") == 0)) < 0 ||
	    (rc = campaign_open(&c)) < 0) {
		rc = cmds_fail(rc, "hosts");
		goto out;
	}
	if (strcmp(sub, "check") == 0) {
		if (do_check(&c, &inv, idx, n))
			rc = cmds_fail(error_set("some hosts failed the check"), "hosts");
	} else if (do_run(&c, &inv, idx, n)) {
		rc = cmds_fail(error_set("some hosts failed; see the table above"), "hosts");
	}
	campaign_close(&c);
out:
	for (int i = 0; i < npass; i++)
		free(pass[i]);
	free(idx);
	inventory_free(&inv);
	return rc == GVAB_EUSAGE ? EXIT_GVAB_USAGE : rc;
}
