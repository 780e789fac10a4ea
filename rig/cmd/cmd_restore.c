/* cmd_restore: `gvab restore` puts back host knobs a killed run left. */
#include "boot.h"
#include "cmds.h"
#include "error.h"
#include "knobs.h"
#include "opt.h"

#include <stdio.h>

static const struct opt opts[] = {{0}};

static const struct opt_cmd cmd = {
	"restore", "",
	"If a gvab run was killed (SIGKILL) while it had host knobs changed, its journal\n"
	"is still on disk; this puts the original values back and removes the journal.\n"
	"It also kills what killed runs left in their state directories (under\n"
	"$GVAB_STATE_DIR, default /run/gvab), even mid-create: processes whose argv\n"
	"names a boot's --root, and recorded pids whose start time still matches; then\n"
	"removes the boots' cgroups (v1 and v2) and the directories. A directory whose\n"
	"run is alive (it holds a lock on it) is left alone, whatever its pid. gvab run\n"
	"does the same on start.\n",
	opts,
	"Exit: 0 also when there is nothing to restore; 69 when another gvab process\n"
	"owns the host knobs.\n",
	"restore                   # after a run was killed with SIGKILL\n"
	"$ GVAB_STATE_DIR=/tmp/s gvab restore"};

int cmd_restore(int argc, char **argv)
{
	int code;
	if (opt_parse_bare(&cmd, argc, argv, &code))
		return code;
	/* Sandboxes first: their directories have locks of their own, so
	 * this is safe and useful even while another process owns the knobs. */
	int c = boot_recover_stale();
	if (c)
		printf("cleaned up %d sandbox(es) left by a killed run\n", c);
	int n = knobs_recover_stale();
	if (n < 0)
		return cmds_fail(n, "restore");
	if (n)
		printf("restored %d host knob(s)\n", n);
	if (!n && !c)
		printf("nothing to restore\n");
	return 0;
}
