/* gvab: a patched-gVisor companion and an A/B cold-boot regression rig.
 * main only dispatches to the subcommand table below. */
#include "cmds.h"
#include "error.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static const struct cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} cmds[] = {
	{"source", cmd_source, "fetch or import gVisor source and resolve a ref"},
	{"build", cmd_build, "build a runsc arm (stock, patched, or patch series) with provenance"},
	{"cache", cmd_cache, "disk usage of the source, module and build caches; prune them"},
	{"bundle", cmd_bundle, "write the hardened busybox OCI bundle"},
	{"run", cmd_run, "interleaved A/B cold boots, writing run.json + samples.jsonl"},
	{"restore", cmd_restore, "put back host knobs a killed run left changed"},
	{"facts", cmd_facts, "print this host's facts as JSON"},
	{"hosts", cmd_hosts, "list, check and run A/B campaigns on an Ansible inventory"},
	{"report", cmd_report, "tables, statistics and charts from run directories"},
	{"compare", cmd_compare, "answer lines and a table from run directories, no files written"},
	{"footprint", cmd_footprint, "cold/warm start, memory, CPU- and syscall-bound time, each against runc"},
	{"gate", cmd_gate, "pass/fail regression verdict for a run"},
	{"bisect", cmd_bisect, "find the go-branch merge where cold boot changed"},
	{"trend", cmd_trend, "time many releases in one interleaved run, each against the previous"},
	{"history", cmd_history, "store runs in a SQLite history; show series, find change points"},
	{"inittrace", cmd_inittrace, "package init() time per runsc process, binary A beside B"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gvab <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "  %-10s %s\n", "help", "show a command's options (gvab help CMD)");
	fprintf(f, "  %-10s %s\n", "version", "print gvab's version");
	fprintf(f, "\nexit codes: 0 ok, 1 failure, 64 usage, 65 invalid data, 69 failed "
	           "precondition, 130 interrupted (gate: see gvab help gate)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_GVAB_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
		printf("gvab %s (%s)\n", GVAB_VERSION, GVAB_COMMIT);
		return 0;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		/* The command prints its own help (opt_help, from its option
		 * table), exactly as `gvab CMD --help` does. */
		name = argv[2];
		for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
			if (strcmp(cmds[i].name, name) == 0) {
				char *hargv[] = {argv[2], "--help", NULL};
				return cmds[i].fn(2, hargv);
			}
		fprintf(stderr, "gvab: unknown command '%s' (see gvab --help)\n", name);
		return EXIT_GVAB_USAGE;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "gvab: unknown command '%s' (see gvab --help)\n", name);
	return EXIT_GVAB_USAGE;
}
