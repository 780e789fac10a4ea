/* gotool: see gotool.h. */
#define _GNU_SOURCE
#include "gotool.h"
#include "patch.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void gotool_gomod_parse(const char *text, struct gomod_info *out)
{
	memset(out, 0, sizeof *out);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char v[40];
		if (strncmp(l, "require", 7) == 0)
			break;
		if (sscanf(l, "go %31[0-9.]", v) == 1 && !out->go[0])
			snprintf(out->go, sizeof out->go, "%s", v);
		else if (sscanf(l, "toolchain %39[0-9a-z.+-]", v) == 1 && !out->toolchain[0])
			snprintf(out->toolchain, sizeof out->toolchain, "%s", v);
	}
}

void gotool_required(const struct gomod_info *m, char *buf, unsigned len)
{
	if (m->toolchain[0]) {
		snprintf(buf, len, "%s", m->toolchain);
		return;
	}
	int maj = 0, min = 0, patch = -1;
	int n = sscanf(m->go, "%d.%d.%d", &maj, &min, &patch);
	if (n == 2 && (maj > 1 || min >= 21))
		snprintf(buf, len, "go%d.%d.0", maj, min);
	else
		snprintf(buf, len, "go%s", m->go);
}

void gotool_major_minor(const char *version, char *buf, unsigned len)
{
	int maj, min;
	const char *v = strncmp(version, "go", 2) == 0 ? version + 2 : version;
	if (sscanf(v, "%d.%d", &maj, &min) == 2)
		snprintf(buf, len, "%d.%d", maj, min);
	else if (len)
		buf[0] = '\0';
}

int gotool_version(const char *go, char *const *envp, char **out)
{
	char *argv[] = {(char *)go, "env", "GOVERSION", NULL};
	char *text = NULL;
	int st;
	*out = NULL;
	if (proc_run_capture(argv, envp, "/", &text, &st) < 0) {
		free(text);
		return error_wrap(GVAB_EPRECOND, "%s", go);
	}
	/* The answer is the last line; toolchain switching may print before it. */
	const char *lp;
	size_t n = util_last_line(text, &lp);
	char *last = text ? text + (lp - text) : NULL;
	if (last)
		last[n] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !last || strncmp(last, "go", 2) != 0 ||
	    strchr(last, ' ')) {
		int rc = error_setc(GVAB_EPRECOND, "%s env GOVERSION failed (%s): %.300s", go,
		                    proc_status_str(st), last ? last : "");
		free(text);
		return rc;
	}
	*out = util_xstrdup(last);
	free(text);
	return 0;
}

int gotool_check(const struct gomod_info *m, const char *reported, const char *what)
{
	char want[16], have[16];
	if (!m->go[0])
		return 0;
	gotool_major_minor(m->go, want, sizeof want);
	gotool_major_minor(reported, have, sizeof have);
	const char *rv = strncmp(reported, "go", 2) == 0 ? reported + 2 : reported;
	if (strcmp(want, have) != 0 || patch_version_cmp(rv, m->go) < 0)
		return error_setc(GVAB_EPRECOND,
		                  "go.mod asks for go %s (a go%s.x toolchain), but %s is %s", m->go, want,
		                  what, reported);
	return 0;
}

char **gotool_env(char *const *set)
{
	size_t n = 0, ns = 0;
	while (environ[n])
		n++;
	while (set[ns])
		ns++;
	char **env = util_xcalloc(n + ns + 1, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int drop = 0;
		for (size_t j = 0; j < ns && !drop; j++) {
			size_t len = strcspn(set[j], "=");
			drop = strncmp(environ[i], set[j], len) == 0 && environ[i][len] == '=';
		}
		if (!drop)
			env[k++] = util_xstrdup(environ[i]);
	}
	for (size_t j = 0; j < ns; j++) {
		const char *eq = strchr(set[j], '=');
		if (eq && eq[1])
			env[k++] = util_xstrdup(set[j]);
	}
	env[k] = NULL;
	return env;
}

void gotool_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

char *gotool_default_go(void)
{
	if (access("/usr/local/go/bin/go", X_OK) == 0)
		return util_xstrdup("/usr/local/go/bin/go");
	const char *path = getenv("PATH");
	if (!path)
		return NULL;
	char *copy = util_xstrdup(path), *res = NULL;
	for (char *save = NULL, *d = strtok_r(copy, ":", &save); d && !res; d = strtok_r(NULL, ":", &save)) {
		char *p = util_fmt("%s/go", d);
		if (access(p, X_OK) == 0)
			res = p;
		else
			free(p);
	}
	free(copy);
	/* Debian's Go 1.22 (hosts/install-deps.sh) can fetch any newer
	 * toolchain through GOTOOLCHAIN too. */
	if (!res && access("/usr/lib/go-1.22/bin/go", X_OK) == 0)
		res = util_xstrdup("/usr/lib/go-1.22/bin/go");
	return res;
}
