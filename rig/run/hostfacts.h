/* hostfacts: what the host was while samples were taken.
 *
 * hostfacts_collect() reads kernel, CPU model, online CPUs, memory,
 * virtualization, clocksource, CPU frequency governor, CPU vulnerability
 * mitigations and the knobs (THP, rcu_expedited) into a JSON object.
 * hostfacts_drift() names the facts that must not change during a run and
 * did. Reading never fails as a whole: a fact that cannot be read is null.
 */
#ifndef GVAB_HOSTFACTS_H
#define GVAB_HOSTFACTS_H

#include <cjson/cJSON.h>

cJSON *hostfacts_collect(void);

/* Returns an array of {"fact", "before", "after"} for each drifted fact
 * (empty array when none). */
cJSON *hostfacts_drift(const cJSON *before, const cJSON *after);

#endif
