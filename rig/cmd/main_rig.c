/* gvab-rig: the run part of gvab alone, for inventory hosts. It needs no
 * libgit2 and no Go toolchain: `gvab hosts` copies it (with the two shared
 * libraries it links, found through its rpath $ORIGIN/lib) to each host. */
#include "cmds.h"
#include "error.h"
#include "opt.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{"bundle", cmd_bundle}, {"run", cmd_run}, {"restore", cmd_restore}, {"facts", cmd_facts},
};

static const char usage[] = "usage: gvab-rig bundle|run|restore|facts|version [options]\n"
                            "       gvab-rig help CMD (or CMD --help): CMD's options, as gvab's\n";

int main(int argc, char **argv)
{
	opt_set_program("gvab-rig");
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_GVAB_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc < 3)) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
			if (strcmp(cmds[i].name, argv[2]) == 0) {
				char *hargv[] = {argv[2], "--help", NULL};
				return cmds[i].fn(2, hargv);
			}
		fprintf(stderr, "gvab-rig: unknown command '%s'\n", argv[2]);
		return EXIT_GVAB_USAGE;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("gvab-rig %s (%s)\n", GVAB_VERSION, GVAB_COMMIT);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmds[i].name, argv[1]) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "gvab-rig: unknown command '%s'\n", argv[1]);
	return EXIT_GVAB_USAGE;
}
