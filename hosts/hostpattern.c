/* hostpattern: see hostpattern.h. */
#define _GNU_SOURCE
#include "hostpattern.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Python's string.ascii_letters, which Ansible indexes for letter ranges. */
static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

struct names {
	char **v;
	size_t n, max;
	const char *pattern;
};

static int names_add(struct names *out, char *s)
{
	if (out->n >= out->max) {
		free(s);
		return error_setc(GVAB_EDATA, "host range '%s': more than %zu hosts", out->pattern, out->max);
	}
	out->v = util_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
	out->v[out->n++] = s;
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 9)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* One range "BEG:END[:STEP]" (len bytes at r): its values as strings. */
struct range {
	int alpha;
	long beg, end, step;
	int width; /* zero-filled width, 0 for none */
};

static int range_parse(const char *pattern, const char *r, size_t len, struct range *g)
{
	const char *c1 = memchr(r, ':', len);
	if (!c1)
		return error_setc(GVAB_EDATA, "host range '%s': expected [BEGIN:END] or [BEGIN:END:STEP]", pattern);
	const char *end = c1 + 1, *c2 = memchr(end, ':', len - (size_t)(end - r));
	size_t nb = (size_t)(c1 - r), ne = c2 ? (size_t)(c2 - end) : len - (size_t)(end - r);
	memset(g, 0, sizeof *g);
	g->step = 1;
	if (c2) {
		size_t ns = len - (size_t)(c2 + 1 - r);
		if (memchr(c2 + 1, ':', ns))
			return error_setc(GVAB_EDATA, "host range '%s': expected [BEGIN:END] or [BEGIN:END:STEP]", pattern);
		if (!all_digits(c2 + 1, ns) || (g->step = strtol(c2 + 1, NULL, 10)) < 1)
			return error_setc(GVAB_EDATA, "host range '%s': the step must be a whole number above 0",
			                  pattern);
	}
	if (ne == 0)
		return error_setc(GVAB_EDATA, "host range '%s': no end value", pattern);
	if (nb == 1 && ne == 1 && isalpha((unsigned char)r[0]) && isalpha((unsigned char)end[0])) {
		g->alpha = 1;
		g->beg = strchr(letters, r[0]) - letters;
		g->end = strchr(letters, end[0]) - letters;
	} else if ((nb == 0 || all_digits(r, nb)) && all_digits(end, ne)) {
		g->beg = nb ? strtol(r, NULL, 10) : 0;
		g->end = strtol(end, NULL, 10);
		if (nb > 1 && r[0] == '0') {
			if (ne != nb)
				return error_setc(GVAB_EDATA, "host range '%s': begin and end must be as wide "
				                  "(leading zeros give the width)", pattern);
			g->width = (int)nb;
		}
	} else {
		return error_setc(GVAB_EDATA, "host range '%s': bounds must be numbers or single letters",
		                  pattern);
	}
	if (g->beg > g->end)
		return error_setc(GVAB_EDATA, "host range '%s': begin is after end", pattern);
	return 0;
}

static int expand(struct names *out, const char *s)
{
	const char *open = strchr(s, '[');
	if (!open)
		return names_add(out, util_xstrdup(s));
	const char *close = strchr(open, ']');
	if (!close)
		return error_setc(GVAB_EDATA, "host range '%s': '[' without ']'", out->pattern);
	struct range g = {0};
	int rc = range_parse(out->pattern, open + 1, (size_t)(close - open - 1), &g);
	for (long v = g.beg; rc == 0 && v <= g.end; v += g.step) {
		char *one = g.alpha ? util_fmt("%.*s%c%s", (int)(open - s), s, letters[v], close + 1)
		                    : util_fmt("%.*s%0*ld%s", (int)(open - s), s, g.width, v, close + 1);
		rc = expand(out, one);
		free(one);
	}
	return rc;
}

int hostpattern_expand(const char *pattern, size_t max, char ***names, size_t *n)
{
	struct names out = {.max = max, .pattern = pattern};
	int rc = expand(&out, pattern);
	if (rc < 0) {
		hostpattern_free(out.v, out.n);
		out.v = NULL;
		out.n = 0;
	}
	*names = out.v;
	*n = out.n;
	return rc;
}

void hostpattern_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
