/* util: see util.h. */
#define _GNU_SOURCE
#include "util.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <ftw.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sha256.h>

int64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void util_utc_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void *util_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("gvab: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *util_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fputs("gvab: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *util_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("gvab: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *util_xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		fputs("gvab: out of memory\n", stderr);
		abort();
	}
	return d;
}

char *util_fmt(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("gvab: out of memory\n", stderr);
		abort();
	}
	return s;
}

int util_mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf)
		return error_set("mkdir %s: bad path", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return error_set("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return error_set("mkdir %s: %s", buf, strerror(errno));
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	int r = (flag == FTW_DP) ? rmdir(path) : unlink(path);
	if (r < 0 && errno != ENOENT) {
		error_set("removing %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int util_rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : error_set("%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return error_set("removing %s: %s", path, strerror(errno));
		return 0;
	}
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return GVAB_EFAIL;
	return 0;
}

int util_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int util_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

char *util_read_file_max(const char *path, size_t max, size_t *len_out)
{
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer forever; the file is refused by type right after. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		error_set("%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		error_set("%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		error_setc(GVAB_EDATA, "%s: %s, not a regular file; refused", path,
		           file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	/* st_size may be 0 (procfs, sysfs) or change while reading: the read
	 * loop is bounded by `max` itself. */
	size_t cap = 8192, len = 0;
	char *buf = util_xmalloc(cap);
	for (;;) {
		if (len > max) {
			error_setc(GVAB_EDATA, "%s: larger than %zu MiB; refused", path, max >> 20);
			goto fail;
		}
		if (len + 1 >= cap) {
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			buf = util_xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			error_set("reading %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

char *util_read_file(const char *path, size_t *len_out)
{
	return util_read_file_max(path, UTIL_READ_MAX, len_out);
}

int util_write_file_atomic(const char *path, const char *data, size_t len)
{
	char *tmp = util_fmt("%s.tmp.%ld", path, (long)getpid());
	int rc = GVAB_EFAIL;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error_set("%s: %s", tmp, strerror(errno));
		goto out;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			error_set("writing %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		error_set("writing %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		error_set("renaming %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int util_copy_file(const char *from, const char *to, unsigned mode)
{
	size_t len;
	/* Binaries (runsc, toolchain files) are bigger than any input. */
	char *data = util_read_file_max(from, (size_t)4 << 30, &len);
	if (!data)
		return GVAB_EFAIL;
	int rc = util_write_file_atomic(to, data, len);
	free(data);
	if (rc == 0 && chmod(to, mode) < 0)
		rc = error_set("chmod %s: %s", to, strerror(errno));
	return rc;
}

int util_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return error_set("%s: %s", path, strerror(errno));
	if (!fgets(buf, (int)len, f)) {
		buf[0] = '\0';
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void hex_encode(const uint8_t *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int util_sha256_file(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set("%s: %s", path, strerror(errno));
	SHA2_CTX ctx;
	SHA256Init(&ctx);
	uint8_t buf[1 << 16];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return error_set("reading %s: %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		SHA256Update(&ctx, buf, (size_t)r);
	}
	close(fd);
	uint8_t d[SHA256_DIGEST_LENGTH];
	SHA256Final(d, &ctx);
	hex_encode(d, sizeof d, hex);
	return 0;
}

void util_sha256_buf(const void *data, size_t len, char hex[65])
{
	SHA2_CTX ctx;
	uint8_t d[SHA256_DIGEST_LENGTH];
	SHA256Init(&ctx);
	SHA256Update(&ctx, data, len);
	SHA256Final(d, &ctx);
	hex_encode(d, sizeof d, hex);
}

cJSON *util_json_load(const char *path)
{
	char *text = util_read_file(path, NULL);
	if (!text)
		return NULL;
	cJSON *doc = cJSON_Parse(text);
	if (!doc) {
		const char *at = cJSON_GetErrorPtr();
		error_setc(GVAB_EDATA, "%s: invalid JSON near byte %ld", path,
		           at ? (long)(at - text) : -1L);
	}
	free(text);
	return doc;
}

int util_json_save(const char *path, const cJSON *doc)
{
	char *text = cJSON_Print(doc);
	if (!text)
		return error_set("%s: cannot serialise JSON", path);
	size_t n = strlen(text);
	text = util_xrealloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = '\0';
	int rc = util_write_file_atomic(path, text, n + 1);
	free(text);
	return rc;
}

char *util_cache_dir(void)
{
	const char *e = getenv("GVAB_CACHE_DIR");
	if (e && *e)
		return util_xstrdup(e);
	e = getenv("XDG_CACHE_HOME");
	if (e && *e)
		return util_fmt("%s/gvab", e);
	e = getenv("HOME");
	return util_fmt("%s/.cache/gvab", (e && *e) ? e : "/tmp");
}

char *util_self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return util_xstrdup(".");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return util_xstrdup(buf);
}

int util_interactive(void)
{
	const char *ci = getenv("CI");
	if (ci && *ci && strcmp(ci, "false") != 0)
		return 0;
	return isatty(STDERR_FILENO);
}

int util_parse_long(const char *s, long min, long max, const char *what, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return error_setc(GVAB_EUSAGE, "%s: '%s' is not a whole number from %ld to %ld",
		                  what, s, min, max);
	*out = v;
	return 0;
}

int util_open_nofollow(const char *path, int flags, unsigned mode)
{
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return error_set("%s: %s%s", path, strerror(errno),
		                 errno == ELOOP ? " (a symlink; refused)" : "");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_setc(GVAB_EDATA, "%s: not a regular file", path);
	}
	return fd;
}

int util_write_file_excl(const char *path, const char *data, size_t len)
{
	char *tmp = util_fmt("%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);
	int fd = util_open_nofollow(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		free(tmp);
		return fd;
	}
	int rc = 0;
	for (size_t off = 0; off < len && rc == 0;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = error_set("writing %s: %s", tmp, strerror(errno));
		else
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = error_set("writing %s: %s", tmp, strerror(errno));
	close(fd);
	/* rename(2) replaces a symlink at `path` itself, never its target. */
	if (rc == 0 && rename(tmp, path) < 0)
		rc = error_set("renaming %s to %s: %s", tmp, path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Copies directory `from` (already lstat'ed into *st) to `to`, then each
 * entry: directories by recursion, symlinks as links (never followed),
 * regular files; anything else is left out. The walk's state is its
 * arguments (no globals, unlike nftw's callback). */
static int copy_dir(const char *from, const char *to, const struct stat *st)
{
	if (mkdir(to, st->st_mode & 07777) < 0 && errno != EEXIST)
		return error_set("mkdir %s: %s", to, strerror(errno));
	DIR *d = opendir(from);
	if (!d)
		return error_set("%s: unreadable", from);
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *src = util_fmt("%s/%s", from, e->d_name), *dst = util_fmt("%s/%s", to, e->d_name);
		struct stat es;
		if (lstat(src, &es) < 0) {
			rc = error_set("%s: unreadable", src);
		} else if (S_ISDIR(es.st_mode)) {
			rc = copy_dir(src, dst, &es);
		} else if (S_ISLNK(es.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(src, target, sizeof target - 1);
			if (n < 0 || (target[n] = '\0', symlink(target, dst) < 0))
				rc = error_set("symlink %s: %s", dst, strerror(errno));
		} else if (S_ISREG(es.st_mode)) {
			rc = util_copy_file(src, dst, es.st_mode & 07777);
		}
		free(src);
		free(dst);
	}
	closedir(d);
	return rc;
}

int util_copy_tree(const char *from, const char *to)
{
	if (util_path_exists(to))
		return error_set("%s: already exists", to);
	struct stat st;
	if (lstat(from, &st) < 0)
		return error_set("copying %s: %s", from, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return error_set("copying %s: not a directory", from);
	return copy_dir(from, to, &st);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_mount_path(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static int cmp_len_desc(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
	return (x < y) - (x > y);
}

int util_umount_under(const char *dir)
{
	char real[PATH_MAX];
	if (!realpath(dir, real))
		return 0;
	size_t dl = strlen(real);
	char *text = util_read_file("/proc/self/mountinfo", NULL);
	char **pts = NULL;
	size_t n = 0;
	for (char *l = text ? strtok(text, "\n") : NULL; l; l = strtok(NULL, "\n")) {
		char mp[PATH_MAX];
		/* id parent major:minor root mount-point ... */
		if (sscanf(l, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		unescape_mount_path(mp);
		if (strncmp(mp, real, dl) == 0 && (mp[dl] == '/' || mp[dl] == '\0')) {
			pts = util_xrealloc(pts, (n + 1) * sizeof *pts);
			pts[n++] = util_xstrdup(mp);
		}
	}
	if (n > 1)
		qsort(pts, n, sizeof *pts, cmp_len_desc);
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		if (umount2(pts[i], MNT_DETACH) == 0)
			count++;
		free(pts[i]);
	}
	free(pts);
	free(text);
	return count;
}

size_t util_last_line(const char *text, const char **start)
{
	if (!text)
		text = "";
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	size_t b = n;
	while (b && text[b - 1] != '\n')
		b--;
	*start = text + b;
	return n - b;
}
