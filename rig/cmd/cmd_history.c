/* cmd_history: `gvab history add|list|show|check|page|merge` over the
 * history module (analysis/history/history.h, docs/history.md). */
#define _GNU_SOURCE
#include "analysis.h"
#include "cmds.h"
#include "error.h"
#include "history.h"
#include "opt.h"
#include "verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_DB = 1, O_METRIC, O_HOST, O_REVISION, O_SINCE, O_THRESHOLD, O_ALPHA, O_OUT };

static const struct opt opts[] = {
	{"db", 0, OPT_REQUIRED, "FILE", "the history file (default " HISTORY_DEFAULT_DB ")", O_DB},
	{"metric", 0, OPT_REQUIRED, "M",
	 "show/check/page: core|create|start|wait|delete|overall|cpu\n"
	 "or syscalls.NAME (default core)", O_METRIC},
	{"host", 0, OPT_REQUIRED, "H", "show/check: only this host (its label)", O_HOST},
	{"revision", 0, OPT_REQUIRED, "R", "show: only revisions whose label or commit starts with R", O_REVISION},
	{"since", 0, OPT_REQUIRED, "DATE|REV",
	 "show/check: runs started on or after DATE (YYYY-MM-DD),\n"
	 "or revisions from REV on", O_SINCE},
	{"threshold", 0, OPT_REQUIRED, "PCT", "check/page: minimum magnitude of a change (default 3,\nthe gate's)", O_THRESHOLD},
	{"alpha", 0, OPT_REQUIRED, "A", "check/page: error of each change-point test (default 0.01)", O_ALPHA},
	{"out", 0, OPT_REQUIRED, "FILE", "page: where the page goes (default results/history/index.html)", O_OUT},
	{0}};

static const struct opt_cmd cmd = {
	"history",
	"add RUN_DIR|CAMPAIGN_DIR... | list | show | check | page | merge OTHER.sqlite [options]",
	"Every run's figures over releases and hosts in one SQLite file (--db, default\n"
	HISTORY_DEFAULT_DB "), and the change points of each host's series.\n"
	"  add    stores each run (run.json + samples.jsonl, through the validating\n"
	"         reader) under a directory, in one transaction; the same run twice\n"
	"         is one run, another run under a stored id is refused\n"
	"  list   the stored runs\n"
	"  show   per host series, the revisions in go-branch order with the metric's\n"
	"         p50 (or ratio to the run's anchor arm) and its 95% interval\n"
	"  check  change points of each series (binary segmentation, docs/history.md),\n"
	"         each with the two revisions it lies between, its size with its\n"
	"         interval and the gvab bisect command that finds the merge\n"
	"  page   one self-contained HTML page of every series (no script)\n"
	"  merge  adds another history file's runs (no duplicates)\n"
	"A run with an arm named '" HISTORY_ANCHOR_ARM "' is anchored: its revisions are stored and\n"
	"checked as ratios to that arm; without one, absolute values (every output says\n"
	"which).\n",
	opts,
	"Exit: check: 0 no change toward slower, 1 a change toward slower, 2 nothing to\n"
	"check, 3 undecided; others: 0 done. 64 usage, 65 invalid run directory or a\n"
	"file that is not a gvab history (never written), 69 failed precondition.\n",
	"history add results/2026-11-23-trend\n"
	"history show --metric core --host vm\n"
	"history check --since 2026-07-01\n"
	"history page --out results/history/index.html"};

struct hargs {
	const char *db, *out;
	struct history_query q;
	struct history_detect_opts d;
};

static int metric_ok(const char *m)
{
	return analysis_phase_index(m) >= 0 || strcmp(m, "cpu") == 0 ||
	       (strncmp(m, "syscalls.", 9) == 0 && m[9]);
}

static const char *values_word(const struct history_series *s)
{
	return s->anchor ? "ratio to the anchor" : "absolute values (no anchor)";
}

static void series_header(FILE *f, const struct history_series *s, const char *metric)
{
	fprintf(f, "host %s: %s\n  %s p50: %s%s%.12s; %zu revisions, %zu runs\n", s->host, s->bench, metric,
	        values_word(s), s->anchor ? " " : "", s->anchor ? s->anchor : "", s->nrevs, s->nruns);
}

static int do_show(struct history_db *db, const struct hargs *a)
{
	struct history_series *s;
	size_t n;
	int rc = history_series_load(db, &a->q, &s, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		int from;
		double tau = history_series_tau(&s[i], &from);
		series_header(stdout, &s[i], a->q.metric);
		const char *unit = s[i].anchor ? "ratio" : "ms";
		printf("  %3s  %-44s %4s  %s [95%% interval]\n", "#", "revision", "figs", unit);
		size_t nr = s[i].nrevs;
		double *e = calloc(nr, sizeof *e), *lo = calloc(nr, sizeof *lo), *hi = calloc(nr, sizeof *hi);
		int *nf = calloc(nr, sizeof *nf);
		if (!e || !lo || !hi || !nf)
			abort();
		history_rev_estimates(&s[i], tau, e, lo, hi, nf);
		for (size_t k = 0; k < nr; k++)
			printf("  %3zu  %-44s %4d  %.4g [%.4g, %.4g]\n", k + 1, s[i].revs[k].label, nf[k], e[k],
			       lo[k], hi[k]);
		free(e);
		free(lo);
		free(hi);
		free(nf);
	}
	if (n == 0)
		printf("no figures of %s stored%s\n", a->q.metric, a->q.host ? " for that host" : "");
	history_series_free(s, n);
	free(s);
	return 0;
}

/* Returns the check's exit code (0, 1, 2, 3) or a negative error. */
static int do_check(struct history_db *db, const struct hargs *a)
{
	struct history_series *s;
	size_t n;
	int rc = history_series_load(db, &a->q, &s, &n);
	if (rc < 0)
		return rc;
	int slower = 0, faster = 0, undecided = 0, checked = 0;
	for (size_t i = 0; i < n; i++) {
		series_header(stdout, &s[i], a->q.metric);
		if (s[i].nrevs < 2) {
			printf("  one revision: nothing to compare\n");
			continue;
		}
		checked++;
		struct history_detect_result r;
		history_detect(&s[i], &a->d, &r);
		printf("  run-to-run sd %.2f%% (%s)\n", 100 * r.tau,
		       r.tau_from == 1 ? "from revisions measured in several runs"
		       : r.tau_from == 2 ? "from neighbouring revisions of different runs"
		       : r.tau_from == 3 ? "one run: from its neighbouring revisions"
		                         : "one run: none");
		for (size_t k = 0; k < r.nchanges; k++) {
			const struct history_change *c = &r.changes[k];
			if (c->kind == HC_SMALL)
				continue;
			slower += c->kind == HC_SLOWER;
			faster += c->kind == HC_FASTER;
			undecided += c->kind == HC_UNDECIDED;
			char cmdline[512];
			history_bisect_command(&s[i], c, a->q.metric, cmdline, sizeof cmdline);
			printf("  change %s: %s -> %s: %+.1f%% [%+.1f%%, %+.1f%%], p %.2g (%s)\n    %s\n",
			       history_change_name(c->kind), s[i].revs[c->before].label,
			       s[i].revs[c->after].label, c->size_pct, c->lo_pct, c->hi_pct, c->p,
			       values_word(&s[i]), cmdline);
		}
		if (r.nchanges == 0)
			printf("  no change point (alpha %g, minimum %g%%)\n", a->d.alpha, a->d.min_pct);
		free(r.changes);
	}
	history_series_free(s, n);
	free(s);
	printf("%d series checked: %d change%s toward slower, %d toward faster, %d undecided\n", checked,
	       slower, slower == 1 ? "" : "s", faster, undecided);
	return checked == 0 ? GATE_INVALID : slower ? GATE_FAIL : undecided ? GATE_UNDECIDED : GATE_PASS;
}

static int dispatch(const char *sub, char **ops, int nops, const struct hargs *a)
{
	struct history_db *db = NULL;
	int rc = history_open(a->db, &db);
	if (rc < 0)
		return cmds_fail(rc, "history");
	int code = 0;
	if (strcmp(sub, "add") == 0) {
		struct history_add_stats st;
		rc = history_add(db, ops, (size_t)nops, &st);
		if (rc == 0)
			printf("%d run%s added, %d already stored (%s)\n", st.added, st.added == 1 ? "" : "s",
			       st.already, a->db);
	} else if (strcmp(sub, "merge") == 0) {
		struct history_add_stats st;
		rc = history_merge(db, ops[0], &st);
		if (rc == 0)
			printf("%d run%s merged from %s, %d already stored\n", st.added,
			       st.added == 1 ? "" : "s", ops[0], st.already);
	} else if (strcmp(sub, "list") == 0) {
		rc = history_list(db, stdout);
	} else if (strcmp(sub, "show") == 0) {
		rc = do_show(db, a);
	} else if (strcmp(sub, "check") == 0) {
		rc = do_check(db, a);
		if (rc >= 0)
			code = rc, rc = 0;
	} else {
		rc = history_page(db, a->q.metric, &a->d, a->out);
		if (rc == 0)
			printf("wrote %s\n", a->out);
	}
	history_close(db);
	if (rc < 0)
		return cmds_fail(rc, "history");
	return code;
}

int cmd_history(int argc, char **argv)
{
	struct hargs a = {.db = HISTORY_DEFAULT_DB, .out = "results/history/index.html",
	                  .q = {.metric = "core"},
	                  .d = {.alpha = VERDICT_DEFAULT_ALPHA, .min_pct = VERDICT_DEFAULT_THRESHOLD_PCT}};
	struct opt_parser p;
	opt_init(&p, &cmd, argc, argv);
	for (int id; (id = opt_next(&p)) > 0;) {
		switch (id) {
		case O_DB: a.db = p.arg; break;
		case O_METRIC:
			a.q.metric = p.arg;
			if (!metric_ok(p.arg))
				opt_error(&p, "'%s' is not a metric (core|create|start|wait|delete|overall|cpu|"
				              "syscalls.NAME)", p.arg);
			break;
		case O_HOST: a.q.host = p.arg; break;
		case O_REVISION: a.q.revision = p.arg; break;
		case O_SINCE: a.q.since = p.arg; break;
		case O_THRESHOLD: opt_double(&p, 0, 100, &a.d.min_pct); break;
		case O_ALPHA: opt_alpha(&p, &a.d.alpha); break;
		case O_OUT: a.out = p.arg; break;
		}
	}
	if (p.status != OPT_DONE)
		return opt_exit(&p);
	opt_free(&p);
	if (p.ind >= argc)
		return opt_usage_error(&cmd, "a subcommand is needed: add, list, show, check, page or merge");
	const char *sub = argv[p.ind];
	char **ops = argv + p.ind + 1;
	int nops = argc - p.ind - 1;
	static const char *const subs[] = {"add", "list", "show", "check", "page", "merge"};
	static const int min_ops[] = {1, 0, 0, 0, 0, 1}, max_ops[] = {100000, 0, 0, 0, 0, 1};
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (strcmp(sub, subs[i]) != 0)
			continue;
		if (nops < min_ops[i])
			return opt_usage_error(&cmd, "history %s: %s", sub,
			                       i == 0 ? "a run or campaign directory is needed"
			                              : "the other history file is needed");
		if (nops > max_ops[i])
			return opt_usage_error(&cmd, "history %s: unexpected operand '%s'", sub, ops[max_ops[i]]);
		return dispatch(sub, ops, nops, &a);
	}
	return opt_usage_error(&cmd, "'%s' is not a history subcommand (add, list, show, check, page, "
	                             "merge)", sub);
}
