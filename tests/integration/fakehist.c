/* fakehist: see fakehist.h. */
#define _GNU_SOURCE
#include "fakehist.h"
#include "itest.h"
#include "source.h"
#include "util.h"

#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__aarch64__)
#define VDSO_NAME "vdso_arm64.so"
#else
#define VDSO_NAME "vdso_amd64.so"
#endif

/* Not Check's asserts: the bench's fixture runs outside a test. */
#define MUST(x)                                                                             \
	do {                                                                                    \
		if (!(x)) {                                                                         \
			fprintf(stderr, "fakehist: %s:%d: %s failed\n", __FILE__, __LINE__, #x);        \
			abort();                                                                        \
		}                                                                                   \
	} while (0)

static const char main_go[] =
	"// A stand-in runsc for gvab's tests: sleeps, then becomes the fake runsc.\n"
	"package main\n"
	"\n"
	"import (\n"
	"\t_ \"embed\"\n"
	"\t\"os\"\n"
	"\t\"strconv\"\n"
	"\t\"strings\"\n"
	"\t\"syscall\"\n"
	"\t\"time\"\n"
	")\n"
	"\n"
	"//go:embed delay_us\n"
	"var delayUS string\n"
	"\n"
	"//go:embed jitter_us\n"
	"var jitterUS string\n"
	"\n"
	"//go:embed fake_path\n"
	"var fakePath string\n"
	"\n"
	"// timed: the command (the first argument that is not a flag; gvab passes\n"
	"// flags as --name=value) is create or start, the two CORE times.\n"
	"func timed() bool {\n"
	"\tfor _, a := range os.Args[1:] {\n"
	"\t\tif !strings.HasPrefix(a, \"-\") {\n"
	"\t\t\treturn a == \"create\" || a == \"start\"\n"
	"\t\t}\n"
	"\t}\n"
	"\treturn false\n"
	"}\n"
	"\n"
	"func main() {\n"
	"\tif timed() {\n"
	"\t\td, _ := strconv.Atoi(strings.TrimSpace(delayUS))\n"
	"\t\tif j, _ := strconv.Atoi(strings.TrimSpace(jitterUS)); j > 0 {\n"
	"\t\t\td += int(time.Now().UnixNano()/1000) % j\n"
	"\t\t}\n"
	"\t\ttime.Sleep(time.Duration(d) * time.Microsecond)\n"
	"\t}\n"
	"\tp := strings.TrimSpace(fakePath)\n"
	"\terr := syscall.Exec(p, append([]string{p}, os.Args[1:]...), os.Environ())\n"
	"\tos.Stderr.WriteString(\"runsc stand-in: exec \" + p + \": \" + err.Error() + \"\\n\")\n"
	"\tos.Exit(127)\n"
	"}\n";

static git_oid blob(git_repository *r, const char *text, size_t len)
{
	git_oid id;
	MUST(git_blob_create_from_buffer(&id, r, text, len) == 0);
	return id;
}

/* A tree of one entry `name` (a blob or a tree) on top of `base` (may be NULL). */
static git_oid tree_with(git_repository *r, const git_oid *base, const char *name, const git_oid *id,
                         int is_tree)
{
	git_tree *t = NULL;
	git_treebuilder *tb;
	git_oid out;
	if (base)
		MUST(git_tree_lookup(&t, r, base) == 0);
	MUST(git_treebuilder_new(&tb, r, t) == 0);
	MUST(git_treebuilder_insert(NULL, tb, name, id, is_tree ? GIT_FILEMODE_TREE : GIT_FILEMODE_BLOB) == 0);
	MUST(git_treebuilder_write(&out, tb) == 0);
	git_treebuilder_free(tb);
	git_tree_free(t);
	return out;
}

static git_oid file_in(git_repository *r, const git_oid *base, const char *name, const char *text)
{
	git_oid b = blob(r, text, strlen(text));
	return tree_with(r, base, name, &b, 0);
}

static git_oid go_tree(git_repository *r, size_t i, int delay_us, int jitter_us, int broken)
{
	char buf[64], note[64], real[PATH_MAX];
	MUST(realpath(itest_fake(), real) != NULL);
	char *fake = util_fmt("%s\n", real);
	snprintf(buf, sizeof buf, "%d\n", delay_us);
	git_oid runsc = file_in(r, NULL, "delay_us", buf);
	snprintf(buf, sizeof buf, "%d\n", jitter_us);
	runsc = file_in(r, &runsc, "jitter_us", buf);
	runsc = file_in(r, &runsc, "fake_path", fake);
	runsc = file_in(r, &runsc, "main.go", broken ? "package main\n\nfunc main() { this is not Go }\n"
	                                             : main_go);
	char vdso[100];
	memset(vdso, 0x7f, sizeof vdso);
	git_oid vb = blob(r, vdso, sizeof vdso);
	git_oid t = tree_with(r, NULL, VDSO_NAME, &vb, 0);
	t = tree_with(r, NULL, "vdsodata", &t, 1);
	t = tree_with(r, NULL, "loader", &t, 1);
	t = tree_with(r, NULL, "sentry", &t, 1);
	git_oid top = tree_with(r, NULL, "pkg", &t, 1);
	top = tree_with(r, &top, "runsc", &runsc, 1);
	top = file_in(r, &top, "go.mod", "module gvisor.dev/gvisor\n\ngo 1.26\n");
	snprintf(note, sizeof note, "go tree %zu\n", i);
	top = file_in(r, &top, "NOTE", note);
	free(fake);
	return top;
}

static git_oid commit(git_repository *r, const git_oid *tree, const char *msg, const git_oid *p1,
                      const git_oid *p2, long when)
{
	git_tree *t;
	git_signature *sig;
	git_commit *pc[2] = {NULL, NULL};
	const git_commit *parents[2];
	size_t np = 0;
	git_oid id;
	MUST(git_tree_lookup(&t, r, tree) == 0);
	MUST(git_signature_new(&sig, "t", "t@example.org", 1780000000 + when, 0) == 0);
	if (p1) {
		MUST(git_commit_lookup(&pc[0], r, p1) == 0);
		parents[np++] = pc[0];
	}
	if (p2) {
		MUST(git_commit_lookup(&pc[1], r, p2) == 0);
		parents[np++] = pc[1];
	}
	MUST(git_commit_create(&id, r, NULL, sig, sig, NULL, msg, t, np, parents) == 0);
	git_commit_free(pc[0]);
	git_commit_free(pc[1]);
	git_tree_free(t);
	git_signature_free(sig);
	return id;
}

int fakehist_have_go(void)
{
	return access(FAKEHIST_GO, X_OK) == 0;
}

void fakehist_create(struct fakehist *h, const char *tag, size_t n, const int *delay_us,
                     int jitter_us, int broken)
{
	MUST(n >= 2 && n <= FAKEHIST_MAX);
	memset(h, 0, sizeof *h);
	source_lib_init();
	h->n = n;
	h->dir = itest_tmpdir(tag);
	h->repo = util_fmt("%s/upstream.git", h->dir);
	h->patches = util_fmt("%s/patches", h->dir);
	h->bundle = util_fmt("%s/bundle", h->dir);
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	h->cache = util_fmt("%s/gvab-itest-fakehist-cache", tmp);
	MUST(util_mkdir_p(h->patches, 0755) == 0);
	MUST(util_mkdir_p(h->cache, 0755) == 0);
	/* tests/run.sh's lanes share one Go build cache (safe for concurrent
	 * go commands; gvab's cache beside it is not shared): the standard
	 * library compiles once per run, not once per lane. */
	const char *shared = getenv("GVAB_ITEST_GOCACHE");
	if (shared && *shared) {
		char *gc = util_fmt("%s/gocache", h->cache);
		MUST(util_mkdir_p(shared, 0755) == 0);
		MUST(symlink(shared, gc) == 0 || errno == EEXIST);
		free(gc);
	}
	char *bargv[] = {(char *)itest_gvab(), "bundle", "--out", h->bundle, NULL};
	MUST(itest_run(NULL, bargv) == 0);

	/* Knobs on a fake sysfs: these tests never touch the host's. */
	char *k = util_fmt("%s/sys/kernel", h->dir), *f = util_fmt("%s/sys/kernel/rcu_expedited", h->dir);
	char *root = util_fmt("%s/sys", h->dir);
	MUST(util_mkdir_p(k, 0755) == 0);
	MUST(util_write_file_atomic(f, "1\n", 2) == 0);
	setenv("GVAB_SYSFS_ROOT", root, 1);
	free(k);
	free(f);
	free(root);

	git_repository *r;
	MUST(git_repository_init(&r, h->repo, 1) == 0);
	git_oid readme = file_in(r, NULL, "README.md", "master root\n");
	git_oid m = commit(r, &readme, "master root", NULL, NULL, 0);
	git_oid t0 = go_tree(r, 0, delay_us[0], jitter_us, broken == 0);
	git_oid g = commit(r, &t0, "Merge release-20990101.0 (automated)", NULL, NULL, 1);
	git_oid_tostr(h->go[0], sizeof h->go[0], &g);
	for (size_t i = 1; i < n; i++) {
		char msg[128];
		snprintf(msg, sizeof msg, "master change %zu\n\nSomething that moves cold boot, or not.\n", i);
		char body[64];
		snprintf(body, sizeof body, "master %zu\n", i);
		git_oid mt = file_in(r, &readme, "README.md", body);
		m = commit(r, &mt, msg, &m, NULL, (long)(10 * i));
		git_oid_tostr(h->master[i], sizeof h->master[i], &m);
		git_oid t = go_tree(r, i, delay_us[i], jitter_us, broken == (int)i);
		snprintf(msg, sizeof msg, "Merge release-20990101.0-%zu-g%.7s (automated)", i, h->master[i]);
		g = commit(r, &t, msg, &g, &m, (long)(10 * i + 1));
		git_oid_tostr(h->go[i], sizeof h->go[i], &g);
	}
	git_reference *ref;
	MUST(git_reference_create(&ref, r, "refs/heads/go", &g, 1, NULL) == 0);
	git_reference_free(ref);
	MUST(git_reference_create(&ref, r, "refs/heads/master", &m, 1, NULL) == 0);
	git_reference_free(ref);
	git_repository_free(r);
}

void fakehist_free(struct fakehist *h)
{
	unsetenv("GVAB_SYSFS_ROOT");
	util_rm_rf(h->dir);
	free(h->dir);
	free(h->repo);
	free(h->cache);
	free(h->patches);
	free(h->bundle);
	memset(h, 0, sizeof *h);
}

char **fakehist_argv(const struct fakehist *h, const char *cmd, char *const *extra)
{
	size_t ne = 0;
	while (extra && extra[ne])
		ne++;
	char **a = util_xcalloc(16 + ne, sizeof *a);
	size_t k = 0;
	a[k++] = (char *)itest_gvab();
	a[k++] = (char *)cmd;
	a[k++] = "--source";
	a[k++] = h->repo;
	a[k++] = "--cache";
	a[k++] = h->cache;
	a[k++] = "--patches";
	a[k++] = h->patches;
	a[k++] = "--bundle";
	a[k++] = h->bundle;
	a[k++] = "--go";
	a[k++] = FAKEHIST_GO;
	for (size_t i = 0; i < ne; i++)
		a[k++] = extra[i];
	a[k] = NULL;
	return a;
}

int fakehist_fixture(void)
{
	if (!fakehist_have_go()) {
		fprintf(stderr, "fakehist: no %s\n", FAKEHIST_GO);
		return 69;
	}
	int d[17];
	for (int i = 0; i < 17; i++)
		d[i] = i >= 7 ? 15000 : 0;
	struct fakehist h;
	fakehist_create(&h, "bench", 17, d, 0, -1);
	printf("dir %s\nrepo %s\ncache %s\npatches %s\nbundle %s\nsysfs %s/sys\n", h.dir, h.repo, h.cache,
	       h.patches, h.bundle, h.dir);
	for (size_t i = 0; i < h.n; i++)
		printf("g%zu %s\n", i, h.go[i]);
	free(h.dir);
	free(h.repo);
	free(h.cache);
	free(h.patches);
	free(h.bundle);
	return 0;
}
