/* inventory: Ansible INI inventories, variable precedence, errors. */
#define _GNU_SOURCE
#include "error.h"
#include "inventory.h"
#include "tests.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *write_inv_as(const char *text, const char *name)
{
	char *d = test_tmpdir("inv");
	char *p = util_fmt("%s/%s", d, name);
	util_write_file_atomic(p, text, strlen(text));
	free(d);
	return p;
}

static char *write_inv(const char *text)
{
	return write_inv_as(text, "hosts.ini");
}

static const char *v(const struct inv_host *h, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(h->vars, k);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

START_TEST(test_inventory_ok)
{
	char *p = write_inv(
		"# gvab hosts\n"
		"laptop ansible_connection=local gvab_label='M1 laptop'\n"
		"[aws]\n"
		"c7g ansible_host=10.0.0.5 gvab_sku=c7g.xlarge\n"
		"c7i:2222 ansible_host=10.0.0.6 ansible_user=ubuntu gvab_notes=\"4 vCPU, amd64\"\n"
		"[gcp]\n"
		"c4a ansible_host=10.1.0.5\n"
		"[cloud:children]\n"
		"aws\n"
		"gcp\n"
		"[cloud:vars]\n"
		"ansible_user=root\n"
		"ansible_ssh_private_key_file=~/.ssh/bench\n"
		"[aws:vars]\n"
		"gvab_notes=aws\n"
		"[all:vars]\n"
		"ansible_user=admin\n");
	struct inventory inv;
	ck_assert_int_eq(inventory_load(p, &inv), 0);
	ck_assert_uint_eq(inv.n, 4);
	struct inv_host *lap = &inv.hosts[0], *g = &inv.hosts[1], *i = &inv.hosts[2], *c = &inv.hosts[3];
	ck_assert_str_eq(lap->name, "laptop");
	ck_assert(lap->local);
	ck_assert_str_eq(lap->label, "M1 laptop");
	ck_assert_str_eq(lap->user, "admin");           /* all:vars */
	ck_assert_str_eq(g->address, "10.0.0.5");
	ck_assert_str_eq(g->user, "root");              /* cloud:vars beats all:vars */
	ck_assert_str_eq(g->notes, "aws");              /* aws:vars */
	ck_assert_str_eq(g->sku, "c7g.xlarge");
	ck_assert_str_eq(i->name, "c7i");
	ck_assert_int_eq(i->port, 2222);
	ck_assert_str_eq(i->user, "ubuntu");            /* host line beats groups */
	ck_assert_str_eq(i->notes, "4 vCPU, amd64");    /* host line beats aws:vars */
	ck_assert_str_eq(c->key_file, "~/.ssh/bench");  /* inherited from cloud */
	ck_assert_ptr_null(v(c, "gvab_notes"));
	size_t *idx;
	ck_assert_uint_eq(inventory_select(&inv, "cloud", &idx), 3);
	free(idx);
	ck_assert_uint_eq(inventory_select(&inv, "aws", &idx), 2);
	free(idx);
	ck_assert_uint_eq(inventory_select(&inv, "all", &idx), 4);
	free(idx);
	ck_assert_uint_eq(inventory_select(&inv, "nope", &idx), 0);
	free(idx);
	inventory_free(&inv);
	free(p);
}
END_TEST

START_TEST(test_inventory_errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"[aws:bogus]\nh1\n", "hosts.ini:1: unknown section suffix ':bogus'"},
		{"[aws\nh1\n", "hosts.ini:1: malformed section header"},
		{"h1 ansible_host\n", "hosts.ini:1: 'ansible_host' is not key=value"},
		{"[all:vars]\nx=1\n[g:children]\nmissing\n", "hosts.ini:4: child group 'missing' is never defined"},
		{"h1 gvab_notes='open\n", "hosts.ini:1: unterminated quote in gvab_notes"},
		{"h1:99999\n", "hosts.ini:1: host 'h1:99999': bad port"},
		{"# nothing\n", "no hosts"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char *p = write_inv(cases[k].text);
		struct inventory inv;
		ck_assert_int_eq(inventory_load(p, &inv), GVAB_EDATA);
		ck_assert_msg(strstr(error_last(), cases[k].want), "case %zu: got '%s'", k, error_last());
		free(p);
	}
}
END_TEST

/* Inventories from someone else: nothing in them may become an ssh option,
 * an env(1) command, a path outside the results, or minutes of CPU. */
START_TEST(test_inventory_hostile)
{
	static const struct {
		const char *name, *text, *want;
	} cases[] = {
		{"hosts.ini", "..\n", "hosts.ini:1: bad host name '..'"},
		{"hosts.ini", ".hidden\n", "bad host name '.hidden'"},
		{"hosts.ini", "-oProxyCommand=x\n", "bad host name '-oProxyCommand=x'"},
		{"hosts.ini", "h1 ansible_host=-oProxyCommand=touch\n", "host h1: ansible_host is not"},
		{"hosts.ini", "h1 ansible_host=a@b\n", "host h1: ansible_host is not"},
		{"hosts.ini", "h1 ansible_host='a b'\n", "host h1: ansible_host is not"},
		{"hosts.ini", "h1 ansible_user=-oX\n", "host h1: ansible_user is not"},
		{"hosts.ini", "h1 gvab_env='X=1 sh -c id'\n", "host h1: gvab_env: expected NAME=VALUE words ('sh')"},
		{"hosts.ini", "h1 gvab_env='1X=1'\n", "gvab_env: expected NAME=VALUE"},
		{"hosts.ini", "h1 gvab_env='=1'\n", "gvab_env: expected NAME=VALUE"},
		{"hosts.yml", "all:\n  hosts:\n    h1: {gvab_label: \"a\\nsystem('id')\"}\n",
		 "host h1: a control character in a value of ('gvab_label')"},
		{"hosts.yml", "all:\n  hosts:\n    '..': {}\n", "bad host name '..'"},
		{"hosts.yml",
		 "all:\n  children:\n"
		 "    a: &a {hosts: {h1: {x: '1'}, h2: {x: '2'}}, vars: {v1: '1', v2: '2'}}\n"
		 "    b: &b {children: {a1: *a, a2: *a, a3: *a, a4: *a, a5: *a, a6: *a, a7: *a, a8: *a}}\n"
		 "    c: &c {children: {b1: *b, b2: *b, b3: *b, b4: *b, b5: *b, b6: *b, b7: *b, b8: *b}}\n"
		 "    d: &d {children: {c1: *c, c2: *c, c3: *c, c4: *c, c5: *c, c6: *c, c7: *c, c8: *c}}\n"
		 "    e: &e {children: {d1: *d, d2: *d, d3: *d, d4: *d, d5: *d, d6: *d, d7: *d, d8: *d}}\n"
		 "    f: &f {children: {e1: *e, e2: *e, e3: *e, e4: *e, e5: *e, e6: *e, e7: *e, e8: *e}}\n"
		 "    g: &g {children: {f1: *f, f2: *f, f3: *f, f4: *f, f5: *f, f6: *f, f7: *f, f8: *f}}\n"
		 "    h: &h {children: {g1: *g, g2: *g, g3: *g, g4: *g, g5: *g, g6: *g, g7: *g, g8: *g}}\n",
		 "more than"}, /* YAML nodes once aliases are expanded, or group entries */
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char *p = write_inv_as(cases[k].text, cases[k].name);
		struct inventory inv;
		int64_t t0 = util_now_ns();
		ck_assert_msg(inventory_load(p, &inv) == GVAB_EDATA, "case %zu accepted", k);
		ck_assert_msg(util_now_ns() - t0 < 2000000000LL, "case %zu took over 2 s", k);
		ck_assert_msg(strstr(error_last(), cases[k].want), "case %zu: got '%s'", k, error_last());
		free(p);
	}
	/* What stays accepted: IPv6 and DNS addresses, env words with '=' in the value. */
	char *p = write_inv("h1 ansible_host=fe80::1%eth0 gvab_env='A=1 B_2=x=y'\nh2 ansible_host=web-1.example.com\n");
	struct inventory inv;
	ck_assert_msg(inventory_load(p, &inv) == 0, "%s", error_last());
	ck_assert_str_eq(inv.hosts[0].env, "A=1 B_2=x=y");
	inventory_free(&inv);
	free(p);
	/* Many groups: refused quickly rather than resolved in minutes. */
	size_t cap = 1 << 20, len = 0;
	char *big = util_xmalloc(cap);
	for (int g = 0; g < 2000 && len + 64 < cap; g++)
		len += (size_t)snprintf(big + len, cap - len, "[g%d]\nh%d\n", g, g);
	p = write_inv(big);
	int64_t t0 = util_now_ns();
	ck_assert_int_eq(inventory_load(p, &inv), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "more than 1024 groups"));
	ck_assert_int_lt(util_now_ns() - t0, 2000000000LL);
	free(big);
	free(p);
}
END_TEST

/* YAML caps checked before libyaml parses (its time grows with the square
 * of the depth: 48 s for a 200 KB file nested 100,000 deep). The error
 * names the cap the pre-check enforces, so libyaml never saw the text. A
 * NUL in a value, a FIFO, an oversized file: refused, exit 65. */
START_TEST(test_inventory_yaml_caps)
{
	size_t n = 100000;
	char *flow = util_xmalloc(n + 16), *block = util_xmalloc(2 * n + 16);
	memcpy(flow, "all: ", 5);
	memset(flow + 5, '[', n);
	flow[n + 5] = '\0';
	for (size_t i = 0; i < n; i++)
		memcpy(block + 2 * i, "- ", 2);
	memcpy(block + 2 * n, "x\n", 3);
	char ind[400 * 160], *q = ind;
	q += sprintf(q, "all:\n  children:\n");
	for (int d = 0; d < 70; d++) /* 4 columns a level: past 256 at 64 */
		q += sprintf(q, "%*sg%d:\n%*schildren:\n", 4 + 4 * d, "", d, 6 + 4 * d, "");
	const struct {
		const char *text, *want;
	} cases[] = {
		{flow, ":1: collections nested deeper than 64; refused"},
		{block, ":1: nested deeper than 256 columns; refused"},
		{ind, "nested deeper than 256 columns; refused"},
		{"all:\n  hosts:\n    h1: {gvab_label: \"a\\0b\"}\n", ":3: a value holds a NUL character"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char *p = write_inv_as(cases[k].text, "deep.yml");
		struct inventory inv;
		ck_assert_msg(inventory_load(p, &inv) == GVAB_EDATA, "case %zu accepted", k);
		ck_assert_msg(strstr(error_last(), cases[k].want) && strstr(error_last(), p),
		              "case %zu: got '%s'", k, error_last());
		free(p);
	}
	/* Brackets and quotes inside quoted values, an apostrophe in a plain
	 * one, comments: not nesting. */
	char *p = write_inv_as("all:  # [[[[[\n  hosts:\n    h1: {gvab_label: \"[[[[ it's {{{\"}\n"
	                       "    h2: {gvab_label: '[[ it''s [[['}\n    h3: {gvab_label: it's}\n",
	                       "ok.yml");
	struct inventory inv;
	ck_assert_msg(inventory_load(p, &inv) == 0, "%s", error_last());
	inventory_free(&inv);
	free(p);
	/* Not a regular file, or over the 4 MiB cap. */
	char *d = test_tmpdir("inv"), *fifo = util_fmt("%s/hosts.yml", d);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(inventory_load(fifo, &inv), GVAB_EDATA);
	ck_assert_msg(strstr(error_last(), "a FIFO"), "%s", error_last());
	char *big = util_xcalloc(5 << 20, 1);
	memset(big, '#', (5 << 20) - 1);
	p = write_inv(big);
	ck_assert_int_eq(inventory_load(p, &inv), GVAB_EDATA);
	ck_assert_msg(strstr(error_last(), "larger than 4 MiB"), "%s", error_last());
	free(p);
	free(big);
	util_rm_rf(d);
	free(d);
	free(fifo);
	free(flow);
	free(block);
}
END_TEST

START_TEST(test_inventory_yaml)
{
	/* The same inventory as test_inventory_ok, in Ansible's YAML form. */
	char *p = write_inv_as(
		"all:\n"
		"  hosts:\n"
		"    laptop:\n"
		"      ansible_connection: local\n"
		"      gvab_label: M1 laptop\n"
		"  vars:\n"
		"    ansible_user: admin\n"
		"  children:\n"
		"    cloud:\n"
		"      vars:\n"
		"        ansible_user: root\n"
		"        ansible_ssh_private_key_file: ~/.ssh/bench\n"
		"      children:\n"
		"        aws:\n"
		"          vars: {gvab_notes: aws}\n"
		"          hosts:\n"
		"            c7g: {ansible_host: 10.0.0.5, gvab_sku: c7g.xlarge}\n"
		"            c7i:\n"
		"              ansible_host: 10.0.0.6\n"
		"              ansible_port: 2222\n"
		"              ansible_user: ubuntu\n"
		"              gvab_notes: \"4 vCPU, amd64\"\n"
		"        gcp:\n"
		"          hosts:\n"
		"            c4a: {ansible_host: 10.1.0.5}\n", "hosts.yml");
	struct inventory inv;
	ck_assert_int_eq(inventory_load(p, &inv), 0);
	ck_assert_uint_eq(inv.n, 4);
	struct inv_host *lap = &inv.hosts[0], *g = &inv.hosts[1], *i = &inv.hosts[2], *c = &inv.hosts[3];
	ck_assert(lap->local);
	ck_assert_str_eq(lap->label, "M1 laptop");
	ck_assert_str_eq(lap->user, "admin");
	ck_assert_str_eq(g->user, "root");
	ck_assert_str_eq(g->notes, "aws");
	ck_assert_str_eq(g->sku, "c7g.xlarge");
	ck_assert_int_eq(i->port, 2222);
	ck_assert_str_eq(i->user, "ubuntu");
	ck_assert_str_eq(i->notes, "4 vCPU, amd64");
	ck_assert_str_eq(c->key_file, "~/.ssh/bench");
	size_t *idx;
	ck_assert_uint_eq(inventory_select(&inv, "cloud", &idx), 3);
	free(idx);
	inventory_free(&inv);
	free(p);
	p = write_inv_as("all:\n  hostz:\n    a:\n", "bad.yaml");
	ck_assert_int_eq(inventory_load(p, &inv), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "bad.yaml:2: group 'all': unknown key 'hostz'"));
	free(p);
	p = write_inv_as("all:\n  hosts: [a, b\n", "broken.yml");
	ck_assert_int_eq(inventory_load(p, &inv), GVAB_EDATA);
	ck_assert_ptr_nonnull(strstr(error_last(), "broken.yml:"));
	free(p);
}
END_TEST

/* Host ranges, as Ansible expands them. Expected names from
 * `ansible-inventory -i FILE --graph` (ansible-core 2.14, Debian 12) on
 * the same text. Where Ansible yields nothing or fails obscurely, gvab
 * refuses with the reason. */
START_TEST(test_inventory_ranges)
{
	char *p = write_inv("[web]\nweb[01:03] ansible_user=x\n[db]\ndb-[a:c]:2222\nr[1:10:4]n[a:b]\n"
	                    "[mix]\nm[x:B]\nz[:2]x\n");
	static const char *want[] = {"web01", "web02", "web03", "db-a", "db-b", "db-c", "r1na", "r1nb",
	                             "r5na", "r5nb", "r9na", "r9nb", "mx", "my", "mz", "mA", "mB",
	                             "z0x", "z1x", "z2x"};
	struct inventory inv;
	ck_assert_msg(inventory_load(p, &inv) == 0, "%s", error_last());
	ck_assert_uint_eq(inv.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < inv.n; i++)
		ck_assert_str_eq(inv.hosts[i].name, want[i]);
	ck_assert_str_eq(inv.hosts[2].user, "x");
	ck_assert_int_eq(inv.hosts[4].port, 2222);
	size_t *idx;
	ck_assert_uint_eq(inventory_select(&inv, "db", &idx), 9);
	free(idx);
	inventory_free(&inv);
	free(p);
	p = write_inv_as("all:\n  hosts:\n    'n[8:10]': {gvab_sku: s}\n", "r.yml");
	ck_assert_msg(inventory_load(p, &inv) == 0, "%s", error_last());
	ck_assert_uint_eq(inv.n, 3);
	ck_assert_str_eq(inv.hosts[2].name, "n10");
	ck_assert_str_eq(inv.hosts[2].sku, "s");
	inventory_free(&inv);
	free(p);
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"[g]\nw[3:1]\n", "hosts.ini:2: host range 'w[3:1]': begin is after end"},
		{"w[1:3:0]\n", "host range 'w[1:3:0]': the step must be a whole number above 0"},
		{"w[01:3]\n", "host range 'w[01:3]': begin and end must be as wide"},
		{"w[1:\n", "host range 'w[1:': '[' without ']'"},
		{"w[ab:c]\n", "bounds must be numbers or single letters"},
		{"w[1:]\n", "host range 'w[1:]': no end value"},
		{"w[1-3]\n", "expected [BEGIN:END] or [BEGIN:END:STEP]"},
		{"w[0:99999]\n", "more than 4096 hosts"},
		{"w]1\n", "bad host name 'w]1'"},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		p = write_inv(bad[k].text);
		ck_assert_int_eq(inventory_load(p, &inv), GVAB_EDATA);
		ck_assert_msg(strstr(error_last(), bad[k].want), "case %zu: got '%s'", k, error_last());
		free(p);
	}
}
END_TEST

Suite *suite_inventory(void)
{
	Suite *s = suite_create("inventory");
	TCase *tc = tcase_create("ansible ini");
	tcase_add_test(tc, test_inventory_ok);
	tcase_add_test(tc, test_inventory_errors);
	tcase_add_test(tc, test_inventory_yaml);
	tcase_add_test(tc, test_inventory_hostile);
	tcase_add_test(tc, test_inventory_ranges);
	tcase_add_test(tc, test_inventory_yaml_caps);
	suite_add_tcase(s, tc);
	return s;
}
