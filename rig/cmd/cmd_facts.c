/* cmd_facts: `gvab facts` prints this host's facts (hostfacts.h) as JSON. */
#include "cmds.h"
#include "hostfacts.h"
#include "opt.h"

#include <stdio.h>
#include <stdlib.h>

static const struct opt opts[] = {{0}};

static const struct opt_cmd cmd = {
	"facts", "",
	"Prints the host facts a run records (kernel, CPU, memory, virtualization,\n"
	"clocksource, governor, mitigations, knobs) as JSON.\n",
	opts, NULL,
	"facts\n"
	"facts > host.json"};

int cmd_facts(int argc, char **argv)
{
	int code;
	if (opt_parse_bare(&cmd, argc, argv, &code))
		return code;
	cJSON *f = hostfacts_collect();
	char *s = cJSON_Print(f);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(f);
	return 0;
}
