/* cmd_inittrace: `gvab inittrace`, the package-init audit.
 *
 * runsc re-executes itself several times per boot and every process runs
 * every package's init() before main. This command shows where that time
 * goes: per boot, per runsc process, per module (gvisor.dev, the Go standard
 * library, everything else) and per package, binary A beside binary B.
 * An embedder whose own binary doubles as runsc points it at that binary to
 * see which of its imports bleed init time into the sandbox path.
 *
 * Boots run through the run loop with --inittrace (in this process); with
 * `-- ARGS` each binary instead runs once as `BINARY ARGS` (one process).
 */
#define _GNU_SOURCE
#include "cmds.h"
#include "error.h"
#include "inittrace.h"
#include "instr_report.h"
#include "instrument.h"
#include "opt.h"
#include "proc.h"
#include "runloop.h"
#include "samples.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BIN 4

enum { O_BINARY = 1, O_BOOTS, O_BUNDLE, O_TOP, O_OUT };

static const struct opt opts[] = {
	{"binary", 0, OPT_REQUIRED, "[NAME=]PATH",
	 "a runsc (or any Go program) to trace, one column each;\n"
	 "NAME heads its column (default binN); at most 4", O_BINARY},
	{"boots", 0, OPT_REQUIRED, "N", "measured boots per binary (default 5, plus 1 warm-up)", O_BOOTS},
	{"bundle", 0, OPT_REQUIRED, "DIR", "bundle (default build/bundle)", O_BUNDLE},
	{"top", 0, OPT_REQUIRED, "N", "packages listed (default 20)", O_TOP},
	{"out", 0, OPT_REQUIRED, "DIR", "keep the run directory there (default: a temporary one)", O_OUT},
	{0}};

static const struct opt_cmd cmd = {
	"inittrace", "--binary [NAME=]PATH [--binary [NAME=]PATH] [options] [-- ARGS...]",
	"Per-package init() time (GODEBUG=inittrace=1) of runsc processes.\n"
	"Without -- ARGS: boots the bundle N times per binary (gvab run --inittrace;\n"
	"one binary is booted as an A/A pair) and reports medians per boot, per runsc\n"
	"process, per module group and the top packages, A beside B.\n"
	"With -- ARGS: runs each binary once with ARGS and reports that one process.\n",
	opts, NULL,
	"inittrace --binary stock=build/arms/stock/runsc --binary lazy=build/arms/patched/runsc\n"
	"inittrace --binary a=A/runsc --binary b=B/runsc --boots 10 --top 15 --out results/it",
	1};

/* -- ARGS: each binary once as `BINARY ARGS`, one column each. */
static void trace_processes(char *const *names, char *const *paths, int nbins, char **args, int nargs,
                            struct inittrace_acc *acc, size_t *nacc)
{
	for (int i = 0; i < nbins; i++) {
		char **av = util_xcalloc((size_t)nargs + 2, sizeof *av);
		av[0] = paths[i];
		for (int j = 0; j < nargs; j++)
			av[j + 1] = args[j];
		char **env = instrument_inittrace_env();
		char *text = NULL;
		int st;
		if (proc_run_capture(av, env, NULL, &text, &st) == 0) {
			cJSON *it = instrument_inittrace_new();
			instrument_inittrace_add(it, text);
			inittrace_acc_init(&acc[*nacc], names[i]);
			inittrace_acc_add(&acc[(*nacc)++], it);
			cJSON_Delete(it);
		}
		free(text);
		free(av);
		instrument_env_free(env);
	}
}

/* Boots through the run loop with --inittrace, in this process, into
 * `out`: the binaries as arms (one binary twice, as an A/A pair), then
 * their records from the run's samples, columns in --binary order. */
static int trace_boots(char *const *names, char *const *paths, int nbins, const char *bundle, long boots,
                       const char *out, struct inittrace_acc *acc, size_t *nacc)
{
	struct run_spec spec;
	run_spec_init(&spec);
	spec.quiet = 1;
	spec.inittrace = 1;
	spec.out_dir = out;
	spec.bundle = bundle;
	spec.iterations = boots;
	spec.warmups = 1;
	int rc = 0;
	for (int i = 0; i < nbins && rc == 0; i++)
		rc = run_spec_add_arm(&spec, names[i], paths[i]);
	if (nbins == 1 && rc == 0) {
		char *again = util_fmt("%s-again", names[0]);
		rc = run_spec_add_arm(&spec, again, paths[0]);
		free(again);
	}
	struct run_outcome ro = {0};
	if (rc == 0)
		rc = runloop_run(&spec, &ro);
	free(ro.out_dir);
	if (rc < 0) {
		char why[512];
		snprintf(why, sizeof why, "%s", error_last());
		rc = error_setc(rc, "gvab run --inittrace failed (%s); see %s", why, out);
	}
	for (size_t i = 0; i < spec.narms && *nacc < MAX_BIN + 1; i++)
		inittrace_acc_init(&acc[(*nacc)++], spec.arms[i].name);
	run_spec_free(&spec);
	if (rc == 0) {
		char *sp = util_fmt("%s/samples.jsonl", out);
		rc = inittrace_acc_from_samples(sp, acc, MAX_BIN + 1, nacc);
		free(sp);
	}
	return rc;
}

/* A fresh private directory for the run (mkdtemp: a fixed /tmp name could
 * be made in advance by anyone, as a symlink to somewhere root writes). */
static char *temp_run_base(void)
{
	const char *t = getenv("TMPDIR");
	char *base = util_fmt("%s/gvab-inittrace-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(base)) {
		error_set("mkdtemp %s: %s", base, strerror(errno));
		free(base);
		return NULL;
	}
	return base;
}

int cmd_inittrace(int argc, char **argv)
{
	const char *bins[MAX_BIN], *bundle = "build/bundle", *out = NULL;
	int nbins = 0, rc = 0, keep_tmp = 0;
	long boots = 5, top = 20;
	char *tmp = NULL, *runsub = NULL, *names[MAX_BIN], *paths[MAX_BIN];
	struct inittrace_acc acc[MAX_BIN + 1];
	size_t nacc = 0;
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_BINARY:
			if (nbins == MAX_BIN)
				opt_error(&p, "given more than %d times", MAX_BIN);
			else
				bins[nbins++] = p.arg;
			break;
		case O_BOOTS: opt_long(&p, 1, 10000, &boots); break;
		case O_BUNDLE: bundle = p.arg; break;
		case O_TOP: opt_long(&p, 1, 10000, &top); break;
		case O_OUT: out = p.arg; break;
		}
	}
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	if (nbins == 0)
		return opt_usage_error(&cmd, "no --binary given");
	int args_at = p.ind; /* the first of -- ARGS, if any */
	int nnames = 0;
	for (; nnames < nbins && rc == 0; nnames++) {
		const char *eq = strchr(bins[nnames], '=');
		names[nnames] = eq ? util_fmt("%.*s", (int)(eq - bins[nnames]), bins[nnames]) : util_fmt("bin%d", nnames + 1);
		paths[nnames] = util_xstrdup(eq ? eq + 1 : bins[nnames]);
		if (access(paths[nnames], X_OK) != 0)
			rc = error_setc(GVAB_EPRECOND, "--binary %s: not an executable file", paths[nnames]);
	}
	if (rc == 0 && args_at < argc) {
		trace_processes(names, paths, nbins, argv + args_at, argc - args_at, acc, &nacc);
		boots = 1;
	} else if (rc == 0) {
		if (!out && !(tmp = temp_run_base()))
			rc = GVAB_EFAIL;
		if (tmp) /* gvab run writes the run directory inside it. */
			out = runsub = util_fmt("%s/run", tmp);
		if (rc == 0 && (rc = trace_boots(names, paths, nbins, bundle, boots, out, acc, &nacc)) < 0)
			keep_tmp = 1; /* the message points there */
	}
	for (int i = 0; i < nnames; i++) {
		free(names[i]);
		free(paths[i]);
	}
	int records = 0;
	for (size_t i = 0; i < nacc; i++)
		records += cJSON_GetArraySize(acc[i].pk);
	if (rc == 0 && records == 0)
		rc = error_setc(GVAB_EDATA, "no init trace records were captured (is the binary a Go "
		                            "program? GODEBUG=inittrace=1 is Go's)");
	if (rc == 0) {
		inittrace_print(stdout, acc, nacc, boots > 1 || args_at >= argc ? "boot" : "process", top);
		if (out && !tmp) /* boots were kept where --out said */
			printf("\nraw samples: %s/samples.jsonl\n", out);
	}
	for (size_t i = 0; i < nacc; i++)
		inittrace_acc_free(&acc[i]);
	if (tmp && !keep_tmp)
		util_rm_rf(tmp);
	free(tmp);
	free(runsub);
	return rc < 0 ? cmds_fail(rc, "inittrace") : 0;
}
