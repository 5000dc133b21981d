/*
 * db-sessions.c -- SQL for logging in and out: the health check's ping, the
 * user object of API.md, the failed-login throttle and its record, the login
 * lookup, a bearer token's session and user, storing a new session, the
 * account a staff member views as, revoking a session, and advancing the test
 * clock. It does not check passwords or make tokens (auth.c) or decide the
 * limits (route-sessions.c).
 */
#include "foliod.h"

#include <string.h>

int
db_sessions_ping(struct db *db)
{
	return db_one_int(db, "SELECT 1", NULL, 0) == 1 ? 0 : -1;
}

struct json_object *
db_sessions_user(struct db *db, int64_t id)
{
	struct params p = { 0 };

	p_int(&p, id);
	return db_one_json(db,
	    "SELECT u.id, u.kind, u.name, u.email, s.role, c.account_id, u.firm_id,"
	    "       f.name AS firm_name, c.portal_access, c.notify"
	    "  FROM users u JOIN firms f ON f.id = u.firm_id"
	    "  LEFT JOIN staff s ON s.user_id = u.id LEFT JOIN contacts c ON c.user_id = u.id"
	    " WHERE u.id = $1",
	    &p);
}

int64_t
db_sessions_throttle_wait(struct db *db, const char *email, const char *address,
    int64_t max_email, int64_t max_address)
{
	struct params p = { 0 };

	/*
	 * Over a limit, the client may try again when the oldest failure that
	 * counts leaves the hour: that is the wait. NULL (0) when not over.
	 */
	p_str(&p, email);
	p_str(&p, address);
	p_int(&p, max_email);
	p_int(&p, max_address);
	return db_one_int(db,
	    "WITH e AS (SELECT at FROM login_failures WHERE lower(email) = lower($1)"
	    "   AND at > now() - interval '1 hour'),"
	    " a AS (SELECT at FROM login_failures WHERE address = $2 AND at > now() - interval '1 hour')"
	    " SELECT ceil(extract(epoch FROM greatest("
	    "  CASE WHEN (SELECT count(*) FROM e) >= $3 THEN (SELECT min(at) FROM e) END,"
	    "  CASE WHEN (SELECT count(*) FROM a) >= $4 THEN (SELECT min(at) FROM a) END)"
	    "  + interval '1 hour' - now()))::bigint",
	    &p, 0);
}

char *
db_sessions_login_hash(struct db *db, const char *email, int64_t *id)
{
	struct params p = { 0 };
	struct pg_result *res;
	char *hash = NULL;

	p_str(&p, email);
	res = db_exec(db,
	    "SELECT u.id, u.password_hash FROM users u LEFT JOIN contacts c ON c.user_id = u.id"
	    " WHERE lower(u.email) = lower($1) AND (u.kind = 'staff' OR c.portal_access)",
	    &p);
	if (res && db_rows(res) == 1 && !db_isnull(res, 0, 1)) {
		*id = db_int(res, 0, 0);
		hash = xstrdup(db_text(res, 0, 1));
	}
	db_clear(res);
	return hash;
}

int
db_sessions_login_failed(struct db *db, const char *email, const char *address)
{
	struct params p = { 0 };

	p_str(&p, email);
	p_str(&p, address);
	return db_run(db, "INSERT INTO login_failures (email, address) VALUES ($1, $2)", &p) == 1
	    ? 0
	    : -1;
}

int
db_sessions_revoke(struct db *db, int64_t session_id)
{
	struct params p = { 0 };

	p_int(&p, session_id);
	return db_run(db, "UPDATE sessions SET revoked_at = now() WHERE id = $1", &p) == 1 ? 0 : -1;
}

struct json_object *
db_sessions_clock_advance(struct db *db, int64_t seconds)
{
	struct params p = { 0 };

	p_int(&p, seconds);
	return db_one_json(db,
	    "UPDATE clock SET offset_seconds = offset_seconds + $1"
	    /* Not folio_now(): within this statement it still reads the old offset. */
	    " RETURNING offset_seconds,"
	    " folio_ts(clock_timestamp() + make_interval(secs => offset_seconds)) AS now",
	    &p);
}

int
db_sessions_resolve(struct db *db, const char *hash_hex, struct principal *u)
{
	struct params p = { 0 };
	struct pg_result *res;
	int found;

	p_str(&p, hash_hex);
	res = db_exec(db,
	    "SELECT s.id, u.id, u.firm_id, u.kind, coalesce(st.role, ''), coalesce(c.account_id, 0),"
	    "       u.name, u.email, coalesce(c.portal_access, true)"
	    "  FROM sessions s JOIN users u ON u.id = s.user_id"
	    "  LEFT JOIN staff st ON st.user_id = u.id LEFT JOIN contacts c ON c.user_id = u.id"
	    " WHERE s.token_hash = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now()",
	    &p);
	if (res == NULL)
		return -1;
	/* A contact whose portal access was taken away is logged out everywhere. */
	found = db_rows(res) == 1 && db_text(res, 0, 8)[0] == 't';
	if (found) {
		u->session_id = db_int(res, 0, 0);
		u->id = db_int(res, 0, 1);
		u->firm_id = db_int(res, 0, 2);
		u->kind = proto_kind_parse(db_text(res, 0, 3));
		u->role = proto_role_parse(db_text(res, 0, 4));
		u->account_id = db_int(res, 0, 5);
		u->name = xstrdup(db_text(res, 0, 6));
		u->email = xstrdup(db_text(res, 0, 7));
	}
	db_clear(res);
	return found;
}

int
db_sessions_store(struct db *db, int64_t user_id, const char *hash_hex, int64_t days)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	p_str(&p, hash_hex);
	p_int(&p, days);
	return db_run(db,
		   "INSERT INTO sessions (user_id, token_hash, expires_at)"
		   " VALUES ($1, $2::bytea, now() + make_interval(days => $3::int))",
		   &p) == 1 ? 0 : -1;
}

int
db_sessions_account_in_firm(struct db *db, int64_t firm_id, int64_t account_id)
{
	struct params p = { 0 };
	int64_t id;

	p_int(&p, account_id);
	p_int(&p, firm_id);
	id = db_one_int(db, "SELECT id FROM accounts WHERE id = $1 AND firm_id = $2", &p, 0);
	return db->broken ? -1 : id == account_id;
}
