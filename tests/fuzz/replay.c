/* replay: a plain main for the fuzz harnesses, built by cc for `make check`
 * (no clang needed). Runs LLVMFuzzerTestOneInput once on every file of the
 * directories (or files) given: the seed corpus and every crash reproducer
 * kept in tests/fuzz/crashes/TARGET/. A crash or sanitizer report stops the
 * process; otherwise it prints a Check-style summary line that tests/run.sh
 * counts ("100%: Checks: N, Failures: 0, Errors: 0"). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int one(const char *path)
{
	size_t len;
	char *data = util_read_file(path, &len);
	if (!data) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0)
			continue; /* no crash reproducers yet */
		if (!S_ISDIR(st.st_mode)) {
			bad += one(argv[i]) < 0;
			n++;
			continue;
		}
		struct dirent **ents;
		int k = scandir(argv[i], &ents, NULL, alphasort);
		for (int j = 0; j < k; j++) {
			if (ents[j]->d_name[0] != '.') {
				char *p = util_fmt("%s/%s", argv[i], ents[j]->d_name);
				bad += one(p) < 0;
				n++;
				free(p);
			}
			free(ents[j]);
		}
		if (k >= 0)
			free(ents);
	}
	printf("replayed %zu inputs\n", n);
	printf("%zu%%: Checks: %zu, Failures: %zu, Errors: 0\n", n ? (n - bad) * 100 / n : 100, n, bad);
	return bad ? 1 : 0;
}
