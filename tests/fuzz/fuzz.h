/* Shared by the fuzz harnesses (libFuzzer's LLVMFuzzerTestOneInput, also
 * linked with replay.c's plain main for `make check`).
 *
 * gvab's parsers read files, so each input is written to a file in a
 * private temporary directory (mkdtemp, removed at exit) and the parser is
 * run on that path, as gvab runs it. */
#ifndef GVAB_FUZZ_H
#define GVAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The private directory (created on first use). */
const char *fuzz_dir(void);
/* Writes data to fuzz_dir()/name; returns the path (caller frees). */
char *fuzz_write(const char *name, const void *data, size_t size);
/* A NUL-terminated copy (caller frees). */
char *fuzz_str(const uint8_t *data, size_t size);
/* Splits data at each "\n=====\n" into at most max parts; returns the count.
 * Parts point into data. */
size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len,
                  size_t max);

#endif
