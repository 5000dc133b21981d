/*
 * route-notify.c -- the notification routes: a user's items (Inbox+ for
 * staff, the pending list for contacts), marking one read, and the per-user
 * notification settings. Items are written by notify.c, never here.
 */
#include "foliod.h"

#include <string.h>

void
route_notifications_list(struct request *req, struct db *db)
{
	static const char *const keys[] = { "bump" };
	struct json_object *a;
	struct page_keys pk;
	const char *v;
	int64_t total;
	bool unread;
	size_t i;
	char *next;

	if (req_page_keys(req, &pk, "n") != 0)
		return;
	unread = (v = req_arg(req, "unread")) != NULL && strcmp(v, "true") == 0;
	if ((a = db_notify_list(db, &req->user, unread, &pk)) == NULL)
		return;
	/* How many items are unread in all, for a badge beyond the first page. */
	total = db_notify_unread_count(db, &req->user);
	if (total < 0) {
		json_object_put(a);
		return;
	}
	next = page_keys_next(a, &pk, keys, 1);
	for (i = 0; i < json_object_array_length(a); i++)
		json_object_object_del(json_object_array_get_idx(a, i), "bump");
	reply_page_next(req, a, next, "unread_count", json_object_new_int64(total));
}

void
route_notifications_read(struct request *req, struct db *db)
{
	struct json_object *o = db_notify_read(db, &req->user, req->ids[0]);

	if (o)
		reply_json(req, 200, o);
	else if (!db->broken)
		reply_error(req, 404, "not_found", "no such notification");
}

void
route_notification_settings_get(struct request *req, struct db *db)
{
	struct json_object *o = db_notify_settings_get(db, req->user.id);

	if (o)
		reply_json(req, 200, o);
}

void
route_notification_settings_update(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	bool email = true, all = false;
	int set_email = -1, set_all = -1;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_bool(req, body, "email", false, &email) ||
	    !field_bool(req, body, "all_client_activity", false, &all))
		goto out;
	if (json_get_bool(body, "email", &email) == JSON_GET_OK)
		set_email = email;
	if (json_get_bool(body, "all_client_activity", &all) == JSON_GET_OK)
		set_all = all;
	if (db_notify_settings_set(db, req->user.id, set_email, set_all) == 0 &&
	    (o = db_notify_settings_get(db, req->user.id)) != NULL)
		reply_json(req, 200, o);
out:
	json_object_put(body);
}
