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
	struct params p = { 0 };
	int64_t id;

	if (v == NULL)
		return 0;
	if (req->user.kind != USER_STAFF) {
		reply_error(req, 403, "forbidden", "only staff may view as a client");
		return -1;
	}
	if (req_arg_int(req, "view_as_account", 0, 1, INT64_MAX, &id) != 0)
		return -1;
	p_int(&p, id);
	p_int(&p, req->user.firm_id);
	if (db_one_int(db, "SELECT id FROM accounts WHERE id = $1 AND firm_id = $2", &p, 0) != id) {
		if (!db->broken)
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
	static const char sql[] =
	    "SELECT s.id, u.id, u.firm_id, u.kind, coalesce(st.role, ''), coalesce(c.account_id, 0),"
	    "       u.name, u.email, coalesce(c.portal_access, true)"
	    "  FROM sessions s JOIN users u ON u.id = s.user_id"
	    "  LEFT JOIN staff st ON st.user_id = u.id LEFT JOIN contacts c ON c.user_id = u.id"
	    " WHERE s.token_hash = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now()";
	unsigned char hash[32];
	char hex[67];
	struct params p = { 0 };
	struct pg_result *res;

	if (req->authorization == NULL || *req->authorization == '\0') {
		reply_error(req, 401, "unauthorized", "log in first: Authorization: Bearer <token>");
		return -1;
	}
	auth_token_hash(req->authorization, hash);
	auth_hash_param(hash, hex);
	p_str(&p, hex);
	if ((res = db_exec(db, sql, &p)) == NULL)
		return -1;
	if (db_rows(res) != 1 || db_text(res, 0, 8)[0] != 't') {
		db_clear(res);
		reply_error(req, 401, "unauthorized", "the token is unknown, expired or revoked");
		return -1;
	}
	req->user.session_id = db_int(res, 0, 0);
	req->user.id = db_int(res, 0, 1);
	req->user.firm_id = db_int(res, 0, 2);
	req->user.kind = proto_kind_parse(db_text(res, 0, 3));
	req->user.role = proto_role_parse(db_text(res, 0, 4));
	req->user.account_id = db_int(res, 0, 5);
	req->user.name = xstrdup(db_text(res, 0, 6));
	req->user.email = xstrdup(db_text(res, 0, 7));
	db_clear(res);
	return auth_view_as(req, db);
}

int
auth_session_create(struct db *db, int64_t user_id, char out[64])
{
	unsigned char hash[32];
	char hex[67];
	struct params p = { 0 };

	auth_new_token(out, hash);
	auth_hash_param(hash, hex);
	p_int(&p, user_id);
	p_str(&p, hex);
	p_int(&p, cfg.session_days);
	return db_run(db,
		   "INSERT INTO sessions (user_id, token_hash, expires_at)"
		   " VALUES ($1, $2::bytea, now() + make_interval(days => $3::int))",
		   &p) == 1 ? 0 : -1;
}
