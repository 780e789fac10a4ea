/* samples: write/read round trip, torn last line, invalid lines named. */
#define _GNU_SOURCE
#include "error.h"
#include "samples.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_roundtrip)
{
	char *d = test_tmpdir("samples");
	char *p = util_fmt("%s/samples.jsonl", d);
	struct samples_writer w;
	ck_assert_int_eq(samples_open(&w, p), 0);
	struct boot_result ok = {.ok = 1, .create_ns = 100000000, .start_ns = 50000000,
	                         .wait_ns = 20000000, .delete_ns = 30000000, .exit_status = 0};
	struct boot_result bad = {.ok = 0, .exit_status = -1};
	strcpy(bad.failed_phase, "start");
	strcpy(bad.error, "start: runsc exit 1: boom");
	ck_assert_int_eq(samples_append(&w, 0, "b", 0, 1, "id0", 1, &ok, NULL), 0);
	ck_assert_int_eq(samples_append(&w, 1, "a", 0, 0, "id1", 2, &ok, NULL), 0);
	ck_assert_int_eq(samples_append(&w, 2, "b", 0, 0, "id2", 3, &bad, NULL), 0);
	samples_close(&w);
	char *order[] = {"a", "b"};
	struct samples_file f;
	ck_assert_int_eq(samples_load(p, order, 2, &f), 0);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_str_eq(f.arms[0], "a");
	ck_assert_int_eq(f.s[1].arm, 0);
	ck_assert_int_eq(f.s[0].warmup, 1);
	ck_assert_int_eq(f.s[2].ok, 0);
	ck_assert_int_eq(f.s[1].ns[PH_CORE], 150000000);
	ck_assert_int_eq(f.s[1].ns[PH_OVERALL], 200000000);
	samples_free(&f);
	/* A torn last line (killed mid-write) is dropped, the rest kept. */
	FILE *fp = fopen(p, "a");
	fputs("{\"seq\":3,\"arm\":\"a\",\"ro", fp);
	fclose(fp);
	ck_assert_int_eq(samples_load(p, NULL, 0, &f), 0);
	ck_assert_uint_eq(f.n, 3);
	samples_free(&f);
	/* Garbage in the middle is invalid data with file:line. */
	const char *badtxt = "{\"seq\":0,\"arm\":\"a\",\"round\":0,\"warmup\":false,\"ok\":false}\nnot json\n{}\n";
	ck_assert_int_eq(util_write_file_atomic(p, badtxt, strlen(badtxt)), 0);
	ck_assert_int_eq(samples_load(p, NULL, 0, &f), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "samples.jsonl:2"));
	const char *miss = "{\"seq\":0,\"arm\":\"a\",\"round\":0,\"warmup\":false,\"ok\":true}\n";
	ck_assert_int_eq(util_write_file_atomic(p, miss, strlen(miss)), 0);
	ck_assert_int_eq(samples_load(p, NULL, 0, &f), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "create_ns"));
	util_rm_rf(d);
	free(d);
	free(p);
}
END_TEST

Suite *suite_samples(void)
{
	Suite *s = suite_create("samples");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
