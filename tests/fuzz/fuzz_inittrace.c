/* Fuzz target: GODEBUG=inittrace=1 output (instrument_inittrace_add and the
 * per-process split of a boot's stderr), and glog time stamps. Property:
 * the samples reader takes what the parser produced. */
#include "fuzz.h"
#include "error.h"
#include "instrument.h"
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
	char *text = fuzz_str(data, size);
	cJSON *acc = instrument_inittrace_new();
	instrument_inittrace_add(acc, text);
	cJSON *p = instrument_inittrace_processes(text, NULL);
	cJSON_AddItemToObject(acc, "processes_ms", p);
	roundtrip("inittrace", acc);
	instrument_glog_time_us(text);
	free(text);
	return 0;
}
