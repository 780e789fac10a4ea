/* answer: see answer.h. */
#define _GNU_SOURCE
#include "answer.h"
#include "error.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double pct(double ms, double base)
{
	return base > 0 ? 100.0 * ms / base : NAN;
}

/* "[-31.8, -23.6]"; an end the data leave open is "open" (never inf). */
static void interval(double lo, double hi, double base, char *buf, size_t len)
{
	char a[32], b[32];
	double pl = pct(lo, base), ph = pct(hi, base);
	if (isfinite(pl))
		snprintf(a, sizeof a, "%+.1f", pl);
	else
		snprintf(a, sizeof a, "open");
	if (isfinite(ph))
		snprintf(b, sizeof b, "%+.1f", ph);
	else
		snprintf(b, sizeof b, "open");
	snprintf(buf, len, "[%s, %s]", a, b);
}

/* Words instead of figures when an arm of c has fewer than
 * ANALYSIS_MIN_BOOTS ok measured boots (or no usable median): "too few
 * boots (n=2)", naming the baseline when it is the one short. NULL when
 * the figures stand. */
static const char *too_few(const struct run_analysis *ra, const struct comparison *c, char *buf,
                           size_t len)
{
	const struct arm_stats *A = &ra->arms[c->a], *B = &ra->arms[c->b];
	if (B->n_ok < ANALYSIS_MIN_BOOTS || !isfinite(c->med_b) || !(c->med_b > 0))
		snprintf(buf, len, "too few boots (n=%zu)", B->n_ok);
	else if (A->n_ok < ANALYSIS_MIN_BOOTS || !isfinite(c->med_a) || !(c->med_a > 0))
		snprintf(buf, len, "too few boots of %s (n=%zu)", A->name, A->n_ok);
	else if (!isfinite(c->shift_ms))
		snprintf(buf, len, "no shift (n=%zu)", B->n_ok);
	else
		return NULL;
	return buf;
}

static void between_runs(const struct run_analysis *runs, size_t nruns, int phase);

/* The power sample-size advice plans for (answer.h). */
#define ADVICE_POWER 0.8
/* Fewer pairs give an sd too rough to plan with. */
#define ADVICE_MIN_PAIRS 5
/* How far the pairs a dependence of rounds asks for are searched. */
#define ADVICE_FLOOR_MAX 1000

/* ", variance x1.29 for dependent rounds" when the interval was widened. */
static void dep_text(const struct comparison *c, char *buf, size_t len)
{
	if (c->dep_factor > 1.005)
		snprintf(buf, len, ", variance x%.2f for dependent rounds", c->dep_factor);
	else
		buf[0] = '\0';
}

int answer_advice(const struct comparison *c, double alpha, int two_sided, double threshold_pct,
                  char *buf, size_t len)
{
	buf[0] = '\0';
	if (c->npairs < ADVICE_MIN_PAIRS || !isfinite(c->pair_log_sd) || !(threshold_pct > 0))
		return 0;
	char dep[64];
	dep_text(c, dep, sizeof dep);
	double need = stats_plan_pairs(c->pair_log_sd, log1p(threshold_pct / 100), alpha,
	                               ADVICE_POWER, c->dep_factor);
	double more = ceil(need) - (double)c->npairs;
	/* Dependent rounds can put every verdict out of reach of these pairs:
	 * the rank test's smallest p (all pairs of one sign) at the widened
	 * variance above what the verdict needs (alpha two-sided; an interval
	 * at alpha per side, the gate's, closes at 2 alpha). Then the shift is
	 * not near the threshold; the pairs are too few for any shift. */
	double p_needed = two_sided ? alpha : 2 * alpha;
	if (c->dep_factor > 1 && stats_sign_floor_p(c->npairs, c->dep_factor) > p_needed) {
		size_t m = stats_sign_floor_pairs(c->dep_factor, p_needed, ADVICE_FLOOR_MAX);
		int w = snprintf(buf, len, "%zu pairs cannot decide a change of any size at this dependence "
		                 "of rounds (variance x%.2f): even all %zu of one sign fall short of alpha "
		                 "%.3g; ", c->npairs, c->dep_factor, c->npairs, alpha);
		if (w < 0 || (size_t)w >= len)
			return 1;
		if (m == 0)
			snprintf(buf + w, len - (size_t)w, "no count up to %d pairs can", ADVICE_FLOOR_MAX);
		else if (ceil(need) > (double)m)
			snprintf(buf + w, len - (size_t)w, "from %zu pairs on every count can, and about %.0f more "
			         "would decide a change of %.3g%% at the observed noise (sd of paired "
			         "log-ratios %.3f)", m, more, threshold_pct, c->pair_log_sd);
		else
			snprintf(buf + w, len - (size_t)w, "from %zu pairs on every count can (%zu more)", m,
			         m - c->npairs);
		return 1;
	}
	if (more <= 0)
		snprintf(buf, len, "at the observed noise (sd of paired log-ratios %.3f%s) %.0f pairs "
		         "decide a change of %.3g%%; the shift lies near the threshold, which more pairs "
		         "may not settle", c->pair_log_sd, dep, ceil(need), threshold_pct);
	else if (more > 1e6)
		snprintf(buf, len, "more than 1000000 more pairs would decide a change of %.3g%% at the "
		         "observed noise (sd of paired log-ratios %.3f%s)", threshold_pct, c->pair_log_sd,
		         dep);
	else
		snprintf(buf, len, "about %.0f more pairs would decide a change of %.3g%% at the "
		         "observed noise (sd of paired log-ratios %.3f%s)", more, threshold_pct,
		         c->pair_log_sd, dep);
	return 1;
}

const char *answer_interval(char *buf, size_t len, double lo, double hi, int prec, int sign)
{
	char a[48] = "open", b[48] = "open";
	if (isfinite(lo))
		snprintf(a, sizeof a, sign ? "%+.*f" : "%.*f", prec, lo);
	if (isfinite(hi))
		snprintf(b, sizeof b, sign ? "%+.*f" : "%.*f", prec, hi);
	snprintf(buf, len, "[%s, %s]", a, b);
	return buf;
}

int answer_mde(const struct comparison *c, double alpha, char *buf, size_t len)
{
	buf[0] = '\0';
	if (c->npairs < ADVICE_MIN_PAIRS || !isfinite(c->pair_log_sd))
		return 0;
	char dep[64];
	dep_text(c, dep, sizeof dep);
	double m = stats_plan_mde(c->pair_log_sd, (double)c->npairs, alpha, ADVICE_POWER,
	                          c->dep_factor);
	snprintf(buf, len, "the smallest change these %zu pairs detect (80%% power) is %.2g%% (sd of "
	         "paired log-ratios %.3f%s)", c->npairs, 100 * expm1(m), c->pair_log_sd, dep);
	return 1;
}


/* One comparison as an answer line; the caller frees it. */
static char *answer_line(const struct run_analysis *ra, const struct comparison *c,
                         const struct analysis_opts *ao)
{
	char iv[80], few[96], adv[256] = "";
	if (too_few(ra, c, few, sizeof few))
		return util_fmt("%s: %s %s, %s", ra->arms[c->b].name, sample_phase_names[c->phase], few,
		                verdict_name(c->verdict));
	interval(c->shift_lo, c->shift_hi, c->med_a, iv, sizeof iv);
	const char *how = c->used_paired ? "paired" : "unpaired";
	size_t n = c->used_paired ? c->npairs : ra->arms[c->b].n_ok;
	/* The estimator is named: report.md also shows the difference of
	 * medians, which can differ from the shift by several points. */
	/* Undecided: how many more pairs the observed noise asks for. */
	char more[300] = "";
	if (c->verdict == V_UNDECIDED && answer_advice(c, ao->alpha, 1, ao->threshold_pct, adv, sizeof adv))
		snprintf(more, sizeof more, "; %s", adv);
	return util_fmt("%s: %s median %.1f ms vs %.1f ms, Hodges-Lehmann shift %+.1f%% %s, %s (%s, n=%zu)%s",
	                ra->arms[c->b].name,
	                sample_phase_names[c->phase], c->med_b, c->med_a, pct(c->shift_ms, c->med_a), iv,
	                verdict_name(c->verdict), how, n, more);
}

int answer_compare(char *const *dirs, size_t ndirs, int phase, double alpha, double threshold_pct)
{
	struct run_analysis *runs = util_xcalloc(ndirs, sizeof *runs);
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	size_t loaded = 0;
	int rc = 0;
	ao.alpha = alpha;
	ao.threshold_pct = threshold_pct;
	for (size_t i = 0; i < ndirs; i++) {
		if ((rc = analysis_load(dirs[i], &runs[i])) < 0)
			goto out;
		loaded++;
		if (runs[i].sf.n == 0) {
			rc = error_setc(GVAB_EDATA, "%s/samples.jsonl: no samples", dirs[i]);
			goto out;
		}
		analysis_compare(&runs[i], &ao);
	}
	analysis_adjust(runs, ndirs, &ao, (1u << PH_COUNT) - 1);
	for (size_t i = 0; i < ndirs; i++) {
		struct run_analysis *ra = &runs[i];
		printf("%s (%s), A = %s\n", ra->label, ra->dir, ra->narms ? ra->arms[0].name : "?");
		for (size_t k = 0; k < ra->ncmp; k++)
			if (ra->cmp[k].phase == phase) {
				char *l = answer_line(ra, &ra->cmp[k], &ao);
				printf("  %s\n", l);
				free(l);
			}
	}
	printf("\n%-16s %-14s %-8s %10s %10s %8s %-18s %s\n", "run", "arm", "phase", "A p50 ms",
	       "B p50 ms", "delta", "interval %", "verdict");
	for (size_t i = 0; i < ndirs; i++) {
		struct run_analysis *ra = &runs[i];
		for (size_t k = 0; k < ra->ncmp; k++) {
			const struct comparison *c = &ra->cmp[k];
			char iv[80], few[96];
			if (too_few(ra, c, few, sizeof few)) {
				printf("%-16.16s %-14.14s %-8s %s\n", ra->label, ra->arms[c->b].name,
				       sample_phase_names[c->phase], few);
				continue;
			}
			interval(c->shift_lo, c->shift_hi, c->med_a, iv, sizeof iv);
			printf("%-16.16s %-14.14s %-8s %10.1f %10.1f %+7.1f%% %-18s %s\n", ra->label,
			       ra->arms[c->b].name, sample_phase_names[c->phase], c->med_a, c->med_b,
			       pct(c->shift_ms, c->med_a), iv, verdict_name(c->verdict));
		}
	}
	between_runs(runs, ndirs, phase);
	for (size_t i = 0; i < ndirs; i++) {
		const char *l = runs[i].label;
		char *h[4] = {
			util_fmt("\nCPU time per boot, %s (user + sys of every process of the boot: work, not "
			         "latency):\n", l),
			util_fmt("\nPage faults per boot, %s (every process of the boot, from its rusage):\n", l),
			util_fmt("\nHardware counters per boot, %s (the boot's own processes, perf events):\n", l),
			util_fmt("\nHuge pages of the sandbox, %s (smaps_rollup beside PSS, median of the "
			         "boot's memory samples; against the first arm in KiB):\n", l)};
		answer_print_section(stdout, answer_cpu_table, &runs[i], h[0]);
		answer_print_section(stdout, answer_faults_table, &runs[i], h[1]);
		answer_print_section(stdout, answer_hw_table, &runs[i], h[2]);
		answer_print_section(stdout, answer_hugepages_table, &runs[i], h[3]);
		for (size_t k = 0; k < 4; k++)
			free(h[k]);
	}
out:
	for (size_t i = 0; i < loaded; i++)
		analysis_free(&runs[i]);
	free(runs);
	return rc;
}

void answer_print_run(const char *dir, int phase)
{
	answer_print_run_prefixed(dir, phase, "");
}

void answer_print_run_prefixed(const char *dir, int phase, const char *prefix)
{
	answer_fprint_run(stdout, dir, phase, prefix);
}

void answer_write_log(const char *dir, int phase)
{
	char *log = util_fmt("%s.log", dir);
	FILE *f = fopen(log, "we");
	if (f) {
		answer_fprint_run(f, dir, phase, "");
		fclose(f);
	}
	free(log);
}

void answer_fprint_run(FILE *f, const char *dir, int phase, const char *prefix)
{
	struct run_analysis ra;
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	if (analysis_load(dir, &ra) < 0)
		return;
	/* Only the answered phase: the end of every run (and every bisect and
	 * trend look) pays for one phase's statistics, not six. CORE is its own
	 * family, so its verdicts are the report's. */
	ao.phase_mask = 1u << phase;
	analysis_compare(&ra, &ao);
	analysis_adjust(&ra, 1, &ao, ao.phase_mask);
	for (size_t k = 0; k < ra.ncmp; k++)
		if (ra.cmp[k].phase == phase) {
			char *l = answer_line(&ra, &ra.cmp[k], &ao);
			fprintf(f, "%s%s\n", prefix, l);
			free(l);
		}
	fflush(f);
	analysis_free(&ra);
}

/* A per-boot figure of arm `a`'s measured ok cold boots: the sum of
 * instr.MEMBER.FIELDS, divided by `scale`. */
struct instr_figure {
	const char *member;
	const char *const *fields;
	double scale;
	const char *header; /* the value column's header */
	/* The shift in the figure's own unit (HL of the values, Moses'
	 * interval) instead of a percentage: for figures that are often 0,
	 * such as huge pages. */
	int absolute;
};

static size_t figure_values(const struct run_analysis *ra, size_t a, const struct instr_figure *fg,
                            double **out)
{
	size_t n = analysis_instr_values(ra, a, fg->member, fg->fields, out);
	for (size_t i = 0; i < n; i++)
		(*out)[i] /= fg->scale;
	return n;
}

/* One row per arm with the figure: n, p50, and against the first arm the
 * shift of log values with Moses' 95% interval (unpaired, as the boots of
 * a figure need not pair up). Returns the number of rows. */
static int figure_table(FILE *f, const struct run_analysis *ra, const struct instr_figure *fg)
{
	double *base = NULL;
	size_t nb = ra->narms ? figure_values(ra, 0, fg, &base) : 0;
	int rows = 0;
	if (nb == 0) {
		free(base);
		return 0;
	}
	double *lb = util_xcalloc(nb, sizeof *lb);
	for (size_t i = 0; i < nb; i++)
		lb[i] = fg->absolute ? base[i] : log(base[i] > 0 ? base[i] : 1e-9);
	fprintf(f, "| arm | n | %s (p50) | against %s [95%% interval] |\n|---|---:|---:|---|\n",
	        fg->header, ra->arms[0].name);
	for (size_t a = 0; a < ra->narms; a++) {
		double *v;
		size_t n = figure_values(ra, a, fg, &v);
		if (n == 0) {
			free(v);
			continue;
		}
		fprintf(f, "| %s | %zu | %.1f | ", ra->arms[a].name, n, stats_median(v, n));
		if (a == 0) {
			fprintf(f, "(baseline) |\n");
		} else {
			double *lv = util_xcalloc(n, sizeof *lv), est, lo, hi;
			for (size_t i = 0; i < n; i++)
				lv[i] = fg->absolute ? v[i] : log(v[i] > 0 ? v[i] : 1e-9);
			stats_shift_ci(lb, nb, lv, n, 0.025, &est, &lo, &hi);
			if (fg->absolute && isfinite(lo) && isfinite(hi))
				fprintf(f, "%+.1f [%+.1f, %+.1f] |\n", est, lo, hi);
			else if (fg->absolute)
				fprintf(f, "%+.1f [too few boots for an interval] |\n", est);
			else if (isfinite(lo) && isfinite(hi))
				fprintf(f, "%+.1f%% [%+.1f, %+.1f] |\n", 100 * (exp(est) - 1), 100 * (exp(lo) - 1),
				        100 * (exp(hi) - 1));
			else
				fprintf(f, "%+.1f%% [too few boots for an interval] |\n", 100 * (exp(est) - 1));
			free(lv);
		}
		rows++;
		free(v);
	}
	free(lb);
	free(base);
	return rows;
}

int answer_cpu_table(FILE *f, const struct run_analysis *ra)
{
	static const char *const fields[] = {"user_ns", "sys_ns", NULL};
	const struct instr_figure fg = {"cpu", fields, 1e6, "CPU ms per boot"};
	return figure_table(f, ra, &fg);
}

int answer_faults_table(FILE *f, const struct run_analysis *ra)
{
	static const char *const minor[] = {"minor", NULL}, *const major[] = {"major", NULL};
	const struct instr_figure fmin = {"faults", minor, 1, "minor page faults per boot"};
	const struct instr_figure fmaj = {"faults", major, 1, "major page faults per boot"};
	int rows = figure_table(f, ra, &fmin);
	if (rows > 0) {
		fprintf(f, "\n");
		figure_table(f, ra, &fmaj);
	}
	return rows;
}

int answer_hw_table(FILE *f, const struct run_analysis *ra)
{
	const cJSON *want = cJSON_GetObjectItemCaseSensitive(ra->run, "hw_counters");
	if (!cJSON_IsTrue(want))
		return 0;
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(ra->run, "hw_counters_host");
	const cJSON *counted = cJSON_GetObjectItemCaseSensitive(host, "counted"), *e;
	const cJSON *na = cJSON_GetObjectItemCaseSensitive(host, "unavailable");
	int rows = 0;
	cJSON_ArrayForEach(e, counted) {
		if (!cJSON_IsString(e))
			continue;
		const char *fields[] = {e->valuestring, NULL};
		char header[96];
		snprintf(header, sizeof header, "%.60s per boot", e->valuestring);
		const struct instr_figure fg = {"hw", fields, 1, header, 0};
		if (rows > 0)
			fprintf(f, "\n");
		rows += figure_table(f, ra, &fg);
	}
	/* What the host could not count, in its words: never a 0. */
	int said = 0;
	cJSON_ArrayForEach(e, na) {
		if (!cJSON_IsString(e))
			continue;
		/* The reason names its event first; said once. */
		const char *why = e->valuestring;
		size_t nl = strlen(e->string);
		if (strncmp(why, e->string, nl) == 0 && strncmp(why + nl, ": ", 2) == 0)
			why += nl + 2;
		fprintf(f, "%s- %s: unavailable: %s\n", said++ == 0 && rows > 0 ? "\n" : "", e->string, why);
		rows++;
	}
	if (rows == 0) {
		fprintf(f, "- unavailable: run.json records no hardware counter status\n");
		rows = 1;
	}
	return rows;
}

int answer_hugepages_table(FILE *f, const struct run_analysis *ra)
{
	static const char *const anon[] = {"anon_huge_kib", NULL}, *const file[] = {"file_pmd_kib", NULL},
	                         *const shmem[] = {"shmem_pmd_kib", NULL};
	const struct instr_figure figs[] = {
		{"memory", anon, 1, "AnonHugePages KiB", 1},
		{"memory", file, 1, "FilePmdMapped KiB", 1},
		{"memory", shmem, 1, "ShmemPmdMapped KiB", 1},
	};
	int rows = 0;
	for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		int k = m ? figure_table(m, ra, &figs[i]) : 0;
		if (m)
			fclose(m);
		if (k > 0)
			fprintf(f, "%s%s", rows > 0 ? "\n" : "", buf);
		rows += k;
		free(buf);
	}
	return rows;
}

void answer_print_section(FILE *out, int (*table)(FILE *, const struct run_analysis *),
                          const struct run_analysis *ra, const char *head)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return;
	int rows = table(m, ra);
	fclose(m);
	if (rows > 0)
		fprintf(out, "%s%s", head, buf);
	free(buf);
}

/* Repeated runs of the same arms: the shift of each candidate against the
 * baseline in every run that has both, and how much it moves between runs
 * against how precise each run says it is. Variance components: each
 * run's standard error comes from its verdict interval (half-width over the
 * normal quantile of its one-sided error); the between-run variance is the
 * spread of the run shifts less their mean squared standard error, floored
 * at zero. When the between-run sd is larger than a run's own standard
 * error, one run understates the uncertainty. */
/* Same --set knobs (rcu_expedited=0 and =1 are different experiments, not
 * repeats), the same instruments and page-cache treatment (debug logs and
 * tracing slow every boot), and the same settle pause and CPU placement
 * (absent in both is the same). */
/* Runs are repeats only on one host: the same fingerprint (hostname, CPU
 * model, online CPUs, as history.h keys a host series) and the same host
 * label (a campaign's name for a host: two inventory hosts can be one
 * machine). */
static int same_host(const cJSON *r0, const cJSON *r1)
{
	static const char *const keys[] = {"hostname", "cpu_model", "online_cpus"};
	const cJSON *h0 = cJSON_GetObjectItemCaseSensitive(r0, "host");
	const cJSON *h1 = cJSON_GetObjectItemCaseSensitive(r1, "host");
	const cJSON *l0 = cJSON_GetObjectItemCaseSensitive(r0, "host_label");
	const cJSON *l1 = cJSON_GetObjectItemCaseSensitive(r1, "host_label");
	if ((l0 || l1) && !(l0 && l1 && cJSON_Compare(l0, l1, 1)))
		return 0;
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(h0, keys[k]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(h1, keys[k]);
		if ((a || b) && !(a && b && cJSON_Compare(a, b, 1)))
			return 0;
	}
	return 1;
}

static int same_conditions(const cJSON *r0, const cJSON *r1)
{
	if (!same_host(r0, r1))
		return 0;
	static const char *const keys[] = {"settings",    "phases",    "inittrace",    "syscalls",
	                                   "drop_caches", "settle_ms", "cpu_placement"};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(r0, keys[k]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(r1, keys[k]);
		if ((a || b) && !(a && b && cJSON_Compare(a, b, 1)))
			return 0;
	}
	return 1;
}

/* Comparison c of runs[j] is base against cand on phase, under the
 * conditions of runs[i]. */
static int same_pair(const struct run_analysis *runs, size_t i, size_t j, const struct comparison *c,
                     int phase, const char *base, const char *cand)
{
	return c->phase == phase && runs[j].narms && same_conditions(runs[i].run, runs[j].run) &&
	       !strcmp(runs[j].arms[0].name, base) && !strcmp(runs[j].arms[c->b].name, cand);
}

/* A comparison with a finite interval, so a standard error. */
static int has_interval(const struct comparison *c)
{
	return c->med_a > 0 && isfinite(c->shift_lo) && isfinite(c->shift_hi) && c->shift_tail > 0;
}

/* The pair appears in a run before runs[i] under its conditions. */
static int pair_seen_before(const struct run_analysis *runs, size_t i, int phase, const char *base,
                            const char *cand)
{
	for (size_t j = 0; j < i; j++)
		for (size_t q = 0; q < runs[j].ncmp; q++)
			if (same_pair(runs, i, j, &runs[j].cmp[q], phase, base, cand))
				return 1;
	return 0;
}

/* Comparison k of runs[i] on phase is the first of its pair (base,
 * candidate) under its conditions: *base and *cand name it. */
static int pair_first(const struct run_analysis *runs, size_t i, size_t k, int phase,
                      const char **base, const char **cand)
{
	const struct comparison *c0 = &runs[i].cmp[k];
	if (!runs[i].narms || c0->phase != phase)
		return 0;
	*base = runs[i].arms[0].name;
	*cand = runs[i].arms[c0->b].name;
	return !pair_seen_before(runs, i, phase, *base, *cand);
}

size_t answer_between_runs(const struct run_analysis *runs, size_t nruns, int phase,
                           struct between_runs **out)
{
	size_t ng = 0;
	*out = NULL;
	for (size_t i = 0; i < nruns; i++)
		for (size_t k = 0; k < runs[i].ncmp; k++) {
			const char *base, *cand;
			/* Only once per pair and conditions: at its first run. */
			if (!pair_first(runs, i, k, phase, &base, &cand))
				continue;
			struct between_runs g;
			memset(&g, 0, sizeof g);
			g.base = base;
			g.cand = cand;
			g.phase = phase;
			for (size_t j = i; j < nruns && g.n < ANSWER_MAX_REPEATS; j++)
				for (size_t q = 0; q < runs[j].ncmp && g.n < ANSWER_MAX_REPEATS; q++) {
					const struct comparison *c = &runs[j].cmp[q];
					if (!same_pair(runs, i, j, c, phase, base, cand) || !has_interval(c))
						continue;
					double z = stats_norm_quantile(1 - c->shift_tail);
					g.run[g.n] = j;
					g.shift_pct[g.n] = 100 * c->shift_ms / c->med_a;
					g.se_pct[g.n] = 100 * (c->shift_hi - c->shift_lo) / 2 / c->med_a / z;
					g.n++;
				}
			if (g.n < 2)
				continue;
			double ms = 0, var = 0;
			for (size_t t = 0; t < g.n; t++) {
				g.mean_pct += g.shift_pct[t] / (double)g.n;
				ms += g.se_pct[t] * g.se_pct[t] / (double)g.n;
			}
			for (size_t t = 0; t < g.n; t++)
				var += (g.shift_pct[t] - g.mean_pct) * (g.shift_pct[t] - g.mean_pct) / (double)(g.n - 1);
			g.sd_pct = sqrt(var);
			g.se_rms_pct = sqrt(ms);
			g.between_sd_pct = var > ms ? sqrt(var - ms) : 0;
			g.one_run_enough = !(g.between_sd_pct > g.se_rms_pct);
			*out = util_xrealloc(*out, (ng + 1) * sizeof **out);
			(*out)[ng++] = g;
		}
	return ng;
}

/* A pair repeated in several runs of which fewer than two have an
 * interval: no between-run spread can be given, and that is said rather
 * than left out in silence. */
static void between_runs_too_few(const struct run_analysis *runs, size_t nruns, int phase)
{
	for (size_t i = 0; i < nruns; i++)
		for (size_t k = 0; k < runs[i].ncmp; k++) {
			const char *base, *cand;
			if (!pair_first(runs, i, k, phase, &base, &cand))
				continue;
			size_t all = 0, with = 0;
			for (size_t j = i; j < nruns; j++)
				for (size_t q = 0; q < runs[j].ncmp; q++)
					if (same_pair(runs, i, j, &runs[j].cmp[q], phase, base, cand)) {
						all++;
						with += (size_t)has_interval(&runs[j].cmp[q]);
					}
			if (all >= 2 && with < 2)
				printf("\nBetween runs, %s against %s on %s (%zu runs): only %zu with an interval "
				       "(%s undecided with too few pairs at %s noise), so no between-run spread; "
				       "run more rounds.\n",
				       cand, base, sample_phase_names[phase], all, with,
				       all - with == 1 ? "the other is" : "the others are",
				       all - with == 1 ? "its" : "their");
		}
}

static void between_runs(const struct run_analysis *runs, size_t nruns, int phase)
{
	between_runs_too_few(runs, nruns, phase);
	struct between_runs *g;
	size_t ng = answer_between_runs(runs, nruns, phase, &g);
	for (size_t k = 0; k < ng; k++) {
		printf("\nBetween runs, %s against %s on %s (%zu runs): shifts", g[k].cand, g[k].base,
		       sample_phase_names[phase], g[k].n);
		for (size_t t = 0; t < g[k].n; t++)
			printf(" %+.1f%%", g[k].shift_pct[t]);
		printf("; mean %+.1f%%; sd of the run shifts %.1f%%; a run's own standard error %.1f%% "
		       "(rms); between-run sd %.1f%%.\n", g[k].mean_pct, g[k].sd_pct, g[k].se_rms_pct,
		       g[k].between_sd_pct);
		if (!g[k].one_run_enough)
			printf("  The shift moves between runs more than one run's interval says: repeat runs "
			       "and compare them, one run is not enough here.\n");
		else
			printf("  The runs agree within their own precision.\n");
	}
	free(g);
}
