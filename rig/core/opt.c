/* opt: see opt.h. Parsing is getopt_long's, over tables built from the
 * command's one option table. */
#define _GNU_SOURCE
#include "opt.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The program the usage lines and "see PROGRAM help CMD" name: gvab, or
 * gvab-rig for the commands it shares (opt_set_program). */
static const char *program = "gvab";

void opt_set_program(const char *name)
{
	program = name;
}

#define HELP_ID (-100)

static size_t count_opts(const struct opt *o)
{
	size_t n = 0;
	while (o && o[n].name)
		n++;
	return n;
}

void opt_init(struct opt_parser *p, const struct opt_cmd *cmd, int argc, char **argv)
{
	memset(p, 0, sizeof *p);
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	size_t n = count_opts(cmd->opts);
	struct option *lo = util_xcalloc(n + 2, sizeof *lo);
	/* ':' first: a missing argument is told apart from an unknown option. */
	char *so = util_xcalloc(3 * n + 8, 1);
	size_t k = 0;
	if (cmd->stop_at_operand)
		so[k++] = '+';
	so[k++] = ':';
	so[k++] = 'h';
	for (size_t i = 0; i < n; i++) {
		const struct opt *o = &cmd->opts[i];
		lo[i].name = o->name;
		lo[i].has_arg = o->has_arg == OPT_REQUIRED ? required_argument
		                : o->has_arg == OPT_OPTIONAL ? optional_argument : no_argument;
		lo[i].val = 256 + (int)i;
		if (o->short_name) {
			so[k++] = o->short_name;
			if (o->has_arg == OPT_REQUIRED)
				so[k++] = ':';
		}
	}
	lo[n].name = "help";
	lo[n].val = 'h';
	p->longopts = lo;
	p->shortopts = so;
	optind = 0; /* GNU: reinitialise (a command may parse more than once per process) */
	opterr = 0;
}

void opt_free(struct opt_parser *p)
{
	free(p->longopts);
	free(p->shortopts);
	p->longopts = NULL;
	p->shortopts = NULL;
}

static int stop(struct opt_parser *p, int status)
{
	p->status = status;
	p->ind = optind;
	opt_free(p);
	return status;
}

/* A documentation placeholder ("N", "DIR", "RUN_DIR"): capitals, digits
 * and '_', starting with a capital. */
static int is_placeholder(const char *s)
{
	if (!s || !(*s >= 'A' && *s <= 'Z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* GVAB_DRY_PARSE set (the docs test suite): a command line is only parsed.
 * An option whose argument is a placeholder is accepted unchecked, and the
 * end of the options exits 0 before the command does anything. */
static int dry_parse(void)
{
	const char *e = getenv("GVAB_DRY_PARSE");
	return e && *e;
}

int opt_next(struct opt_parser *p)
{
	if (!p->longopts)
		return p->status;
	const struct opt *opts = p->cmd->opts;
	int c;
	do {
		c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
	} while (c != -1 && c != '?' && c != ':' && optarg && dry_parse() && is_placeholder(optarg));
	p->arg = optarg;
	p->opt = NULL;
	if (c == -1) {
		if (dry_parse()) {
			printf("gvab: %s: the options parse\n", p->cmd->name);
			opt_free(p);
			exit(0);
		}
		return stop(p, OPT_DONE);
	}
	if (c == 'h') {
		opt_help(p->cmd, stdout);
		return stop(p, OPT_HELP);
	}
	if (c >= 256) {
		p->opt = &opts[c - 256];
		return p->opt->id;
	}
	if (c != '?' && c != ':') {
		for (size_t i = 0; opts[i].name; i++)
			if (opts[i].short_name == c) {
				p->opt = &opts[i];
				return p->opt->id;
			}
	}
	/* optopt names the option for a missing or unexpected argument (and
	 * an unknown short option); an unknown long option is the word getopt
	 * stopped at, argv[optind-1], up to any '='. */
	char what[160];
	if (optopt >= 256)
		snprintf(what, sizeof what, "--%s", opts[optopt - 256].name);
	else if (optopt)
		snprintf(what, sizeof what, "-%c", optopt);
	else {
		const char *word = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "?";
		snprintf(what, sizeof what, "%.*s", (int)strcspn(word, "="), word);
	}
	if (c == ':')
		opt_usage_error(p->cmd, "option '%s' needs an argument", what);
	else if (optopt >= 256)
		opt_usage_error(p->cmd, "option '%s' takes no argument", what);
	else
		opt_usage_error(p->cmd, "unknown option '%s'", what);
	return stop(p, OPT_ERROR);
}

int opt_exit(struct opt_parser *p)
{
	opt_free(p);
	return p->status == OPT_HELP ? 0 : EXIT_GVAB_USAGE;
}

int opt_end(struct opt_parser *p, int max_operands, int *code)
{
	if (p->status != OPT_DONE) {
		*code = opt_exit(p);
		return 1;
	}
	if (p->argc - p->ind > max_operands) {
		*code = opt_usage_error(p->cmd, "unexpected argument '%s'", p->argv[p->ind + max_operands]);
		return 1;
	}
	return 0;
}

int opt_parse_bare(const struct opt_cmd *cmd, int argc, char **argv, int *code)
{
	struct opt_parser p;
	opt_init(&p, cmd, argc, argv);
	while (opt_next(&p) > 0)
		;
	return opt_end(&p, 0, code);
}

int opt_usage_error(const struct opt_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: %s: ", program, cmd->name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see %s help %s)\n", program, cmd->name);
	va_end(ap);
	return EXIT_GVAB_USAGE;
}

int opt_error(struct opt_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: %s: option '--%s': ", program, p->cmd->name, p->opt ? p->opt->name : "?");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see %s help %s)\n", program, p->cmd->name);
	va_end(ap);
	return stop(p, OPT_ERROR);
}

/* The option's argument, "" when it has none (for messages). */
static const char *arg_text(const struct opt_parser *p)
{
	return p->arg ? p->arg : "";
}

int opt_long(struct opt_parser *p, long min, long max, long *out)
{
	const char *s = arg_text(p);
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return opt_error(p, "'%s' is not a whole number from %ld to %ld", s, min, max);
	*out = v;
	return 0;
}

/* The option's argument as a number: 0 and *d, *rest (what follows the
 * number), or -1 when it does not start with one or overflows a double. */
static int scan_double(const struct opt_parser *p, double *d, const char **rest)
{
	const char *s = arg_text(p);
	char *end;
	errno = 0;
	*d = strtod(s, &end);
	*rest = end;
	return errno || end == s ? -1 : 0;
}

int opt_double(struct opt_parser *p, double lo, double hi, double *out)
{
	double d;
	const char *rest;
	if (scan_double(p, &d, &rest) < 0 || *rest || !isfinite(d) || !(d > lo) || !(d < hi))
		return opt_error(p, "'%s' is not a number above %g and below %g", arg_text(p), lo, hi);
	*out = d;
	return 0;
}

int opt_alpha(struct opt_parser *p, double *out)
{
	return opt_double(p, 0, OPT_ALPHA_MAX, out);
}

int opt_fraction(struct opt_parser *p, double *out)
{
	double d;
	const char *rest;
	if (scan_double(p, &d, &rest) < 0 || *rest || !(d >= 0 && d <= 1))
		return opt_error(p, "'%s' is not a number from 0 to 1", arg_text(p));
	*out = d;
	return 0;
}

int opt_percent(struct opt_parser *p, double lo, double hi, double *out)
{
	double d;
	const char *rest;
	if (scan_double(p, &d, &rest) < 0 || (*rest && strcmp(rest, "%") != 0) || !(d >= lo && d <= hi))
		return opt_error(p, "'%s' is not a percentage from %g to %g", arg_text(p), lo, hi);
	*out = d;
	return 0;
}

int opt_duration(struct opt_parser *p, double lo_s, double hi_s, double *out_s)
{
	const char *s = p->arg ? p->arg : "";
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	double unit = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : 0;
	if (errno || end == s || !(unit > 0) || !isfinite(d) || !(d * unit >= lo_s && d * unit <= hi_s))
		return opt_error(p, "'%s' is not a time from %gs to %gs (a number of seconds, or with s, "
		                 "m or h)", s, lo_s, hi_s);
	*out_s = d * unit;
	return 0;
}

const char *opt_duration_text(double s, char *buf, size_t len)
{
	if (s >= 3600 && fmod(s, 360) == 0)
		snprintf(buf, len, "%gh", s / 3600);
	else if (s >= 60 && fmod(s, 6) == 0)
		snprintf(buf, len, "%gm", s / 60);
	else
		snprintf(buf, len, "%gs", s);
	return buf;
}

/* Writes `text` with every line after the first indented by `indent`. */
static void put_indented(FILE *f, const char *text, int indent)
{
	for (const char *s = text; *s; s++) {
		fputc(*s, f);
		if (*s == '\n' && s[1])
			fprintf(f, "%*s", indent, "");
	}
	fputc('\n', f);
}

#define TEXT_COLUMN 23

void opt_help(const struct opt_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: %s %s%s%s\n", program, cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis);
	if (cmd->about)
		fprintf(f, "\n%s", cmd->about);
	fprintf(f, "\noptions:\n");
	for (const struct opt *o = cmd->opts; o && o->name; o++) {
		char h[128];
		const char *sep = o->has_arg == OPT_OPTIONAL ? "" : " ";
		if (o->short_name)
			snprintf(h, sizeof h, "  -%c, --%s%s%s", o->short_name, o->name, o->arg ? sep : "",
			         o->arg ? o->arg : "");
		else
			snprintf(h, sizeof h, "  --%s%s%s", o->name, o->arg ? sep : "", o->arg ? o->arg : "");
		if ((int)strlen(h) >= TEXT_COLUMN - 1) {
			fprintf(f, "%s\n%*s", h, TEXT_COLUMN, "");
		} else {
			fprintf(f, "%-*s", TEXT_COLUMN, h);
		}
		put_indented(f, o->help, TEXT_COLUMN);
	}
	fprintf(f, "  -h, --help           this text\n");
	if (cmd->after)
		fprintf(f, "\n%s", cmd->after);
	if (cmd->examples) {
		fprintf(f, "\nexamples:\n");
		const char *s = cmd->examples;
		while (*s) {
			const char *e = strchr(s, '\n');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			/* A continuation line (starting with spaces) keeps its own
			 * indentation; a "$ " line is another program's. */
			if (strncmp(s, "$ ", 2) == 0)
				fprintf(f, "  %.*s\n", (int)len - 2, s + 2);
			else
				fprintf(f, "  %s%s%.*s\n", s[0] == ' ' ? "" : program, s[0] == ' ' ? "" : " ",
				        (int)len, s);
			s += len + (e ? 1 : 0);
		}
	}
}
