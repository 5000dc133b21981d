/*
 * route-firm.c -- the firm's own settings: GET /api/v1/firm for its staff,
 * PATCH for its owner (the route table says who). Today the one setting is
 * the language the firm's mail is written in. The rows are db-firms.c's.
 */
#include "foliod.h"

void
route_firm_get(struct request *req, struct db *db)
{
	struct json_object *o = db_firms_get(db, req->user.firm_id);

	if (o)
		reply_json(req, 200, o);
}

/* Sets the language and appends its audit row, in one transaction. False on failure. */
static bool
firm_language_set(struct request *req, struct db *db, const char *language)
{
	struct json_object *d = json_object_new_object();
	struct audit_entry e;

	json_object_object_add(d, "language", json_object_new_string(language));
	route_audit_entry(&e, req, "firm_updated");
	if (db_begin(db) != 0 || db_firms_language_set(db, req->user.firm_id, language) != 0) {
		json_object_put(d);
		return false;
	}
	return route_audit_record(db, &e, d) == 0 && db_commit(db) == 0;
}

void
route_firm_update(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	const char *language = NULL;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "language", false, 8, &language))
		goto out;
	if (language && !mail_lang_known(language)) {
		reply_error(req, 422, "invalid_field", "language must be \"de\" or \"en\"");
		goto out;
	}
	if ((language == NULL || firm_language_set(req, db, language)) &&
	    (o = db_firms_get(db, req->user.firm_id)) != NULL)
		reply_json(req, 200, o);
out:
	json_object_put(body);
}
