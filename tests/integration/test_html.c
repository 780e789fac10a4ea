/* report.html in headless Chromium (Debian's chromium): the page renders
 * (a screenshot is taken), every chart and table is in the rendered DOM,
 * and nothing on the page can make a request: the only URLs in it are SVG
 * namespace names, and a Content-Security-Policy of default-src 'none'
 * refuses any load. A label with markup in it stays text. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

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
	/* Far beyond the noise of a busy machine: B creates 80 ms slower. */
	ck_assert_int_eq(util_write_file_atomic(bf, "80\n", 3), 0);
	char *bundle = util_fmt("%s/bundle", d), *run = util_fmt("%s/run", d), *rep = util_fmt("%s/report", d);
	itest_bundle(bundle, NULL);
	char *aa = util_fmt("base=%s", a), *ba = util_fmt("slowed=%s", b);
	char *rv[] = {(char *)itest_gvab(), "run", "-q", "--out", run, "--bundle", bundle, "--iterations", "12",
	              "--warmups", "1", "--label", "<b>host</b>", "--meta", "sku=x<script>", "--arm", aa,
	              "--arm", ba, NULL};
	ck_assert_int_eq(itest_run(NULL, rv), 0);
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
	ck_assert_ptr_nonnull(strstr(o, "slower"));
	free(o);
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

Suite *suite_html(void)
{
	Suite *s = suite_create("html report (chromium)");
	TCase *tc = tcase_create("page");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_report_page);
	suite_add_tcase(s, tc);
	return s;
}
