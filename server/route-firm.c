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
	if ((language == NULL || db_firms_language_set(db, req->user.firm_id, language) == 0) &&
	    (o = db_firms_get(db, req->user.firm_id)) != NULL)
		reply_json(req, 200, o);
out:
	json_object_put(body);
}
