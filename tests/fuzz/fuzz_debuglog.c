/* Fuzz target: runsc debug logs (instrument_parse_debug_logs). The input is
 * up to three log files separated by "\n=====\n", named as runsc names the
 * create, gofer and boot processes' logs. Property: the samples reader
 * takes what the parser produced. */
#include "fuzz.h"
#include "instrument.h"
#include "error.h"
#include "samples.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* What gvab writes, its reader takes: a samples line carrying this
 * instrument data must load. */
static void roundtrip(const char *member, cJSON *data)
{
	char *p = util_fmt("%s/rt.jsonl", fuzz_dir());
	unlink(p);
	struct samples_writer w;
	if (samples_open(&w, p) != 0)
		abort();
	struct boot_result ok = {.ok = 1, .create_ns = 2, .start_ns = 1, .wait_ns = 1, .delete_ns = 1};
	cJSON *extra = cJSON_CreateObject();
	cJSON_AddItemToObject(extra, member, data);
	if (samples_append(&w, 0, "a", 0, 0, "id", 1, &ok, extra) != 0)
		abort();
	samples_close(&w);
	cJSON_Delete(extra);
	struct samples_file f;
	if (samples_load(p, NULL, 0, &f) != 0) {
		fprintf(stderr, "reader refused what gvab wrote: %s\n", error_last());
		abort();
	}
	samples_free(&f);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[3];
	size_t len[3];
	size_t n = fuzz_split(data, size, part, len, 3);
	char *dir = util_fmt("%s/debug", fuzz_dir());
	util_rm_rf(dir);
	util_mkdir_p(dir, 0755);
	static const char *const names[] = {"debug/runsc.log.20261122-184435.220637.create.txt",
	                                    "debug/runsc.log.20261122-184435.230637.gofer.txt",
	                                    "debug/runsc.log.20261122-184435.240637.boot.txt"};
	for (size_t i = 0; i < n; i++)
		free(fuzz_write(names[i], part[i], len[i]));
	cJSON *o = instrument_parse_debug_logs(dir);
	if (o)
		roundtrip("internal", o);
	/* The per-process init split reads the same directory. */
	cJSON *p = instrument_inittrace_processes(NULL, dir);
	cJSON_Delete(p);
	free(dir);
	return 0;
}
