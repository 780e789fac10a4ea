/* runopts: `gvab run`'s command line (its one option table, parsing and
 * help) into a `struct run_spec`. The command layer's only: inside the
 * process, callers fill a spec and call the run loop. */
#ifndef GVAB_RUNOPTS_H
#define GVAB_RUNOPTS_H

#include "opt.h"
#include "runspec.h"

/* `gvab run`'s option table and help (also the options `gvab hosts run`
 * passes on). */
extern const struct opt_cmd run_cmd;

/* Parses `gvab run` options (argv[0] is "run"). 0; RUN_SPEC_HELP after
 * printing the help (exit 0); RUN_SPEC_REPORTED after printing a usage
 * error (exit 64); or an error code with the error recorded (GVAB_EUSAGE
 * for a bad value). The spec points into argv and records it as its
 * command; free it with run_spec_free in every case. */
#define RUN_SPEC_HELP 1
#define RUN_SPEC_REPORTED 2
int run_spec_parse(int argc, char **argv, struct run_spec *s);

#endif
