/* cmd_restore: `gvab restore` puts back host knobs a killed run left. */
#include "cmds.h"
#include "error.h"
#include "knobs.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"\n"
	"If a gvab run was killed (SIGKILL, power loss of the process) while it had host\n"
	"knobs changed, its journal is still on disk; this puts the original values back\n"
	"and removes the journal. gvab run does the same on start. Exit 0 also when\n"
	"there is nothing to restore.\n";

int cmd_restore(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cmds_usage("restore", usage_text);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "gvab: restore: unexpected argument '%s'\n", argv[1]);
		return EXIT_GVAB_USAGE;
	}
	int n = knobs_recover_stale();
	if (n < 0)
		return cmds_fail(n, "restore");
	printf(n ? "restored %d host knob(s)\n" : "nothing to restore\n", n);
	return 0;
}
