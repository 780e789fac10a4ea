/* Fuzz target: samples.jsonl through its validating reader. Property: a
 * file the reader accepts stays readable after samples_open (which repairs
 * a torn tail) and one more appended line, with that line counted. */
#include "fuzz.h"
#include "samples.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = fuzz_write("samples.jsonl", data, size);
	struct samples_file f;
	if (samples_load_ex(p, NULL, 0, SAMPLES_QUIET_TORN, &f) == 0) {
		size_t n = f.n;
		int maxseq = 0;
		for (size_t i = 0; i < f.n; i++)
			if (f.s[i].seq > maxseq)
				maxseq = f.s[i].seq;
		samples_free(&f);
		struct samples_writer w;
		if (samples_open(&w, p) != 0)
			abort();
		struct boot_result ok = {.ok = 1, .create_ns = 2, .start_ns = 1, .wait_ns = 1, .delete_ns = 1};
		if (samples_append(&w, maxseq, "fuzz", 0, 0, "id", 1, &ok, NULL) != 0)
			abort();
		samples_close(&w);
		if (samples_load_ex(p, NULL, 0, SAMPLES_QUIET_TORN, &f) != 0 || f.n != n + 1 || f.torn_line)
			abort();
		samples_free(&f);
	}
	free(p);
	return 0;
}
