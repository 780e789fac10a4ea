/* bundle: see bundle.h. */
#define _GNU_SOURCE
#include "bundle.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sha256.h>

static const char *const applets[] = {"true", "false", "sh", "sleep", "echo", "cat", "ls", NULL};

static int make_busybox_rootfs(const char *rootfs, const char *busybox)
{
	static const char *const dirs[] = {"bin", "dev", "proc", "sys", "tmp", "etc", NULL};
	for (size_t i = 0; dirs[i]; i++) {
		char *d = util_fmt("%s/%s", rootfs, dirs[i]);
		int rc = util_mkdir_p(d, 0755);
		free(d);
		if (rc < 0)
			return rc;
	}
	char *bb = util_fmt("%s/bin/busybox", rootfs);
	int rc = util_copy_file(busybox, bb, 0755);
	free(bb);
	if (rc < 0)
		return error_wrap(GVAB_EPRECOND, "busybox (install busybox-static)");
	for (size_t i = 0; applets[i]; i++) {
		char *l = util_fmt("%s/bin/%s", rootfs, applets[i]);
		unlink(l);
		rc = symlink("busybox", l);
		free(l);
		if (rc < 0)
			return error_set("symlink in %s/bin: %s", rootfs, strerror(errno));
	}
	char *passwd = util_fmt("%s/etc/passwd", rootfs);
	const char *pw = "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n";
	rc = util_write_file_atomic(passwd, pw, strlen(pw));
	free(passwd);
	return rc;
}

/* Sorted recursive walk feeding path, mode and content into the hash. */
static int digest_dir(SHA2_CTX *ctx, const char *root, const char *rel)
{
	char *dir = *rel ? util_fmt("%s/%s", root, rel) : util_xstrdup(root);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	int rc = 0;
	if (n < 0) {
		rc = error_set("%s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (rc == 0 && strcmp(nm, ".") && strcmp(nm, "..")) {
			char *r = *rel ? util_fmt("%s/%s", rel, nm) : util_xstrdup(nm);
			char *full = util_fmt("%s/%s", root, r);
			struct stat st;
			if (lstat(full, &st) < 0) {
				rc = error_set("%s: %s", full, strerror(errno));
			} else {
				char hdr[PATH_MAX + 64];
				int hl = snprintf(hdr, sizeof hdr, "%s\n%o\n", r, (unsigned)st.st_mode);
				SHA256Update(ctx, (const uint8_t *)hdr, (size_t)hl);
				if (S_ISDIR(st.st_mode)) {
					rc = digest_dir(ctx, root, r);
				} else if (S_ISLNK(st.st_mode)) {
					char t[PATH_MAX];
					ssize_t tl = readlink(full, t, sizeof t);
					if (tl > 0)
						SHA256Update(ctx, (const uint8_t *)t, (size_t)tl);
				} else if (S_ISREG(st.st_mode)) {
					char hex[65];
					if ((rc = util_sha256_file(full, hex)) == 0)
						SHA256Update(ctx, (const uint8_t *)hex, 64);
				}
			}
			free(r);
			free(full);
		}
		free(names[i]);
	}
	free(names);
	free(dir);
	return rc;
}

int bundle_tree_digest(const char *dir, char hex[65])
{
	SHA2_CTX ctx;
	SHA256Init(&ctx);
	int rc = digest_dir(&ctx, dir, "");
	if (rc < 0)
		return rc;
	uint8_t d[SHA256_DIGEST_LENGTH];
	SHA256Final(d, &ctx);
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		hex[2 * i] = hx[d[i] >> 4];
		hex[2 * i + 1] = hx[d[i] & 15];
	}
	hex[64] = '\0';
	return 0;
}

static cJSON *str_array(const char *const *v)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; v && v[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static cJSON *mount(const char *dest, const char *type, const char *src,
                    const char *const *options)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "destination", dest);
	cJSON_AddStringToObject(m, "type", type);
	cJSON_AddStringToObject(m, "source", src);
	cJSON_AddItemToObject(m, "options", str_array(options));
	return m;
}

static cJSON *make_config(const char *root_path, char *const *args, long memory_mib,
                          double cpus, long uid, long gid)
{
	static const char *const env[] = {"PATH=/bin", "HOME=/tmp", NULL};
	static const char *const nosuid[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const devopts[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const tmpopts[] = {"nosuid", "nodev", "mode=1777", "size=65536k", NULL};
	static const char *const sysopts[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const masked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list",
	                                     "/sys/firmware", NULL};
	static const char *const ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	                                 "/proc/sysrq-trigger", NULL};
	static const char *const ns[] = {"pid", "ipc", "uts", "mount", "network", NULL};
	static const char *const none[] = {NULL};

	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "ociVersion", "1.0.2");
	cJSON *p = cJSON_AddObjectToObject(c, "process");
	cJSON_AddBoolToObject(p, "terminal", 0);
	cJSON *u = cJSON_AddObjectToObject(p, "user");
	cJSON_AddNumberToObject(u, "uid", (double)uid);
	cJSON_AddNumberToObject(u, "gid", (double)gid);
	cJSON *a = cJSON_AddArrayToObject(p, "args");
	for (size_t i = 0; args[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(args[i]));
	cJSON_AddItemToObject(p, "env", str_array(env));
	cJSON_AddStringToObject(p, "cwd", "/");
	/* Every capability set empty: all capabilities dropped. */
	cJSON *caps = cJSON_AddObjectToObject(p, "capabilities");
	static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
	                                   "ambient", NULL};
	for (size_t i = 0; sets[i]; i++)
		cJSON_AddItemToObject(caps, sets[i], str_array(none));
	cJSON *rl = cJSON_AddArrayToObject(p, "rlimits");
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "type", "RLIMIT_NOFILE");
	cJSON_AddNumberToObject(r, "hard", 1024);
	cJSON_AddNumberToObject(r, "soft", 1024);
	cJSON_AddItemToArray(rl, r);
	cJSON_AddBoolToObject(p, "noNewPrivileges", 1);

	cJSON *root = cJSON_AddObjectToObject(c, "root");
	cJSON_AddStringToObject(root, "path", root_path);
	cJSON_AddBoolToObject(root, "readonly", 1);
	cJSON_AddStringToObject(c, "hostname", "gvab");

	cJSON *mounts = cJSON_AddArrayToObject(c, "mounts");
	cJSON_AddItemToArray(mounts, mount("/proc", "proc", "proc", none));
	cJSON_AddItemToArray(mounts, mount("/dev", "tmpfs", "tmpfs", devopts));
	cJSON_AddItemToArray(mounts, mount("/sys", "sysfs", "sysfs", sysopts));
	cJSON_AddItemToArray(mounts, mount("/tmp", "tmpfs", "tmpfs", tmpopts));
	(void)nosuid;

	cJSON *lx = cJSON_AddObjectToObject(c, "linux");
	cJSON *res = cJSON_AddObjectToObject(lx, "resources");
	cJSON *mem = cJSON_AddObjectToObject(res, "memory");
	cJSON_AddNumberToObject(mem, "limit", (double)memory_mib * 1024 * 1024);
	cJSON *cpu = cJSON_AddObjectToObject(res, "cpu");
	cJSON_AddNumberToObject(cpu, "period", 100000);
	cJSON_AddNumberToObject(cpu, "quota", (double)(long)(cpus * 100000));
	cJSON *nsa = cJSON_AddArrayToObject(lx, "namespaces");
	for (size_t i = 0; ns[i]; i++) {
		cJSON *n = cJSON_CreateObject();
		cJSON_AddStringToObject(n, "type", ns[i]);
		cJSON_AddItemToArray(nsa, n);
	}
	cJSON_AddItemToObject(lx, "maskedPaths", str_array(masked));
	cJSON_AddItemToObject(lx, "readonlyPaths", str_array(ro));
	return c;
}

int bundle_write_config(const char *dir, const char *bundle_dir, char *const *args)
{
	cJSON *meta = bundle_load_meta(bundle_dir);
	if (!meta)
		return GVAB_EDATA;
	char real[PATH_MAX];
	char *rootfs = util_fmt("%s/rootfs", bundle_dir);
	int rc = GVAB_EFAIL;
	cJSON *cfg = NULL;
	char *path = NULL;
	if (!realpath(rootfs, real)) {
		rc = error_set("%s: %s", rootfs, strerror(errno));
		goto out;
	}
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(meta, "limits");
	const cJSON *m = lim ? cJSON_GetObjectItemCaseSensitive(lim, "memory_mib") : NULL;
	const cJSON *c = lim ? cJSON_GetObjectItemCaseSensitive(lim, "cpus") : NULL;
	const cJSON *uidj = cJSON_GetObjectItemCaseSensitive(meta, "uid");
	const cJSON *gidj = cJSON_GetObjectItemCaseSensitive(meta, "gid");
	cfg = make_config(real, args, cJSON_IsNumber(m) ? (long)m->valuedouble : 512,
	                  cJSON_IsNumber(c) ? c->valuedouble : 1.0,
	                  cJSON_IsNumber(uidj) ? (long)uidj->valuedouble : 65534,
	                  cJSON_IsNumber(gidj) ? (long)gidj->valuedouble : 65534);
	if ((rc = util_mkdir_p(dir, 0755)) < 0)
		goto out;
	path = util_fmt("%s/config.json", dir);
	rc = util_json_save(path, cfg);
out:
	cJSON_Delete(meta);
	cJSON_Delete(cfg);
	free(rootfs);
	free(path);
	return rc;
}

cJSON *bundle_load_meta(const char *bundle_dir)
{
	char *p = util_fmt("%s/bundle.json", bundle_dir);
	cJSON *m = util_json_load(p);
	if (!m)
		error_wrap(GVAB_EDATA, "bundle %s (make one with gvab bundle)", bundle_dir);
	free(p);
	return m;
}

/* /bin/gvab-workload and the statwalk tree /walk/dNNN/fNNN (100 files per
 * directory, a few bytes each: the walk measures stat(), not reads). */
static int add_workload(const char *rootfs, const char *workload, long walk_files)
{
	char *dst = util_fmt("%s/bin/gvab-workload", rootfs);
	int rc = util_copy_file(workload, dst, 0755);
	free(dst);
	if (rc < 0)
		return error_wrap(GVAB_EPRECOND, "workload binary");
	for (long i = 0; i < walk_files && rc == 0; i++) {
		char *d = util_fmt("%s/walk/d%03ld", rootfs, i / 100);
		if (i % 100 == 0)
			rc = util_mkdir_p(d, 0755);
		char *f = util_fmt("%s/f%03ld", d, i % 100);
		if (rc == 0)
			rc = util_write_file_atomic(f, "gvab\n", 5);
		free(f);
		free(d);
	}
	return rc;
}

int bundle_write(const struct bundle_opts *o)
{
	static char *const def_args[] = {"/bin/true", NULL};
	char *const *args = o->args && o->args[0] ? o->args : def_args;
	long mem = o->memory_mib > 0 ? o->memory_mib : 512;
	double cpus = o->cpus > 0 ? o->cpus : 1.0;
	int rc;
	char *rootfs = util_fmt("%s/rootfs", o->out_dir);
	char *cfgp = util_fmt("%s/config.json", o->out_dir);
	char *metap = util_fmt("%s/bundle.json", o->out_dir);
	cJSON *cfg = NULL, *meta = NULL;
	char rootfs_hex[65], cfg_hex[65];

	if ((rc = util_mkdir_p(o->out_dir, 0755)) < 0)
		goto out;
	if ((rc = util_rm_rf(rootfs)) < 0)
		goto out;
	if (o->rootfs_src) {
		/* A user rootfs is used in place (a symlink): it may be large. */
		char real[PATH_MAX];
		if (!realpath(o->rootfs_src, real) || !util_is_dir(real)) {
			rc = error_setc(GVAB_EUSAGE, "rootfs %s: not a directory", o->rootfs_src);
			goto out;
		}
		if (symlink(real, rootfs) < 0) {
			rc = error_set("symlink %s: %s", rootfs, strerror(errno));
			goto out;
		}
	} else if ((rc = make_busybox_rootfs(rootfs, o->busybox ? o->busybox : "/bin/busybox")) < 0) {
		goto out;
	}
	if (o->workload && !o->rootfs_src && (rc = add_workload(rootfs, o->workload, o->walk_files)) < 0)
		goto out;
	cfg = make_config("rootfs", args, mem, cpus, o->uid ? o->uid : 65534,
	                  o->gid ? o->gid : 65534);
	if ((rc = util_json_save(cfgp, cfg)) < 0)
		goto out;
	char rootreal[PATH_MAX];
	if (!realpath(rootfs, rootreal)) {
		rc = error_set("%s: %s", rootfs, strerror(errno));
		goto out;
	}
	if ((rc = bundle_tree_digest(rootreal, rootfs_hex)) < 0 ||
	    (rc = util_sha256_file(cfgp, cfg_hex)) < 0)
		goto out;
	meta = cJSON_CreateObject();
	cJSON_AddStringToObject(meta, "format", "gvab-bundle/1");
	cJSON_AddStringToObject(meta, "rootfs_source", o->rootfs_src ? o->rootfs_src : "busybox-static");
	cJSON_AddStringToObject(meta, "rootfs_digest", rootfs_hex);
	cJSON_AddStringToObject(meta, "config_sha256", cfg_hex);
	cJSON *a = cJSON_AddArrayToObject(meta, "args");
	for (size_t i = 0; args[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(args[i]));
	cJSON *lim = cJSON_AddObjectToObject(meta, "limits");
	cJSON_AddNumberToObject(lim, "memory_mib", (double)mem);
	cJSON_AddNumberToObject(lim, "cpus", cpus);
	cJSON_AddNumberToObject(meta, "uid", (double)(o->uid ? o->uid : 65534));
	cJSON_AddNumberToObject(meta, "gid", (double)(o->gid ? o->gid : 65534));
	if (o->workload && !o->rootfs_src) {
		char wsha[65];
		if ((rc = util_sha256_file(o->workload, wsha)) < 0)
			goto out;
		cJSON *w = cJSON_AddObjectToObject(meta, "workload");
		cJSON_AddStringToObject(w, "binary", "/bin/gvab-workload");
		cJSON_AddStringToObject(w, "binary_sha256", wsha);
		cJSON_AddStringToObject(w, "walk_root", "/walk");
		cJSON_AddNumberToObject(w, "walk_files", (double)o->walk_files);
		cJSON_AddNumberToObject(w, "walk_dirs", (double)((o->walk_files + 99) / 100));
	}
	rc = util_json_save(metap, meta);
out:
	cJSON_Delete(cfg);
	cJSON_Delete(meta);
	free(rootfs);
	free(cfgp);
	free(metap);
	return rc;
}
