/* fakehist: a synthetic gVisor history for bisect and trend tests, fast
 * and without real gVisor.
 *
 * A bare repository with a master chain m1..m(n-1) and a go branch of n
 * first-parent commits: g0 (a root) and the go-style merges g1..g(n-1),
 * g(i) = merge(g(i-1), m(i)). Every go tree is a tiny Go module
 * `gvisor.dev/gvisor` (go 1.26) whose runsc/main.go sleeps a number of
 * microseconds embedded from runsc/delay_us (plus a pseudo-random 0 to
 * runsc/jitter_us) when its command is create or start, then execs the fake
 * runsc (tests/fake/fake_runsc.c) whose absolute path is embedded from
 * runsc/fake_path. So CORE (create + start) pays the delay twice, and the
 * untimed calls (delete, kill, --version) none: a test's wall time goes to
 * what it measures. The tree also carries a 100-byte stand-in for the
 * vDSO blob gvab checks before a module-mode build.
 *
 * Builds use --go /usr/local/go/bin/go (GOTOOLCHAIN=local: no download)
 * and a cache directory shared by every history of the test process, so
 * the standard library compiles once. Knobs live on a fake sysfs tree
 * (GVAB_SYSFS_ROOT) in the history's directory.
 */
#ifndef GVAB_FAKEHIST_H
#define GVAB_FAKEHIST_H

#include <stddef.h>

#define FAKEHIST_MAX 32
#define FAKEHIST_GO "/usr/local/go/bin/go"

struct fakehist {
	char *dir;       /* the test's directory (removed by fakehist_free) */
	char *repo;      /* bare repository: --source */
	char *cache;     /* --cache (shared, not removed) */
	char *patches;   /* an empty --patches directory */
	char *bundle;    /* bundle running /bin/true */
	size_t n;
	char go[FAKEHIST_MAX][41];     /* g0..g(n-1), hex */
	char master[FAKEHIST_MAX][41]; /* m1..m(n-1) at [1..n-1], hex */
};

/* delay_us[i]: the delay of g(i)'s tree; broken >= 0: g(broken)'s main.go
 * does not compile. */
void fakehist_create(struct fakehist *h, const char *tag, size_t n, const int *delay_us,
                     int jitter_us, int broken);
void fakehist_free(struct fakehist *h);

/* argv (NULL-terminated, static strings and h's) for `gvab CMD` with the
 * history's source, cache, patches, bundle and Go; `extra` (NULL-terminated)
 * follows. Caller frees the array only. */
char **fakehist_argv(const struct fakehist *h, const char *cmd, char *const *extra);

/* The bench's fixture: the history of the bisect tests (+15 ms per runsc
 * call from g7 on), kept; prints "repo PATH", "cache PATH", "patches PATH",
 * "bundle PATH" and "g<i> HEX" lines. Returns an exit code. */
int fakehist_fixture(void);

/* Whether go is there: tests skip (pass with a note) without it. */
int fakehist_have_go(void);

#endif
