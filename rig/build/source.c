/* source: see source.h.
 *
 * Invariants: the cache repository is bare and only ever gains objects and
 * refs; checkouts are separate repositories, so a patch applied to one arm can
 * never leak into another arm or into the cache.
 */
#define _GNU_SOURCE
#include "source.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void lib_shutdown(void)
{
	git_libgit2_shutdown();
}

void source_lib_init(void)
{
	static int done;
	if (!done) {
		git_libgit2_init();
		atexit(lib_shutdown);
		done = 1;
	}
}

int source_git_error(const char *what)
{
	const git_error *e = git_error_last();
	return error_set("%s: %s", what, (e && e->message) ? e->message : "libgit2 error");
}

/* The cache's writer lock: an exclusive flock on PATH.lock beside the
 * repository (PATH without its trailing '/'), blocking; a process that has
 * to wait says so once. Held while the repository is created, fetched into
 * or imported into, so two gvab processes sharing a cache (two builds, a
 * bisect beside a build, make check's lanes) never race on its refs or its
 * creation; readers need no lock (git writes objects and refs atomically).
 * Returns the descriptor to pass to cache_unlock, or < 0 with the error
 * set. */
static int cache_lock(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	char *lp = util_fmt("%.*s.lock", (int)n, path);
	char *dir = util_fmt("%.*s", (int)n, path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (util_mkdir_p(dir, 0755) < 0) {
			free(dir);
			free(lp);
			return GVAB_EFAIL;
		}
	}
	free(dir);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		int rc = error_set("%s: %s", lp, strerror(errno));
		free(lp);
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "gvab: waiting for another gvab that is writing the source cache (%s)\n", lp);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				int rc = error_set("locking %s: %s", lp, strerror(errno));
				close(fd);
				free(lp);
				return rc;
			}
		}
	}
	free(lp);
	return fd;
}

static void cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int source_open_cache(const char *path, git_repository **out)
{
	source_lib_init();
	int lock = cache_lock(path), rc = 0;
	if (lock < 0)
		return lock;
	if (git_repository_open_bare(out, path) == 0)
		goto out;
	if ((rc = util_mkdir_p(path, 0755)) < 0)
		goto out;
	if (git_repository_init(out, path, 1) < 0)
		rc = source_git_error(path);
out:
	cache_unlock(lock);
	return rc;
}

/* One updating line on a terminal, a line per 10% otherwise. */
static int fetch_progress(const git_indexer_progress *st, void *payload)
{
	int *last = payload;
	if (st->total_objects == 0)
		return 0;
	int pct = (int)(100.0 * st->received_objects / st->total_objects);
	if (util_interactive()) {
		fprintf(stderr, "\r  fetching: %u/%u objects (%d%%), %.1f MB", st->received_objects,
		        st->total_objects, pct, (double)st->received_bytes / 1e6);
		if (st->received_objects == st->total_objects)
			fputc('\n', stderr);
	} else if (pct / 10 != *last / 10) {
		fprintf(stderr, "  fetching: %d%% of %u objects\n", pct, st->total_objects);
	}
	*last = pct;
	return 0;
}

int source_fetch(git_repository *repo, const char *url, unsigned *received_objects)
{
	int last_pct = -10, lock = -1;
	git_remote *remote = NULL;
	int rc = GVAB_EFAIL;
	char *ns = source_namespace(url);
	char *specs[] = {util_fmt("+refs/heads/*:%s/heads/*", ns), util_fmt("+refs/tags/*:%s/tags/*", ns)};
	git_strarray refspecs = {specs, 2};
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	/* Tags only through the refspec: auto-followed tags would land in the
	 * shared refs/tags/, where one source's tag could shadow another's. */
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (strstr(url, "://") == NULL && strchr(url, '@') == NULL && !util_path_exists(url)) {
		rc = error_setc(GVAB_EPRECOND, "%s: no such repository (a local path that does not exist)", url);
		goto out;
	}
	fo.callbacks.transfer_progress = fetch_progress;
	fo.callbacks.payload = &last_pct;

	if ((lock = cache_lock(git_repository_path(repo))) < 0) {
		rc = lock;
		goto out;
	}
	if (git_remote_create_anonymous(&remote, repo, url) < 0) {
		source_git_error(url);
		goto out;
	}
	if (git_remote_fetch(remote, &refspecs, &fo, "gvab fetch") < 0) {
		source_git_error(url);
		rc = GVAB_EPRECOND;
		goto out;
	}
	if (received_objects)
		*received_objects = git_remote_stats(remote)->received_objects;
	rc = 0;
out:
	cache_unlock(lock);
	git_remote_free(remote);
	free(specs[0]);
	free(specs[1]);
	free(ns);
	return rc;
}

/* The state of one source_import_tree walk, passed down its recursion. */
struct import_walk {
	git_repository *repo;
	git_index *index;
	size_t root_len;
};

/* Adds the regular file or symlink at path (lstat'ed into *st) to the
 * index under its path relative to the tree's root. */
static int import_entry(const struct import_walk *w, const char *path, const struct stat *st)
{
	const char *rel = path + w->root_len;
	while (*rel == '/')
		rel++;
	git_index_entry e;
	memset(&e, 0, sizeof e);
	e.path = rel;
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof target);
		if (n < 0)
			return error_set("readlink %s: %s", path, strerror(errno));
		if (git_blob_create_from_buffer(&e.id, w->repo, target, (size_t)n) < 0)
			return source_git_error(path);
		e.mode = GIT_FILEMODE_LINK;
	} else {
		if (git_blob_create_from_disk(&e.id, w->repo, path) < 0)
			return source_git_error(path);
		e.mode = (st->st_mode & 0111) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	}
	return git_index_add(w->index, &e) < 0 ? source_git_error(path) : 0;
}

/* Imports directory `dir`: regular files and symlinks (never followed),
 * subdirectories by recursion except any named .git; other types are left
 * out. */
static int import_dir(const struct import_walk *w, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return error_set("%s: unreadable", dir);
	int rc = 0;
	for (struct dirent *de; rc == 0 && (de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *p = util_fmt("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) < 0)
			rc = error_set("%s: unreadable", p);
		else if (S_ISDIR(st.st_mode) && strcmp(de->d_name, ".git") != 0)
			rc = import_dir(w, p);
		else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
			rc = import_entry(w, p, &st);
		free(p);
	}
	closedir(d);
	return rc;
}

/* Points PREFIX NAME (a branch or a tag) at id, replacing what it named. */
static int import_set_ref(git_repository *repo, const char *prefix, const char *name,
                          const git_oid *id)
{
	git_reference *ref = NULL;
	char *refname = util_fmt("%s%s", prefix, name);
	int rc = 0;
	if (git_reference_create(&ref, repo, refname, id, 1, "gvab import") < 0)
		rc = source_git_error(refname);
	git_reference_free(ref);
	free(refname);
	return rc;
}

int source_import_tree(git_repository *repo, const char *dir, const char *branch,
                       const char *tag, git_oid *out)
{
	int rc = GVAB_EFAIL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_oid tree_id;
	char *msg = NULL;

	if (!util_is_dir(dir))
		return error_setc(GVAB_EPRECOND, "%s: no such source directory", dir);
	int lock = cache_lock(git_repository_path(repo));
	if (lock < 0)
		return lock;
	if (git_index_new(&index) < 0) {
		source_git_error("index");
		goto out;
	}
	struct import_walk w = {repo, index, strlen(dir)};
	if (import_dir(&w, dir) < 0)
		goto out;
	if (git_index_write_tree_to(&tree_id, index, repo) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0) {
		source_git_error("writing tree");
		goto out;
	}
	/* Fixed identity and time: the same tree always yields the same commit,
	 * which is what makes rebuilding an unchanged arm a no-op. */
	if (git_signature_new(&sig, "gvab import", "gvab@localhost", 0, 0) < 0) {
		source_git_error("signature");
		goto out;
	}
	/* The message names the tag only: the same tree gives the same commit
	 * wherever it was unpacked (module caches differ between machines). */
	msg = util_fmt("Import %s\n", tag);
	if (git_commit_create(out, repo, NULL, sig, sig, NULL, msg, tree, 0, NULL) < 0) {
		source_git_error("commit");
		goto out;
	}
	if (import_set_ref(repo, "refs/heads/", branch, out) == 0 &&
	    import_set_ref(repo, "refs/tags/", tag, out) == 0)
		rc = 0;
out:
	cache_unlock(lock);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	free(msg);
	return rc;
}

/* The first blob of a tree the object database lacks, for a message that
 * names it (libgit2's checkout would say "object not found" with an id
 * only, after writing part of the tree). */
struct blob_check {
	git_odb *odb;
	char path[1024];
	git_oid missing;
	size_t n_missing;
};

static int check_one(const char *root, const git_tree_entry *e, void *payload)
{
	struct blob_check *bc = payload;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || git_odb_exists(bc->odb, git_tree_entry_id(e)))
		return 0;
	if (bc->n_missing++ == 0) {
		snprintf(bc->path, sizeof bc->path, "%s%s", root, git_tree_entry_name(e));
		git_oid_cpy(&bc->missing, git_tree_entry_id(e));
	}
	return 0;
}

static int check_blobs(git_repository *r, git_commit *c, git_tree *tree)
{
	struct blob_check bc = {0};
	char hex[GIT_OID_HEXSZ + 1], blob[GIT_OID_HEXSZ + 1], when[16], more[48] = "";
	if (git_repository_odb(&bc.odb, r) < 0)
		return source_git_error("object database");
	int rc = git_tree_walk(tree, GIT_TREEWALK_PRE, check_one, &bc);
	git_odb_free(bc.odb);
	if (rc < 0)
		return source_git_error("reading the tree");
	if (bc.n_missing == 0)
		return 0;
	git_oid_tostr(hex, sizeof hex, git_commit_id(c));
	git_oid_tostr(blob, sizeof blob, &bc.missing);
	time_t t = (time_t)git_commit_time(c);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y%m%d%H%M%S", &tm);
	if (bc.n_missing > 1)
		snprintf(more, sizeof more, " and %zu more blob%s", bc.n_missing - 1, bc.n_missing > 2 ? "s" : "");
	return error_setc(GVAB_EPRECOND,
	                  "commit %.12s: %s (blob %.12s)%s: not in this source (a partial clone leaves large "
	                  "files out); a full clone, or the module source of that commit (--source module "
	                  "--ref v0.0.0-%s-%.12s), would provide it",
	                  hex, bc.path, blob, more, when, hex);
}

int source_checkout(git_repository *cache, const git_oid *commit, const char *dir)
{
	int rc = GVAB_EFAIL;
	git_repository *r = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	char *alt = NULL, *objs = NULL, *info = NULL;
	git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;

	if (git_repository_init(&r, dir, 0) < 0) {
		source_git_error(dir);
		goto out;
	}
	git_repository_free(r);
	r = NULL;
	/* Borrow the cache's objects instead of copying a 20+ MB tree per arm. */
	alt = util_fmt("%s/.git/objects/info/alternates", dir);
	objs = util_fmt("%sobjects\n", git_repository_path(cache));
	info = util_fmt("%s/.git/objects/info", dir);
	if (util_mkdir_p(info, 0755) < 0)
		goto out;
	if (util_write_file_atomic(alt, objs, strlen(objs)) < 0)
		goto out;
	if (git_repository_open(&r, dir) < 0 || git_commit_lookup(&c, r, commit) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		source_git_error(dir);
		goto out;
	}
	if ((rc = check_blobs(r, c, tree)) < 0)
		goto out;
	rc = GVAB_EFAIL;
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_checkout_tree(r, (git_object *)tree, &co) < 0 ||
	    git_repository_set_head_detached(r, commit) < 0) {
		source_git_error(dir);
		goto out;
	}
	rc = 0;
out:
	git_tree_free(tree);
	git_commit_free(c);
	git_repository_free(r);
	free(alt);
	free(objs);
	free(info);
	return rc;
}

void source_describe(git_repository *repo, const git_oid *commit, struct source_commit *out)
{
	git_commit *c = NULL;
	git_oid_tostr(out->hex, sizeof out->hex, commit);
	out->subject[0] = '\0';
	if (git_commit_lookup(&c, repo, commit) == 0) {
		const char *sum = git_commit_summary(c);
		snprintf(out->subject, sizeof out->subject, "%s", sum ? sum : "");
		git_commit_free(c);
	}
}

int source_first_parent_path(git_repository *repo, const git_oid *base, const git_oid *tip, size_t max,
                             struct source_commit **out, size_t *n)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, tip) < 0 ||
	    git_revwalk_simplify_first_parent(walk) < 0) {
		git_revwalk_free(walk);
		return source_git_error("walking the go branch");
	}
	int found = 0;
	size_t cap = 0;
	while (*n < max && git_revwalk_next(&oid, walk) == 0) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = util_xrealloc(*out, cap * sizeof **out);
		}
		source_describe(repo, &oid, &(*out)[(*n)++]);
		if (git_oid_equal(&oid, base)) {
			found = 1;
			break;
		}
	}
	git_revwalk_free(walk);
	if (!found) {
		char bh[GIT_OID_HEXSZ + 1];
		git_oid_tostr(bh, sizeof bh, base);
		free(*out);
		*out = NULL;
		*n = 0;
		return error_setc(GVAB_EUSAGE, "%.12s is not on the first-parent path behind %.12s",
		                  bh, git_oid_tostr_s(tip));
	}
	for (size_t i = 0; i < *n / 2; i++) {
		struct source_commit t = (*out)[i];
		(*out)[i] = (*out)[*n - 1 - i];
		(*out)[*n - 1 - i] = t;
	}
	return 0;
}

void source_merge_brings(git_repository *repo, const char *merge_hex, size_t max, struct source_commit **out,
                         size_t *n)
{
	git_oid id;
	git_commit *m = NULL;
	git_revwalk *w = NULL;
	*out = NULL;
	*n = 0;
	if (!repo || git_oid_fromstr(&id, merge_hex) < 0 || git_commit_lookup(&m, repo, &id) < 0)
		return;
	if (git_commit_parentcount(m) == 2 && git_revwalk_new(&w, repo) == 0 &&
	    git_revwalk_push(w, git_commit_parent_id(m, 1)) == 0 &&
	    git_revwalk_hide(w, git_commit_parent_id(m, 0)) == 0) {
		git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
		git_oid o;
		*out = util_xcalloc(max ? max : 1, sizeof **out);
		while (*n < max && git_revwalk_next(&o, w) == 0)
			source_describe(repo, &o, &(*out)[(*n)++]);
	}
	git_revwalk_free(w);
	git_commit_free(m);
}

int source_tree_id(git_repository *repo, const char *hex, char out[GIT_OID_HEXSZ + 1])
{
	git_object *obj = NULL;
	git_commit *c = NULL;
	out[0] = '\0';
	int r = git_revparse_single(&obj, repo, hex);
	if (r == 0)
		r = git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT);
	if (r == 0)
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_commit_tree_id(c));
	git_commit_free(c);
	git_object_free(obj);
	return r < 0 ? source_git_error(hex) : 0;
}

void source_close(git_repository *repo)
{
	git_repository_free(repo);
}
