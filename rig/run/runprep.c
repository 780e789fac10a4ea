/* runprep: a run's preparation, in the order runloop_run takes it (see
 * runloop_int.h): what needs neither knobs nor directory first
 * (preconditions), the knobs, the workload, the run directory and
 * run.json's first version; and the page-cache and rootfs staging a
 * --drop-caches or --cold boot gets. */
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
#include "util.h"
#include "version.h"

#include <errno.h>
#include <linux/perf_event.h>
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

int run_drop_caches(void)
{
	/* sync first so dirty pages can be dropped; /proc needs a plain write. */
	sync();
	FILE *f = fopen("/proc/sys/vm/run_drop_caches", "we");
	if (!f)
		return error_set("/proc/sys/vm/run_drop_caches: %s", strerror(errno));
	fputs("3", f);
	if (fclose(f) != 0)
		return error_set("/proc/sys/vm/run_drop_caches: %s", strerror(errno));
	return 0;
}

/* A cold boot's bundle: a fresh copy of the rootfs (followed if the bundle
 * links a user rootfs), bundle.json, and config.json for `args` (NULL: the
 * bundle's own args from bundle.json). */
int run_stage_cold(const char *bundle_dir, char *const *args, const char *stage)
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

/* The workload's argv from --workload MODE[:ARG...] (or idle for
 * --memory), checked against the bundle. */
static int run_prepare_workload(struct run_ctx *c)
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
int run_prepare_knobs(struct run_ctx *c)
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
int run_prepare_dir(struct run_ctx *c)
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
int run_begin_json(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	char when[32];
	util_utc_now(when, sizeof when);
	struct runjson_start st = {.started_at = when, .bundle_real = c->bundle_real, .bundle_meta = c->bmeta,
	                           .seed = c->seed, .placement_desc = c->placement_desc,
	                           .workload_words = c->wl_buf ? c->wl_words : NULL, .host = c->before,
	                           .first_seq = c->seq0, .hw_status = c->hw_status};
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

/* --syscalls: membarrier calls of each boot's own processes (every runsc
 * it spawns and their descendants, as `perf stat CMD` counts), all and
 * REGISTER_PRIVATE_EXPEDITED (== 16, linux/membarrier.h). A host without
 * the tracepoint refuses the run with the reason. --counters hw: the
 * hardware events below and the page walks the PMU names, each counted
 * where the host offers it and recorded unavailable, with why, where it
 * does not (the run goes on: a VM without a PMU still measures CORE). */
int run_open_counters(const struct run_spec *s, struct perfcount_set *pc, cJSON **hw_status)
{
	perfcount_init(pc);
	*hw_status = NULL;
	if (s->syscalls) {
		perfcount_add_tracepoint(pc, "membarrier", "syscalls/sys_enter_membarrier", NULL);
		perfcount_add_tracepoint(pc, "membarrier_register_private_expedited",
		                         "syscalls/sys_enter_membarrier", "cmd == 16");
		for (size_t i = 0; i < pc->n; i++)
			if (!pc->ev[i].available)
				return error_setc(GVAB_EPRECOND, "--syscalls: %s", pc->ev[i].why);
	}
	if (!s->hw_counters)
		return 0;
	/* Read misses of the data and instruction TLBs (perf's dTLB-load-misses
	 * and iTLB-load-misses). */
	static const struct {
		const char *name;
		uint32_t type;
		uint64_t config;
	} hw[] = {
		{"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
		{"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
		{"dtlb_misses", PERF_TYPE_HW_CACHE,
		 PERF_COUNT_HW_CACHE_DTLB | PERF_COUNT_HW_CACHE_OP_READ << 8 | PERF_COUNT_HW_CACHE_RESULT_MISS << 16},
		{"itlb_misses", PERF_TYPE_HW_CACHE,
		 PERF_COUNT_HW_CACHE_ITLB | PERF_COUNT_HW_CACHE_OP_READ << 8 | PERF_COUNT_HW_CACHE_RESULT_MISS << 16},
	};
	size_t first = pc->n;
	for (size_t i = 0; i < sizeof hw / sizeof hw[0]; i++)
		if (perfcount_add(pc, hw[i].name, hw[i].type, hw[i].config) < 0)
			return GVAB_EFAIL;
	char walks_why[256] = "";
	if (perfcount_add_named_walks(pc, 4) < 0)
		snprintf(walks_why, sizeof walks_why, "%s", error_last());
	cJSON *st = cJSON_CreateObject();
	cJSON *counted = cJSON_AddArrayToObject(st, "counted");
	cJSON *na = cJSON_AddObjectToObject(st, "unavailable");
	for (size_t i = first; i < pc->n; i++) {
		if (pc->ev[i].available)
			cJSON_AddItemToArray(counted, cJSON_CreateString(pc->ev[i].name));
		else
			cJSON_AddStringToObject(na, pc->ev[i].name, pc->ev[i].why);
	}
	if (walks_why[0])
		cJSON_AddStringToObject(na, "page_walks", walks_why);
	*hw_status = st;
	return 0;
}

/* What needs neither the knobs nor the run directory: the binaries, the
 * bundle, the workload, the seed and the directory's name. */
int run_preconditions(struct run_ctx *c)
{
	const struct run_spec *s = c->s;
	/* Knobs, the knob journal under /run, cgroups and runsc itself. */
	if (geteuid() != 0)
		return error_setc(GVAB_EPRECOND, "needs root (it sets host knobs and boots runsc as "
		                  "root); run it as root");
	for (size_t i = 0; i < s->narms; i++)
		if (access(s->arms[i].runsc, X_OK) != 0)
			return error_setc(GVAB_EPRECOND, "arm %s: runsc '%s' is not an executable file", s->arms[i].name,
			                  s->arms[i].runsc);
	if (!(c->bmeta = bundle_load_meta(s->bundle)))
		return GVAB_EPRECOND;
	if (!realpath(s->bundle, c->bundle_real))
		return error_setc(GVAB_EPRECOND, "bundle %s: %s", s->bundle, strerror(errno));
	int rc;
	if ((s->workload || s->memory_k) && (rc = run_prepare_workload(c)) < 0)
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
