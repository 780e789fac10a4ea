/* proc: see proc.h. */
#define _GNU_SOURCE
#include "proc.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int proc_spawn(const struct proc_opts *o, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t empty, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&empty);
	sigfillset(&all);
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	posix_spawnattr_setsigmask(&attr, &empty);
	posix_spawnattr_setsigdefault(&attr, &all);
	if (o->own_pgroup) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, 0);
	}
	posix_spawnattr_setflags(&attr, flags);
	if (o->stdin_null)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (o->in_fd > 0)
		posix_spawn_file_actions_adddup2(&fa, o->in_fd, 0);
	if (o->out_fd > 0)
		posix_spawn_file_actions_adddup2(&fa, o->out_fd, 1);
	if (o->stdout_path)
		posix_spawn_file_actions_addopen(&fa, 1, o->stdout_path,
		                                 O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (o->stderr_path) {
		if (o->stdout_path && strcmp(o->stdout_path, o->stderr_path) == 0)
			posix_spawn_file_actions_adddup2(&fa, 1, 2);
		else
			posix_spawn_file_actions_addopen(&fa, 2, o->stderr_path,
			                                 O_WRONLY | O_CREAT | O_APPEND, 0644);
	}
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);

	rc = posix_spawnp(pid, o->argv[0], &fa, &attr, o->argv, o->envp ? o->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return error_setc(rc == ENOENT ? GVAB_EPRECOND : GVAB_EFAIL, "cannot run %s: %s",
		                  o->argv[0], strerror(rc));
	return 0;
}

int proc_wait(pid_t pid, int *status, volatile int *stop)
{
	for (;;) {
		pid_t r = waitpid(pid, status, 0);
		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR) {
			if (stop && *stop)
				return error_setc(GVAB_EINTR, "interrupted while waiting for pid %d",
				                  (int)pid);
			continue;
		}
		return error_set("waitpid %d: %s", (int)pid, strerror(errno));
	}
}

int proc_run_capture(char *const *argv, char *const *envp, const char *cwd, char **out,
                     int *status)
{
	char tmpl[] = "/tmp/gvab-capture-XXXXXX";
	int fd = mkstemp(tmpl);
	*out = NULL;
	if (fd < 0)
		return error_set("mkstemp: %s", strerror(errno));
	close(fd);
	struct proc_opts o = {.argv = argv, .envp = envp, .cwd = cwd, .stdout_path = tmpl,
	                      .stderr_path = tmpl, .stdin_null = 1};
	pid_t pid;
	int rc = proc_spawn(&o, &pid);
	if (rc == 0)
		rc = proc_wait(pid, status, NULL);
	if (rc == 0) {
		size_t len;
		*out = util_read_file(tmpl, &len);
		if (*out && len > (1u << 20))
			(*out)[1u << 20] = '\0';
		if (!*out)
			rc = GVAB_EFAIL;
	}
	unlink(tmpl);
	return rc;
}

const char *proc_status_str(int status)
{
	static char buf[64];
	if (WIFEXITED(status))
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof buf, "signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sizeof buf, "status 0x%x", status);
	return buf;
}

int proc_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

size_t proc_list_children(pid_t *out, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		long p;
		while (n < max && fscanf(f, "%ld", &p) == 1)
			out[n++] = (pid_t)p;
		fclose(f);
	}
	closedir(d);
	return n;
}

int proc_signal_children(int sig)
{
	pid_t kids[256];
	size_t n = proc_list_children(kids, 256);
	for (size_t i = 0; i < n; i++)
		kill(kids[i], sig);
	return (int)n;
}

int proc_reap_nohang(void)
{
	int n = 0, st;
	while (waitpid(-1, &st, WNOHANG) > 0)
		n++;
	return n;
}
