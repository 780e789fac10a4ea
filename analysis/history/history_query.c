/* history_query: the stored figures as host series (history.h), and the
 * list of runs. The figures come from history_rows, grouped here by
 * series; revisions come sorted by their go-branch order key. */
#define _GNU_SOURCE
#include "history_int.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The series being built: its runs are numbered as first seen (stamp:
 * the series number, so a run seen in an earlier series counts anew),
 * sorted by id at the end. */
struct build {
	struct history_series *s;
	size_t cap_obs, cap_runs, stamp;
	int ratio_missing;
};

static int is_date(const char *s)
{
	return strlen(s) >= 10 && isdigit((unsigned char)s[0]) && s[4] == '-' && s[7] == '-';
}

/* --since REV: the order key of the revision REV names (label or commit
 * prefix). */
static int since_key(struct history_db *db, const char *rev, char **key)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "SELECT min(order_key) FROM arms WHERE revision = ?1 OR "
	                             "(length(?1) >= 7 AND go_commit LIKE ?1 || '%')", &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, rev, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*key = util_xstrdup(history_col(st, 0));
	else
		rc = error_setc(GVAB_EUSAGE, "--since %s: not a date (YYYY-MM-DD) nor a stored revision",
		                rev);
	sqlite3_finalize(st);
	return rc;
}

struct rev_ref {
	const char *label, *key;
	size_t idx, uid;
};

static int cmp_ref_label(const void *a, const void *b)
{
	const struct rev_ref *x = a, *y = b;
	int c = strcmp(x->label, y->label);
	return c ? c : strcmp(x->key, y->key);
}

static int cmp_ref_order(const void *a, const void *b)
{
	const struct rev_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->label, y->label);
}

static int cmp_obs(const void *a, const void *b)
{
	const struct history_obs *x = a, *y = b;
	return (x->rev > y->rev) - (x->rev < y->rev);
}

/* A revision known only by commit has one order key per run that measured
 * it (the run's start): it is one revision, at its earliest key. */
static void merge_revisions(struct history_series *s)
{
	size_t n = s->nrevs, k = 0;
	struct rev_ref *r = util_xcalloc(n ? n : 1, sizeof *r), *u = util_xcalloc(n ? n : 1, sizeof *u);
	size_t *map = util_xcalloc(n ? n : 1, sizeof *map);
	for (size_t i = 0; i < n; i++)
		r[i] = (struct rev_ref){s->revs[i].label, s->revs[i].order_key, i, 0};
	qsort(r, n, sizeof *r, cmp_ref_label);
	for (size_t i = 0; i < n; i++) {
		if (!k || strcmp(u[k - 1].label, r[i].label) != 0)
			u[k] = r[i], u[k].uid = k, k++; /* the first: the earliest key */
		map[r[i].idx] = k - 1;
	}
	qsort(u, k, sizeof *u, cmp_ref_order);
	size_t *pos = util_xcalloc(k ? k : 1, sizeof *pos);
	struct history_rev *revs = util_xcalloc(k ? k : 1, sizeof *revs);
	char *keep = util_xcalloc(n ? n : 1, 1);
	for (size_t j = 0; j < k; j++) {
		pos[u[j].uid] = j;
		revs[j] = s->revs[u[j].idx];
		keep[u[j].idx] = 1;
	}
	for (size_t i = 0; i < s->nobs; i++)
		s->obs[i].rev = pos[map[s->obs[i].rev]];
	for (size_t i = 0; i < n; i++)
		if (!keep[i]) {
			free(s->revs[i].label);
			free(s->revs[i].commit);
			free(s->revs[i].order_key);
		}
	free(s->revs);
	s->revs = revs;
	s->nrevs = k;
	if (s->nobs > 1) /* none when --revision left the series empty */
		qsort(s->obs, s->nobs, sizeof *s->obs, cmp_obs);
	free(keep);
	free(pos);
	free(map);
	free(u);
	free(r);
}

/* The index in s->runs of the row's run, added when new. */
static size_t run_index(struct build *b, struct history_qrun *q)
{
	struct history_series *s = b->s;
	if (q->stamp == b->stamp)
		return q->index;
	if (s->nruns == b->cap_runs) {
		b->cap_runs = b->cap_runs ? 2 * b->cap_runs : 16;
		s->runs = util_xrealloc(s->runs, b->cap_runs * sizeof *s->runs);
	}
	struct history_run_ref *r = &s->runs[s->nruns];
	r->id = util_xstrdup(q->id);
	r->dir = util_xstrdup(q->dir);
	r->started_at = util_xstrdup(q->started_at);
	r->report = util_xstrdup(q->report);
	q->stamp = b->stamp;
	q->index = s->nruns;
	return s->nruns++;
}

static int cmp_run_id(const void *a, const void *b)
{
	return strcmp(((const struct history_run_ref *)a)->id, ((const struct history_run_ref *)b)->id);
}

/* Runs of the series, sorted by id; observations point into them. */
static void finish(struct build *b)
{
	struct history_series *s = b->s;
	size_t n = s->nruns;
	struct history_run_ref *sorted = util_xcalloc(n ? n : 1, sizeof *sorted);
	if (n) /* none when --revision left the series empty */
		memcpy(sorted, s->runs, n * sizeof *sorted);
	if (n > 1)
		qsort(sorted, n, sizeof *sorted, cmp_run_id);
	/* old index -> new: the old array's id pointers are unique */
	size_t *pos = util_xcalloc(n ? n : 1, sizeof *pos);
	for (size_t i = 0; i < n; i++) {
		struct history_run_ref *hit = bsearch(&s->runs[i], sorted, n, sizeof *sorted, cmp_run_id);
		pos[i] = (size_t)(hit - sorted);
	}
	for (size_t i = 0; i < s->nobs; i++)
		s->obs[i].run = pos[s->obs[i].run];
	free(pos);
	free(s->runs);
	s->runs = sorted;
	merge_revisions(s);
	/* An anchored series whose metric has no ratios (cpu, counters) is
	 * shown in absolute values, and says so. */
	if (b->ratio_missing) {
		free(s->anchor);
		s->anchor = NULL;
	}
}

static void add_row(struct build *b, const struct history_qrow *w, const char *rev_filter)
{
	struct history_series *s = b->s;
	const char *rev = w->arm->revision, *commit = w->arm->commit;
	if (rev_filter && strncmp(rev, rev_filter, strlen(rev_filter)) != 0 &&
	    !(strlen(rev_filter) >= 7 && strncmp(commit, rev_filter, strlen(rev_filter)) == 0))
		return;
	if (s->nrevs == 0 || strcmp(s->revs[s->nrevs - 1].label, rev) != 0) {
		s->revs = util_xrealloc(s->revs, (s->nrevs + 1) * sizeof *s->revs);
		s->revs[s->nrevs].label = util_xstrdup(rev);
		s->revs[s->nrevs].commit = util_xstrdup(commit);
		s->revs[s->nrevs].order_key = util_xstrdup(w->arm->order_key);
		s->nrevs++;
		if (!s->source_kind || !s->source_kind[0]) {
			free(s->source_kind);
			s->source_kind = util_xstrdup(w->arm->source_kind);
		}
	}
	if (s->nobs == b->cap_obs) {
		b->cap_obs = b->cap_obs ? 2 * b->cap_obs : 64;
		s->obs = util_xrealloc(s->obs, b->cap_obs * sizeof *s->obs);
	}
	struct history_obs *o = &s->obs[s->nobs++];
	o->run = run_index(b, w->run);
	o->rev = s->nrevs - 1;
	o->n = w->n;
	o->val = w->p50;
	o->lo = w->lo;
	o->hi = w->hi;
	if (s->anchor) {
		if (!w->has_ratio) {
			b->ratio_missing = 1;
		} else {
			o->val = w->ratio;
			o->lo = w->ratio_lo;
			o->hi = w->ratio_hi;
		}
	}
}

static void build_end(struct build *b)
{
	if (!b->s)
		return;
	finish(b);
	size_t stamp = b->stamp;
	memset(b, 0, sizeof *b);
	b->stamp = stamp;
}

int history_series_load(struct history_db *db, const struct history_query *q,
                        struct history_series **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	char *key = NULL;
	const char *since_date = NULL;
	int rc = 0;
	if (q->since && is_date(q->since))
		since_date = q->since;
	else if (q->since && (rc = since_key(db, q->since, &key)) < 0)
		return rc;
	struct history_rows rows;
	if ((rc = history_rows_load(db, q->metric, q->host, since_date, key, &rows)) < 0) {
		free(key);
		return rc;
	}
	struct history_series *v = NULL;
	size_t n = 0;
	struct build b = {0};
	for (size_t i = 0; i < rows.nrows; i++) {
		const struct history_qrow *w = &rows.rows[i];
		const char *series = w->run->series;
		if (n == 0 || strcmp(v[n - 1].key, series) != 0) {
			build_end(&b);
			v = util_xrealloc(v, (n + 1) * sizeof *v);
			struct history_series *s = memset(&v[n++], 0, sizeof *v);
			s->key = util_xstrdup(series);
			s->host = util_xstrdup(w->run->host);
			s->bench = util_xstrdup(w->run->bench);
			s->knob_args = util_xstrdup(w->run->knob_args);
			s->anchor = w->run->anchor[0] ? util_xstrdup(w->run->anchor) : NULL;
			b.s = s;
			b.stamp++;
		}
		add_row(&b, w, q->revision);
	}
	build_end(&b);
	history_rows_free(&rows);
	free(key);
	/* A --revision filter may leave a series empty: drop those. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].nobs)
			v[k++] = v[i];
		else
			history_series_free(&v[i], 1), memset(&v[i], 0, sizeof v[i]);
	*out = v;
	*nout = k;
	return rc;
}

void history_series_free(struct history_series *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t r = 0; r < s[i].nrevs; r++) {
			free(s[i].revs[r].label);
			free(s[i].revs[r].commit);
			free(s[i].revs[r].order_key);
		}
		for (size_t r = 0; r < s[i].nruns; r++) {
			free(s[i].runs[r].id);
			free(s[i].runs[r].dir);
			free(s[i].runs[r].started_at);
			free(s[i].runs[r].report);
		}
		free(s[i].revs);
		free(s[i].runs);
		free(s[i].obs);
		free(s[i].key);
		free(s[i].host);
		free(s[i].bench);
		free(s[i].knob_args);
		free(s[i].source_kind);
		free(s[i].anchor);
	}
}

int history_list(struct history_db *db, FILE *f)
{
	sqlite3_stmt *st;
	int rc = history_prepare(db, "SELECT r.id, r.host, r.started_at, r.gvab_version,"
	                             " (SELECT group_concat(name, ',') FROM arms a WHERE a.run_id = r.id),"
	                             " r.anchor, r.dir FROM runs r ORDER BY r.started_at, r.id", &st);
	if (rc < 0)
		return rc;
	fprintf(f, "%-50s %-12s %-20s %-6s %s\n", "id", "host", "started", "anchor", "arms / directory");
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		fprintf(f, "%-50s %-12s %-20s %-6s %s\n%52s%s\n", history_col(st, 0), history_col(st, 1),
		        history_col(st, 2), history_col(st, 5)[0] ? "yes" : "no", history_col(st, 4), "",
		        history_col(st, 6));
		n++;
	}
	sqlite3_finalize(st);
	fprintf(f, "%d run%s\n", n, n == 1 ? "" : "s");
	return 0;
}
