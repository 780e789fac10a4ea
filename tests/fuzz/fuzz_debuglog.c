/* Fuzz target: runsc debug logs (instrument_parse_debug_logs). The input is
 * up to three log files separated by "\n=====\n", named as runsc names the
 * create, gofer and boot processes' logs. */
#include "fuzz.h"
#include "instrument.h"
#include "util.h"

#include <stdlib.h>

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
	cJSON_Delete(o);
	/* The per-process init split reads the same directory. */
	cJSON *p = instrument_inittrace_processes(NULL, dir);
	cJSON_Delete(p);
	free(dir);
	return 0;
}
