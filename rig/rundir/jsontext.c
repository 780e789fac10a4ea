/* jsontext: see jsontext.h. */
#define _GNU_SOURCE
#include "jsontext.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

size_t jsontext_utf8_len(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	size_t need;
	unsigned lo = 0x80, hi = 0xbf; /* the second byte's range (RFC 3629 table) */
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0; /* no overlong forms */
		else if (s[0] == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

int jsontext_check_text(const char *path, int line, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		if (s[i] == '\n') {
			line++;
			i++;
			continue;
		}
		/* A backslash is only valid JSON inside a string, and escapes the
		 * one character after it. */
		if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 6 <= len && memcmp(s + i + 2, "0000", 4) == 0)
				return error_setc(GVAB_EDATA, "%s:%d: a string holds \\u0000 (a NUL "
				                  "character); refused", path, line);
			i += 2;
			continue;
		}
		size_t k = jsontext_utf8_len(s + i, len - i);
		if (k == 0)
			return error_setc(GVAB_EDATA, "%s:%d: invalid UTF-8 (byte 0x%02x)", path, line,
			                  s[i]);
		i += k;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int jsontext_check_keys(const char *path, int line, const cJSON *doc)
{
	if (!doc)
		return 0;
	if (cJSON_IsObject(doc)) {
		size_t n = 0, cap = 16;
		const char **keys = util_xmalloc(cap * sizeof *keys);
		const cJSON *e;
		cJSON_ArrayForEach(e, doc) {
			if (n == cap)
				keys = util_xrealloc(keys, (cap *= 2) * sizeof *keys);
			keys[n++] = e->string ? e->string : "";
		}
		/* Sorted, so a repeat sits next to its twin: n log n for the
		 * 20,000-key objects the reader allows. */
		qsort(keys, n, sizeof *keys, cmp_str);
		for (size_t i = 1; i < n; i++)
			if (strcmp(keys[i - 1], keys[i]) == 0) {
				int rc = error_setc(GVAB_EDATA, "%s:%d: field %.100s: key given twice", path,
				                    line, keys[i]);
				free(keys);
				return rc;
			}
		free(keys);
	}
	if (cJSON_IsObject(doc) || cJSON_IsArray(doc)) {
		const cJSON *e;
		cJSON_ArrayForEach(e, doc)
			if (jsontext_check_keys(path, line, e) < 0)
				return GVAB_EDATA;
	}
	return 0;
}

int jsontext_check_name(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return -1;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -1;
		size_t k = jsontext_utf8_len(p + i, n - i);
		if (k == 0)
			return -1;
		/* C1 control characters (U+0080..U+009F) */
		if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)
			return -1;
		i += k;
	}
	return 0;
}
