/*
 * route-firm.c -- the firm's own settings: GET /api/v1/firm for its staff,
 * PATCH for its owner (the route table says who): the language the firm's
 * mail is written in, and who must log in with a second factor (require_totp:
 * none, staff, clients or all). The rows are db-firms.c's.
 */
#include "foliod.h"

void
route_firm_get(struct request *req, struct db *db)
{
	struct json_object *o = db_firms_get(db, req->user.firm_id);

	if (o)
		reply_json(req, 200, o);
}

/* Sets what is given and appends its audit row, in one transaction. False on failure. */
static bool
firm_settings_set(struct request *req, struct db *db, const char *language, const char *policy)
{
	struct json_object *d = json_object_new_object();
	struct audit_entry e;

	if (language)
		json_object_object_add(d, "language", json_object_new_string(language));
	if (policy)
		json_object_object_add(d, "require_totp", json_object_new_string(policy));
	route_audit_entry(&e, req, "firm_updated");
	if (db_begin(db) != 0 ||
	    (language && db_firms_language_set(db, req->user.firm_id, language) != 0) ||
	    (policy && db_firms_require_totp_set(db, req->user.firm_id, policy) != 0)) {
		json_object_put(d);
		return false;
	}
	return route_audit_record(db, &e, d) == 0 && db_commit(db) == 0;
}

void
route_firm_update(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	const char *language = NULL, *policy = NULL;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "language", false, 8, &language) ||
	    !field_string(req, body, "require_totp", false, 16, &policy))
		goto out;
	if (language && !mail_lang_known(language)) {
		reply_error(req, 422, "invalid_field", "language must be \"de\" or \"en\"");
		goto out;
	}
	if (policy && !totp_policy_known(policy)) {
		reply_error(req, 422, "invalid_field",
		    "require_totp must be \"none\", \"staff\", \"clients\" or \"all\"");
		goto out;
	}
	if ((language == NULL && policy == NULL) || firm_settings_set(req, db, language, policy))
		if ((o = db_firms_get(db, req->user.firm_id)) != NULL)
			reply_json(req, 200, o);
out:
	json_object_put(body);
}
