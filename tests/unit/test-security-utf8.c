/*
 * test-security-utf8.c -- strict UTF-8 (issue 13, part 1): the validator in
 * common/utf8.c byte case by byte case, and json_parse_why() refusing the
 * same cases in strings, in keys and as \u escapes.
 */
#include <locale.h>
#include <string.h>

#include "json.h"
#include "unit.h"
#include "utf8.h"

static const struct json_limits lim = { 8, 1024 };

/* Byte sequences that are not strict UTF-8, and where the first bad byte is. */
static const struct {
	const char *bytes;
	size_t len, at;
	const char *what;
} bad_text[] = {
	{ "\xc0\xaf", 2, 0, "overlong '/' (C0 AF)" },
	{ "\xc1\xbf", 2, 0, "overlong (C1 BF)" },
	{ "\xe0\x80\x80", 3, 0, "overlong NUL (E0 80 80)" },
	{ "\xe0\x9f\xbf", 3, 0, "overlong (E0 9F BF)" },
	{ "\xf0\x80\x80\x80", 4, 0, "overlong (F0 80 80 80)" },
	{ "\xf0\x8f\xbf\xbf", 4, 0, "overlong (F0 8F BF BF)" },
	{ "\xed\xa0\x80", 3, 0, "high surrogate (ED A0 80)" },
	{ "\xed\xbf\xbf", 3, 0, "low surrogate (ED BF BF)" },
	{ "\xed\xa0\xbd\xed\xb8\x80", 6, 0, "surrogate pair in CESU-8" },
	{ "\xf4\x90\x80\x80", 4, 0, "past U+10FFFF (F4 90 80 80)" },
	{ "\xf7\xbf\xbf\xbf", 4, 0, "past U+10FFFF (F7 BF BF BF)" },
	{ "\xf8\x88\x80\x80\x80", 5, 0, "five-byte form" },
	{ "\xff", 1, 0, "FF" },
	{ "\x80", 1, 0, "lone continuation byte" },
	{ "ab\xe2\x82", 4, 2, "truncated three-byte sequence" },
	{ "ab\xf0\x9f\x98", 5, 2, "truncated four-byte sequence" },
	{ "ab\xc3", 3, 2, "truncated two-byte sequence" },
	{ "a\xc3(b", 4, 1, "lead byte without its continuation" },
	{ "ab\0cd", 5, 2, "NUL" },
};

START_TEST(utf8_refuses_each_bad_case)
{
	size_t i;

	for (i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
		ck_assert_msg(!utf8_valid(bad_text[i].bytes, bad_text[i].len), "%s", bad_text[i].what);
		ck_assert_msg(utf8_invalid_at(bad_text[i].bytes, bad_text[i].len) == bad_text[i].at,
		    "%s: offset", bad_text[i].what);
	}
}
END_TEST

START_TEST(utf8_accepts_the_edges)
{
	static const char *good[] = {
		"", "plain ASCII", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
		"Gr\xc3\xbc\xc3\x9f" "e \xe5\xb1\xb1\xe7\x94\xb0 \xf0\x9f\x92\xa5",
	};
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_msg(utf8_valid(good[i], strlen(good[i])), "case %zu", i);
		ck_assert_uint_eq(utf8_invalid_at(good[i], strlen(good[i])), strlen(good[i]));
	}
}
END_TEST

/* Parses text (len bytes) and expects a refusal of the given kind. */
static void
expect_refused(const char *text, size_t len, enum json_fail want, const char *what)
{
	enum json_fail why = JSON_FAIL_NONE;
	char err[256];
	struct json_object *o = json_parse_why(text, len, &lim, &why, err, sizeof err);

	ck_assert_msg(o == NULL, "%s: accepted", what);
	ck_assert_msg(why == want, "%s: kind %d, want %d (%s)", what, why, want, err);
	ck_assert_msg(err[0] != '\0', "%s: no reason", what);
}

START_TEST(json_refuses_bad_text_in_values_and_keys)
{
	char text[64];
	size_t i, n, len;

	for (i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
		n = bad_text[i].len;
		/* As a value. */
		memcpy(text, "{\"a\":\"", 6);
		memcpy(text + 6, bad_text[i].bytes, n);
		memcpy(text + 6 + n, "\"}", 2);
		len = 8 + n;
		expect_refused(text, len, JSON_FAIL_TEXT, bad_text[i].what);
		/* As a key. */
		memcpy(text, "{\"", 2);
		memcpy(text + 2, bad_text[i].bytes, n);
		memcpy(text + 2 + n, "\":1}", 4);
		expect_refused(text, 6 + n, JSON_FAIL_TEXT, bad_text[i].what);
		/* Inside an array. */
		memcpy(text, "[\"", 2);
		memcpy(text + 2, bad_text[i].bytes, n);
		memcpy(text + 2 + n, "\"]", 2);
		expect_refused(text, 4 + n, JSON_FAIL_TEXT, bad_text[i].what);
	}
}
END_TEST

START_TEST(json_refuses_bad_escapes)
{
	static const char *bad[] = {
		"{\"a\":\"abc\\u0000def\"}",     /* NUL, escaped */
		"{\"a\\u0000b\":1}",             /* NUL in a key: json-c would cut the key */
		"{\"a\":\"\\ud800\"}",           /* lone high surrogate */
		"{\"a\":\"\\uD800x\"}",
		"{\"a\":\"\\ud800\\u0041\"}",    /* high followed by no low */
		"{\"a\":\"\\udc00\"}",           /* lone low surrogate */
		"{\"a\":\"\\udfff\\ud800\"}",    /* the wrong order */
		"[\"\\ud83d\"]",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_refused(bad[i], strlen(bad[i]), JSON_FAIL_TEXT, bad[i]);
}
END_TEST

START_TEST(json_keeps_good_escapes_and_syntax_errors_apart)
{
	enum json_fail why;
	struct json_object *o;
	const char *s;
	char err[256];
	static const char pair[] = "{\"a\":\"\\ud83d\\udca5 \\\\u0000 \\u00fc\"}";

	o = json_parse_why(pair, strlen(pair), &lim, &why, err, sizeof err);
	ck_assert_msg(o != NULL, "%s", err);
	ck_assert_int_eq(json_get_string(o, "a", &s), JSON_GET_OK);
	ck_assert_str_eq(s, "\xf0\x9f\x92\xa5 \\u0000 \xc3\xbc");
	json_object_put(o);
	expect_refused("{\"a\":", 5, JSON_FAIL_SYNTAX, "cut short");
	expect_refused("{\"a\":1} x", 9, JSON_FAIL_SYNTAX, "trailing");
	expect_refused("{'a':1}", 7, JSON_FAIL_SYNTAX, "single quotes");
	expect_refused("null ", 5, JSON_FAIL_NULL, "a lone null");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("security-utf8");
	TCase *tc = tcase_create("core");

	setlocale(LC_CTYPE, "C.UTF-8");
	tcase_add_test(tc, utf8_refuses_each_bad_case);
	tcase_add_test(tc, utf8_accepts_the_edges);
	tcase_add_test(tc, json_refuses_bad_text_in_values_and_keys);
	tcase_add_test(tc, json_refuses_bad_escapes);
	tcase_add_test(tc, json_keeps_good_escapes_and_syntax_errors_apart);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
