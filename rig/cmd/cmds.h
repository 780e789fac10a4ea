/* cmds: every gvab subcommand, one file each (cmd_NAME.c). Each parses its
 * options from one table that also gives its help (opt.h), calls the
 * modules and prints; it returns a process exit code. `gvab help CMD` runs
 * `gvab CMD --help`. */
#ifndef GVAB_CMDS_H
#define GVAB_CMDS_H

int cmd_source(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_inittrace(int argc, char **argv);
int cmd_facts(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_bisect(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_footprint(int argc, char **argv);
int cmd_trend(int argc, char **argv);
int cmd_history(int argc, char **argv);

/* Reports the recorded error as "gvab: <context>: <error>" and maps the
 * code to an exit code. */
int cmds_fail(int code, const char *context);

#endif
