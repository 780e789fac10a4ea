/* verdict: see verdict.h. Kept apart from the statistics so that the
 * report and the gate cannot drift: both call these functions and nothing
 * else decides. */
#include "verdict.h"
#include "stats.h"
#include "util.h"

#include <stdlib.h>

int verdict_equivalent(const struct verdict_in *in)
{
	return in->lo > -in->thr_ms && in->hi < in->thr_ms;
}

enum verdict verdict_report(const struct verdict_in *in)
{
	if (in->p_adj <= in->alpha && in->sig_lo > 0)
		return V_SLOWER;
	if (in->p_adj <= in->alpha && in->sig_hi < 0)
		return V_FASTER;
	if (verdict_equivalent(in))
		return V_SAME;
	return V_UNDECIDED;
}

enum gate_code verdict_gate(const struct verdict_in *in)
{
	if (in->lo > in->thr_ms)
		return GATE_FAIL;
	if (in->hi < in->thr_ms)
		return GATE_PASS;
	return GATE_UNDECIDED;
}

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case V_SAME: return "same";
	case V_FASTER: return "faster";
	case V_SLOWER: return "slower";
	default: return "undecided";
	}
}

const char *verdict_gate_name(enum gate_code c)
{
	switch (c) {
	case GATE_PASS: return "PASS";
	case GATE_FAIL: return "FAIL";
	case GATE_INVALID: return "INVALID";
	default: return "UNDECIDED";
	}
}

void verdict_sequential_alphas(const long *n, int k, double alpha, double *look_alpha)
{
	double *t = util_xmalloc((size_t)k * sizeof *t), *z = util_xmalloc((size_t)k * sizeof *z);
	for (int j = 0; j < k; j++)
		t[j] = (double)n[j] / (double)n[k - 1];
	stats_gs_bounds(t, k, alpha, z);
	for (int j = 0; j < k; j++)
		look_alpha[j] = stats_norm_cdf(-z[j]);
	free(t);
	free(z);
}
