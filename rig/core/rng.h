/* rng: splitmix64 (Steele, Lea, Flood 2014), the one seeded generator of
 * gvab: random boot orders (schedule.c) and every resampling of the
 * analysis (stats.c) draw from it, so a recorded seed replays exactly. */
#ifndef GVAB_RNG_H
#define GVAB_RNG_H

#include <stdint.h>

/* Advances *state and returns the next 64-bit value. */
uint64_t rng_next(uint64_t *state);

#endif
