/* campaign: one A/B campaign across the hosts of an inventory, and the
 * per-host check (`gvab hosts run|check`; rig/cmd/cmd_hosts.c parses the
 * options and prints).
 *
 * run: for every selected host, in parallel up to `jobs`, a child process
 * copies what the host needs into a per-campaign directory there
 * (gvab-rig with its two libraries, the bundle, each arm's runsc), runs
 * `gvab-rig run` there, and copies run.json and samples.jsonl back into
 * RESULTS/CAMPAIGN/HOST/, then removes what it copied there (unless
 * keep_remote). One host failing (unreachable, runsc missing, a run error)
 * is reported in RESULTS/CAMPAIGN/HOST/status.json (and the campaign's own
 * state in RESULTS/CAMPAIGN/status.json, campaign_status.c) and does not stop or
 * lose the others; hosts whose run.json says "complete" are skipped when
 * the campaign is run again (resume), and only when the campaign is the
 * same: RESULTS/CAMPAIGN/campaign.json records its arms (name, sha256 of
 * the binary, items) and gvab run options, and a rerun with others is
 * refused with what differs (campaign_record.c). The children stay in
 * gvab's process group: a terminal's Ctrl-C reaches them and their ssh
 * together. `check` is hostcheck.c, what both do on a host remote.c.
 */
#ifndef GVAB_CAMPAIGN_H
#define GVAB_CAMPAIGN_H

#include "inventory.h"

#include <stddef.h>

/* A host run directory's answer lines, '\n'-separated (caller frees), or
 * NULL: supplied by the command layer (analysis is above hosts). */
typedef char *(*campaign_answer_fn)(const char *run_dir);

struct campaign {
	const char *name;        /* results go to results/name/HOST/ (run only) */
	const char *results;     /* default "results" */
	const char *bundle;      /* local bundle directory to copy */
	const char *remote_dir;  /* where hosts keep campaigns */
	const char *runsc;       /* check: the runsc to boot (local, copied), or NULL */
	long jobs;               /* hosts at once */
	char *const *arms;       /* NAME=LOCALPATH[,ITEM...] */
	int narms;
	char *const *pass;       /* options passed to gvab run on each host */
	int npass;
	const char *ssh_config;  /* ssh -F FILE, or NULL */
	int keep_remote;         /* run: leave the copied files on the hosts */
	char *ctl;               /* ssh ControlPath directory (campaign_open) */
	campaign_answer_fn answer; /* run: each host's answer in status.json, or NULL */
};

/* A name that becomes one path component (campaign, arm): letters, digits,
 * '.', '_', '-', not starting with '.' or '-' (so never "." or ".."). */
int campaign_plain_name(const char *s);

/* What `hosts check` (run 0) and `hosts run` (run 1) need on this machine,
 * checked before any host is contacted or anything is created: gvab-rig,
 * the bundle, --runsc (check) or every arm's binary (run). 0, or
 * GVAB_EPRECOND naming what is missing. */
int campaign_preflight(const struct campaign *c, int run);

/* Creates the private directory for ssh's ControlPath sockets (mkdtemp,
 * not a name someone could create first); campaign_close removes it. */
int campaign_open(struct campaign *c);
void campaign_close(struct campaign *c);

/* Runs the campaign on the hosts idx[0..n) of inv (forked children, at
 * most c->jobs at once, resume as above); returns how many failed, or a
 * negative error before any host was contacted (GVAB_EUSAGE: the campaign
 * ran before with other arms or options, each difference named). */
int campaign_run(const struct campaign *c, const struct inventory *inv, const size_t *idx,
                 size_t n);

/* The campaign's record (RESULTS/CAMPAIGN/campaign.json): written on the
 * first run; on a later one 0 when the arms (by sha256) and options are
 * the same, else GVAB_EUSAGE naming every difference. An arm binary that
 * is missing here is GVAB_EPRECOND. */
int campaign_record_check(const struct campaign *c);

/* `gvab hosts clean`: removes what gvab writes on one host, every
 * REMOTE_DIR/X/HOST (X a campaign or "check"), then the folders that are
 * empty then, REMOTE_DIR last; nothing else. 0, or an error naming the
 * host. */
int campaign_clean_host(const struct campaign *c, const struct inv_host *h);

/* A host's outcome from its status.json: 1 ok, 0 failed (with *error, the
 * caller frees, or NULL), -1 no status written. */
int campaign_host_status(const struct campaign *c, const struct inv_host *h, char **error);
/* RESULTS/CAMPAIGN/status.json, the campaign's own status beside the
 * hosts' (campaign_status.c has the format); campaign_run keeps it. */
enum campaign_host_state {
	CAMPAIGN_HOST_PENDING,
	CAMPAIGN_HOST_RUNNING,
	CAMPAIGN_HOST_DONE, /* ended: set reads its status.json, becomes OK or FAILED */
	CAMPAIGN_HOST_OK,
	CAMPAIGN_HOST_FAILED,
};
struct campaign_status;
/* Every host pending; the idx array and inv must outlive it. */
struct campaign_status *campaign_status_new(const struct campaign *c, const struct inventory *inv,
                                            const size_t *idx, size_t n);
/* Host i (of idx) is now `st`; DONE reads its status.json (failed with
 * `why` when it has none) and its answer; `resumed`: skipped as complete. */
void campaign_status_set(struct campaign_status *s, size_t i, enum campaign_host_state st, int resumed,
                         const char *why);
/* Writes status.json atomically: "running", or once finished "complete"
 * (every host ok) or "failed". */
int campaign_status_write(const struct campaign_status *s, int finished);
void campaign_status_free(struct campaign_status *s);

/* RESULTS/CAMPAIGN/HOST (caller frees). */
char *campaign_host_dir(const struct campaign *c, const struct inv_host *h);

/* What `hosts check` found on one host. Strings are owned (campaign_check_free). */
struct campaign_check {
	int reachable;
	double connect_ms;
	char *unreachable;   /* why not */
	int root;            /* 0 no, 1 root, 2 passwordless sudo */
	int rig_ok;          /* gvab-rig and the bundle copied */
	char *rig_error;
	char *facts;         /* "kernel; CPU; N CPUs", NULL if facts failed */
	int boots;           /* runsc booted the bundle (two boots, A/A) */
	char *boot_error;    /* the run's last line when not */
	int syscalls;        /* --syscalls works: perf_event_open on the
	                      * membarrier syscall tracepoint, as root */
	char *syscalls_error;
};

/* Checks one host: reachable; root or passwordless sudo; gvab-rig runs and
 * reports the host's facts; runsc boots the bundle; the --syscalls
 * instrument works there (one more round with --syscalls: gvab opens perf
 * events itself, it needs no perf binary, but the kernel's perf events and
 * syscall tracepoints). Returns 1 when the host can run a campaign (the
 * --syscalls result is information only), else 0. */
int campaign_check_host(const struct campaign *c, const struct inv_host *h,
                        struct campaign_check *r);
void campaign_check_free(struct campaign_check *r);

#endif
