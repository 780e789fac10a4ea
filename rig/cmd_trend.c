/* cmd_trend: `gvab trend` times many releases in one interleaved run and
 * reports each against the previous one (see trend.h). */
#define _GNU_SOURCE
#include "cmds.h"
#include "error.h"

#include <stdio.h>

int cmd_trend(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gvab: trend: not built yet\n");
	return EXIT_GVAB_USAGE;
}
