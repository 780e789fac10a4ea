/* runspec: a run's spec survives being recorded in run.json and read back
 * (what `gate --adaptive` repeats). Every option of `gvab run`'s table is
 * given a value other than its default, parsed by the command layer
 * (run_spec_parse), written by run.json's one writer (runjson_describe),
 * checked by the validating reader (samples_run_check), read back
 * (run_spec_from_run_json), and compared field by field. The options of
 * one invocation only (--out, --append, --quiet) are listed as such; an
 * option in neither list fails the test, so a new option must be recorded. */
#include "tests.h"
#include "error.h"
#include "proc.h"
#include "runjson.h"
#include "runopts.h"
#include "samples.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Each option of `gvab run` with a non-default value (NULL: a flag). */
static const struct {
	const char *name, *value;
} given[] = {
	{"arm", "a=/nonexistent/a/runsc,--debug-flag=1,knob:rcu_expedited=1,env:GVAB_X=1,stage:cold"},
	{"bundle", "/nonexistent/bundle"},
	{"iterations", "17"},
	{"warmups", "3"},
	{"order", "random"},
	{"seed", "12345"},
	{"set", "thp_enabled=never"},
	{"drop-caches", NULL},
	{"settle-ms", "40"},
	{"cpu-placement", "split"},
	{"timeout-ms", "2500"},
	{"max-failures", "7"},
	{"expect-exit", "1"},
	{"phases", NULL},
	{"inittrace", NULL},
	{"syscalls", NULL},
	{"counters", "hw"},
	{"warm-pool", "9"},
	{"workload", "idle"},
	{"cold", NULL},
	{"memory", "4"},
	{"label", "lab-host"},
	{"meta", "sku=n2"},
	{"cleanup-timeout-ms", "1500"},
};
/* One invocation's, not the run's: never recorded as part of the run. */
static const char *const per_invocation[] = {"out", "append", "quiet"};

static int listed(const char *name)
{
	for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
		if (strcmp(given[i].name, name) == 0)
			return 1;
	for (size_t i = 0; i < sizeof per_invocation / sizeof per_invocation[0]; i++)
		if (strcmp(per_invocation[i], name) == 0)
			return 1;
	return 0;
}

static void same_arm(const struct run_arm *x, const struct run_arm *y)
{
	ck_assert_str_eq(x->name, y->name);
	ck_assert_str_eq(x->runsc, y->runsc);
	ck_assert_uint_eq(x->nflags, y->nflags);
	for (size_t i = 0; i < x->nflags; i++)
		ck_assert_str_eq(x->flags[i], y->flags[i]);
	ck_assert_uint_eq(x->nknobs, y->nknobs);
	for (size_t i = 0; i < x->nknobs; i++) {
		ck_assert_str_eq(x->knob_name[i], y->knob_name[i]);
		ck_assert_str_eq(x->knob_value[i], y->knob_value[i]);
	}
	ck_assert_int_eq(x->stage, y->stage);
	ck_assert_uint_eq(x->nenv, y->nenv);
	for (size_t i = 0; i < x->nenv; i++)
		ck_assert_str_eq(x->env[i], y->env[i]);
}

START_TEST(test_runspec_every_option_survives_run_json)
{
	for (const struct opt *o = run_cmd.opts; o->name; o++)
		ck_assert_msg(listed(o->name), "gvab run --%s: not in this test: record it in run.json and "
		                               "read it back in runspec.c, then list it here", o->name);
	char *argv[2 * sizeof given / sizeof given[0] + 8];
	int argc = 0;
	argv[argc++] = "run";
	for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
		char *w = util_fmt("--%s%s%s", given[i].name,
		                   given[i].value && strcmp(given[i].name, "memory") == 0 ? "=" : "",
		                   given[i].value && strcmp(given[i].name, "memory") == 0 ? given[i].value : "");
		argv[argc++] = w;
		if (given[i].value && strcmp(given[i].name, "memory") != 0)
			argv[argc++] = util_xstrdup(given[i].value);
	}
	argv[argc++] = util_xstrdup("--arm");
	argv[argc++] = util_xstrdup("b=/nonexistent/b/runc");
	argv[argc] = NULL;
	struct run_spec s1, s2;
	ck_assert_int_eq(run_spec_parse(argc, argv, &s1), 0);

	char *words[] = {"/bin/gvab-workload", "idle", NULL};
	cJSON *host = cJSON_CreateObject();
	cJSON_AddStringToObject(host, "hostname", "h");
	cJSON_AddNumberToObject(host, "online_cpus", 2);
	struct runjson_start st = {.started_at = "2026-12-02T18:00:00Z", .bundle_real = s1.bundle,
	                           .seed = s1.seed, .placement_desc = "split: gvab on CPU 1, children on 0",
	                           .workload_words = words, .host = host};
	cJSON *run = runjson_describe(&s1, &st);
	ck_assert_int_eq(samples_run_check(run, "run.json"), 0);
	ck_assert_int_eq(run_spec_from_run_json(run, "run.json", &s2), 0);

	ck_assert_uint_eq(s1.narms, s2.narms);
	for (size_t i = 0; i < s1.narms; i++)
		same_arm(&s1.arms[i], &s2.arms[i]);
	ck_assert_str_eq(s1.bundle, s2.bundle);
	ck_assert_int_eq(s1.iterations, s2.iterations);
	ck_assert_int_eq(s1.warmups, s2.warmups);
	ck_assert_int_eq(s1.timeout_ms, s2.timeout_ms);
	ck_assert_int_eq(s1.cleanup_ms, s2.cleanup_ms);
	ck_assert_int_eq(s1.max_fail, s2.max_fail);
	ck_assert_int_eq(s1.expect_exit, s2.expect_exit);
	ck_assert_int_eq(s1.warm_k, s2.warm_k);
	ck_assert_int_eq(s1.memory_k, s2.memory_k);
	ck_assert_int_eq(s1.order, s2.order);
	ck_assert(s1.seed == s2.seed && s1.have_seed && s2.have_seed);
	ck_assert_uint_eq(s1.nset, s2.nset);
	for (size_t i = 0; i < s1.nset; i++) {
		ck_assert_str_eq(s1.set_name[i], s2.set_name[i]);
		ck_assert_str_eq(s1.set_value[i], s2.set_value[i]);
	}
	ck_assert_int_eq(s1.drop, s2.drop);
	ck_assert_int_eq(s1.phases, s2.phases);
	ck_assert_int_eq(s1.inittrace, s2.inittrace);
	ck_assert_int_eq(s1.syscalls, s2.syscalls);
	ck_assert_int_eq(s1.hw_counters, s2.hw_counters);
	ck_assert_int_eq(s1.hw_counters, 1);
	ck_assert_int_eq(s1.cold, s2.cold);
	ck_assert_int_eq(s1.settle_ms, s2.settle_ms);
	ck_assert_int_eq(s1.placement, s2.placement);
	ck_assert_int_eq(s2.placement, PROC_CPUS_SPLIT);
	ck_assert_str_eq(s1.workload, s2.workload);
	ck_assert_str_eq(s1.label, s2.label);
	ck_assert_int_eq(s1.nmeta, s2.nmeta);
	for (int i = 0; i < s1.nmeta; i++)
		ck_assert_str_eq(s1.meta[i], s2.meta[i]);

	/* Read back, written again: the same description (the --append check
	 * compares these), and the command recorded for it names every value. */
	struct runjson_start st2 = st;
	cJSON *again = runjson_describe(&s2, &st2);
	cJSON_DeleteItemFromObjectCaseSensitive(again, "command");
	cJSON_DeleteItemFromObjectCaseSensitive(run, "command");
	ck_assert(cJSON_Compare(run, again, 1));
	cJSON *cmd = run_spec_command(&s2);
	char *text = cJSON_PrintUnformatted(cmd);
	for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
		ck_assert_msg(strstr(text, given[i].name), "%s: no --%s", text, given[i].name);
	free(text);
	cJSON_Delete(cmd);
	cJSON_Delete(again);
	cJSON_Delete(run);
	cJSON_Delete(host);
	run_spec_free(&s1);
	run_spec_free(&s2);
	for (int i = 1; i < argc; i++)
		free(argv[i]);
}
END_TEST

/* A run.json whose description is malformed is invalid data naming the
 * field, before any boot. */
START_TEST(test_runspec_bad_run_json)
{
	const char *bad[][2] = {
		{"{\"arms\":[{\"name\":\"a\",\"runsc\":\"/x\"},{\"name\":\"b\"}],\"bundle_path\":\"/b\"}",
		 "arms[1].runsc"},
		{"{\"arms\":[{\"name\":\"a\",\"runsc\":\"/x\"},{\"name\":\"b\",\"runsc\":\"/y\"}]}", "bundle_path"},
		{"{\"arms\":[{\"name\":\"a\",\"runsc\":\"/x\",\"stage\":\"hot\"},{\"name\":\"b\",\"runsc\":\"/y\"}],"
		 "\"bundle_path\":\"/b\"}",
		 "arms[0].stage"},
		{"{\"arms\":[{\"name\":\"a\",\"runsc\":\"/x\"},{\"name\":\"b\",\"runsc\":\"/y\"}],\"bundle_path\":\"/b\","
		 "\"iterations\":0}",
		 "iterations"},
		{"{\"arms\":[{\"name\":\"a\",\"runsc\":\"/x\"},{\"name\":\"b\",\"runsc\":\"/y\"}],\"bundle_path\":\"/b\","
		 "\"cpu_placement\":\"sideways\"}",
		 "cpu_placement"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cJSON *run = cJSON_Parse(bad[i][0]);
		struct run_spec s;
		ck_assert_int_eq(run_spec_from_run_json(run, "r/run.json", &s), GVAB_EDATA);
		char *want = util_fmt("r/run.json: field %s:", bad[i][1]);
		ck_assert_msg(strstr(error_last(), want), "%s", error_last());
		free(want);
		run_spec_free(&s);
		cJSON_Delete(run);
	}
}
END_TEST

Suite *suite_runspec(void)
{
	Suite *s = suite_create("runspec");
	TCase *tc = tcase_create("runspec");
	tcase_add_test(tc, test_runspec_every_option_survives_run_json);
	tcase_add_test(tc, test_runspec_bad_run_json);
	suite_add_tcase(s, tc);
	return s;
}
