/* schedule: see schedule.h. */
#include "schedule.h"
#include "rng.h"
#include "error.h"
#include "util.h"

#include <string.h>

/* splitmix64 (Steele, Lea, Flood 2014): small, fast, well distributed. */
static void fill_round(struct schedule_slot *s, int narms, int round, int warmup, int seq,
                       enum schedule_order order, uint64_t *rng)
{
	int perm[64];
	for (int i = 0; i < narms; i++)
		perm[i] = i;
	if ((order == ORDER_ABBA || (order == ORDER_LATIN && narms <= 2)) && (seq & 1)) {
		for (int i = 0; i < narms / 2; i++) {
			int t = perm[i];
			perm[i] = perm[narms - 1 - i];
			perm[narms - 1 - i] = t;
		}
	} else if (order == ORDER_LATIN && narms > 2) {
		/* Williams' design: row 0 is 0, 1, n-1, 2, n-2, ...; row r adds r
		 * (mod n); odd n also needs each row reversed (rows n..2n-1). Over
		 * n rounds (2n for odd n) every arm leads equally often and follows
		 * every other arm equally often. Two arms: this is abba. */
		int rows = narms % 2 ? 2 * narms : narms, row = seq % rows, shift = row % narms;
		for (int j = 0; j < narms; j++) {
			int first = j == 0 ? 0 : j % 2 ? (j + 1) / 2 : narms - j / 2;
			perm[j] = (first + shift) % narms;
		}
		for (int i = 0; row >= narms && i < narms / 2; i++) {
			int t = perm[i];
			perm[i] = perm[narms - 1 - i];
			perm[narms - 1 - i] = t;
		}
	} else if (order == ORDER_RANDOM) {
		for (int i = narms - 1; i > 0; i--) {
			int j = (int)(rng_next(rng) % (uint64_t)(i + 1));
			int t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
	}
	for (int i = 0; i < narms; i++) {
		s[i].arm = perm[i];
		s[i].round = round;
		s[i].warmup = warmup;
	}
}

int schedule_build(int narms, int warmups, int iterations, enum schedule_order order,
                   uint64_t seed, struct schedule_slot **out, size_t *n)
{
	if (narms < 1 || narms > 64)
		return error_setc(GVAB_EUSAGE, "%d arms: expected 1 to 64", narms);
	if (warmups < 0 || iterations < 1)
		return error_setc(GVAB_EUSAGE, "need iterations >= 1 and warm-ups >= 0");
	size_t total = (size_t)narms * (size_t)(warmups + iterations);
	struct schedule_slot *s = util_xcalloc(total, sizeof *s);
	uint64_t rng = seed;
	int seq = 0;
	size_t k = 0;
	for (int r = 0; r < warmups; r++, seq++, k += (size_t)narms)
		fill_round(s + k, narms, r, 1, seq, order, &rng);
	for (int r = 0; r < iterations; r++, seq++, k += (size_t)narms)
		fill_round(s + k, narms, r, 0, seq, order, &rng);
	*out = s;
	*n = total;
	return 0;
}
