/*
 * route-templates.c -- message templates: {name, subject, body, reminders}.
 */
#include "foliod.h"

#include <string.h>

/* Reads the fields of a template body; on create, name is required. */
static bool
template_fields_read(struct request *req, struct json_object *body, bool create,
    struct template_fields *t)
{
	struct json_object *rem = NULL;
	struct reminder_change rc;

	memset(t, 0, sizeof *t);
	if (!field_string(req, body, "name", create, 200, &t->name) ||
	    !field_string(req, body, "subject", false, 500, &t->subject) ||
	    !field_string(req, body, "body", false, 100000, &t->body))
		return false;
	if (json_get_object(body, "reminders", &rem) == JSON_GET_WRONG_TYPE) {
		reply_error(req, 422, "invalid_field", "reminders must be an object");
		return false;
	}
	if (!reminder_fields_read(req, rem, &rc))
		return false;
	t->has_enabled = rc.has_enabled;
	t->enabled = rc.enabled;
	t->interval_days = rc.interval_days;
	t->max_count = rc.max_count;
	if (!create && t->name && *t->name == '\0') {
		reply_error(req, 422, "invalid_field", "name must not be empty");
		return false;
	}
	return true;
}

void
route_templates_list(struct request *req, struct db *db)
{
	struct json_object *a;
	static const char *const keys[] = { "name" };
	struct page_keys pk;

	if (req_page_keys(req, &pk, "s") != 0)
		return;
	if ((a = db_templates_list(db, req->user.firm_id, &pk)) != NULL)
		reply_page_next(req, a, page_keys_next(a, &pk, keys, 1), NULL, NULL);
}

void
route_templates_get(struct request *req, struct db *db)
{
	struct json_object *o = db_template_get(db, req->user.firm_id, req->ids[0]);

	if (o)
		reply_json(req, 200, o);
	else if (!db->broken)
		reply_error(req, 404, "not_found", "no such template");
}

static void
template_save(struct request *req, struct db *db, int64_t id)
{
	struct json_object *body, *o;
	struct template_fields t;

	if ((body = req_json(req)) == NULL)
		return;
	if (template_fields_read(req, body, id == 0, &t)) {
		o = db_template_save(db, req->user.firm_id, id, &t);
		if (o)
			reply_json(req, id ? 200 : 201, o);
		else if (db->unique_violation)
			reply_error(req, 409, "name_taken", "a template with that name exists");
		else if (!db->broken && id)
			reply_error(req, 404, "not_found", "no such template");
	}
	json_object_put(body);
}

void
route_templates_create(struct request *req, struct db *db)
{
	template_save(req, db, 0);
}

void
route_templates_update(struct request *req, struct db *db)
{
	template_save(req, db, req->ids[0]);
}

void
route_templates_delete(struct request *req, struct db *db)
{
	long n = db_template_delete(db, req->user.firm_id, req->ids[0]);

	if (n == 1)
		reply_empty(req, 204);
	else if (n == 0)
		reply_error(req, 404, "not_found", "no such template");
}
