/* Fuzz target: GODEBUG=inittrace=1 output (instrument_inittrace_add and the
 * per-process split of a boot's stderr), and glog time stamps. */
#include "fuzz.h"
#include "instrument.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size);
	cJSON *acc = instrument_inittrace_new();
	instrument_inittrace_add(acc, text);
	cJSON_Delete(acc);
	cJSON *p = instrument_inittrace_processes(text, NULL);
	cJSON_Delete(p);
	instrument_glog_time_us(text);
	free(text);
	return 0;
}
