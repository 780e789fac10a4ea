/* jsontext: checks on the text and tree of a JSON document from a run
 * directory that cJSON does not make: the text is UTF-8 (RFC 8259, so
 * every JSON reader and writer downstream sees the same strings), no
 * string holds an escaped NUL (cJSON would cut "a\u0000b" to "a"), no
 * object has a key twice (cJSON takes the first, other readers the
 * last), and names are printable UTF-8.
 *
 * Each check returns 0 or GVAB_EDATA with "FILE:LINE: why" recorded; `line`
 * is the line the text starts on (1 for a whole file, the line number for
 * one line of samples.jsonl).
 */
#ifndef GVAB_JSONTEXT_H
#define GVAB_JSONTEXT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* UTF-8 and no \u0000 escape in text[0..len). */
int jsontext_check_text(const char *path, int line, const char *text, size_t len);
/* No object anywhere in `doc` has a key twice. */
int jsontext_check_keys(const char *path, int line, const cJSON *doc);
/* A name: 1..max bytes of printable UTF-8 (no control characters). */
int jsontext_check_name(const char *s, size_t max);
/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s[0..n) does not
 * start with one. */
size_t jsontext_utf8_len(const unsigned char *s, size_t n);

#endif
