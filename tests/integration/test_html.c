/* report.html in headless Chromium (Debian's chromium): the page renders
 * (a screenshot is taken), every chart and table is in the rendered DOM,
 * and nothing on the page can make a request: the only URLs in it are SVG
 * namespace names, and a Content-Security-Policy of default-src 'none'
 * refuses any load. A label with markup in it stays text. The page's
 * answer is gvab compare's, word for word, whatever the load made of the
 * run. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

START_TEST(test_report_page)
{
	if (access("/usr/bin/chromium", X_OK) != 0) {
		ck_abort_msg("chromium missing (hosts/install-deps.sh installs it)");
	}
	setenv("FAKE_CREATE_MS", "10", 1);
	char *d = itest_tmpdir("html"), *o = NULL;
	char *a = util_fmt("%s/a-runsc", d), *b = util_fmt("%s/b-runsc", d), *bf = util_fmt("%s.create_ms", b);
	ck_assert_int_eq(util_copy_file(itest_fake(), a, 0755), 0);
	ck_assert_int_eq(util_copy_file(itest_fake(), b, 0755), 0);
	/* B creates 80 ms slower. */
	ck_assert_int_eq(util_write_file_atomic(bf, "80\n", 3), 0);
	char *bundle = util_fmt("%s/bundle", d), *run = util_fmt("%s/run", d), *rep = util_fmt("%s/report", d);
	itest_bundle(bundle, NULL);
	char *aa = util_fmt("base=%s", a), *ba = util_fmt("slowed=%s", b);
	char *rv[] = {(char *)itest_gvab(), "run", "-q", "--out", run, "--bundle", bundle,
	              "--iterations", "30", "--warmups", "1", "--label", "<b>host</b>", "--meta",
	              "sku=x<script>", "--arm", aa, "--arm", ba, NULL};
	ck_assert_int_eq(itest_run(NULL, rv), 0);
	/* compare's verdict on the run ("slower", or "undecided" when the
	 * host's load left too little; the page must say the same). */
	char *cv0[] = {(char *)itest_gvab(), "compare", run, NULL};
	ck_assert_int_eq(itest_run(&o, cv0), 0);
	const char *at = strstr(o, "slowed: core ");
	ck_assert_msg(at && strstr(at, "], "), "%s", o);
	at = strstr(at, "], ") + 3;
	/* The page puts it in words: "slower", "faster", "the same within the
	 * threshold", "undecided: the interval is too wide to say". */
	char *verdict = !strncmp(at, "undecided", 9) ? util_fmt("<b>undecided:")
	                : !strncmp(at, "same", 4)    ? util_fmt("<b>the same within")
	                                             : util_fmt("<b>%.*s</b> (paired",
	                                                        (int)strcspn(at, " ,("), at);
	free(o);
	char *pv[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", rep, run, NULL};
	ck_assert_int_eq(itest_run(&o, pv), 0);
	free(o);
	char *page = util_fmt("%s/report.html", rep);
	char *html = util_read_file(page, NULL);
	ck_assert_ptr_nonnull(html);
	ck_assert_ptr_nonnull(strstr(html, "default-src 'none'"));
	ck_assert_int_eq(count(html, "://"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_null(strstr(html, "<b>host</b>"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;b&gt;host&lt;/b&gt;"));
	char *url = util_fmt("file://%s", page), *shot = util_fmt("--screenshot=%s/page.png", d);
	char *ud = util_fmt("--user-data-dir=%s/chromium", d);
	char *cv[] = {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	              "--no-first-run", "--disable-background-networking", "--disable-component-update",
	              "--disable-sync", ud, "--window-size=900,2000", shot, url, NULL};
	ck_assert_int_eq(itest_run(&o, cv), 0);
	free(o);
	char *png = util_fmt("%s/page.png", d);
	size_t len = 0;
	char *img = util_read_file(png, &len);
	ck_assert_msg(img && len > 10000 && memcmp(img, "\x89PNG", 4) == 0, "screenshot %s: %zu bytes", png, len);
	free(img);
	char *dv[] = {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	              "--no-first-run", "--disable-background-networking", "--disable-component-update",
	              "--disable-sync", ud, "--dump-dom", url, NULL};
	ck_assert_int_eq(itest_run(&o, dv), 0);
	ck_assert_int_ge(count(o, "<svg"), 2);        /* forest plot, per-host chart */
	ck_assert_int_ge(count(o, "<table"), 4);      /* per host, every phase, facts, provenance */
	ck_assert_ptr_nonnull(strstr(o, "class=\"answer\""));
	ck_assert_msg(strstr(o, verdict), "the page lacks compare's answer %s", verdict);
	free(o);
	free(verdict);
	unsetenv("FAKE_CREATE_MS");
	util_rm_rf(d);
	free(png);
	free(url);
	free(shot);
	free(ud);
	free(page);
	free(html);
	free(aa);
	free(ba);
	free(bundle);
	free(run);
	free(rep);
	free(a);
	free(b);
	free(bf);
	free(d);
}
END_TEST

/* Tags in a page: '<' followed by what starts an element, an end tag or a
 * declaration. An escaped string adds none. */
static int count_tags(const char *html)
{
	int n = 0;
	for (const char *p = html; (p = strchr(p, '<')); p++)
		if (p[1] == '/' || p[1] == '!' || p[1] == '?' || ((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'z'))
			n++;
	return n;
}

/* Every string member of j (deep), except the keys in `keep`, gets markup
 * around it (mark), or text of the same length (the clean twin). */
static void poison(cJSON *j, const char *const *keep, int mark)
{
	cJSON *e;
	cJSON_ArrayForEach(e, j) {
		int kept = 0;
		for (size_t k = 0; keep[k]; k++)
			kept |= e->string && strcmp(e->string, keep[k]) == 0;
		if (cJSON_IsString(e) && !kept) {
			/* The clean twin gets text of the same length, so labels
			 * wrap alike in both pages and only markup could differ. */
			char *v = mark ? util_fmt("<i>%s<svg onload=x>\"'&amp;</i>", e->valuestring)
			               : util_fmt("(i)%s(svg onload=x)\"'&amp;(/i)", e->valuestring);
			cJSON_SetValuestring(e, v);
			free(v);
		} else if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
			poison(e, keep, mark);
		}
	}
}

/* Writes DIR/run.json and DIR/samples.jsonl from SRC's, every string
 * field marked up (mark) or not, each arm given a provenance. */
static void twin_run(const char *src, const char *dir, int mark)
{
	ck_assert_int_eq(util_mkdir_p(dir, 0755), 0);
	char *rp = util_fmt("%s/run.json", src), *wp = util_fmt("%s/run.json", dir);
	cJSON *run = util_json_load(rp), *a;
	ck_assert_ptr_nonnull(run);
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(run, "arms")) {
		cJSON *p = cJSON_Parse("{\"source\":{\"description\":\"module v1\"},\"resolved_commit\":"
		                       "\"0123456789abcdef\",\"series\":[{\"name\":\"s\",\"patches\":"
		                       "[{\"status\":\"applied\"}]}],\"go\":{\"version\":\"go1.23\"}}");
		cJSON_DeleteItemFromObject(a, "provenance");
		cJSON_AddItemToObject(a, "provenance", p);
		cJSON_ReplaceItemInObject(a, "sha256", cJSON_CreateString("0123456789abcdef0123"));
	}
	static const char *const run_keep[] = {"format", "status", "order", "started_at", "ended_at",
	                                       NULL};
	poison(run, run_keep, mark);
	ck_assert_int_eq(util_json_save(wp, run), 0);
	cJSON_Delete(run);
	char *sp = util_fmt("%s/samples.jsonl", src), *ws = util_fmt("%s/samples.jsonl", dir);
	char *text = util_read_file(sp, NULL), *line, *save = NULL;
	ck_assert_ptr_nonnull(text);
	FILE *f = fopen(ws, "w");
	static const char *const sample_keep[] = {"kind", NULL};
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line);
		poison(o, sample_keep, mark);
		char *t = cJSON_PrintUnformatted(o);
		fprintf(f, "%s\n", t);
		free(t);
		cJSON_Delete(o);
	}
	fclose(f);
	free(text);
	free(rp);
	free(wp);
	free(sp);
	free(ws);
}

/* A hostile run directory: markup in every string field of run.json and
 * samples.jsonl (arm names, host facts, label, command, provenance, sha256,
 * errors, ids). The page has exactly as many tags as the same run's page
 * without the markup: the report made every element on it. */
START_TEST(test_report_escapes_every_field)
{
	char *d = itest_tmpdir("html-hostile"), *o = NULL;
	char *a = util_fmt("%s/a-runsc", d), *bundle = util_fmt("%s/bundle", d);
	char *run = util_fmt("%s/run", d);
	ck_assert_int_eq(util_copy_file(itest_fake(), a, 0755), 0);
	itest_bundle(bundle, NULL);
	char *aa = util_fmt("base=%s", a), *ba = util_fmt("other=%s", a);
	/* Every 5th start fails, so errors reach the page too. */
	char *rv[] = {(char *)itest_gvab(), "run", "-q", "--out", run, "--bundle", bundle,
	              "--iterations", "12", "--warmups", "1", "--label", "host", "--meta", "sku=x",
	              "--arm", aa, "--arm", ba, NULL};
	char *counter = util_fmt("%s/count", d);
	setenv("FAKE_RUNSC_FAIL", "start", 1);
	setenv("FAKE_RUNSC_FAIL_EVERY", "5", 1);
	setenv("FAKE_RUNSC_COUNTER", counter, 1);
	ck_assert_int_eq(itest_run(&o, rv), 0);
	free(o);
	unsetenv("FAKE_RUNSC_FAIL");
	unsetenv("FAKE_RUNSC_FAIL_EVERY");
	unsetenv("FAKE_RUNSC_COUNTER");
	free(counter);
	char *sp = util_fmt("%s/samples.jsonl", run);
	ck_assert_int_gt(itest_count_lines(sp, "\"ok\":false"), 0);
	free(sp);
	int tags[2];
	for (int mark = 0; mark < 2; mark++) {
		char *twin = util_fmt("%s/twin%d", d, mark), *rep = util_fmt("%s/report%d", d, mark);
		twin_run(run, twin, mark);
		char *pv[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", rep, twin, NULL};
		int rc = itest_run(&o, pv);
		ck_assert_msg(rc == 0, "report of twin %d: exit %d: %s", mark, rc, o);
		free(o);
		char *page = util_fmt("%s/report.html", rep);
		char *html = util_read_file(page, NULL);
		ck_assert_ptr_nonnull(html);
		tags[mark] = count_tags(html);
		if (mark) {
			ck_assert_ptr_null(strstr(html, "<i>"));
			ck_assert_ptr_null(strstr(html, "<svg onload"));
			ck_assert_ptr_nonnull(strstr(html, "&lt;i&gt;0123456789")); /* resolved_commit */
		}
		free(html);
		free(page);
		free(twin);
		free(rep);
	}
	ck_assert_int_gt(tags[0], 50);
	ck_assert_int_eq(tags[1], tags[0]);
	util_rm_rf(d);
	free(aa);
	free(ba);
	free(a);
	free(bundle);
	free(run);
	free(d);
}
END_TEST

Suite *suite_html(void)
{
	Suite *s = suite_create("html report (chromium)");
	TCase *tc = tcase_create("page");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_report_page);
	tcase_add_test(tc, test_report_escapes_every_field);
	suite_add_tcase(s, tc);
	return s;
}
