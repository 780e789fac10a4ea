/* modsource: gVisor's go branch as the Go module gvisor.dev/gvisor.
 *
 * Every go-branch commit is a module version (a pseudo-version
 * v0.0.0-<UTC commit time>-<12 hex>), so a module proxy is a source of
 * buildable trees with no git access. `go mod download -json` fetches one
 * (into gvab's GOMODCACHE), and its directory is imported into the cache
 * repository as one deterministic commit tagged module/<version>, so patches
 * apply with libgit2 exactly as on git and Debian sources, and a version
 * already imported is never downloaded again.
 *
 * Revisions: a pseudo-version; `go` (the newest version the proxy serves,
 * Go's `latest` query); or a commit id, found among imported versions by its
 * 12-hex prefix, else asked of the proxy. A release tag cannot be resolved
 * without history and fails with a message saying what to pass instead.
 *
 * The module's go.sum entry is checked against the checksum database when it
 * has one; go-branch versions the database does not know (it answers 404 for
 * many of them) are fetched with GONOSUMDB for this module only, and that is
 * recorded (sumdb "unlisted") beside the module's own h1: hash.
 */
#ifndef GVAB_MODSOURCE_H
#define GVAB_MODSOURCE_H

#include <git2.h>

#define MODSOURCE_MODULE "gvisor.dev/gvisor"

struct modsource_info {
	char version[96];     /* pseudo-version */
	char origin_hash[41]; /* go-branch commit the proxy names, or "" */
	char sum[96];         /* h1: hash of the module zip, or "" when cached only */
	char sumdb[16];       /* "verified", "unlisted" or "cached" */
	git_oid commit;       /* the import's commit in the cache repository */
	char how[512];        /* one human sentence */
};

/* Fetches (unless cached) and imports `rev`. `go` runs `go mod download`;
 * `cache_dir` holds gomod/ (GOMODCACHE). offline: never download. */
int modsource_fetch(git_repository *cache, const char *cache_dir, const char *go,
                    const char *rev, int offline, struct modsource_info *out);

/* Go's error for a download, into out (size n) without any URL: a proxy's
 * refusal as "the module proxy refused VERSION (403 not available)". */
void modsource_proxy_refusal(const char *err, const char *version, char *out, size_t n);

/* Go's refusal of a module whose go.mod needs a newer toolchain ("requires
 * go >= 1.26.3 (running go 1.22.12; ...)"): 1 with want "1.26.3" and have
 * "1.22.12", else 0. */
int modsource_go_refusal(const char *err, char *want, size_t nw, char *have, size_t nh);

/* 1 if `s` looks like a module pseudo-version v0.0.0-YYYYMMDDhhmmss-<12 hex>. */
int modsource_is_pseudo(const char *s);

#endif
