/*
 * totp.c -- the second factor's arithmetic: a new secret (20 bytes from
 * libsodium), its base32 and otpauth:// forms, checking a six-digit code
 * against it with liboath (the step before and after count too: clocks
 * drift), recovery codes and their hashes, and whom a firm's policy covers.
 * It keeps no state and runs no SQL: the rows are db-totp.c's, the routes
 * route-totp.c's and the login's route-sessions.c's.
 */
#include "foliod.h"

#include <ctype.h>
#include <liboath/oath.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOTP_STEP 30
#define TOTP_WINDOW 1
#define TOTP_DIGITS 6

void
totp_init(void)
{
	if (oath_init() != OATH_OK)
		abort(); /* liboath could not start: no code could be checked */
}

void
totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES])
{
	randombytes_buf(secret, TOTP_SECRET_BYTES);
}

char *
totp_base32(const unsigned char secret[TOTP_SECRET_BYTES])
{
	char *out = NULL, *copy;
	size_t len = 0;

	if (oath_base32_encode((const char *)secret, TOTP_SECRET_BYTES, &out, &len) != OATH_OK)
		abort(); /* only out of memory fails */
	copy = xstrdup(out); /* ours to free with free(), whatever liboath allocated with */
	free(out);
	return copy;
}

/* Appends s to b with every byte outside RFC 3986's unreserved set percent-encoded. */
static void
totp_uri_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL) {
			buf_putc(b, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_append(b, e, 3);
		}
	}
}

char *
totp_uri(const char *base32, const char *firm, const char *email)
{
	struct buf b = { 0 };
	char *label = xasprintf("Folio (%s):%s", firm, email);
	char *issuer = xasprintf("Folio (%s)", firm);

	/* otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER (Google's Key Uri Format). */
	buf_puts(&b, "otpauth://totp/");
	totp_uri_escape(&b, label);
	buf_puts(&b, "?secret=");
	buf_puts(&b, base32);
	buf_puts(&b, "&issuer=");
	totp_uri_escape(&b, issuer);
	buf_puts(&b, "&algorithm=SHA1&digits=6&period=30");
	free(label);
	free(issuer);
	return buf_detach(&b);
}

/* liboath's comparison callback: 0 when equal, compared in constant time. */
static int
totp_cmp(void *handle, const char *test_otp)
{
	const char *given = handle;

	return sodium_memcmp(given, test_otp, TOTP_DIGITS) == 0 ? 0 : 1;
}

bool
totp_is_code(const char *s)
{
	int i;

	for (i = 0; i < TOTP_DIGITS; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[TOTP_DIGITS] == '\0';
}

int64_t
totp_check(const unsigned char secret[TOTP_SECRET_BYTES], const char *code, time_t now)
{
	int pos = 0, rc;

	if (!totp_is_code(code))
		return -1;
	rc = oath_totp_validate2_callback((const char *)secret, TOTP_SECRET_BYTES, now, TOTP_STEP,
	    0, TOTP_DIGITS, TOTP_WINDOW, &pos, totp_cmp, (void *)code);
	if (rc < 0)
		return -1;
	return (int64_t)(now / TOTP_STEP) + pos;
}

/* Recovery codes: 10 characters of base32 (50 bits), shown as xxxxx-xxxxx. */
#define TOTP_RC_CHARS 10

char *
totp_recovery_new(void)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char raw[TOTP_RC_CHARS];
	char *s = xmalloc(TOTP_RC_CHARS + 2);
	int i, j = 0;

	randombytes_buf(raw, sizeof raw);
	for (i = 0; i < TOTP_RC_CHARS; i++) {
		if (i == TOTP_RC_CHARS / 2)
			s[j++] = '-';
		s[j++] = alphabet[raw[i] & 31];
	}
	s[j] = '\0';
	sodium_memzero(raw, sizeof raw);
	return s;
}

int
totp_recovery_hash(const char *code, char out[67])
{
	char norm[TOTP_RC_CHARS + 1];
	unsigned char h[32];
	size_t n = 0;
	const char *p;

	/* Case, spaces and dashes do not count: "ABCDE FGHIJ" is "abcde-fghij". */
	for (p = code; *p; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		if (n == TOTP_RC_CHARS || !isalnum((unsigned char)*p))
			return -1;
		norm[n++] = (char)tolower((unsigned char)*p);
	}
	if (n != TOTP_RC_CHARS)
		return -1;
	norm[n] = '\0';
	crypto_hash_sha256(h, (const unsigned char *)norm, n);
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, h, sizeof h);
	return 0;
}

bool
totp_policy_known(const char *policy)
{
	static const char *const names[] = { "none", "staff", "clients", "all" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(policy, names[i]) == 0)
			return true;
	return false;
}
