/* test-server-mail.c -- unit tests of mail headers (RFC 2047 words, addresses) and texts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "foliod.h"
#include "unit.h"

/* Decodes standard base64 (test helper). Caller frees. */
static char *
b64_decode(const char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = calloc(1, n + 1);
	unsigned v = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n && s[i] != '='; i++) {
		v = v << 6 | (unsigned)(strchr(tab, s[i]) - tab);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	return out;
}

START_TEST(encoded_words_round_trip_and_stay_short)
{
	const char *in = "Jahresabschluss 2026 – Prüfung der Belege ✓ für Bäckerei Groß, "
			 "mit einem sehr langen Betreff, der gefaltet werden muss";
	char *enc = mail_smtp_encode_words(in), *p = enc, *end, *word, *lf;
	char all[512] = "";

	/* Every word is =?UTF-8?B?...?=, at most 75 characters, on its own folded line. */
	for (;;) {
		lf = strstr(p, "\r\n ");
		end = lf ? lf : p + strlen(p);
		ck_assert_msg(strncmp(p, "=?UTF-8?B?", 10) == 0, "word starts: %.20s", p);
		ck_assert_msg(end - p <= 75, "word of %d chars", (int)(end - p));
		ck_assert(strncmp(end - 2, "?=", 2) == 0);
		word = b64_decode(p + 10, (size_t)(end - p - 12));
		snprintf(all + strlen(all), sizeof all - strlen(all), "%s", word);
		free(word);
		if (lf == NULL)
			break;
		p = lf + 3;
	}
	ck_assert_str_eq(all, in);
	for (p = enc; (p = strchr(p, '\n')) != NULL; p++)
		ck_assert_msg(p > enc && p[-1] == '\r' && p[1] == ' ', "a break that is no fold");
	free(enc);
}
END_TEST

START_TEST(words_never_split_a_character)
{
	/* 44 ASCII bytes, then a 3-byte character across the 45-byte boundary. */
	char in[64];
	char *enc, *lf, *first;

	memset(in, 'a', 44);
	snprintf(in + 44, sizeof in - 44, "%s", "€uro");
	enc = mail_smtp_encode_words(in);
	lf = strstr(enc, "\r\n ");
	ck_assert_ptr_nonnull(lf);
	first = b64_decode(enc + 10, (size_t)(lf - enc - 12));
	ck_assert_int_eq(strlen(first), 44);
	free(first);
	free(enc);
}
END_TEST

START_TEST(addresses_are_checked)
{
	static const char *good[] = { "a@b", "carla.client+tag@client.test", "x-y@sub.example" };
	static const char *bad[] = { "", "a", "@b", "a@", "a@b@c", "a b@c", "a@b\r\nBcc: x@y",
		"<a@b>", "a@b,c@d", "a;b@c", "\"a\"@b", "ä@b" };
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(mail_smtp_address_ok(good[i]), "refused %s", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!mail_smtp_address_ok(bad[i]), "took %s", bad[i]);
	ck_assert(!mail_smtp_address_ok(NULL));
}
END_TEST

START_TEST(compose_escapes_html_and_links_the_thread)
{
	struct notify_ctx c;
	struct mail_text t;

	memset(&c, 0, sizeof c);
	cfg.public_url = "https://folio.example/";
	c.thread_id = 42;
	c.subject = "<b>Taxes</b>";
	c.firm_name = "Kanzlei A & B";
	c.account_name = "Client";
	c.actor_name = "Olga";
	c.body = "Please send *everything*.";
	c.body_html = "<p>Please send <em>everything</em>.</p>\n";
	mail_compose(MAIL_MESSAGE, &c, "Eve\r\nBcc: x@y", &t);
	ck_assert_str_eq(t.subject, "New message from Kanzlei A & B: <b>Taxes</b>");
	ck_assert_ptr_nonnull(strstr(t.text, "Hello Eve  Bcc: x@y,\n"));
	ck_assert_ptr_nonnull(strstr(t.text, "Open the chat: https://folio.example/threads/42\n"));
	ck_assert_ptr_nonnull(strstr(t.html, "&lt;b&gt;Taxes&lt;/b&gt;"));
	ck_assert_ptr_null(strstr(t.html, "<b>Taxes"));
	ck_assert_ptr_nonnull(strstr(t.html, "<em>everything</em>"));
	ck_assert_ptr_nonnull(strstr(t.html, "href=\"https://folio.example/threads/42\""));
	ck_assert_ptr_nonnull(strstr(t.html, "Kanzlei A &amp; B via Folio"));
	mail_compose_free(&t);
	mail_compose(MAIL_CLIENT_TASK, &c, "Sam", &t);
	ck_assert_ptr_null(strstr(t.text, "everything")); /* a task mail quotes no message */
	mail_compose_free(&t);
	cfg.public_url = NULL;
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("mail");

	tcase_add_test(tc, encoded_words_round_trip_and_stay_short);
	tcase_add_test(tc, words_never_split_a_character);
	tcase_add_test(tc, addresses_are_checked);
	tcase_add_test(tc, compose_escapes_html_and_links_the_thread);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
