/* gvab-workload: the program a workload run boots inside the sandbox (and
 * runc's container), built static so it runs in any rootfs.
 *
 *   gvab-workload true              exit 0 at once
 *   gvab-workload spin N            N iterations of an integer loop with no
 *                                   syscall in it (CPU-bound)
 *   gvab-workload statwalk DIR N    N passes over the tree at DIR, stat() on
 *                                   every entry (syscall-bound)
 *   gvab-workload idle              sleep until SIGTERM or SIGINT (for memory
 *                                   sampling of a running sandbox)
 *
 * The hot loop is timed inside, with CLOCK_MONOTONIC around it only, and
 * reported on stdout as one line the rig parses:
 *   gvab-workload: mode=spin n=N inner_ns=T result=R
 * so boot and teardown never blur it. Exit 0 on success, 2 on bad usage,
 * 1 when the work itself failed (an unreadable tree).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_count(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > (1LL << 50))
		return -1;
	*out = v;
	return 0;
}

/* A loop the compiler cannot drop or vectorise away: each step depends on
 * the previous one (xorshift). */
static uint64_t spin(long long n)
{
	uint64_t x = 88172645463325252ULL;
	for (long long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

/* stat() every entry under dir (depth first, no symlink following). */
static long walk(int dirfd, const char *path, int depth)
{
	if (depth > 64)
		return 0;
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	long n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		n++;
		if (S_ISDIR(st.st_mode)) {
			long k = walk(fd, e->d_name, depth + 1);
			if (k > 0)
				n += k;
		}
	}
	closedir(d);
	return n;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long long n = 0;
	int64_t t0, t1;
	if (!strcmp(mode, "true") && argc == 2) {
		printf("gvab-workload: mode=true n=0 inner_ns=0 result=0\n");
		return 0;
	}
	if (!strcmp(mode, "spin") && argc == 3 && parse_count(argv[2], &n) == 0) {
		t0 = now_ns();
		uint64_t r = spin(n);
		t1 = now_ns();
		printf("gvab-workload: mode=spin n=%lld inner_ns=%lld result=%llu\n", n, (long long)(t1 - t0),
		       (unsigned long long)(r & 0xffff));
		return 0;
	}
	if (!strcmp(mode, "statwalk") && argc == 4 && parse_count(argv[3], &n) == 0 && n > 0) {
		long files = 0;
		t0 = now_ns();
		for (long long i = 0; i < n; i++) {
			files = walk(AT_FDCWD, argv[2], 0);
			if (files < 0) {
				fprintf(stderr, "gvab-workload: statwalk %s: %s\n", argv[2], strerror(errno));
				return 1;
			}
		}
		t1 = now_ns();
		printf("gvab-workload: mode=statwalk n=%lld inner_ns=%lld result=%ld\n", n, (long long)(t1 - t0),
		       files);
		return 0;
	}
	if (!strcmp(mode, "idle") && argc == 2) {
		struct sigaction sa = {.sa_handler = on_signal};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		printf("gvab-workload: mode=idle n=0 inner_ns=0 result=0\n");
		fflush(stdout);
		while (!stop)
			pause();
		return 0;
	}
	fprintf(stderr, "usage: gvab-workload true | spin N | statwalk DIR N | idle\n");
	return 2;
}
