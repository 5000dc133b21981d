/*
 * auth.c -- passwords (argon2id through libsodium), session tokens (256 random
 * bits, stored only as their SHA-256), resolving a bearer token to a user, and
 * the password policy (length, then libpwquality: dictionary words, repeats).
 * Verifying a password always runs argon2id, against a dummy hash when there is
 * no user, so that timing does not tell known addresses from unknown ones.
 */
#include "foliod.h"

#include <pthread.h>
#include <pwquality.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

char *
auth_hash_password(const char *password)
{
	char *out = xmalloc(crypto_pwhash_STRBYTES);

	if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
		crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* A hash of a random password, made once with the same cost as real ones. */
static char *auth_dummy;
static pthread_once_t auth_dummy_once = PTHREAD_ONCE_INIT;

static void
auth_dummy_make(void)
{
	char pw[33];

	auth_random_hex(pw, 16);
	if ((auth_dummy = auth_hash_password(pw)) == NULL)
		abort(); /* out of memory for argon2: nothing would work */
}

bool
auth_check_password(const char *hash, const char *password)
{
	const char *h = hash;

	/*
	 * Without a hash (no such user, or no password) verify the dummy all the
	 * same and fail: a login takes as long whether the address is known or not.
	 */
	if (h == NULL) {
		pthread_once(&auth_dummy_once, auth_dummy_make);
		h = auth_dummy;
	}
	metrics_password_checked();
	return crypto_pwhash_str_verify(h, password, strlen(password)) == 0 && hash != NULL;
}

/* True when password is one piece said again and again ("passwordpassword"). */
static bool
auth_password_periodic(const char *password)
{
	size_t len = strlen(password), p;

	for (p = 1; p <= len / 2; p++)
		if (len % p == 0 && memcmp(password, password + p, len - p) == 0)
			return true;
	return false;
}

/* libpwquality's cracklib check keeps state of its own: one caller at a time. */
static pthread_mutex_t auth_pwq_lock = PTHREAD_MUTEX_INITIALIZER;
static bool auth_pwq_warned; /* under auth_pwq_lock */

int
auth_password_policy(const char *password, char *why, size_t whysz)
{
	pwquality_settings_t *pwq;
	void *aux = NULL;
	char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
	size_t chars = 0;
	const char *s;
	int rc;

	for (s = password; *s; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80; /* code points, not bytes */
	if (chars < AUTH_PASSWORD_MIN) {
		snprintf(why, whysz, "must have at least %d characters", AUTH_PASSWORD_MIN);
		return -1;
	}
	if (auth_password_periodic(password)) {
		snprintf(why, whysz, "must not be one piece repeated");
		return -1;
	}
	/* Defaults and our settings only: /etc/security/pwquality.conf does not apply. */
	if ((pwq = pwquality_default_settings()) == NULL)
		abort();
	pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH, 6); /* ours is above, in characters */
	pwquality_set_int_value(pwq, PWQ_SETTING_MAX_REPEAT, 3);
	pwquality_set_int_value(pwq, PWQ_SETTING_MAX_SEQUENCE, 4);
	pwquality_set_int_value(pwq, PWQ_SETTING_DICT_CHECK, 1);
	pthread_mutex_lock(&auth_pwq_lock);
	rc = pwquality_check(pwq, password, NULL, NULL, &aux);
	if (rc == PWQ_ERROR_CRACKLIB_CHECK && aux != NULL &&
	    strstr((const char *)aux, "dictionary") != NULL &&
	    strstr((const char *)aux, "error") != NULL) {
		/*
		 * The word list is missing (Debian: cracklib-runtime), not the
		 * password weak: say so once and check everything else.
		 */
		if (!auth_pwq_warned)
			log_warn("password policy: no cracklib dictionary (%s); install"
			    " cracklib-runtime; checking without it", (const char *)aux);
		auth_pwq_warned = true;
		pwquality_set_int_value(pwq, PWQ_SETTING_DICT_CHECK, 0);
		aux = NULL;
		rc = pwquality_check(pwq, password, NULL, NULL, &aux);
	}
	if (rc < 0)
		snprintf(why, whysz, "is too weak: %s",
		    pwquality_strerror(buf, sizeof buf, rc, aux));
	pthread_mutex_unlock(&auth_pwq_lock);
	pwquality_free_settings(pwq);
	return rc < 0 ? -1 : 0;
}

void
auth_new_token(char out[64], unsigned char hash[32])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, 64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	auth_token_hash(out, hash);
}

void
auth_token_hash(const char *token, unsigned char hash[32])
{
	crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
}

void
auth_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[32];

	if (nbytes > sizeof raw)
		nbytes = sizeof raw;
	randombytes_buf(raw, nbytes);
	sodium_bin2hex(out, nbytes * 2 + 1, raw, nbytes);
}

/* The hash as the text form of bytea ("\x..."), for a parameter. */
static void
auth_hash_param(const unsigned char hash[32], char out[67])
{
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, hash, 32);
}

/* Applies ?view_as_account: staff see exactly what that account's contacts see. */
static int
auth_view_as(struct request *req, struct db *db)
{
	const char *v = req_arg(req, "view_as_account");
	int64_t id;
	int in_firm;

	if (v == NULL)
		return 0;
	if (req->user.kind != USER_STAFF) {
		reply_error(req, 403, "forbidden", "only staff may view as a client");
		return -1;
	}
	if (req_arg_int(req, "view_as_account", 0, 1, INT64_MAX, &id) != 0)
		return -1;
	if ((in_firm = db_sessions_account_in_firm(db, req->user.firm_id, id)) <= 0) {
		if (in_firm == 0)
			reply_error(req, 404, "not_found", "no such account");
		return -1;
	}
	req->user.view_as_account = id;
	req->user.account_id = id;
	req->user.kind = USER_CONTACT;
	return 0;
}

int
auth_resolve(struct request *req, struct db *db)
{
	unsigned char hash[32];
	char hex[67];
	int found;

	if (req->authorization == NULL || *req->authorization == '\0') {
		reply_error(req, 401, "unauthorized", "log in first: Authorization: Bearer <token>");
		return -1;
	}
	auth_token_hash(req->authorization, hash);
	auth_hash_param(hash, hex);
	found = db_sessions_resolve(db, hex, cfg.session_idle_minutes, cfg.contact_idle_minutes,
	    &req->user);
	if (found <= 0) {
		if (found == 0)
			reply_error(req, 401, "unauthorized",
			    "the token is unknown, expired, idle too long or revoked");
		return -1;
	}
	/* A session that must enrol first reaches only the routes that enrol (route.c). */
	if (req->user.totp_enrol_only && !route_enrol_allowed(req->route)) {
		reply_error(req, 403, "totp_enrolment_required",
		    "your firm requires two-factor login: enrol first (POST /api/v1/me/totp)");
		return -1;
	}
	return auth_view_as(req, db);
}

int64_t
auth_session_create(struct db *db, int64_t user_id, const char *address, const char *user_agent,
    char out[64])
{
	unsigned char hash[32];
	char hex[67];

	auth_new_token(out, hash);
	auth_hash_param(hash, hex);
	return db_sessions_store(db, user_id, hex, cfg.session_days, address, user_agent);
}
