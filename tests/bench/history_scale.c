/* history_scale: N synthetic runs added one by one to a fresh history (each
 * add as `gvab history add RUN` does it: open, one transaction, close),
 * then the time of show (every series of core with its revisions) and of
 * check (change points of every series). Runs are release-gate-shaped: ten
 * hosts, each run two consecutive revisions and the anchor, 30 rounds.
 * Prints ms per add (median and p95 of the first 1000, one run per add;
 * the rest go 100 runs per add) and the show and check times; the targets
 * are <= 20 ms per add and <= 1 s for show and check.
 *
 * usage: history_scale [N] (default 10000); files under $TMPDIR */
#define _GNU_SOURCE
#include "../fixture/history_fixture.h"
#include "history.h"
#include "error.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS 10
#define SINGLE 1000 /* runs added one per add, each timed */
#define BATCH 100

static double ms_since(int64_t t0)
{
	return (double)(util_now_ns() - t0) / 1e6;
}

/* This process's CPU time (user + system), ms: on a shared machine the
 * wall time of an add includes waiting for the CPU. */
static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int write_run(const char *dir, long i)
{
	long per = i / HOSTS; /* this host's run number: revisions per and per + 1 */
	char host[32], started[64], v0[80], v1[80];
	snprintf(host, sizeof host, "host%02ld", i % HOSTS);
	snprintf(started, sizeof started, "2027-01-01T00:00:00Z+%07ld", i);
	snprintf(v0, sizeof v0, "v0.0.0-%014ld-%012ld", 20270000000000 + per, per);
	snprintf(v1, sizeof v1, "v0.0.0-%014ld-%012ld", 20270000000000 + per + 1, per + 1);
	const struct fixture_arm arms[] = {{"old", v0, 100, NULL}, {"new", v1, 100, NULL},
	                                   {"anchor", NULL, 90, NULL}};
	struct fixture_run r = {.host = host, .started_at = started, .seed = (uint64_t)i + 1,
	                        .rounds = 30, .boot_sd = 0.05, .round_sd = 0.03, .rcu = "0"};
	return fixture_write_run(dir, &r, arms, 3);
}

static int time_series(struct history_db *db, int check, double *ms, double *cpu, size_t *nseries,
                       size_t *nobs, size_t *changes)
{
	int64_t t0 = util_now_ns();
	double c0 = cpu_ms();
	struct history_query q = {.metric = "core"};
	struct history_series *s;
	size_t n;
	if (history_series_load(db, &q, &s, &n) < 0)
		return -1;
	const struct history_detect_opts o = {.alpha = 0.01, .min_pct = 3};
	*nobs = 0;
	for (size_t i = 0; i < n; i++) {
		*nobs += s[i].nobs;
		if (!check) { /* what `history show` does */
			int from;
			double tau = history_series_tau(&s[i], &from);
			size_t nr = s[i].nrevs ? s[i].nrevs : 1;
			double *e = util_xcalloc(nr, sizeof *e), *lo = util_xcalloc(nr, sizeof *lo);
			double *hi = util_xcalloc(nr, sizeof *hi);
			int *nf = util_xcalloc(nr, sizeof *nf);
			history_rev_estimates(&s[i], tau, e, lo, hi, nf);
			free(e);
			free(lo);
			free(hi);
			free(nf);
			continue;
		}
		struct history_detect_result r;
		history_detect(&s[i], &o, &r);
		*changes += r.nchanges;
		free(r.changes);
	}
	history_series_free(s, n);
	free(s);
	*nseries = n;
	*ms = ms_since(t0);
	*cpu = cpu_ms() - c0;
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *top = util_fmt("%s/gvab-history-scale-XXXXXX", tmp);
	if (!mkdtemp(top))
		return 1;
	char *dbp = util_fmt("%s/history.sqlite", top);
	/* The first `single` runs one per add (each timed); the rest in adds
	 * of BATCH runs (one transaction each), so ten thousand fit a shared
	 * machine's afternoon. */
	long single = n < SINGLE ? n : SINGLE;
	double *add_ms = util_xcalloc((size_t)single, sizeof *add_ms), add_cpu = 0, batch_ms = 0;
	char *runs[BATCH];
	for (int b = 0; b < BATCH; b++)
		runs[b] = util_fmt("%s/run%03d", top, b);
	for (long i = 0; i < n;) {
		int k = i < single ? 1 : (int)(n - i < BATCH ? n - i : BATCH);
		for (int b = 0; b < k; b++) {
			util_rm_rf(runs[b]);
			if (write_run(runs[b], i + b) < 0)
				return 1;
		}
		int64_t t0 = util_now_ns();
		double c0 = cpu_ms();
		struct history_db *db;
		struct history_add_stats st;
		if (history_open(dbp, &db) < 0 || history_add(db, runs, (size_t)k, &st) < 0 || st.added != k) {
			fprintf(stderr, "history_scale: add %ld: %s\n", i, error_last());
			return 1;
		}
		history_close(db);
		if (i < single) {
			add_ms[i] = ms_since(t0);
			add_cpu += cpu_ms() - c0;
		} else {
			batch_ms += ms_since(t0);
		}
		i += k;
	}
	struct stats_summary sum;
	stats_summarize(add_ms, (size_t)single, &sum);
	struct history_db *db;
	if (history_open(dbp, &db) < 0)
		return 1;
	double show_ms, check_ms, show_cpu, check_cpu;
	size_t ns, nobs, changes = 0;
	if (time_series(db, 0, &show_ms, &show_cpu, &ns, &nobs, &changes) < 0 ||
	    time_series(db, 1, &check_ms, &check_cpu, &ns, &nobs, &changes) < 0)
		return 1;
	history_close(db);
	size_t bytes = 0;
	free(util_read_file(dbp, &bytes));
	printf("history_scale: %ld runs (%d hosts, 3 arms, 30 rounds each), database %.1f MB\n", n, HOSTS,
	       (double)bytes / 1e6);
	printf("| step | time | target |\n|---|---:|---|\n");
	printf("| add, one run per `history add`, first %ld runs (median) | %.2f ms | <= 20 ms |\n", single, sum.median);
	printf("| add (p95) | %.2f ms | |\n", sum.p95);
	printf("| add (mean) | %.2f ms | |\n", sum.mean);
	printf("| add, CPU time of the process (mean) | %.2f ms | |\n", add_cpu / (double)single);
	if (n > single)
		printf("| add, the other %ld runs %d per add (per run) | %.2f ms | |\n", n - single, BATCH,
		       batch_ms / (double)(n - single));
	printf("| show --metric core (%zu series, %zu figures) | %.0f ms (CPU %.0f ms) | <= 1 s |\n", ns, nobs,
	       show_ms, show_cpu);
	printf("| check --metric core (%zu change points found) | %.0f ms (CPU %.0f ms) | <= 1 s |\n", changes,
	       check_ms, check_cpu);
	if (!getenv("GVAB_KEEP"))
		util_rm_rf(top);
	else
		fprintf(stderr, "kept %s\n", dbp);
	for (int b = 0; b < BATCH; b++)
		free(runs[b]);
	free(add_ms);
	free(dbp);
	free(top);
	return 0;
}
