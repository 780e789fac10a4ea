/* calib_check: does patches/calibrate-delay add exactly D, where it says?
 * A benchmark, not a test: it prints its figures.
 *
 * The patch's delay is the first statement of runsc create's Execute, and
 * `runsc --rootless --root=DIR create --bundle BUNDLE ID` reaches Execute
 * (the spec is read first), waits the delay and then refuses rootless mode
 * (exit 128) before anything else: the delay plus a fixed start-up, with
 * almost none of a boot's noise. Each repetition spawns that command four times
 * in a rotating order, {sleep, spin} x {0, D} (GVAB_CALIBRATE_MODE,
 * GVAB_CALIBRATE_DELAY_US in the child's environment, no shell), timing
 * each from just before posix_spawn to wait4's return on CLOCK_MONOTONIC,
 * as gvab times a phase, and taking the child's user + sys time from
 * wait4's rusage, as gvab's per-boot `cpu`. Per mode it prints the median
 * over repetitions of the paired differences (D minus 0, same repetition)
 * of wall and CPU time: sleep should add D to wall and nothing to CPU,
 * spin D to both. Those outside figures carry the host's noise; the
 * patch's own report (GVAB_CALIBRATE_REPORT=1: the wall and CPU time the
 * delay took, measured around it inside runsc) does not, and its medians
 * and maxima of "took minus D" are printed as well.
 *
 * Usage: calib_check RUNSC BUNDLE D_US REPS   (a scratch --root under TMPDIR)
 */
#define _GNU_SOURCE
#include "stats.h"
#include "util.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* One `runsc create` with the calibration variables set; wall and CPU ms. */
/* The patch's report line in file `path`: the delay's wall and CPU ms. */
static int read_report(const char *path, double *in_wall_ms, double *in_cpu_ms)
{
	char *t = util_read_file(path, NULL);
	const char *l = t ? strstr(t, "gvab-calibrate: ") : NULL;
	long long asked, wall, cpu;
	char mode[16];
	int ok = l && sscanf(l, "gvab-calibrate: mode=%15s asked_ns=%lld wall_ns=%lld cpu_ns=%lld", mode,
	                     &asked, &wall, &cpu) == 4;
	free(t);
	if (!ok)
		return -1;
	*in_wall_ms = (double)wall / 1e6;
	*in_cpu_ms = (double)cpu / 1e6;
	return 0;
}

static int time_create(const char *runsc, const char *bundle, const char *root, const char *mode,
                       long d_us, double *wall_ms, double *cpu_ms, double *in_wall_ms, double *in_cpu_ms)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = util_xcalloc(n + 4, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GVAB_CALIBRATE_", 15) != 0)
			env[k++] = environ[i];
	char *e1 = util_fmt("GVAB_CALIBRATE_MODE=%s", mode);
	char *e2 = util_fmt("GVAB_CALIBRATE_DELAY_US=%ld", d_us);
	env[k++] = e1;
	env[k++] = e2;
	env[k++] = "GVAB_CALIBRATE_REPORT=1";
	char *errpath = util_fmt("%s/stderr", root);
	char *rootarg = util_fmt("--root=%s", root);
	char *argv[] = {(char *)runsc, "--rootless", rootarg, "create", "--bundle", (char *)bundle,
	                "calib-check", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct timespec t0, t1;
	struct rusage ru;
	int st = 0;
	pid_t pid;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = posix_spawn(&pid, runsc, &fa, NULL, argv, env);
	if (rc == 0)
		rc = wait4(pid, &st, 0, &ru) == pid ? 0 : -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	free(e1);
	free(e2);
	free(rootarg);
	if (rc != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 128) {
		fprintf(stderr, "calib_check: %s --rootless create: spawn %d, status %#x (want its "
		        "refusal, exit 128)\n", runsc, rc, st);
		free(errpath);
		return -1;
	}
	*in_wall_ms = *in_cpu_ms = 0;
	if (d_us > 0 && read_report(errpath, in_wall_ms, in_cpu_ms) < 0) {
		fprintf(stderr, "calib_check: %s: no gvab-calibrate report line in %s (not built with "
		        "patches/calibrate-delay?)\n", runsc, errpath);
		free(errpath);
		return -1;
	}
	free(errpath);
	*wall_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	*cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: calib_check RUNSC BUNDLE D_US REPS\n");
		return 64;
	}
	long d = strtol(argv[3], NULL, 10), reps = strtol(argv[4], NULL, 10);
	const char *tmp = getenv("TMPDIR");
	char *root = util_fmt("%s/calib-check-root-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		fprintf(stderr, "calib_check: cannot make %s\n", root);
		return 69;
	}
	if (d < 0 || reps < 1 || reps > 100000) {
		fprintf(stderr, "calib_check: D_US >= 0 and 1 <= REPS <= 100000\n");
		return 64;
	}
	static const char *const modes[] = {"sleep", "spin"};
	double *dw[2], *dc[2], *w0[2], *iw[2], *ic[2];
	for (int m = 0; m < 2; m++) {
		dw[m] = util_xcalloc((size_t)reps, sizeof(double));
		dc[m] = util_xcalloc((size_t)reps, sizeof(double));
		w0[m] = util_xcalloc((size_t)reps, sizeof(double));
		iw[m] = util_xcalloc((size_t)reps, sizeof(double));
		ic[m] = util_xcalloc((size_t)reps, sizeof(double));
	}
	for (long r = 0; r < reps; r++) {
		double wall[4], cpu[4], inw[4], inc[4];
		for (int j = 0; j < 4; j++) {
			int c = (int)((j + r) % 4); /* rotate the order: no config always first */
			if (time_create(argv[1], argv[2], root, modes[c / 2], c % 2 ? d : 0, &wall[c],
			                &cpu[c], &inw[c], &inc[c]) < 0) {
				util_rm_rf(root);
				return 1;
			}
		}
		for (int m = 0; m < 2; m++) {
			dw[m][r] = wall[2 * m + 1] - wall[2 * m];
			dc[m][r] = cpu[2 * m + 1] - cpu[2 * m];
			w0[m][r] = wall[2 * m];
			iw[m][r] = inw[2 * m + 1] - (double)d / 1e3;
			ic[m][r] = inc[2 * m + 1];
		}
	}
	util_rm_rf(root);
	free(root);
	printf("runsc --rootless create (refused after the delay), %ld repetitions, D = %ld us (%.3f ms)\n", reps, d, d / 1e3);
	for (int m = 0; m < 2; m++) {
		double lo, hi, lo2, hi2;
		stats_median_ci(dw[m], (size_t)reps, 0.025, &lo, &hi);
		stats_median_ci(dc[m], (size_t)reps, 0.025, &lo2, &hi2);
		printf("%-5s: D=0 wall p50 %.3f ms; D minus 0: wall %+.3f ms [%+.3f, %+.3f], cpu %+.3f ms "
		       "[%+.3f, %+.3f] (medians of paired differences, 95%% order-statistic CI)\n",
		       modes[m], stats_median(w0[m], (size_t)reps), stats_median(dw[m], (size_t)reps), lo, hi,
		       stats_median(dc[m], (size_t)reps), lo2, hi2);
		struct stats_summary sw, sc;
		stats_summarize(iw[m], (size_t)reps, &sw);
		stats_summarize(ic[m], (size_t)reps, &sc);
		printf("%-5s: inside runsc: wall took D %+.3f ms (p50; min %+.3f, max %+.3f), cpu %.3f ms "
		       "(p50; min %.3f, max %.3f)\n", modes[m], sw.median, sw.min, sw.max, sc.median, sc.min,
		       sc.max);
		free(iw[m]);
		free(ic[m]);
		free(dw[m]);
		free(dc[m]);
		free(w0[m]);
	}
	return 0;
}
