/*
 * db-sessions.c -- SQL for logging in and out: the health check's ping, the
 * user object of API.md, the failed-login throttle and its record, the login
 * lookup, a bearer token's session and user, storing a new session, the
 * account a staff member views as, revoking a session, and advancing the test
 * clock, listing and revoking my sessions and changing my password. It does
 * not check passwords or make tokens (auth.c) or decide the limits
 * (route-sessions.c).
 */
#include "foliod.h"

#include <stdlib.h>
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

int
db_sessions_throttle(struct db *db, const char *email, const char *address,
    const struct login_limits *lim, struct login_counts *out)
{
	struct params p = { 0 };
	struct pg_result *res;

	/*
	 * Every count stops at the number that matters, and each walks one index
	 * range (login_failures_pair, _email, _address) of the last hour: the
	 * cost is bounded however many failures an attacker piles up.
	 */
	p_str(&p, email);
	p_str(&p, address);
	p_int(&p, lim->pair_count_max);
	p_int(&p, lim->account_ceiling);
	p_int(&p, lim->address_max);
	res = db_exec(db,
	    "SELECT (SELECT count(*) FROM (SELECT 1 FROM login_failures WHERE lower(email) = lower($1)"
	    "         AND address = $2 AND at > now() - interval '1 hour' LIMIT $3) x),"
	    "  coalesce((SELECT extract(epoch FROM now() - max(at)) FROM login_failures"
	    "         WHERE lower(email) = lower($1) AND address = $2"
	    "         AND at > now() - interval '1 hour'), 0)::float8,"
	    "  (SELECT count(*) FROM (SELECT 1 FROM login_failures WHERE lower(email) = lower($1)"
	    "         AND at > now() - interval '1 hour' LIMIT $4) x),"
	    /* The address may try again when its max-th newest failure leaves the hour. */
	    "  coalesce((SELECT extract(epoch FROM at + interval '1 hour' - now()) FROM login_failures"
	    "         WHERE address = $2 AND at > now() - interval '1 hour'"
	    "         ORDER BY at DESC OFFSET $5 - 1 LIMIT 1), 0)::float8",
	    &p);
	if (res == NULL || db_rows(res) != 1) {
		db_clear(res);
		return -1;
	}
	out->pair = db_int(res, 0, 0);
	out->pair_age = strtod(db_text(res, 0, 1), NULL);
	out->account = db_int(res, 0, 2);
	out->address_wait = strtod(db_text(res, 0, 3), NULL);
	db_clear(res);
	return 0;
}

int
db_sessions_login_candidates(struct db *db, const char *email, int64_t firm_id,
    struct login_candidate *out, int max)
{
	struct params p = { 0 };
	struct pg_result *res;
	int i, n;

	/* Addresses are unique per firm: the same one may log in to several firms. */
	p_str(&p, email);
	p_id(&p, firm_id);
	p_int(&p, max);
	res = db_exec(db,
	    "SELECT u.id, u.password_hash, u.firm_id, f.name FROM users u"
	    "  JOIN firms f ON f.id = u.firm_id LEFT JOIN contacts c ON c.user_id = u.id"
	    "  LEFT JOIN staff st ON st.user_id = u.id"
	    " WHERE lower(u.email) = lower($1) AND (st.active OR c.portal_access)"
	    "   AND u.password_hash IS NOT NULL AND ($2::bigint IS NULL OR u.firm_id = $2)"
	    " ORDER BY u.firm_id LIMIT $3",
	    &p);
	if (res == NULL)
		return -1;
	n = db_rows(res);
	for (i = 0; i < n; i++) {
		out[i].id = db_int(res, i, 0);
		out[i].hash = xstrdup(db_text(res, i, 1));
		out[i].firm_id = db_int(res, i, 2);
		out[i].firm_name = xstrdup(db_text(res, i, 3));
	}
	db_clear(res);
	return n;
}

void
db_sessions_candidates_free(struct login_candidate *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(c[i].hash);
		free(c[i].firm_name);
	}
}

int
db_sessions_login_failed(struct db *db, const struct login_failure *f)
{
	struct params p = { 0 };

	/*
	 * One statement whether the address is known or not: the throttle's row,
	 * and an audit row in each firm with a user of that address (in firm_id,
	 * if given). An unknown address has no firm and so no audit row, but the
	 * same round trip: the answer's timing does not tell the two apart.
	 */
	p_str(&p, f->email);
	p_str(&p, f->address);
	p_id(&p, f->firm_id);
	p_str(&p, f->user_agent);
	p_str(&p, f->via);
	p_id(&p, f->actor_id);
	return db_run(db,
		   "WITH t AS (INSERT INTO login_failures (email, address) VALUES ($1, $2))"
		   " INSERT INTO audit_log (firm_id, actor_id, actor_kind, kind, subject_user_id, address,"
		   "   user_agent, details)"
		   " SELECT u.firm_id, $6::bigint, CASE WHEN $6::bigint IS NULL THEN 'anonymous' ELSE u.kind END,"
		   "   'login_failed', u.id, $2, $4, jsonb_build_object('via', $5::text)"
		   "   FROM users u WHERE lower(u.email) = lower($1) AND ($3::bigint IS NULL OR u.firm_id = $3)"
		   "   ORDER BY u.id",
		   &p) >= 0 ? 0 : -1;
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

/*
 * A session is valid while not revoked, not expired, and used within its
 * kind's idle minutes ($2 staff, $3 contacts; 0: no idle limit).
 */
#define SESSION_LIVE \
	" s.revoked_at IS NULL AND s.expires_at > now() AND (CASE u.kind WHEN 'staff' THEN $2::int" \
	" ELSE $3::int END = 0 OR s.last_used_at > now() - make_interval(mins => CASE u.kind" \
	" WHEN 'staff' THEN $2::int ELSE $3::int END))"

int
db_sessions_resolve(struct db *db, const char *hash_hex, long idle_staff, long idle_contact,
    struct principal *u)
{
	struct params p = { 0 };
	struct pg_result *res;
	int found;

	p_str(&p, hash_hex);
	p_int(&p, idle_staff);
	p_int(&p, idle_contact);
	/*
	 * One statement reads the session and, at most once a minute, moves its
	 * last use on: most requests write nothing.
	 */
	res = db_exec(db,
	    "WITH s AS (SELECT s.id, u.id AS uid, u.firm_id, u.kind, coalesce(st.role, '') AS role,"
	    "       coalesce(c.account_id, 0) AS account_id, u.name, u.email,"
	    "       coalesce(c.portal_access, st.active, true) AS portal, s.last_used_at,"
	    /* The firm requires TOTP of the user, who has none enabled: enrolling only. */
	    "      " DB_TOTP_COVERED " AND NOT EXISTS (SELECT 1 FROM user_totp t"
	    "         WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS enrol"
	    "  FROM sessions s JOIN users u ON u.id = s.user_id JOIN firms f ON f.id = u.firm_id"
	    "  LEFT JOIN staff st ON st.user_id = u.id LEFT JOIN contacts c ON c.user_id = u.id"
	    " WHERE s.token_hash = $1::bytea AND" SESSION_LIVE "),"
	    " touch AS (UPDATE sessions SET last_used_at = now() WHERE id = (SELECT id FROM s)"
	    "   AND (SELECT last_used_at FROM s) < now() - interval '1 minute')"
	    " SELECT id, uid, firm_id, kind, role, account_id, name, email, portal, enrol FROM s",
	    &p);
	if (res == NULL)
		return -1;
	/*
	 * A contact whose portal access was taken away, or a team member switched
	 * off, is logged out everywhere.
	 */
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
		u->totp_enrol_only = db_text(res, 0, 9)[0] == 't';
	}
	db_clear(res);
	return found;
}

int64_t
db_sessions_store(struct db *db, int64_t user_id, const char *hash_hex, int64_t days,
    const char *address, const char *user_agent)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	p_str(&p, hash_hex);
	p_int(&p, days);
	p_str(&p, address);
	p_str(&p, user_agent);
	return db_one_int(db,
	    "INSERT INTO sessions (user_id, token_hash, expires_at, address, user_agent)"
	    " VALUES ($1, $2::bytea, now() + make_interval(days => $3::int), $4, $5) RETURNING id",
	    &p, -1);
}

struct json_object *
db_sessions_list(struct db *db, int64_t user_id, int64_t current, long idle_staff,
    long idle_contact)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	p_int(&p, idle_staff);
	p_int(&p, idle_contact);
	p_int(&p, current);
	return db_all_json(db,
	    "SELECT s.id, folio_ts(s.created_at) AS created_at, folio_ts(s.last_used_at) AS last_used_at,"
	    "       folio_ts(s.expires_at) AS expires_at, s.address, s.user_agent, s.id = $4 AS current"
	    "  FROM sessions s JOIN users u ON u.id = s.user_id"
	    " WHERE s.user_id = $1 AND" SESSION_LIVE
	    " ORDER BY s.last_used_at DESC, s.id DESC LIMIT 200",
	    &p);
}

int
db_sessions_revoke_mine(struct db *db, int64_t user_id, int64_t session_id)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	p_int(&p, session_id);
	return (int)db_run(db,
	    "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND id = $2"
	    " AND revoked_at IS NULL AND expires_at > now()",
	    &p);
}

struct json_object *
db_sessions_revoke_user(struct db *db, int64_t user_id)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	return db_one_value(db,
	    "WITH r AS (UPDATE sessions SET revoked_at = now() WHERE user_id = $1"
	    "   AND revoked_at IS NULL AND expires_at > now() RETURNING id)"
	    " SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM r",
	    &p);
}

char *
db_sessions_password_hash(struct db *db, int64_t user_id)
{
	struct params p = { 0 };
	struct pg_result *res;
	char *hash = NULL;

	p_int(&p, user_id);
	res = db_exec(db, "SELECT password_hash FROM users WHERE id = $1", &p);
	if (res && db_rows(res) == 1 && !db_isnull(res, 0, 0))
		hash = xstrdup(db_text(res, 0, 0));
	db_clear(res);
	return hash;
}

struct json_object *
db_sessions_set_password(struct db *db, int64_t user_id, int64_t keep_session, const char *hash)
{
	struct params p = { 0 };

	/* One statement: the new hash, and every other session of the user revoked. */
	p_int(&p, user_id);
	p_int(&p, keep_session);
	p_str(&p, hash);
	return db_one_value(db,
	    "WITH pw AS (UPDATE users SET password_hash = $3 WHERE id = $1 RETURNING id),"
	    " r AS (UPDATE sessions SET revoked_at = now() WHERE user_id = (SELECT id FROM pw)"
	    "   AND id <> $2 AND revoked_at IS NULL RETURNING id)"
	    " SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM r",
	    &p);
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
