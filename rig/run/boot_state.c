/* boot_state: the per-run state directory (locked for as long as its run
 * lives) and the recovery after runs that were killed: every process,
 * cgroup and directory a dead run's boots left. See boot.h. */
#define _GNU_SOURCE
#include "boot.h"
#include "boot_int.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *boot_state_base(void)
{
	const char *b = getenv("GVAB_STATE_DIR");
	return (b && *b) ? b : "/run/gvab";
}

int boot_state_open(struct boot_state *s)
{
	s->dir = NULL;
	s->fd = -1;
	const char *base = boot_state_base();
	int rc = util_mkdir_p(base, 0700);
	char *tmp = util_fmt("%s/.new-XXXXXX", base);
	if (rc < 0)
		goto out;
	if (!mkdtemp(tmp)) {
		rc = error_set("%s: %s", tmp, strerror(errno));
		goto out;
	}
	s->fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0 || flock(s->fd, LOCK_EX | LOCK_NB) < 0) {
		rc = error_set("locking %s: %s", tmp, strerror(errno));
		rmdir(tmp);
		goto out;
	}
	s->dir = util_fmt("%s/state-%ld", base, (long)getpid());
	/* rename fails if a directory of that name with anything in it is
	 * there: callers run boot_recover_stale first, which removes a dead
	 * run's, so that means a bug, not a race to paper over. */
	if (rename(tmp, s->dir) < 0) {
		rc = error_set("renaming %s to %s: %s", tmp, s->dir, strerror(errno));
		rmdir(tmp);
		goto out;
	}
out:
	if (rc < 0) {
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		free(s->dir);
		s->dir = NULL;
	}
	free(tmp);
	return rc;
}

void boot_state_close(struct boot_state *s)
{
	if (s->dir) {
		util_umount_under(s->dir);
		util_rm_rf(s->dir);
	}
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	s->dir = NULL;
	s->fd = -1;
}

/* SIGKILLs every process of one boot: those `pids_path` records with their
 * start time, and those whose argv has the word `root_flag`
 * ("--root=<state>/<id>": runsc create, caught mid-way before any state
 * file exists, and the sandbox and gofer it spawned). One empty scan is
 * not enough: the gofer and the sandbox exec themselves again while
 * starting, a process between two execs can be missed, and a create killed
 * between two forks has made its last child only once it is dead (seen:
 * a sandbox and gofer outliving a SIGTERM'd run). So it scans until five
 * scans 20 ms apart find nothing, for at most 5 s. */
void boot_kill_by_root(const char *root_flag, const char *pids_path)
{
	int quiet = 0;
	for (int i = 0; i < 250 && quiet < 5; i++) {
		int n = (pids_path ? proc_kill_recorded(pids_path) : 0) +
		        proc_signal_by_arg(root_flag, SIGKILL);
		quiet = n ? 0 : quiet + 1;
		proc_reap_nohang();
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
}

/* Kills every process of container `id` a dead run left (see boot_kill_by_root). */
static void kill_container(const char *dir, const char *id)
{
	char *pids = util_fmt("%s/%s.pids", dir, id);
	char *arg = util_fmt("--root=%s/%s", dir, id);
	boot_kill_by_root(arg, pids);
	free(pids);
	free(arg);
}

int boot_state_note_reserve(const struct boot_state *s, const char *reserve_path)
{
	char real[PATH_MAX];
	if (!s->dir || !realpath(reserve_path, real))
		return 0; /* nothing to note: restore then has nothing to remove */
	char *p = util_fmt("%s/.reserve", s->dir);
	int rc = util_write_file_atomic(p, real, strlen(real));
	free(p);
	return rc;
}

/* The reserve file a dead run noted in its state directory: removed when it
 * still is what gvab made (a regular file named .gvab-reserve, at most
 * 1 MiB), whatever the note says otherwise. */
static void remove_reserve(const char *dir)
{
	char *note = util_fmt("%s/.reserve", dir);
	char *path = util_path_exists(note) ? util_read_file_max(note, PATH_MAX, NULL) : NULL;
	const char *base = path ? strrchr(path, '/') : NULL;
	struct stat st;
	if (path && path[0] == '/' && base && strcmp(base, "/.gvab-reserve") == 0 &&
	    lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= (1 << 20))
		unlink(path);
	free(path);
	free(note);
}

int boot_recover_stale(void)
{
	const char *base = boot_state_base();
	DIR *d = opendir(base);
	int cleaned = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, ".new-", 5) == 0) {
			/* A run killed between mkdtemp and rename in boot_state_open
			 * left it empty. Its lock is free for a moment even in a live
			 * run, so only old ones go. */
			char *nd = util_fmt("%s/%s", base, de->d_name);
			struct stat st;
			if (lstat(nd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_mtime < time(NULL) - 60)
				rmdir(nd);
			free(nd);
			continue;
		}
		if (strncmp(de->d_name, "state-", 6) != 0)
			continue;
		char *dir = util_fmt("%s/%s", base, de->d_name);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		/* Held by a live run (whatever its pid): not ours to touch. The
		 * lock is kept while cleaning so no other gvab cleans it too. */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (fd >= 0)
				close(fd);
			free(dir);
			continue;
		}
		DIR *cd = fdopendir(dup(fd));
		struct dirent *ce;
		while (cd && (ce = readdir(cd))) {
			if (ce->d_name[0] == '.' || ce->d_type != DT_DIR)
				continue;
			kill_container(dir, ce->d_name);
			boot_remove_cgroups(ce->d_name, 5000);
			cleaned++;
		}
		if (cd)
			closedir(cd);
		remove_reserve(dir);
		util_umount_under(dir);
		util_rm_rf(dir);
		close(fd);
		free(dir);
	}
	closedir(d);
	return cleaned;
}
