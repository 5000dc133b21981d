/*
 * route-messages.c -- messages of a thread (paged both ways, posted
 * idempotently by client_msg_id), read markers, and client tasks.
 */
#include "foliod.h"

#include <inttypes.h>
#include <stdlib.h>
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
	struct message_page pg;
	int64_t before, after, limit;
	char next[32];
	int found;

	if (req_arg_int(req, "before", 0, 1, INT64_MAX, &before) != 0 ||
	    req_arg_int(req, "after", 0, 1, INT64_MAX, &after) != 0 ||
	    req_arg_int(req, "limit", 50, 1, 200, &limit) != 0)
		return;
	/* One statement: visibility and the page, built as JSON by PostgreSQL and passed on. */
	if ((found = db_messages_page(db, &req->user, req->ids[0], before, after, limit, &pg)) <= 0) {
		if (found == 0)
			reply_error(req, 404, "not_found", "no such thread");
		return;
	}
	/* next: the id to page on from, in the same direction, while the page was full. */
	snprintf(next, sizeof next, "%" PRId64, after > 0 ? pg.last : pg.first);
	reply_list_text(req, pg.items, pg.n < limit ? NULL : next);
	free(pg.items);
}

int
message_draft_make(struct db *db, const struct principal *u, const char *body, bool internal,
    const char *client_msg_id, struct message_draft *d)
{
	struct mention_names staff = { 0 };
	struct json_object *embeds;
	int64_t *ids = NULL;
	size_t n = 0;

	memset(d, 0, sizeof *d);
	/*
	 * Only staff mention (a contact learns no staff ids from its own "@name"),
	 * and only a body with an '@' can: the others never ask.
	 */
	if (u->kind == USER_STAFF && strchr(body, '@') != NULL) {
		if (db_mention_names(db, u->firm_id, &staff) != 0)
			return -1;
		ids = mention_find(body, staff.v, staff.n, &n);
		db_mention_names_free(&staff);
	}
	embeds = markdown_embeds(body);
	d->body = body;
	d->html = markdown_html(body);
	d->internal = internal;
	d->client_msg_id = client_msg_id;
	d->embeds = xstrdup(json_text(embeds));
	d->mentions = mention_array(ids, n);
	json_object_put(embeds);
	free(ids);
	return 0;
}

void
message_draft_free(struct message_draft *d)
{
	free((char *)d->html);
	free((char *)d->embeds);
	free((char *)d->mentions);
	free(d->documents);
	memset(d, 0, sizeof *d);
}

/* Answers a send that used its client_msg_id before: the message again, or 409. */
static void
message_replay(struct request *req, struct db *db, struct json_object *r)
{
	struct json_object *o;
	int64_t mid = 0, tid = 0;

	json_get_int(r, "message_id", &mid);
	json_get_int(r, "thread_id", &tid);
	if (tid != req->ids[0])
		reply_error(req, 409, "client_msg_id_reused",
		    "client_msg_id was used in another thread");
	else if ((o = db_message_get(db, &req->user, mid)) != NULL)
		reply_json(req, 200, o);
}

void
route_messages_create(struct request *req, struct db *db)
{
	struct json_object *body, *r = NULL, *o;
	struct message_draft d;
	const char *text = NULL, *cmid = NULL, *status = "";
	bool internal = false;
	char *docs = NULL;

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
	if (internal && !is_staff(req)) {
		reply_error(req, 403, "forbidden", "only staff write internal notes");
		goto out;
	}
	if (documents_attach(req, db, body, req->ids[0], 0, internal, &docs) != 0 ||
	    message_draft_make(db, &req->user, text, internal, cmid, &d) != 0)
		goto out;
	d.documents = docs;
	docs = NULL;
	/* One statement (shared with concurrent sends): the message, its events, items, mails. */
	r = send_batch_post(db, &req->user, req->ids[0], &d, &req->batch);
	message_draft_free(&d);
	if (r == NULL)
		goto out;
	json_get_string(r, "status", &status);
	if (strcmp(status, "ok") == 0) {
		activity_committed();
		if (json_object_object_get_ex(r, "message", &o))
			reply_json(req, 201, json_object_get(o));
	} else if (strcmp(status, "replay") == 0)
		message_replay(req, db, r);
	else if (strcmp(status, "not_found") == 0)
		reply_error(req, 404, "not_found", "no such thread");
	else
		log_error("request %s: the send failed: %s", req->request_id, json_text(r));
out:
	free(docs);
	json_object_put(r);
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
