/* test-common.c -- unit tests of the shared library: buf, json, utf8, proto. */
#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "mem.h"
#include "proto.h"
#include "utf8.h"
#include "unit.h"

static const struct json_limits lim = { 4, 16 };

START_TEST(buf_grows_and_detaches)
{
	struct buf b = BUF_INIT;
	char *s;
	int i;

	ck_assert_str_eq(buf_str(&b), "");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i % 10);
	ck_assert_uint_eq(b.len, 2000);
	buf_reset(&b);
	buf_puts(&b, "ab");
	buf_putc(&b, 'c');
	s = buf_detach(&b);
	ck_assert_str_eq(s, "abc");
	ck_assert_ptr_null(b.data);
	free(s);
	buf_free(&b);
}
END_TEST

START_TEST(json_parses_strictly)
{
	char err[128];
	struct json_object *o;
	const char *s, *good;
	int64_t n;
	bool v;

	o = json_parse("{\"a\":\"x\",\"n\":5,\"b\":true}", 24, &lim, err, sizeof err);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	/* Escapes and the letters of true/false/null/exponents stay fine. */
	good = "[\"I\\\"N\\t\", 1e5, 2E-3, true, false, null]";
	o = json_parse(good, strlen(good), &lim, err, sizeof err);
	ck_assert_msg(o != NULL, "%s", err);
	json_object_put(o);
	o = json_parse("{\"a\":\"x\",\"n\":5,\"b\":true}", 24, &lim, err, sizeof err);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_get_string(o, "a", &s), JSON_GET_OK);
	ck_assert_str_eq(s, "x");
	ck_assert_int_eq(json_get_int(o, "n", &n), JSON_GET_OK);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(json_get_bool(o, "b", &v), JSON_GET_OK);
	ck_assert_int_eq(json_get_string(o, "n", &s), JSON_GET_WRONG_TYPE);
	ck_assert_int_eq(json_get_string(o, "missing", &s), JSON_GET_MISSING);
	json_object_put(o);
	/* A value alone, ending with the text (json-c needs a NUL to end a number). */
	o = json_parse("17", 2, &lim, err, sizeof err);
	ck_assert_msg(o != NULL && json_object_get_int64(o) == 17, "%s", err);
	json_object_put(o);
	o = json_parse("true", 4, &lim, err, sizeof err);
	ck_assert_msg(o != NULL && json_object_get_boolean(o), "%s", err);
	json_object_put(o);
	/* null has no object: refused with a reason, not json-c's "success". */
	ck_assert_ptr_null(json_parse("null ", 5, &lim, err, sizeof err));
	ck_assert_ptr_null(strstr(err, "success"));
}
END_TEST

START_TEST(json_refuses_bad_input)
{
	static const char *bad[] = {
		"{\"a\":1} x",          /* trailing bytes */
		"{\"a\":",              /* truncated */
		"{'a':1}",              /* not strict */
		"[[[[[[1]]]]]]",        /* too deep for the limit */
		"{\"a\":\"0123456789abcdefg\"}", /* string over 16 bytes */
		"\"\xff\xfe\"",         /* not UTF-8 */
		"{\"a\":NaN}", "{\"a\":-Infinity}", "[Infinity]",
		"{\"a\":\"tab\there\"}",  /* raw control character in a string */
		"[-01]", "[1.]", "{\"a\":1.e5}", "-", /* numbers json-c's strict mode takes */
		"",
	};
	char err[128];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(json_parse(bad[i], strlen(bad[i]), &lim, err, sizeof err) == NULL,
		    "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
	}
	ck_assert_ptr_null(json_parse("{\"a\":1}\0x", 9, &lim, err, sizeof err));
}
END_TEST

START_TEST(utf8_decodes_and_validates)
{
	uint32_t cp;

	ck_assert_int_eq(utf8_decode("\xc3\xbc", 2, &cp), 2);
	ck_assert_uint_eq(cp, 0xfc);
	ck_assert_int_eq(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x1f600);
	ck_assert_int_eq(utf8_decode("\xc0\xaf", 2, &cp), -1);     /* overlong */
	ck_assert_int_eq(utf8_decode("\xed\xa0\x80", 3, &cp), -1); /* surrogate */
	ck_assert_int_eq(utf8_decode("\xe2\x82", 2, &cp), -1);     /* truncated */
	ck_assert(utf8_valid("Grüße 日本", strlen("Grüße 日本")));
	ck_assert(!utf8_valid("a\xffz", 3));
}
END_TEST

START_TEST(utf8_widths)
{
	const char *s = "a日本😀ü";

	ck_assert_uint_eq(utf8_width("Müller", strlen("Müller")), 6);
	ck_assert_uint_eq(utf8_width(s, strlen(s)), 1 + 2 + 2 + 2 + 1);
	/* Fitting never splits a wide character. */
	ck_assert_uint_eq(utf8_fit(s, strlen(s), 2), 1);
	ck_assert_uint_eq(utf8_fit(s, strlen(s), 3), 4);
	ck_assert_uint_eq(utf8_fit(s, strlen(s), 100), strlen(s));
}
END_TEST

START_TEST(proto_names_round_trip)
{
	ck_assert_int_eq(proto_role_parse("owner"), ROLE_OWNER);
	ck_assert_int_eq(proto_role_parse("boss"), ROLE_NONE);
	ck_assert_int_eq(proto_role_parse(NULL), ROLE_NONE);
	ck_assert_str_eq(proto_role_name(ROLE_ADMIN), "admin");
	ck_assert_int_eq(proto_kind_parse(proto_kind_name(USER_CONTACT)), USER_CONTACT);
	ck_assert(ROLE_OWNER > ROLE_ADMIN && ROLE_ADMIN > ROLE_MEMBER);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");

	setlocale(LC_CTYPE, "C.UTF-8");
	tcase_add_test(tc, buf_grows_and_detaches);
	tcase_add_test(tc, json_parses_strictly);
	tcase_add_test(tc, json_refuses_bad_input);
	tcase_add_test(tc, utf8_decodes_and_validates);
	tcase_add_test(tc, utf8_widths);
	tcase_add_test(tc, proto_names_round_trip);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
