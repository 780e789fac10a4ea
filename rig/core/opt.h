/* opt: one table per command gives both its option parsing and its help,
 * so the two cannot drift. A command declares a `struct opt_cmd` (name,
 * synopsis, text before and after the options, examples) whose `opts` table
 * ends with {0}; opt_next walks argv like getopt_long (options and operands
 * may mix, unless stop_at_operand; "--" ends options) and returns each
 * option's id.
 *
 *   static const struct opt opts[] = {
 *       {"out", 'o', OPT_REQUIRED, "DIR", "run directory", OUT},
 *       {"quiet", 'q', OPT_NONE, NULL, "no progress line", QUIET},
 *       {0}};
 *   static const struct opt_cmd cmd = {"report", "[options] RUN_DIR...", ...,
 *                                      opts, ...};
 *   struct opt_parser p;
 *   opt_init(&p, &cmd, argc, argv);
 *   for (int id; (id = opt_next(&p)) > 0;)
 *       switch (id) { case OUT: out = p.arg; break; ... }
 *   int code;
 *   if (opt_end(&p, max_operands, &code))  // help printed (0), a one-line
 *       return code;                      // error or an operand too many (64)
 *   operands: argv[p.ind .. argc-1]
 *
 * -h/--help is added to every table: it prints the help on stdout. An
 * unknown option, a missing or unexpected argument prints one line on
 * stderr, "gvab: CMD: <what> (see gvab help CMD)" (the format of every
 * gvab error), and exit code 64. A bad value is the same: opt_long and
 * opt_double check the current option's argument, opt_error reports
 * anything else about it; each stops the parser, so the loop ends and
 * opt_exit returns 64:
 *       case N: if (opt_long(&p, 1, 100, &v) == 0) n = v; break;
 *
 * GVAB_DRY_PARSE set in the environment (the docs test suite): a command
 * line is only parsed; an option whose argument is a placeholder ("N",
 * "DIR") is taken unchecked, and the end of the options exits 0 before the
 * command does anything. */
#ifndef GVAB_OPT_H
#define GVAB_OPT_H

#include <stdio.h>

enum opt_arg { OPT_NONE, OPT_REQUIRED, OPT_OPTIONAL /* only as --name=VALUE */ };

struct opt {
	const char *name;     /* long name without "--"; NULL ends the table */
	char short_name;      /* 0: none */
	enum opt_arg has_arg;
	const char *arg;      /* the argument's name in help ("DIR", "N"); "=K" style for OPT_OPTIONAL */
	const char *help;     /* help text; '\n' continues in the text column */
	int id;               /* > 0, returned by opt_next */
};

struct opt_cmd {
	const char *name;     /* "cache" (help and errors say "gvab cache") */
	const char *synopsis; /* after "usage: gvab NAME " ("": no operands or options) */
	const char *about;    /* text between the usage line and the options, or NULL */
	const struct opt *opts;
	const char *after;    /* text after the options (exit codes, notes), or NULL */
	const char *examples; /* one command per line, without "gvab " (added); a line
	                       * starting with spaces continues the one before, one
	                       * starting with "$ " is printed as is (another program,
	                       * an environment variable first); or NULL */
	int stop_at_operand;  /* 1: options end at the first operand, which with all
	                       * after it is passed on (a command line to run) */
};

enum opt_status { OPT_DONE = 0, OPT_HELP = -1, OPT_ERROR = -2 };

struct opt_parser {
	const struct opt_cmd *cmd;
	int argc;
	char **argv;
	const struct opt *opt; /* the current option (its table entry) */
	const char *arg;   /* the current option's argument, or NULL */
	int ind;           /* after OPT_DONE: the first operand in argv */
	int status;        /* OPT_DONE, OPT_HELP or OPT_ERROR once opt_next returned <= 0 */
	/* internal */
	void *longopts;
	char *shortopts;
};

void opt_init(struct opt_parser *p, const struct opt_cmd *cmd, int argc, char **argv);
/* Returns the next option's id (> 0), or p->status (<= 0) when done. */
int opt_next(struct opt_parser *p);
/* The exit code for a parser that stopped on help (0) or an error (64);
 * frees the parser's tables (as opt_free does). */
int opt_exit(struct opt_parser *p);
void opt_free(struct opt_parser *p);
/* After the loop, for a command taking at most `max_operands` operands:
 * 1 when it must return *code now (help printed: 0; a usage error printed,
 * or an operand too many named: 64), 0 to go on. */
int opt_end(struct opt_parser *p, int max_operands, int *code);
/* The whole parse of a command that takes no options but -h/--help and
 * no operands: 1 when it must return *code now (help, a usage error,
 * an operand), 0 to go on. */
int opt_parse_bare(const struct opt_cmd *cmd, int argc, char **argv, int *code);

/* The current option's argument as a whole number from min to max, or a
 * decimal number above lo and below hi (both exclusive). 0 when it is one;
 * else a usage error naming the option and the value, the parser stopped,
 * and OPT_ERROR. */
int opt_long(struct opt_parser *p, long min, long max, long *out);
int opt_double(struct opt_parser *p, double lo, double hi, double *out);
/* The typed rows every command shares, one range per meaning, checked as
 * opt_double does (one message format):
 *   opt_alpha    an error rate, above 0 and below 0.5 (every --alpha);
 *   opt_fraction a fraction from 0 to 1 (both included);
 *   opt_percent  a percentage, "3" or "3%", from lo to hi (both included);
 *   opt_duration a time, "90s", "5m", "1.5h" or "90" (seconds), in seconds,
 *                from lo_s to hi_s (both included; every --budget). */
#define OPT_ALPHA_MAX 0.5
int opt_alpha(struct opt_parser *p, double *out);
int opt_duration(struct opt_parser *p, double lo_s, double hi_s, double *out_s);
/* A time as a user would write it back ("5m", "90s", "1.5h") into buf. */
const char *opt_duration_text(double s, char *buf, size_t len);
int opt_fraction(struct opt_parser *p, double *out);
int opt_percent(struct opt_parser *p, double lo, double hi, double *out);
/* A usage error about the current option: prints "gvab: CMD: option
 * '--NAME': <message> (see gvab help CMD)", stops the parser and returns
 * OPT_ERROR. */
int opt_error(struct opt_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Names the program in usage lines, examples and "see PROGRAM help CMD"
 * ("gvab" unless set; gvab-rig sets its own name once, first thing). */
void opt_set_program(const char *name);
/* Writes the command's help: usage line, about, options, after, examples. */
void opt_help(const struct opt_cmd *cmd, FILE *f);
/* A usage error found after parsing (a missing operand, a bad value):
 * prints "gvab: CMD: <message> (see gvab help CMD)" and returns 64. */
int opt_usage_error(const struct opt_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
