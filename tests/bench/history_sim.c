/* history_sim: error rates of `gvab history check` (history_detect) on
 * simulated series shaped like the project's runs.
 *
 * Shape (each figure from a committed run, results/2026-11-23-trend):
 * - a release-gate chain: run k times revisions k and k+1 (and the anchor
 *   when anchored), so every inner revision is measured in two runs;
 * - a revision's CORE p50 in one run has a 95% interval of about +-4.8%
 *   (the trend run's four p50 intervals: log half-widths 0.038-0.054), so
 *   its standard error on the log scale is 2.4%;
 * - its ratio to another arm of the same run (paired by round) has a
 *   standard error of about 2% (the trend run's step intervals at 0.333%
 *   per side: 1.5% and 2.3%);
 * - the host drifts from run to run by 8% (sd on the log scale; the
 *   history of the committed rcu_expedited=0 runs estimates 8.5%), which
 *   the anchor shares; an arm's own run-to-run wobble is 1%;
 * - ratios to the anchor of one run share the anchor's error: a ratio to
 *   the anchor and a step between two revisions of one run both have about
 *   2% (above), which independent ratios could not give (their difference
 *   would have 2.8%); the anchor's share of a ratio's variance is drawn for
 *   each run between 0.25 and 0.75 (arms' spreads unlike), where the
 *   detector assumes 0.5.
 * Cases: flat; a +5% step in the middle; creep of +1.5% per release over
 * eight releases (each step below a 3% gate); each anchored and absolute;
 * one trend run of eight revisions (no drift between them); and, to
 * test the detector off its own assumptions, the anchored cases with
 * Student t(4) errors (same sd, heavier tails) and with noise growing from
 * 1x to 2x over the runs (intervals widening with it).
 * A case alarms when check reports a change (slower, faster or undecided);
 * a step is found when the reported change toward slower lies exactly
 * between the two revisions it was put between. Seeded (rig/core's RNG);
 * each rate is printed with its binomial Monte Carlo standard error.
 *
 * usage: history_sim [SIMS] [SEED] [CASE] (CASE: only cases whose name holds it) */
#define _GNU_SOURCE
#include "../fixture/history_fixture.h"
#include "history.h"
#include "rng.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054

enum shape { FLAT, STEP, CREEP };

struct sim_case {
	const char *name;
	enum shape shape;
	int nrev;      /* revisions */
	int anchored;
	int one_run;   /* all revisions in one run (a trend) */
	int tails;     /* errors Student t with 4 degrees of freedom (same sd) */
	int drifting;  /* errors' sd growing from 1x to 2x over the runs */
};

struct sim_params {
	double se_abs, se_ratio, drift, wobble;
	double share_lo, share_hi; /* the anchor's share of a ratio's variance */
};

/* The true log level of revision r. */
static double level(const struct sim_case *c, int r)
{
	if (c->shape == STEP)
		return r >= c->nrev / 2 ? log(1.05) : 0;
	if (c->shape == CREEP)
		return r * log(1.015);
	return 0;
}

static double uniform(uint64_t *rng)
{
	return ((double)(rng_next(rng) >> 11) + 0.5) / 9007199254740992.0;
}

/* One error of sd 1: normal, or Student t(4) / sqrt(2) (its sd is
 * sqrt(2)): heavier tails than the detector's model. */
static double err(const struct sim_case *c, uint64_t *rng)
{
	double z = fixture_normal(rng);
	if (!c->tails)
		return z;
	double q = 0;
	for (int k = 0; k < 4; k++) {
		double u = fixture_normal(rng);
		q += u * u;
	}
	return z / sqrt(q / 4) / sqrt(2);
}

static void add_obs(struct history_series *s, size_t rev, size_t run, double y, double se)
{
	struct history_obs *o = &s->obs[s->nobs++];
	o->rev = rev;
	o->run = run;
	o->val = exp(y);
	o->lo = exp(y - Z95 * se);
	o->hi = exp(y + Z95 * se);
	o->n = 40;
}

/* The covariance the series was drawn with: each figure's own variance
 * and each run's shared one (for the oracle below). */
struct truth {
	double own[32], shared[32];
};

static void simulate(const struct sim_case *c, const struct sim_params *p, uint64_t *rng,
                     struct history_series *s, struct truth *tr)
{
	s->nobs = 0;
	int nruns = c->one_run ? 1 : c->nrev - 1;
	s->nruns = (size_t)nruns;
	/* Per run: the host's speed that night, the anchor's error (every
	 * ratio of the run divides by the same anchor p50: its share of a
	 * ratio's variance drawn for each run, the detector assumes one half),
	 * and the noise scale (drifting: later runs noisier, their intervals
	 * wider accordingly). */
	double *night = util_xcalloc((size_t)nruns, sizeof *night);
	double *anch = util_xcalloc((size_t)nruns, sizeof *anch);
	double *share = util_xcalloc((size_t)nruns, sizeof *share);
	double *scale = util_xcalloc((size_t)nruns, sizeof *scale);
	for (int k = 0; k < nruns; k++) {
		scale[k] = c->drifting && nruns > 1 ? 1 + (double)k / (nruns - 1) : 1;
		night[k] = p->drift * err(c, rng);
		share[k] = p->share_lo + (p->share_hi - p->share_lo) * uniform(rng);
		anch[k] = sqrt(share[k]) * p->se_ratio * scale[k] * err(c, rng);
		double se = p->se_ratio * scale[k];
		tr->shared[k] = c->anchored ? share[k] * se * se : c->one_run ? 0 : p->drift * p->drift;
	}
	/* Observations in revision order: revision r is in runs r-1 and r. */
	for (int r = 0; r < c->nrev; r++) {
		for (int k = c->one_run ? 0 : r - 1; k <= (c->one_run ? 0 : r); k++) {
			if (k < 0 || k >= nruns)
				continue;
			double wob = p->wobble * err(c, rng), w2 = p->wobble * p->wobble;
			double sr = p->se_ratio * scale[k], sa = p->se_abs * scale[k];
			tr->own[s->nobs] = c->anchored ? (1 - share[k]) * sr * sr + w2 : sa * sa + w2;
			if (c->anchored)
				add_obs(s, (size_t)r, (size_t)k,
				        level(c, r) + wob + anch[k] +
				            sqrt(1 - share[k]) * p->se_ratio * scale[k] * err(c, rng),
				        p->se_ratio * scale[k]);
			else
				add_obs(s, (size_t)r, (size_t)k,
				        log(100) + level(c, r) + (c->one_run ? 0 : night[k]) + wob +
				            p->se_abs * scale[k] * err(c, rng), p->se_abs * scale[k]);
		}
	}
	free(night);
	free(anch);
	free(share);
	free(scale);
}

struct tally {
	int alarms, found, slower_any, oracle;
};

/* Gauss-Jordan inverse of the n x n matrix a (row-major) into inv. */
static void invert(double *a, double *inv, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			inv[i * n + j] = i == j;
	for (int c = 0; c < n; c++) {
		int piv = c;
		for (int r = c + 1; r < n; r++)
			if (fabs(a[r * n + c]) > fabs(a[piv * n + c]))
				piv = r;
		for (int j = 0; j < n; j++) {
			double t = a[c * n + j];
			a[c * n + j] = a[piv * n + j], a[piv * n + j] = t;
			t = inv[c * n + j];
			inv[c * n + j] = inv[piv * n + j], inv[piv * n + j] = t;
		}
		double d = a[c * n + c];
		for (int j = 0; j < n; j++)
			a[c * n + j] /= d, inv[c * n + j] /= d;
		for (int r = 0; r < n; r++)
			if (r != c) {
				double f = a[r * n + c];
				for (int j = 0; j < n; j++)
					a[r * n + j] -= f * a[c * n + j], inv[r * n + j] -= f * inv[c * n + j];
			}
	}
}

/* The oracle: told the covariance the series was drawn with and that it
 * has exactly one change, it places it at the split of largest likelihood
 * (generalised least squares with the true covariance, dense). With a
 * uniform prior on the place this is close to the most probable place
 * given the data, so no method places the step right much more often: it
 * bounds what "found at its place" can reach. 1 when placed right. */
static int oracle_places(const struct sim_case *c, const struct history_series *s, const struct truth *tr)
{
	int n = (int)s->nobs;
	double a[32 * 32], si[32 * 32], y[32];
	for (int i = 0; i < n; i++) {
		y[i] = log(s->obs[i].val);
		for (int j = 0; j < n; j++)
			a[i * n + j] = (s->obs[i].run == s->obs[j].run ? tr->shared[s->obs[i].run] : 0) +
			               (i == j ? tr->own[i] : 0);
	}
	invert(a, si, n);
	double best = -1;
	int at = -1;
	for (int k = 1; k < n; k++) {
		if (s->obs[k].rev == s->obs[k - 1].rev)
			continue;
		double A[2][2] = {{0, 0}, {0, 0}}, b[2] = {0, 0};
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++) {
				A[i >= k][j >= k] += si[i * n + j];
				b[i >= k] += si[i * n + j] * y[j];
			}
		double det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
		double mu0 = (A[1][1] * b[0] - A[0][1] * b[1]) / det, mu1 = (A[0][0] * b[1] - A[1][0] * b[0]) / det;
		double var = (A[0][0] + A[1][1] + A[0][1] + A[1][0]) / det;
		double z2 = (mu1 - mu0) * (mu1 - mu0) / var;
		if (z2 > best)
			best = z2, at = (int)s->obs[k].rev;
	}
	return at == c->nrev / 2;
}


static void judge(const struct sim_case *c, const struct history_detect_result *r, struct tally *t)
{
	int alarm = 0, found = 0, slower = 0;
	for (size_t i = 0; i < r->nchanges; i++) {
		const struct history_change *ch = &r->changes[i];
		if (ch->kind == HC_SMALL)
			continue;
		alarm = 1;
		if (ch->kind == HC_SLOWER) {
			slower = 1;
			if (c->shape == STEP && (int)ch->after == c->nrev / 2 && (int)ch->before == c->nrev / 2 - 1)
				found = 1;
		}
	}
	t->alarms += alarm;
	t->found += found;
	t->slower_any += slower;
}

/* "p% (se)": a rate with its binomial Monte Carlo standard error. */
static void rate(char *buf, size_t len, int hits, long n)
{
	double p = (double)hits / (double)n;
	snprintf(buf, len, "%.1f%% (%.1f)", 100 * p, 100 * sqrt(p * (1 - p) / (double)n));
}

int main(int argc, char **argv)
{
	long sims = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	uint64_t rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 24;
	const uint64_t seed = rng;
	if (sims < 10)
		sims = 10;
	static const struct sim_case cases[] = {
		{"flat, 12 revisions, anchored", FLAT, 12, 1, 0, 0, 0},
		{"+5% step at revision 7 of 12, anchored", STEP, 12, 1, 0, 0, 0},
		{"creep +1.5%/release, 8 releases, anchored", CREEP, 9, 1, 0, 0, 0},
		{"flat, anchored, t(4) errors", FLAT, 12, 1, 0, 1, 0},
		{"+5% step, anchored, t(4) errors", STEP, 12, 1, 0, 1, 0},
		{"creep, anchored, t(4) errors", CREEP, 9, 1, 0, 1, 0},
		{"flat, anchored, noise 1x to 2x", FLAT, 12, 1, 0, 0, 1},
		{"+5% step, anchored, noise 1x to 2x", STEP, 12, 1, 0, 0, 1},
		{"creep, anchored, noise 1x to 2x", CREEP, 9, 1, 0, 0, 1},
		{"flat, 12 revisions, absolute", FLAT, 12, 0, 0, 0, 0},
		{"+5% step at revision 7 of 12, absolute", STEP, 12, 0, 0, 0, 0},
		{"creep +1.5%/release, 8 releases, absolute", CREEP, 9, 0, 0, 0, 0},
		{"flat, one trend run of 8 revisions", FLAT, 8, 0, 1, 0, 0},
		{"+5% step at revision 5 of 8, one trend run", STEP, 8, 0, 1, 0, 0},
		{"creep +1.5%/release, one trend run of 9", CREEP, 9, 0, 1, 0, 0},
	};
	const struct sim_params p = {.se_abs = 0.024, .se_ratio = 0.02, .drift = 0.08, .wobble = 0.01,
	                             .share_lo = 0.25, .share_hi = 0.75};
	const struct history_detect_opts o = {.alpha = 0.01, .min_pct = 3};
	const char *only = argc > 3 ? argv[3] : NULL; /* cases whose name holds it */
	printf("history_sim: %ld series per case, seed %llu; alpha %.2f, minimum magnitude %.0f%%\n"
	       "se: p50 %.1f%%, ratio %.1f%% (anchor's share %.2f-%.2f); host drift %.0f%%, arm wobble %.0f%% "
	       "(log sd)\n(Monte Carlo standard error of each rate in brackets)\n\n",
	       sims, (unsigned long long)seed, o.alpha, o.min_pct, 100 * p.se_abs, 100 * p.se_ratio,
	       p.share_lo, p.share_hi, 100 * p.drift, 100 * p.wobble);
	printf("| case | alarms | step found at its place | oracle's place | flagged slower | target |\n");
	printf("|---|---:|---:|---:|---:|---|\n");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct sim_case *c = &cases[i];
		if (only && !strstr(c->name, only))
			continue;
		struct history_series s = {0};
		s.nrevs = (size_t)c->nrev;
		s.anchor = c->anchored ? "sim" : NULL;
		s.obs = util_xcalloc((size_t)c->nrev * 2, sizeof *s.obs);
		struct tally t = {0};
		for (long k = 0; k < sims; k++) {
			struct truth tr;
			simulate(c, &p, &rng, &s, &tr);
			if (c->shape == STEP)
				t.oracle += oracle_places(c, &s, &tr);
			struct history_detect_result r;
			history_detect(&s, &o, &r);
			judge(c, &r, &t);
			free(r.changes);
		}
		free(s.obs);
		const char *target = c->shape == FLAT ? "alarms <= 1%" : c->shape == STEP ? "found >= 90%" : "flagged";
		char al[48], found[48] = "-", orc[48] = "-", sl[48];
		rate(al, sizeof al, t.alarms, sims);
		rate(sl, sizeof sl, t.slower_any, sims);
		if (c->shape == STEP) {
			rate(found, sizeof found, t.found, sims);
			rate(orc, sizeof orc, t.oracle, sims);
		}
		printf("| %s | %s | %s | %s | %s | %s |\n", c->name, al, found, orc, sl, target);
	}
	return 0;
}
