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
	if ((language == NULL || db_firms_language_set(db, req->user.firm_id, language) == 0) &&
	    (policy == NULL || db_firms_require_totp_set(db, req->user.firm_id, policy) == 0) &&
	    (o = db_firms_get(db, req->user.firm_id)) != NULL)
		reply_json(req, 200, o);
out:
	json_object_put(body);
}
