/* cmds: helpers shared by the subcommand files. */
#include "cmds.h"
#include "error.h"

#include <stdio.h>

int cmds_fail(int code, const char *context)
{
	if (context)
		fprintf(stderr, "gvab: %s: %s\n", context, error_last());
	else
		fprintf(stderr, "gvab: %s\n", error_last());
	return error_exit_code(code);
}
