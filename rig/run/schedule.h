/* schedule: the order in which arms boot.
 *
 * Rounds: round r boots every arm once. Warm-up rounds come first and are
 * flagged; measured rounds are numbered from 0 and the boots of one round
 * are adjacent in time, which is what the paired analysis pairs on.
 * Orders: "alternate" (A B A B ...), "abba" (A B, B A, A B, ...: each arm
 * leads every other round, cancelling first-in-round effects and linear
 * drift; with more than two arms the middle arms never lead), "latin"
 * (Williams' balanced Latin square: over N rounds, 2N for an odd N, each
 * of N arms boots in every position equally often and right after every
 * other arm equally often; two arms give abba), "random" (each round a
 * random permutation from a seeded PRNG; the seed is recorded so the order
 * can be regenerated).
 */
#ifndef GVAB_SCHEDULE_H
#define GVAB_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "runspec.h" /* enum schedule_order, schedule_parse_order, schedule_order_name */


struct schedule_slot {
	int arm;      /* index into the run's arms */
	int round;    /* warm-up rounds: 0..warmups-1; measured: 0..iterations-1 */
	int warmup;   /* 1 for a discarded warm-up boot */
};


/* Builds (narms * (warmups + iterations)) slots; caller frees *out. */
int schedule_build(int narms, int warmups, int iterations, enum schedule_order order,
                   uint64_t seed, struct schedule_slot **out, size_t *n);


#endif
