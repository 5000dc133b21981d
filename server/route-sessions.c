/*
 * route-sessions.c -- health, log in and out, the current user, the test clock.
 * The login throttle's limits are here; its SQL is in db-sessions.c.
 */
#include "foliod.h"

#include <stdlib.h>

#define LOGIN_MAX_PER_ACCOUNT 100  /* failed logins per email per hour */
#define LOGIN_MAX_PER_ADDRESS 1000 /* failed logins per address per hour */

void
route_healthz(struct request *req, struct db *db)
{
	struct json_object *o;

	if (db_sessions_ping(db) != 0)
		return; /* db->broken: the dispatcher answers 503 */
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	reply_json(req, 200, o);
}

/* True when this email or address has failed too often in the last hour. */
static bool
session_throttled(struct request *req, struct db *db, const char *email)
{
	/* Seconds until the oldest failure that counts leaves the hour: the Retry-After. */
	int64_t wait = db_sessions_throttle_wait(db, email, req->client, LOGIN_MAX_PER_ACCOUNT,
	    LOGIN_MAX_PER_ADDRESS);

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
	char token[64], *hash;
	int64_t id = 0;
	bool ok = false;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "email", true, 254, &email) ||
	    !field_string(req, body, "password", true, 1024, &password) ||
	    session_throttled(req, db, email))
		goto out;
	if ((hash = db_sessions_login_hash(db, email, &id)) != NULL) {
		ok = auth_check_password(hash, password);
		free(hash);
	}
	if (!ok) {
		db_sessions_login_failed(db, email, req->client);
		reply_error(req, 401, "invalid_credentials", "wrong email or password");
		goto out;
	}
	if (auth_session_create(db, id, token) != 0 || (user = db_sessions_user(db, id)) == NULL)
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
	if (db_sessions_revoke(db, req->user.session_id) == 0)
		reply_empty(req, 204);
}

void
route_me(struct request *req, struct db *db)
{
	struct json_object *o = db_sessions_user(db, req->user.id);

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
	int64_t secs;

	if ((body = req_json(req)) == NULL)
		return;
	if (field_int(req, body, "advance_seconds", true, 0, 10L * 365 * 86400, &secs)) {
		if ((o = db_sessions_clock_advance(db, secs)) != NULL) {
			jobs_run_due(db);
			reply_json(req, 200, o);
		}
	}
	json_object_put(body);
}
