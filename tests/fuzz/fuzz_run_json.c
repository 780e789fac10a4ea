/* Fuzz target: run.json through samples_run_load. */
#include "fuzz.h"
#include "samples.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = fuzz_write("run.json", data, size);
	cJSON *r = samples_run_load(p);
	cJSON_Delete(r);
	free(p);
	return 0;
}
