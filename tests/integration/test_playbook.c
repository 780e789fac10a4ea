/* hosts/campaign.yml with Debian's ansible-core against Debian's sshd on
 * loopback (started by the test with generated keys): the playbook pushes
 * gvab-rig, the bundle and two fake-runsc arms, runs the campaign as root,
 * and fetches run.json and samples.jsonl into results/NAME/HOST/, which
 * `gvab report` reads unchanged. */
#define _GNU_SOURCE
#include "itest.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void run_ok(char *const *argv)
{
	char *o = NULL;
	int rc = itest_run(&o, argv);
	ck_assert_msg(rc == 0, "%s failed (%d): %s", argv[0], rc, o);
	free(o);
}

START_TEST(test_playbook_campaign)
{
	if (access("/usr/bin/ansible-playbook", X_OK) != 0) {
		ck_abort_msg("ansible-playbook missing (hosts/install-deps.sh installs ansible-core)");
	}
	char *d = itest_tmpdir("playbook");
	int port;
	itest_free_ports(&port, 1);
	char *hk = util_fmt("%s/host_key", d), *uk = util_fmt("%s/user_key", d);
	char *k1[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk, NULL};
	char *k2[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", uk, NULL};
	run_ok(k1);
	run_ok(k2);
	char *pub = util_fmt("%s.pub", uk), *ak = util_fmt("%s/authorized_keys", d);
	char *t = util_read_file(pub, NULL);
	ck_assert_int_eq(util_write_file_atomic(ak, t, strlen(t)), 0);
	free(t);
	char *cfg = util_fmt("%s/sshd.conf", d), *pidf = util_fmt("%s/sshd.pid", d);
	char *text = util_fmt("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\n"
	                      "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
	                      "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile %s\n"
	                      "Subsystem sftp /usr/lib/openssh/sftp-server\n",
	                      port, hk, ak, pidf);
	ck_assert_int_eq(util_write_file_atomic(cfg, text, strlen(text)), 0);
	util_mkdir_p("/run/sshd", 0755);
	char *sv[] = {"/usr/sbin/sshd", "-f", cfg, NULL};
	run_ok(sv);
	itest_wait_listen("127.0.0.1", port);

	/* Arms: two copies of the fake runsc; the bundle; the inventory. */
	char *a = util_fmt("%s/a-runsc", d), *b = util_fmt("%s/b-runsc", d), *bundle = util_fmt("%s/bundle", d);
	ck_assert_int_eq(util_copy_file(itest_fake(), a, 0755), 0);
	ck_assert_int_eq(util_copy_file(itest_fake(), b, 0755), 0);
	itest_bundle(bundle, NULL);
	char *inv = util_fmt("%s/hosts.ini", d);
	char *it = util_fmt("[vms]\nh1 ansible_host=127.0.0.1 ansible_port=%d gvab_label=\"VM one\" "
	                    "gvab_sku=test.small\n[all:vars]\nansible_user=root\n"
	                    "ansible_ssh_private_key_file=%s\nansible_python_interpreter=/usr/bin/python3\n",
	                    port, uk);
	ck_assert_int_eq(util_write_file_atomic(inv, it, strlen(it)), 0);
	char *gvab_dir = util_xstrdup(itest_gvab());
	*strrchr(gvab_dir, '/') = '\0';
	char *res = util_fmt("%s/results", d), *remote = util_fmt("%s/remote", d);
	char *vars = util_fmt("{\"gvab_campaign\": \"camp\", \"gvab_arms\": [\"a=%s\", \"b=%s\"], "
	                      "\"gvab_iterations\": 6, \"gvab_warmups\": 1, \"gvab_build\": \"%s\", "
	                      "\"gvab_bundle\": \"%s\", \"gvab_results\": \"%s\", \"gvab_remote_dir\": \"%s\", "
	                      "\"gvab_env\": {\"FAKE_SANDBOX_MS\": \"2\"}}",
	                      a, b, gvab_dir, bundle, res, remote);
	char *varsf = util_fmt("%s/vars.json", d), *varsarg = util_fmt("@%s", varsf);
	ck_assert_int_eq(util_write_file_atomic(varsf, vars, strlen(vars)), 0);
	setenv("ANSIBLE_HOST_KEY_CHECKING", "False", 1);
	setenv("ANSIBLE_NOCOLOR", "1", 1);
	char *av[] = {"ansible-playbook", "-i", inv, "hosts/campaign.yml", "-e", varsarg, NULL};
	char *o = NULL;
	int rc = itest_run(&o, av);
	ck_assert_msg(rc == 0, "ansible-playbook exit %d: %s", rc, o);
	free(o);
	char *rj = util_fmt("%s/camp/h1/run.json", res), *sj = util_fmt("%s/camp/h1/samples.jsonl", res);
	ck_assert_msg(util_path_exists(rj) && util_path_exists(sj), "no results in %s", res);
	ck_assert_int_eq(itest_count_lines(sj, "\"ok\":true"), 14);
	ck_assert_int_ge(itest_count_lines(rj, "\"label\":\t\"VM one\""), 0);
	char *camp = util_fmt("%s/camp", res), *rout = util_fmt("%s/report", d);
	char *rv[] = {(char *)itest_gvab(), "report", "--no-charts", "--out", rout, camp, NULL};
	rc = itest_run(&o, rv);
	ck_assert_msg(rc == 0, "gvab report: %s", o);
	free(o);
	char *md = util_fmt("%s/report.md", rout);
	ck_assert_int_ge(itest_count_lines(md, "VM one"), 1);

	char buf[32];
	if (util_read_line(pidf, buf, sizeof buf) == 0 && atoi(buf) > 0)
		kill(atoi(buf), SIGTERM);
	unsetenv("ANSIBLE_HOST_KEY_CHECKING");
	unsetenv("ANSIBLE_NOCOLOR");
	util_rm_rf(d);
	free(md);
	free(camp);
	free(rout);
	free(rj);
	free(sj);
	free(varsf);
	free(varsarg);
	free(vars);
	free(res);
	free(remote);
	free(gvab_dir);
	free(it);
	free(inv);
	free(a);
	free(b);
	free(bundle);
	free(cfg);
	free(pidf);
	free(text);
	free(pub);
	free(ak);
	free(hk);
	free(uk);
	free(d);
}
END_TEST

Suite *suite_playbook(void)
{
	Suite *s = suite_create("ansible playbook");
	TCase *tc = tcase_create("campaign");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_playbook_campaign);
	suite_add_tcase(s, tc);
	return s;
}
