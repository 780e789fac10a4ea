/* bundle: hardened config fields and a digest that pins the rootfs. */
#define _GNU_SOURCE
#include "bundle.h"
#include "tests.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_bundle)
{
	char *d = test_tmpdir("bundle");
	char *out = util_fmt("%s/b", d);
	struct bundle_opts o = {.out_dir = out};
	ck_assert_int_eq(bundle_write(&o), 0);
	char *cp = util_fmt("%s/config.json", out);
	cJSON *cfg = util_json_load(cp);
	ck_assert_ptr_nonnull(cfg);
	cJSON *proc = cJSON_GetObjectItem(cfg, "process");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(proc, "noNewPrivileges")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(proc, "capabilities"), "bounding")), 0);
	ck_assert_int_eq((int)cJSON_GetObjectItem(cJSON_GetObjectItem(proc, "user"), "uid")->valuedouble, 65534);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "root"), "readonly")));
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(proc, "args"), 0)->valuestring, "/bin/true");
	cJSON *mem = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "linux"), "resources"), "memory");
	ck_assert_double_eq(cJSON_GetObjectItem(mem, "limit")->valuedouble, 512.0 * 1024 * 1024);
	cJSON_Delete(cfg);
	cJSON *meta = bundle_load_meta(out);
	ck_assert_ptr_nonnull(meta);
	char d1[65];
	snprintf(d1, sizeof d1, "%s", cJSON_GetObjectItem(meta, "rootfs_digest")->valuestring);
	cJSON_Delete(meta);
	/* The digest changes when the rootfs does. */
	char *extra = util_fmt("%s/rootfs/etc/extra", out);
	ck_assert_int_eq(util_write_file_atomic(extra, "x", 1), 0);
	char *rootfs = util_fmt("%s/rootfs", out);
	char d2[65];
	ck_assert_int_eq(bundle_tree_digest(rootfs, d2), 0);
	ck_assert_str_ne(d1, d2);
	/* A derived config for another argv shares the rootfs. */
	char *der = util_fmt("%s/false", d);
	char *args[] = {"/bin/false", NULL};
	ck_assert_int_eq(bundle_write_config(der, out, args), 0);
	char *dp = util_fmt("%s/config.json", der);
	cJSON *dc = util_json_load(dp);
	ck_assert_ptr_nonnull(dc);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(dc, "process"), "args"), 0)->valuestring,
	                 "/bin/false");
	/* The derived bundle's root is the original's rootfs, by absolute
	 * path (the derived directory has no rootfs of its own). */
	char real[PATH_MAX];
	ck_assert_ptr_nonnull(realpath(rootfs, real));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(dc, "root"), "path")->valuestring, real);
	cJSON_Delete(dc);
	free(dp);
	free(der);
	free(rootfs);
	free(extra);
	free(cp);
	util_rm_rf(d);
	free(out);
	free(d);
}
END_TEST

Suite *suite_bundle(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("write");
	tcase_add_test(tc, test_bundle);
	suite_add_tcase(s, tc);
	return s;
}
