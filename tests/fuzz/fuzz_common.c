/* fuzz_common: see fuzz.h. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static char *dir;

static void cleanup(void)
{
	if (dir)
		util_rm_rf(dir);
	free(dir);
	dir = NULL;
}

const char *fuzz_dir(void)
{
	if (!dir) {
		const char *t = getenv("TMPDIR");
		dir = util_fmt("%s/gvab-fuzz-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	return dir;
}

char *fuzz_write(const char *name, const void *data, size_t size)
{
	char *p = util_fmt("%s/%s", fuzz_dir(), name);
	if (util_write_file_atomic(p, data, size) < 0)
		abort();
	return p;
}

char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = util_xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len, size_t max)
{
	static const char sep[] = "\n=====\n";
	size_t n = 0, start = 0;
	for (size_t i = 0; i + sizeof sep - 1 <= size && n + 1 < max; i++)
		if (memcmp(data + i, sep, sizeof sep - 1) == 0) {
			part[n] = data + start;
			len[n++] = i - start;
			start = i + sizeof sep - 1;
			i = start - 1;
		}
	part[n] = data + start;
	len[n++] = size - start;
	return n;
}
