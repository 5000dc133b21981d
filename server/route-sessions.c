/*
 * route-sessions.c -- health, log in and out, the current user, the test clock.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

#define LOGIN_MAX_PER_ACCOUNT 100  /* failed logins per email per hour */
#define LOGIN_MAX_PER_ADDRESS 1000 /* failed logins per address per hour */

void
route_healthz(struct request *req, struct db *db)
{
	struct json_object *o;

	if (db_one_int(db, "SELECT 1", NULL, 0) != 1)
		return; /* db->broken: the dispatcher answers 503 */
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	reply_json(req, 200, o);
}

/* The user object of API.md for a users.id. Caller puts; NULL when absent. */
static struct json_object *
session_user_json(struct db *db, int64_t id)
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

/* True when this email or address has failed too often in the last hour. */
static bool
session_throttled(struct request *req, struct db *db, const char *email)
{
	struct params p = { 0 };
	int64_t wait;

	/*
	 * Over a limit, the client may try again when the oldest failure that
	 * counts leaves the hour: that is the Retry-After. NULL (0) when not over.
	 */
	p_str(&p, email);
	p_str(&p, req->peer);
	p_int(&p, LOGIN_MAX_PER_ACCOUNT);
	p_int(&p, LOGIN_MAX_PER_ADDRESS);
	wait = db_one_int(db,
	    "WITH e AS (SELECT at FROM login_failures WHERE lower(email) = lower($1)"
	    "   AND at > now() - interval '1 hour'),"
	    " a AS (SELECT at FROM login_failures WHERE address = $2 AND at > now() - interval '1 hour')"
	    " SELECT ceil(extract(epoch FROM greatest("
	    "  CASE WHEN (SELECT count(*) FROM e) >= $3 THEN (SELECT min(at) FROM e) END,"
	    "  CASE WHEN (SELECT count(*) FROM a) >= $4 THEN (SELECT min(at) FROM a) END)"
	    "  + interval '1 hour' - now()))::bigint",
	    &p, 0);
	if (wait <= 0)
		return false;
	snprintf(req->retry_after, sizeof req->retry_after, "%lld", (long long)wait);
	reply_error(req, 429, "too_many_attempts", "too many failed logins; try again in %lld seconds",
	    (long long)wait);
	return true;
}

void
route_sessions_create(struct request *req, struct db *db)
{
	struct json_object *body, *user, *o;
	const char *email = NULL, *password = NULL;
	struct params p = { 0 };
	struct pg_result *res;
	char token[64];
	int64_t id = 0;
	bool ok = false;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "email", true, 254, &email) ||
	    !field_string(req, body, "password", true, 1024, &password) ||
	    session_throttled(req, db, email))
		goto out;
	p_str(&p, email);
	res = db_exec(db,
	    "SELECT u.id, u.password_hash FROM users u LEFT JOIN contacts c ON c.user_id = u.id"
	    " WHERE lower(u.email) = lower($1) AND (u.kind = 'staff' OR c.portal_access)",
	    &p);
	if (res && db_rows(res) == 1 && !db_isnull(res, 0, 1)) {
		id = db_int(res, 0, 0);
		ok = auth_check_password(db_text(res, 0, 1), password);
	}
	db_clear(res);
	if (!ok) {
		memset(&p, 0, sizeof p);
		p_str(&p, email);
		p_str(&p, req->peer);
		db_run(db, "INSERT INTO login_failures (email, address) VALUES ($1, $2)", &p);
		reply_error(req, 401, "invalid_credentials", "wrong email or password");
		goto out;
	}
	if (auth_session_create(db, id, token) != 0 || (user = session_user_json(db, id)) == NULL)
		goto out;
	req->user.id = id;
	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "user", user);
	reply_json(req, 201, o);
out:
	json_object_put(body);
}

void
route_sessions_delete(struct request *req, struct db *db)
{
	struct params p = { 0 };

	p_int(&p, req->user.session_id);
	if (db_run(db, "UPDATE sessions SET revoked_at = now() WHERE id = $1", &p) == 1)
		reply_empty(req, 204);
}

void
route_me(struct request *req, struct db *db)
{
	struct json_object *o = session_user_json(db, req->user.id);

	if (o == NULL)
		return;
	if (req->user.view_as_account > 0)
		json_object_object_add(o, "view_as_account",
		    json_object_new_int64(req->user.view_as_account));
	reply_json(req, 200, o);
}

void
route_test_clock(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	struct params p = { 0 };
	int64_t secs;

	if ((body = req_json(req)) == NULL)
		return;
	if (field_int(req, body, "advance_seconds", true, 0, 10L * 365 * 86400, &secs)) {
		p_int(&p, secs);
		o = db_one_json(db,
		    "UPDATE clock SET offset_seconds = offset_seconds + $1"
		    /* Not folio_now(): within this statement it still reads the old offset. */
		    " RETURNING offset_seconds,"
		    " folio_ts(clock_timestamp() + make_interval(secs => offset_seconds)) AS now",
		    &p);
		if (o != NULL) {
			jobs_run_due(db);
			reply_json(req, 200, o);
		}
	}
	json_object_put(body);
}
