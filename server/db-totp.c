/*
 * db-totp.c -- SQL for the second factor (sql/011_totp.sql): a user's secret
 * and its state, taking a time step once (replay), enabling, recovery codes
 * (stored hashed, used once), switching it off, an owner's reset, and the
 * status object. It does not check codes or make secrets (totp.c) or decide
 * who may call (route-totp.c, route.c).
 */
#include "foliod.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int
db_totp_get(struct db *db, int64_t user_id, struct totp_state *out)
{
	struct params p = { 0 };
	struct pg_result *res;
	size_t len = 0;
	int found;

	memset(out, 0, sizeof *out);
	p_int(&p, user_id);
	res = db_exec(db,
	    "SELECT encode(t.secret, 'hex'), t.enabled_at IS NOT NULL, coalesce(t.last_step, -1),"
	    "       " DB_TOTP_COVERED
	    "  FROM users u JOIN firms f ON f.id = u.firm_id LEFT JOIN user_totp t ON t.user_id = u.id"
	    " WHERE u.id = $1",
	    &p);
	if (res == NULL)
		return -1;
	found = db_rows(res) == 1;
	if (found) {
		out->exists = !db_isnull(res, 0, 0);
		if (out->exists && (sodium_hex2bin(out->secret, sizeof out->secret, db_text(res, 0, 0),
		    strlen(db_text(res, 0, 0)), NULL, &len, NULL) != 0 || len != sizeof out->secret))
			abort(); /* the table's CHECK keeps it at 20 bytes */
		out->enabled = db_text(res, 0, 1)[0] == 't';
		out->last_step = db_int(res, 0, 2);
		out->required = db_text(res, 0, 3)[0] == 't';
	}
	db_clear(res);
	return found;
}

void
db_totp_state_clear(struct totp_state *s)
{
	sodium_memzero(s->secret, sizeof s->secret);
}

int
db_totp_begin(struct db *db, int64_t user_id, const unsigned char secret[TOTP_SECRET_BYTES])
{
	struct params p = { 0 };
	char hex[TOTP_SECRET_BYTES * 2 + 1];
	long n;

	sodium_bin2hex(hex, sizeof hex, secret, TOTP_SECRET_BYTES);
	p_int(&p, user_id);
	p_str(&p, hex);
	/* A second begin replaces a pending secret; an enabled one stays (0 rows). */
	n = db_run(db,
	    "INSERT INTO user_totp (user_id, secret) VALUES ($1, decode($2, 'hex'))"
	    " ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = now(),"
	    "   last_step = NULL WHERE user_totp.enabled_at IS NULL",
	    &p);
	sodium_memzero(hex, sizeof hex);
	return n < 0 ? -1 : (int)n;
}

int
db_totp_take_step(struct db *db, int64_t user_id, int64_t step, bool enable)
{
	struct params p = { 0 };

	/*
	 * The step is taken only when it is newer than the last one taken, in
	 * this one statement: two requests with the same code cannot both pass.
	 */
	p_int(&p, user_id);
	p_int(&p, step);
	p_bool(&p, enable);
	return (int)db_run(db,
	    "UPDATE user_totp SET last_step = $2,"
	    "       enabled_at = CASE WHEN $3::bool THEN now() ELSE enabled_at END"
	    " WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)"
	    "   AND (enabled_at IS NULL) = $3::bool",
	    &p);
}

int
db_totp_recovery_set(struct db *db, int64_t user_id, char hashes[][67], int n)
{
	struct params p = { 0 };
	struct buf b = { 0 };
	long rows;
	int i;

	/* An array of hex digits ({ab12...,cd34...}): hashes[i] is "\x" and 64 of them. */
	buf_putc(&b, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, hashes[i] + 2);
	}
	buf_putc(&b, '}');
	p_int(&p, user_id);
	p_str(&p, buf_str(&b));
	rows = db_run(db,
	    "WITH old AS (DELETE FROM totp_recovery_codes WHERE user_id = $1)"
	    " INSERT INTO totp_recovery_codes (user_id, code_hash)"
	    " SELECT $1, decode(h, 'hex') FROM unnest($2::text[]) h",
	    &p);
	buf_free(&b);
	return rows == n ? 0 : -1;
}

int
db_totp_recovery_use(struct db *db, int64_t user_id, const char *hash_hex)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	p_str(&p, hash_hex);
	return (int)db_run(db,
	    "DELETE FROM totp_recovery_codes WHERE user_id = $1 AND code_hash = $2::bytea", &p);
}

int
db_totp_remove(struct db *db, int64_t user_id)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	return (int)db_one_int(db,
	    "WITH c AS (DELETE FROM totp_recovery_codes WHERE user_id = $1),"
	    " t AS (DELETE FROM user_totp WHERE user_id = $1 RETURNING enabled_at)"
	    " SELECT count(*) FROM t WHERE enabled_at IS NOT NULL",
	    &p, -1);
}

int
db_totp_reset(struct db *db, int64_t firm_id, int64_t user_id, enum user_kind kind)
{
	struct params p = { 0 };
	struct pg_result *res;
	int found;

	p_int(&p, user_id);
	p_int(&p, firm_id);
	p_str(&p, proto_kind_name(kind));
	/*
	 * The user's sessions end with an enabled TOTP: whoever holds the lost
	 * phone may hold a session too. A pending enrolment is no factor yet.
	 */
	res = db_exec(db,
	    "WITH u AS (SELECT id FROM users WHERE id = $1 AND firm_id = $2 AND kind = $3),"
	    " c AS (DELETE FROM totp_recovery_codes WHERE user_id = (SELECT id FROM u)),"
	    " t AS (DELETE FROM user_totp WHERE user_id = (SELECT id FROM u)"
	    "   RETURNING user_id, enabled_at),"
	    " s AS (UPDATE sessions SET revoked_at = now() WHERE user_id = (SELECT user_id FROM t"
	    "   WHERE enabled_at IS NOT NULL) AND revoked_at IS NULL)"
	    " SELECT count(*) FROM u",
	    &p);
	if (res == NULL)
		return -1;
	found = db_rows(res) == 1 && db_int(res, 0, 0) == 1;
	db_clear(res);
	return found;
}

struct json_object *
db_totp_status(struct db *db, int64_t user_id)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	return db_one_json(db,
	    "SELECT coalesce(t.enabled_at IS NOT NULL, false) AS enabled,"
	    "       folio_ts(t.enabled_at) AS enabled_at,"
	    "       (SELECT count(*) FROM totp_recovery_codes r WHERE r.user_id = u.id)"
	    "         AS recovery_codes_left,"
	    "       " DB_TOTP_COVERED " AS required"
	    "  FROM users u JOIN firms f ON f.id = u.firm_id LEFT JOIN user_totp t ON t.user_id = u.id"
	    " WHERE u.id = $1",
	    &p);
}
