/* build_tree: an arm's tree and binary in its staging directory (checkout,
 * series, generated blobs, go build, checks), and the swap into place. */
#define _GNU_SOURCE
#include "build_int.h"
#include "blobs.h"
#include "error.h"
#include "proc.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int build_elf_is_static(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set("%s: %s", path, strerror(errno));
	Elf64_Ehdr eh;
	int rc = GVAB_EFAIL;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		rc = error_setc(GVAB_EDATA, "%s: not a 64-bit ELF file", path);
		goto out;
	}
	rc = 1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)eh.e_phoff + (off_t)i * eh.e_phentsize;
		if (pread(fd, &ph, sizeof ph, off) != (ssize_t)sizeof ph) {
			rc = error_setc(GVAB_EDATA, "%s: truncated program headers", path);
			goto out;
		}
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			rc = 0;
	}
out:
	close(fd);
	return rc;
}

static char *capture_trim(char *const *argv, const char *cwd)
{
	char *out = NULL;
	int st;
	if (proc_run_capture(argv, NULL, cwd, &out, &st) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		free(out);
		return NULL;
	}
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return out;
}

/* One line saying why go build failed, from its log: the first line that
 * is Go's own error (not a download note or a "# package" header), plus what
 * it means where gvab knows: a go:embed pattern with no file is a non-Go
 * file the go branch lacks (Bazel generates it), C files are refused without
 * cgo, and a missing package in GOPATH mode is a library Debian lacks. */
static char *build_log_summary(const char *log_path)
{
	char *log = util_read_file(log_path, NULL);
	char *res = NULL;
	const char *hint = "";
	if (!log)
		return util_xstrdup("no log");
	for (char *l = log, *next; l && *l && !res; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (!*l || strncmp(l, "go: downloading", 15) == 0 || strncmp(l, "go: finding", 11) == 0 ||
		    l[0] == '#')
			continue;
		if (strstr(l, "no matching files found") || strstr(l, "cannot embed"))
			hint = " [the tree lacks a non-Go file it embeds; the go branch does not ship "
			       "some Bazel-generated files: add it with a compat series]";
		else if (strstr(l, "C source files not allowed"))
			hint = " [C sources in a CGO_ENABLED=0 build: a compat series must drop them]";
		else if (strstr(l, "cannot find package") || strstr(l, "is not in std") ||
		         strstr(l, "no required module provides"))
			hint = " [a Go package is missing: GOPATH mode needs it from Debian's "
			       "golang-*-dev packages; module mode from the module proxy]";
		res = util_fmt("%.300s%s", l, hint);
	}
	free(log);
	return res ? res : util_xstrdup("no error line in the log");
}

static volatile sig_atomic_t build_interrupted;
static void on_build_signal(int sig)
{
	(void)sig;
	build_interrupted = 1;
}

/* Waits for the go build in `pid`, showing elapsed time; *st its status. */
static int wait_go_build(pid_t pid, const char *label, int progress, int64_t t0, int *st)
{
	int tty = util_interactive();
	long last = -1;
	for (;;) {
		pid_t r = waitpid(pid, st, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return error_set("waitpid: %s", strerror(errno));
		if (build_interrupted) {
			kill(-pid, SIGTERM);
			waitpid(pid, st, 0);
			return error_setc(GVAB_EINTR, "go build interrupted");
		}
		long secs = (long)((util_now_ns() - t0) / 1000000000);
		if (progress && tty && secs != last) {
			fprintf(stderr, "\r  %s: go build %lds", label, secs);
			last = secs;
		}
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* Runs go build; returns wall seconds in *wall_s. */
static int run_go_build(char *const *argv, char *const *envp, const char *cwd, const char *log_path,
                        const char *failed_log, const char *label, int progress, double *wall_s)
{
	struct proc_opts po = {.argv = argv, .envp = envp, .cwd = cwd, .stdout_path = log_path,
	                       .stderr_path = log_path, .stdin_null = 1, .own_pgroup = 1};
	pid_t pid;
	struct sigaction sa = {.sa_handler = on_build_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	build_interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int64_t t0 = util_now_ns();
	int rc = proc_spawn(&po, &pid), st = 0, tty = util_interactive();
	if (rc < 0)
		goto out;
	if (progress)
		fprintf(stderr, tty ? "  %s: go build ..." : "  %s: go build started\n", label);
	if ((rc = wait_go_build(pid, label, progress, t0, &st)) < 0)
		goto out;
	*wall_s = (double)(util_now_ns() - t0) / 1e9;
	if (progress)
		fprintf(stderr, tty ? "\r  %s: go build %.1fs\n" : "  %s: go build done in %.1fs\n", label, *wall_s);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *why = build_log_summary(log_path);
		rc = error_set("go build failed (%s): %s (log: %s)", proc_status_str(st), why, failed_log);
		free(why);
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

static int apply_series(struct build_ctx *c)
{
	struct patch_context ctx = {.tree = c->tree, .history = c->is_module || c->is_debian ? NULL : c->cache,
	                            .commit = &c->res.commit, .gomod_go = c->gm.go[0] ? c->gm.go : NULL};
	for (size_t i = 0; i < c->nseries; i++) {
		int rc = patch_apply_series(c->work, &ctx, &c->series[i]);
		if (rc < 0)
			return rc;
		for (size_t j = 0; j < c->series[i].count && c->o->progress; j++) {
			const struct patch_entry *p = &c->series[i].patches[j];
			if (p->status == PATCH_SUPERSEDED)
				fprintf(stderr, "  %s: %s/%s %s\n", c->name, c->series[i].name, p->v[p->chosen].name,
				        p->detail);
			else
				fprintf(stderr, "  %s: %s/%s %s%s%s\n", c->name, c->series[i].name, p->v[p->chosen].name,
				        patch_status_name(p->status), p->detail[0] ? ": " : "", p->detail);
		}
	}
	return 0;
}

/* The vDSO and systrap stub, built from C sources for GOPATH-mode trees that
 * ship placeholders; module mode cannot. */
static int generated_blobs(struct build_ctx *c)
{
	if (!blobs_needed(c->tree))
		return 0;
	if (c->module_mode)
		return error_setc(GVAB_EPRECOND,
		                  "%.12s ships placeholder vDSO/systrap blobs (non-Go files Bazel generates); "
		                  "this tree cannot build in module mode as is", c->hex);
	if (!c->blob_src)
		return error_setc(GVAB_EPRECOND,
		                  "%s has placeholder vDSO/systrap blobs and no blob source was found "
		                  "(run hosts/install-deps.sh, or pass --blob-source DIR)", c->tree);
	c->blob_dir = util_fmt("%s/blobs", c->stage);
	c->blob_rec = cJSON_CreateObject();
	int rc = blobs_generate(c->tree, c->blob_src, c->blob_dir, c->blob_rec);
	if (rc < 0)
		return error_wrap(rc, "building gVisor's generated blobs");
	if (c->o->progress)
		fprintf(stderr, "  %s: built vDSO and systrap stub from %s\n", c->name, c->blob_src);
	return 0;
}

int build_checkout(struct build_ctx *c)
{
	int rc;
	if ((rc = util_rm_rf(c->stage)) < 0 || (rc = util_mkdir_p(c->stage, 0755)) < 0)
		return rc;
	if (!c->module_mode) {
		char *parent = util_fmt("%s/src/gvisor.dev", c->gopath);
		rc = util_mkdir_p(parent, 0755);
		free(parent);
		if (rc < 0)
			return rc;
	}
	if ((rc = source_checkout(c->cache, &c->res.commit, c->tree)) < 0)
		return error_wrap(rc, "checking out %.12s", c->hex);
	if (git_repository_open(&c->work, c->tree) < 0)
		return source_git_error(c->tree);
	if ((rc = apply_series(c)) < 0)
		return rc;
	return generated_blobs(c);
}

int build_compile(struct build_ctx *c)
{
	/* runsc --version and the build info's -ldflags name the upstream commit
	 * (c->ident); -buildvcs=false keeps the checkout's own VCS data (for a
	 * module source gvab's synthetic import commit) out of the binary. */
	c->ldflags = c->o->relayout > 0
	                 ? util_fmt("-X gvisor.dev/gvisor/runsc/version.version=%s -randlayout=%ld", c->ident,
	                            c->o->relayout)
	                 : util_fmt("-X gvisor.dev/gvisor/runsc/version.version=%s", c->ident);
	char *argv[16];
	int a = 0, rc;
	argv[a++] = (char *)c->go;
	argv[a++] = "build";
	argv[a++] = "-trimpath";
	argv[a++] = "-buildvcs=false";
	argv[a++] = "-ldflags";
	argv[a++] = c->ldflags;
	if (c->o->tags) {
		argv[a++] = "-tags";
		argv[a++] = (char *)c->o->tags;
	}
	argv[a++] = "-o";
	argv[a++] = c->runsc_tmp;
	argv[a++] = "./runsc";
	argv[a] = NULL;
	if ((rc = run_go_build(argv, c->envp, c->tree, c->log_path, c->failed_log, c->name, c->o->progress,
	                       &c->wall_s)) < 0)
		return rc;
	int st = build_elf_is_static(c->runsc_tmp);
	if (st < 0)
		return st;
	if (st == 0)
		return error_set("%s is dynamically linked; runsc must be static (CGO_ENABLED=0)", c->runsc_tmp);
	if (rename(c->runsc_tmp, c->runsc) < 0)
		return error_set("rename %s: %s", c->runsc_tmp, strerror(errno));
	c->version_out = capture_trim((char *[]){c->runsc, "--version", NULL}, NULL);
	if (!c->version_out)
		return error_set("%s --version failed", c->runsc);
	char *out = NULL;
	char *vargv[] = {(char *)c->go, "version", "-m", c->runsc, NULL};
	if (proc_run_capture(vargv, c->envp, NULL, &out, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		c->gov_m = out;
	else
		free(out);
	return 0;
}

int build_install(struct build_ctx *c)
{
	/* One atomic swap: there is never a moment without a whole arm. */
	if (renameat2(AT_FDCWD, c->stage, AT_FDCWD, c->arm_dir, RENAME_EXCHANGE) == 0) {
		if (util_rm_rf(c->stage) < 0) /* now the old arm */
			fprintf(stderr, "gvab: warning: could not remove the old arm in %s: %s\n", c->stage, error_last());
		return 0;
	}
	if (errno != ENOENT)
		return error_set("installing %s as %s: %s", c->stage, c->arm_dir, strerror(errno));
	if (rename(c->stage, c->arm_dir) < 0)
		return error_set("installing %s as %s: %s", c->stage, c->arm_dir, strerror(errno));
	return 0;
}
