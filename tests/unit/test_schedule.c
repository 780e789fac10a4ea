/* schedule: order, warm-ups, seeds. */
#include "schedule.h"
#include "tests.h"

#include <stdlib.h>

START_TEST(test_abba)
{
	struct schedule_slot *s;
	size_t n;
	ck_assert_int_eq(schedule_build(2, 1, 3, ORDER_ABBA, 0, &s, &n), 0);
	ck_assert_uint_eq(n, 8);
	/* warm-up round first, then rounds 0..2, alternating lead */
	int arms[] = {0, 1, 1, 0, 0, 1, 1, 0};
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(s[i].arm, arms[i]);
	ck_assert_int_eq(s[0].warmup, 1);
	ck_assert_int_eq(s[1].warmup, 1);
	ck_assert_int_eq(s[2].warmup, 0);
	ck_assert_int_eq(s[2].round, 0);
	ck_assert_int_eq(s[7].round, 2);
	free(s);
}
END_TEST

START_TEST(test_alternate_and_random)
{
	struct schedule_slot *s, *t;
	size_t n, m;
	ck_assert_int_eq(schedule_build(3, 0, 4, ORDER_ALTERNATE, 0, &s, &n), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(s[i].arm, (int)(i % 3));
	free(s);
	ck_assert_int_eq(schedule_build(3, 2, 50, ORDER_RANDOM, 1234, &s, &n), 0);
	ck_assert_int_eq(schedule_build(3, 2, 50, ORDER_RANDOM, 1234, &t, &m), 0);
	int differs_from_identity = 0;
	for (size_t r = 0; r < n / 3; r++) {
		int seen[3] = {0, 0, 0};
		for (int k = 0; k < 3; k++) {
			ck_assert_int_eq(s[r * 3 + k].arm, t[r * 3 + k].arm); /* same seed, same order */
			seen[s[r * 3 + k].arm]++;
			differs_from_identity |= s[r * 3 + k].arm != k;
		}
		ck_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1); /* a permutation */
	}
	ck_assert(differs_from_identity);
	free(s);
	free(t);
	enum schedule_order o;
	ck_assert_int_lt(schedule_parse_order("sideways", &o), 0);
	ck_assert_int_lt(schedule_build(2, 0, 0, ORDER_ABBA, 0, &s, &n), 0);
}
END_TEST

/* latin: over one cycle (n rounds, 2n for odd n) every arm boots in every
 * position equally often and right after every other arm equally often. */
START_TEST(test_latin_balanced)
{
	for (int n = 2; n <= 7; n++) {
		int rows = n % 2 && n > 2 ? 2 * n : n;
		struct schedule_slot *s;
		size_t total;
		ck_assert_int_eq(schedule_build(n, 0, 3 * rows, ORDER_LATIN, 0, &s, &total), 0);
		int pos[7][7] = {{0}}, follows[7][7] = {{0}};
		for (int r = 0; r < rows; r++) {
			int seen[7] = {0};
			for (int k = 0; k < n; k++) {
				int a = s[r * n + k].arm;
				ck_assert_int_eq(seen[a]++, 0); /* a permutation */
				pos[a][k]++;
				if (k > 0)
					follows[s[r * n + k - 1].arm][a]++;
			}
		}
		for (int a = 0; a < n; a++)
			for (int b = 0; b < n; b++) {
				ck_assert_int_eq(pos[a][b], rows / n);
				if (a != b)
					ck_assert_int_eq(follows[a][b], rows / n);
			}
		/* The cycle repeats. */
		for (size_t i = (size_t)(rows * n); i < total; i++)
			ck_assert_int_eq(s[i].arm, s[i - (size_t)(rows * n)].arm);
		free(s);
	}
	/* Two arms: the same as abba. */
	struct schedule_slot *s, *t;
	size_t n, m;
	ck_assert_int_eq(schedule_build(2, 1, 5, ORDER_LATIN, 0, &s, &n), 0);
	ck_assert_int_eq(schedule_build(2, 1, 5, ORDER_ABBA, 0, &t, &m), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(s[i].arm, t[i].arm);
	free(s);
	free(t);
	enum schedule_order o;
	ck_assert_int_eq(schedule_parse_order("latin", &o), 0);
	ck_assert_int_eq(o, ORDER_LATIN);
	ck_assert_str_eq(schedule_order_name(o), "latin");
}
END_TEST

Suite *suite_schedule(void)
{
	Suite *s = suite_create("schedule");
	TCase *tc = tcase_create("orders");
	tcase_add_test(tc, test_abba);
	tcase_add_test(tc, test_alternate_and_random);
	tcase_add_test(tc, test_latin_balanced);
	suite_add_tcase(s, tc);
	return s;
}
