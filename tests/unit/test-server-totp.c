/* test-server-totp.c -- unit tests of totp.c: RFC 6238's vectors, the window, base32, the URI, recovery codes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "foliod.h"
#include "unit.h"

/* RFC 6238, appendix B: the SHA-1 key. */
static const unsigned char rfc_key[TOTP_SECRET_BYTES] = "12345678901234567890";

START_TEST(rfc_6238_vectors_in_six_digits)
{
	totp_init();
	/* The RFC's eight digits, of which TOTP apps show the last six. */
	ck_assert_int_eq(totp_check(rfc_key, "287082", 59), 1);
	ck_assert_int_eq(totp_check(rfc_key, "081804", 1111111109), 1111111109 / 30);
	ck_assert_int_eq(totp_check(rfc_key, "005924", 1234567890), 1234567890 / 30);
	ck_assert_int_eq(totp_check(rfc_key, "279037", 2000000000), 2000000000 / 30);
	ck_assert_int_eq(totp_check(rfc_key, "279038", 2000000000), -1);
}
END_TEST

START_TEST(one_step_of_drift_either_way)
{
	totp_init();
	/* The code of step 1, checked at steps 0, 2 and 3: it names its own step. */
	ck_assert_int_eq(totp_check(rfc_key, "287082", 5), 1);
	ck_assert_int_eq(totp_check(rfc_key, "287082", 89), 1);
	ck_assert_int_eq(totp_check(rfc_key, "287082", 95), -1);
}
END_TEST

START_TEST(only_six_digits_are_a_code)
{
	ck_assert(totp_is_code("012345"));
	ck_assert(!totp_is_code("12345"));
	ck_assert(!totp_is_code("1234567"));
	ck_assert(!totp_is_code("12a456"));
	ck_assert(!totp_is_code(""));
	ck_assert_int_eq(totp_check(rfc_key, "28708", 59), -1);
}
END_TEST

START_TEST(base32_and_the_otpauth_uri)
{
	char *b32, *uri;

	totp_init();
	b32 = totp_base32(rfc_key);
	ck_assert_str_eq(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	uri = totp_uri(b32, "Müller & Co", "a+b@c.test");
	ck_assert_str_eq(uri, "otpauth://totp/Folio%20%28M%C3%BCller%20%26%20Co%29%3Aa%2Bb%40c.test"
			      "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			      "&issuer=Folio%20%28M%C3%BCller%20%26%20Co%29&algorithm=SHA1&digits=6&period=30");
	free(uri);
	free(b32);
}
END_TEST

START_TEST(recovery_codes_ignore_case_spaces_and_dashes)
{
	char a[67], b[67], *code;
	int i;

	for (i = 0; i < 50; i++) {
		code = totp_recovery_new();
		ck_assert_int_eq(strlen(code), 11);
		ck_assert_int_eq(code[5], '-');
		ck_assert_int_eq(totp_recovery_hash(code, a), 0);
		free(code);
	}
	ck_assert_int_eq(totp_recovery_hash("abcde-fghij", a), 0);
	ck_assert_int_eq(totp_recovery_hash("ABCDE FGHIJ", b), 0);
	ck_assert_str_eq(a, b);
	ck_assert(strncmp(a, "\\x", 2) == 0 && strlen(a) == 66);
	ck_assert_int_eq(totp_recovery_hash("abcde-fghi", a), -1);
	ck_assert_int_eq(totp_recovery_hash("abcde-fghijk", a), -1);
	ck_assert_int_eq(totp_recovery_hash("abcde_fghij", a), -1);
}
END_TEST

START_TEST(policies)
{
	ck_assert(totp_policy_known("none") && totp_policy_known("staff") &&
	    totp_policy_known("clients") && totp_policy_known("all"));
	ck_assert(!totp_policy_known("") && !totp_policy_known("Staff"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = tcase_create("totp");

	tcase_add_test(tc, rfc_6238_vectors_in_six_digits);
	tcase_add_test(tc, one_step_of_drift_either_way);
	tcase_add_test(tc, only_six_digits_are_a_code);
	tcase_add_test(tc, base32_and_the_otpauth_uri);
	tcase_add_test(tc, recovery_codes_ignore_case_spaces_and_dashes);
	tcase_add_test(tc, policies);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
