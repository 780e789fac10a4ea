/* boot_memory: what a boot measures besides its phases: the memory of the
 * sandbox's process tree while the workload idles (medians of several
 * samples), and the workload's own line from the container's output.
 * Untimed, between start and wait. See boot_int.h. */
#define _GNU_SOURCE
#include "boot.h"
#include "boot_int.h"
#include "error.h"
#include "proc.h"
#include "util.h"
#include "footprint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static long median_long(long *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_long);
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : -1;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Samples the memory of the sandbox's (or container's) process tree
 * c->memory_samples times and keeps the medians in r. */
int boot_sample_memory(const struct boot_cfg *c, pid_t sandbox, pid_t gofer, struct boot_result *r)
{
	enum { MAXS = 64 };
	int k = c->memory_samples > MAXS ? MAXS : c->memory_samples;
	long rss[MAXS], pss[MAXS], sb[MAXS], gf[MAXS], ot[MAXS], cur[MAXS], peak[MAXS];
	long ahp[MAXS], fpmd[MAXS], spmd[MAXS];
	int nprocs = 0;
	nap_ms(250);
	for (int i = 0; i < k; i++) {
		pid_t pids[FOOTPRINT_MAX_PROCS];
		size_t n = 0, m = 0;
		if (footprint_find_tree(sandbox, pids, FOOTPRINT_MAX_PROCS, &n) < 0)
			return GVAB_EFAIL;
		if (gofer > 0 && footprint_find_tree(gofer, pids + n, FOOTPRINT_MAX_PROCS - n, &m) < 0)
			return GVAB_EFAIL;
		struct footprint_sample *fs = util_xmalloc(sizeof *fs);
		if (footprint_sample(pids, n + m, fs) < 0) {
			free(fs);
			return GVAB_EFAIL;
		}
		rss[i] = fs->rss_kib;
		pss[i] = fs->pss_kib;
		ahp[i] = fs->anon_huge_kib;
		fpmd[i] = fs->file_pmd_kib;
		spmd[i] = fs->shmem_pmd_kib;
		sb[i] = gf[i] = ot[i] = 0;
		for (size_t j = 0; j < fs->n; j++) {
			long *dst = !strcmp(fs->procs[j].kind, "sandbox") ? &sb[i]
			          : !strcmp(fs->procs[j].kind, "gofer")   ? &gf[i]
			                                                  : &ot[i];
			*dst += fs->procs[j].pss_kib;
		}
		cur[i] = (long)(fs->cg_current_bytes / 1024);
		peak[i] = (long)(fs->cg_peak_bytes / 1024);
		nprocs = (int)fs->n;
		free(fs);
		if (i + 1 < k)
			nap_ms(c->memory_interval_ms > 0 ? c->memory_interval_ms : 100);
	}
	r->has_memory = 1;
	r->memory_nsamples = k;
	r->memory_procs = nprocs;
	r->mem_rss_kib = median_long(rss, k);
	r->mem_pss_kib = median_long(pss, k);
	r->mem_sandbox_pss_kib = median_long(sb, k);
	r->mem_gofer_pss_kib = median_long(gf, k);
	r->mem_other_pss_kib = median_long(ot, k);
	/* A field the kernel does not show is -1 in every sample: median -1. */
	r->mem_anon_huge_kib = median_long(ahp, k);
	r->mem_file_pmd_kib = median_long(fpmd, k);
	r->mem_shmem_pmd_kib = median_long(spmd, k);
	long c1 = median_long(cur, k), c2 = median_long(peak, k);
	r->mem_cg_current_bytes = c1 >= 0 ? (long long)c1 * 1024 : -1;
	r->mem_cg_peak_bytes = c2 >= 0 ? (long long)c2 * 1024 : -1;
	return 0;
}

/* "gvab-workload: mode=M n=N inner_ns=T result=R" from the container's
 * stdout (which runsc passes to the log of its create). */
void boot_parse_workload_line(const char *errlog, struct boot_result *r)
{
	char *t = util_read_file(errlog, NULL);
	const char *l = t ? strstr(t, "gvab-workload: mode=") : NULL;
	long long ns;
	double res;
	const char *p = l ? strstr(l, " inner_ns=") : NULL;
	const char *q = l ? strstr(l, " result=") : NULL;
	if (p && q && sscanf(p, " inner_ns=%lld", &ns) == 1 && sscanf(q, " result=%lf", &res) == 1 && ns >= 0) {
		r->has_workload = 1;
		r->workload_inner_ns = ns;
		r->workload_result = res;
	}
	free(t);
}
