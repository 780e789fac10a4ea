/* Fuzz target: the analysis of a run directory: samples.jsonl is the
 * input, up to "\n=====\n" and run.json after it (default: arms A and B):
 * analysis_load, compare and adjust, with few bootstrap resamples. Finds
 * what hostile samples do to the statistics once the reader let them in. */
#include "analysis.h"
#include "fuzz.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[2];
	size_t len[2];
	size_t n = fuzz_split(data, size, part, len, 2);
	char *dir = util_fmt("%s/run", fuzz_dir());
	util_mkdir_p(dir, 0755);
	static const char run[] = "{\"format\":\"gvab-run/1\",\"status\":\"complete\",\"host\":"
	                          "{\"hostname\":\"h\",\"online_cpus\":2},\"arms\":[{\"name\":\"A\"},"
	                          "{\"name\":\"B\"}],\"command\":[\"gvab\",\"run\"],\"drift\":[]}";
	if (n == 2)
		free(fuzz_write("run/run.json", part[1], len[1]));
	else
		free(fuzz_write("run/run.json", run, sizeof run - 1));
	free(fuzz_write("run/samples.jsonl", part[0], len[0]));
	struct run_analysis ra;
	if (analysis_load(dir, &ra) == 0) {
		struct analysis_opts o = {.alpha = 0.05, .threshold_pct = 3, .reps = 50, .seed = 1};
		analysis_compare(&ra, &o);
		analysis_adjust(&ra, 1, &o, 1u << PH_CORE);
		char why[256];
		analysis_chunk_drift(&ra, why, sizeof why);
		analysis_free(&ra);
	}
	free(dir);
	return 0;
}
