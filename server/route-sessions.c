/*
 * route-sessions.c -- health, log in and out (with the second factor when the
 * user has TOTP on), my sessions and my password, the current user, the test
 * clock. The login throttle's limits and the password policy's use are here;
 * the SQL is in db-sessions.c, hashing in auth.c, TOTP in route-totp.c.
 */
#include "foliod.h"

#include <stdint.h>
#include <stdlib.h>

/*
 * Failed logins are weighed per (account, address) over the last hour: after
 * LOGIN_FREE failures the pair waits LOGIN_BASE seconds, doubling with each
 * further failure up to LOGIN_CAP. Over LOGIN_CEILING failures of an account
 * from anywhere, every address of that account backs off after its first
 * failure and from a longer base: guessing from many addresses slows down,
 * yet the right password from an address without failures still gets in.
 * An address that fails LOGIN_MAX_PER_ADDRESS times in an hour (any account)
 * waits until it is below again.
 */
#define LOGIN_FREE 5
#define LOGIN_BASE 1.0
#define LOGIN_CEILING 100
#define LOGIN_CEILING_FREE 1
#define LOGIN_CEILING_BASE 15.0
#define LOGIN_CAP 900.0
#define LOGIN_MAX_PER_ADDRESS 1000
#define LOGIN_FIRMS_MAX 20 /* firms one address may log in to */

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

/* Seconds this (account, address) must still wait by the counts; <= 0: none. */
static double
session_backoff(const struct login_counts *n)
{
	bool over = n->account >= LOGIN_CEILING;
	int64_t free_ = over ? LOGIN_CEILING_FREE : LOGIN_FREE, k = n->pair - free_;
	double delay = over ? LOGIN_CEILING_BASE : LOGIN_BASE, wait = 0;

	if (k >= 0) {
		while (k-- > 0 && delay < LOGIN_CAP)
			delay *= 2;
		wait = (delay > LOGIN_CAP ? LOGIN_CAP : delay) - n->pair_age;
	}
	return wait > n->address_wait ? wait : n->address_wait;
}

bool
route_sessions_throttled(struct request *req, struct db *db, const char *email)
{
	static const struct login_limits lim = { 64, LOGIN_CEILING, LOGIN_MAX_PER_ADDRESS };
	struct login_counts n;
	double wait;
	long long secs;

	if (db_sessions_throttle(db, email, req->client, &lim, &n) != 0)
		return true; /* db->broken: the dispatcher answers 503 */
	if ((wait = session_backoff(&n)) <= 0)
		return false;
	secs = (long long)wait + ((double)(long long)wait < wait); /* rounded up */
	snprintf(req->retry_after, sizeof req->retry_after, "%lld", secs);
	reply_error(req, 429, "too_many_attempts", "too many failed logins; try again in %lld seconds",
	    secs);
	return true;
}

/* 409 choose_firm: the password matched in several firms; firms lists them. */
static void
session_choose_firm(struct request *req, const struct login_candidate *c, const int *ok, int n)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	struct json_object *firms = json_object_new_array(), *f;
	int i;

	for (i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		f = json_object_new_object();
		json_object_object_add(f, "id", json_object_new_int64(c[i].firm_id));
		json_object_object_add(f, "name", json_object_new_string(c[i].firm_name));
		json_object_array_add(firms, f);
	}
	json_object_object_add(e, "code", json_object_new_string("choose_firm"));
	json_object_object_add(e, "message",
	    json_object_new_string("this address belongs to several firms: log in again with firm_id"));
	json_object_object_add(o, "error", e);
	json_object_object_add(o, "firms", firms);
	reply_json(req, 409, o);
}

/*
 * Checks the password against every user of the address (in firm_id, if
 * given) -- against a dummy when there is none. Returns the one user id it
 * matches, 0 when none (the failure recorded; 401 sent), -1 when answered.
 */
static int64_t
session_verify(struct request *req, struct db *db, const char *email, const char *password,
    int64_t firm_id)
{
	struct login_candidate c[LOGIN_FIRMS_MAX];
	int ok[LOGIN_FIRMS_MAX] = { 0 }, n, i, nok = 0;
	int64_t id = 0;

	if ((n = db_sessions_login_candidates(db, email, firm_id, c, LOGIN_FIRMS_MAX)) < 0)
		return -1;
	if (n == 0)
		auth_check_password(NULL, password);
	for (i = 0; i < n; i++)
		if ((ok[i] = auth_check_password(c[i].hash, password)) != 0) {
			nok++;
			id = c[i].id;
		}
	if (nok > 1)
		session_choose_firm(req, c, ok, n);
	db_sessions_candidates_free(c, n);
	if (nok > 1)
		return -1;
	if (nok == 0) {
		struct login_failure f = { email, req->client, req->user_agent, firm_id, "login", 0 };

		if (db_sessions_login_failed(db, &f) == 0)
			reply_error(req, 401, "invalid_credentials", "wrong email or password");
		return 0;
	}
	return id;
}

/*
 * The second factor of a login whose password matched user id: 1 when the
 * user has no TOTP on or code (a TOTP or recovery code) passed; else 0 with
 * the answer sent -- 401 totp_required without a code (not a failure: the
 * client asks for one and tries again), 401 totp_invalid for a wrong or
 * reused code, which counts as a failed login like a wrong password.
 * *enrol tells that the firm requires TOTP of a user who has none yet.
 */
static int
session_second_factor(struct request *req, struct db *db, const char *email, int64_t id,
    const char *code, bool *enrol)
{
	struct totp_state s;
	int ok = 1;

	if (db_totp_get(db, id, &s) <= 0)
		return 0;
	*enrol = s.required && !s.enabled;
	if (!s.enabled)
		goto out;
	if (code == NULL || *code == '\0') {
		reply_error(req, 401, "totp_required", "this account needs a code from its authenticator");
		ok = 0;
	} else if ((ok = route_totp_accept(db, id, &s, code, true)) == 0) {
		/* The password was right: the failure is this user's, in this user's firm. */
		struct login_failure f = { email, req->client, req->user_agent, 0, "totp", 0 };
		struct json_object *user = db_sessions_user(db, id);

		if (user != NULL && json_get_int(user, "firm_id", &f.firm_id) == JSON_GET_OK &&
		    db_sessions_login_failed(db, &f) == 0)
			reply_error(req, 401, "totp_invalid", "the code is wrong or was used already");
		json_object_put(user);
	}
out:
	db_totp_state_clear(&s);
	return ok;
}

/*
 * The audit row of a login, in its transaction: the user as actor and
 * subject, the new session, and whether the firm was chosen (firm_id given).
 */
static int
session_audit_login(struct request *req, struct db *db, struct json_object *user, int64_t sid,
    bool chosen)
{
	struct audit_entry e;
	struct json_object *d = json_object_new_object();
	const char *kind = "staff";

	route_audit_entry(&e, req, "login");
	json_get_int(user, "firm_id", &e.firm_id);
	json_get_string(user, "kind", &kind);
	e.actor_kind = kind;
	e.subject_user_id = e.actor_id;
	e.subject_session_id = sid;
	json_object_object_add(d, "firm_chosen", json_object_new_boolean(chosen));
	return route_audit_record(db, &e, d);
}

void
route_sessions_create(struct request *req, struct db *db)
{
	struct json_object *body, *user, *o;
	const char *email = NULL, *password = NULL, *code = NULL;
	char token[64];
	int64_t id = 0, firm_id = 0, sid;
	bool enrol = false;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "email", true, 254, &email) ||
	    !field_string(req, body, "password", true, 1024, &password) ||
	    !field_int(req, body, "firm_id", false, 1, INT64_MAX, &firm_id) ||
	    !field_string(req, body, "totp", false, 64, &code) ||
	    route_sessions_throttled(req, db, email) ||
	    (id = session_verify(req, db, email, password, firm_id)) <= 0 ||
	    session_second_factor(req, db, email, id, code, &enrol) != 1)
		goto out;
	req->user.id = id;
	if (db_begin(db) != 0 || (sid = auth_session_create(db, id, req->client, req->user_agent,
				      token)) <= 0 ||
	    (user = db_sessions_user(db, id)) == NULL)
		goto out;
	if (session_audit_login(req, db, user, sid, firm_id > 0) != 0 || db_commit(db) != 0) {
		json_object_put(user);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "user", user);
	if (enrol)
		json_object_object_add(o, "totp_enrolment_required", json_object_new_boolean(1));
	reply_json(req, 201, o);
out:
	json_object_put(body);
}

/* Appends kind for the request's user and session (the subject), in the caller's transaction. */
static int
session_audit_self(struct request *req, struct db *db, const char *kind, int64_t session_id,
    struct json_object *details)
{
	struct audit_entry e;

	route_audit_entry(&e, req, kind);
	e.subject_user_id = req->user.id;
	e.subject_session_id = session_id;
	return route_audit_record(db, &e, details);
}

void
route_sessions_delete(struct request *req, struct db *db)
{
	if (db_begin(db) == 0 && db_sessions_revoke(db, req->user.session_id) == 0 &&
	    session_audit_self(req, db, "logout", req->user.session_id, NULL) == 0 &&
	    db_commit(db) == 0)
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

void
route_sessions_list(struct request *req, struct db *db)
{
	struct json_object *a = db_sessions_list(db, req->user.id, req->user.session_id,
	    cfg.session_idle_minutes, cfg.contact_idle_minutes);

	if (a)
		reply_list(req, a, NULL);
}

void
route_sessions_revoke(struct request *req, struct db *db)
{
	struct json_object *d;
	int n;

	if (db_begin(db) != 0 || (n = db_sessions_revoke_mine(db, req->user.id, req->ids[0])) < 0)
		return;
	if (n == 0) {
		reply_error(req, 404, "not_found", "no such session");
		return;
	}
	d = json_object_new_object();
	json_object_object_add(d, "reason", json_object_new_string("revoked"));
	if (session_audit_self(req, db, "session_revoked", req->ids[0], d) == 0 &&
	    db_commit(db) == 0)
		reply_empty(req, 204);
}

/*
 * The audit rows of a password change, in its transaction: password_changed,
 * and a session_revoked for each session it ended. False on failure.
 */
static bool
session_audit_password(struct request *req, struct db *db, struct json_object *revoked)
{
	struct json_object *d = json_object_new_object();
	struct audit_entry e;

	json_object_object_add(d, "sessions_revoked",
	    json_object_new_int64((int64_t)json_object_array_length(revoked)));
	if (session_audit_self(req, db, "password_changed", req->user.session_id, d) != 0)
		return false;
	route_audit_entry(&e, req, "session_revoked");
	e.subject_user_id = req->user.id;
	e.details = "{\"reason\": \"password_changed\"}";
	return db_audit_sessions_revoked(db, &e, revoked) == 0;
}

/*
 * POST /me/password {current_password, new_password}: a wrong current
 * password counts as a failed login of this address (the same throttle), so
 * a stolen token cannot guess it faster than a login could.
 */
void
route_me_password(struct request *req, struct db *db)
{
	struct json_object *body, *o, *revoked = NULL;
	const char *current = NULL, *new_pw = NULL;
	char *hash = NULL, why[256];
	bool ok;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "current_password", true, 1024, &current) ||
	    !field_string(req, body, "new_password", true, 1024, &new_pw) ||
	    route_sessions_throttled(req, db, req->user.email))
		goto out;
	hash = db_sessions_password_hash(db, req->user.id);
	if (db->broken)
		goto out;
	ok = auth_check_password(hash, current);
	free(hash);
	hash = NULL;
	if (!ok) {
		struct login_failure f = { req->user.email, req->client, req->user_agent,
			req->user.firm_id, "password_change", req->user.id };

		if (db_sessions_login_failed(db, &f) == 0)
			reply_error(req, 422, "invalid_field", "current_password is not your password");
		goto out;
	}
	if (auth_password_policy(new_pw, why, sizeof why) != 0) {
		reply_error(req, 422, "invalid_field", "new_password %s", why);
		goto out;
	}
	if ((hash = auth_hash_password(new_pw)) == NULL) {
		reply_error(req, 500, "internal_error", "internal server error");
		goto out;
	}
	if (db_begin(db) != 0 ||
	    (revoked = db_sessions_set_password(db, req->user.id, req->user.session_id, hash)) == NULL ||
	    !session_audit_password(req, db, revoked) || db_commit(db) != 0 ||
	    (o = db_sessions_user(db, req->user.id)) == NULL)
		goto out;
	json_object_object_add(o, "sessions_revoked",
	    json_object_new_int64((int64_t)json_object_array_length(revoked)));
	reply_json(req, 200, o);
out:
	json_object_put(revoked);
	free(hash);
	json_object_put(body);
}
