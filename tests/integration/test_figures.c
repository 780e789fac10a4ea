/* The per-host figures as a reader sees them, on fixtures this test writes
 * (synthetic samples in the test's own directory, never under results/):
 * one host, eight hosts named as hosts/example-eight-hosts.ini names
 * them (gvab_label, gvab_sku), and sixteen (eight more names); and the
 * committed instrumented run for the waterfall.
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
	/* Sixteen: eight more as a fleet might name them. */
	static const char *const more[8] = {"m7g.xlarge (Graviton3)", "n2d-standard-8 (AMD Milan)",
	                                    "Hetzner AX52 bare metal", "t3.medium burstable",
	                                    "Azure D4s v5", "Raspberry Pi 5 (8 GB)",
	                                    "r7iz.2xlarge, nested virt off", "laptop (Fedora 41, KVM)"};
	for (size_t i = 8; i < MAX_HOSTS; i++) {
		snprintf(h[i].label, sizeof h[i].label, "%s", more[i - 8]);
		h[i].sku[0] = '\0';
	}
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
	/* Eight hosts are not repeats of one run: no "Repeated runs". */
	char *md = util_fmt("%s/report.md", rep), *mt = util_read_file(md, NULL);
	ck_assert_ptr_null(strstr(mt, "Repeated runs"));
	free(mt);
	free(md);
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

/* A campaign's report goes to CAMPAIGN_DIR/report, one page for all
 * hosts, whatever --sort says (it went into the first host's directory
 * after sorting). */
START_TEST(test_campaign_report_dir)
{
	char *d = itest_tmpdir("campaign");
	struct host_fixture h[2] = {{"slow host", ""}, {"fast host", ""}};
	char *r0 = write_host(d, 0, &h[0], 12, 200, 0.9), *r1 = write_host(d, 1, &h[1], 12, 100, 0.9);
	char *slash = util_fmt("%s/", d);
	char *argv[] = {(char *)itest_gvab(), "report", "--no-charts", "--sort", "core", slash, NULL};
	char *o = NULL;
	ck_assert_int_eq(itest_run(&o, argv), 0);
	char *want = util_fmt("%s/report/report.html", d), *bad0 = util_fmt("%s/report", r0),
	     *bad1 = util_fmt("%s/report", r1);
	ck_assert_msg(util_path_exists(want), "%s missing:\n%s", want, o);
	ck_assert_msg(!util_path_exists(bad0) && !util_path_exists(bad1), "report went into a host's directory");
	free(o);
	free(want);
	free(bad0);
	free(bad1);
	free(slash);
	free(r0);
	free(r1);
	util_rm_rf(d);
	free(d);
}
END_TEST

/* A --warm-pool run's report gives the amortised latency per task,
 * (cold CORE + wait + delete) / K + exec, for K = 1, 10, 100, from the
 * medians results.json holds, and its chart against K. */
START_TEST(test_warm_pool_amortised)
{
	char *d = itest_tmpdir("warm");
	char *out = util_fmt("%s/report", d), *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "report", "--out", out, "results/2026-11-22-vm/warm-pool", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 0);
	free(o);
	char *jp = util_fmt("%s/results.json", out), *jt = util_read_file(jp, NULL);
	char *mp = util_fmt("%s/report.md", out), *md = util_read_file(mp, NULL);
	cJSON *js = cJSON_Parse(jt);
	const cJSON *arm = cJSON_GetArrayItem(jget(cJSON_GetArrayItem(jget(js, "runs"), 0), "arms"), 0);
	double once = jnum(jget(arm, "core"), "p50_ms") + jnum(jget(arm, "wait"), "p50_ms") +
	              jnum(jget(arm, "delete"), "p50_ms");
	double exec = jnum(jget(arm, "warm_exec"), "p50_ms");
	char *row = util_fmt("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |", jget(arm, "name")->valuestring, once, exec,
	                     once + exec, once / 10 + exec, once / 100 + exec);
	ck_assert_msg(strstr(md, row), "report.md lacks %s", row);
	char *png = util_fmt("%s/vm-warm-pool.png", out);
	ck_assert_msg(util_path_exists(png), "%s missing", png);
	cJSON_Delete(js);
	free(png);
	free(row);
	free(md);
	free(mp);
	free(jt);
	free(jp);
	free(out);
	util_rm_rf(d);
	free(d);
}
END_TEST

/* report.md of the committed instrumented run into DIR/report. */
static char *instrumented_report(const char *d)
{
	char *out = util_fmt("%s/report", d), *o = NULL;
	char *argv[] = {(char *)itest_gvab(), "report", "--out", out, "results/2026-11-22-vm/instrumented", NULL};
	ck_assert_int_eq(itest_run(&o, argv), 0);
	free(o);
	return out;
}

/* The waterfall's bars are the table's numbers: per arm, each bar starts
 * at the "starts" column and is the "ms" column long, and the change with
 * its interval is the table's, row by row in the table's order (the data
 * file's lane rows have no bars). */
START_TEST(test_waterfall_is_the_table)
{
	char *d = itest_tmpdir("waterfall");
	char *rep = instrumented_report(d);
	char *mp = util_fmt("%s/report.md", rep), *md = util_read_file(mp, NULL);
	char *dp = util_fmt("%s/vm-waterfall.dat", rep), *dat = util_read_file(dp, NULL);
	ck_assert_ptr_nonnull(dat);
	char *sp = util_fmt("%s/vm-waterfall.svg", rep), *pp = util_fmt("%s/vm-waterfall.png", rep);
	ck_assert(util_path_exists(sp) && util_path_exists(pp));
	/* Table rows: process | interval | A starts | A ms | B starts | B ms | change. */
	struct trow {
		double v[4], shift, lo, hi;
	} t[64];
	int nt = 0;
	const char *sec = strstr(md, "### Where the time goes");
	ck_assert_ptr_nonnull(sec);
	const char *l = strstr(sec, "|---|");
	ck_assert_ptr_nonnull(l);
	for (l = strchr(l, '\n') + 1; *l == '|' && nt < 64; l = strchr(l, '\n') + 1) {
		const char *c = l + 1;
		for (int k = 0; k < 2; k++)
			c = strchr(c, '|') + 1;
		struct trow *r = &t[nt++];
		ck_assert_int_eq(sscanf(c, " %lf | %lf | %lf | %lf | %lf ms [%lf, %lf]", &r->v[0], &r->v[1], &r->v[2],
		                        &r->v[3], &r->shift, &r->lo, &r->hi), 7);
	}
	ck_assert_int_ge(nt, 10);
	/* Data sets: index 2a intervals, 2a+1 package init; rows by number. */
	int seen[2][64] = {{0}};
	double got[2][64][6];
	int set = 0;
	char *save = NULL;
	for (char *x = strtok_r(dat, "\n", &save); x; x = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(x, "# arm ", 6)) {
			set++;
			continue;
		}
		int row;
		double y, g[6];
		if (x[0] == '#' || sscanf(x, "%d %lf %lf %lf %lf %lf %lf %lf", &row, &y, &g[0], &g[1], &g[2], &g[3],
		                          &g[4], &g[5]) != 8 || y < 0)
			continue;
		int a = (set - 1) / 2;
		ck_assert(a >= 0 && a < 2 && row < 64);
		seen[a][row] = 1;
		memcpy(got[a][row], g, sizeof g);
	}
	for (int a = 0; a < 2; a++) {
		int k = 0;
		for (int row = 0; row < 64; row++) {
			if (!seen[a][row])
				continue;
			ck_assert_int_lt(k, nt);
			const struct trow *r = &t[k++];
			const double *g = got[a][row];
			ck_assert_msg(fabs(g[0] - r->v[2 * a]) < 0.006 && fabs(g[2] - r->v[2 * a + 1]) < 0.006 &&
			                  fabs(g[1] - g[0] - g[2]) < 0.001,
			              "arm %d row %d: bar %.4f..%.4f (%.4f) vs table %.2f, %.2f", a, row, g[0], g[1], g[2],
			              r->v[2 * a], r->v[2 * a + 1]);
			if (a == 1)
				ck_assert_msg(fabs(g[3] - r->shift) < 0.051 && fabs(g[4] - r->lo) < 0.051 &&
				                  fabs(g[5] - r->hi) < 0.051,
				              "row %d: change %.4f [%.4f, %.4f] vs table %.1f [%.1f, %.1f]", row, g[3], g[4],
				              g[5], r->shift, r->lo, r->hi);
		}
		ck_assert_int_eq(k, nt);
	}
	/* Package init is in the lanes when the run has it. */
	ck_assert_ptr_nonnull(strstr(sec, "| runsc create | package init |"));
	free(sp);
	free(pp);
	free(dat);
	free(dp);
	free(md);
	free(mp);
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
	tcase_add_test(tc, test_campaign_report_dir);
	tcase_add_test(tc, test_warm_pool_amortised);
	tcase_add_test(tc, test_waterfall_is_the_table);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- In a browser ---------------------------------------------------- */

static const char *const chromium_flags[] = {
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"};
#define NFLAGS (sizeof chromium_flags / sizeof chromium_flags[0])

/* The test-only wrapper: the page under test in an iframe `width` px wide
 * (srcdoc: the same origin as the wrapper, so the wrapper's script can
 * measure inside it while the page keeps its own policy that refuses
 * scripts). Once it has loaded, every text box of every SVG is measured
 * against the others of that SVG (an overlap of more than 1 px both ways)
 * and against the SVG's own box, the page's width against the iframe's,
 * and the smallest text drawn; the findings go into <pre id=gvab-measure>.
 * Chromium's windows are at least 500 px wide, hence the iframe. */
static const char measure_js[] =
	"<script>var f=document.getElementById('f');f.onload=function(){"
	"var d=f.contentDocument,out=[],bad=0,n=0,minh=1e9,minf=1e9;"
	"var svgs=d.querySelectorAll('svg');"
	"for(var i=0;i<svgs.length;i++){var s=svgs[i],sr=s.getBoundingClientRect(),rs=[];"
	"var ts=s.querySelectorAll('text');"
	"for(var j=0;j<ts.length;j++){var r=ts[j].getBoundingClientRect();"
	"if(r.width==0||!ts[j].textContent.trim())continue;n++;rs.push([r,ts[j].textContent]);"
	"if(r.height<minh)minh=r.height;"
	"var vb=s.viewBox&&s.viewBox.baseVal,k=vb&&vb.width?sr.width/vb.width:1,"
	"fs=parseFloat(getComputedStyle(ts[j]).fontSize)*k;if(fs<minf)minf=fs;"
	"if(r.left<sr.left-0.5||r.right>sr.right+0.5||r.top<sr.top-0.5||r.bottom>sr.bottom+0.5){bad++;"
	"out.push('OUTSIDE svg '+i+': '+ts[j].textContent);}}"
	"for(var a=0;a<rs.length;a++)for(var b=a+1;b<rs.length;b++){var p=rs[a][0],q=rs[b][0];"
	"var ox=Math.min(p.right,q.right)-Math.max(p.left,q.left),"
	"oy=Math.min(p.bottom,q.bottom)-Math.max(p.top,q.top);"
	"if(ox>1&&oy>1){bad++;out.push('OVERLAP svg '+i+': '+rs[a][1]+' | '+rs[b][1]);}}}"
	"var sw=d.documentElement.scrollWidth,iw=f.contentWindow.innerWidth;"
	"if(sw>iw+1){bad++;out.push('PAGE '+sw+' px wide in '+iw+' px');}"
	"var pre=document.createElement('pre');pre.id='gvab-measure';"
	"pre.textContent='RESULT svgs='+svgs.length+' texts='+n+' bad='+bad+' width='+iw+"
	"' min_text_px='+Math.round(minh*10)/10+' min_font_px='+Math.round(minf*10)/10+'\\n'+out.join('\\n')+'\\nEND';"
	"document.body.appendChild(pre);};</script>";

/* `html` escaped for a double-quoted attribute. */
static char *attr_escape(const char *html)
{
	size_t n = 0;
	char *buf = NULL;
	FILE *m = open_memstream(&buf, &n);
	for (const char *p = html; *p; p++)
		if (*p == '&')
			fputs("&amp;", m);
		else if (*p == '"')
			fputs("&quot;", m);
		else
			fputc(*p, m);
	fclose(m);
	return buf;
}

/* Writes the wrapper around `html` at `width` px; returns its path. */
static char *wrapper(const char *dir, const char *html, int width, const char *tag, int with_script)
{
	char *esc = attr_escape(html);
	char *doc = util_fmt("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"margin:0\">"
	                     "<iframe id=\"f\" style=\"width:%dpx;height:7000px;border:0;display:block\" "
	                     "srcdoc=\"%s\"></iframe>%s</body></html>\n",
	                     width, esc, with_script ? measure_js : "");
	char *path = util_fmt("%s/%s-%d%s.html", dir, tag, width, with_script ? "-measure" : "");
	ck_assert_int_eq(util_write_file_atomic(path, doc, strlen(doc)), 0);
	free(doc);
	free(esc);
	return path;
}

static int run_chromium(const char *dir, char **out, const char *a1, const char *a2, const char *url)
{
	char *ud = util_fmt("--user-data-dir=%s/chromium-profile", dir);
	char *argv[NFLAGS + 7];
	size_t k = 0;
	argv[k++] = "/usr/bin/chromium";
	for (size_t i = 0; i < NFLAGS; i++)
		argv[k++] = (char *)chromium_flags[i];
	argv[k++] = ud;
	argv[k++] = "--virtual-time-budget=10000";
	argv[k++] = (char *)a1;
	argv[k++] = (char *)a2;
	argv[k++] = (char *)url;
	argv[k] = NULL;
	int rc = itest_run(out, argv);
	free(ud);
	return rc;
}

/* Renders `html` in the wrapper `width` px wide; returns the findings
 * (caller frees). */
static char *measure(const char *dir, const char *html, int width, const char *tag)
{
	char *path = wrapper(dir, html, width, tag, 1);
	char *url = util_fmt("file://%s", path), *ws = util_fmt("--window-size=%d,2000", width < 500 ? 500 : width);
	char *o = NULL;
	ck_assert_int_eq(run_chromium(dir, &o, ws, "--dump-dom", url), 0);
	char *m = strstr(o, "<pre id=\"gvab-measure\">RESULT ");
	ck_assert_msg(m != NULL, "%s: no measurement in the page", path);
	m += strlen("<pre id=\"gvab-measure\">");
	char *e = strstr(m, "\nEND");
	char *res = util_fmt("%.*s", e ? (int)(e - m) : 400, m);
	free(o);
	free(url);
	free(ws);
	free(path);
	return res;
}

/* Screenshot of the page in the wrapper: a PNG that is not blank (a white
 * page of this size compresses to a few kB); kept in GVAB_SHOTS_DIR if
 * set. */
static void screenshot(const char *dir, const char *html, int width, const char *tag)
{
	char *path = wrapper(dir, html, width, tag, 0);
	char *png = util_fmt("%s/%s-%d.png", dir, tag, width);
	char *shot = util_fmt("--screenshot=%s", png);
	char *ws = util_fmt("--window-size=%d,7000", width < 500 ? 500 : width);
	char *url = util_fmt("file://%s", path);
	ck_assert_int_eq(run_chromium(dir, NULL, ws, shot, url), 0);
	size_t len = 0;
	char *img = util_read_file(png, &len);
	ck_assert_msg(img && len > 30000 && memcmp(img, "\x89PNG", 4) == 0, "screenshot %s: %zu bytes", png, len);
	const char *keep = getenv("GVAB_SHOTS_DIR");
	if (keep && *keep) {
		char *dst = util_fmt("%s/%s-%d.png", keep, tag, width);
		util_copy_file(png, dst, 0644);
		free(dst);
	}
	free(img);
	free(url);
	free(ws);
	free(shot);
	free(png);
	free(path);
}

static int measured_bad(const char *m)
{
	const char *b = strstr(m, " bad=");
	return b ? atoi(b + 5) : -1;
}

static double measured_num(const char *m, const char *key)
{
	const char *b = strstr(m, key);
	ck_assert_msg(b != NULL, "no %s in %s", key, m);
	return atof(b + strlen(key));
}

/* A gnuplot chart's SVG twin (the same layout as its PNG at half the pixel
 * density) embedded in a page at its own size, measured and shot. */
static void check_gnuplot_svg(const char *d, const char *rep, const char *chart, const char *tag)
{
	char *sp = util_fmt("%s/%s.svg", rep, chart), *svg = util_read_file(sp, NULL);
	ck_assert_msg(svg != NULL, "%s missing", sp);
	char *start = strstr(svg, "<svg");
	char *doc = util_fmt("<!DOCTYPE html><html><body style=\"margin:0\">%s</body></html>", start);
	char *t = util_fmt("%s-%s", tag, chart);
	char *m = measure(d, doc, 1280, t);
	fprintf(stderr, "%s %s.svg: %s\n", tag, chart, m);
	ck_assert_msg(measured_bad(m) == 0, "%s.svg:\n%s", chart, m);
	screenshot(d, doc, 1280, t);
	free(m);
	free(t);
	free(doc);
	free(svg);
	free(sp);
}

static void check_report_in_browser(size_t nhosts, const char *tag)
{
	ck_assert_msg(access("/usr/bin/chromium", X_OK) == 0,
	              "skipped (counted): /usr/bin/chromium missing; make deps installs it");
	char *d = itest_tmpdir(tag);
	char *rep = fixture_report(d, nhosts, 20, 1);
	char *page = util_fmt("%s/report.html", rep), *html = util_read_file(page, NULL);
	ck_assert_ptr_nonnull(html);
	/* Sixteen hosts' shifts lie within -35%..0; one host's interval the
	 * data leave open (its lower end -inf, -100% as a ratio) must not
	 * stretch the forest's axis to -100%. */
	if (nhosts == 16)
		ck_assert_ptr_null(strstr(html, "class=\"tick\">-100%<"));
	static const int widths[] = {1280, 390};
	for (int w = 0; w < 2; w++) {
		char *m = measure(d, html, widths[w], tag);
		fprintf(stderr, "%s report.html at %d px: %s\n", tag, widths[w], m);
		ck_assert_msg(measured_bad(m) == 0, "%s at %d px:\n%s", tag, widths[w], m);
		ck_assert_msg(strstr(m, "svgs=2 "), "%s", m);
		/* Readable on a phone: no SVG text under ~9 CSS px. */
		if (widths[w] == 390)
			ck_assert_msg(measured_num(m, " min_font_px=") >= 8.95, "%s at 390 px: text under 9 px:\n%s", tag, m);
		free(m);
		screenshot(d, html, widths[w], tag);
	}
	static const char *const charts[] = {"core_by_host", "shift_by_host"};
	for (int c = 0; c < 2; c++)
		check_gnuplot_svg(d, rep, charts[c], tag);
	free(html);
	free(page);
	free(rep);
	util_rm_rf(d);
	free(d);
}

START_TEST(test_one_host_in_browser)
{
	check_report_in_browser(1, "one-host");
}
END_TEST

START_TEST(test_eight_hosts_in_browser)
{
	check_report_in_browser(8, "eight-hosts");
}
END_TEST

START_TEST(test_sixteen_hosts_in_browser)
{
	check_report_in_browser(16, "sixteen-hosts");
}
END_TEST

/* The waterfall of the committed instrumented run. */
START_TEST(test_waterfall_in_browser)
{
	ck_assert_msg(access("/usr/bin/chromium", X_OK) == 0,
	              "skipped (counted): /usr/bin/chromium missing; make deps installs it");
	char *d = itest_tmpdir("waterfall-browser");
	char *rep = instrumented_report(d);
	check_gnuplot_svg(d, rep, "vm-waterfall", "instrumented");
	free(rep);
	util_rm_rf(d);
	free(d);
}
END_TEST

Suite *suite_figures_browser(void)
{
	Suite *s = suite_create("figures (chromium)");
	TCase *tc = tcase_create("browser");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_one_host_in_browser);
	tcase_add_test(tc, test_eight_hosts_in_browser);
	tcase_add_test(tc, test_sixteen_hosts_in_browser);
	tcase_add_test(tc, test_waterfall_in_browser);
	suite_add_tcase(s, tc);
	return s;
}
