/* gvab hosts over real SSH: Debian's sshd started by the test on loopback
 * ports with generated host and user keys (host key checking on, through a
 * generated known_hosts), plus two hosts in network namespaces with their
 * own addresses on veth pairs; all traffic stays on this machine. A host
 * that is down, one whose runsc fails and a malformed inventory give clear
 * errors while the others complete; a rerun resumes; the campaign reports. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *dir;
static int port1, port2, port_down; /* port_down: nobody listens there */

static void sh(char *const *argv)
{
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "%s failed (%d): %s", argv[0], rc, o);
	free(o);
}

static void start_sshd(const char *tag, const char *addr, int port, const char *netns)
{
	char *cfg = util_fmt("%s/sshd_%s.conf", dir, tag);
	char *text = util_fmt("Port %d\nListenAddress %s\nHostKey %s/host_key\n"
	                      "AuthorizedKeysFile %s/authorized_keys\nPermitRootLogin prohibit-password\n"
	                      "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
	                      "StrictModes no\nPidFile %s/sshd_%s.pid\n",
	                      port, addr, dir, dir, dir, tag);
	util_write_file_atomic(cfg, text, strlen(text));
	util_mkdir_p("/run/sshd", 0755);
	char *log = util_fmt("%s/sshd_%s.log", dir, tag);
	if (netns) {
		/* nsenter, not `ip netns exec`: the latter remounts /sys for the
		 * namespace, which hides the cgroup hierarchy runsc needs. */
		char *nsp = util_fmt("--net=/run/netns/%s", netns);
		char *a[] = {"nsenter", nsp, "/usr/sbin/sshd", "-f", cfg, "-E", log, NULL};
		sh(a);
		free(nsp);
	} else {
		char *a[] = {"/usr/sbin/sshd", "-f", cfg, "-E", log, NULL};
		sh(a);
	}
	itest_wait_listen(addr, port);
	free(cfg);
	free(text);
	free(log);
}

static void stop_sshd(const char *tag)
{
	char *p = util_fmt("%s/sshd_%s.pid", dir, tag);
	char buf[32];
	if (util_read_line(p, buf, sizeof buf) == 0 && atoi(buf) > 0)
		kill(atoi(buf), SIGTERM);
	free(p);
}

static void setup(void)
{
	dir = itest_tmpdir("hosts");
	int ports[3];
	itest_free_ports(ports, 3);
	port1 = ports[0];
	port2 = ports[1];
	port_down = ports[2];
	char *hk = util_fmt("%s/host_key", dir), *uk = util_fmt("%s/user_key", dir);
	char *k1[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk, NULL};
	char *k2[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", uk, NULL};
	sh(k1);
	sh(k2);
	char *pub = util_fmt("%s.pub", uk), *ak = util_fmt("%s/authorized_keys", dir);
	char *t = util_read_file(pub, NULL);
	util_write_file_atomic(ak, t, strlen(t));
	free(t);
	start_sshd("one", "127.0.0.1", port1, NULL);
	start_sshd("two", "127.0.0.1", port2, NULL);
	char *hpub = util_fmt("%s.pub", hk);
	char *hkey = util_read_file(hpub, NULL);
	hkey[strcspn(hkey, "\n")] = '\0';
	char *kh = util_fmt("[127.0.0.1]:%d %s\n[127.0.0.1]:%d %s\n[127.0.0.1]:%d %s\n10.250.1.2 %s\n"
	                    "10.250.2.2 %s\n", port1, hkey, port2, hkey, port_down, hkey, hkey, hkey);
	char *khp = util_fmt("%s/known_hosts", dir);
	util_write_file_atomic(khp, kh, strlen(kh));
	char *cfg = util_fmt("Host *\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n"
	                     "  StrictHostKeyChecking yes\n  User root\n", uk, khp);
	char *cfgp = util_fmt("%s/ssh_config", dir);
	util_write_file_atomic(cfgp, cfg, strlen(cfg));
	setenv("GVAB_SSH_CONFIG", cfgp, 1);
	free(hk);
	free(uk);
	free(pub);
	free(ak);
	free(hpub);
	free(hkey);
	free(kh);
	free(khp);
	free(cfg);
	free(cfgp);
}

static void teardown(void)
{
	stop_sshd("one");
	stop_sshd("two");
	util_rm_rf(dir);
	free(dir);
}

static char *inventory(const char *extra)
{
	char *inv = util_fmt(
		"# test hosts: two sshd on loopback, one down, one whose runsc fails\n"
		"[vms]\n"
		"h1 ansible_host=127.0.0.1 ansible_port=%d gvab_label=\"VM one\" gvab_sku=test.small\n"
		"h2 ansible_host=127.0.0.1 ansible_port=%d\n"
		"[broken]\n"
		"down ansible_host=127.0.0.1 ansible_port=%d\n"
		"badrunsc ansible_host=127.0.0.1 ansible_port=%d gvab_env=\"FAKE_RUNSC_FAIL=create\"\n"
		"%s"
		"[all:vars]\nansible_user=root\n",
		port1, port2, port_down, port1, extra ? extra : "");
	char *p = util_fmt("%s/hosts.ini", dir);
	util_write_file_atomic(p, inv, strlen(inv));
	free(inv);
	return p;
}

static const cJSON *jmember(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(v != NULL, "status.json: no %s", k);
	return v;
}

/* RESULTS/c1/status.json after the run (or its resume): failed, as two
 * hosts failed; each host's state, the failed ones' reasons, and the
 * answer lines of those that completed, in inventory order. */
static void campaign_status_check(const char *res, int resumed)
{
	char *p = util_fmt("%s/c1/status.json", res);
	cJSON *s = util_json_load(p);
	ck_assert_msg(s != NULL, "%s missing or not JSON", p);
	ck_assert_str_eq(jmember(s, "format")->valuestring, "gvab-campaign-status/1");
	ck_assert_str_eq(jmember(s, "campaign")->valuestring, "c1");
	ck_assert_str_eq(jmember(s, "state")->valuestring, "failed");
	ck_assert_ptr_null(cJSON_GetObjectItem(s, "pid"));
	ck_assert_ptr_nonnull(jmember(s, "ended_at"));
	ck_assert_int_eq(jmember(s, "hosts_total")->valueint, 4);
	ck_assert_int_eq(jmember(s, "hosts_ok")->valueint, 2);
	ck_assert_int_eq(jmember(s, "hosts_failed")->valueint, 2);
	static const char *const name[] = {"h1", "h2", "down", "badrunsc"}, *const state[] = {"ok", "ok", "failed", "failed"};
	const cJSON *hs = jmember(s, "hosts");
	ck_assert_int_eq(cJSON_GetArraySize(hs), 4);
	for (int i = 0; i < 4; i++) {
		const cJSON *h = cJSON_GetArrayItem(hs, i);
		ck_assert_str_eq(jmember(h, "host")->valuestring, name[i]);
		ck_assert_str_eq(jmember(h, "state")->valuestring, state[i]);
		const cJSON *ans = jmember(h, "answer");
		if (i < 2) {
			ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItem(h, "resumed")), resumed);
			ck_assert_int_eq(cJSON_GetArraySize(ans), 1);
			ck_assert_msg(strstr(cJSON_GetArrayItem(ans, 0)->valuestring, "b: core median "), "%s",
			              cJSON_GetArrayItem(ans, 0)->valuestring);
		} else {
			ck_assert_ptr_nonnull(jmember(h, "error")->valuestring);
		}
	}
	ck_assert_str_eq(jmember(cJSON_GetArrayItem(hs, 0), "label")->valuestring, "VM one");
	ck_assert_ptr_nonnull(strstr(jmember(cJSON_GetArrayItem(hs, 2), "error")->valuestring, "cannot reach"));
	cJSON_Delete(s);
	free(p);
}

START_TEST(test_hosts_campaign)
{
	char *inv = inventory(NULL), *res = util_fmt("%s/results", dir), *b = util_fmt("%s/bundle", dir);
	itest_bundle(b, NULL);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *remote = util_fmt("%s/remote", dir);
	char *argv[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--campaign", "c1",
	                "--results", res, "--bundle", b, "--remote-dir", remote, "--arm", a1, "--arm",
	                a2, "--iterations", "3", "--warmups", "0", "-j", "2", NULL};
	char *o = NULL;
	/* Two hosts fail, so the campaign exits 1, but the others complete. */
	ck_assert_int_eq(itest_run(&o, argv), 1);
	ck_assert_ptr_nonnull(strstr(o, "campaign c1: 4 host(s), 2 failed"));
	/* down: ssh's own reason, not "mkdir -p ... failed (exit 255)". */
	ck_assert_msg(strstr(o, "[down] FAILED: cannot reach 127.0.0.1: ssh: connect to host 127.0.0.1") &&
	              strstr(o, "Connection refused"), "%s", o);
	ck_assert_ptr_nonnull(strstr(o, "injected failure"));                 /* badrunsc */
	/* The closing answer, per host that completed, by its label. */
	ck_assert_msg(strstr(o, "VM one: b: core ") && strstr(o, "(unpaired, n=3)"), "%s", o);
	free(o);
	static const char *okh[] = {"h1", "h2"};
	for (int i = 0; i < 2; i++) {
		char *sp = util_fmt("%s/c1/%s/samples.jsonl", res, okh[i]);
		ck_assert_int_eq(itest_count_lines(sp, "\"ok\":true"), 6);
		free(sp);
	}
	char *rj = util_fmt("%s/c1/h1/run.json", res);
	cJSON *run = util_json_load(rj);
	ck_assert_str_eq(cJSON_GetObjectItem(run, "host_label")->valuestring, "VM one");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "host_meta"), "sku")->valuestring,
	                 "test.small");
	cJSON_Delete(run);
	/* The failed host's samples came back too: nothing lost. */
	char *bs = util_fmt("%s/c1/badrunsc/samples.jsonl", res);
	ck_assert_int_eq(itest_count_lines(bs, "\"failed_phase\":\"create\""), 3);
	/* What the campaign copied is gone from the hosts (they share this
	 * machine's file system): not even the campaign's folder is left. */
	ck_assert_msg(!util_path_exists(remote), "%s left behind", remote);
	campaign_status_check(res, 0);
	/* Resume: complete hosts are not rerun. */
	ck_assert_int_eq(itest_run(&o, argv), 1);
	ck_assert_ptr_nonnull(strstr(o, "[h1] complete already, skipped (resume)"));
	ck_assert_ptr_nonnull(strstr(o, "[h2] complete already, skipped (resume)"));
	free(o);
	campaign_status_check(res, 1);
	/* A rerun with other arms (swapped) or options is refused before any
	 * host is contacted, naming what differs; the results stay. */
	char *swapped[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--campaign", "c1",
	                   "--results", res, "--bundle", b, "--remote-dir", remote, "--arm", a2, "--arm",
	                   a1, "--iterations", "30", "--warmups", "0", "-j", "2", NULL};
	ck_assert_int_eq(itest_run(&o, swapped), 64);
	ck_assert_msg(strstr(o, "campaign c1 was run with other settings") &&
	              strstr(o, "arms a, b there, b, a here") &&
	              strstr(o, "options '--iterations 3 --warmups 0' there, '--iterations 30 --warmups 0' here"),
	              "%s", o);
	ck_assert_ptr_null(strstr(o, "complete already"));
	free(o);
	char *other = util_fmt("%s/other-runsc", dir), *a1o = util_fmt("a=%s", other);
	ck_assert_int_eq(util_copy_file(itest_fake(), other, 0755), 0);
	FILE *f = fopen(other, "a");
	fputs("changed", f);
	fclose(f);
	char *rebuilt[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--campaign", "c1",
	                   "--results", res, "--bundle", b, "--remote-dir", remote, "--arm", a1o, "--arm",
	                   a2, "--iterations", "3", "--warmups", "0", "-j", "2", NULL};
	ck_assert_int_eq(itest_run(&o, rebuilt), 64);
	ck_assert_msg(strstr(o, "arm a: binary sha256 "), "%s", o);
	free(o);
	free(other);
	free(a1o);
	/* The campaign report: per-host table with inventory labels. */
	char *rep = util_fmt("%s/report", dir), *camp = util_fmt("%s/c1", res);
	char *r[] = {(char *)itest_gvab(), "report", "--sort", "core", "--out", rep, camp, NULL};
	ck_assert_int_eq(itest_run(&o, r), 0);
	free(o);
	char *md = util_fmt("%s/report.md", rep);
	char *t = util_read_file(md, NULL);
	ck_assert_ptr_nonnull(strstr(t, "| VM one |"));
	ck_assert_ptr_nonnull(strstr(t, "| h2 |"));
	free(t);
	char *png = util_fmt("%s/core_by_host.png", rep);
	ck_assert(util_path_exists(png));
	free(png);
	free(md);
	free(rep);
	free(camp);
	free(bs);
	free(rj);
	free(inv);
	free(res);
	free(b);
	free(a1);
	free(a2);
	free(remote);
}
END_TEST

START_TEST(test_hosts_list_check_errors)
{
	char *inv = inventory(NULL), *o = NULL;
	char *l[] = {(char *)itest_gvab(), "hosts", "list", "--inventory", inv, "--limit", "vms", NULL};
	ck_assert_int_eq(itest_run(&o, l), 0);
	ck_assert_ptr_nonnull(strstr(o, "label VM one, sku test.small"));
	ck_assert_ptr_null(strstr(o, "badrunsc"));
	free(o);
	char *b = util_fmt("%s/bundle", dir), *remote = util_fmt("%s/remote", dir);
	itest_bundle(b, NULL);
	char *c[] = {(char *)itest_gvab(), "hosts", "check", "--inventory", inv, "--bundle", b,
	             "--remote-dir", remote, "--runsc", (char *)itest_fake(), NULL};
	ck_assert_int_eq(itest_run(&o, c), 1); /* "down" is unreachable */
	ck_assert_ptr_nonnull(strstr(o, "h1 (root@127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(o, "root: yes"));
	ck_assert_ptr_nonnull(strstr(o, "runsc boots the bundle: yes"));
	ck_assert_ptr_nonnull(strstr(o, "reachable: NO"));
	free(o);
	/* The check left nothing on the host: no run directory, no copy. */
	char *cdir = util_fmt("%s/check/h1", remote);
	ck_assert_msg(!util_path_exists(cdir), "%s left behind", cdir);
	free(cdir);
	/* A malformed inventory: file, line and reason; exit 65. */
	char *bad = util_fmt("%s/bad.ini", dir);
	util_write_file_atomic(bad, "[vms]\nh1 ansible_port\n", 22);
	char *lb[] = {(char *)itest_gvab(), "hosts", "list", "--inventory", bad, NULL};
	ck_assert_int_eq(itest_run(&o, lb), 65);
	ck_assert_ptr_nonnull(strstr(o, "bad.ini:2: 'ansible_port' is not key=value"));
	free(o);
	char *nocamp[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, NULL};
	ck_assert_int_eq(itest_run(&o, nocamp), 64);
	ck_assert_ptr_nonnull(strstr(o, "--campaign"));
	free(o);
	free(bad);
	free(b);
	free(remote);
	free(inv);
}
END_TEST

/* A compromised host: whatever it sends, the pull writes regular files and
 * nothing through symlinks; names from the command line and the inventory
 * never leave --results or --remote-dir. */
START_TEST(test_hosts_hostile)
{
	char *inv = inventory(NULL), *res = util_fmt("%s/results", dir), *b = util_fmt("%s/bundle", dir);
	itest_bundle(b, NULL);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *remote = util_fmt("%s/remote", dir);
	/* Symlinks left in h1's results directory (as the old tar pull let a
	 * host create) point at files outside; neither may be written. */
	char *victim = util_fmt("%s/victim", dir), *victim2 = util_fmt("%s/victim2", dir);
	util_write_file_atomic(victim, "keep\n", 5);
	util_write_file_atomic(victim2, "keep\n", 5);
	char *h1 = util_fmt("%s/c2/h1", res), *h2 = util_fmt("%s/c2/h2", res);
	util_mkdir_p(h1, 0755);
	util_mkdir_p(h2, 0755);
	char *rl = util_fmt("%s/run.log", h1), *sj = util_fmt("%s/samples.jsonl", h2);
	ck_assert_int_eq(symlink(victim, rl), 0);
	ck_assert_int_eq(symlink(victim2, sj), 0);
	char *argv[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--limit", "vms",
	                "--campaign", "c2", "--results", res, "--bundle", b, "--remote-dir", remote,
	                "--arm", a1, "--arm", a2, "--iterations", "2", "--warmups", "0", NULL};
	char *o = NULL;
	ck_assert_int_eq(itest_run(&o, argv), 1); /* h1 refuses its run.log */
	ck_assert_msg(strstr(o, "run.log: Too many levels of symbolic links (a symlink; refused)"), "%s", o);
	free(o);
	char *t = util_read_file(victim, NULL), *t2 = util_read_file(victim2, NULL);
	ck_assert_str_eq(t, "keep\n");
	ck_assert_str_eq(t2, "keep\n");
	free(t);
	free(t2);
	/* h2's samples.jsonl is now a regular file with the run's samples. */
	struct stat st;
	ck_assert_int_eq(lstat(sj, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(itest_count_lines(sj, "\"ok\":true"), 4);
	/* Names that are paths. */
	char *dots[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--campaign", "..",
	                "--results", res, "--arm", a1, "--arm", a2, NULL};
	ck_assert_int_eq(itest_run(&o, dots), 64);
	ck_assert_ptr_nonnull(strstr(o, "--campaign NAME"));
	free(o);
	char *evil = util_fmt("../../../escape=%s", itest_fake());
	char *arm[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--campaign", "c3",
	               "--results", res, "--arm", evil, "--arm", a2, NULL};
	ck_assert_int_eq(itest_run(&o, arm), 64);
	ck_assert_ptr_nonnull(strstr(o, "NAME must be"));
	free(o);
	free(evil);
	free(rl);
	free(sj);
	free(h1);
	free(h2);
	free(victim);
	free(victim2);
	free(inv);
	free(res);
	free(b);
	free(a1);
	free(a2);
	free(remote);
}
END_TEST

/* Every ssh gvab runs (commands, copies, `-O exit`) ends its options with
 * "--" before the destination and keeps BatchMode; argv of any size (39
 * gvab_env words, 16 arms, 32 options overflowed a fixed argv[128]). A fake
 * ssh first in PATH records each argv. */
START_TEST(test_hosts_ssh_argv)
{
	char *bin = util_fmt("%s/fakebin", dir), *log = util_fmt("%s/ssh.log", dir);
	util_mkdir_p(bin, 0755);
	char *ssh = util_fmt("%s/ssh", bin);
	/* The "host" sends back a samples line whose error holds a terminal
	 * escape sequence. */
	char *script = util_fmt("#!/bin/sh\n{ echo ARGV; for a in \"$@\"; do echo \"$a\"; done; } >> %s\n"
	                        "case \"$*\" in *\"'cat' '--'\"*samples.jsonl*) printf '%%s\\n' "
	                        "'{\"error\":\"\\u001b]0;pwned\\u0007x\"}';; esac\n"
	                        "cat > /dev/null\nexit 0\n", log);
	util_write_file_atomic(ssh, script, strlen(script));
	chmod(ssh, 0755);
	size_t cap = 4096, len = 0;
	char *env = util_xmalloc(cap);
	len += (size_t)snprintf(env + len, cap - len, "gvab_env=\"");
	for (int i = 0; i < 39; i++)
		len += (size_t)snprintf(env + len, cap - len, "%sV%d=%d", i ? " " : "", i, i);
	snprintf(env + len, cap - len, "\"");
	char *invtext = util_fmt("[vms]\nh1 ansible_host=127.0.0.1 ansible_port=%d %s\n", port1, env);
	char *inv = util_fmt("%s/many.ini", dir);
	util_write_file_atomic(inv, invtext, strlen(invtext));
	char *b = util_fmt("%s/bundle", dir), *res = util_fmt("%s/results", dir);
	itest_bundle(b, NULL);
	char *argv[128];
	int k = 0;
	char *owned[32];
	int no = 0;
	argv[k++] = (char *)itest_gvab();
	argv[k++] = "hosts";
	argv[k++] = "run";
	argv[k++] = "--inventory";
	argv[k++] = inv;
	argv[k++] = "--campaign";
	argv[k++] = "many";
	argv[k++] = "--results";
	argv[k++] = res;
	argv[k++] = "--bundle";
	argv[k++] = b;
	for (int i = 0; i < 16; i++) {
		argv[k++] = "--arm";
		argv[k++] = owned[no++] = util_fmt("arm%d=%s", i, itest_fake());
	}
	for (int i = 0; i < 16; i++) {
		argv[k++] = "--set";
		argv[k++] = "rcu_expedited=0";
	}
	argv[k] = NULL;
	const char *path0 = getenv("PATH");
	char *path = util_fmt("%s:%s", bin, path0);
	char *saved = util_xstrdup(path0);
	setenv("PATH", path, 1);
	char *o = NULL;
	int rc = itest_run(&o, argv);
	setenv("PATH", saved, 1);
	ck_assert_msg(rc == 1, "exit %d: %s", rc, o); /* the fake ssh brings back no run */
	ck_assert_msg(strstr(o, "no boot succeeded on the host; first error: ?]0;pwned?x"), "%s", o);
	ck_assert_msg(!strchr(o, '\033'), "an escape sequence from the host reached the terminal");
	free(o);
	char *text = util_read_file(log, NULL);
	ck_assert_ptr_nonnull(text);
	int calls = 0, exits = 0;
	for (char *blk = strstr(text, "ARGV\n"); blk; blk = strstr(blk + 1, "ARGV\n")) {
		char *end = strstr(blk + 1, "ARGV\n");
		size_t n = end ? (size_t)(end - blk) : strlen(blk);
		char *one = util_fmt("%.*s", (int)n, blk);
		calls++;
		ck_assert_msg(strstr(one, "\n--\n127.0.0.1\n"), "no '-- ADDRESS' in %s", one);
		ck_assert_msg(strstr(one, "\nBatchMode=yes\n"), "no BatchMode in %s", one);
		ck_assert_msg(strstr(one, "\nConnectTimeout=10\n"), "no ConnectTimeout in %s", one);
		if (strstr(one, "\n-O\nexit\n"))
			exits++;
		if (strstr(one, "gvab-rig' 'run'")) {
			ck_assert_msg(strstr(one, "'V38=38'") && strstr(one, "'arm15="), "%s", one);
		}
		free(one);
	}
	ck_assert_int_ge(calls, 5);
	ck_assert_int_eq(exits, 1);
	/* ControlPath sockets live in a mkdtemp directory, not /tmp/gvab-ssh-PID
	 * (a name anyone could create first): six random characters, not a pid. */
	const char *cp = strstr(text, "ControlPath=/tmp/gvab-ssh-");
	ck_assert_ptr_nonnull(cp);
	cp += strlen("ControlPath=/tmp/gvab-ssh-");
	ck_assert_msg(cp[6] == '/' && strspn(cp, "0123456789") < 6, "ControlPath %.40s", cp - 26);
	free(text);
	for (int i = 0; i < no; i++)
		free(owned[i]);
	free(path);
	free(saved);
	free(bin);
	free(log);
	free(ssh);
	free(script);
	free(env);
	free(invtext);
	free(inv);
	free(b);
	free(res);
}
END_TEST

/* What gvab leaves on a host, and messages that name the next step:
 * --keep-remote keeps the campaign's copy, `hosts clean` removes gvab's
 * folder, `hosts check` leaves nothing; gvab run's options (here
 * --cpu-placement and --syscalls) pass through to every host; an unknown
 * host key and a missing bundle say how to fix them. */
START_TEST(test_hosts_remote_and_messages)
{
	char *extra = util_fmt("[unknownkey]\nnokey ansible_host=localhost ansible_port=%d\n", port1);
	char *inv = inventory(extra);
	free(extra);
	char *res = util_fmt("%s/results", dir), *b = util_fmt("%s/bundle", dir);
	itest_bundle(b, NULL);
	char *a1 = util_fmt("a=%s", itest_fake()), *a2 = util_fmt("b=%s", itest_fake());
	char *remote = util_fmt("%s/gvab-remote", dir), *o = NULL;
	char *keep[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--limit", "h1",
	                "--campaign", "k1", "--results", res, "--bundle", b, "--remote-dir", remote,
	                "--keep-remote", "--arm", a1, "--arm", a2, "--iterations", "2", "--warmups", "0",
	                "--cpu-placement", "shared", "--syscalls", NULL};
	ck_assert_msg(itest_run(&o, keep) == 0, "%s", o);
	free(o);
	char *kept = util_fmt("%s/k1/h1/gvab-rig", remote);
	ck_assert_msg(util_path_exists(kept), "--keep-remote: %s is gone", kept);
	char *rj = util_fmt("%s/k1/h1/run.json", res);
	char *t = util_read_file(rj, NULL);
	ck_assert_msg(strstr(t, "--cpu-placement") && strstr(t, "--syscalls"), "%s", t);
	free(t);
	char *clean[] = {(char *)itest_gvab(), "hosts", "clean", "--inventory", inv, "--limit", "vms",
	                 "--remote-dir", remote, NULL};
	ck_assert_int_eq(itest_run(&o, clean), 0);
	ck_assert_msg(strstr(o, "h1: removed ") && !util_path_exists(remote), "%s", o);
	free(o);
	char *home[] = {(char *)itest_gvab(), "hosts", "clean", "--inventory", inv, "--limit", "h1",
	                "--remote-dir", dir, NULL};
	/* A --remote-dir with other files: only DIR/X/HOST folders go. */
	ck_assert_int_eq(itest_run(&o, home), 0);
	ck_assert_msg(util_path_exists(rj) && util_path_exists(b), "clean removed more than its own");
	free(o);
	/* check: nothing left; an unknown host key names ssh-keyscan. */
	char *check[] = {(char *)itest_gvab(), "hosts", "check", "--inventory", inv, "--limit", "h1",
	                 "--bundle", b, "--remote-dir", remote, "--runsc", (char *)itest_fake(), NULL};
	ck_assert_msg(itest_run(&o, check) == 0, "%s", o);
	ck_assert_msg(!util_path_exists(remote), "check left %s", remote);
	free(o);
	char *nokey[] = {(char *)itest_gvab(), "hosts", "check", "--inventory", inv, "--limit",
	                 "unknownkey", "--bundle", b, "--remote-dir", remote, NULL};
	ck_assert_int_eq(itest_run(&o, nokey), 1);
	char *want = util_fmt("Host key verification failed. ssh does not know this host's key: add it "
	                      "with `ssh-keyscan -p %d localhost >> ~/.ssh/known_hosts`", port1);
	ck_assert_msg(strstr(o, want), "%s", o);
	free(want);
	free(o);
	/* A missing bundle says how to make one. */
	char *nob = util_fmt("%s/no-bundle", dir);
	char *check2[] = {(char *)itest_gvab(), "hosts", "check", "--inventory", inv, "--limit", "h1",
	                  "--bundle", nob, "--remote-dir", remote, NULL};
	ck_assert_int_ne(itest_run(&o, check2), 0);
	ck_assert_msg(strstr(o, "gvab bundle --out"), "%s", o);
	free(o);
	free(nob);
	free(kept);
	free(rj);
	free(inv);
	free(res);
	free(b);
	free(a1);
	free(a2);
	free(remote);
}
END_TEST

/* Two hosts in their own network namespaces (veth, 10.250.N.0/24), each
 * with its own sshd, reached over SSH with real runsc. */
START_TEST(test_hosts_netns_real_runsc)
{
	static const char *ns[] = {"gvab-t1", "gvab-t2"};
	for (int i = 0; i < 2; i++) {
		char *host = util_fmt("gvab-v%d", i + 1), *peer = util_fmt("gvab-v%dp", i + 1);
		char *hip = util_fmt("10.250.%d.1/24", i + 1), *pip = util_fmt("10.250.%d.2/24", i + 1);
		char *addr = util_fmt("10.250.%d.2", i + 1);
		itest_netns_clear(ns[i], host);
		char *c1[] = {"ip", "netns", "add", (char *)ns[i], NULL};
		char *c2[] = {"ip", "link", "add", host, "type", "veth", "peer", "name", peer, NULL};
		char *c3[] = {"ip", "link", "set", peer, "netns", (char *)ns[i], NULL};
		char *c4[] = {"ip", "addr", "add", hip, "dev", host, NULL};
		char *c5[] = {"ip", "link", "set", host, "up", NULL};
		char *c6[] = {"ip", "netns", "exec", (char *)ns[i], "ip", "addr", "add", pip, "dev", peer, NULL};
		char *c7[] = {"ip", "netns", "exec", (char *)ns[i], "ip", "link", "set", peer, "up", NULL};
		char *c8[] = {"ip", "netns", "exec", (char *)ns[i], "ip", "link", "set", "lo", "up", NULL};
		sh(c1);
		sh(c2);
		sh(c3);
		sh(c4);
		sh(c5);
		sh(c6);
		sh(c7);
		sh(c8);
		start_sshd(ns[i], addr, 22, ns[i]);
		free(host);
		free(peer);
		free(hip);
		free(pip);
		free(addr);
	}
	char *inv = util_fmt("%s/netns.ini", dir);
	const char *text = "[netns]\nns1 ansible_host=10.250.1.2 gvab_label=\"netns one\"\n"
	                   "ns2 ansible_host=10.250.2.2 gvab_label=\"netns two\"\n[netns:vars]\nansible_user=root\n";
	util_write_file_atomic(inv, text, strlen(text));
	char *res = util_fmt("%s/results", dir), *b = util_fmt("%s/bundle", dir);
	char *remote = util_fmt("%s/remote", dir);
	itest_bundle(b, NULL);
	char *argv[] = {(char *)itest_gvab(), "hosts", "run", "--inventory", inv, "--campaign", "real",
	                "--results", res, "--bundle", b, "--remote-dir", remote,
	                "--arm", "a=/usr/bin/runsc", "--arm", "b=/usr/bin/runsc", "--iterations", "1",
	                "--warmups", "0", "-j", "1", NULL};
	char *o = NULL;
	int rc = itest_run(&o, argv);
	for (int i = 0; i < 2; i++) {
		char *host = util_fmt("gvab-v%d", i + 1);
		itest_netns_clear(ns[i], host);
		free(host);
	}
	ck_assert_msg(rc == 0, "netns campaign exit %d: %s", rc, o);
	free(o);
	for (int i = 1; i <= 2; i++) {
		char *sp = util_fmt("%s/real/ns%d/samples.jsonl", res, i);
		char *txt = util_read_file(sp, NULL);
		ck_assert_msg(itest_count_lines(sp, "\"ok\":true") == 2, "%s: %s", sp, txt ? txt : "(missing)");
		free(txt);
		free(sp);
	}
	free(inv);
	free(res);
	free(b);
	free(remote);
}
END_TEST

Suite *suite_hosts(void)
{
	Suite *s = suite_create("hosts (ssh)");
	TCase *tc = tcase_create("sshd on loopback");
	/* Four hosts, reruns and checks over ssh: minutes on a loaded 2-CPU
	 * machine (load 20 took over 300 s). */
	tcase_set_timeout(tc, 900);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hosts_list_check_errors);
	tcase_add_test(tc, test_hosts_campaign);
	tcase_add_test(tc, test_hosts_hostile);
	tcase_add_test(tc, test_hosts_ssh_argv);
	tcase_add_test(tc, test_hosts_remote_and_messages);
	suite_add_tcase(s, tc);
	return s;
}

/* Real runsc boots in network namespaces of fixed names and addresses: a
 * suite of its own in the full tier's "real" lane (itest.c), so the
 * sanitizer pass, which runs the fake-runsc suite above beside it, never
 * makes the same namespaces at the same time. */
/* After the test, in the runner's own process: a failed assertion skips
 * the test's own teardown of its namespaces. */
static void netns_final(void)
{
	itest_netns_clear("gvab-t1", "gvab-v1");
	itest_netns_clear("gvab-t2", "gvab-v2");
}

Suite *suite_hosts_real(void)
{
	Suite *s = suite_create("hosts (netns, real runsc)");
	TCase *real = tcase_create("netns with real runsc");
	tcase_set_timeout(real, 300);
	tcase_add_unchecked_fixture(real, NULL, netns_final);
	tcase_add_checked_fixture(real, setup, teardown);
	tcase_add_test(real, test_hosts_netns_real_runsc);
	suite_add_tcase(s, real);
	return s;
}
