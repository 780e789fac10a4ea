/* answer: see answer.h. */
#define _GNU_SOURCE
#include "answer.h"
#include "error.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double pct(double ms, double base)
{
	return base > 0 ? 100.0 * ms / base : NAN;
}

/* "[-31.8, -23.6]" with open ends shown as -inf/+inf. */
static void interval(double lo, double hi, double base, char *buf, size_t len)
{
	char a[32], b[32];
	if (isfinite(lo))
		snprintf(a, sizeof a, "%+.1f", pct(lo, base));
	else
		snprintf(a, sizeof a, "-inf");
	if (isfinite(hi))
		snprintf(b, sizeof b, "%+.1f", pct(hi, base));
	else
		snprintf(b, sizeof b, "+inf");
	snprintf(buf, len, "[%s, %s]", a, b);
}

char *answer_line(const struct run_analysis *ra, const struct comparison *c)
{
	char iv[80];
	interval(c->shift_lo, c->shift_hi, c->med_a, iv, sizeof iv);
	const char *how = c->used_paired ? "paired" : "unpaired";
	size_t n = c->used_paired ? c->npairs : ra->arms[c->b].n_ok;
	return util_fmt("%s: %s %.1f ms vs %.1f ms, %+.1f%% %s, %s (%s, n=%zu)", ra->arms[c->b].name,
	                sample_phase_names[c->phase], c->med_b, c->med_a, pct(c->shift_ms, c->med_a), iv,
	                verdict_name(c->verdict), how, n);
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
		analysis_compare(&runs[i], &ao);
	}
	analysis_adjust(runs, ndirs, &ao, (1u << PH_COUNT) - 1);
	for (size_t i = 0; i < ndirs; i++) {
		struct run_analysis *ra = &runs[i];
		printf("%s (%s), A = %s\n", ra->label, ra->dir, ra->narms ? ra->arms[0].name : "?");
		for (size_t k = 0; k < ra->ncmp; k++)
			if (ra->cmp[k].phase == phase) {
				char *l = answer_line(ra, &ra->cmp[k]);
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
			char iv[80];
			interval(c->shift_lo, c->shift_hi, c->med_a, iv, sizeof iv);
			printf("%-16.16s %-14.14s %-8s %10.1f %10.1f %+7.1f%% %-18s %s\n", ra->label,
			       ra->arms[c->b].name, sample_phase_names[c->phase], c->med_a, c->med_b,
			       pct(c->shift_ms, c->med_a), iv, verdict_name(c->verdict));
		}
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
	struct run_analysis ra;
	struct analysis_opts ao = ANALYSIS_OPTS_DEFAULT;
	if (analysis_load(dir, &ra) < 0)
		return;
	analysis_compare(&ra, &ao);
	analysis_adjust(&ra, 1, &ao, (1u << PH_COUNT) - 1);
	for (size_t k = 0; k < ra.ncmp; k++)
		if (ra.cmp[k].phase == phase) {
			char *l = answer_line(&ra, &ra.cmp[k]);
			printf("%s%s\n", prefix, l);
			free(l);
		}
	fflush(stdout);
	analysis_free(&ra);
}
