/* cmd_restore: `gvab restore` puts back host knobs a killed run left. */
#include "cmds.h"
#include "error.h"
#include "boot.h"
#include "knobs.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"\n"
	"If a gvab run was killed (SIGKILL) while it had host knobs changed, its journal\n"
	"is still on disk; this puts the original values back and removes the journal,\n"
	"and kills and removes the sandboxes the killed run left in /run/gvab. gvab run\n"
	"does the same on start. Exit 0 also when there is nothing to restore.\n";

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
	int c = boot_recover_stale();
	if (n)
		printf("restored %d host knob(s)\n", n);
	if (c)
		printf("cleaned up %d sandbox(es) left by a killed run\n", c);
	if (!n && !c)
		printf("nothing to restore\n");
	return 0;
}
