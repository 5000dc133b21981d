/* test-server-mention.c -- unit tests of mention.c: @mentions resolved against a given staff list. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "foliod.h"
#include "unit.h"

static const struct mention_name staff[] = {
	{ 7, "Mia Maier", "mia.maier" },
	{ 3, "Bo Brandt", "bo" },
	{ 12, "Jürgen Öztürk", "juergen" },
};
#define NSTAFF (sizeof staff / sizeof staff[0])

/* The ids found in body as "{a,b}". */
static char *
found(const char *body)
{
	size_t n;
	int64_t *ids = mention_find(body, staff, NSTAFF, &n);
	char *s = mention_array(ids, n);

	free(ids);
	return s;
}

#define ASSERT_FOUND(body, want) \
	do { \
		char *got_ = found(body); \
		ck_assert_msg(strcmp(got_, want) == 0, "%s: got %s, want %s", body, got_, want); \
		free(got_); \
	} while (0)

START_TEST(mentions_by_name_or_local_part_in_any_case)
{
	ASSERT_FOUND("Bitte @Mia Maier übernehmen", "{7}");
	ASSERT_FOUND("@mia maier, bitte", "{7}");
	ASSERT_FOUND("cc @mia.maier", "{7}");
	ASSERT_FOUND("danke @bo.", "{3}");
	ASSERT_FOUND("@jürgen öztürk hat es", "{12}");
	ASSERT_FOUND("@JÜRGEN ÖZTÜRK hat es", "{12}");
	ASSERT_FOUND("@bo und @Mia Maier", "{3,7}");
	ASSERT_FOUND("@bo @BO @Bo Brandt", "{3}");
	ASSERT_FOUND("(@bo)", "{3}");
}
END_TEST

START_TEST(no_mention_inside_words_addresses_or_longer_names)
{
	ASSERT_FOUND("schreib an mia.maier@firm.test", "{}");
	ASSERT_FOUND("schreib an x.@bo", "{}");
	ASSERT_FOUND("@box", "{}");
	ASSERT_FOUND("@bo_", "{}");
	ASSERT_FOUND("@bo-x", "{}");
	ASSERT_FOUND("@bo@firm", "{}");
	ASSERT_FOUND("@bo.x", "{}");
	ASSERT_FOUND("@Mia Maierson", "{}");
	ASSERT_FOUND("Mia Maier ohne at", "{}");
	ASSERT_FOUND("@", "{}");
	ASSERT_FOUND("", "{}");
	ASSERT_FOUND("@\xff\xfe", "{}");
}
END_TEST

START_TEST(nobody_to_mention)
{
	size_t n = 99;
	int64_t *ids = mention_find("@bo", NULL, 0, &n);

	ck_assert_int_eq(n, 0);
	free(ids);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mention");
	TCase *tc = tcase_create("mention");

	tcase_add_test(tc, mentions_by_name_or_local_part_in_any_case);
	tcase_add_test(tc, no_mention_inside_words_addresses_or_longer_names);
	tcase_add_test(tc, nobody_to_mention);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
