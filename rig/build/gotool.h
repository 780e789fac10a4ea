/* gotool: what gvab needs to know about Go toolchains and go.mod.
 *
 * A gVisor tree generally builds only with the Go release its go.mod names
 * (gVisor reaches into the runtime's internals): `go 1.22.0` means a go1.22.x
 * toolchain, not the newest Go. This module reads go.mod's `go` and
 * `toolchain` lines, names the toolchain a tree asks for, asks a go binary
 * which version it is (under a given environment, so GOTOOLCHAIN switching
 * is seen), and builds the environment go commands run with: the caller's
 * environment minus every variable gvab sets itself, plus those.
 *
 * Ownership: strings and environment arrays returned are the caller's
 * (free / gotool_env_free). Errors are recorded with error_set().
 */
#ifndef GVAB_GOTOOL_H
#define GVAB_GOTOOL_H

struct gomod_info {
	char go[40];        /* "1.26.3" from the `go` line; "" if none */
	char toolchain[40]; /* "go1.26.3" from the `toolchain` line; "" if none */
};

/* Parses go.mod text (the lines before the first require block). */
void gotool_gomod_parse(const char *text, struct gomod_info *out);

/* The toolchain name a tree asks for: its toolchain line, else "go" + its go
 * line ("1.22" with minor >= 21 becomes "go1.22.0"). Into buf. */
void gotool_required(const struct gomod_info *m, char *buf, unsigned len);

/* "go1.26.3" -> "1.26" (major.minor) into buf; "" when malformed. */
void gotool_major_minor(const char *version, char *buf, unsigned len);

/* Runs `go version` with envp and returns the version word ("go1.26.3")
 * in *out. GVAB_EPRECOND with Go's own last line when it fails (for example
 * a toolchain that could not be downloaded). */
int gotool_version(const char *go, char *const *envp, char **out);

/* Checks a toolchain version against what go.mod asks for: same major.minor
 * as go.mod's go line, and not older than it. 0 or GVAB_EPRECOND with one
 * line naming both versions and `what` (the go binary or GOTOOLCHAIN). */
int gotool_check(const struct gomod_info *m, const char *reported, const char *what);

/* The caller's environment without any variable named in `set` (entries
 * "NAME=VALUE"; NAME= alone removes NAME), followed by the `set` entries
 * that have a value. `set` is NULL-terminated. */
char **gotool_env(char *const *set);
void gotool_env_free(char **env);

/* The go binary module-mode builds start from: /usr/local/go/bin/go, else
 * `go` found in PATH, else Debian's /usr/lib/go-1.22/bin/go (any Go from 1.21
 * on fetches the toolchain go.mod names), else NULL. Caller frees. */
char *gotool_default_go(void);

#endif
