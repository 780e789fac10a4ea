/* The test suites' one convention for a test that cannot run here (Check
 * has no skip outcome): TEST_SKIP("reason %s", ...) prints one line
 *   SKIP: <test>: <reason>
 * on stderr and returns from the test, which Check then counts as passed;
 * tests/run.sh counts the SKIP lines, moves them from "passed" to
 * "skipped" and ends with "N passed, N failed, N skipped". A missing
 * prerequisite is always a counted skip, never a silent pass. */
#ifndef GVAB_TEST_SKIP_H
#define GVAB_TEST_SKIP_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline void test_skip_print(const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void test_skip_print(const char *fn, const char *fmt, ...)
{
	/* START_TEST(name) defines name_fn. */
	size_t n = strlen(fn);
	if (n > 3 && strcmp(fn + n - 3, "_fn") == 0)
		n -= 3;
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	/* One write, so lines of tests running beside it do not interleave. */
	fprintf(stderr, "\nSKIP: %.*s: %s\n", (int)n, fn, reason);
	fflush(stderr);
}

#define TEST_SKIP(...)                                    \
	do {                                              \
		test_skip_print(__func__, __VA_ARGS__);   \
		return;                                   \
	} while (0)

#endif
