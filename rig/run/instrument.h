/* instrument: parsers for the instrumented runs (never mixed with timing
 * runs, because debug logging and init tracing cost time themselves).
 *
 * Debug logs (`runsc --debug --debug-log=DIR/`): one file per runsc process,
 * named *.create.txt, *.gofer.txt, *.boot.txt, *.start.txt, *.delete.txt,
 * lines like `I1122 18:44:35.288418    9829 chroot.go:91] Setting up ...`.
 * instrument_parse_debug_logs() finds known markers and reports each one's
 * time in ms after the boot's first log line, plus pkg/timing lines of newer
 * releases (`Timer for X: time <unixnano> ... start|mid|end`) as intervals.
 *
 * Init traces (GODEBUG=inittrace=1): `init <pkg> @<t> ms, <c> ms clock, ...`.
 * Several processes may write into one file and their lines can run into
 * each other, so the parser scans for every "init " record rather than for
 * lines. Results: per-package clock ms summed over the boot's processes,
 * the number of processes (records of the first package, internal/bytealg),
 * and the total.
 */
#ifndef GVAB_INSTRUMENT_H
#define GVAB_INSTRUMENT_H

#include <cjson/cJSON.h>

/* Parses every *.txt file of a debug-log directory. Returns an object
 * {"markers": {"<process>:<marker>": ms, ...}, "timers": {name: ms}}, or
 * NULL with an error recorded when the directory holds no log. */
cJSON *instrument_parse_debug_logs(const char *dir);

/* Adds the init records found in `text` to `acc` (an object created by
 * instrument_inittrace_new). */
/* This process's environment with GODEBUG=inittrace=1 added (to any
 * GODEBUG given: "GODEBUG=<given>,inittrace=1"), for runsc processes whose
 * init time is traced. NULL-terminated; free with instrument_env_free. */
char **instrument_inittrace_env(void);
void instrument_env_free(char **env);
cJSON *instrument_inittrace_new(void);
void instrument_inittrace_add(cJSON *acc, const char *text);
/* Adds the records of every file in dir (and of extra files, NULL-ended). */
int instrument_inittrace_add_dir(cJSON *acc, const char *dir);

/* Init ms per runsc process of one boot: the records in `stderr_text` (the
 * stderr of create, start and delete, appended in that order) are split at
 * each process's first record (internal/bytealg) and named create, start,
 * delete; each debug-log file counts as its process kind ("gofer+sandbox"
 * when it holds the records of more than one process, as the gofer's file
 * does). Returns {"create": ms, ...}. */
cJSON *instrument_inittrace_processes(const char *stderr_text, const char *debug_dir);

/* Time of day in microseconds from a glog line ("I1122 18:44:35.288418 ...");
 * -1 if the line does not start like that. Exported for tests. */
long long instrument_glog_time_us(const char *line);

#endif
