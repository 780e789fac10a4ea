/* knobs: see knobs.h. */
#define _GNU_SOURCE
#include "knobs.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

const char *const knobs_names[] = {"rcu_expedited", "thp_enabled", "thp_defrag",
                                   "thp_shmem_enabled", NULL};

static const char *const knob_rel[] = {"kernel/rcu_expedited",
                                       "kernel/mm/transparent_hugepage/enabled",
                                       "kernel/mm/transparent_hugepage/defrag",
                                       "kernel/mm/transparent_hugepage/shmem_enabled"};

static const char *sysfs_root(void)
{
	const char *r = getenv("GVAB_SYSFS_ROOT");
	return (r && *r) ? r : "/sys";
}

static const char *journal_path(void)
{
	const char *j = getenv("GVAB_JOURNAL");
	return (j && *j) ? j : "/run/gvab/knobs-journal.json";
}

/* Full path of a knob; NULL for an unknown name. Caller frees. */
static char *knobs_path(const char *name)
{
	for (size_t i = 0; knobs_names[i]; i++)
		if (strcmp(knobs_names[i], name) == 0)
			return util_fmt("%s/%s", sysfs_root(), knob_rel[i]);
	return NULL;
}

/* "always [madvise] never" -> "madvise"; plain values pass through. */
static void selected_word(char *v)
{
	char *lb = strchr(v, '['), *rb = lb ? strchr(lb, ']') : NULL;
	if (lb && rb) {
		size_t n = (size_t)(rb - lb - 1);
		memmove(v, lb + 1, n);
		v[n] = '\0';
	}
}

int knobs_read(const char *name, char *val, size_t len)
{
	char *p = knobs_path(name);
	if (!p)
		return error_setc(GVAB_EUSAGE, "unknown knob '%s' (known: rcu_expedited, thp_enabled, "
		                               "thp_defrag, thp_shmem_enabled)", name);
	int rc = util_read_line(p, val, len);
	free(p);
	if (rc == 0)
		selected_word(val);
	return rc;
}

cJSON *knobs_snapshot(void)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; knobs_names[i]; i++) {
		char v[128];
		if (knobs_read(knobs_names[i], v, sizeof v) == 0)
			cJSON_AddStringToObject(o, knobs_names[i], v);
		else
			cJSON_AddNullToObject(o, knobs_names[i]);
	}
	return o;
}

void knobs_init(struct knobs *k)
{
	memset(k, 0, sizeof *k);
	k->lock_fd = -1;
	snprintf(k->journal, sizeof k->journal, "%s", journal_path());
}

static int journal_mkdir(const char *journal)
{
	char *dir = util_xstrdup(journal);
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		rc = util_mkdir_p(dir, 0700);
	}
	free(dir);
	return rc;
}

static int journal_replay(struct knobs *k);

int knobs_acquire(struct knobs *k)
{
	if (k->lock_fd >= 0)
		return 0;
	char *lp = util_fmt("%s.lock", k->journal);
	int rc = journal_mkdir(k->journal);
	int fd = -1;
	if (rc < 0)
		goto out;
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = error_set("%s: %s", lp, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char who[64] = "";
		ssize_t n = pread(fd, who, sizeof who - 1, 0);
		who[n > 0 ? n : 0] = '\0';
		who[strcspn(who, " \n")] = '\0';
		rc = error_setc(GVAB_EPRECOND, "another gvab process (pid %s) owns the host knobs (lock %s)",
		                who[0] ? who : "?", lp);
		goto out;
	}
	/* For messages only: who owns it. The lock decides. */
	char me[32];
	int n = snprintf(me, sizeof me, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, me, (size_t)n, 0) != n) {
		rc = error_set("%s: %s", lp, strerror(errno));
		goto out;
	}
	k->lock_fd = fd;
	fd = -1;
	rc = journal_replay(k);
	if (rc < 0)
		knobs_release(k);
out:
	if (fd >= 0)
		close(fd);
	free(lp);
	return rc;
}

void knobs_release(struct knobs *k)
{
	if (k->lock_fd >= 0)
		close(k->lock_fd);
	k->lock_fd = -1;
}

static int journal_write(const struct knobs *k)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "format", "gvab-knobs-journal/1");
	cJSON_AddNumberToObject(doc, "pid", (double)getpid());
	cJSON *arr = cJSON_AddArrayToObject(doc, "knobs");
	for (size_t i = 0; i < k->nchanged; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", k->changed[i].name);
		cJSON_AddStringToObject(e, "path", k->changed[i].path);
		cJSON_AddStringToObject(e, "original", k->changed[i].original);
		cJSON_AddItemToArray(arr, e);
	}
	int rc = journal_mkdir(k->journal);
	if (rc == 0)
		rc = util_json_save(k->journal, doc);
	cJSON_Delete(doc);
	return rc;
}

static int write_knob(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return error_set("%s: %s", path, strerror(errno));
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	int e = errno;
	close(fd);
	if (w != (ssize_t)n)
		return error_set("writing '%s' to %s: %s", value, path, w < 0 ? strerror(e) : "short write");
	return 0;
}

int knobs_set(struct knobs *k, const char *name, const char *value)
{
	if (k->lock_fd < 0)
		return error_set("knob %s: gvab does not own the host knobs (knobs_acquire)", name);
	char cur[128];
	int rc = knobs_read(name, cur, sizeof cur);
	if (rc < 0)
		return rc;
	/* Already so (runs re-assert per-arm knobs before every boot): no
	 * write, and no journal entry for a knob never changed. */
	if (strcmp(cur, value) == 0)
		return 0;
	char *path = knobs_path(name);
	size_t i;
	for (i = 0; i < k->nchanged; i++)
		if (strcmp(k->changed[i].name, name) == 0)
			break;
	if (i == k->nchanged) {
		if (k->nchanged == KNOBS_MAX) {
			free(path);
			return error_set("too many knobs changed");
		}
		struct knob_change *c = &k->changed[k->nchanged++];
		snprintf(c->name, sizeof c->name, "%s", name);
		snprintf(c->path, sizeof c->path, "%s", path);
		snprintf(c->original, sizeof c->original, "%s", cur);
		/* The original is on disk before the knob changes. */
		if ((rc = journal_write(k)) < 0) {
			k->nchanged--;
			free(path);
			return error_wrap(rc, "knob journal %s", k->journal);
		}
	}
	rc = write_knob(path, value);
	free(path);
	if (rc < 0)
		return rc;
	char now[128];
	if (knobs_read(name, now, sizeof now) == 0 && strcmp(now, value) != 0)
		return error_set("knob %s: wrote '%s' but it reads '%s'", name, value, now);
	return 0;
}

int knobs_restore(struct knobs *k)
{
	int rc = 0;
	for (size_t i = k->nchanged; i-- > 0;) {
		if (write_knob(k->changed[i].path, k->changed[i].original) < 0) {
			rc = error_wrap(GVAB_EFAIL, "restoring knob %s (journal kept at %s)",
			                k->changed[i].name, k->journal);
		}
	}
	if (rc == 0) {
		if (k->nchanged)
			unlink(k->journal);
		k->nchanged = 0;
	}
	return rc;
}

/* Restores the journal a dead owner left, if any; the caller owns the
 * knobs. Returns how many knobs were put back. */
static int journal_replay(struct knobs *k)
{
	const char *jp = k->journal;
	if (!util_path_exists(jp))
		return 0;
	cJSON *doc = util_json_load(jp);
	if (!doc)
		return error_wrap(GVAB_EDATA, "knob journal %s (fix or remove it)", jp);
	int rc = 0;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "knobs");
	if (!cJSON_IsArray(arr)) {
		rc = error_setc(GVAB_EDATA, "knob journal %s: missing knobs", jp);
		goto out;
	}
	/* Its pid is not consulted: whoever wrote it no longer holds the
	 * lock, so it is dead, whatever process has that pid now. */
	struct knobs old;
	knobs_init(&old);
	snprintf(old.journal, sizeof old.journal, "%s", jp);
	const cJSON *e;
	cJSON_ArrayForEach(e, arr) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "path");
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "original");
		if (!cJSON_IsString(n) || !cJSON_IsString(p) || !cJSON_IsString(o) ||
		    old.nchanged == KNOBS_MAX) {
			rc = error_setc(GVAB_EDATA, "knob journal %s: malformed entry", jp);
			goto out;
		}
		/* Only paths of known knobs: the journal is root's file, but a
		 * restore must never become a write to an arbitrary path. */
		char *want = knobs_path(n->valuestring);
		int known = want && strcmp(want, p->valuestring) == 0;
		free(want);
		if (!known) {
			rc = error_setc(GVAB_EDATA, "knob journal %s: '%s' is not the path of knob '%s'", jp,
			                p->valuestring, n->valuestring);
			goto out;
		}
		struct knob_change *c = &old.changed[old.nchanged++];
		snprintf(c->name, sizeof c->name, "%s", n->valuestring);
		snprintf(c->path, sizeof c->path, "%s", p->valuestring);
		snprintf(c->original, sizeof c->original, "%s", o->valuestring);
	}
	int n = (int)old.nchanged;
	if ((rc = knobs_restore(&old)) < 0)
		goto out;
	unlink(jp);
	rc = n;
out:
	cJSON_Delete(doc);
	return rc;
}

int knobs_recover_stale(void)
{
	struct knobs k;
	knobs_init(&k);
	int rc = knobs_acquire(&k);
	knobs_release(&k);
	return rc;
}

int knobs_parse_setting(const char *s, char *name, size_t nlen, char *value, size_t vlen)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s || !eq[1])
		return error_setc(GVAB_EUSAGE, "knob setting '%s': expected NAME=VALUE", s);
	size_t n = (size_t)(eq - s);
	if (n >= nlen || strlen(eq + 1) >= vlen)
		return error_setc(GVAB_EUSAGE, "knob setting '%s': too long", s);
	memcpy(name, s, n);
	name[n] = '\0';
	snprintf(value, vlen, "%s", eq + 1);
	char *p = knobs_path(name);
	if (!p)
		return error_setc(GVAB_EUSAGE, "unknown knob '%s' (known: rcu_expedited, thp_enabled, "
		                               "thp_defrag, thp_shmem_enabled)", name);
	free(p);
	return 0;
}
