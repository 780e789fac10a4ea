/* revsetup: see revsetup.h. */
#include "revsetup.h"
#include "charts.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
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

void revision_chart(const char *out_dir, const char *name, const char *metric, const char *title,
                    const char *xlabel, const char *key, const char *plot)
{
	char *m = charts_gp_str(metric, 1);
	char *body = util_fmt("  set title \"gvab %s: %s p50 %s\"\n"
	                      "  set xlabel \"%s\"\n"
	                      "  set ylabel \"%s p50 (ms)\"\n"
	                      "  set grid ytics\n  set key %s\n  set xtics rotate by -45\n"
	                      "  set offsets 0.5, 0.5, 0, 0\n"
	                      "  plot %s",
	                      name, m, title, xlabel, m, key, plot);
	if (charts_script(out_dir, name, body, 900, 500) < 0)
		fprintf(stderr, "gvab: %s: chart: %s\n", name, error_last());
	free(body);
	free(m);
}
