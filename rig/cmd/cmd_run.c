/* cmd_run: `gvab run`, the measuring instrument: interleaved cold boots of
 * one bundle under two or more runsc arms, written to a run directory
 * (run.json + samples.jsonl, see samples.h and README "Run directory").
 *
 * Invariants: every host knob changed is journaled first and put back on
 * every exit path (success, error, SIGINT/SIGTERM/SIGHUP, a closed output
 * pipe); each boot runs with its arm's knobs and every other knob at the
 * run's value; each attempt is on disk before the next boot starts, and a
 * line that could not be written whole is cut off again; a failed attempt
 * is recorded and never counted. One run at a time writes a run directory
 * (flock on it), and --append adds a chunk only to a run with the same
 * arms, binaries and settings, keeping the earlier chunks' description.
 */
#define _GNU_SOURCE
#include "answer.h"
#include "boot.h"
#include "bundle.h"
#include "cmds.h"
#include "error.h"
#include "hostfacts.h"
#include "instrument.h"
#include "knobs.h"
#include "proc.h"
#include "samples.h"
#include "schedule.h"
#include "syscount.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"--arm NAME=RUNSC[,ITEM...] --arm NAME=RUNSC[,ITEM...] [options]\n"
	"\n"
	"Interleaves cold boots (create, start, wait, delete) of one bundle under two or\n"
	"more runsc binaries and writes run.json + samples.jsonl into the run directory.\n"
	"An ITEM is a runsc flag (e.g. --platform=systrap), stage:cold or stage:warm\n"
	"(that arm's boots cold or warm whatever --cold says), or a host knob for that arm's\n"
	"boots, knob:NAME=VALUE (knobs: rcu_expedited, thp_enabled, thp_defrag,\n"
	"thp_shmem_enabled). Without --platform/--network items a runsc arm gets\n"
	"--platform=systrap and --network=none; an arm whose binary is not named *runsc*\n"
	"(runc as a baseline, say) gets no default flags.\n"
	"\n"
	"  --out DIR            run directory (default: results/run-<time>)\n"
	"  --bundle DIR         OCI bundle from gvab bundle (default: build/bundle)\n"
	"  --iterations N       measured boots per arm (default 50)\n"
	"  --warmups N          discarded warm-up boots per arm (default 5)\n"
	"  --order ORDER        alternate | abba | latin | random (default abba); latin:\n"
	"                       every arm leads equally often, also with 3+ arms\n"
	"  --seed N             seed for --order random (default: from the clock; recorded)\n"
	"  --set NAME=VALUE     set a host knob for the whole run (put back afterwards)\n"
	"  --drop-caches        drop the page cache before every measured boot\n"
	"  --timeout-ms N       per-phase timeout (default 30000)\n"
	"  --max-failures N     stop after N consecutive failed boots (default 3)\n"
	"  --expect-exit N      container exit status that counts as success (default 0)\n"
	"  --phases             instrumented run: runsc --debug --debug-log; internal phase\n"
	"                       markers (ms after the boot's first log line) per sample\n"
	"  --inittrace          instrumented run: GODEBUG=inittrace=1 for every runsc\n"
	"                       process; per-package init ms summed per boot, per sample\n"
	"  --syscalls           instrumented run: membarrier calls per boot, all and\n"
	"                       REGISTER_PRIVATE_EXPEDITED, counted host-wide with the\n"
	"                       syscalls:sys_enter_membarrier tracepoint (perf events)\n"
	"  --warm-pool K        after the cold boots, boot one sandbox per arm running\n"
	"                       `sleep`, then time K `runsc exec` of the workload in each\n"
	"                       (2 warm-up execs per arm discarded); reported beside CORE\n"
	"  --workload MODE[:ARG:...]  boot the bundle's gvab-workload (gvab bundle --workload)\n"
	"                       instead of its args: true, spin:N, statwalk:/walk:N or idle;\n"
	"                       samples carry the workload's own time of its hot loop\n"
	"  --cold               cold start: every boot gets a fresh copy of the rootfs and\n"
	"                       the page cache is dropped before it (root; best effort,\n"
	"                       recorded in run.json); without it boots reuse the cached\n"
	"                       rootfs (warm)\n"
	"  --memory[=K]         memory per sandbox: with the workload idle, sample RSS and\n"
	"                       PSS of every process of the sandbox tree and its cgroup K\n"
	"                       times (default 3) after start, then stop it\n"
	"  --label TEXT         the host's label in reports (default: its hostname)\n"
	"  --meta KEY=VALUE     extra host metadata for run.json (sku, notes, ...)\n"
	"  --cleanup-timeout-ms N\n"
	"                       limit for `runsc delete --force` after a failed or\n"
	"                       interrupted boot (default 10000)\n"
	"  --append             add a chunk to an existing run directory (same arms,\n"
	"                       binaries and settings); run.json keeps every chunk\n"
	"  -q, --quiet          no progress line\n"
	"\n"
	"Exit: 0 complete, 1 stopped by failures, 64 usage, 65 invalid input,\n"
	"69 precondition (runsc or bundle missing, another run owns the knobs or\n"
	"writes the run directory),\n"
	"130 interrupted (samples kept, knobs restored).\n"
	"\n"
	"examples:\n"
	"  gvab run --out results/ab --arm stock=build/arms/stock/runsc --arm patched=build/arms/patched/runsc\n"
	"  gvab run --set rcu_expedited=0 --iterations 60 --order latin --arm a=A/runsc --arm b=B/runsc \\\n"
	"      --arm runc=/usr/sbin/runc\n"
	"  gvab run --bundle build/bundle-workload --memory --arm stock=... --arm lazy=...,knob:thp_enabled=never\n";

#define MAX_ARMS 16
#define MAX_ITEMS 32

struct arm {
	char *name;
	char *runsc;
	char *flags[MAX_ITEMS];
	size_t nflags;
	char knob_name[4][32];
	char knob_value[4][64];
	size_t nknobs;
	int stage;      /* -1: the run's --cold setting; 0: warm; 1: cold (item stage:cold|warm) */
};

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int parse_arm(const char *spec, struct arm *a)
{
	memset(a, 0, sizeof *a);
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		return error_setc(GVAB_EUSAGE, "--arm '%s': expected NAME=RUNSC[,ITEM...]", spec);
	a->name = util_fmt("%.*s", (int)(eq - spec), spec);
	for (const char *p = a->name; *p; p++)
		if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return error_setc(GVAB_EUSAGE, "--arm '%s': name may hold only letters, digits, "
			                               "'-', '_' and '.'", spec);
	char *rest = util_xstrdup(eq + 1), *save = NULL;
	int have_platform = 0, have_network = 0, rc = 0;
	char *tok = strtok_r(rest, ",", &save);
	a->runsc = util_xstrdup(tok);
	a->stage = -1;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (strcmp(tok, "stage:cold") == 0 || strcmp(tok, "stage:warm") == 0) {
			a->stage = tok[6] == 'c';
			continue;
		}
		if (strncmp(tok, "knob:", 5) == 0) {
			if (a->nknobs == 4) {
				rc = error_setc(GVAB_EUSAGE, "--arm %s: at most 4 knobs", a->name);
				break;
			}
			if ((rc = knobs_parse_setting(tok + 5, a->knob_name[a->nknobs], 32,
			                              a->knob_value[a->nknobs], 64)) < 0)
				break;
			a->nknobs++;
			continue;
		}
		if (tok[0] != '-') {
			rc = error_setc(GVAB_EUSAGE, "--arm %s: item '%s' is neither a --flag, knob:N=V nor "
			                             "stage:cold|warm",
			                a->name, tok);
			break;
		}
		if (a->nflags + 2 >= MAX_ITEMS) {
			rc = error_setc(GVAB_EUSAGE, "--arm %s: too many flags", a->name);
			break;
		}
		have_platform |= strncmp(tok, "--platform", 10) == 0;
		have_network |= strncmp(tok, "--network", 9) == 0;
		a->flags[a->nflags++] = util_xstrdup(tok);
	}
	free(rest);
	/* Only runsc takes these; a baseline arm (runc, crun) gets no defaults. */
	const char *bn = strrchr(a->runsc, '/');
	int is_runsc = strstr(bn ? bn + 1 : a->runsc, "runsc") != NULL;
	if (rc == 0 && is_runsc && !have_platform)
		a->flags[a->nflags++] = util_xstrdup("--platform=systrap");
	if (rc == 0 && is_runsc && !have_network)
		a->flags[a->nflags++] = util_xstrdup("--network=none");
	return rc;
}

static void free_arm(struct arm *a)
{
	free(a->name);
	free(a->runsc);
	for (size_t i = 0; i < a->nflags; i++)
		free(a->flags[i]);
}

static cJSON *arm_json(const struct arm *a)
{
	cJSON *o = cJSON_CreateObject();
	char real[PATH_MAX], hex[65];
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "runsc", realpath(a->runsc, real) ? real : a->runsc);
	if (util_sha256_file(a->runsc, hex) == 0)
		cJSON_AddStringToObject(o, "sha256", hex);
	char *out = NULL;
	int st;
	char *argv[] = {a->runsc, "--version", NULL};
	if (proc_run_capture(argv, NULL, NULL, &out, &st) == 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0) {
		out[strcspn(out, "\n")] = '\0';
		cJSON_AddStringToObject(o, "version", out);
	}
	free(out);
	cJSON *fl = cJSON_AddArrayToObject(o, "flags");
	for (size_t i = 0; i < a->nflags; i++)
		cJSON_AddItemToArray(fl, cJSON_CreateString(a->flags[i]));
	cJSON *kn = cJSON_AddObjectToObject(o, "knobs");
	for (size_t i = 0; i < a->nknobs; i++)
		cJSON_AddStringToObject(kn, a->knob_name[i], a->knob_value[i]);
	if (a->stage >= 0)
		cJSON_AddStringToObject(o, "stage", a->stage ? "cold" : "warm");
	/* Provenance written by gvab build, when the binary came from it. */
	char *dir = util_xstrdup(real);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		char *pp = util_fmt("%s/provenance.json", dir);
		if (util_path_exists(pp)) {
			cJSON *prov = util_json_load(pp);
			if (prov)
				cJSON_AddItemToObject(o, "provenance", prov);
		}
		free(pp);
	}
	free(dir);
	return o;
}

/* Bytes kept free in the run directory (a preallocated file) for the
 * closing run.json: a run.json with two arms and host facts is about 6 KB,
 * so a full disk can still record how and why the run ended. */
#define RUN_RESERVE_BYTES (64 * 1024)

/* --append adds to a run only what it could have measured itself: the
 * same arms (names, binaries by sha256, flags, knobs), bundle and
 * settings. Returns the first thing that differs, or NULL. */
static const char *append_mismatch(const cJSON *old, const cJSON *fresh)
{
	static const char *const same[] = {"bundle", "settings", "order", "expect_exit", "drop_caches",
	                                   "phases", "inittrace", "syscalls", NULL};
	static char what[128];
	for (size_t i = 0; same[i]; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, same[i]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(fresh, same[i]);
		if (!a || !cJSON_Compare(a, b, 1)) {
			snprintf(what, sizeof what, "'%s'", same[i]);
			return what;
		}
	}
	const cJSON *oa = cJSON_GetObjectItemCaseSensitive(old, "arms");
	const cJSON *fa = cJSON_GetObjectItemCaseSensitive(fresh, "arms");
	if (!cJSON_IsArray(oa) || cJSON_GetArraySize(oa) != cJSON_GetArraySize(fa))
		return "the number of arms";
	static const char *const arm_same[] = {"name", "sha256", "flags", "knobs", NULL};
	for (int i = 0; i < cJSON_GetArraySize(fa); i++) {
		const cJSON *x = cJSON_GetArrayItem(oa, i), *y = cJSON_GetArrayItem(fa, i);
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(y, "name");
		for (size_t k = 0; arm_same[k]; k++) {
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(x, arm_same[k]);
			const cJSON *b = cJSON_GetObjectItemCaseSensitive(y, arm_same[k]);
			if (!a || !cJSON_Compare(a, b, 1)) {
				snprintf(what, sizeof what, "arm %d (%s): '%s'", i + 1,
				         cJSON_IsString(name) ? name->valuestring : "?", arm_same[k]);
				return what;
			}
		}
	}
	return NULL;
}

/* run.json's "chunks": one entry per invocation that wrote to the run. A
 * run.json from before chunks existed gets its first chunk from its own
 * top-level fields. */
static cJSON *run_chunks(cJSON *run)
{
	cJSON *chunks = cJSON_GetObjectItemCaseSensitive(run, "chunks");
	if (cJSON_IsArray(chunks))
		return chunks;
	cJSON_DeleteItemFromObjectCaseSensitive(run, "chunks");
	chunks = cJSON_AddArrayToObject(run, "chunks");
	cJSON *first = cJSON_CreateObject();
	static const char *const keep[] = {"command", "started_at", "ended_at", "seed", "warmups",
	                                   "iterations", "warm_pool_execs", "status", "attempts",
	                                   "measured_ok", "failures", "error", NULL};
	for (size_t i = 0; keep[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, keep[i]);
		if (v)
			cJSON_AddItemToObject(first, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON_AddItemToArray(chunks, first);
	return chunks;
}

/* Adds n to the number run[key] (missing: 0). */
static void run_add_count(cJSON *run, const char *key, int n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, key);
	double total = (cJSON_IsNumber(v) ? v->valuedouble : 0) + n;
	cJSON_DeleteItemFromObjectCaseSensitive(run, key);
	cJSON_AddNumberToObject(run, key, total);
}

/* Replaces (or adds) run[key]. */
static void run_put(cJSON *o, const char *key, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, v);
}

/* samples_append, and on failure (a full disk, say) the file cut back to
 * its last whole line, so a later --append or report can read it, and an
 * error that names the file. */
static int append_sample(struct samples_writer *sw, const char *path, int seq, const char *arm,
                         int round, int warmup, const char *id, int64_t t_ns,
                         const struct boot_result *r, const cJSON *extra)
{
	off_t end = lseek(sw->fd, 0, SEEK_END);
	int rc = samples_append(sw, seq, arm, round, warmup, id, t_ns, r, extra);
	if (rc < 0) {
		if (end >= 0 && ftruncate(sw->fd, end) < 0)
			return error_wrap(rc, "%s (and cutting its torn last line: %s)", path,
			                  strerror(errno));
		return error_wrap(rc, "%s", path);
	}
	return 0;
}

static int drop_caches(void)
{
	/* sync first so dirty pages can be dropped; /proc needs a plain write. */
	sync();
	FILE *f = fopen("/proc/sys/vm/drop_caches", "we");
	if (!f)
		return error_set("/proc/sys/vm/drop_caches: %s", strerror(errno));
	fputs("3", f);
	if (fclose(f) != 0)
		return error_set("/proc/sys/vm/drop_caches: %s", strerror(errno));
	return 0;
}

/* A cold boot's bundle: a fresh copy of the rootfs (followed if the bundle
 * links a user rootfs), bundle.json, and config.json for `args` (NULL: the
 * bundle's own args from bundle.json). */
static int stage_cold(const char *bundle_dir, char *const *args, const char *stage)
{
	char *src = util_fmt("%s/rootfs", bundle_dir), *dst = util_fmt("%s/rootfs", stage);
	char *meta_src = util_fmt("%s/bundle.json", bundle_dir), *meta_dst = util_fmt("%s/bundle.json", stage);
	char real[PATH_MAX];
	char **own = NULL;
	cJSON *meta = NULL;
	int rc = util_mkdir_p(stage, 0755);
	if (rc == 0 && !realpath(src, real))
		rc = error_set("%s: %s", src, strerror(errno));
	if (rc == 0)
		rc = util_copy_tree(real, dst);
	if (rc == 0)
		rc = util_copy_file(meta_src, meta_dst, 0644);
	if (rc == 0 && !args) {
		meta = util_json_load(meta_src);
		const cJSON *a = meta ? cJSON_GetObjectItemCaseSensitive(meta, "args") : NULL, *e;
		size_t n = 0;
		own = util_xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *own);
		cJSON_ArrayForEach(e, a) if (cJSON_IsString(e)) own[n++] = e->valuestring;
		if (n == 0)
			rc = error_setc(GVAB_EDATA, "%s: field args: expected the container's argv", meta_src);
		args = own;
	}
	if (rc == 0)
		rc = bundle_write_config(stage, stage, args);
	cJSON_Delete(meta);
	free(own);
	free(src);
	free(dst);
	free(meta_src);
	free(meta_dst);
	if (rc < 0)
		error_wrap(rc, "--cold: staging %s", stage);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"arm", required_argument, 0, 'a'},        {"out", required_argument, 0, 'o'},
		{"bundle", required_argument, 0, 'b'},     {"iterations", required_argument, 0, 'n'},
		{"warmups", required_argument, 0, 'w'},    {"order", required_argument, 0, 'O'},
		{"seed", required_argument, 0, 'S'},       {"set", required_argument, 0, 's'},
		{"drop-caches", no_argument, 0, 'D'},      {"timeout-ms", required_argument, 0, 't'},
		{"max-failures", required_argument, 0, 'F'}, {"expect-exit", required_argument, 0, 'e'},
		{"phases", no_argument, 0, 'P'},           {"append", no_argument, 0, 'A'},
		{"inittrace", no_argument, 0, 'I'},       {"warm-pool", required_argument, 0, 'W'},
		{"syscalls", no_argument, 0, 'Y'},        {"label", required_argument, 0, 'L'},
		{"meta", required_argument, 0, 'M'},      {"cleanup-timeout-ms", required_argument, 0, 'C'},
		{"quiet", no_argument, 0, 'q'},            {"help", no_argument, 0, 'h'},
		{"workload", required_argument, 0, 'K'},  {"memory", optional_argument, 0, 'm'},
		{"cold", no_argument, 0, 'c'},
		{0, 0, 0, 0}};
	struct arm arms[MAX_ARMS];
	const char *workload = NULL;
	long memory_k = 0;
	int cold = 0, cold_drop_ok = 1;
	char *wl_words[16] = {0};
	char *wl_buf = NULL, *wl_dir = NULL;
	size_t narms = 0;
	char set_name[8][32], set_value[8][64];
	size_t nset = 0;
	const char *out_dir = NULL, *bundle = "build/bundle";
	long iterations = 50, warmups = 5, timeout_ms = 30000, max_fail = 3, expect_exit = 0;
	long cleanup_ms = 10000;
	long warm_k = 0;
	const char *label = NULL;
	const char *meta[16];
	int nmeta = 0;
	uint64_t seed = 0;
	int have_seed = 0, drop = 0, phases = 0, inittrace = 0, syscalls = 0, append = 0, quiet = 0;
	int c, rc = 0;
	struct syscount sc_reg = {.n = 0}, sc_all = {.n = 0};
	enum schedule_order order = ORDER_ABBA;
	char *gen_out = NULL;

	/* `gvab run | head`: a closed pipe must not kill gvab with knobs
	 * changed and a sandbox up. Writes then fail with EPIPE, and progress
	 * stops (see below); the run itself goes on. Children get the default
	 * disposition back (proc_spawn resets every signal). */
	signal(SIGPIPE, SIG_IGN);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		long v;
		switch (c) {
		case 'a':
			if (narms == MAX_ARMS) {
				rc = error_setc(GVAB_EUSAGE, "at most %d arms", MAX_ARMS);
				goto usage_fail;
			}
			if ((rc = parse_arm(optarg, &arms[narms])) < 0) {
				narms++;
				goto usage_fail;
			}
			narms++;
			break;
		case 'o': out_dir = optarg; break;
		case 'b': bundle = optarg; break;
		case 'n':
			if ((rc = util_parse_long(optarg, 1, 1000000, "--iterations", &iterations)) < 0)
				goto usage_fail;
			break;
		case 'w':
			if ((rc = util_parse_long(optarg, 0, 100000, "--warmups", &warmups)) < 0)
				goto usage_fail;
			break;
		case 'O':
			if ((rc = schedule_parse_order(optarg, &order)) < 0)
				goto usage_fail;
			break;
		case 'S': {
			char *end;
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				rc = error_setc(GVAB_EUSAGE, "--seed: '%s' is not a whole number", optarg);
				goto usage_fail;
			}
			have_seed = 1;
			break;
		}
		case 's':
			if (nset == 8) {
				rc = error_setc(GVAB_EUSAGE, "at most 8 --set");
				goto usage_fail;
			}
			if ((rc = knobs_parse_setting(optarg, set_name[nset], 32, set_value[nset], 64)) < 0)
				goto usage_fail;
			nset++;
			break;
		case 'D': drop = 1; break;
		case 't':
			if ((rc = util_parse_long(optarg, 100, 3600000, "--timeout-ms", &timeout_ms)) < 0)
				goto usage_fail;
			break;
		case 'C':
			if ((rc = util_parse_long(optarg, 100, 3600000, "--cleanup-timeout-ms", &cleanup_ms)) < 0)
				goto usage_fail;
			break;
		case 'F':
			if ((rc = util_parse_long(optarg, 1, 1000000, "--max-failures", &max_fail)) < 0)
				goto usage_fail;
			break;
		case 'e':
			if ((rc = util_parse_long(optarg, 0, 255, "--expect-exit", &v)) < 0)
				goto usage_fail;
			expect_exit = v;
			break;
		case 'P': phases = 1; break;
		case 'I': inittrace = 1; break;
		case 'Y': syscalls = 1; break;
		case 'L': label = optarg; break;
		case 'M':
			if (nmeta == 16 || !strchr(optarg, '=')) {
				rc = error_setc(GVAB_EUSAGE, "--meta '%s': expected KEY=VALUE (at most 16)", optarg);
				goto usage_fail;
			}
			meta[nmeta++] = optarg;
			break;
		case 'W':
			if ((rc = util_parse_long(optarg, 1, 1000000, "--warm-pool", &warm_k)) < 0)
				goto usage_fail;
			break;
		case 'A': append = 1; break;
		case 'K': workload = optarg; break;
		case 'c': cold = 1; break;
		case 'm':
			memory_k = 3;
			if (optarg && (rc = util_parse_long(optarg, 1, 64, "--memory", &memory_k)) < 0)
				goto usage_fail;
			break;
		case 'q': quiet = 1; break;
		case 'h': cmds_usage("run", usage_text); return 0;
		default: /* getopt named the option */
			rc = error_setc(GVAB_EUSAGE, "bad option (see gvab help run)");
			goto done;
		}
	}
	if (optind < argc) {
		rc = error_setc(GVAB_EUSAGE, "unexpected argument '%s'", argv[optind]);
		goto usage_fail;
	}
	if (narms < 2) {
		rc = error_setc(GVAB_EUSAGE, "need at least two --arm (A/B; for A/A give the same "
		                             "runsc twice under two names)");
		goto usage_fail;
	}
	for (size_t i = 0; i < narms; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(arms[i].name, arms[j].name) == 0) {
				rc = error_setc(GVAB_EUSAGE, "arm name '%s' given twice", arms[i].name);
				goto usage_fail;
			}

	for (size_t i = 0; i < narms; i++)
		if (access(arms[i].runsc, X_OK) != 0) {
			rc = error_setc(GVAB_EPRECOND, "arm %s: runsc '%s' is not an executable file",
			                arms[i].name, arms[i].runsc);
			goto fail;
		}
	cJSON *bmeta = bundle_load_meta(bundle);
	if (!bmeta) {
		rc = GVAB_EPRECOND;
		goto fail;
	}
	char bundle_real[PATH_MAX];
	if (!realpath(bundle, bundle_real)) {
		cJSON_Delete(bmeta);
		rc = error_setc(GVAB_EPRECOND, "bundle %s: %s", bundle, strerror(errno));
		goto fail;
	}
	if (workload || memory_k) {
		/* The workload runs instead of the bundle's args: MODE[:ARG...]
		 * becomes /bin/gvab-workload MODE ARG...; --memory needs it idle. */
		if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(bmeta, "workload"))) {
			cJSON_Delete(bmeta);
			rc = error_setc(GVAB_EPRECOND, "bundle %s has no gvab-workload (make it with gvab bundle "
			                               "--workload)", bundle);
			goto fail;
		}
		if (workload && memory_k && strcmp(workload, "idle") != 0) {
			cJSON_Delete(bmeta);
			rc = error_setc(GVAB_EUSAGE, "--memory samples an idle sandbox: drop --workload %s "
			                             "(or give --workload idle)", workload);
			goto fail;
		}
		wl_buf = util_xstrdup(workload ? workload : "idle");
		int nw = 0;
		wl_words[nw++] = "/bin/gvab-workload";
		for (char *save = NULL, *t = strtok_r(wl_buf, ":", &save); t && nw < 15;
		     t = strtok_r(NULL, ":", &save))
			wl_words[nw++] = t;
		wl_words[nw] = NULL;
		static const char *const modes[] = {"true", "spin", "statwalk", "idle"};
		int known = 0;
		for (size_t i = 0; i < 4; i++)
			known |= nw > 1 && strcmp(wl_words[1], modes[i]) == 0;
		if (!known) {
			cJSON_Delete(bmeta);
			rc = error_setc(GVAB_EUSAGE, "--workload %s: want true, spin:N, statwalk:DIR:N or idle",
			                workload);
			goto fail;
		}
	}
	if (!have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
	}
	if (!out_dir) {
		char when[32];
		util_utc_now(when, sizeof when);
		for (char *p = when; *p; p++)
			if (*p == ':')
				*p = '-';
		out_dir = gen_out = util_fmt("results/run-%s", when);
	}

	char *samples_path = util_fmt("%s/samples.jsonl", out_dir);
	char *run_path = util_fmt("%s/run.json", out_dir);
	struct boot_state bstate = {.dir = NULL, .fd = -1};
	const char *state_dir = NULL;
	char *reserve_path = util_fmt("%s/.gvab-reserve", out_dir);
	int out_fd = -1;
	cJSON *chunk = NULL;
	/* Knobs some arm sets for its own boots, and the value each has for
	 * the other arms' boots: --set's, else the value before the run. */
	char arm_knob[KNOBS_MAX][32], arm_knob_base[KNOBS_MAX][128];
	size_t narm_knobs = 0;
	char *log_dir = util_fmt("%s/logs", out_dir);
	/* Init traces of the gofer and sandbox only reach their debug logs. */
	char *dbg_dir = (phases || inittrace) ? util_fmt("%s/debug-logs", out_dir) : NULL;
	char **envp = NULL;
	cJSON *run = NULL, *before = NULL, *old_run = NULL;
	struct schedule_slot *slots = NULL;
	size_t nslots = 0;
	struct knobs knobs;
	struct samples_writer sw = {.fd = -1};
	int seq0 = 0, round0 = 0, attempts = 0, ok_count = 0, failures = 0, consecutive = 0;
	int stopped_by_failures = 0;
	knobs_init(&knobs);

	/* Knobs first: whoever owns them is decided before anything is read
	 * or written (a killed run's journal is put back on the way). A run
	 * that changes no knob does not need them, and does not wait for a run
	 * that does. */
	{
		int need_knobs = nset > 0;
		for (size_t i = 0; i < narms; i++)
			need_knobs |= arms[i].nknobs > 0;
		int restored = need_knobs ? knobs_acquire(&knobs) : knobs_recover_stale();
		if (restored == GVAB_EPRECOND && !need_knobs)
			restored = 0;
		if (restored < 0) {
			rc = restored;
			goto run_out;
		}
		if (restored > 0)
			fprintf(stderr, "gvab: restored %d host knob(s) left changed by a killed run\n",
			        restored);
		int cleaned = boot_recover_stale();
		if (cleaned > 0)
			fprintf(stderr, "gvab: cleaned up %d sandbox(es) left by a killed run\n", cleaned);
	}
	for (size_t i = 0; i < narms; i++)
		for (size_t j = 0; j < arms[i].nknobs; j++) {
			size_t m;
			for (m = 0; m < narm_knobs; m++)
				if (strcmp(arm_knob[m], arms[i].knob_name[j]) == 0)
					break;
			if (m < narm_knobs)
				continue;
			if (narm_knobs == KNOBS_MAX) {
				rc = error_setc(GVAB_EUSAGE, "at most %d different per-arm knobs", KNOBS_MAX);
				goto run_out;
			}
			snprintf(arm_knob[m], sizeof arm_knob[m], "%s", arms[i].knob_name[j]);
			const char *base = NULL;
			for (size_t k = 0; k < nset; k++)
				if (strcmp(set_name[k], arm_knob[m]) == 0)
					base = set_value[k];
			if (base)
				snprintf(arm_knob_base[m], sizeof arm_knob_base[m], "%.127s", base);
			else if ((rc = knobs_read(arm_knob[m], arm_knob_base[m], sizeof arm_knob_base[m])) < 0)
				goto run_out;
			narm_knobs++;
		}

	/* Preconditions that need no output come first, so a run that cannot
	 * start leaves no half-written run directory behind.
	 * MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED == 16 (linux/membarrier.h) */
	if (syscalls && ((rc = syscount_open(&sc_reg, "syscalls/sys_enter_membarrier", "cmd == 16")) < 0 ||
	                 (rc = syscount_open(&sc_all, "syscalls/sys_enter_membarrier", NULL)) < 0))
		goto run_out;
	if ((rc = util_mkdir_p(out_dir, 0755)) < 0)
		goto run_out;
	/* One writer per run directory: a second run with the same --out
	 * would interleave sequence numbers and overwrite run.json. */
	out_fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out_fd < 0) {
		rc = error_set("%s: %s", out_dir, strerror(errno));
		goto run_out;
	}
	if (flock(out_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = error_setc(GVAB_EPRECOND, "another gvab run is writing %s (use another --out)",
		                out_dir);
		goto run_out;
	}
	{
		struct stat st;
		if (stat(samples_path, &st) == 0 && st.st_size > 0) {
			if (!append) {
				rc = error_setc(GVAB_EUSAGE, "%s already has samples (use --append to add to it, "
				                             "or another --out)", out_dir);
				goto run_out;
			}
			struct samples_file old;
			if ((rc = samples_load(samples_path, NULL, 0, &old)) < 0)
				goto run_out;
			for (size_t i = 0; i < old.n; i++) {
				if (old.s[i].seq >= seq0)
					seq0 = old.s[i].seq + 1;
				/* Appended rounds continue the numbering, so that the
				 * paired analysis never pairs boots of different runs. */
				if (!old.s[i].warmup && !old.s[i].kind && old.s[i].round >= round0)
					round0 = old.s[i].round + 1;
			}
			samples_free(&old);
		}
	}
	if (append && util_path_exists(run_path)) {
		old_run = util_json_load(run_path);
		if (!old_run) {
			rc = error_wrap(GVAB_EDATA, "--append");
			goto run_out;
		}
	} else if (append && seq0 > 0) {
		rc = error_setc(GVAB_EDATA, "--append: %s has samples but no run.json", out_dir);
		goto run_out;
	}
	/* Space for the closing run.json even when the disk fills up during
	 * the run: released just before that write. */
	{
		int fd = open(reserve_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = fd < 0 ? errno : posix_fallocate(fd, 0, RUN_RESERVE_BYTES);
		if (fd >= 0)
			close(fd);
		if (e) {
			unlink(reserve_path);
			rc = error_set("%s: %s", reserve_path, strerror(e));
			goto run_out;
		}
	}
	if ((rc = samples_open(&sw, samples_path)) < 0)
		goto run_out;
	if (wl_buf) {
		wl_dir = util_fmt("%s/workload-bundle", out_dir);
		if ((rc = util_mkdir_p(wl_dir, 0755)) < 0 ||
		    (rc = bundle_write_config(wl_dir, bundle_real, wl_words)) < 0)
			goto run_out;
	}
	if ((rc = schedule_build((int)narms, (int)warmups, (int)iterations, order, seed, &slots,
	                         &nslots)) < 0)
		goto run_out;
	if ((rc = boot_setup()) < 0)
		goto run_out;
	if ((rc = boot_state_open(&bstate)) < 0)
		goto run_out;
	state_dir = bstate.dir;

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	for (size_t i = 0; i < nset && rc == 0; i++)
		rc = knobs_set(&knobs, set_name[i], set_value[i]);
	if (rc < 0)
		goto run_out;

	before = hostfacts_collect();
	run = cJSON_CreateObject();
	{
		char when[32];
		util_utc_now(when, sizeof when);
		cJSON_AddStringToObject(run, "format", "gvab-run/1");
		cJSON *g = cJSON_AddObjectToObject(run, "gvab");
		cJSON_AddStringToObject(g, "version", GVAB_VERSION);
		cJSON_AddStringToObject(g, "commit", GVAB_COMMIT);
		cJSON *cmd = cJSON_AddArrayToObject(run, "command");
		cJSON_AddItemToArray(cmd, cJSON_CreateString("gvab"));
		for (int i = 0; i < argc; i++)
			cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
		cJSON_AddStringToObject(run, "status", "running");
		if (label)
			cJSON_AddStringToObject(run, "host_label", label);
		cJSON *hm = cJSON_AddObjectToObject(run, "host_meta");
		for (int i = 0; i < nmeta; i++) {
			const char *eq = strchr(meta[i], '=');
			char *k = util_fmt("%.*s", (int)(eq - meta[i]), meta[i]);
			cJSON_AddStringToObject(hm, k, eq + 1);
			free(k);
		}
		cJSON_AddStringToObject(run, "started_at", when);
		cJSON_AddStringToObject(run, "bundle_path", bundle_real);
		cJSON_AddItemToObject(run, "bundle", bmeta);
		bmeta = NULL;
		cJSON_AddStringToObject(run, "order", schedule_order_name(order));
		char seedbuf[32];
		snprintf(seedbuf, sizeof seedbuf, "%llu", (unsigned long long)seed);
		cJSON_AddStringToObject(run, "seed", seedbuf);
		cJSON_AddNumberToObject(run, "warmups", (double)warmups);
		cJSON_AddNumberToObject(run, "iterations", (double)iterations);
		cJSON_AddBoolToObject(run, "drop_caches", drop);
		cJSON_AddBoolToObject(run, "phases", phases);
		cJSON_AddBoolToObject(run, "inittrace", inittrace);
		cJSON_AddBoolToObject(run, "syscalls", syscalls);
		cJSON_AddNumberToObject(run, "warm_pool_execs", (double)warm_k);
		cJSON_AddNumberToObject(run, "expect_exit", (double)expect_exit);
		cJSON_AddBoolToObject(run, "cold", cold);
		if (wl_buf) {
			cJSON *wa = cJSON_AddArrayToObject(run, "workload");
			for (int i = 0; wl_words[i]; i++)
				cJSON_AddItemToArray(wa, cJSON_CreateString(wl_words[i]));
			cJSON_AddNumberToObject(run, "memory_samples", (double)memory_k);
		}
		cJSON *settings = cJSON_AddObjectToObject(run, "settings");
		for (size_t i = 0; i < nset; i++)
			cJSON_AddStringToObject(settings, set_name[i], set_value[i]);
		cJSON *ja = cJSON_AddArrayToObject(run, "arms");
		for (size_t i = 0; i < narms; i++)
			cJSON_AddItemToArray(ja, arm_json(&arms[i]));
		cJSON_AddItemToObject(run, "host", cJSON_Duplicate(before, 1));
		/* This invocation's own part of the run: the whole run when it is
		 * the first, one more chunk when it appends. */
		chunk = cJSON_CreateObject();
		cJSON_AddItemToObject(chunk, "command", cJSON_Duplicate(cmd, 1));
		cJSON_AddStringToObject(chunk, "started_at", when);
		cJSON_AddStringToObject(chunk, "seed", seedbuf);
		cJSON_AddNumberToObject(chunk, "warmups", (double)warmups);
		cJSON_AddNumberToObject(chunk, "iterations", (double)iterations);
		cJSON_AddNumberToObject(chunk, "warm_pool_execs", (double)warm_k);
		cJSON_AddNumberToObject(chunk, "first_seq", seq0);
		cJSON_AddStringToObject(chunk, "status", "running");
		cJSON_AddItemToObject(chunk, "host", cJSON_Duplicate(before, 1));
		if (old_run) {
			const char *diff = append_mismatch(old_run, run);
			if (diff) {
				cJSON_Delete(chunk);
				chunk = NULL;
				cJSON_Delete(run); /* the earlier run.json stays as it is */
				run = NULL;
				rc = error_setc(GVAB_EUSAGE, "--append: %s differs from the run in %s (use another "
				                             "--out)", diff, run_path);
				goto run_out;
			}
			cJSON_Delete(run);
			run = old_run;
			old_run = NULL;
			cJSON *chunks = run_chunks(run);
			cJSON_ReplaceItemInObject(run, "status", cJSON_CreateString("running"));
			cJSON_AddItemToArray(chunks, chunk);
		} else {
			cJSON_AddItemToArray(cJSON_AddArrayToObject(run, "chunks"), chunk);
		}
		if ((rc = util_json_save(run_path, run)) < 0) {
			rc = error_wrap(rc, "saving %s", run_path);
			goto run_out;
		}
	}

	if (inittrace) {
		/* environ plus GODEBUG=inittrace=1 (kept with any GODEBUG given). */
		extern char **environ;
		size_t ne = 0;
		while (environ[ne])
			ne++;
		envp = util_xcalloc(ne + 2, sizeof *envp);
		size_t k = 0;
		const char *gd = getenv("GODEBUG");
		for (size_t i = 0; i < ne; i++)
			if (strncmp(environ[i], "GODEBUG=", 8) != 0)
				envp[k++] = util_xstrdup(environ[i]);
		envp[k++] = gd && *gd ? util_fmt("GODEBUG=%s,inittrace=1", gd) : util_xstrdup("GODEBUG=inittrace=1");
		envp[k] = NULL;
	}
	{
		int tty = util_interactive() && !quiet;
		int64_t t_run0 = util_now_ns();
		double core_last = 0;
		for (size_t k = 0; k < nslots; k++) {
			if (stop_requested)
				break;
			const struct schedule_slot *sl = &slots[k];
			struct arm *a = &arms[sl->arm];
			/* Every per-arm knob, for every boot: this arm's value if
			 * it names the knob, else the run's, so no arm's setting
			 * lingers into another arm's boots. */
			for (size_t m = 0; m < narm_knobs && rc == 0; m++) {
				const char *v = arm_knob_base[m];
				for (size_t i = 0; i < a->nknobs; i++)
					if (strcmp(a->knob_name[i], arm_knob[m]) == 0)
						v = a->knob_value[i];
				rc = knobs_set(&knobs, arm_knob[m], v);
			}
			if (rc < 0)
				goto run_out;
			if (drop && !sl->warmup && (rc = drop_caches()) < 0)
				goto run_out;
			char id[64];
			int seq = seq0 + (int)k;
			snprintf(id, sizeof id, "gvab-%ld-%d", (long)getpid(), seq);
			struct boot_cfg bc = {.runsc = a->runsc, .flags = a->flags, .nflags = a->nflags,
			                      .bundle = wl_dir ? wl_dir : bundle_real, .state_dir = state_dir,
			                      .log_dir = log_dir, .debug_log_dir = dbg_dir,
			                      .timeout_ms = (int)timeout_ms, .expect_exit = (int)expect_exit,
			                      .keep_logs = inittrace, .envp = envp,
			                      .cleanup_timeout_ms = (int)cleanup_ms,
			                      .parse_workload = wl_buf != NULL, .memory_samples = (int)memory_k,
			                      .stop = &stop_requested};
			struct boot_result br;
			int64_t t_rel = util_now_ns() - t_run0;
			if (syscalls && (syscount_start(&sc_reg) < 0 || syscount_start(&sc_all) < 0)) {
				rc = GVAB_EFAIL;
				goto run_out;
			}
			char *stage = NULL;
			if (a->stage == 1 || (a->stage < 0 && cold)) {
				/* A fresh rootfs copy, then an empty page cache: the boot
				 * reads everything from disk. Under the state directory, so
				 * restore removes it should this run be killed. */
				stage = util_fmt("%s/cold-%s", state_dir, id);
				if ((rc = stage_cold(bundle_real, wl_dir ? wl_words : NULL, stage)) < 0) {
					free(stage);
					goto run_out;
				}
				bc.bundle = stage;
				if (drop_caches() < 0 && cold_drop_ok) {
					cold_drop_ok = 0;
					fprintf(stderr, "gvab: run: --cold: %s; boots get fresh copies only\n",
					        error_last());
				}
			}
			int brc = boot_run_once(&bc, id, &br);
			if (stage) {
				util_rm_rf(stage);
				free(stage);
			}
			long long n_reg = -1, n_all = -1;
			if (syscalls && (syscount_stop(&sc_reg, &n_reg) < 0 || syscount_stop(&sc_all, &n_all) < 0)) {
				rc = GVAB_EFAIL;
				goto run_out;
			}
			if (brc < 0 && brc != GVAB_EINTR) {
				rc = brc;
				goto run_out;
			}
			if (brc == GVAB_EINTR && !br.ok)
				break; /* interrupted mid-boot: cleaned up, not an attempt worth keeping */
			cJSON *extra = NULL;
			if (br.ok && syscalls) {
				extra = cJSON_CreateObject();
				cJSON *sy = cJSON_AddObjectToObject(extra, "syscalls");
				cJSON_AddNumberToObject(sy, "membarrier", (double)n_all);
				cJSON_AddNumberToObject(sy, "membarrier_register_private_expedited", (double)n_reg);
			}
			if (br.ok && br.kind == 0) {
				if (!extra)
					extra = cJSON_CreateObject();
				cJSON *cpu = cJSON_AddObjectToObject(extra, "cpu");
				cJSON_AddNumberToObject(cpu, "user_ns", (double)br.cpu_user_ns);
				cJSON_AddNumberToObject(cpu, "sys_ns", (double)br.cpu_sys_ns);
			}
			if (br.ok && (br.has_workload || br.has_memory)) {
				if (!extra)
					extra = cJSON_CreateObject();
				if (br.has_workload) {
					cJSON *w = cJSON_AddObjectToObject(extra, "workload");
					cJSON_AddNumberToObject(w, "inner_ns", (double)br.workload_inner_ns);
					cJSON_AddNumberToObject(w, "result", br.workload_result);
				}
				if (br.has_memory) {
					cJSON *m = cJSON_AddObjectToObject(extra, "memory");
					cJSON_AddNumberToObject(m, "rss_kib", (double)br.mem_rss_kib);
					cJSON_AddNumberToObject(m, "pss_kib", (double)br.mem_pss_kib);
					cJSON_AddNumberToObject(m, "sandbox_pss_kib", (double)br.mem_sandbox_pss_kib);
					cJSON_AddNumberToObject(m, "gofer_pss_kib", (double)br.mem_gofer_pss_kib);
					cJSON_AddNumberToObject(m, "other_pss_kib", (double)br.mem_other_pss_kib);
					cJSON_AddNumberToObject(m, "cgroup_current_bytes", (double)br.mem_cg_current_bytes);
					cJSON_AddNumberToObject(m, "cgroup_peak_bytes", (double)br.mem_cg_peak_bytes);
					cJSON_AddNumberToObject(m, "samples", (double)br.memory_nsamples);
					cJSON_AddNumberToObject(m, "processes", (double)br.memory_procs);
				}
			}
			if (br.ok && (phases || inittrace)) {
				if (!extra)
					extra = cJSON_CreateObject();
				if (phases) {
					cJSON *m = instrument_parse_debug_logs(br.debug_log);
					if (m)
						cJSON_AddItemToObject(extra, "internal", m);
				}
				if (inittrace) {
					cJSON *it = instrument_inittrace_new();
					char *t = util_read_file(br.stderr_path, NULL);
					if (t)
						instrument_inittrace_add(it, t);
					instrument_inittrace_add_dir(it, br.debug_log);
					cJSON_AddItemToObject(it, "processes_ms",
					                      instrument_inittrace_processes(t, br.debug_log));
					free(t);
					cJSON_AddItemToObject(extra, "inittrace", it);
					unlink(br.stderr_path);
					br.stderr_path[0] = '\0';
				}
				/* Parsed: the raw logs of a good boot are not kept. */
				util_rm_rf(br.debug_log);
				br.debug_log[0] = '\0';
			}
			rc = append_sample(&sw, samples_path, seq, a->name,
			                   sl->warmup ? sl->round : sl->round + round0, sl->warmup, id, t_rel,
			                   &br, extra);
			cJSON_Delete(extra);
			if (rc < 0)
				goto run_out;
			attempts++;
			if (br.ok) {
				consecutive = 0;
				if (!sl->warmup)
					ok_count++;
				core_last = (double)(br.create_ns + br.start_ns) / 1e6;
			} else {
				failures++;
				consecutive++;
				fprintf(stderr, "%sgvab: boot %s (%s) failed: %s%s%s\n", tty ? "\r\033[K" : "",
				        id, a->name, br.error, br.stderr_path[0] ? "; log " : "",
				        br.stderr_path);
				if (consecutive >= max_fail) {
					stopped_by_failures = 1;
					rc = error_set("%d consecutive boots failed; last: %s", consecutive, br.error);
					break;
				}
			}
			if (!quiet) {
				double el = (double)(util_now_ns() - t_run0) / 1e9;
				double eta = el / (double)(k + 1) * (double)(nslots - k - 1);
				if (tty)
					fprintf(stderr, "\r\033[K[%zu/%zu] %s %s %d  CORE %.1f ms  ETA %.0f s", k + 1,
					        nslots, a->name, sl->warmup ? "warm-up" : "iter", sl->round,
					        core_last, eta);
				else if ((k + 1) % 20 == 0 || k + 1 == nslots)
					fprintf(stderr, "gvab run: %zu/%zu boots, %d failed, ETA %.0f s\n", k + 1,
					        nslots, failures, eta);
				if (ferror(stderr) && errno == EPIPE) {
					quiet = 1; /* nobody reads it any more */
					tty = 0;
				}
			}
			if (brc == GVAB_EINTR)
				break;
		}
		if (tty)
			fprintf(stderr, "\n");
	}

	/* Warm pool: after the cold boots, one sandbox per arm running a long
	 * sleep, and K timed `runsc exec` of the workload in each, interleaved
	 * in the same order as the cold rounds. */
	if (warm_k > 0 && rc == 0 && !stop_requested && !stopped_by_failures) {
		struct warm_sandbox ws[MAX_ARMS];
		memset(ws, 0, sizeof ws);
		char *wdir = util_fmt("%s/warm-bundle", out_dir);
		char *sleep_args[] = {"/bin/sleep", "1000000", NULL};
		cJSON *bm = cJSON_GetObjectItemCaseSensitive(run, "bundle");
		const cJSON *ba = bm ? cJSON_GetObjectItemCaseSensitive(bm, "args") : NULL;
		char *wargs[16];
		int nw = 0;
		const cJSON *e;
		cJSON_ArrayForEach(e, ba)
			if (nw < 15 && cJSON_IsString(e))
				wargs[nw++] = e->valuestring;
		wargs[nw] = NULL;
		if ((rc = bundle_write_config(wdir, bundle_real, sleep_args)) < 0) {
			free(wdir);
			goto run_out;
		}
		char wdir_real[PATH_MAX];
		if (!realpath(wdir, wdir_real))
			snprintf(wdir_real, sizeof wdir_real, "%s", wdir);
		struct schedule_slot *wslots = NULL;
		size_t nwslots = 0;
		int64_t t0 = util_now_ns();
		for (size_t i = 0; i < narms && rc == 0; i++) {
			struct boot_cfg bc = {.runsc = arms[i].runsc, .flags = arms[i].flags,
			                      .nflags = arms[i].nflags, .bundle = wdir_real,
			                      .state_dir = state_dir, .log_dir = log_dir,
			                      .timeout_ms = (int)timeout_ms, .expect_exit = (int)expect_exit,
			                      .cleanup_timeout_ms = (int)cleanup_ms,
			                      .stop = &stop_requested};
			char id[64];
			struct boot_result br;
			snprintf(id, sizeof id, "gvab-%ld-warm-%zu", (long)getpid(), i);
			if (boot_warm_up(&bc, id, &ws[i], &br) < 0) {
				rc = error_set("warm pool: arm %s: %s", arms[i].name, br.error);
				break;
			}
		}
		if (rc == 0)
			rc = schedule_build((int)narms, 2, (int)warm_k, order, seed ^ 0x3a3a, &wslots, &nwslots);
		int seq = seq0 + (int)nslots, consecutive_w = 0;
		for (size_t k = 0; rc == 0 && k < nwslots && !stop_requested; k++) {
			struct arm *a = &arms[wslots[k].arm];
			struct boot_cfg bc = {.runsc = a->runsc, .flags = a->flags, .nflags = a->nflags,
			                      .bundle = wdir_real, .state_dir = state_dir, .log_dir = log_dir,
			                      .timeout_ms = (int)timeout_ms, .expect_exit = (int)expect_exit,
			                      .stop = &stop_requested};
			struct boot_result br;
			int64_t t_rel = util_now_ns() - t0;
			if (boot_warm_exec(&bc, &ws[wslots[k].arm], wargs, &br) == GVAB_EINTR)
				break;
			if ((rc = append_sample(&sw, samples_path, seq++, a->name, wslots[k].round,
			                        wslots[k].warmup, ws[wslots[k].arm].id, t_rel, &br, NULL)) < 0)
				break;
			attempts++;
			if (!br.ok) {
				failures++;
				fprintf(stderr, "gvab: warm exec (%s) failed: %s\n", a->name, br.error);
				if (++consecutive_w >= max_fail) {
					stopped_by_failures = 1;
					rc = error_set("%d consecutive warm execs failed; last: %s", consecutive_w,
					               br.error);
				}
			} else {
				consecutive_w = 0;
			}
		}
		for (size_t i = 0; i < narms; i++) {
			struct boot_cfg bc = {.runsc = arms[i].runsc, .flags = arms[i].flags,
			                      .nflags = arms[i].nflags, .state_dir = state_dir,
			                      .log_dir = log_dir, .cleanup_timeout_ms = (int)cleanup_ms};
			boot_warm_down(&bc, &ws[i]);
		}
		int killed = boot_warm_finish();
		if (killed > 0)
			fprintf(stderr, "gvab: warm pool: killed %d leftover process(es)\n", killed);
		if (!quiet)
			fprintf(stderr, "gvab run: warm pool: %d execs per arm done\n", (int)warm_k);
		free(wslots);
		free(wdir);
	}

run_out:
	{
		/* Collecting facts below may record errors of its own; keep ours. */
		char saved_err[1024];
		snprintf(saved_err, sizeof saved_err, "%s", error_last());
		/* Facts at the end are read before the knobs go back, so that the
		 * run's own settings do not show up as drift. */
		cJSON *after = run ? hostfacts_collect() : NULL;
		int restore_rc = knobs_restore(&knobs);
		if (restore_rc == 0)
			knobs_release(&knobs);
		/* The reserve goes first: on a full disk it is the room this
		 * last run.json is written in. */
		unlink(reserve_path);
		if (run) {
			char when[32];
			util_utc_now(when, sizeof when);
			cJSON *drift = hostfacts_drift(before, after);
			const char *status = stop_requested ? "interrupted"
			                     : stopped_by_failures ? "failed"
			                     : rc < 0 ? "error" : "complete";
			int nd = cJSON_GetArraySize(drift);
			for (int i = 0; i < nd; i++) {
				const cJSON *d = cJSON_GetArrayItem(drift, i);
				char *b = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(d, "before"));
				char *af = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(d, "after"));
				fprintf(stderr, "gvab: drift: %s changed during the run: %s -> %s\n",
				        cJSON_GetObjectItemCaseSensitive(d, "fact")->valuestring, b, af);
				free(b);
				free(af);
			}
			if (chunk) {
				run_put(chunk, "status", cJSON_CreateString(status));
				cJSON_AddStringToObject(chunk, "ended_at", when);
				cJSON_AddNumberToObject(chunk, "attempts", attempts);
				cJSON_AddNumberToObject(chunk, "measured_ok", ok_count);
				cJSON_AddNumberToObject(chunk, "failures", failures);
				if (rc < 0)
					cJSON_AddStringToObject(chunk, "error", saved_err);
				cJSON_AddItemToObject(chunk, "host_after", cJSON_Duplicate(after, 1));
				cJSON_AddItemToObject(chunk, "drift", cJSON_Duplicate(drift, 1));
			}
			/* Top level: the latest chunk's status and end, totals over
			 * chunks, and every chunk's drift (so the gate sees any). */
			run_put(run, "status", cJSON_CreateString(status));
			run_put(run, "ended_at", cJSON_CreateString(when));
			run_add_count(run, "attempts", attempts);
			run_add_count(run, "measured_ok", ok_count);
			run_add_count(run, "failures", failures);
			if (rc < 0)
				run_put(run, "error", cJSON_CreateString(saved_err));
			else
				cJSON_DeleteItemFromObjectCaseSensitive(run, "error");
			run_put(run, "host_after", after);
			after = NULL;
			cJSON *all = cJSON_GetObjectItemCaseSensitive(run, "drift");
			if (cJSON_IsArray(all) && chunk && cJSON_GetArraySize(run_chunks(run)) > 1) {
				cJSON *d;
				while ((d = cJSON_DetachItemFromArray(drift, 0)))
					cJSON_AddItemToArray(all, d);
				cJSON_Delete(drift);
			} else {
				run_put(run, "drift", drift);
			}
			int save_rc = util_json_save(run_path, run);
			if (save_rc < 0) {
				error_wrap(save_rc, "saving %s", run_path);
				if (rc == 0)
					rc = save_rc;
				else
					fprintf(stderr, "gvab: %s\n", error_last());
				if (rc == save_rc)
					snprintf(saved_err, sizeof saved_err, "%s", error_last());
			}
			if (!quiet)
				fprintf(stderr, "gvab run: %s: %d attempts, %d measured samples, %d failed -> %s\n",
				        status, attempts, ok_count, failures, out_dir);
			/* The answer, one line per arm against the first (as gvab
			 * compare prints it), when the run has measured boots. */
			if (save_rc == 0 && ok_count > 0 && !stop_requested)
				answer_print_run(out_dir, PH_CORE);
		}
		cJSON_Delete(after);
		if (restore_rc < 0 && rc == 0)
			rc = restore_rc;
		else if (restore_rc < 0)
			fprintf(stderr, "gvab: %s\n", error_last());
		else if (rc < 0)
			error_setc(rc, "%s", saved_err);
	}
	samples_close(&sw);
	syscount_close(&sc_reg);
	syscount_close(&sc_all);
	boot_state_close(&bstate);
	if (out_fd >= 0)
		close(out_fd);
	cJSON_Delete(run);
	cJSON_Delete(old_run);
	cJSON_Delete(before);
	cJSON_Delete(bmeta);
	free(slots);
	free(samples_path);
	free(run_path);
	free(reserve_path);
	free(log_dir);
	free(dbg_dir);
	for (size_t i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
	if (stop_requested && rc >= 0) {
		error_setc(GVAB_EINTR, "interrupted; samples so far are kept, host knobs restored");
		rc = GVAB_EINTR;
	}
	goto done;

usage_fail:
fail:
	;
done:
	for (size_t i = 0; i < narms; i++)
		free_arm(&arms[i]);
	free(gen_out);
	free(wl_buf);
	free(wl_dir);
	if (rc < 0)
		return cmds_fail(rc, "run");
	return 0;
}
