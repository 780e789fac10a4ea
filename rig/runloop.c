/* runloop: see runloop.h. One run in four steps: prepare (knobs first,
 * preconditions, the run directory, run.json's first version), the cold
 * rounds, the warm pool, and finish (host facts after, knobs back, run.json
 * closed) on every path. */
#define _GNU_SOURCE
#include "runloop.h"
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

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Bytes kept free in the run directory (a preallocated file) for the
 * closing run.json: a run.json with two arms and host facts is about 6 KB,
 * so a full disk can still record how and why the run ended. */
#define RUN_RESERVE_BYTES (64 * 1024)

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

/* One run's state, shared by its four steps. */
struct run_ctx {
	const struct run_spec *s;
	struct run_outcome *o;
	char placement_desc[320];  /* what --cpu-placement did */
	const char *out_dir;
	char *gen_out;
	char bundle_real[PATH_MAX];
	cJSON *bmeta;
	/* --workload/--memory: /bin/gvab-workload MODE ARG... and its bundle */
	char *wl_words[16];
	char *wl_buf, *wl_dir;
	uint64_t seed;
	char *samples_path, *run_path, *reserve_path, *log_dir, *dbg_dir;
	struct boot_state bstate;
	int out_fd;
	cJSON *run, *chunk, *before, *old_run;
	/* Knobs some arm sets for its own boots, and the value each has for
	 * the other arms' boots: --set's, else the value before the run. */
	char arm_knob[KNOBS_MAX][32], arm_knob_base[KNOBS_MAX][128];
	size_t narm_knobs;
	char **envp;
	/* Per arm with env items: the run's environment (envp, else gvab's)
	 * with the arm's variables over it; NULL for arms without. */
	char **arm_envp[RUN_MAX_ARMS];
	struct schedule_slot *slots;
	size_t nslots;
	struct knobs knobs;
	int have_knobs;
	struct samples_writer sw;
	struct perfcount_set counters; /* --syscalls: this boot's processes only */
	int seq0, round0, quiet, cold_drop_ok;
	struct sigaction old_sa[3];
	int handlers;
};

/* The workload's argv from --workload MODE[:ARG...] (or idle for
 * --memory), checked against the bundle. */
static int prepare_workload(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	/* The workload runs instead of the bundle's args: MODE[:ARG...]
	 * becomes /bin/gvab-workload MODE ARG...; --memory needs it idle. */
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c->bmeta, "workload")))
		return error_setc(GVAB_EPRECOND, "bundle %s has no gvab-workload (make it with gvab bundle "
		                                 "--workload)", s->bundle);
	if (s->workload && s->memory_k && strcmp(s->workload, "idle") != 0)
		return error_setc(GVAB_EUSAGE, "--memory samples an idle sandbox: drop --workload %s "
		                               "(or give --workload idle)", s->workload);
	c->wl_buf = util_xstrdup(s->workload ? s->workload : "idle");
	int nw = 0;
	c->wl_words[nw++] = "/bin/gvab-workload";
	for (char *save = NULL, *t = strtok_r(c->wl_buf, ":", &save); t && nw < 15;
	     t = strtok_r(NULL, ":", &save))
		c->wl_words[nw++] = t;
	c->wl_words[nw] = NULL;
	static const char *const modes[] = {"true", "spin", "statwalk", "idle"};
	int known = 0;
	for (size_t i = 0; i < 4; i++)
		known |= nw > 1 && strcmp(c->wl_words[1], modes[i]) == 0;
	if (!known)
		return error_setc(GVAB_EUSAGE, "--workload %s: want true, spin:N, statwalk:DIR:N or idle",
		                  s->workload);
	return 0;
}

/* Knobs first: whoever owns them is decided before anything is read or
 * written (a killed run's journal is put back on the way). A run that
 * changes no knob does not need them, and does not wait for a run that
 * does. Then the per-arm knobs and their base values. */
static int prepare_knobs(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	int need_knobs = s->nset > 0;
	for (size_t i = 0; i < s->narms; i++)
		need_knobs |= s->arms[i].nknobs > 0;
	int restored = need_knobs ? knobs_acquire(&c->knobs) : knobs_recover_stale();
	if (restored == GVAB_EPRECOND && !need_knobs)
		restored = 0;
	if (restored < 0)
		return restored;
	if (restored > 0)
		fprintf(stderr, "gvab: restored %d host knob(s) left changed by a killed run\n", restored);
	int cleaned = boot_recover_stale();
	if (cleaned > 0)
		fprintf(stderr, "gvab: cleaned up %d sandbox(es) left by a killed run\n", cleaned);
	for (size_t i = 0; i < s->narms; i++)
		for (size_t j = 0; j < s->arms[i].nknobs; j++) {
			size_t m;
			for (m = 0; m < c->narm_knobs; m++)
				if (strcmp(c->arm_knob[m], s->arms[i].knob_name[j]) == 0)
					break;
			if (m < c->narm_knobs)
				continue;
			if (c->narm_knobs == KNOBS_MAX)
				return error_setc(GVAB_EUSAGE, "at most %d different per-arm knobs", KNOBS_MAX);
			snprintf(c->arm_knob[m], sizeof c->arm_knob[m], "%s", s->arms[i].knob_name[j]);
			const char *base = NULL;
			for (size_t k = 0; k < s->nset; k++)
				if (strcmp(s->set_name[k], c->arm_knob[m]) == 0)
					base = s->set_value[k];
			int rc;
			if (base)
				snprintf(c->arm_knob_base[m], sizeof c->arm_knob_base[m], "%.127s", base);
			else if ((rc = knobs_read(c->arm_knob[m], c->arm_knob_base[m], sizeof c->arm_knob_base[m])) < 0)
				return rc;
			c->narm_knobs++;
		}
	return 0;
}

/* The run directory: created, locked (one writer), its earlier samples
 * counted for --append, and space reserved for the closing run.json. */
static int prepare_dir(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	int rc;
	if ((rc = util_mkdir_p(c->out_dir, 0755)) < 0)
		return rc;
	/* One writer per run directory: a second run with the same --out
	 * would interleave sequence numbers and overwrite run.json. */
	c->out_fd = open(c->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->out_fd < 0)
		return error_set("%s: %s", c->out_dir, strerror(errno));
	if (flock(c->out_fd, LOCK_EX | LOCK_NB) < 0)
		return error_setc(GVAB_EPRECOND, "another gvab run is writing %s (use another --out)", c->out_dir);
	struct stat st;
	if (stat(c->samples_path, &st) == 0 && st.st_size > 0) {
		if (!s->append)
			return error_setc(GVAB_EUSAGE, "%s already has samples (use --append to add to it, "
			                               "or another --out)", c->out_dir);
		struct samples_file old;
		if ((rc = samples_load(c->samples_path, NULL, 0, &old)) < 0)
			return rc;
		for (size_t i = 0; i < old.n; i++) {
			if (old.s[i].seq >= c->seq0)
				c->seq0 = old.s[i].seq + 1;
			/* Appended rounds continue the numbering, so that the
			 * paired analysis never pairs boots of different runs. */
			if (!old.s[i].warmup && old.s[i].kind == BOOT_COLD && old.s[i].round >= c->round0)
				c->round0 = old.s[i].round + 1;
		}
		samples_free(&old);
	}
	if (s->append && util_path_exists(c->run_path)) {
		c->old_run = samples_run_load(c->run_path);
		if (!c->old_run)
			return error_wrap(GVAB_EDATA, "--append");
	} else if (s->append && c->seq0 > 0) {
		return error_setc(GVAB_EDATA, "--append: %s has samples but no run.json", c->out_dir);
	}
	/* Space for the closing run.json even when the disk fills up during
	 * the run: released just before that write. */
	int fd = open(c->reserve_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int e = fd < 0 ? errno : posix_fallocate(fd, 0, RUN_RESERVE_BYTES);
	if (fd >= 0)
		close(fd);
	if (e) {
		unlink(c->reserve_path);
		return error_set("%s: %s", c->reserve_path, strerror(e));
	}
	if ((rc = samples_open(&c->sw, c->samples_path)) < 0)
		return rc;
	if (c->wl_buf) {
		c->wl_dir = util_fmt("%s/workload-bundle", c->out_dir);
		if ((rc = util_mkdir_p(c->wl_dir, 0755)) < 0 ||
		    (rc = bundle_write_config(c->wl_dir, c->bundle_real, c->wl_words)) < 0)
			return rc;
	}
	return 0;
}

/* run.json's first version: what the run is (checked against an earlier
 * run.json for --append) and this invocation's chunk, saved before the
 * first boot. */
static int begin_run_json(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	char when[32];
	util_utc_now(when, sizeof when);
	struct runjson_start st = {.started_at = when, .bundle_real = c->bundle_real, .bundle_meta = c->bmeta,
	                           .seed = c->seed, .placement_desc = c->placement_desc,
	                           .workload_words = c->wl_buf ? c->wl_words : NULL, .host = c->before,
	                           .first_seq = c->seq0};
	c->bmeta = NULL; /* taken by runjson_describe */
	cJSON *run = runjson_describe(s, &st);
	/* This invocation's own part of the run: the whole run when it is the
	 * first, one more chunk when it appends. */
	cJSON *chunk = runjson_chunk_new(s, &st, run);
	int earlier = c->old_run != NULL;
	if (earlier) {
		const char *diff = runjson_append_mismatch(c->old_run, run);
		cJSON_Delete(run);
		if (diff) {
			cJSON_Delete(chunk); /* the earlier run.json stays as it is */
			return error_setc(GVAB_EUSAGE, "--append: %s differs from the run in %s (use another "
			                               "--out)", diff, c->run_path);
		}
		run = c->old_run;
		c->old_run = NULL;
	}
	runjson_add_chunk(run, chunk, earlier);
	c->run = run;
	c->chunk = chunk;
	int rc = util_json_save(c->run_path, run);
	return rc < 0 ? error_wrap(rc, "saving %s", c->run_path) : 0;
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
static char **arm_env_build(char **base, const struct run_arm *a)
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
	if (s->drop && !sl->warmup && (rc = drop_caches()) < 0)
		return rc;
	if (s->settle_ms > 0) {
		/* Let the previous boot's teardown (its processes' exit, memory
		 * and cgroup release) finish before this one. */
		struct timespec ts = {.tv_sec = s->settle_ms / 1000, .tv_nsec = s->settle_ms % 1000 * 1000000};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_requested)
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
	                      .stop = &stop_requested};
	if (s->syscalls) {
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
		if ((rc = stage_cold(c->bundle_real, c->wl_dir ? c->wl_words : NULL, stage)) < 0) {
			free(stage);
			return rc;
		}
		bc.bundle = stage;
		if (drop_caches() < 0 && c->cold_drop_ok) {
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
	if (s->syscalls)
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

/* The cold rounds: every slot of the schedule, with progress. */
static int cold_rounds(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	struct run_outcome *o = c->o;
	int tty = util_interactive() && !c->quiet, consecutive = 0, rc = 0;
	int64_t t_run0 = util_now_ns();
	double core_last = 0;
	for (size_t k = 0; k < c->nslots && !stop_requested; k++) {
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
			if (!sl->warmup)
				o->ok_count++;
			core_last = (double)(br.create_ns + br.start_ns) / 1e6;
		} else {
			o->failures++;
			consecutive++;
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
	return rc;
}

/* Warm pool: after the cold boots, one sandbox per arm running a long
 * sleep, and K timed `runsc exec` of the workload in each, interleaved in
 * the same order as the cold rounds. */
static int warm_pool(struct run_ctx *c)
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
		                      .stop = &stop_requested};
		char id[64];
		struct boot_result br;
		snprintf(id, sizeof id, "gvab-%ld-warm-%zu", (long)getpid(), i);
		if (boot_warm_up(&bc, id, &ws[i], &br) < 0)
			rc = error_set("warm pool: arm %s: %s", s->arms[i].name, br.error);
	}
	if (rc == 0)
		rc = schedule_build((int)s->narms, 2, (int)s->warm_k, s->order, c->seed ^ 0x3a3a, &wslots, &nwslots);
	int seq = c->seq0 + (int)c->nslots, consecutive = 0;
	for (size_t k = 0; rc == 0 && k < nwslots && !stop_requested; k++) {
		const struct run_arm *a = &s->arms[wslots[k].arm];
		struct boot_cfg bc = {.runsc = a->runsc, .flags = (char *const *)a->flags, .nflags = a->nflags,
		                      .bundle = wdir_real, .state_dir = c->bstate.dir, .log_dir = c->log_dir,
		                      .timeout_ms = (int)s->timeout_ms, .expect_exit = (int)s->expect_exit,
		                      .envp = arm_envp(c, (size_t)wslots[k].arm), .stop = &stop_requested};
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

/* Every exit path after the knobs were taken: host facts after the run
 * (read before the knobs go back, so the run's own settings do not show
 * as drift), knobs back, run.json closed. Returns the run's final code. */
static int finish(struct run_ctx *c, int rc)
{
	struct run_outcome *o = c->o;
	/* Collecting facts below may record errors of its own; keep ours. */
	char saved_err[1024];
	snprintf(saved_err, sizeof saved_err, "%s", error_last());
	cJSON *after = c->run ? hostfacts_collect() : NULL;
	int restore_rc = c->have_knobs ? knobs_restore(&c->knobs) : 0;
	if (restore_rc == 0 && c->have_knobs)
		knobs_release(&c->knobs);
	/* The reserve goes first: on a full disk it is the room this last
	 * run.json is written in. */
	unlink(c->reserve_path);
	if (c->run) {
		char when[32];
		util_utc_now(when, sizeof when);
		cJSON *drift = hostfacts_drift(c->before, after);
		const char *status = stop_requested ? "interrupted"
		                     : o->stopped_by_failures ? "failed"
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
		runjson_close(c->run, c->chunk, status, when, o->attempts, o->ok_count, o->failures,
		              rc < 0 ? saved_err : NULL, after, drift);
		after = NULL;
		int save_rc = util_json_save(c->run_path, c->run);
		if (save_rc < 0) {
			error_wrap(save_rc, "saving %s", c->run_path);
			if (rc == 0)
				rc = save_rc;
			else
				fprintf(stderr, "gvab: %s\n", error_last());
			if (rc == save_rc)
				snprintf(saved_err, sizeof saved_err, "%s", error_last());
		}
		o->saved = save_rc == 0;
		if (!c->quiet)
			fprintf(stderr, "gvab run: %s: %d attempts, %d measured samples, %d failed -> %s\n", status,
			        o->attempts, o->ok_count, o->failures, c->out_dir);
	}
	cJSON_Delete(after);
	if (restore_rc < 0 && rc == 0)
		rc = restore_rc;
	else if (restore_rc < 0)
		fprintf(stderr, "gvab: %s\n", error_last());
	else if (rc < 0)
		error_setc(rc, "%s", saved_err);
	return rc;
}

/* --syscalls: membarrier calls of each boot's own processes (every runsc
 * it spawns and their descendants, as `perf stat CMD` counts), all and
 * REGISTER_PRIVATE_EXPEDITED (== 16, linux/membarrier.h). A host without
 * the tracepoint refuses the run with the reason. */
static int open_counters(struct perfcount_set *pc)
{
	perfcount_init(pc);
	perfcount_add_tracepoint(pc, "membarrier", "syscalls/sys_enter_membarrier", NULL);
	perfcount_add_tracepoint(pc, "membarrier_register_private_expedited", "syscalls/sys_enter_membarrier",
	                         "cmd == 16");
	for (size_t i = 0; i < pc->n; i++)
		if (!pc->ev[i].available)
			return error_setc(GVAB_EPRECOND, "--syscalls: %s", pc->ev[i].why);
	return 0;
}

static void ctx_free(struct run_ctx *c)
{
	samples_close(&c->sw);
	perfcount_close(&c->counters);
	boot_state_close(&c->bstate);
	if (c->out_fd >= 0)
		close(c->out_fd);
	cJSON_Delete(c->run);
	cJSON_Delete(c->old_run);
	cJSON_Delete(c->before);
	cJSON_Delete(c->bmeta);
	free(c->slots);
	free(c->samples_path);
	free(c->run_path);
	free(c->reserve_path);
	free(c->log_dir);
	free(c->dbg_dir);
	instrument_env_free(c->envp);
	for (size_t i = 0; i < RUN_MAX_ARMS; i++)
		instrument_env_free(c->arm_envp[i]);
	free(c->gen_out);
	free(c->wl_buf);
	free(c->wl_dir);
	if (c->handlers) {
		sigaction(SIGINT, &c->old_sa[0], NULL);
		sigaction(SIGTERM, &c->old_sa[1], NULL);
		sigaction(SIGHUP, &c->old_sa[2], NULL);
	}
}

/* What needs neither the knobs nor the run directory: the binaries, the
 * bundle, the workload, the seed and the directory's name. */
static int preconditions(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	for (size_t i = 0; i < s->narms; i++)
		if (access(s->arms[i].runsc, X_OK) != 0)
			return error_setc(GVAB_EPRECOND, "arm %s: runsc '%s' is not an executable file", s->arms[i].name,
			                  s->arms[i].runsc);
	if (!(c->bmeta = bundle_load_meta(s->bundle)))
		return GVAB_EPRECOND;
	if (!realpath(s->bundle, c->bundle_real))
		return error_setc(GVAB_EPRECOND, "bundle %s: %s", s->bundle, strerror(errno));
	int rc;
	if ((s->workload || s->memory_k) && (rc = prepare_workload(c)) < 0)
		return rc;
	c->seed = s->seed;
	if (!s->have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		c->seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
	}
	c->out_dir = s->out_dir;
	if (!c->out_dir) {
		char when[32];
		util_utc_now(when, sizeof when);
		for (char *p = when; *p; p++)
			if (*p == ':')
				*p = '-';
		c->out_dir = c->gen_out = util_fmt("results/run-%s", when);
	}
	return 0;
}

int runloop_run(const struct run_spec *s, struct run_outcome *o)
{
	struct run_ctx c = {.s = s, .o = o, .out_fd = -1, .sw = {.fd = -1}, .bstate = {.dir = NULL, .fd = -1},
	                    .quiet = s->quiet, .cold_drop_ok = 1};
	memset(o, 0, sizeof *o);
	stop_requested = 0;
	/* `gvab run | head`: a closed pipe must not kill gvab with knobs
	 * changed and a sandbox up. Writes then fail with EPIPE, and progress
	 * stops; the run itself goes on. Children get the default disposition
	 * back (proc_spawn resets every signal). */
	signal(SIGPIPE, SIG_IGN);
	knobs_init(&c.knobs);
	int rc = preconditions(&c);
	if (rc < 0)
		goto out;
	o->out_dir = util_xstrdup(c.out_dir);
	c.samples_path = util_fmt("%s/samples.jsonl", c.out_dir);
	c.run_path = util_fmt("%s/run.json", c.out_dir);
	c.reserve_path = util_fmt("%s/.gvab-reserve", c.out_dir);
	c.log_dir = util_fmt("%s/logs", c.out_dir);
	/* Init traces of the gofer and sandbox only reach their debug logs. */
	c.dbg_dir = (s->phases || s->inittrace) ? util_fmt("%s/debug-logs", c.out_dir) : NULL;
	c.have_knobs = 1;
	if ((rc = prepare_knobs(&c)) < 0)
		goto finish;
	/* Preconditions that need no output come first, so a run that cannot
	 * start leaves no half-written run directory behind. */
	if (s->syscalls && (rc = open_counters(&c.counters)) < 0)
		goto finish;
	if ((rc = prepare_dir(&c)) < 0)
		goto finish;
	if ((rc = schedule_build((int)s->narms, (int)s->warmups, (int)s->iterations, s->order, c.seed, &c.slots,
	                         &c.nslots)) < 0)
		goto finish;
	if ((rc = boot_setup()) < 0 || (rc = boot_state_open(&c.bstate)) < 0)
		goto finish;
	if ((rc = proc_cpu_placement(s->placement, c.placement_desc, sizeof c.placement_desc)) < 0)
		goto finish;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &c.old_sa[0]);
	sigaction(SIGTERM, &sa, &c.old_sa[1]);
	sigaction(SIGHUP, &sa, &c.old_sa[2]);
	c.handlers = 1;
	for (size_t i = 0; i < s->nset && rc == 0; i++)
		rc = knobs_set(&c.knobs, s->set_name[i], s->set_value[i]);
	if (rc < 0)
		goto finish;
	c.before = hostfacts_collect();
	if ((rc = begin_run_json(&c)) < 0)
		goto finish;
	if (s->inittrace)
		c.envp = instrument_inittrace_env();
	for (size_t i = 0; i < s->narms; i++)
		c.arm_envp[i] = arm_env_build(c.envp, &s->arms[i]);
	rc = cold_rounds(&c);
	if (s->warm_k > 0 && rc == 0 && !stop_requested && !o->stopped_by_failures)
		rc = warm_pool(&c);
finish:
	rc = finish(&c, rc);
out:
	if (stop_requested && rc >= 0)
		rc = error_setc(GVAB_EINTR, "interrupted; samples so far are kept, host knobs restored");
	ctx_free(&c);
	/* In-process runs (gate --adaptive, bisect, trend) go on without it. */
	proc_cpu_placement_undo();
	return rc;
}
