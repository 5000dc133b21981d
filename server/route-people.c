/*
 * route-people.c -- team members, client accounts and their contacts.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 200
#define EMAIL_MAX_BYTES 254

static bool
valid_email(struct request *req, const char *email)
{
	const char *at = strchr(email, '@');

	if (at == NULL || at == email || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strpbrk(email, " \t\r\n<>,;\"") != NULL) {
		reply_error(req, 422, "invalid_field", "email is not an email address");
		return false;
	}
	return true;
}

/* Hashes a new password. Replies 422 and returns NULL when the policy refuses it. */
static char *
new_password_hash(struct request *req, const char *password)
{
	char *hash, why[256];

	if (auth_password_policy(password, why, sizeof why) != 0) {
		reply_error(req, 422, "invalid_field", "password %s", why);
		return NULL;
	}
	if ((hash = auth_hash_password(password)) == NULL)
		reply_error(req, 500, "internal_error", "internal server error");
	return hash;
}

/*
 * The audit row of a new team member (its role) or contact (its portal
 * access), in the creating transaction. False on failure.
 */
static bool
people_audit_added(struct request *req, struct db *db, const char *kind, int64_t id,
    const char *key, const char *value)
{
	struct json_object *d = json_object_new_object();
	struct audit_entry e;

	route_audit_entry(&e, req, kind);
	e.subject_user_id = id;
	if (strcmp(key, "role") == 0)
		json_object_object_add(d, key, json_object_new_string(value));
	else
		json_object_object_add(d, key, json_object_new_boolean(strcmp(value, "true") == 0));
	if (strcmp(kind, "contact_added") == 0)
		json_object_object_add(d, "account_id", json_object_new_int64(req->ids[0]));
	return route_audit_record(db, &e, d) == 0;
}

void
route_staff_list(struct request *req, struct db *db)
{
	struct json_object *a = db_staff_list(db, req->user.firm_id);

	if (a)
		reply_list(req, a, NULL);
}

void
route_staff_create(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	const char *name = NULL, *email = NULL, *password = NULL, *role = "member";
	char *hash = NULL;
	int64_t id;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "name", true, NAME_MAX_BYTES, &name) ||
	    !field_string(req, body, "email", true, EMAIL_MAX_BYTES, &email) ||
	    !field_string(req, body, "password", true, 1024, &password) ||
	    !field_string(req, body, "role", false, 16, &role) || !valid_email(req, email))
		goto out;
	if (proto_role_parse(role) == ROLE_NONE) {
		reply_error(req, 422, "invalid_field", "role must be owner, admin or member");
		goto out;
	}
	if (proto_role_parse(role) > req->user.role) {
		reply_error(req, 403, "forbidden", "you may not give a role above your own");
		goto out;
	}
	if ((hash = new_password_hash(req, password)) == NULL)
		goto out;
	if (db_begin(db) != 0)
		goto out;
	id = db_staff_create(db, req->user.firm_id, name, email, hash, role);
	if (id == 0)
		reply_error(req, 409, "email_taken", "%s is already in use", email);
	else if (id > 0 && people_audit_added(req, db, "staff_added", id, "role", role) &&
	    db_commit(db) == 0 && (o = db_staff_get(db, req->user.firm_id, id)) != NULL)
		reply_json(req, 201, o);
out:
	free(hash);
	json_object_put(body);
}

void
route_accounts_list(struct request *req, struct db *db)
{
	const char *unread = req_arg(req, "unread"), *sort = req_arg(req, "sort");
	static const char *const keys[] = { "last_activity_at", "name" };
	struct json_object *a;
	struct page_keys pk;
	bool by_name = sort && strcmp(sort, "name") == 0;

	if (req_page_keys(req, &pk, "ts") != 0)
		return;
	if (unread && *unread && strcmp(unread, "true") != 0 && strcmp(unread, "false") != 0) {
		reply_error(req, 422, "invalid_field", "unread must be true or false");
		return;
	}
	if (sort && strcmp(sort, "name") != 0 && strcmp(sort, "last_activity_at") != 0) {
		reply_error(req, 422, "invalid_field", "sort must be name or last_activity_at");
		return;
	}
	/* A cursor of one order does not fit the other: its keys are the other's. */
	a = db_accounts_list(db, &req->user, req_arg(req, "q"), unread && strcmp(unread, "true") == 0,
	    by_name, &pk);
	if (a)
		reply_page_next(req, a, page_keys_next(a, &pk, keys, 2), NULL, NULL);
}

void
route_accounts_create(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	const char *name = NULL;

	if ((body = req_json(req)) == NULL)
		return;
	if (field_string(req, body, "name", true, NAME_MAX_BYTES, &name)) {
		if ((o = db_account_create(db, req->user.firm_id, name)) != NULL)
			reply_json(req, 201, o);
		else if (db->unique_violation)
			reply_error(req, 409, "name_taken", "an account named %s exists", name);
	}
	json_object_put(body);
}

void
route_accounts_get(struct request *req, struct db *db)
{
	struct json_object *o = db_account_get(db, &req->user, req->ids[0]);

	if (o)
		reply_json(req, 200, o);
	else if (!db->broken)
		reply_error(req, 404, "not_found", "no such account");
}

void
route_contacts_create(struct request *req, struct db *db)
{
	struct json_object *body, *o, *acct;
	const char *name = NULL, *email = NULL, *password = NULL;
	bool portal = false, notify = true;
	char *hash = NULL;
	int64_t id;

	if ((acct = db_account_get(db, &req->user, req->ids[0])) == NULL) {
		if (!db->broken)
			reply_error(req, 404, "not_found", "no such account");
		return;
	}
	json_object_put(acct);
	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "name", true, NAME_MAX_BYTES, &name) ||
	    !field_string(req, body, "email", true, EMAIL_MAX_BYTES, &email) ||
	    !field_string(req, body, "password", false, 1024, &password) ||
	    !field_bool(req, body, "portal_access", false, &portal) ||
	    !field_bool(req, body, "notify", false, &notify) || !valid_email(req, email))
		goto out;
	if (password && (hash = new_password_hash(req, password)) == NULL)
		goto out;
	if (db_begin(db) != 0)
		goto out;
	id = db_contact_create(db, req->user.firm_id, req->ids[0], name, email, hash, portal, notify);
	if (id == 0)
		reply_error(req, 409, "email_taken", "%s is already in use", email);
	else if (id > 0 &&
	    people_audit_added(req, db, "contact_added", id, "portal_access", portal ? "true" : "false") &&
	    db_commit(db) == 0 && (o = db_contact_get(db, id)) != NULL)
		reply_json(req, 201, o);
out:
	free(hash);
	json_object_put(body);
}

/*
 * Ends every session of a user whose access was taken away, with a
 * session_revoked row each (reason). Returns how many, or -1 on failure.
 */
static int64_t
people_revoke_all(struct request *req, struct db *db, int64_t id, const char *reason)
{
	struct json_object *ids = db_sessions_revoke_user(db, id), *d;
	struct audit_entry e;
	int64_t n;
	int rc;

	if (ids == NULL)
		return -1;
	n = (int64_t)json_object_array_length(ids);
	d = json_object_new_object();
	json_object_object_add(d, "reason", json_object_new_string(reason));
	route_audit_entry(&e, req, "session_revoked");
	e.subject_user_id = id;
	e.details = json_text(d);
	rc = db_audit_sessions_revoked(db, &e, ids);
	json_object_put(d);
	json_object_put(ids);
	return rc == 0 ? n : -1;
}

/* Appends kind about user id with details (taken). False on failure. */
static bool
people_audit(struct request *req, struct db *db, const char *kind, int64_t id,
    struct json_object *details)
{
	struct audit_entry e;

	route_audit_entry(&e, req, kind);
	e.subject_user_id = id;
	return route_audit_record(db, &e, details) == 0;
}

/* The audit rows of a team member's new role and active flag; false on failure. */
static bool
people_staff_changed(struct request *req, struct db *db, int64_t id, enum staff_role from,
    enum staff_role to, bool was_active, bool active)
{
	struct json_object *d;
	int64_t n = 0;

	if (from != to) {
		d = json_object_new_object();
		json_object_object_add(d, "from", json_object_new_string(proto_role_name(from)));
		json_object_object_add(d, "to", json_object_new_string(proto_role_name(to)));
		if (!people_audit(req, db, "staff_role_changed", id, d))
			return false;
	}
	if (was_active == active)
		return true;
	if (active)
		return people_audit(req, db, "staff_reactivated", id, NULL);
	if ((n = people_revoke_all(req, db, id, "deactivated")) < 0)
		return false;
	d = json_object_new_object();
	json_object_object_add(d, "sessions_revoked", json_object_new_int64(n));
	return people_audit(req, db, "staff_deactivated", id, d);
}

/*
 * PATCH /staff/{id} {name?, role?, active?}: owners and admins; nobody gives
 * a role above their own or changes someone above them, and the firm keeps
 * at least one active owner (409 last_owner).
 */
void
route_staff_update(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	const char *name = NULL, *role = NULL;
	enum staff_role cur, want;
	bool active = true, was_active, has_active;
	int64_t owners;
	int found;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "name", false, NAME_MAX_BYTES, &name) ||
	    !field_string(req, body, "role", false, 16, &role) ||
	    !field_bool(req, body, "active", false, &active))
		goto out;
	has_active = json_object_object_get_ex(body, "active", NULL);
	if (name && *name == '\0') {
		reply_error(req, 422, "invalid_field", "name must not be empty");
		goto out;
	}
	if (role && (want = proto_role_parse(role)) == ROLE_NONE) {
		reply_error(req, 422, "invalid_field", "role must be owner, admin or member");
		goto out;
	}
	if (role && want > req->user.role) {
		reply_error(req, 403, "forbidden", "you may not give a role above your own");
		goto out;
	}
	if (db_begin(db) != 0 ||
	    (found = db_staff_lock(db, req->user.firm_id, req->ids[0], &cur, &was_active, &owners)) < 0)
		goto out;
	if (found == 0) {
		reply_error(req, 404, "not_found", "no such team member");
		goto out;
	}
	if (cur > req->user.role) {
		reply_error(req, 403, "forbidden", "you may not change someone above your own role");
		goto out;
	}
	want = role ? proto_role_parse(role) : cur;
	active = has_active ? active : was_active;
	if (cur == ROLE_OWNER && was_active && (want != ROLE_OWNER || !active) && owners <= 1) {
		reply_error(req, 409, "last_owner", "the firm must keep an active owner");
		goto out;
	}
	if (db_staff_update(db, req->user.firm_id, req->ids[0], name, role, has_active ? active : -1) != 0 ||
	    !people_staff_changed(req, db, req->ids[0], cur, want, was_active, active) ||
	    db_commit(db) != 0)
		goto out;
	if ((o = db_staff_get(db, req->user.firm_id, req->ids[0])) != NULL)
		reply_json(req, 200, o);
out:
	json_object_put(body);
}

/* Reads PATCH /contacts/{id}'s fields into c; false when one was refused (answered). */
static bool
people_contact_fields(struct request *req, struct json_object *body, struct contact_change *c)
{
	bool notify = false, portal = false;

	c->name = c->email = NULL;
	if (!field_string(req, body, "name", false, NAME_MAX_BYTES, &c->name) ||
	    !field_string(req, body, "email", false, EMAIL_MAX_BYTES, &c->email) ||
	    !field_bool(req, body, "notify", false, &notify) ||
	    !field_bool(req, body, "portal_access", false, &portal) ||
	    (c->email && !valid_email(req, c->email)))
		return false;
	if (c->name && *c->name == '\0') {
		reply_error(req, 422, "invalid_field", "name must not be empty");
		return false;
	}
	c->notify = json_object_object_get_ex(body, "notify", NULL) ? notify : -1;
	c->portal_access = json_object_object_get_ex(body, "portal_access", NULL) ? portal : -1;
	return true;
}

/*
 * PATCH /contacts/{id} {name?, email?, notify?, portal_access?}: owners and
 * admins. Taking portal access away ends the contact's sessions.
 */
void
route_contacts_update(struct request *req, struct db *db)
{
	struct json_object *body, *o, *d;
	struct contact_change c;
	bool was;
	int64_t n = 0;
	int found;

	if ((body = req_json(req)) == NULL)
		return;
	if (!people_contact_fields(req, body, &c) || db_begin(db) != 0 ||
	    (found = db_contact_lock(db, req->user.firm_id, req->ids[0], &was)) < 0)
		goto out;
	if (found == 0) {
		reply_error(req, 404, "not_found", "no such contact");
		goto out;
	}
	if (db_contact_update(db, req->user.firm_id, req->ids[0], &c) != 0) {
		if (db->unique_violation)
			reply_error(req, 409, "email_taken", "%s is already in use", c.email);
		goto out;
	}
	if (c.portal_access >= 0 && (c.portal_access != 0) != was) {
		if (!c.portal_access && (n = people_revoke_all(req, db, req->ids[0], "access_removed")) < 0)
			goto out;
		d = json_object_new_object();
		json_object_object_add(d, "portal_access", json_object_new_boolean(c.portal_access));
		if (!c.portal_access)
			json_object_object_add(d, "sessions_revoked", json_object_new_int64(n));
		if (!people_audit(req, db, "contact_access_changed", req->ids[0], d))
			goto out;
	}
	if (db_commit(db) == 0 && (o = db_contact_get(db, req->ids[0])) != NULL)
		reply_json(req, 200, o);
out:
	json_object_put(body);
}
