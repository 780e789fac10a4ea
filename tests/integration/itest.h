/* Helpers for integration tests: they run the real gvab binary. */
#ifndef GVAB_ITEST_H
#define GVAB_ITEST_H
#include <check.h>
#include <sys/types.h>

/* Paths from the environment set by tests/run.sh. */
const char *itest_gvab(void);
const char *itest_fake(void);
/* A fresh temporary directory (caller frees). */
char *itest_tmpdir(const char *tag);
/* Runs argv (NULL-terminated) capturing output; returns the exit code
 * (128+signal if killed). *out may be NULL. */
int itest_run(char **out, char *const *argv);
/* The deterministic timing mode of the fake runsc: a run started as
 * {ITEST_FIFO, gvab, ...} boots under SCHED_FIFO (chrt -f 1, inherited by
 * gvab and the fake runsc), so a boot is the fake's sleep and not the load
 * of whatever else runs on the host. itest_have_fifo() is 1 when this
 * process may start a SCHED_FIFO child; itest_fifo(argv, fifo) is argv, or
 * argv past its ITEST_FIFO words when not. */
#define ITEST_FIFO "chrt", "-f", "1"
int itest_have_fifo(void);
char *const *itest_fifo(char *const *argv, int fifo);
/* Starts argv in the background with output to `log`; returns its pid. */
pid_t itest_start(const char *log, char *const *argv);
/* Waits for pid; returns its exit code. */
int itest_wait(pid_t pid);
/* Number of lines in a file (0 if missing). */
int itest_count_lines(const char *path, const char *needle);

/* n (at most 8) distinct TCP ports on 127.0.0.1 that were free a moment
 * ago (bound to port 0 together, then closed): for a test's sshd, where a
 * port from the pid could meet another test process's beside it. */
void itest_free_ports(int *ports, int n);
/* Runs `gvab bundle` into dir with argv (NULL for /bin/true). */
void itest_bundle(const char *dir, const char *arg0);

/* One step of a poll: `while (!event) itest_poll_pause(pid);`. Sleeps
 * 10 ms; fails the test when pid (> 0: a child started with itest_start,
 * not yet waited for) has ended meanwhile, so a wait for what it should do
 * cannot outlive it. No time limit: waits under load take what they take,
 * and Check's timeout is the guard against a hang. */
void itest_poll_pause(pid_t pid);
/* Polls (itest_poll_pause) until a TCP connect to addr:port succeeds: an
 * sshd started in the background is listening. sshd forks into the
 * background before it binds its port, so its start returning says
 * nothing about that. */
void itest_wait_listen(const char *addr, int port);
/* Takes a test's network namespace and its veth down whatever a failed
 * test left (Check skips a checked teardown after a failed assertion):
 * every process in the namespace (its sshd, and the sessions sshd forked,
 * which would otherwise outlive the link they served for hours) is
 * killed, then the host-side link and the namespace are deleted. Missing
 * ones are fine. */
void itest_netns_clear(const char *ns, const char *host_link);
/* Forks a process that calls membarrier(REGISTER_PRIVATE_EXPEDITED) in a
 * loop until killed, counting its calls in *calls (shared memory, e.g.
 * mmap MAP_SHARED): host-wide noise per-boot counters must not see. */
pid_t itest_membarrier_noise(volatile long *calls);
/* Polls until *calls exceeds `above`. */
void itest_wait_noise(volatile long *calls, long above);

Suite *suite_rig_fake(void);
Suite *suite_fleet(void);
Suite *suite_rig_real(void);
Suite *suite_perfcount(void);
Suite *suite_analysis(void);
Suite *suite_build(void);
Suite *suite_build_module(void);
Suite *suite_build_module_2026(void);
Suite *suite_build_module_2024(void);
Suite *suite_bisect(void);
Suite *suite_bisect_fake1(void);
Suite *suite_bisect_fake2(void);
Suite *suite_trend(void);
Suite *suite_history(void);
Suite *suite_upstream(void);
Suite *suite_ci(void);
Suite *suite_compare(void);
Suite *suite_playbook(void);
Suite *suite_workload(void);
Suite *suite_html(void);
Suite *suite_hosts(void);
Suite *suite_hosts_real(void);
Suite *suite_regen(void);
Suite *suite_help(void);
Suite *suite_tree(void);
Suite *suite_make(void);
Suite *suite_docs(void);
Suite *suite_figures(void);
Suite *suite_figures_browser(void);
Suite *suite_answers(void);
Suite *suite_registry(void);
/* "nan" or "inf" as a word of its own (any case, any sign), what printf
 * makes of a non-finite double, or NULL: no output of gvab has one. */
const char *itest_nan_or_inf(const char *text);

/* The report in `rep` has the repeated-runs section `want` times (0 or 1)
 * in report.md (its heading and the row starting `row`), results.json
 * (between_run_sd_pct, one_run_enough) and report.html. */
void itest_repeats_section(const char *rep, const char *row, int want);

#endif
