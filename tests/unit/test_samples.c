/* samples: write/read round trip, torn last line, invalid lines named. */
#define _GNU_SOURCE
#include "error.h"
#include "samples.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define OKL(seq, round, extra)                                                                   \
	"{\"seq\":" #seq ",\"arm\":\"a\",\"round\":" #round ",\"warmup\":false,\"ok\":true,"       \
	"\"create_ns\":1,\"start_ns\":1,\"wait_ns\":1,\"delete_ns\":1,\"core_ns\":2,"               \
	"\"overall_ns\":4" extra "}"

/* Hostile samples.jsonl files: each is invalid data naming file:line and
 * the field, never a crash, a huge allocation, UB or a silent drop. */
static const struct {
	const char *text;
	size_t len; /* 0: strlen */
	const char *want;
} hostile[] = {
	{OKL(0, 2147483647, "") "\n", 0, ":1: field round"},
	{OKL(0, 1e8, "") "\n", 0, ":1: field round"},
	{OKL(0, 0, "") "\n" OKL(1, 2, "") "\n", 0, ":2: field round"}, /* beyond the line count */
	{OKL(0, -1, "") "\n", 0, ":1: field round"},
	{OKL(0, 0.5, "") "\n", 0, ":1: field round"},
	{OKL(1e300, 0, "") "\n", 0, ":1: field seq"},
	{"{\"seq\":0,\"arm\":\"a\",\"round\":0,\"warmup\":false,\"ok\":true,\"create_ns\":1e400,"
	 "\"start_ns\":1,\"wait_ns\":1,\"delete_ns\":1,\"core_ns\":2,\"overall_ns\":4}\n", 0,
	 ":1: field create_ns"},
	{"{\"seq\":0,\"arm\":\"a\",\"round\":0,\"warmup\":false,\"ok\":true,\"create_ns\":1e19,"
	 "\"start_ns\":1,\"wait_ns\":1,\"delete_ns\":1,\"core_ns\":2,\"overall_ns\":4}\n", 0,
	 ":1: field create_ns"},
	{OKL(0, 0, ",\"t_ns\":-1e300") "\n", 0, ":1: field t_ns"},
	{OKL(0, 0, ",\"exit_status\":1e12") "\n", 0, ":1: field exit_status"},
	{OKL(0, 0, ",\"inittrace\":{\"processes\":1,\"packages_ms\":{}}") "\n", 0,
	 ":1: field inittrace.total_ms"},
	{OKL(0, 0, ",\"inittrace\":{\"total_ms\":1,\"processes\":1,\"packages_ms\":{\"x\":\"y\"}}") "\n",
	 0, ":1: field inittrace.packages_ms.x"},
	{OKL(0, 0, ",\"internal\":{\"markers\":[1]}") "\n", 0, ":1: field internal.markers"},
	{OKL(0, 0, ",\"syscalls\":{\"membarrier\":-5}") "\n", 0, ":1: field syscalls.membarrier"},
	{OKL(0, 0, ",\"kind\":\"warp\"") "\n", 0, ":1: field kind"},
	{"{\"seq\":0,\"arm\":\"a\\nb\",\"round\":0,\"warmup\":false,\"ok\":false}\n", 0, ":1: field arm"},
	{"{\"seq\":0,\"arm\":\"a\",\"round\":0,\"warmup\":1,\"ok\":false}\n", 0, ":1: field warmup"},
	{"[1,2]\n", 0, ":1: not a JSON object"},
	/* A NUL byte must not hide the lines after it. */
	{OKL(0, 0, "") "\n\0garbage\n" OKL(1, 1, "") "\n", sizeof(OKL(0, 0, "")) + 10, ":2: NUL byte"},
	/* A complete invalid last line (no newline, but not a cut-off JSON
	 * prefix) is invalid data, not a torn write. */
	{OKL(0, 0, "") "\n" OKL(1, 0, "") "x", 0, ":2: not valid JSON"},
	{OKL(0, 0, "") "\ngarbage", 0, ":2: not valid JSON"},
	{OKL(0, 0, "") "\n{\"seq\":1}}", 0, ":2: not valid JSON"},
	/* Not UTF-8 (results.json would not be JSON), a NUL cJSON would cut
	 * the string at, a key twice (readers disagree which one counts). */
	{"{\"seq\":0,\"arm\":\"a\xff\",\"round\":0,\"warmup\":false,\"ok\":false}\n", 0,
	 ":1: invalid UTF-8"},
	{"{\"seq\":0,\"arm\":\"a\xc0\xaf\",\"round\":0,\"warmup\":false,\"ok\":false}\n", 0,
	 ":1: invalid UTF-8"},
	{OKL(0, 0, "") "\n{\"seq\":1,\"arm\":\"a\\u0000b\",\"round\":0,\"warmup\":false,\"ok\":false}\n",
	 0, ":2: a string holds \\u0000"},
	{OKL(0, 0, ",\"seq\":7") "\n", 0, ":1: field seq: key given twice"},
	{OKL(0, 0, ",\"inittrace\":{\"total_ms\":1,\"total_ms\":2,\"processes\":1,\"packages_ms\":{}}")
	 "\n", 0, ":1: field total_ms: key given twice"},
	{"{\"seq\":0,\"arm\":\"a\xc2\x85\",\"round\":0,\"warmup\":false,\"ok\":false}\n", 0,
	 ":1: field arm"},
	/* A torn line before the last one. */
	{"{\"seq\":0,\"arm\":\"a\",\"ro\n" OKL(1, 0, "") "\n", 0, ":1: not valid JSON"},
};

START_TEST(test_hostile_samples)
{
	char *d = test_tmpdir("samples");
	char *p = util_fmt("%s/samples.jsonl", d);
	/* Thousands of arms (looked up by name for every line): refused. */
	size_t cap = 1 << 20, mlen = 0;
	char *many = util_xmalloc(cap);
	for (int i = 0; i < 5000; i++)
		mlen += (size_t)snprintf(many + mlen, cap - mlen, "{\"seq\":%d,\"arm\":\"a%d\",\"round\":0,"
		                        "\"warmup\":false,\"ok\":false}\n", i, i);
	ck_assert_int_eq(util_write_file_atomic(p, many, mlen), 0);
	struct samples_file mf;
	ck_assert_int_eq(samples_load(p, NULL, 0, &mf), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), ":65: field arm: more than 64 arms"));
	free(many);
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		size_t len = hostile[i].len ? hostile[i].len : strlen(hostile[i].text);
		ck_assert_int_eq(util_write_file_atomic(p, hostile[i].text, len), 0);
		struct samples_file f;
		int rc = samples_load(p, NULL, 0, &f);
		ck_assert_msg(rc == GVAB_EDATA, "case %zu: rc %d", i, rc);
		ck_assert_msg(strstr(error_last(), hostile[i].want) && strstr(error_last(), p),
		              "case %zu: '%s' lacks '%s'", i, error_last(), hostile[i].want);
		ck_assert_ptr_null(strchr(error_last(), '\n'));
	}
	/* With run.json's arms given, a line of another arm is refused. */
	const char *other = OKL(0, 0, "") "\n{\"seq\":1,\"arm\":\"c\",\"round\":0,\"warmup\":false,"
	                    "\"ok\":false}\n";
	ck_assert_int_eq(util_write_file_atomic(p, other, strlen(other)), 0);
	char *order[] = {"a", "b"};
	struct samples_file of;
	ck_assert_int_eq(samples_load(p, order, 2, &of), GVAB_EDATA);
	ck_assert_msg(strstr(error_last(), ":2: field arm: 'c' is not an arm of run.json"), "%s",
	              error_last());
	ck_assert_int_eq(samples_load(p, NULL, 0, &of), 0);
	samples_free(&of);
	util_rm_rf(d);
	free(d);
	free(p);
}
END_TEST

/* Every input goes through one bounded reader: a FIFO (which would block
 * open or read forever), a device (endless), a directory and a file over
 * the cap are refused by type or size, as invalid data naming the file. */
START_TEST(test_bounded_reader)
{
	char *d = test_tmpdir("samples");
	char *fifo = util_fmt("%s/samples.jsonl", d);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	struct samples_file f;
	ck_assert_int_eq(samples_load(fifo, NULL, 0, &f), GVAB_EDATA);
	ck_assert_msg(strstr(error_last(), fifo) && strstr(error_last(), "a FIFO, not a regular file"),
	              "%s", error_last());
	char *rj = util_fmt("%s/run.json", d);
	ck_assert_int_eq(symlink("/dev/zero", rj), 0);
	ck_assert_ptr_null(samples_run_load(rj));
	ck_assert_msg(strstr(error_last(), rj) && strstr(error_last(), "a character device"), "%s",
	              error_last());
	ck_assert_ptr_null(util_read_file("/dev/urandom", NULL));
	ck_assert_ptr_null(util_read_file(d, NULL));
	ck_assert_msg(strstr(error_last(), "a directory, not a regular file"), "%s", error_last());
	char *big = util_fmt("%s/big", d);
	ck_assert_int_eq(util_write_file_atomic(big, "0123456789", 10), 0);
	size_t len;
	char *t = util_read_file_max(big, 10, &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(len, 10);
	free(t);
	ck_assert_ptr_null(util_read_file_max(big, 9, NULL));
	ck_assert_msg(strstr(error_last(), big) && strstr(error_last(), "larger than"), "%s",
	              error_last());
	/* procfs files say size 0; they are still read whole. */
	t = util_read_file("/proc/self/status", &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_gt(len, 0);
	free(t);
	util_rm_rf(d);
	free(d);
	free(fifo);
	free(rj);
	free(big);
}
END_TEST

/* Torn last lines: cut anywhere inside a valid line, the line is ignored with
 * a warning, and samples_open cuts it off before appending so the file stays
 * readable; a whole last line without its newline is kept and completed. */
START_TEST(test_torn_tail)
{
	char *d = test_tmpdir("samples");
	char *p = util_fmt("%s/samples.jsonl", d);
	const char *good = OKL(0, 0, ",\"id\":\"x\\\"y\",\"inittrace\":{\"total_ms\":1.5,\"processes\":1,"
	                             "\"packages_ms\":{\"a/b\":1.5}},\"debug\":null,\"f\":false") "\n";
	const char *last = OKL(1, 0, ",\"id\":\"x\\\"y\",\"inittrace\":{\"total_ms\":1.5,\"processes\":1,"
	                             "\"packages_ms\":{\"a/b\":1.5}},\"debug\":null,\"f\":false,\"t_ns\":-0.0");
	size_t gl = strlen(good), ll = strlen(last);
	char *buf = util_xmalloc(gl + ll + 1);
	memcpy(buf, good, gl);
	memcpy(buf + gl, last, ll);
	for (size_t cut = 1; cut < ll; cut++) {
		ck_assert_int_eq(util_write_file_atomic(p, buf, gl + cut), 0);
		struct samples_file f;
		ck_assert_msg(samples_load_ex(p, NULL, 0, SAMPLES_QUIET_TORN, &f) == 0, "cut %zu: %s", cut,
		              error_last());
		ck_assert_uint_eq(f.n, 1);
		ck_assert_int_eq(f.torn_line, 2);
		ck_assert_uint_eq(f.valid_len, gl);
		samples_free(&f);
	}
	/* --append after a torn write: the torn part goes, the new line is readable. */
	ck_assert_int_eq(util_write_file_atomic(p, buf, gl + ll / 2), 0);
	struct samples_writer w;
	ck_assert_int_eq(samples_open(&w, p), 0);
	struct boot_result ok = {.ok = 1, .create_ns = 1, .start_ns = 1, .wait_ns = 1, .delete_ns = 1};
	ck_assert_int_eq(samples_append(&w, 1, "a", 1, 0, "id1", 2, &ok, NULL), 0);
	samples_close(&w);
	struct samples_file f;
	ck_assert_msg(samples_load(p, NULL, 0, &f) == 0, "%s", error_last());
	ck_assert_uint_eq(f.n, 2);
	ck_assert_int_eq(f.torn_line, 0);
	ck_assert_ptr_nonnull(f.s[0].instr);
	samples_free(&f);
	/* A whole last line without its newline is kept. */
	ck_assert_int_eq(util_write_file_atomic(p, buf, gl + ll), 0);
	ck_assert_int_eq(samples_open(&w, p), 0);
	ck_assert_int_eq(samples_append(&w, 2, "a", 1, 0, "id2", 2, &ok, NULL), 0);
	samples_close(&w);
	ck_assert_msg(samples_load(p, NULL, 0, &f) == 0, "%s", error_last());
	ck_assert_uint_eq(f.n, 3);
	samples_free(&f);
	/* Never through a symlink. */
	char *l = util_fmt("%s/link.jsonl", d);
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_lt(samples_open(&w, l), 0);
	free(l);
	free(buf);
	util_rm_rf(d);
	free(d);
	free(p);
}
END_TEST

/* run.json: what crashed or fooled the readers is invalid data naming the
 * file and the field. */
START_TEST(test_hostile_run_json)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{"{\"arms\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"host\":{\"hostname\":\"h\"}}",
		 "field host.online_cpus: missing"},
		{"{\"arms\":[{\"name\":\"a\"}],\"host\":{\"online_cpus\":1e300}}", "field host.online_cpus"},
		{"{\"arms\":[{\"name\":\"a\"}],\"command\":[\"gvab\",1]}", "field command[1]"},
		{"{\"arms\":[{\"name\":\"a\"},{\"name\":7}]}", "field arms[1].name"},
		{"{\"arms\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "field arms[1].name"},
		{"{\"arms\":[]}", "field arms"},
		{"{\"arms\":[{\"name\":\"a\"}],\"drift\":[{}]}", "field drift[0].fact"},
		{"{\"arms\":[{\"name\":\"a\"}],\"iterations\":-1}", "field iterations"},
		{"{\"format\":\"gvab-run/2\",\"arms\":[{\"name\":\"a\"}]}",
		 "field format: 'gvab-run/2': this gvab reads gvab-run/1"},
		{"{\"format\":1,\"arms\":[{\"name\":\"a\"}]}", "field format"},
		{"{\"arms\":[{\"name\":\"a\"}],\n\"status\":}", ":2: not valid JSON"},
		{"{\"arms\":[{\"name\":\"a\"}]}\n\n\n\0{", ":4: NUL byte"},
		{"{\"arms\":[{\"name\":\"a\"},\n{\"name\":\"b\xe9\"}]}", ":2: invalid UTF-8"},
		{"{\"arms\":[{\"name\":\"a\"}],\"host_label\":\"h\\u0000x\"}", ":1: a string holds"},
		{"{\"arms\":[{\"name\":\"a\",\"name\":\"b\"}]}", "field name: key given twice"},
		{"{\"arms\":[{\"name\":\"a\"}],\"status\":\"complete\",\"status\":\"failed\"}",
		 "field status: key given twice"},
	};
	char *d = test_tmpdir("samples");
	char *p = util_fmt("%s/run.json", d);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = strlen(cases[i].text);
		if (strstr(cases[i].want, "NUL"))
			len += 2;
		ck_assert_int_eq(util_write_file_atomic(p, cases[i].text, len), 0);
		cJSON *r = samples_run_load(p);
		ck_assert_msg(!r, "case %zu accepted", i);
		ck_assert_msg(strstr(error_last(), cases[i].want) && strstr(error_last(), p),
		              "case %zu: '%s' lacks '%s'", i, error_last(), cases[i].want);
	}
	const char *ok = "{\"arms\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"host\":{\"online_cpus\":2},"
	                 "\"command\":[\"gvab\",\"run\"]}";
	ck_assert_int_eq(util_write_file_atomic(p, ok, strlen(ok)), 0);
	cJSON *r = samples_run_load(p);
	ck_assert_ptr_nonnull(r);
	cJSON_Delete(r);
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
	tcase_add_test(tc, test_hostile_samples);
	tcase_add_test(tc, test_torn_tail);
	tcase_add_test(tc, test_hostile_run_json);
	tcase_add_test(tc, test_bounded_reader);
	suite_add_tcase(s, tc);
	return s;
}
