/*
 * route-threads.c -- threads: list with filters, new chat, one thread, and
 * the staff's changes (archive, reopen, assign, reminder settings).
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

#define SUBJECT_MAX 500
#define BODY_MAX 100000
#define TASKS_MAX 100

bool
reminder_fields_read(struct request *req, struct json_object *rem, struct reminder_change *out)
{
	memset(out, 0, sizeof *out);
	if (rem == NULL)
		return true;
	if (json_get_bool(rem, "enabled", &out->enabled) == JSON_GET_OK)
		out->has_enabled = true;
	return field_bool(req, rem, "enabled", false, &out->enabled) &&
	    field_int(req, rem, "interval_days", false, 1, 365, &out->interval_days) &&
	    field_int(req, rem, "max_count", false, 1, 100, &out->max_count);
}

/* Reads the optional "reminders" object of a body. */
static bool
thread_reminders_arg(struct request *req, struct json_object *body, struct reminder_change *rc,
    bool *present)
{
	struct json_object *rem = NULL;
	enum json_get r = json_get_object(body, "reminders", &rem);

	*present = r == JSON_GET_OK;
	if (r == JSON_GET_WRONG_TYPE) {
		reply_error(req, 422, "invalid_field", "reminders must be an object");
		return false;
	}
	return reminder_fields_read(req, rem, rc);
}

void
route_threads_list(struct request *req, struct db *db)
{
	struct thread_filter f = { 0, 0, false, NULL, 0, NULL, false };
	const char *v;
	struct json_object *a;
	struct page_pos pp;

	if (req_page_keyset(req, &pp) != 0 ||
	    req_arg_int(req, "account_id", 0, 1, INT64_MAX, &f.account_id) != 0)
		return;
	if ((v = req_arg(req, "archived")) != NULL && *v != '\0') {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0 && strcmp(v, "all") != 0) {
			reply_error(req, 422, "invalid_field", "archived must be true, false or all");
			return;
		}
		f.archived = strcmp(v, "true") == 0 ? 1 : strcmp(v, "all") == 0 ? -1 : 0;
	}
	if ((v = req_arg(req, "unread")) != NULL && *v != '\0') {
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			reply_error(req, 422, "invalid_field", "unread must be true or false");
			return;
		}
		f.unread = strcmp(v, "true") == 0;
	}
	if ((v = req_arg(req, "assigned_to")) != NULL) {
		if (strcmp(v, "none") == 0)
			f.assigned = "none";
		else {
			f.assigned = "id";
			if (strcmp(v, "me") == 0)
				f.assignee_id = req->user.id;
			else if (req_arg_int(req, "assigned_to", 0, 1, INT64_MAX, &f.assignee_id) != 0)
				return;
		}
	}
	if ((v = req_arg(req, "waiting_on")) != NULL) {
		if (strcmp(v, "firm") != 0 && strcmp(v, "client") != 0) {
			reply_error(req, 422, "invalid_field", "waiting_on must be firm or client");
			return;
		}
		f.waiting_on = v;
	}
	if ((v = req_arg(req, "sort")) != NULL) {
		if (strcmp(v, "waiting_since") != 0 && strcmp(v, "last_message_at") != 0) {
			reply_error(req, 422, "invalid_field", "sort must be last_message_at or waiting_since");
			return;
		}
		f.by_waiting = strcmp(v, "waiting_since") == 0;
	}
	/* Deep pages: the next cursor is the last thread's sort key and id (keyset). */
	if ((a = db_threads_list(db, &req->user, &f, &pp)) != NULL)
		reply_page_keyset(req, a, &pp, f.by_waiting ? "waiting_since" : "last_message_at");
}

void
route_threads_get(struct request *req, struct db *db)
{
	struct json_object *o = db_thread_get(db, &req->user, req->ids[0]);

	if (o)
		reply_json(req, 200, o);
	else if (!db->broken)
		reply_error(req, 404, "not_found", "no such thread");
}

/* The fields of a new chat, after the template has filled what the body left out. */
struct new_chat {
	int64_t account_id, template_id;
	const char *subject, *body, *client_msg_id;
	struct json_object *tasks, *rendered;
	struct reminder_settings reminders;
};

static bool
new_chat_read(struct request *req, struct db *db, struct json_object *body, struct new_chat *c)
{
	struct reminder_change rc;
	struct json_object *t;
	const char *title = NULL;
	bool has_rem;
	size_t i;

	if (!field_int(req, body, "account_id", false, 1, INT64_MAX, &c->account_id) ||
	    !field_string(req, body, "subject", false, SUBJECT_MAX, &c->subject) ||
	    !field_string(req, body, "body", false, BODY_MAX, &c->body) ||
	    !field_int(req, body, "template_id", false, 1, INT64_MAX, &c->template_id) ||
	    !field_string(req, body, "client_msg_id", false, 128, &c->client_msg_id) ||
	    !thread_reminders_arg(req, body, &rc, &has_rem))
		return false;
	if (c->client_msg_id && *c->client_msg_id == '\0') {
		reply_error(req, 422, "invalid_field", "client_msg_id must not be empty");
		return false;
	}
	if (is_staff(req) && c->account_id == 0)
		return field_int(req, body, "account_id", true, 1, INT64_MAX, &c->account_id);
	if (!is_staff(req)) {
		if (c->account_id == 0)
			c->account_id = req->user.account_id;
		if (c->template_id || has_rem) {
			reply_error(req, 403, "forbidden", "clients cannot use templates or reminders");
			return false;
		}
	}
	if (json_get_array(body, "tasks", &c->tasks) == JSON_GET_WRONG_TYPE ||
	    (c->tasks && json_object_array_length(c->tasks) > TASKS_MAX)) {
		reply_error(req, 422, "invalid_field", "tasks must be a list of at most %d {title}",
		    TASKS_MAX);
		return false;
	}
	for (i = 0; c->tasks && i < json_object_array_length(c->tasks); i++) {
		t = json_object_array_get_idx(c->tasks, i);
		if (!json_object_is_type(t, json_type_object)) {
			reply_error(req, 422, "invalid_field", "tasks must be a list of {title}");
			return false;
		}
		if (!field_string(req, t, "title", true, 500, &title))
			return false;
	}
	/* A template fills subject, body and reminders that the request leaves out. */
	c->reminders.enabled = false;
	c->reminders.interval_days = 3;
	c->reminders.max_count = 1;
	if (c->template_id) {
		/* Rendered for the account: it must be one u may see (else folio_thread_post says). */
		if (db_account_visible(db, &req->user, c->account_id) <= 0) {
			if (!db->broken)
				reply_error(req, 404, "not_found", "no such account");
			return false;
		}
		c->rendered = db_template_render(db, req->user.firm_id, c->template_id, c->account_id);
		if (c->rendered == NULL) {
			if (!db->broken)
				reply_error(req, 422, "invalid_field", "template_id names no template");
			return false;
		}
		if (c->subject == NULL)
			json_get_string(c->rendered, "subject", &c->subject);
		if (c->body == NULL)
			json_get_string(c->rendered, "body", &c->body);
		json_get_bool(c->rendered, "reminders_enabled", &c->reminders.enabled);
		json_get_int(c->rendered, "reminder_interval_days", &c->reminders.interval_days);
		json_get_int(c->rendered, "reminder_max_count", &c->reminders.max_count);
	}
	if (rc.has_enabled)
		c->reminders.enabled = rc.enabled;
	if (rc.interval_days)
		c->reminders.interval_days = rc.interval_days;
	if (rc.max_count)
		c->reminders.max_count = rc.max_count;
	if (c->body == NULL || c->body[strspn(c->body, " \t\r\n")] == '\0') {
		reply_error(req, 422, "missing_field", "body is required (or a template with a body)");
		return false;
	}
	return true;
}

/* A subject from the first line of the body when none was given. Caller frees. */
static char *
new_chat_subject(const char *subject, const char *body)
{
	size_t n;

	if (subject && *subject)
		return xstrdup(subject);
	n = strcspn(body, "\r\n");
	if (n > 80)
		n = 80;
	while (n > 0 && ((unsigned char)body[n] & 0xc0) == 0x80)
		n--; /* never cut a UTF-8 sequence */
	return n ? xstrndup(body, n) : xstrdup("(no subject)");
}

/* Answers a new chat whose client_msg_id was used before: the chat again, or 409. */
static void
new_chat_replay(struct request *req, struct db *db, struct json_object *r)
{
	struct json_object *o;
	int64_t tid = 0;
	bool first = false;

	json_get_int(r, "thread_id", &tid);
	json_get_bool(r, "first", &first);
	if (!first)
		reply_error(req, 409, "client_msg_id_reused", "client_msg_id was used for another message");
	else if ((o = db_thread_get(db, &req->user, tid)) != NULL)
		reply_json(req, 200, o);
}

/* The same after a concurrent post of the same client_msg_id won the race. */
static void
new_chat_raced(struct request *req, struct db *db, const char *client_msg_id)
{
	struct json_object *r = json_object_new_object();
	int64_t mid, tid;
	bool first;

	if (db_client_msg_find(db, req->user.id, client_msg_id, &mid, &tid, &first) == 1) {
		json_object_object_add(r, "thread_id", json_object_new_int64(tid));
		json_object_object_add(r, "first", json_object_new_boolean(first));
		new_chat_replay(req, db, r);
	}
	json_object_put(r);
}

void
route_threads_create(struct request *req, struct db *db)
{
	struct new_chat c;
	struct message_draft d;
	struct json_object *body, *r = NULL, *o;
	const char *status = "";
	char *subject = NULL, *docs = NULL;

	memset(&c, 0, sizeof c);
	if ((body = req_json(req)) == NULL)
		return;
	if (!new_chat_read(req, db, body, &c) ||
	    documents_attach(req, db, body, 0, c.account_id, false, &docs) != 0 ||
	    message_draft_make(db, &req->user, c.body, false, c.client_msg_id, &d) != 0)
		goto out;
	d.documents = docs;
	docs = NULL;
	subject = new_chat_subject(c.subject, c.body);
	/* One statement: the chat, its first message, tasks, events, items and mails, committed. */
	r = db_thread_post(db, &req->user, c.account_id, subject, &d,
	    c.tasks ? json_text(c.tasks) : "[]", &c.reminders);
	message_draft_free(&d);
	if (r == NULL) {
		if (db->unique_violation && c.client_msg_id)
			new_chat_raced(req, db, c.client_msg_id);
		goto out;
	}
	json_get_string(r, "status", &status);
	if (strcmp(status, "ok") == 0) {
		activity_committed();
		if (json_object_object_get_ex(r, "thread", &o))
			reply_json(req, 201, json_object_get(o));
	} else if (strcmp(status, "replay") == 0)
		new_chat_replay(req, db, r);
	else if (strcmp(status, "no_portal_access") == 0)
		reply_error(req, 409, "no_portal_access",
		    "no contact of this account has portal access, so nobody could read the chat");
	else
		reply_error(req, 404, "not_found", "no such account");
out:
	free(subject);
	free(docs);
	json_object_put(r);
	json_object_put(c.rendered);
	json_object_put(body);
}

void
route_threads_update(struct request *req, struct db *db)
{
	struct thread_change c = { -1, false, 0, { false, false, 0, 0 } };
	struct json_object *body, *o;
	bool archived, has_rem;
	int64_t assignee = 0;

	if ((body = req_json(req)) == NULL)
		return;
	if (!field_bool(req, body, "archived", false, &archived) ||
	    !thread_reminders_arg(req, body, &c.reminders, &has_rem))
		goto out;
	if (json_get_bool(body, "archived", &archived) == JSON_GET_OK)
		c.archived = archived;
	if (json_object_object_get_ex(body, "assignee_id", &o)) {
		c.set_assignee = true;
		if (o != NULL && !field_int(req, body, "assignee_id", true, 1, INT64_MAX, &assignee))
			goto out;
		c.assignee_id = assignee;
		if (assignee && !db_staff_in_firm(db, req->user.firm_id, assignee)) {
			if (!db->broken)
				reply_error(req, 422, "invalid_field", "assignee_id names no team member");
			goto out;
		}
	}
	if (db_begin(db) != 0)
		goto out;
	if (db_thread_account(db, &req->user, req->ids[0], true) <= 0) {
		if (!db->broken)
			reply_error(req, 404, "not_found", "no such thread");
		goto out;
	}
	if (db_thread_update(db, req->ids[0], &c) != 1 ||
	    activity_thread_updated(db, &req->user, req->ids[0]) != 0 || db_commit(db) != 0)
		goto out;
	if ((o = db_thread_get(db, &req->user, req->ids[0])) != NULL)
		reply_json(req, 200, o);
out:
	json_object_put(body);
}
