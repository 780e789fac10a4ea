/* history: every run's figures over releases and hosts in one SQLite file,
 * and the change points of each host's series (docs/history.md).
 *
 * The store (history_db.c) is one embedded database, default
 * results/history.sqlite. Its schema is versioned by PRAGMA user_version
 * and marked as gvab's by PRAGMA application_id; opening migrates an older
 * schema step by step inside one transaction, and refuses (GVAB_EDATA,
 * never writing) a file that is not SQLite, fails SQLite's quick_check,
 * belongs to another application, or has a newer schema. WAL journal and a
 * busy timeout let two CI jobs add at once; each `history add` is one
 * transaction, so a killed add leaves the database as it was.
 *
 * Everything added comes through the run directory's validating reader and
 * the analysis module's estimators (analysis_load, analysis_compare,
 * analysis_adjust, stats_median_ci): nothing here re-estimates.
 *
 * Series: a host series is the stock revisions (no patch series applied
 * beyond compat-*) of one host fingerprint (hostname, CPU model, online
 * CPUs), one benchmark (bundle workload, instruments, cold/warm, settings
 * and knobs) and one anchor binary (or none), in go-branch order: module
 * pseudo-versions by their timestamp, Debian trees by their release date,
 * other revisions by the first run that measured them.
 */
#ifndef GVAB_HISTORY_H
#define GVAB_HISTORY_H

#include <stddef.h>
#include <stdio.h>

#define HISTORY_DEFAULT_DB "results/history.sqlite"
#define HISTORY_SCHEMA_VERSION 1
#define HISTORY_APPLICATION_ID 0x67766162 /* "gvab" */
#define HISTORY_ANCHOR_ARM "anchor"       /* the arm name that marks a run's anchor */

struct history_db;

/* Opens (creating when absent) and migrates `path`. A file that is not a
 * gvab history is GVAB_EDATA naming what is wrong; it is never written. */
int history_open(const char *path, struct history_db **out);
void history_close(struct history_db *db);
/* The schema version a file has now (0: empty). */
int history_schema_version(struct history_db *db);

/* ---- adding ----------------------------------------------------------- */
struct history_add_stats {
	int added;   /* runs new to the database */
	int already; /* the same run (same content) was stored: nothing done */
};

/* Adds every run under each of `dirs` (a run directory, or a campaign
 * directory holding run directories at any depth) in ONE transaction: any
 * invalid run directory, or a run whose id is stored with other content,
 * adds nothing and returns GVAB_EDATA naming it. A run's report link is
 * DIR/report.html or DIR/../report/report.html when one exists. */
int history_add(struct history_db *db, char *const *dirs, size_t ndirs,
                struct history_add_stats *st);

/* Copies every run of `other` (a gvab history file, checked as above) not
 * yet stored, in one transaction; the same id with other content is
 * GVAB_EDATA. */
int history_merge(struct history_db *db, const char *other, struct history_add_stats *st);

/* One line per run: id, host, started, arms, directory. */
int history_list(struct history_db *db, FILE *f);

/* ---- series ----------------------------------------------------------- */
struct history_obs {
	size_t rev;       /* index into history_series.revs */
	size_t run;       /* index into history_series.runs */
	double val, lo, hi; /* figure (ms, or the ratio to the anchor) and its 95% interval */
	long n;
};

struct history_rev {
	char *label;      /* module version, debian-VERSION or commit */
	char *commit;     /* go-branch commit (or resolved commit), may be "" */
	char *order_key;
};

struct history_run_ref {
	char *id, *dir, *started_at, *report; /* report: "" when none */
};

struct history_series {
	char *key;        /* host fingerprint | benchmark | anchor */
	char *host;       /* hostname */
	char *bench;      /* readable benchmark and knobs ("rcu_expedited=0 ...") */
	char *knob_args;  /* "--set K=V ..." for the bisect command */
	char *source_kind;/* of the stock revisions: module, git, debian */
	char *anchor;     /* anchor sha256, or NULL: absolute values */
	struct history_rev *revs;
	size_t nrevs;
	struct history_run_ref *runs;
	size_t nruns;
	struct history_obs *obs;  /* sorted by revision order */
	size_t nobs;
};

struct history_query {
	const char *metric;   /* "core", "create", ..., "cpu", "syscalls.NAME" */
	const char *host;     /* NULL: every host */
	const char *revision; /* NULL: every revision; else a label or commit prefix */
	const char *since;    /* NULL, a date (runs started on or after) or a revision */
};

int history_series_load(struct history_db *db, const struct history_query *q,
                        struct history_series **out, size_t *nout);
void history_series_free(struct history_series *s, size_t n);

/* ---- change points ---------------------------------------------------- */
enum history_change_kind {
	HC_SLOWER,    /* significant, at least the minimum magnitude, slower */
	HC_FASTER,
	HC_UNDECIDED, /* significant toward slower, estimate below the magnitude, interval above it */
	HC_SMALL,     /* significant but within the minimum magnitude */
};

struct history_change {
	size_t before, after;    /* revision indices the change lies between */
	double size_pct, lo_pct, hi_pct; /* after vs before segment, % */
	double p;                /* Bonferroni-adjusted over the segment's splits */
	enum history_change_kind kind;
};

struct history_detect_opts {
	double alpha;        /* family-wise per test (default 0.01) */
	double min_pct;      /* minimum magnitude (default the gate's 3%) */
};

struct history_detect_result {
	struct history_change *changes; /* in revision order */
	size_t nchanges;
	double tau;          /* run-to-run sd on the log scale that was used */
	int tau_from;        /* 0: none (one run, no spread beyond the intervals), 1: replicates,
	                      * 2: neighbours of different runs, 3: neighbours within one run */
};

/* Binary segmentation of the series' observations (see history_detect.c
 * for the method). Caller frees result->changes. */
void history_detect(const struct history_series *s, const struct history_detect_opts *o,
                    struct history_detect_result *r);
const char *history_change_name(enum history_change_kind k);

/* The run-to-run sd (log scale) that pools a revision's figures of
 * several runs (show, page), and where it came from (as
 * history_detect_result's tau_from); 0 for a series of one run, whose
 * figures are each their own interval. */
double history_series_tau(const struct history_series *s, int *from);

/* Each revision's figure pooled over the runs that measured it (weights
 * 1 / (v + tau^2), as the detection uses) with its 95% interval, and the
 * number of figures; arrays of s->nrevs. */
void history_rev_estimates(const struct history_series *s, double tau, double *est, double *lo,
                           double *hi, int *nfig);

/* The bisect command for a change (into buf). */
void history_bisect_command(const struct history_series *s, const struct history_change *c,
                            const char *metric, char *buf, size_t len);

/* One self-contained HTML page: every host series of `metric` with its
 * intervals and change points, links to run reports. */
int history_page(struct history_db *db, const char *metric, const struct history_detect_opts *o,
                 const char *out_path);

#endif
