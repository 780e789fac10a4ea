/* runopts: `gvab run`'s one option table (parsing and help): its command
 * line into a `struct run_spec` (rig/rundir/runspec.h), in the command
 * layer only; everything else in the process hands the run loop a spec. */
#define _GNU_SOURCE
#include "runopts.h"
#include "knobs.h"
#include "proc.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	O_ARM = 1, O_OUT, O_BUNDLE, O_ITER, O_WARMUPS, O_ORDER, O_SEED, O_SET, O_DROP, O_TIMEOUT,
	O_MAXFAIL, O_EXPECT, O_PHASES, O_INITTRACE, O_SYSCALLS, O_WARMPOOL, O_WORKLOAD, O_COLD,
	O_MEMORY, O_LABEL, O_META, O_CLEANUP, O_APPEND, O_QUIET, O_SETTLE, O_PLACEMENT, O_COUNTERS
};

static const struct opt opts[] = {
	{"arm", 0, OPT_REQUIRED, "NAME=RUNSC[,ITEM...]", "an arm (two or more; see above)", O_ARM},
	{"out", 0, OPT_REQUIRED, "DIR", "run directory (default: results/run-<time>)", O_OUT},
	{"bundle", 0, OPT_REQUIRED, "DIR", "OCI bundle from gvab bundle (default: build/bundle)", O_BUNDLE},
	{"iterations", 0, OPT_REQUIRED, "N", "measured boots per arm (default 50)", O_ITER},
	{"warmups", 0, OPT_REQUIRED, "N", "discarded warm-up boots per arm (default 5)", O_WARMUPS},
	{"order", 0, OPT_REQUIRED, "ORDER",
	 "alternate | abba | latin | random (default abba); latin:\n"
	 "every arm leads equally often, also with 3+ arms", O_ORDER},
	{"seed", 0, OPT_REQUIRED, "N", "seed for --order random (default: from the clock; recorded)", O_SEED},
	{"set", 0, OPT_REQUIRED, "NAME=VALUE", "set a host knob for the whole run (put back afterwards)", O_SET},
	{"drop-caches", 0, OPT_NONE, NULL, "drop the page cache before every measured boot", O_DROP},
	{"settle-ms", 0, OPT_REQUIRED, "N",
	 "pause N ms before every boot (not timed), so the previous\n"
	 "boot's teardown is over (default 0; recorded as settle_ms)", O_SETTLE},
	{"cpu-placement", 0, OPT_REQUIRED, "P",
	 "shared (default: as inherited), one (gvab and everything\n"
	 "it starts on the first allowed CPU) or split (gvab on the\n"
	 "last allowed CPU, runsc, sandbox and gofer on the others);\n"
	 "this process's affinity only, put back when the run ends;\n"
	 "recorded as cpu_placement", O_PLACEMENT},
	{"timeout-ms", 0, OPT_REQUIRED, "N", "per-phase timeout (default 30000)", O_TIMEOUT},
	{"max-failures", 0, OPT_REQUIRED, "N", "stop after N consecutive failed boots (default 3)", O_MAXFAIL},
	{"expect-exit", 0, OPT_REQUIRED, "N", "container exit status that counts as success (default 0)", O_EXPECT},
	{"phases", 0, OPT_NONE, NULL,
	 "instrumented run: runsc --debug --debug-log; internal phase\n"
	 "markers (ms after the boot's first log line) per sample", O_PHASES},
	{"inittrace", 0, OPT_NONE, NULL,
	 "instrumented run: GODEBUG=inittrace=1 for every runsc\n"
	 "process; per-package init ms summed per boot, per sample", O_INITTRACE},
	{"syscalls", 0, OPT_NONE, NULL,
	 "instrumented run: membarrier calls per boot, all and\n"
	 "REGISTER_PRIVATE_EXPEDITED, of the boot's own processes\n"
	 "(every runsc it starts and their descendants, as perf stat\n"
	 "CMD counts) with the syscalls:sys_enter_membarrier\n"
	 "tracepoint (perf events)", O_SYSCALLS},
	{"counters", 0, OPT_REQUIRED, "hw",
	 "hardware counters per boot of the boot's own processes\n"
	 "(as --syscalls counts): cycles, instructions, dTLB and iTLB\n"
	 "misses, and page walks where the PMU names them; a host\n"
	 "without a PMU records them unavailable, with why, in\n"
	 "run.json (never zeros)", O_COUNTERS},
	{"warm-pool", 0, OPT_REQUIRED, "K",
	 "after the cold boots, boot one sandbox per arm running\n"
	 "`sleep`, then time K `runsc exec` of the workload in each\n"
	 "(2 warm-up execs per arm discarded); reported beside CORE", O_WARMPOOL},
	{"workload", 0, OPT_REQUIRED, "MODE[:ARG:...]",
	 "boot the bundle's gvab-workload (gvab bundle --workload)\n"
	 "instead of its args: true, spin:N, statwalk:/walk:N or idle;\n"
	 "samples carry the workload's own time of its hot loop", O_WORKLOAD},
	{"cold", 0, OPT_NONE, NULL,
	 "cold start: every boot gets a fresh copy of the rootfs and\n"
	 "the page cache is dropped before it (root; best effort,\n"
	 "recorded in run.json); without it boots reuse the cached\n"
	 "rootfs (warm)", O_COLD},
	{"memory", 0, OPT_OPTIONAL, "[=K]",
	 "memory per sandbox: with the workload idle, sample RSS and\n"
	 "PSS of every process of the sandbox tree and its cgroup K\n"
	 "times (default 3) after start, then stop it", O_MEMORY},
	{"label", 0, OPT_REQUIRED, "TEXT", "the host's label in reports (default: its hostname)", O_LABEL},
	{"meta", 0, OPT_REQUIRED, "KEY=VALUE", "extra host metadata for run.json (sku, notes, ...)", O_META},
	{"cleanup-timeout-ms", 0, OPT_REQUIRED, "N",
	 "limit for `runsc delete --force` after a failed or\n"
	 "interrupted boot (default 10000)", O_CLEANUP},
	{"append", 0, OPT_NONE, NULL,
	 "add a chunk to an existing run directory (same arms,\n"
	 "binaries and settings); run.json keeps every chunk", O_APPEND},
	{"quiet", 'q', OPT_NONE, NULL, "no progress line", O_QUIET},
	{0}};

const struct opt_cmd run_cmd = {
	"run", "--arm NAME=RUNSC[,ITEM...] --arm NAME=RUNSC[,ITEM...] [options]",
	"Interleaves cold boots (create, start, wait, delete) of one bundle under two or\n"
	"more runsc binaries and writes run.json + samples.jsonl into the run directory.\n"
	"An ITEM is a runsc flag (e.g. --platform=systrap), stage:cold or stage:warm\n"
	"(that arm's boots cold or warm whatever --cold says), or a host knob for that arm's\n"
	"boots, knob:NAME=VALUE (knobs: rcu_expedited, thp_enabled, thp_defrag,\n"
	"thp_shmem_enabled), or env:NAME=VALUE, an environment variable for that arm's\n"
	"runsc processes (e.g. patches/calibrate-delay's GVAB_CALIBRATE_DELAY_US=N).\n"
	"Without --platform/--network items a runsc arm gets\n"
	"--platform=systrap and --network=none; an arm whose binary is not named *runsc*\n"
	"(runc as a baseline, say) gets no default flags.\n",
	opts,
	"Exit: 0 complete, 1 stopped by failures, 64 usage, 65 invalid input,\n"
	"69 precondition (runsc or bundle missing, another run owns the knobs or\n"
	"writes the run directory),\n"
	"130 interrupted (samples kept, knobs restored).\n",
	"run --out results/ab --arm stock=build/arms/stock/runsc --arm patched=build/arms/patched/runsc\n"
	"run --set rcu_expedited=0 --iterations 60 --order latin --arm a=A/runsc --arm b=B/runsc \\\n"
	"    --arm runc=/usr/sbin/runc\n"
	"run --bundle build/bundle-workload --memory --arm stock=... --arm lazy=...,knob:thp_enabled=never"};

/* One env:K=V item: K a portable variable name (letters, digits, '_', not
 * starting with a digit), at most RUN_MAX_ENV per arm, each K once. */
static int parse_env_item(struct run_arm *a, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	int ok = klen > 0 && kv[klen] == '=' && !(kv[0] >= '0' && kv[0] <= '9');
	for (size_t i = 0; ok && i < klen; i++)
		ok = kv[i] == '_' || (kv[i] >= '0' && kv[i] <= '9') || (kv[i] >= 'a' && kv[i] <= 'z') ||
		     (kv[i] >= 'A' && kv[i] <= 'Z');
	if (!ok)
		return error_setc(GVAB_EUSAGE, "--arm %s: item 'env:%s': expected env:NAME=VALUE (NAME: "
		                               "letters, digits and '_')", a->name, kv);
	for (size_t i = 0; i < a->nenv; i++)
		if (strncmp(a->env[i], kv, klen + 1) == 0)
			return error_setc(GVAB_EUSAGE, "--arm %s: env %.*s given twice", a->name, (int)klen, kv);
	if (a->nenv == RUN_MAX_ENV)
		return error_setc(GVAB_EUSAGE, "--arm %s: at most %d env items", a->name, RUN_MAX_ENV);
	a->env[a->nenv++] = util_xstrdup(kv);
	return 0;
}

/* NAME=RUNSC[,ITEM...]: flags, knob:NAME=VALUE,
 * env:NAME=VALUE, stage:cold|warm. */
static int parse_arm(const char *spec, struct run_arm *a)
{
	memset(a, 0, sizeof *a);
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		return error_setc(GVAB_EUSAGE, "--arm '%s': expected NAME=RUNSC[,ITEM...]", spec);
	a->name = util_fmt("%.*s", (int)(eq - spec), spec);
	int rc = run_arm_check_name(spec, a->name);
	if (rc < 0)
		return rc;
	char *rest = util_xstrdup(eq + 1), *save = NULL;
	char *tok = strtok_r(rest, ",", &save);
	a->runsc = util_xstrdup(tok);
	a->stage = ARM_STAGE_RUN;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (strcmp(tok, "stage:cold") == 0 || strcmp(tok, "stage:warm") == 0) {
			a->stage = tok[6] == 'c' ? ARM_STAGE_COLD : ARM_STAGE_WARM;
			continue;
		}
		if (strncmp(tok, "env:", 4) == 0) {
			if ((rc = parse_env_item(a, tok + 4)) < 0)
				break;
			continue;
		}
		if (strncmp(tok, "knob:", 5) == 0) {
			if (a->nknobs == RUN_MAX_ARM_KNOBS) {
				rc = error_setc(GVAB_EUSAGE, "--arm %s: at most %d knobs", a->name, RUN_MAX_ARM_KNOBS);
				break;
			}
			if ((rc = knobs_parse_setting(tok + 5, a->knob_name[a->nknobs], 32,
			                              a->knob_value[a->nknobs], 64)) < 0)
				break;
			a->nknobs++;
			continue;
		}
		if (tok[0] != '-') {
			rc = error_setc(GVAB_EUSAGE, "--arm %s: item '%s' is neither a --flag, knob:N=V, "
			                             "env:N=V nor stage:cold|warm",
			                a->name, tok);
			break;
		}
		if (a->nflags + 2 >= RUN_MAX_ITEMS) {
			rc = error_setc(GVAB_EUSAGE, "--arm %s: too many flags", a->name);
			break;
		}
		a->flags[a->nflags++] = util_xstrdup(tok);
	}
	free(rest);
	if (rc == 0)
		run_arm_default_flags(a);
	return rc;
}

/* One option's value into the spec; 0 or an error code. */
static int take(struct run_spec *s, int id, const char *arg)
{
	long v;
	int rc = 0;
	switch (id) {
	case O_ARM:
		if (s->narms == RUN_MAX_ARMS)
			return error_setc(GVAB_EUSAGE, "at most %d arms", RUN_MAX_ARMS);
		rc = parse_arm(arg, &s->arms[s->narms]);
		s->narms++; /* freed by run_spec_free even when half parsed */
		return rc;
	case O_OUT: s->out_dir = arg; return 0;
	case O_BUNDLE: s->bundle = arg; return 0;
	case O_ITER: return util_parse_long(arg, 1, 1000000, "--iterations", &s->iterations);
	case O_WARMUPS: return util_parse_long(arg, 0, 100000, "--warmups", &s->warmups);
	case O_ORDER: return schedule_parse_order(arg, &s->order);
	case O_SEED: {
		char *end;
		errno = 0;
		s->seed = strtoull(arg, &end, 10);
		if (errno || *end || end == arg)
			return error_setc(GVAB_EUSAGE, "--seed: '%s' is not a whole number", arg);
		s->have_seed = 1;
		return 0;
	}
	case O_SET:
		if (s->nset == RUN_MAX_SET)
			return error_setc(GVAB_EUSAGE, "at most %d --set", RUN_MAX_SET);
		if ((rc = knobs_parse_setting(arg, s->set_name[s->nset], 32, s->set_value[s->nset], 64)) < 0)
			return rc;
		s->nset++;
		return 0;
	case O_DROP: s->drop = 1; return 0;
	case O_SETTLE: return util_parse_long(arg, 0, 60000, "--settle-ms", &s->settle_ms);
	case O_PLACEMENT:
		if (strchr(arg, ':'))
			return error_setc(GVAB_EUSAGE, "--cpu-placement: '%s' is not shared, one or split", arg);
		return run_placement_parse(arg, &s->placement);
	case O_TIMEOUT: return util_parse_long(arg, 100, 3600000, "--timeout-ms", &s->timeout_ms);
	case O_CLEANUP: return util_parse_long(arg, 100, 3600000, "--cleanup-timeout-ms", &s->cleanup_ms);
	case O_MAXFAIL: return util_parse_long(arg, 1, 1000000, "--max-failures", &s->max_fail);
	case O_EXPECT:
		if ((rc = util_parse_long(arg, 0, 255, "--expect-exit", &v)) == 0)
			s->expect_exit = v;
		return rc;
	case O_PHASES: s->phases = 1; return 0;
	case O_INITTRACE: s->inittrace = 1; return 0;
	case O_SYSCALLS: s->syscalls = 1; return 0;
	case O_COUNTERS:
		if (strcmp(arg, "hw") != 0)
			return error_setc(GVAB_EUSAGE, "--counters: '%s' is not hw", arg);
		s->hw_counters = 1;
		return 0;
	case O_LABEL: s->label = arg; return 0;
	case O_META:
		if (s->nmeta == RUN_MAX_META || !strchr(arg, '='))
			return error_setc(GVAB_EUSAGE, "--meta '%s': expected KEY=VALUE (at most %d)", arg,
			                  RUN_MAX_META);
		s->meta[s->nmeta++] = arg;
		return 0;
	case O_WARMPOOL: return util_parse_long(arg, 1, 1000000, "--warm-pool", &s->warm_k);
	case O_APPEND: s->append = 1; return 0;
	case O_WORKLOAD: s->workload = arg; return 0;
	case O_COLD: s->cold = 1; return 0;
	case O_MEMORY:
		s->memory_k = 3;
		return arg ? util_parse_long(arg, 1, 64, "--memory", &s->memory_k) : 0;
	case O_QUIET: s->quiet = 1; return 0;
	}
	return 0;
}

int run_spec_parse(int argc, char **argv, struct run_spec *s)
{
	run_spec_init(s);
	s->argc = argc;
	s->argv = argv;
	struct opt_parser p;
	opt_init(&p, &run_cmd, argc, argv);
	int rc = 0;
	for (int id; (id = opt_next(&p)) > 0;)
		if ((rc = take(s, id, p.arg)) < 0) {
			opt_free(&p);
			return rc;
		}
	if (p.status != OPT_DONE)
		return opt_exit(&p) == 0 ? RUN_SPEC_HELP : RUN_SPEC_REPORTED;
	if (p.ind < argc)
		return error_setc(GVAB_EUSAGE, "unexpected argument '%s'", argv[p.ind]);
	if (s->narms < 2)
		return error_setc(GVAB_EUSAGE, "need at least two --arm (A/B; for A/A give the same "
		                               "runsc twice under two names)");
	for (size_t i = 0; i < s->narms; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->arms[i].name, s->arms[j].name) == 0)
				return error_setc(GVAB_EUSAGE, "arm name '%s' given twice", s->arms[i].name);
	return 0;
}
