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
