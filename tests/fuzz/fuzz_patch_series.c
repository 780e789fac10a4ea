/* Fuzz target: patch_series_load on a series directory. The input is the
 * series file, then "\n=====\n" and the text of a.patch, then "\n=====\n"
 * and b.patch (both optional). */
#include "fuzz.h"
#include "patch.h"
#include "util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[3];
	size_t len[3];
	size_t n = fuzz_split(data, size, part, len, 3);
	char *dir = util_fmt("%s/series-dir", fuzz_dir());
	util_rm_rf(dir);
	util_mkdir_p(dir, 0755);
	static const char *const names[] = {"series-dir/series", "series-dir/a.patch", "series-dir/b.patch"};
	for (size_t i = 0; i < n; i++)
		free(fuzz_write(names[i], part[i], len[i]));
	struct patch_series s;
	if (patch_series_load(dir, &s) == 0)
		patch_series_free(&s);
	free(dir);
	return 0;
}
