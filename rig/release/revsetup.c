/* revsetup: see revsetup.h. */
#include "revsetup.h"

#include <string.h>

void revision_run_spec(const struct revision_setup *rs, struct run_spec *s)
{
	run_spec_init(s);
	s->bundle = rs->bundle;
	s->quiet = 1;
	if (!rs->run_base)
		return;
	s->nset = rs->run_base->nset;
	memcpy(s->set_name, rs->run_base->set_name, sizeof s->set_name);
	memcpy(s->set_value, rs->run_base->set_value, sizeof s->set_value);
}
