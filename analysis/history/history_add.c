/* history_add: run directories into the history, one transaction per add.
 *
 * Each run is read by analysis_load (the run directory's validating
 * reader), compared by analysis_compare/analysis_adjust as `gvab report`
 * does (bootstrap off: it is descriptive and no stored figure uses it), and
 * its p50 intervals come from stats_median_ci. A run's id is its start time
 * and a hash of host, boot id, start and seed; its digest the sha256 of
 * run.json and samples.jsonl, so the same run added twice is recognised and
 * a different run under a stored id refused. */
#define _GNU_SOURCE
#include "history_int.h"
#include "analysis.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *history_json_str(const cJSON *o, const char *k)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* "k=v k=v" of an object's string or number members, in file order;
 * `set` (may be NULL) gets "--set k=v ..." likewise. */
static void object_pairs(const cJSON *o, const char *prefix, char **out)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, o) {
		char val[128];
		if (cJSON_IsString(m))
			snprintf(val, sizeof val, "%s", m->valuestring);
		else if (cJSON_IsNumber(m))
			snprintf(val, sizeof val, "%g", m->valuedouble);
		else if (cJSON_IsBool(m))
			snprintf(val, sizeof val, "%s", cJSON_IsTrue(m) ? "true" : "false");
		else
			continue;
		char *n = util_fmt("%s%s%s%s=%s", *out, **out ? " " : "", prefix, m->string, val);
		free(*out);
		*out = n;
	}
}

static void append(char **s, const char *sep, const char *what)
{
	char *n = util_fmt("%s%s%s", *s, **s ? sep : "", what);
	free(*s);
	*s = n;
}

struct run_row {
	char id[96], digest[65], started[64], version[64], anchor[65];
	char *host_fp, *bench, *knobs, *knob_args, *instruments, *series, *report;
	int anchor_idx;
};

static void run_row_free(struct run_row *r)
{
	free(r->host_fp);
	free(r->bench);
	free(r->knobs);
	free(r->knob_args);
	free(r->instruments);
	free(r->series);
	free(r->report);
}

static int run_digest(const char *dir, char hex[65])
{
	char *rp = util_fmt("%s/run.json", dir), *sp = util_fmt("%s/samples.jsonl", dir);
	size_t n1 = 0, n2 = 0;
	char *a = util_read_file(rp, &n1), *b = util_read_file(sp, &n2);
	int rc = 0;
	if (!a || !b) {
		rc = error_setc(GVAB_EDATA, "%s: cannot read run.json or samples.jsonl", dir);
	} else {
		char *all = util_xmalloc(n1 + n2 + 1);
		memcpy(all, a, n1);
		memcpy(all + n1, b, n2);
		util_sha256_buf(all, n1 + n2, hex);
		free(all);
	}
	free(a);
	free(b);
	free(rp);
	free(sp);
	return rc;
}

static void run_describe(const struct run_analysis *ra, struct run_row *r)
{
	const cJSON *run = ra->run, *host = cJSON_GetObjectItemCaseSensitive(run, "host");
	const cJSON *cpus = host ? cJSON_GetObjectItemCaseSensitive(host, "online_cpus") : NULL;
	r->host_fp = util_fmt("%s|%s|%d cpus", ra->label, history_json_str(host, "cpu_model"),
	                      cJSON_IsNumber(cpus) ? cpus->valueint : 0);
	snprintf(r->started, sizeof r->started, "%s", history_json_str(run, "started_at"));
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(run, "gvab");
	snprintf(r->version, sizeof r->version, "%s %s", history_json_str(g, "version"),
	         history_json_str(g, "commit"));
	r->knobs = util_xstrdup("");
	r->knob_args = util_xstrdup("");
	const cJSON *settings = cJSON_GetObjectItemCaseSensitive(run, "settings");
	object_pairs(settings, "", &r->knobs);
	object_pairs(settings, "--set ", &r->knob_args);
	const cJSON *hk = host ? cJSON_GetObjectItemCaseSensitive(host, "knobs") : NULL;
	char *hks = util_xstrdup("");
	object_pairs(hk, "host.", &hks);
	append(&r->knobs, " ", hks);
	free(hks);
	r->instruments = util_xstrdup("");
	static const char *const instr[] = {"phases", "inittrace", "syscalls", "drop_caches", "cold"};
	for (size_t i = 0; i < sizeof instr / sizeof instr[0]; i++)
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, instr[i])))
			append(&r->instruments, " ", instr[i]);
	/* The benchmark: what each boot ran, how, and what was measured beside. */
	const cJSON *bundle = cJSON_GetObjectItemCaseSensitive(run, "bundle");
	const cJSON *args = bundle ? cJSON_GetObjectItemCaseSensitive(bundle, "args") : NULL;
	r->bench = util_xstrdup("");
	const cJSON *a;
	cJSON_ArrayForEach(a, args) if (cJSON_IsString(a)) append(&r->bench, " ", a->valuestring);
	const cJSON *wl = cJSON_GetObjectItemCaseSensitive(run, "workload");
	if (cJSON_IsString(wl))
		append(&r->bench, " ", wl->valuestring);
	const cJSON *wp = cJSON_GetObjectItemCaseSensitive(run, "warm_pool_execs");
	if (cJSON_IsNumber(wp) && wp->valuedouble > 0)
		append(&r->bench, " ", "warm-pool");
	const cJSON *arm0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(run, "arms"), 0);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(arm0, "flags"))
		if (cJSON_IsString(a))
			append(&r->bench, " ", a->valuestring);
	if (r->instruments[0])
		append(&r->bench, " +", r->instruments);
	char key[512];
	snprintf(key, sizeof key, "%s\n%s\n%s\n%s\n%s", ra->label, history_json_str(host, "boot_id"),
	         r->started, history_json_str(run, "seed"), history_json_str(host, "hostname"));
	char h[65];
	util_sha256_buf(key, strlen(key), h);
	snprintf(r->id, sizeof r->id, "%.40s-%.8s", r->started, h);
}

/* The run's report page: DIR/report.html or DIR/../report/report.html. */
static char *find_report(const char *dir)
{
	char *p = util_fmt("%s/report.html", dir);
	if (util_path_exists(p))
		return p;
	free(p);
	p = util_fmt("%s/../report/report.html", dir);
	if (util_path_exists(p))
		return p;
	free(p);
	return util_xstrdup("");
}

int history_add_arms(struct history_db *db, const struct run_analysis *ra, const char *run_id,
                     int *anchor_idx, char anchor_sha[65]);
int history_add_figures(struct history_db *db, struct run_analysis *ra, const char *run_id,
                        int anchor_idx);

static int insert_run(struct history_db *db, const char *dir, const struct run_row *r)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "INSERT INTO runs VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st);
	if (rc < 0)
		return rc;
	char now[32];
	util_utc_now(now, sizeof now);
	const char *hostname = r->host_fp;
	size_t hl = strcspn(hostname, "|");
	const char *v[] = {r->id, r->digest, dir, r->report, NULL, r->host_fp, r->bench, r->knob_args,
	                   r->knobs, r->instruments, r->started, r->version, r->anchor, r->series, now};
	for (int i = 0; i < 15; i++)
		if (i == 4)
			sqlite3_bind_text(st, i + 1, hostname, (int)hl, SQLITE_TRANSIENT);
		else
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = error_setc(GVAB_EDATA, "%s: adding %s: %s", db->path, dir, sqlite3_errmsg(db->db));
	sqlite3_finalize(st);
	return rc;
}

/* 1: stored with the same content; 0: not stored; < 0: stored with other. */
static int stored(struct history_db *db, const struct run_row *r, const char *dir)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "SELECT digest, dir FROM runs WHERE id = ?", &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (strcmp(history_col(st, 0), r->digest) == 0)
			rc = 1;
		else
			rc = error_setc(GVAB_EDATA, "%s: run id %s is stored already (from %s) with other "
			                            "content; a different run under a stored id is refused",
			                dir, r->id, history_col(st, 1));
	}
	sqlite3_finalize(st);
	return rc;
}

static int add_one(struct history_db *db, const char *dir, struct history_add_stats *stats)
{
	struct run_analysis ra;
	struct run_row r = {.anchor_idx = -1};
	int rc = analysis_load(dir, &ra);
	if (rc < 0)
		goto out;
	if ((rc = run_digest(dir, r.digest)) < 0)
		goto out;
	run_describe(&ra, &r);
	if ((rc = stored(db, &r, dir)) != 0) {
		if (rc > 0) {
			stats->already++;
			rc = 0;
		}
		goto out;
	}
	r.report = find_report(dir);
	/* Arms first: they tell whether there is an anchor. */
	r.series = util_xstrdup("");
	if ((rc = insert_run(db, dir, &r)) < 0 ||
	    (rc = history_add_arms(db, &ra, r.id, &r.anchor_idx, r.anchor)) < 0)
		goto out;
	free(r.series);
	r.series = util_fmt("%s\n%s\n%s\n%s", r.host_fp, r.bench, r.knobs, r.anchor[0] ? r.anchor : "-");
	sqlite3_stmt *st;
	if ((rc = history_prepare(db, "UPDATE runs SET series = ?, anchor = ? WHERE id = ?", &st)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, r.series, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r.anchor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r.id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = error_setc(GVAB_EDATA, "%s: %s", db->path, sqlite3_errmsg(db->db));
	sqlite3_finalize(st);
	if (rc < 0 || (rc = history_add_figures(db, &ra, r.id, r.anchor_idx)) < 0)
		goto out;
	stats->added++;
out:
	if (rc < 0)
		error_wrap(rc, "history add %s", dir);
	run_row_free(&r);
	analysis_free(&ra);
	return rc;
}

/* Run directories under `top` (itself, or any depth below; build trees
 * skipped), walked with an explicit stack. */
static int collect_runs(const char *top, char ***out, size_t *n)
{
	char **stack = util_xcalloc(1, sizeof *stack);
	size_t ns = 1;
	stack[0] = util_xstrdup(top);
	size_t before = *n;
	while (ns) {
		char *d = stack[--ns];
		char *rj = util_fmt("%s/run.json", d);
		int is_run = util_path_exists(rj);
		free(rj);
		if (is_run) {
			*out = util_xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[(*n)++] = d;
			continue;
		}
		DIR *dh = opendir(d);
		for (struct dirent *e; dh && (e = readdir(dh));) {
			if (e->d_name[0] == '.' || strcmp(e->d_name, "arms") == 0 ||
			    strcmp(e->d_name, "tree") == 0)
				continue;
			char *sub = util_fmt("%s/%s", d, e->d_name);
			if (util_is_dir(sub)) {
				stack = util_xrealloc(stack, (ns + 1) * sizeof *stack);
				stack[ns++] = sub;
			} else {
				free(sub);
			}
		}
		if (dh)
			closedir(dh);
		free(d);
	}
	free(stack);
	if (*n == before)
		return error_setc(GVAB_EDATA, "%s: no run directory (run.json) in it or below", top);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A test hook: with GVAB_TEST_HISTORY_STALL=FILE an add creates FILE just
 * before its COMMIT and waits there to be killed (tests/unit: a SIGKILL in
 * mid-add leaves the database as it was). */
static void test_stall(void)
{
	const char *f = getenv("GVAB_TEST_HISTORY_STALL");
	if (!f || !*f)
		return;
	util_write_file_atomic(f, "stalled\n", 8);
	for (;;)
		pause();
}

int history_add(struct history_db *db, char *const *dirs, size_t ndirs, struct history_add_stats *st)
{
	memset(st, 0, sizeof *st);
	char **runs = NULL;
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < ndirs && rc == 0; i++)
		rc = collect_runs(dirs[i], &runs, &n);
	if (rc == 0 && n > 1)
		qsort(runs, n, sizeof *runs, cmp_str);
	if (rc == 0 && (rc = history_exec(db, "BEGIN IMMEDIATE")) == 0) {
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = add_one(db, runs[i], st);
		if (rc == 0)
			test_stall();
		if (rc == 0)
			rc = history_exec(db, "COMMIT");
		if (rc < 0) {
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
			st->added = 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(runs[i]);
	free(runs);
	return rc;
}
