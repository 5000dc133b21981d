/*
 * route-messages.c -- messages of a thread (paged both ways, posted
 * idempotently by client_msg_id), read markers, and client tasks.
 */
#include "foliod.h"

#include <inttypes.h>
#include <string.h>

#define BODY_MAX 100000

/* Replies 404 unless u may see the thread. Returns true when it may. */
static bool
thread_visible(struct request *req, struct db *db, bool lock)
{
	if (db_thread_account(db, &req->user, req->ids[0], lock) > 0)
		return true;
	if (!db->broken)
		reply_error(req, 404, "not_found", "no such thread");
	return false;
}

void
route_messages_list(struct request *req, struct db *db)
{
	struct json_object *a;
	int64_t before, after, limit, first;
	char next[32];
	size_t n;

	if (req_arg_int(req, "before", 0, 1, INT64_MAX, &before) != 0 ||
	    req_arg_int(req, "after", 0, 1, INT64_MAX, &after) != 0 ||
	    req_arg_int(req, "limit", 50, 1, 200, &limit) != 0 || !thread_visible(req, db, false))
		return;
	if ((a = db_messages_list(db, &req->user, req->ids[0], before, after, limit)) == NULL)
		return;
	/* next: the id to page on from, in the same direction, while the page was full. */
	n = json_object_array_length(a);
	if ((int64_t)n < limit) {
		reply_list(req, a, NULL);
		return;
	}
	json_get_int(json_object_array_get_idx(a, after > 0 ? n - 1 : 0), "id", &first);
	snprintf(next, sizeof next, "%" PRId64, first);
	reply_list(req, a, next);
}

/* Answers a repeated client_msg_id. Returns true when it was one. */
static bool
message_replay(struct request *req, struct db *db, const char *client_msg_id)
{
	int64_t mid, tid;
	bool first;
	struct json_object *o;
	int found;

	if (client_msg_id == NULL)
		return false;
	if ((found = db_client_msg_find(db, req->user.id, client_msg_id, &mid, &tid, &first)) <= 0)
		return found < 0;
	if (tid != req->ids[0])
		reply_error(req, 409, "client_msg_id_reused",
		    "client_msg_id was used in another thread");
	else if ((o = db_message_get(db, &req->user, mid)) != NULL)
		reply_json(req, 200, o);
	return true;
}

void
route_messages_create(struct request *req, struct db *db)
{
	struct json_object *body, *docs = NULL, *o;
	const char *text = NULL, *cmid = NULL;
	bool internal = false;
	int64_t mid = -1;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_string(req, body, "body", true, BODY_MAX, &text) ||
	    !field_bool(req, body, "internal", false, &internal) ||
	    !field_string(req, body, "client_msg_id", false, 128, &cmid))
		goto out;
	if (text[strspn(text, " \t\r\n")] == '\0') {
		reply_error(req, 422, "invalid_field", "body must not be blank");
		goto out;
	}
	if (cmid && *cmid == '\0') {
		reply_error(req, 422, "invalid_field", "client_msg_id must not be empty");
		goto out;
	}
	if (json_get_array(body, "document_ids", &docs) == JSON_GET_WRONG_TYPE ||
	    (docs && json_object_array_length(docs) > 0)) {
		reply_error(req, 422, docs ? "unknown_document" : "invalid_field",
		    docs ? "no such document" : "document_ids must be a list of ids");
		goto out;
	}
	if (internal && !is_staff(req)) {
		reply_error(req, 403, "forbidden", "only staff write internal notes");
		goto out;
	}
	if (!thread_visible(req, db, false) || message_replay(req, db, cmid))
		goto out;
	if (db_begin(db) == 0 && thread_visible(req, db, true) &&
	    (mid = db_message_insert(db, &req->user, req->ids[0], text, internal, cmid)) > 0 &&
	    activity_message_created(db, &req->user, req->ids[0], mid) == 0 && db_commit(db) == 0) {
		if ((o = db_message_get(db, &req->user, mid)) != NULL)
			reply_json(req, 201, o);
	} else if (db->unique_violation) {
		db_rollback(db);
		message_replay(req, db, cmid); /* a concurrent retry won the race */
	}
out:
	json_object_put(body);
}

void
route_threads_read(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	int64_t up_to = 0;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_int(req, body, "up_to_message_id", true, 0, INT64_MAX, &up_to) ||
	    db_begin(db) != 0 || !thread_visible(req, db, false))
		goto out;
	o = db_read_marker_set(db, &req->user, req->ids[0], up_to);
	if (o && activity_thread_read(db, &req->user, req->ids[0]) == 0 && db_commit(db) == 0)
		reply_json(req, 200, o);
	else
		json_object_put(o);
out:
	json_object_put(body);
}

void
route_tasks_update(struct request *req, struct db *db)
{
	struct json_object *body, *o;
	bool done = false;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_bool(req, body, "done", true, &done) || db_begin(db) != 0)
		goto out;
	o = db_task_set_done(db, &req->user, req->ids[0], done);
	if (o == NULL) {
		if (!db->broken)
			reply_error(req, 404, "not_found", "no such task");
	} else if (activity_task_updated(db, &req->user, req->ids[0]) == 0 && db_commit(db) == 0)
		reply_json(req, 200, o);
	else
		json_object_put(o);
out:
	json_object_put(body);
}
