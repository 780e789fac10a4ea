/* bisect_out: what a bisect leaves: the chart along the path, bisect.md,
 * the master commits a merge brings, the ends' figures. See bisect_int.h. */
#define _GNU_SOURCE
#include "bisect.h"
#include "bisect_int.h"
#include "analysis.h"
#include "answer.h"
#include "build.h"
#include "charts.h"
#include "error.h"
#include "modsource.h"
#include "proc.h"
#include "runloop.h"
#include "samples.h"
#include "source.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

void bisect_write_chart(const struct bisect_opts *o, const struct path *p)
{
	char *dat = util_fmt("%s/bisect.dat", o->out_dir);
	FILE *f = fopen(dat, "w");
	if (!f) {
		free(dat);
		return;
	}
	int any = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct rev *r = &p->r[i];
		if (r->step < 0 || isnan(r->med_ms))
			continue;
		char label[16];
		bisect_rev_label(r, label, sizeof label);
		/* An open median interval (too few boots) is drawn as no whisker. */
		fprintf(f, "%zu %.3f %.3f %.3f \"%s\" %d\n", i, r->med_ms,
		        isfinite(r->lo_ms) ? r->lo_ms : r->med_ms, isfinite(r->hi_ms) ? r->hi_ms : r->med_ms, label,
		        r->state == R_BAD ? 2 : r->state == R_GOOD ? 1 : 0);
		any = 1;
	}
	fclose(f);
	if (any)
		revision_chart(o->out_dir, "bisect", o->rs.metric, "along the go-branch path (95% CI)",
		               "revision (bisect_position on the path, oldest first)", "top right",
		               "\"bisect.dat\" using 1:($6==1?$2:1/0):3:4:xtic(5) with yerrorbars pt 7 lc rgb \"#0072B2\" title \"good-like\", \\\n"
		               "       \"\" using 1:($6==2?$2:1/0):3:4 with yerrorbars pt 7 lc rgb \"#D55E00\" title \"bad-like\", \\\n"
		               "       \"\" using 1:($6==0?$2:1/0):3:4 with yerrorbars pt 6 lc rgb \"#999999\" title \"undecided\"\n");
	free(dat);
}

/* bisect.md: the summary, then every revision of the path with what was
 * found about it. */
void bisect_write_markdown(const struct bisect_opts *o, const struct path *p, const char *summary,
                           const char *status)
{
	char *path = util_fmt("%s/bisect.md", o->out_dir), *md = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&md, &len);
	if (!f) {
		free(path);
		return;
	}
	fprintf(f, "# gvab bisect: %s from %s to %s (%s)\n\n```\n%s```\n\n", o->rs.metric, o->good, o->bad,
	        status, summary);
	fprintf(f, "| # | revision | subject | state | step | %s p50 ms [95%% CI] | note |\n", o->rs.metric);
	fprintf(f, "|---:|---|---|---|---:|---|---|\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct rev *r = &p->r[i];
		char label[16], subj[sizeof r->subject], note[sizeof r->note];
		bisect_rev_label(r, label, sizeof label);
		snprintf(subj, sizeof subj, "%s", r->subject);
		snprintf(note, sizeof note, "%s", r->note);
		for (char *c = subj; *c; c++)
			*c = *c == '|' ? '/' : *c;
		for (char *c = note; *c; c++)
			*c = *c == '|' ? '/' : *c;
		fprintf(f, "| %zu | `%s` | %s | %s |", i, label, subj, bisect_state_names[r->state]);
		char ci[112];
		if (r->step >= 0 && !isnan(r->med_ms))
			fprintf(f, " %d | %.2f %s |", r->step, r->med_ms,
			        answer_interval(ci, sizeof ci, r->lo_ms, r->hi_ms, 2, 0));
		else
			fprintf(f, " | |");
		fprintf(f, " %s |\n", note);
	}
	fclose(f);
	if (util_write_file_atomic(path, md, len) < 0)
		fprintf(stderr, "gvab: bisect: %s\n", error_last());
	free(md);
	free(path);
}

/* The master commits a go merge brought (git history only). */
void bisect_merge_brings(git_repository *repo, const char *merge_hex, cJSON *list)
{
	struct source_commit *c = NULL;
	size_t n = 0;
	source_merge_brings(repo, merge_hex, 200, &c, &n);
	for (size_t k = 0; k < n; k++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "commit", c[k].hex);
		cJSON_AddStringToObject(x, "subject", c[k].subject);
		cJSON_AddItemToArray(list, x);
	}
	free(c);
}

/* The ends' figures (good first, bad last on the path) from a look. */
void bisect_ends_from_look(struct path *p, int step, const struct look_result *lr)
{
	for (int e = 1; e < 3; e++) {
		struct rev *er = &p->r[e == 1 ? 0 : p->n - 1];
		er->step = step;
		er->med_ms = lr->med[e];
		er->lo_ms = lr->lo[e];
		er->hi_ms = lr->hi[e];
	}
}
