/*
 * route-totp.c -- the second factor's routes: my TOTP status, beginning and
 * confirming an enrolment, switching it off, new recovery codes, an owner's
 * reset of a team member's or a contact's TOTP; and route_totp_accept(), the
 * one check of a code or recovery code, which the login uses too. The SQL is
 * db-totp.c's, the arithmetic totp.c's; the gate that keeps a session which
 * must enrol to these routes is route.c's.
 */
#include "foliod.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOTP_RECOVERY_CODES 10

int
route_totp_accept(struct db *db, int64_t user_id, const struct totp_state *s, const char *code,
    bool recovery_too)
{
	char hash[67];
	int64_t step;

	if (!s->exists)
		return 0;
	if (totp_is_code(code)) {
		if ((step = totp_check(s->secret, code, time(NULL))) < 0 || step <= s->last_step)
			return 0; /* wrong, too old or already taken */
		return db_totp_take_step(db, user_id, step, !s->enabled);
	}
	if (!recovery_too || !s->enabled || totp_recovery_hash(code, hash) != 0)
		return 0;
	/* Looked up by its SHA-256: the database compares hashes, never the code. */
	return db_totp_recovery_use(db, user_id, hash);
}

void
route_totp_status(struct request *req, struct db *db)
{
	struct json_object *o = db_totp_status(db, req->user.id);

	if (o)
		reply_json(req, 200, o);
}

/* POST /me/totp: a new secret, pending until a code confirms it. */
void
route_totp_begin(struct request *req, struct db *db)
{
	unsigned char secret[TOTP_SECRET_BYTES];
	struct json_object *firm, *o;
	char *b32, *uri;
	int n;

	totp_new_secret(secret);
	if ((n = db_totp_begin(db, req->user.id, secret)) <= 0) {
		if (n == 0)
			reply_error(req, 409, "totp_already_enabled",
			    "two-factor login is on already; switch it off first");
		sodium_memzero(secret, sizeof secret);
		return;
	}
	if ((firm = db_firms_get(db, req->user.firm_id)) == NULL) {
		sodium_memzero(secret, sizeof secret);
		return;
	}
	b32 = totp_base32(secret);
	sodium_memzero(secret, sizeof secret);
	uri = totp_uri(b32, json_object_get_string(json_object_object_get(firm, "name")),
	    req->user.email);
	o = json_object_new_object();
	json_object_object_add(o, "secret", json_object_new_string(b32));
	json_object_object_add(o, "otpauth_uri", json_object_new_string(uri));
	json_object_object_add(o, "digits", json_object_new_int(6));
	json_object_object_add(o, "period", json_object_new_int(30));
	reply_json(req, 200, o);
	sodium_memzero(b32, strlen(b32));
	free(b32);
	free(uri);
	json_object_put(firm);
}

/* Ten new recovery codes stored (hashed) for the user; the codes themselves as a JSON array. */
static struct json_object *
route_totp_new_codes(struct db *db, int64_t user_id)
{
	char hashes[TOTP_RECOVERY_CODES][67];
	struct json_object *a = json_object_new_array();
	char *code;
	int i;

	for (i = 0; i < TOTP_RECOVERY_CODES; i++) {
		code = totp_recovery_new();
		if (totp_recovery_hash(code, hashes[i]) != 0)
			abort(); /* our own codes always have the form */
		json_object_array_add(a, json_object_new_string(code));
		free(code);
	}
	if (db_totp_recovery_set(db, user_id, hashes, TOTP_RECOVERY_CODES) != 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/*
 * Reads {code} and checks it against the user's TOTP (recovery codes too when
 * recovery_too). Returns 1 when it passed; otherwise 0 with the answer sent:
 * 409 when there is nothing to check against, 422 totp_invalid.
 */
static int
route_totp_code(struct request *req, struct db *db, struct json_object *body, bool enabled,
    bool recovery_too)
{
	struct totp_state s;
	const char *code = NULL;
	int ok;

	if (!field_string(req, body, "code", true, 64, &code) || db_totp_get(db, req->user.id, &s) <= 0)
		return 0;
	if (!s.exists || s.enabled != enabled) {
		if (enabled)
			reply_error(req, 409, "totp_not_enabled", "two-factor login is off");
		else if (s.enabled)
			reply_error(req, 409, "totp_already_enabled", "two-factor login is on already");
		else
			reply_error(req, 409, "totp_not_started", "begin with POST /api/v1/me/totp");
		db_totp_state_clear(&s);
		return 0;
	}
	ok = route_totp_accept(db, req->user.id, &s, code, recovery_too);
	db_totp_state_clear(&s);
	if (ok == 0)
		reply_error(req, 422, "totp_invalid", "code is not a current code of your authenticator");
	return ok == 1;
}

/* The audit row of a change to subject's second factor, in the caller's transaction. */
static int
route_totp_audit(struct request *req, struct db *db, const char *kind, int64_t subject)
{
	struct audit_entry e;

	route_audit_entry(&e, req, kind);
	e.subject_user_id = subject;
	return route_audit_record(db, &e, NULL);
}

/*
 * A code (of a TOTP not yet on when enabling, else of the one on), the audit
 * row, ten new recovery codes, in one transaction; answers the state with the
 * codes, once.
 */
static void
route_totp_with_new_codes(struct request *req, struct db *db, bool enabling)
{
	struct json_object *body, *codes, *o;

	if ((body = req_json(req)) == NULL)
		return;
	if (db_begin(db) == 0 && route_totp_code(req, db, body, !enabling, false) &&
	    route_totp_audit(req, db, enabling ? "totp_enabled" : "totp_recovery_codes_renewed",
	    req->user.id) == 0 &&
	    (codes = route_totp_new_codes(db, req->user.id)) != NULL) {
		if (db_commit(db) != 0 || (o = db_totp_status(db, req->user.id)) == NULL) {
			json_object_put(codes);
		} else {
			json_object_object_add(o, "recovery_codes", codes);
			reply_json(req, 200, o);
		}
	}
	json_object_put(body);
}

/* POST /me/totp/confirm {code}: the first code switches it on; the recovery codes, once. */
void
route_totp_confirm(struct request *req, struct db *db)
{
	route_totp_with_new_codes(req, db, true);
}

/* POST /me/totp/recovery-codes {code}: ten new codes; the old ones stop working. */
void
route_totp_recovery_codes(struct request *req, struct db *db)
{
	route_totp_with_new_codes(req, db, false);
}

/*
 * POST /me/totp/disable {password, code}: both, or nothing changes. A wrong
 * one counts as a failed login of this address, as for /me/password. Refused
 * while the firm's policy covers the user.
 */
void
route_totp_disable(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	struct totp_state s;
	const char *password = NULL, *code = NULL;
	char *hash;
	bool pw_ok;
	int ok;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "password", true, 1024, &password) ||
	    !field_string(req, body, "code", true, 64, &code) ||
	    route_sessions_throttled(req, db, req->user.email) || db_totp_get(db, req->user.id, &s) <= 0)
		goto out;
	if (!s.enabled) {
		reply_error(req, 409, "totp_not_enabled", "two-factor login is off");
		goto clear;
	}
	if (s.required) {
		reply_error(req, 409, "totp_required_by_firm",
		    "your firm requires two-factor login; an owner can reset it");
		goto clear;
	}
	hash = db_sessions_password_hash(db, req->user.id);
	if (db->broken)
		goto clear;
	pw_ok = auth_check_password(hash, password);
	free(hash);
	ok = pw_ok ? route_totp_accept(db, req->user.id, &s, code, true) : 0;
	if (ok < 0)
		goto clear;
	if (ok == 0) {
		struct login_failure f = { req->user.email, req->client, req->user_agent,
			req->user.firm_id, "totp_disable", req->user.id };

		if (db_sessions_login_failed(db, &f) == 0)
			reply_error(req, 422, pw_ok ? "totp_invalid" : "invalid_field",
			    pw_ok ? "code is not a current code of your authenticator"
				  : "password is not your password");
		goto clear;
	}
	if (db_begin(db) == 0 && db_totp_remove(db, req->user.id) >= 0 &&
	    route_totp_audit(req, db, "totp_disabled", req->user.id) == 0 && db_commit(db) == 0 &&
	    (o = db_totp_status(db, req->user.id)) != NULL)
		reply_json(req, 200, o);
clear:
	db_totp_state_clear(&s);
out:
	json_object_put(body);
}

/* DELETE /staff/{id}/totp, /contacts/{id}/totp: an owner resets another user's TOTP. */
static void
route_totp_reset(struct request *req, struct db *db, enum user_kind kind)
{
	int found;

	if (req->ids[0] == req->user.id) {
		reply_error(req, 409, "own_totp", "switch your own off with POST /api/v1/me/totp/disable");
		return;
	}
	if (db_begin(db) != 0)
		return;
	if ((found = db_totp_reset(db, req->user.firm_id, req->ids[0], kind)) == 1) {
		if (route_totp_audit(req, db, "totp_reset", req->ids[0]) == 0 && db_commit(db) == 0)
			reply_empty(req, 204);
	} else if (found == 0)
		reply_error(req, 404, "not_found", "no such %s", kind == USER_STAFF ? "team member" : "contact");
}

void
route_totp_reset_staff(struct request *req, struct db *db)
{
	route_totp_reset(req, db, USER_STAFF);
}

void
route_totp_reset_contact(struct request *req, struct db *db)
{
	route_totp_reset(req, db, USER_CONTACT);
}
