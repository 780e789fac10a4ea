/* ssh: running commands and copying files on inventory hosts through the
 * user's own OpenSSH (their ssh config, agent and known_hosts).
 *
 * - Connection reuse: ControlMaster=auto with a ControlPath in a private
 *   directory and ControlPersist, so a campaign opens one TCP connection per
 *   host. BatchMode=yes: never a password prompt; host key checking is left
 *   as the user configured it. A target's ssh_config (gvab hosts
 *   --ssh-config FILE) is passed as -F.
 * - Remote commands: ssh hands the remote side one string for its shell, so
 *   every argument is single-quoted (' becomes '\'') before joining: values
 *   from inventories and options never reach a shell unquoted. Locally
 *   nothing goes through a shell (posix_spawn with argv arrays).
 * - Options: built in one place; every ssh (commands, copies, `-O exit`)
 *   has BatchMode and ConnectTimeout and ends its options with "--" before
 *   the destination.
 * - Pushes: `tar -c | ssh HOST tar -x`, two spawned processes joined by a
 *   pipe, which keeps symlinks (the busybox rootfs) as they are.
 * - Pulls trust the host with nothing but bytes: each expected file comes
 *   back through `ssh HOST cat -- FILE` into a temporary file created
 *   O_EXCL|O_NOFOLLOW in the local directory (opened O_NOFOLLOW) and renamed
 *   into place, at most 256 MiB. No tar stream, so no symlinks, devices or
 *   other paths. Log files are refused when they are symlinks.
 * - ansible_connection=local hosts run the same commands without ssh.
 */
#ifndef GVAB_SSH_H
#define GVAB_SSH_H

struct ssh_target {
	const char *name;        /* for messages */
	const char *address;
	const char *user;        /* NULL: ssh's default */
	int port;                /* 0: ssh's default */
	const char *key_file;    /* NULL: ssh's default */
	int local;               /* run here, without ssh */
	const char *control_dir; /* ControlPath directory */
	const char *ssh_config;  /* ssh -F FILE, or NULL: the user's own */
};

/* Runs argv on the target; output appended to `log` (NULL: inherit), or
 * captured into *out when out != NULL. Returns 0 when it ran, with the
 * remote exit code in *code (ssh's own failure is 255). */
int ssh_run(const struct ssh_target *t, char *const *argv, const char *log, char **out, int *code);

/* Copies `entries` (relative to local_dir) into remote_dir (created). */
int ssh_push(const struct ssh_target *t, const char *local_dir, char *const *entries,
             const char *remote_dir, const char *log);

/* Copies the regular files `entries` (plain names) of remote_dir into
 * local_dir (created) as regular files, see above. Every entry is tried;
 * the first error is returned. */
int ssh_pull(const struct ssh_target *t, const char *remote_dir, char *const *entries,
             const char *local_dir, const char *log);

/* Closes the shared connection, if any (ssh -O exit). */
void ssh_close(const struct ssh_target *t);

#endif
