/*
 * auth.c -- passwords (argon2id through libsodium), session tokens (256 random
 * bits, stored only as their SHA-256), and resolving a bearer token to a user.
 */
#include "foliod.h"

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

bool
auth_check_password(const char *hash, const char *password)
{
	return hash != NULL &&
	    crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
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
	if ((found = db_sessions_resolve(db, hex, &req->user)) <= 0) {
		if (found == 0)
			reply_error(req, 401, "unauthorized", "the token is unknown, expired or revoked");
		return -1;
	}
	return auth_view_as(req, db);
}

int
auth_session_create(struct db *db, int64_t user_id, char out[64])
{
	unsigned char hash[32];
	char hex[67];

	auth_new_token(out, hash);
	auth_hash_param(hash, hex);
	return db_sessions_store(db, user_id, hex, cfg.session_days);
}
