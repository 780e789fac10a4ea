/* cmd_run: `gvab run`, the measuring instrument (rig/run/runloop.h): parses
 * the options into a run spec, runs it, and ends with the answer, one line
 * per arm against the first (as `gvab compare` prints it). */
#include "answer.h"
#include "cmds.h"
#include "error.h"
#include "runloop.h"
#include "runopts.h"

#include <stdlib.h>

int cmd_run(int argc, char **argv)
{
	struct run_spec spec;
	int rc = run_spec_parse(argc, argv, &spec);
	if (rc != 0) {
		run_spec_free(&spec);
		return rc == RUN_SPEC_HELP ? 0 : rc == RUN_SPEC_REPORTED ? EXIT_GVAB_USAGE : cmds_fail(rc, "run");
	}
	struct run_outcome o;
	rc = runloop_run(&spec, &o);
	/* The answer when the run has measured boots and was not interrupted. */
	if (o.saved && o.ok_count > 0 && rc != GVAB_EINTR)
		answer_print_run(o.out_dir, PH_CORE);
	run_spec_free(&spec);
	free(o.out_dir);
	return rc < 0 ? cmds_fail(rc, "run") : 0;
}
