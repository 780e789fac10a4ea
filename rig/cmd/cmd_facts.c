/* cmd_facts: `gvab facts` prints this host's facts (hostfacts.h) as JSON. */
#include "cmds.h"
#include "hostfacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_facts(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cmds_usage("facts", "\n\nPrints the host facts a run records (kernel, CPU, memory, "
		                    "virtualization, clocksource, governor, mitigations, knobs) as JSON.\n"
		                    "\nexamples:\n  gvab facts\n  gvab facts > host.json\n");
		return 0;
	}
	cJSON *f = hostfacts_collect();
	char *s = cJSON_Print(f);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(f);
	return 0;
}
