/* The per-host figures as a reader sees them, on fixtures this test writes
 * (synthetic samples in the test's own directory, never under results/):
 * one host, and eight hosts named as hosts/example-eight-hosts.ini names
 * them (gvab_label, gvab_sku).
 * - Chart data: the whiskers of core_by_host are the interval results.json
 *   (and report.html's table) gives, the dots of shift_by_host the shift
 *   and verdict interval of results.json, from the same numbers; labels
 *   reach gnuplot as written (single-quoted, noenhanced), never slugged.
 * - In a browser (headless Chromium; a counted failure when it is absent):
 *   report.html at 1280 and 390 px, and the gnuplot SVG twins of the PNGs,
 *   measured in the page by a test-only copy that carries a measuring
 *   script (the report itself has none and refuses scripts): no two text
 *   boxes of an SVG overlap, no text leaves its SVG, the page is not wider
 *   than the window (wide tables scroll in their wrapper), and the
 *   screenshot is not blank. GVAB_SHOTS_DIR, when set, keeps the
 *   screenshots there to look at. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HOSTS 16
#define LONG_LABEL "spare <b>bare-metal</b> box in rack 7 & rcu_expedited=0 (THP never, 2 x 48 cores)"

struct host_fixture {
	char label[128], sku[64];
};

/* gvab_label and gvab_sku of every host line of the example inventory
 * (at most 7 are kept). */
static size_t eight_hosts(struct host_fixture *h)
{
	char *ini = util_read_file("hosts/example-eight-hosts.ini", NULL);
	ck_assert_ptr_nonnull(ini);
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(ini, "\n", &save); line && n < 7; line = strtok_r(NULL, "\n", &save)) {
		const char *keys[2] = {"gvab_label=", "gvab_sku="};
		char *dst[2] = {h[n].label, h[n].sku};
		if (line[0] == '#' || !strstr(line, keys[0]))
			continue;
		for (int k = 0; k < 2; k++) {
			const char *p = strstr(line, keys[k]);
			dst[k][0] = '\0';
			if (!p)
				continue;
			p += strlen(keys[k]);
			size_t len = *p == '"' ? strcspn(p + 1, "\"") : strcspn(p, " \t");
			snprintf(dst[k], 64, "%.*s", (int)len, *p == '"' ? p + 1 : p);
		}
		n++;
	}
	free(ini);
	return n;
}

/* A run directory of host `h`: arms stock and patched, n rounds, CORE
 * about base_ms, patched a factor of it, deterministic noise. */
static char *write_host(const char *dir, size_t i, const struct host_fixture *h, int n, double base_ms,
                        double factor)
{
	char *rd = util_fmt("%s/host%zu", dir, i);
	util_mkdir_p(rd, 0755);
	cJSON *run = cJSON_Parse("{\"format\":\"gvab-run/1\",\"status\":\"complete\",\"host\":{\"hostname\":"
	                         "\"fixture\",\"kernel\":\"Linux test\",\"online_cpus\":2,\"knobs\":"
	                         "{\"rcu_expedited\":\"0\"}},\"arms\":[{\"name\":\"stock\"},{\"name\":\"patched\"}],"
	                         "\"drift\":[],\"command\":[\"gvab\",\"run\"],\"iterations\":1,\"warmups\":0}");
	cJSON_AddStringToObject(run, "host_label", h->label);
	if (h->sku[0])
		cJSON_AddStringToObject(cJSON_AddObjectToObject(run, "host_meta"), "sku", h->sku);
	char *rj = util_fmt("%s/run.json", rd), *text = cJSON_Print(run);
	util_write_file_atomic(rj, text, strlen(text));
	char *sp = util_fmt("%s/samples.jsonl", rd);
	FILE *f = fopen(sp, "w");
	unsigned long long s = 777 + i;
	for (int r = 0, seq = 0; r < n; r++)
		for (int a = 0; a < 2; a++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			double core = (base_ms + (double)((s >> 33) % 1000) / 1000.0 * base_ms * 0.2) * (a ? factor : 1);
			long long cr = (long long)(core * 0.7e6), st = (long long)(core * 1e6) - cr;
			fprintf(f, "{\"seq\":%d,\"arm\":\"%s\",\"round\":%d,\"warmup\":false,\"ok\":true,"
			           "\"create_ns\":%lld,\"start_ns\":%lld,\"wait_ns\":20000000,\"delete_ns\":30000000,"
			           "\"core_ns\":%lld,\"overall_ns\":%lld,\"exit_status\":0}\n",
			        seq++, a ? "patched" : "stock", r, cr, st, cr + st, cr + st + 50000000);
		}
	fclose(f);
	cJSON_Delete(run);
	free(text);
	free(rj);
	free(sp);
	return rd;
}

/* Writes the fixture's hosts and `gvab report`s them into DIR/report. */
static char *fixture_report(const char *dir, size_t nhosts, int boots, int charts)
{
	struct host_fixture h[MAX_HOSTS];
	size_t n = eight_hosts(h);
	ck_assert_int_ge(n, 7);
	/* The inventory names seven hosts of the study; the eighth is one
	 * with a long label that must wrap and markup that must stay text. */
	snprintf(h[7].label, sizeof h[7].label, "%s", LONG_LABEL);
	snprintf(h[7].sku, sizeof h[7].sku, "c4a-standard-4c7g.xlarge");
	if (nhosts == 1)
		snprintf(h[0].label, sizeof h[0].label, "this VM (rcu_expedited=0, 'quoted' `id`)");
	char *argv[32] = {(char *)itest_gvab(), "report", "--sort", "core", "--out", NULL};
	char *out = util_fmt("%s/report", dir);
	int k = 5;
	argv[k++] = out;
	if (!charts)
		argv[k++] = "--no-charts";
	for (size_t i = 0; i < nhosts; i++)
		argv[k++] = write_host(dir, i, &h[i], boots, 80 + 30 * (double)i, 0.75 + 0.05 * (double)(i % 4));
	argv[k] = NULL;
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "gvab report: exit %d\n%s", rc, o);
	free(o);
	for (int i = charts ? 6 : 7; i < k; i++)
		free(argv[i]);
	return out;
}

static const cJSON *jget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(v != NULL, "results.json: no %s", k);
	return v;
}

static double jnum(const cJSON *o, const char *k)
{
	return jget(o, k)->valuedouble;
}

/* core_by_host.dat: "y p50 lo hi run arm"; shift_by_host.dat: "y shift lo
 * hi run comparison" in % of A's median. Both against results.json. */
static void check_chart_data(const char *rep)
{
	char *jp = util_fmt("%s/results.json", rep), *jt = util_read_file(jp, NULL);
	cJSON *js = cJSON_Parse(jt);
	ck_assert_ptr_nonnull(js);
	const cJSON *runs = jget(js, "runs");
	const char *names[2] = {"core_by_host.dat", "shift_by_host.dat"};
	for (int c = 0; c < 2; c++) {
		char *p = util_fmt("%s/%s", rep, names[c]), *t = util_read_file(p, NULL);
		ck_assert_msg(t != NULL, "%s missing", p);
		int rows = 0;
		char *save = NULL;
		for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			double y, v, lo, hi;
			int r, a;
			if (l[0] == '#' || sscanf(l, "%lf %lf %lf %lf %d %d", &y, &v, &lo, &hi, &r, &a) != 6)
				continue;
			const cJSON *run = cJSON_GetArrayItem(runs, r);
			double want[3];
			if (c == 0) {
				const cJSON *core = jget(cJSON_GetArrayItem(jget(run, "arms"), a), "core");
				want[0] = jnum(core, "p50_ms");
				want[1] = jnum(core, "p50_lo_ms");
				want[2] = jnum(core, "p50_hi_ms");
			} else {
				const cJSON *cmp = cJSON_GetArrayItem(jget(run, "comparisons"), a);
				ck_assert_str_eq(jget(cmp, "phase")->valuestring, "core");
				double base = jnum(cmp, "a_p50_ms");
				want[0] = 100 * jnum(cmp, "shift_ms") / base;
				want[1] = 100 * jnum(cmp, "shift_lo_ms") / base;
				want[2] = 100 * jnum(cmp, "shift_hi_ms") / base;
			}
			double got[3] = {v, lo, hi};
			for (int q = 0; q < 3; q++)
				ck_assert_msg(fabs(got[q] - want[q]) < 6e-4, "%s: %s: %.4f, results.json %.6f", names[c], l,
				              got[q], want[q]);
			rows++;
		}
		ck_assert_int_eq(rows, 8 * (c == 0 ? 2 : 1));
		free(t);
		free(p);
	}
	cJSON_Delete(js);
	free(jt);
	free(jp);
}

START_TEST(test_chart_data_is_the_tables)
{
	char *d = itest_tmpdir("figures");
	char *rep = fixture_report(d, 8, 20, 1);
	check_chart_data(rep);
	/* Labels as the inventory wrote them, as gnuplot literals and in the
	 * SVG gnuplot drew; the PNG twin is at twice the pixel density. */
	char *gp = util_fmt("%s/core_by_host.gp", rep), *svg = util_fmt("%s/core_by_host.svg", rep);
	char *g = util_read_file(gp, NULL), *s = util_read_file(svg, NULL);
	ck_assert_ptr_nonnull(strstr(g, "'M1 Pro (OrbStack VM) "));
	ck_assert_ptr_nonnull(strstr(g, "'c7i.metal-24xl'"));
	ck_assert_ptr_nonnull(strstr(g, "noenhanced"));
	ck_assert_ptr_nonnull(strstr(s, "M1 Pro (OrbStack VM)"));
	ck_assert_ptr_null(strstr(s, "M1_Pro"));
	free(g);
	free(s);
	free(gp);
	free(svg);
	free(rep);
	util_rm_rf(d);
	free(d);
}
END_TEST

/* A label with a quote, backquotes and an underscore reaches the ECDF
 * title as written: no shell, no subscript. */
START_TEST(test_one_host_titles)
{
	char *d = itest_tmpdir("figures1");
	char *rep = fixture_report(d, 1, 12, 1);
	char *o = NULL;
	DIR *dd = opendir(rep);
	ck_assert_ptr_nonnull(dd);
	for (struct dirent *e; (e = readdir(dd));)
		if (strstr(e->d_name, "-ecdf.svg")) {
			char *p = util_fmt("%s/%s", rep, e->d_name);
			o = util_read_file(p, NULL);
			free(p);
		}
	closedir(dd);
	ck_assert_ptr_nonnull(o);
	ck_assert_msg(strstr(o, "this VM (rcu_expedited=0, &apos;quoted&apos; `id`)") ||
	                  strstr(o, "this VM (rcu_expedited=0, 'quoted' `id`)"),
	              "ECDF title not as written");
	free(o);
	free(rep);
	util_rm_rf(d);
	free(d);
}
END_TEST

Suite *suite_figures(void)
{
	Suite *s = suite_create("figures");
	TCase *tc = tcase_create("data");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_chart_data_is_the_tables);
	tcase_add_test(tc, test_one_host_titles);
	suite_add_tcase(s, tc);
	return s;
}
