/* footprint: see footprint.h. */
#define _GNU_SOURCE
#include "footprint.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every pid in /proc with its parent. */
static size_t list_procs(pid_t **pids, pid_t **parents)
{
	DIR *d = opendir("/proc");
	size_t n = 0, cap = 0;
	*pids = NULL;
	*parents = NULL;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		pid_t pp = proc_parent(pid);
		if (pp < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			*pids = util_xrealloc(*pids, cap * sizeof **pids);
			*parents = util_xrealloc(*parents, cap * sizeof **parents);
		}
		(*pids)[n] = pid;
		(*parents)[n] = pp;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static int contains(const pid_t *set, size_t n, pid_t p)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == p)
			return 1;
	return 0;
}

/* Adds descendants of the pids already in out[0..*n) until no more. */
static int add_descendants(pid_t *out, size_t max, size_t *n)
{
	pid_t *all, *par;
	size_t na = list_procs(&all, &par);
	int grew = 1, rc = 0;
	while (grew && rc == 0) {
		grew = 0;
		for (size_t i = 0; i < na; i++)
			if (contains(out, *n, par[i]) && !contains(out, *n, all[i])) {
				if (*n == max) {
					rc = error_set("more than %zu processes in the sandbox tree", max);
					break;
				}
				out[(*n)++] = all[i];
				grew = 1;
			}
	}
	free(all);
	free(par);
	return rc;
}

int footprint_find_tree(pid_t root, pid_t *pids, size_t max, size_t *n)
{
	*n = 0;
	if (max == 0)
		return error_set("no room for processes");
	pids[(*n)++] = root;
	return add_descendants(pids, max, n);
}

static void kind_of(pid_t pid, char *kind, size_t len)
{
	size_t n = 0;
	char *cl = proc_cmdline(pid, &n);
	const char *k = "other";
	int runsc = 0;
	for (size_t off = 0; cl && off < n; off += strlen(cl + off) + 1) {
		const char *w = cl + off;
		const char *base = strrchr(w, '/');
		base = base ? base + 1 : w;
		if (off == 0 && strstr(base, "runsc"))
			runsc = 1;
		if (runsc && strcmp(w, "boot") == 0)
			k = "sandbox";
		else if (runsc && strcmp(w, "gofer") == 0)
			k = "gofer";
	}
	/* runsc re-executes itself as "runsc-sandbox" / "runsc-gofer". */
	if (cl && strstr(cl, "runsc-sandbox"))
		k = "sandbox";
	else if (cl && strstr(cl, "runsc-gofer"))
		k = "gofer";
	snprintf(kind, len, "%s", k);
	free(cl);
}

static int read_rollup(pid_t pid, struct footprint_proc *fp)
{
	long *rss = &fp->rss_kib, *pss = &fp->pss_kib;
	char *p = util_fmt("/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(p, "r");
	*rss = *pss = -1;
	fp->anon_huge_kib = fp->file_pmd_kib = fp->shmem_pmd_kib = -1;
	if (!f) {
		int e = errno;
		int rc = error_set("process %d vanished while sampled (%s: %s)", (int)pid, p, strerror(e));
		free(p);
		return rc;
	}
	char line[256];
	while (fgets(line, sizeof line, f)) {
		long v;
		if (sscanf(line, "Rss: %ld kB", &v) == 1)
			*rss = v;
		else if (sscanf(line, "Pss: %ld kB", &v) == 1)
			*pss = v;
		else if (sscanf(line, "AnonHugePages: %ld kB", &v) == 1)
			fp->anon_huge_kib = v;
		else if (sscanf(line, "FilePmdMapped: %ld kB", &v) == 1)
			fp->file_pmd_kib = v;
		else if (sscanf(line, "ShmemPmdMapped: %ld kB", &v) == 1)
			fp->shmem_pmd_kib = v;
	}
	fclose(f);
	free(p);
	/* Kernel threads and zombies have an empty rollup: count zero. */
	if (*rss < 0)
		*rss = 0;
	if (*pss < 0)
		*pss = 0;
	return 0;
}

static long long read_ll(const char *dir, const char *file)
{
	char *p = util_fmt("%s/%s", dir, file);
	char buf[64];
	long long v = -1;
	if (util_read_line(p, buf, sizeof buf) == 0 && isdigit((unsigned char)buf[0]))
		v = strtoll(buf, NULL, 10);
	free(p);
	return v;
}

static void read_cgroup(pid_t pid, struct footprint_sample *out)
{
	char *p = util_fmt("/proc/%d/cgroup", (int)pid);
	char *t = util_read_file(p, NULL);
	free(p);
	out->cg_current_bytes = out->cg_peak_bytes = -1;
	out->cg_path[0] = '\0';
	if (!t)
		return;
	char *v1 = NULL, *v2 = NULL;
	for (char *l = t, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(l, "0::", 3) == 0)
			v2 = l + 3;
		else {
			char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c1 && c2) {
				*c2 = '\0';
				if (strstr(c1 + 1, "memory"))
					v1 = c2 + 1;
			}
		}
	}
	char *dir = NULL;
	if (v1) {
		dir = util_fmt("/sys/fs/cgroup/memory%s", v1);
		out->cg_current_bytes = read_ll(dir, "memory.usage_in_bytes");
		out->cg_peak_bytes = read_ll(dir, "memory.max_usage_in_bytes");
	}
	if (out->cg_current_bytes < 0 && v2) {
		free(dir);
		dir = util_fmt("/sys/fs/cgroup%s", strcmp(v2, "/") == 0 ? "" : v2);
		if (!util_path_exists(dir)) {
			free(dir);
			dir = util_fmt("/sys/fs/cgroup/unified%s", strcmp(v2, "/") == 0 ? "" : v2);
		}
		out->cg_current_bytes = read_ll(dir, "memory.current");
		out->cg_peak_bytes = read_ll(dir, "memory.peak");
	}
	if (dir && out->cg_current_bytes >= 0)
		snprintf(out->cg_path, sizeof out->cg_path, "%s", dir);
	free(dir);
	free(t);
}

/* A total of fields a process may not show (-1): known once any shows it. */
static void add_known(long *total, long v, int first)
{
	if (first)
		*total = -1;
	if (v >= 0)
		*total = (*total < 0 ? 0 : *total) + v;
}

int footprint_sample(const pid_t *pids, size_t n, struct footprint_sample *out)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return error_set("no sandbox process to sample");
	if (n > FOOTPRINT_MAX_PROCS)
		n = FOOTPRINT_MAX_PROCS;
	for (size_t i = 0; i < n; i++) {
		struct footprint_proc *p = &out->procs[out->n];
		p->pid = pids[i];
		kind_of(pids[i], p->kind, sizeof p->kind);
		int rc = read_rollup(pids[i], p);
		if (rc < 0)
			return rc;
		out->rss_kib += p->rss_kib;
		out->pss_kib += p->pss_kib;
		add_known(&out->anon_huge_kib, p->anon_huge_kib, i == 0);
		add_known(&out->file_pmd_kib, p->file_pmd_kib, i == 0);
		add_known(&out->shmem_pmd_kib, p->shmem_pmd_kib, i == 0);
		out->n++;
	}
	read_cgroup(pids[0], out);
	return 0;
}
