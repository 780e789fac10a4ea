/* runrounds: a run's boots (see runloop_int.h): the cold rounds in
 * schedule order, each boot with its arm's knobs and environment and its
 * sample written before the next, and the warm pool after them. */
#define _GNU_SOURCE
#include "runloop.h"
#include "runloop_int.h"
#include "boot.h"
#include "bundle.h"
#include "error.h"
#include "hostfacts.h"
#include "instrument.h"
#include "knobs.h"
#include "proc.h"
#include "runjson.h"
#include "samples.h"
#include "schedule.h"
#include "perfcount.h"
#include <linux/perf_event.h>
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
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

/* Whether the host counts any hardware event of the set. */
static int run_counts_hw(const struct perfcount_set *pc)
{
	for (size_t i = 0; i < pc->n; i++)
		if (pc->ev[i].type != PERF_TYPE_TRACEPOINT && pc->ev[i].available)
			return 1;
	return 0;
}

/* This boot's "hw": each hardware event the host counts, or under
 * "unavailable" why this boot has no count of it (the events the host
 * lacks altogether are in run.json's hw_counters_host, not per boot). */
static cJSON *hw_member(const struct perfcount_set *pc)
{
	cJSON *hw = cJSON_CreateObject(), *na = NULL;
	for (size_t i = 0; i < pc->n; i++) {
		const struct perfcount_event *e = &pc->ev[i];
		if (e->type == PERF_TYPE_TRACEPOINT || !e->available)
			continue;
		long long v;
		const char *why = perfcount_value(pc, e->name, &v);
		if (!why)
			cJSON_AddNumberToObject(hw, e->name, (double)v);
		else {
			if (!na)
				na = cJSON_AddObjectToObject(hw, "unavailable");
			cJSON_AddStringToObject(na, e->name, why);
		}
	}
	return hw;
}

/* This boot's instrument members for its samples.jsonl line (NULL: none);
 * the raw logs of a good instrumented boot are parsed and removed. */
static cJSON *boot_extra(const struct run_spec *s, struct boot_result *br,
                         const struct perfcount_set *counters)
{
	if (!br->ok)
		return NULL;
	struct sample_instruments in = {.syscalls = s->syscalls};
	for (size_t i = 0; s->syscalls && i < SAMPLES_SYSCALL_COUNTS; i++)
		in.syscall_why[i] = perfcount_value(counters, samples_syscall_names[i], &in.syscall_count[i]);
	if (s->hw_counters && run_counts_hw(counters))
		in.hw = hw_member(counters);
	if (s->phases)
		in.internal = instrument_parse_debug_logs(br->debug_log);
	if (s->inittrace) {
		cJSON *it = in.inittrace = instrument_inittrace_new();
		char *t = util_read_file(br->stderr_path, NULL);
		if (t)
			instrument_inittrace_add(it, t);
		instrument_inittrace_add_dir(it, br->debug_log);
		cJSON_AddItemToObject(it, "processes_ms", instrument_inittrace_processes(t, br->debug_log));
		free(t);
		unlink(br->stderr_path);
		br->stderr_path[0] = '\0';
	}
	if (s->phases || s->inittrace) {
		/* Parsed: the raw logs of a good boot are not kept. */
		util_rm_rf(br->debug_log);
		br->debug_log[0] = '\0';
	}
	return samples_extra(br, &in);
}

/* Every per-arm knob, for every boot: this arm's value if it names the
 * knob, else the run's, so no arm's setting lingers into another arm's
 * boots. */
static int set_arm_knobs(struct run_ctx *c, const struct run_arm *a)
{
	int rc = 0;
	for (size_t m = 0; m < c->narm_knobs && rc == 0; m++) {
		const char *v = c->arm_knob_base[m];
		for (size_t i = 0; i < a->nknobs; i++)
			if (strcmp(a->knob_name[i], c->arm_knob[m]) == 0)
				v = a->knob_value[i];
		rc = knobs_set(&c->knobs, c->arm_knob[m], v);
	}
	return rc;
}

/* The environment of arm a's runsc processes: base (NULL: gvab's own)
 * without the variables the arm sets, then the arm's env items. NULL when
 * the arm has none. Free with instrument_env_free. */
char **run_arm_env_build(char **base, const struct run_arm *a)
{
	extern char **environ;
	if (a->nenv == 0)
		return NULL;
	char **src = base ? base : environ;
	size_t n = 0, k = 0;
	while (src[n])
		n++;
	char **env = util_xcalloc(n + a->nenv + 1, sizeof *env);
	for (size_t i = 0; i < n; i++) {
		int overridden = 0;
		for (size_t j = 0; j < a->nenv && !overridden; j++) {
			size_t klen = strcspn(a->env[j], "=") + 1;
			overridden = strncmp(src[i], a->env[j], klen) == 0;
		}
		if (!overridden)
			env[k++] = util_xstrdup(src[i]);
	}
	for (size_t j = 0; j < a->nenv; j++)
		env[k++] = util_xstrdup(a->env[j]);
	env[k] = NULL;
	return env;
}

static char **arm_envp(const struct run_ctx *c, size_t arm)
{
	return c->arm_envp[arm] ? c->arm_envp[arm] : c->envp;
}

/* One cold (or --cold staged) boot of slot k, its sample written. Sets
 * *brc_out to boot_run_once's result; 1 when the run should stop here
 * (interrupted mid-boot), else 0; or an error code. */
static int one_boot(struct run_ctx *c, size_t k, int64_t t_rel, struct boot_result *br, int *brc_out,
                    char id[64])
{
	const struct run_spec *s = c->s;
	const struct schedule_slot *sl = &c->slots[k];
	const struct run_arm *a = &s->arms[sl->arm];
	int rc;
	if ((rc = set_arm_knobs(c, a)) < 0)
		return rc;
	if (s->drop && !sl->warmup && (rc = run_drop_caches()) < 0)
		return rc;
	if (s->settle_ms > 0) {
		/* Let the previous boot's teardown (its processes' exit, memory
		 * and cgroup release) finish before this one. */
		struct timespec ts = {.tv_sec = s->settle_ms / 1000, .tv_nsec = s->settle_ms % 1000 * 1000000};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !runloop_stop)
			;
	}
	int seq = c->seq0 + (int)k;
	snprintf(id, 64, "gvab-%ld-%d", (long)getpid(), seq);
	struct boot_cfg bc = {.runsc = a->runsc, .flags = (char *const *)a->flags, .nflags = a->nflags,
	                      .bundle = c->wl_dir ? c->wl_dir : c->bundle_real, .state_dir = c->bstate.dir,
	                      .log_dir = c->log_dir, .debug_log_dir = c->dbg_dir,
	                      .timeout_ms = (int)s->timeout_ms, .expect_exit = (int)s->expect_exit,
	                      .keep_logs = s->inittrace, .envp = arm_envp(c, (size_t)sl->arm),
	                      .cleanup_timeout_ms = (int)s->cleanup_ms,
	                      .parse_workload = c->wl_buf != NULL, .memory_samples = (int)s->memory_k,
	                      .stop = &runloop_stop};
	/* Only when some event is counted: the gate holds each spawn until
	 * its counters are open. */
	int counting = s->syscalls || (s->hw_counters && run_counts_hw(&c->counters));
	if (counting) {
		perfcount_begin(&c->counters);
		bc.spawn_gate = perfcount_attach;
		bc.spawn_gate_arg = &c->counters;
	}
	char *stage = NULL;
	if (a->stage == ARM_STAGE_COLD || (a->stage == ARM_STAGE_RUN && s->cold)) {
		/* A fresh rootfs copy, then an empty page cache: the boot reads
		 * everything from disk. Under the state directory, so restore
		 * removes it should this run be killed. */
		stage = util_fmt("%s/cold-%s", c->bstate.dir, id);
		if ((rc = run_stage_cold(c->bundle_real, c->wl_dir ? c->wl_words : NULL, stage)) < 0) {
			free(stage);
			return rc;
		}
		bc.bundle = stage;
		if (run_drop_caches() < 0 && c->cold_drop_ok) {
			c->cold_drop_ok = 0;
			fprintf(stderr, "gvab: run: --cold: %s; boots get fresh copies only\n", error_last());
		}
	}
	int brc = boot_run_once(&bc, id, br);
	*brc_out = brc;
	if (stage) {
		util_rm_rf(stage);
		free(stage);
	}
	/* boot_run_once has reaped every process of the boot: the sums are final. */
	if (counting)
		perfcount_collect(&c->counters);
	if (brc < 0 && brc != GVAB_EINTR)
		return brc;
	if (brc == GVAB_EINTR && !br->ok)
		return 1; /* interrupted mid-boot: cleaned up, not an attempt worth keeping */
	cJSON *extra = boot_extra(s, br, &c->counters);
	rc = append_sample(&c->sw, c->samples_path, seq, a->name, sl->warmup ? sl->round : sl->round + c->round0,
	                   sl->warmup, id, t_rel, br, extra);
	cJSON_Delete(extra);
	return rc;
}

/* The end-of-run minimum (README "Exit codes"): every arm has at least
 * half of its measured boots ok (RUN_MIN_OK_BOOTS). --max-failures counts
 * consecutive failures, and interleaving puts the other arms' boots
 * between one arm's, so an arm that never boots would not trip it. */
static int check_arm_minimum(struct run_ctx *c, const int *ok_arm, char (*last_err)[256])
{
	const struct run_spec *s = c->s;
	long need = RUN_MIN_OK_BOOTS(s->iterations);
	for (size_t i = 0; i < s->narms; i++)
		if (ok_arm[i] < need) {
			c->o->stopped_by_failures = 1;
			return error_set("arm %s: %d of %ld measured boots ok, fewer than the minimum %ld "
			                 "(half); last error: %s", s->arms[i].name, ok_arm[i],
			                 (long)s->iterations, need, last_err[i][0] ? last_err[i] : "none");
		}
	return 0;
}

/* The cold rounds: every slot of the schedule, with progress. */
int run_cold_rounds(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	struct run_outcome *o = c->o;
	int tty = util_interactive() && !c->quiet, consecutive = 0, rc = 0;
	int64_t t_run0 = util_now_ns();
	double core_last = 0;
	int *ok_arm = util_xcalloc(s->narms, sizeof *ok_arm);
	char (*last_err)[256] = util_xcalloc(s->narms, sizeof *last_err);
	size_t k;
	for (k = 0; k < c->nslots && !runloop_stop; k++) {
		const struct schedule_slot *sl = &c->slots[k];
		const struct run_arm *a = &s->arms[sl->arm];
		struct boot_result br;
		char id[64];
		int brc = 0;
		int r = one_boot(c, k, util_now_ns() - t_run0, &br, &brc, id);
		if (r < 0) {
			rc = r;
			break;
		}
		if (r == 1)
			break;
		o->attempts++;
		if (br.ok) {
			consecutive = 0;
			if (!sl->warmup) {
				o->ok_count++;
				ok_arm[sl->arm]++;
			}
			core_last = (double)(br.create_ns + br.start_ns) / 1e6;
		} else {
			o->failures++;
			consecutive++;
			snprintf(last_err[sl->arm], sizeof last_err[0], "%.200s", br.error);
			fprintf(stderr, "%sgvab: boot %s (%s) failed: %s%s%s\n", tty ? "\r\033[K" : "", id, a->name,
			        br.error, br.stderr_path[0] ? "; log " : "", br.stderr_path);
			if (consecutive >= s->max_fail) {
				o->stopped_by_failures = 1;
				rc = error_set("%d consecutive boots failed; last: %s", consecutive, br.error);
				break;
			}
		}
		if (!c->quiet) {
			double el = (double)(util_now_ns() - t_run0) / 1e9;
			double eta = el / (double)(k + 1) * (double)(c->nslots - k - 1);
			if (tty)
				fprintf(stderr, "\r\033[K[%zu/%zu] %s %s %d  CORE %.1f ms  ETA %.0f s", k + 1, c->nslots,
				        a->name, sl->warmup ? "warm-up" : "iter", sl->round, core_last, eta);
			else if ((k + 1) % 20 == 0 || k + 1 == c->nslots)
				fprintf(stderr, "gvab run: %zu/%zu boots, %d failed, ETA %.0f s\n", k + 1, c->nslots,
				        o->failures, eta);
			if (ferror(stderr) && errno == EPIPE) {
				c->quiet = 1; /* nobody reads it any more */
				tty = 0;
			}
		}
		if (brc == GVAB_EINTR)
			break;
	}
	if (tty)
		fprintf(stderr, "\n");
	if (rc == 0 && k == c->nslots && !runloop_stop)
		rc = check_arm_minimum(c, ok_arm, last_err);
	free(ok_arm);
	free(last_err);
	return rc;
}

/* Warm pool: after the cold boots, one sandbox per arm running a long
 * sleep, and K timed `runsc exec` of the workload in each, interleaved in
 * the same order as the cold rounds. */
int run_warm_pool(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	struct run_outcome *o = c->o;
	struct warm_sandbox ws[RUN_MAX_ARMS];
	memset(ws, 0, sizeof ws);
	char *wdir = util_fmt("%s/warm-bundle", c->out_dir);
	char *sleep_args[] = {"/bin/sleep", "1000000", NULL};
	cJSON *bm = cJSON_GetObjectItemCaseSensitive(c->run, "bundle");
	const cJSON *ba = bm ? cJSON_GetObjectItemCaseSensitive(bm, "args") : NULL;
	char *wargs[16];
	int nw = 0, rc;
	const cJSON *e;
	cJSON_ArrayForEach(e, ba)
		if (nw < 15 && cJSON_IsString(e))
			wargs[nw++] = e->valuestring;
	wargs[nw] = NULL;
	if ((rc = bundle_write_config(wdir, c->bundle_real, sleep_args)) < 0) {
		free(wdir);
		return rc;
	}
	char wdir_real[PATH_MAX];
	if (!realpath(wdir, wdir_real))
		snprintf(wdir_real, sizeof wdir_real, "%s", wdir);
	struct schedule_slot *wslots = NULL;
	size_t nwslots = 0;
	int64_t t0 = util_now_ns();
	for (size_t i = 0; i < s->narms && rc == 0; i++) {
		struct boot_cfg bc = {.runsc = s->arms[i].runsc, .flags = (char *const *)s->arms[i].flags,
		                      .nflags = s->arms[i].nflags, .bundle = wdir_real,
		                      .state_dir = c->bstate.dir, .log_dir = c->log_dir,
		                      .timeout_ms = (int)s->timeout_ms, .expect_exit = (int)s->expect_exit,
		                      .cleanup_timeout_ms = (int)s->cleanup_ms, .envp = arm_envp(c, i),
		                      .stop = &runloop_stop};
		char id[64];
		struct boot_result br;
		snprintf(id, sizeof id, "gvab-%ld-warm-%zu", (long)getpid(), i);
		if (boot_warm_up(&bc, id, &ws[i], &br) < 0)
			rc = error_set("warm pool: arm %s: %s", s->arms[i].name, br.error);
	}
	if (rc == 0)
		rc = schedule_build((int)s->narms, 2, (int)s->warm_k, s->order, c->seed ^ 0x3a3a, &wslots, &nwslots);
	int seq = c->seq0 + (int)c->nslots, consecutive = 0;
	for (size_t k = 0; rc == 0 && k < nwslots && !runloop_stop; k++) {
		const struct run_arm *a = &s->arms[wslots[k].arm];
		struct boot_cfg bc = {.runsc = a->runsc, .flags = (char *const *)a->flags, .nflags = a->nflags,
		                      .bundle = wdir_real, .state_dir = c->bstate.dir, .log_dir = c->log_dir,
		                      .timeout_ms = (int)s->timeout_ms, .expect_exit = (int)s->expect_exit,
		                      .envp = arm_envp(c, (size_t)wslots[k].arm), .stop = &runloop_stop};
		struct boot_result br;
		int64_t t_rel = util_now_ns() - t0;
		if (boot_warm_exec(&bc, &ws[wslots[k].arm], wargs, &br) == GVAB_EINTR)
			break;
		if ((rc = append_sample(&c->sw, c->samples_path, seq++, a->name, wslots[k].round, wslots[k].warmup,
		                        ws[wslots[k].arm].id, t_rel, &br, NULL)) < 0)
			break;
		o->attempts++;
		if (!br.ok) {
			o->failures++;
			fprintf(stderr, "gvab: warm exec (%s) failed: %s\n", a->name, br.error);
			if (++consecutive >= s->max_fail) {
				o->stopped_by_failures = 1;
				rc = error_set("%d consecutive warm execs failed; last: %s", consecutive, br.error);
			}
		} else {
			consecutive = 0;
		}
	}
	for (size_t i = 0; i < s->narms; i++) {
		struct boot_cfg bc = {.runsc = s->arms[i].runsc, .flags = (char *const *)s->arms[i].flags,
		                      .nflags = s->arms[i].nflags, .state_dir = c->bstate.dir,
		                      .log_dir = c->log_dir, .cleanup_timeout_ms = (int)s->cleanup_ms};
		boot_warm_down(&bc, &ws[i]);
	}
	int killed = boot_warm_finish();
	if (killed > 0)
		fprintf(stderr, "gvab: warm pool: killed %d leftover process(es)\n", killed);
	if (!c->quiet)
		fprintf(stderr, "gvab run: warm pool: %d execs per arm done\n", (int)s->warm_k);
	free(wslots);
	free(wdir);
	return rc;
}
