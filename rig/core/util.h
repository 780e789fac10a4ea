/* util: small file-system, hashing, time and JSON-file helpers shared by
 * every stage.
 *
 * Ownership: functions returning char* or cJSON* hand the caller a heap
 * object to free (free() / cJSON_Delete()). Errors are recorded with
 * error_set() and reported as negative codes (see error.h).
 */
#ifndef GVAB_UTIL_H
#define GVAB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t util_now_ns(void);
/* CLOCK_REALTIME as an RFC 3339 UTC string into buf. */
void util_utc_now(char *buf, size_t len);

/* mkdir -p; 0 or negative. */
int util_mkdir_p(const char *path, unsigned mode);
/* rm -rf without a shell; does not cross mount points and does not follow
 * symlinks. Missing path is success. */
int util_rm_rf(const char *path);
/* Lazily unmounts (MNT_DETACH) every mount point at or below `dir`, deepest
 * first, from /proc/self/mountinfo; returns how many. Newer runsc leaves an
 * nsfs bind mount (null-netns) in its --root directory after delete. */
int util_umount_under(const char *dir);
int util_path_exists(const char *path);
int util_is_dir(const char *path);

/* The one bounded reader of input files. Reads a whole regular file of at
 * most `max` bytes; NUL-terminated; *len_out (may be NULL) excludes the
 * NUL. Anything but a regular file (a FIFO, a device such as /dev/zero, a
 * directory, a socket; symlinks are followed to what they name) and a
 * file larger than `max` are refused with GVAB_EDATA naming the file,
 * without blocking (a FIFO is opened O_NONBLOCK) and without reading past
 * the cap. Returns NULL and records an error on failure. */
char *util_read_file_max(const char *path, size_t max, size_t *len_out);
/* util_read_file_max with UTIL_READ_MAX: every input gvab reads (run.json,
 * samples.jsonl, inventories, patches and series, journals, logs). */
#define UTIL_READ_MAX ((size_t)256 << 20) /* 256 MiB; README "Hostile inputs" */
char *util_read_file(const char *path, size_t *len_out);
/* open(2) with O_NOFOLLOW|O_CLOEXEC added, refusing anything but a regular
 * file: for files in directories that data from other machines reaches
 * (results of inventory hosts). Returns the fd or a negative code. */
int util_open_nofollow(const char *path, int flags, unsigned mode);
/* Copies a file (atomically, see below) and gives it `mode`. */
int util_copy_file(const char *from, const char *to, unsigned mode);
/* Copies the tree at `from` (directories, regular files, symlinks as
 * symlinks; modes kept) into `to`, which must not exist. Devices and other
 * special files are skipped. */
int util_copy_tree(const char *from, const char *to);
/* Writes via a temporary file and rename(2). */
int util_write_file_atomic(const char *path, const char *data, size_t len);
/* Like util_write_file_atomic, with the temporary file created O_EXCL and
 * O_NOFOLLOW: for directories that data from other machines reaches. */
int util_write_file_excl(const char *path, const char *data, size_t len);
/* First line of a small file (a sysfs knob, say), trailing newline removed. */
int util_read_line(const char *path, char *buf, size_t len);

/* sha256 of a file / buffer as 64 lowercase hex chars + NUL into hex[65]. */
int util_sha256_file(const char *path, char hex[65]);
void util_sha256_buf(const void *data, size_t len, char hex[65]);

/* asprintf that aborts on out-of-memory (gvab cannot continue without
 * memory; every caller would do the same). */
char *util_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *util_xmalloc(size_t n);
void *util_xcalloc(size_t n, size_t size);
void *util_xrealloc(void *p, size_t n);
char *util_xstrdup(const char *s);

/* Loads / saves JSON documents; save is atomic and pretty-printed. */
cJSON *util_json_load(const char *path);
int util_json_save(const char *path, const cJSON *doc);

/* Directory for cached data: $GVAB_CACHE_DIR, else $XDG_CACHE_HOME/gvab,
 * else $HOME/.cache/gvab. Caller frees. */
char *util_cache_dir(void);

/* Directory the running gvab executable lives in (from /proc/self/exe). */
char *util_self_dir(void);

/* True when stderr is a terminal and CI is not set: progress lines update
 * in place only then. */
int util_interactive(void);

/* Parses a decimal integer in [min,max]; 0 or GVAB_EUSAGE naming `what`. */
int util_parse_long(const char *s, long min, long max, const char *what, long *out);

/* The last line of a program's output (a log, captured stderr), which
 * usually states why it failed: trailing newlines and spaces are left out.
 * Returns its length and sets *start; "" (length 0) for NULL or empty. */
size_t util_last_line(const char *text, const char **start);

#endif
