/* docs/fleets.md's walk-through, run exactly as the page prints it. The
 * test reads the page: its ```ini block becomes hosts/lab.ini and every
 * ```sh block runs, in order, with `sh -ec BLOCK`, from a directory laid
 * out as the repository root (hosts/campaign.yml, build/gvab-rig and lib/,
 * build/bundle, build/arms/{stock,patched}/runsc as fake-runsc copies).
 * The inventory's hosts are made real: for every ansible_host the page
 * names, a network namespace with that address on a veth pair, running
 * Debian's sshd with generated keys, in a mount namespace of its own whose
 * /var/tmp is a folder of the test (so the "remote" /var/tmp/gvab is the
 * test's to inspect, and nothing is shared with the machine's).
 *
 * The commands see what a user's shell has: HOME (a folder of the test,
 * with ~/.ssh), PATH with gvab first, PWD. ssh reads its config from the
 * passwd entry's home, not $HOME, so the identity and known_hosts reach ssh
 * through GVAB_SSH_CONFIG (gvab) and ANSIBLE_SSH_ARGS (Ansible).
 *
 * Two tests share the page: one runs the blocks of `gvab hosts`, the other
 * those of ansible-playbook; both run the blocks that name neither (the
 * host keys) first. A missing prerequisite (ip netns, unshare, sshd;
 * ansible-playbook for the second) is a counted skip (tests/skip.h). */
#define _GNU_SOURCE
#include "itest.h"
#include "proc.h"
#include "../skip.h"
#include "util.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HOSTS 4
#define MAX_BLOCKS 16

extern char **environ;

struct page {
	char *ini;                  /* the inventory block */
	char *sh[MAX_BLOCKS];       /* the shell blocks, in order */
	int nsh;
	char *addr[MAX_HOSTS];      /* ansible_host values of the inventory */
	int naddr;
};

/* Fenced blocks of a markdown text by info string. */
static void page_read(const char *path, struct page *pg)
{
	memset(pg, 0, sizeof *pg);
	char *text = util_read_file(path, NULL);
	ck_assert_msg(text, "%s missing", path);
	for (char *s = strstr(text, "\n```"); s; s = strstr(s, "\n```")) {
		char *info = s + 4, *nl = strchr(info, '\n');
		if (!nl)
			break;
		char *end = strstr(nl, "\n```");
		ck_assert_msg(end, "%s: unclosed code block", path);
		char *body = util_fmt("%.*s\n", (int)(end - nl - 1), nl + 1);
		if (strncmp(info, "ini\n", 4) == 0 && !pg->ini)
			pg->ini = body;
		else if (strncmp(info, "sh\n", 3) == 0 && pg->nsh < MAX_BLOCKS)
			pg->sh[pg->nsh++] = body;
		else
			free(body);
		s = end + 4;
	}
	free(text);
	ck_assert_msg(pg->ini && pg->nsh > 0, "%s: no ```ini inventory or no ```sh block", path);
	for (char *a = strstr(pg->ini, "ansible_host="); a && pg->naddr < MAX_HOSTS;
	     a = strstr(a + 1, "ansible_host=")) {
		a += strlen("ansible_host=");
		pg->addr[pg->naddr++] = util_fmt("%.*s", (int)strcspn(a, " \t\n"), a);
	}
	ck_assert_msg(pg->naddr >= 2, "%s: the inventory names %d ansible_host", path, pg->naddr);
}

static void page_free(struct page *pg)
{
	free(pg->ini);
	for (int i = 0; i < pg->nsh; i++)
		free(pg->sh[i]);
	for (int i = 0; i < pg->naddr; i++)
		free(pg->addr[i]);
}

static int run_quiet(char *const *argv)
{
	char *o = NULL;
	int rc = itest_run(&o, argv);
	if (rc != 0)
		fprintf(stderr, "fleet: %s: exit %d: %s", argv[0], rc, o ? o : "");
	free(o);
	return rc;
}

static int on_path(const char *prog)
{
	char *p = util_fmt("/usr/bin/%s", prog), *s = util_fmt("/usr/sbin/%s", prog);
	int ok = access(p, X_OK) == 0 || access(s, X_OK) == 0;
	free(p);
	free(s);
	return ok;
}

struct fleet {
	char *dir, *root, *home, *cfg;
	char ns[MAX_HOSTS][16];
	int nns;
};

/* Namespace i: veth gvab-fIh (here, ADDR with .1) <-> gvab-fIp (there,
 * ADDR), sshd on port 22 there with /var/tmp bound to DIR/vartmpI. */
static int host_up(struct fleet *f, int i, const char *addr)
{
	char *ns = f->ns[i], host[32], peer[32];
	snprintf(ns, 16, "gvab-f%d", i + 1);
	snprintf(host, sizeof host, "gvab-f%dh", i + 1);
	snprintf(peer, sizeof peer, "gvab-f%dp", i + 1);
	char *net = util_xstrdup(addr);
	*strrchr(net, '.') = '\0';
	char *hip = util_fmt("%s.1/24", net), *pip = util_fmt("%s/24", addr);
	char *vartmp = util_fmt("%s/vartmp%d", f->dir, i + 1);
	char *cfg = util_fmt("%s/sshd%d.conf", f->dir, i + 1), *log = util_fmt("%s/sshd%d.log", f->dir, i + 1);
	char *text = util_fmt("Port 22\nListenAddress %s\nHostKey %s/host_key\nAuthorizedKeysFile "
	                      "%s/authorized_keys\nPermitRootLogin prohibit-password\n"
	                      "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
	                      "StrictModes no\nPidFile %s/sshd_%d.pid\n"
	                      "Subsystem sftp /usr/lib/openssh/sftp-server\n",
	                      addr, f->dir, f->dir, f->dir, i + 1);
	util_write_file_atomic(cfg, text, strlen(text));
	util_mkdir_p(vartmp, 01777);
	util_mkdir_p("/run/sshd", 0755);
	char *nsp = util_fmt("--net=/run/netns/%s", ns);
	itest_netns_clear(ns, host);
	char *c1[] = {"ip", "netns", "add", ns, NULL};
	char *c2[] = {"ip", "link", "add", host, "type", "veth", "peer", "name", peer, NULL};
	char *c3[] = {"ip", "link", "set", peer, "netns", ns, NULL};
	char *c4[] = {"ip", "addr", "add", hip, "dev", host, NULL};
	char *c5[] = {"ip", "link", "set", host, "up", NULL};
	char *c6[] = {"ip", "netns", "exec", ns, "ip", "addr", "add", pip, "dev", peer, NULL};
	char *c7[] = {"ip", "netns", "exec", ns, "ip", "link", "set", peer, "up", NULL};
	char *c8[] = {"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up", NULL};
	/* nsenter, not `ip netns exec` (which remounts /sys and hides the
	 * cgroups runsc needs); unshare for a /var/tmp of the test's. */
	char *c9[] = {"nsenter", nsp, "unshare", "--mount", "--propagation", "private", "--", "sh", "-ec",
	              "mount --bind \"$1\" /var/tmp && exec /usr/sbin/sshd -f \"$2\" -E \"$3\"", "sh",
	              vartmp, cfg, log, NULL};
	char *const *steps[] = {c1, c2, c3, c4, c5, c6, c7, c8, c9};
	int rc = 0;
	f->nns = i + 1;
	for (size_t k = 0; rc == 0 && k < sizeof steps / sizeof steps[0]; k++)
		rc = run_quiet(steps[k]);
	/* Listening before docs/fleets.md's ssh-keyscan asks for its key (seen
	 * under load: host B's key missing, "Host key verification failed"). */
	if (rc == 0)
		itest_wait_listen(addr, 22);
	free(net);
	free(hip);
	free(pip);
	free(vartmp);
	free(cfg);
	free(log);
	free(text);
	free(nsp);
	return rc;
}

static void fleet_down(struct fleet *f)
{
	for (int i = 0; i < f->nns; i++) {
		char host[32];
		snprintf(host, sizeof host, "gvab-f%dh", i + 1);
		itest_netns_clear(f->ns[i], host);
	}
}

/* The repository layout the page's commands expect, under f->root. */
static void fleet_layout(struct fleet *f, const struct page *pg)
{
	char *p;
	util_mkdir_p(f->root, 0755);
	p = util_fmt("%s/hosts", f->root);
	util_mkdir_p(p, 0755);
	free(p);
	p = util_fmt("%s/hosts/lab.ini", f->root);
	util_write_file_atomic(p, pg->ini, strlen(pg->ini));
	free(p);
	p = util_fmt("%s/hosts/campaign.yml", f->root);
	ck_assert_int_eq(util_copy_file("hosts/campaign.yml", p, 0644), 0);
	free(p);
	char *gdir = util_xstrdup(itest_gvab());
	*strrchr(gdir, '/') = '\0';
	char *real = realpath(gdir, NULL);
	static const char *link[] = {"gvab-rig", "lib"};
	for (int i = 0; i < 2; i++) {
		char *from = util_fmt("%s/%s", real, link[i]), *to = util_fmt("%s/build/%s", f->root, link[i]);
		char *dir = util_fmt("%s/build", f->root);
		util_mkdir_p(dir, 0755);
		ck_assert_int_eq(symlink(from, to), 0);
		free(from);
		free(to);
		free(dir);
	}
	free(gdir);
	free(real);
	p = util_fmt("%s/build/bundle", f->root);
	itest_bundle(p, NULL);
	free(p);
	static const char *arm[] = {"stock", "patched"};
	for (int i = 0; i < 2; i++) {
		char *dir = util_fmt("%s/build/arms/%s", f->root, arm[i]);
		char *bin = util_fmt("%s/runsc", dir);
		util_mkdir_p(dir, 0755);
		ck_assert_int_eq(util_copy_file(itest_fake(), bin, 0755), 0);
		free(dir);
		free(bin);
	}
	p = util_fmt("%s/.ssh", f->home);
	util_mkdir_p(p, 0700);
	free(p);
}

/* Keys, and the ssh config both gvab and Ansible are pointed at. */
static void fleet_keys(struct fleet *f)
{
	char *hk = util_fmt("%s/host_key", f->dir), *uk = util_fmt("%s/user_key", f->dir);
	char *k1[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk, NULL};
	char *k2[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", uk, NULL};
	ck_assert_int_eq(run_quiet(k1), 0);
	ck_assert_int_eq(run_quiet(k2), 0);
	char *pub = util_fmt("%s.pub", uk), *ak = util_fmt("%s/authorized_keys", f->dir);
	char *t = util_read_file(pub, NULL);
	util_write_file_atomic(ak, t, strlen(t));
	char *cfg = util_fmt("Host *\n  IdentityFile %s\n  IdentitiesOnly yes\n"
	                     "  UserKnownHostsFile %s/.ssh/known_hosts\n  StrictHostKeyChecking yes\n",
	                     uk, f->home);
	f->cfg = util_fmt("%s/ssh_config", f->dir);
	util_write_file_atomic(f->cfg, cfg, strlen(cfg));
	free(t);
	free(cfg);
	free(pub);
	free(ak);
	free(hk);
	free(uk);
}

/* The environment of a user's shell in the repository root. */
static char **fleet_env(const struct fleet *f)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **e = util_xcalloc(n + 10, sizeof *e);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "HOME=", 5) && strncmp(environ[i], "PATH=", 5) &&
		    strncmp(environ[i], "PWD=", 4) && strncmp(environ[i], "GVAB_SSH_CONFIG=", 16) &&
		    strncmp(environ[i], "ANSIBLE_", 8))
			e[k++] = util_xstrdup(environ[i]);
	char *gdir = util_xstrdup(itest_gvab());
	*strrchr(gdir, '/') = '\0';
	char *real = realpath(gdir, NULL);
	e[k++] = util_fmt("PATH=%s:%s", real, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	e[k++] = util_fmt("HOME=%s", f->home);
	e[k++] = util_fmt("GVAB_SSH_CONFIG=%s", f->cfg);
	e[k++] = util_fmt("ANSIBLE_SSH_ARGS=-F %s -o ControlMaster=auto -o ControlPersist=60s", f->cfg);
	e[k++] = util_xstrdup("ANSIBLE_NOCOLOR=1");
	/* One ssh per task instead of three or four: a loaded 2-CPU machine
	 * took ~60 s per task without it (sshd's re-exec alone ~6 s). */
	e[k++] = util_xstrdup("ANSIBLE_PIPELINING=1");
	e[k++] = util_fmt("ANSIBLE_LOCAL_TEMP=%s/.ansible/tmp", f->home);
	free(gdir);
	free(real);
	return e;
}

static int block_needs(const char *block, const char *prog)
{
	size_t n = strlen(prog);
	for (const char *l = block; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prog, n) == 0 && l[n] == ' ')
			return 1;
	return 0;
}

/* Entries of a directory (0 when it does not exist). */
static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static struct page pg;
static struct fleet fl;
static char *missing; /* a prerequisite this machine lacks, or NULL */

static void fleet_setup(void)
{
	static const char *need[] = {"ip", "nsenter", "unshare", "sshd", "ssh-keyscan"};
	missing = NULL;
	memset(&fl, 0, sizeof fl);
	page_read("docs/fleets.md", &pg);
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!on_path(need[i])) {
			missing = util_fmt("%s missing (hosts/install-deps.sh installs it)", need[i]);
			return;
		}
	fl.dir = itest_tmpdir("fleet");
	fl.root = util_fmt("%s/root", fl.dir);
	fl.home = util_fmt("%s/home", fl.dir);
	fleet_keys(&fl);
	fleet_layout(&fl, &pg);
	for (int i = 0; i < pg.naddr; i++)
		if (host_up(&fl, i, pg.addr[i]) != 0) {
			missing = util_xstrdup("cannot make network namespaces with sshd here (see above)");
			return;
		}
}

static void fleet_teardown(void)
{
	fleet_down(&fl);
	if (fl.dir)
		util_rm_rf(fl.dir);
	free(fl.dir);
	free(fl.root);
	free(fl.home);
	free(fl.cfg);
	free(missing);
	page_free(&pg);
}

enum block_kind { BLOCK_SETUP, BLOCK_HOSTS, BLOCK_ANSIBLE };

static enum block_kind block_kind(const char *b)
{
	if (block_needs(b, "ansible-playbook"))
		return BLOCK_ANSIBLE;
	return strstr(b, "gvab hosts ") ? BLOCK_HOSTS : BLOCK_SETUP;
}

/* Runs the setup blocks and those of `kind`, in page order, each with
 * `sh -ec BLOCK` in the repository layout; returns their output. */
static char *run_blocks(enum block_kind kind)
{
	char **env = fleet_env(&fl);
	char *outs = util_xstrdup("");
	int ran = 0;
	for (int b = 0; b < pg.nsh; b++) {
		enum block_kind k = block_kind(pg.sh[b]);
		if (k != BLOCK_SETUP && k != kind)
			continue;
		char *argv[] = {"sh", "-ec", pg.sh[b], NULL};
		char *o = NULL;
		int st = 0;
		int rc = proc_run_capture(argv, env, fl.root, &o, &st);
		int code = rc == 0 ? proc_status_code(st) : -1;
		ck_assert_msg(code == 0, "docs/fleets.md block %d exit %d:\n%s--- output:\n%s", b, code,
		              pg.sh[b], o ? o : "");
		char *all = util_fmt("%s%s", outs, o ? o : "");
		free(outs);
		free(o);
		outs = all;
		ran += k == kind;
	}
	ck_assert_msg(ran > 0, "docs/fleets.md has no block of kind %d", kind);
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
	return outs;
}

/* Results per host where the report looks (default 50 + 5 warm-ups per
 * arm, each recorded), and nothing left on the hosts. */
static void check_campaign(const char *name)
{
	for (int h = 0; h < pg.naddr; h++) {
		char *sp = util_fmt("%s/results/%s/host%c/samples.jsonl", fl.root, name, 'A' + h);
		ck_assert_msg(itest_count_lines(sp, "\"ok\":true") == 110, "%s", sp);
		free(sp);
		char *vt = util_fmt("%s/vartmp%d/gvab/%s", fl.dir, h + 1, name);
		ck_assert_msg(dir_entries(vt) == 0, "%s left on the host", vt);
		free(vt);
	}
}

START_TEST(test_fleet_gvab_hosts)
{
	if (missing)
		TEST_SKIP("%s", missing);
	char *outs = run_blocks(BLOCK_HOSTS);
	ck_assert_msg(strstr(outs, "runsc boots the bundle: yes"), "%s", outs);
	ck_assert_msg(strstr(outs, "host A: patched: core ") && strstr(outs, "host B: patched: core "),
	              "no answer line per host in:\n%s", outs);
	check_campaign("blog1");
	/* `gvab hosts clean` took gvab's folder off both hosts. */
	ck_assert_msg(strstr(outs, "hostA: removed /var/tmp/gvab"), "%s", outs);
	for (int h = 0; h < pg.naddr; h++) {
		char *g = util_fmt("%s/vartmp%d/gvab", fl.dir, h + 1);
		ck_assert_msg(!util_path_exists(g), "%s left on the host", g);
		free(g);
	}
	free(outs);
}
END_TEST

START_TEST(test_fleet_ansible)
{
	if (missing)
		TEST_SKIP("%s", missing);
	if (!on_path("ansible-playbook"))
		TEST_SKIP("ansible-playbook missing (hosts/install-deps.sh installs ansible-core)");
	char *outs = run_blocks(BLOCK_ANSIBLE);
	ck_assert_msg(strstr(outs, "host A: patched: core ") && strstr(outs, "host B: patched: core "),
	              "no answer line per host in:\n%s", outs);
	check_campaign("blog-ansible");
	free(outs);
}
END_TEST

/* After the tests, in the runner's own process: a test whose assertion
 * failed skipped its checked teardown, and the last one's namespaces would
 * stay. */
static void fleet_final(void)
{
	for (int i = 0; i < MAX_HOSTS; i++) {
		char ns[32], host[32];
		snprintf(ns, sizeof ns, "gvab-f%d", i + 1);
		snprintf(host, sizeof host, "gvab-f%dh", i + 1);
		itest_netns_clear(ns, host);
	}
}

Suite *suite_fleet(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("docs/fleets.md as printed");
	tcase_set_timeout(tc, 900);
	tcase_add_unchecked_fixture(tc, NULL, fleet_final);
	tcase_add_checked_fixture(tc, fleet_setup, fleet_teardown);
	tcase_add_test(tc, test_fleet_gvab_hosts);
	tcase_add_test(tc, test_fleet_ansible);
	suite_add_tcase(s, tc);
	return s;
}
