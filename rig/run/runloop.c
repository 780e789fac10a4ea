/* runloop: see runloop.h. One run in four steps: prepare (knobs first,
 * preconditions, the run directory, run.json's first version), the cold
 * rounds, the warm pool, and finish (host facts after, knobs back, run.json
 * closed) on every path. */
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

volatile sig_atomic_t runloop_stop;

static void on_signal(int sig)
{
	(void)sig;
	runloop_stop = 1;
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
		const char *status = runloop_stop ? "interrupted"
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
	cJSON_Delete(c->hw_status);
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

int runloop_run(const struct run_spec *s, struct run_outcome *o)
{
	struct run_ctx c = {.s = s, .o = o, .out_fd = -1, .sw = {.fd = -1}, .bstate = {.dir = NULL, .fd = -1},
	                    .quiet = s->quiet, .cold_drop_ok = 1};
	memset(o, 0, sizeof *o);
	runloop_stop = 0;
	/* `gvab run | head`: a closed pipe must not kill gvab with knobs
	 * changed and a sandbox up. Writes then fail with EPIPE, and progress
	 * stops; the run itself goes on. Children get the default disposition
	 * back (proc_spawn resets every signal). */
	signal(SIGPIPE, SIG_IGN);
	knobs_init(&c.knobs);
	int rc = run_preconditions(&c);
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
	if ((rc = run_prepare_knobs(&c)) < 0)
		goto finish;
	/* Preconditions that need no output come first, so a run that cannot
	 * start leaves no half-written run directory behind. */
	if ((s->syscalls || s->hw_counters) && (rc = run_open_counters(s, &c.counters, &c.hw_status)) < 0)
		goto finish;
	if ((rc = run_prepare_dir(&c)) < 0)
		goto finish;
	if ((rc = schedule_build((int)s->narms, (int)s->warmups, (int)s->iterations, s->order, c.seed, &c.slots,
	                         &c.nslots)) < 0)
		goto finish;
	if ((rc = boot_setup()) < 0 || (rc = boot_state_open(&c.bstate)) < 0 ||
	    (rc = boot_state_note_reserve(&c.bstate, c.reserve_path)) < 0)
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
	if ((rc = run_begin_json(&c)) < 0)
		goto finish;
	if (s->inittrace)
		c.envp = instrument_inittrace_env();
	for (size_t i = 0; i < s->narms; i++)
		c.arm_envp[i] = run_arm_env_build(c.envp, &s->arms[i]);
	rc = run_cold_rounds(&c);
	if (s->warm_k > 0 && rc == 0 && !runloop_stop && !o->stopped_by_failures)
		rc = run_warm_pool(&c);
finish:
	rc = finish(&c, rc);
out:
	if (runloop_stop && rc >= 0)
		rc = error_setc(GVAB_EINTR, "interrupted; samples so far are kept, host knobs restored");
	ctx_free(&c);
	/* In-process runs (gate --adaptive, bisect, trend) go on without it. */
	proc_cpu_placement_undo();
	return rc;
}
