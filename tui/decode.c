/*
 * decode.c -- API JSON into the client's plain structs (accounts, threads,
 * messages, templates, notifications, reminder ledgers, events). Unknown
 * fields are ignored, as API.md asks;
 * a missing id makes the object unusable and the decoder says so.
 */
#include "folio.h"
#include "json.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* A copy of o[key] when it is a string; NULL otherwise. Caller frees. */
static char *
decode_str(struct json_object *o, const char *key)
{
	const char *s;

	return json_get_string(o, key, &s) == JSON_GET_OK ? xstrdup(s) : NULL;
}

static int64_t
decode_int(struct json_object *o, const char *key)
{
	int64_t v = 0;

	json_get_int(o, key, &v);
	return v;
}

static bool
decode_bool(struct json_object *o, const char *key)
{
	bool v = false;

	json_get_bool(o, key, &v);
	return v;
}

struct json_object *
decode_items(struct json_object *o, const char **next)
{
	struct json_object *items = NULL, *n;

	*next = NULL;
	if (json_object_object_get_ex(o, "next", &n) && n != NULL) {
		if (json_object_is_type(n, json_type_string))
			*next = json_object_get_string(n);
		else if (json_object_is_type(n, json_type_int))
			*next = json_object_get_string(n); /* json-c renders the number */
	}
	if (json_get_array(o, "items", &items) != JSON_GET_OK)
		return NULL;
	return items;
}

int
decode_account(struct json_object *o, struct account *out)
{
	memset(out, 0, sizeof *out);
	if (json_get_int(o, "id", &out->id) != JSON_GET_OK)
		return -1;
	out->name = decode_str(o, "name");
	if (out->name == NULL)
		out->name = xstrdup("");
	out->unread = decode_int(o, "unread_count");
	out->last_activity = decode_str(o, "last_activity_at");
	return 0;
}

void
account_clear(struct account *a)
{
	free(a->name);
	free(a->last_activity);
	free(a->key);
	memset(a, 0, sizeof *a);
}

int
decode_thread(struct json_object *o, struct thread *out)
{
	struct json_object *r, *tasks, *t;
	size_t i;

	memset(out, 0, sizeof *out);
	if (json_get_int(o, "id", &out->id) != JSON_GET_OK)
		return -1;
	out->account_id = decode_int(o, "account_id");
	out->subject = decode_str(o, "subject");
	if (out->subject == NULL)
		out->subject = xstrdup("");
	out->last_message_at = decode_str(o, "last_message_at");
	out->has_unread = json_get_int(o, "unread_count", &out->unread) == JSON_GET_OK;
	out->archived = decode_bool(o, "archived");
	out->assignee_id = decode_int(o, "assignee_id");
	out->waiting_on = decode_str(o, "waiting_on");
	out->waiting_since = decode_str(o, "waiting_since");
	if (json_get_object(o, "reminders", &r) == JSON_GET_OK) {
		out->rem_enabled = decode_bool(r, "enabled");
		out->rem_interval = decode_int(r, "interval_days");
		out->rem_max = decode_int(r, "max_count");
		out->rem_sent = decode_int(r, "sent_count");
		out->rem_next_due = decode_str(r, "next_due_at");
		out->rem_ended_by = decode_str(r, "ended_by");
	}
	if (json_get_array(o, "tasks", &tasks) == JSON_GET_OK) {
		for (i = 0; i < json_object_array_length(tasks); i++) {
			t = json_object_array_get_idx(tasks, i);
			out->tasks_total++;
			out->tasks_done += decode_bool(t, "done");
		}
	}
	return 0;
}

void
thread_clear(struct thread *t)
{
	free(t->subject);
	free(t->last_message_at);
	free(t->waiting_on);
	free(t->waiting_since);
	free(t->rem_next_due);
	free(t->rem_ended_by);
	memset(t, 0, sizeof *t);
}

static char *
decode_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
thread_copy(struct thread *dst, const struct thread *src)
{
	*dst = *src;
	dst->subject = decode_dup(src->subject);
	dst->last_message_at = decode_dup(src->last_message_at);
	dst->waiting_on = decode_dup(src->waiting_on);
	dst->waiting_since = decode_dup(src->waiting_since);
	dst->rem_next_due = decode_dup(src->rem_next_due);
	dst->rem_ended_by = decode_dup(src->rem_ended_by);
}

/* Attachments and embeds become display lines: "[file] name", "[video] url". */
static void
decode_extras(struct json_object *o, struct message *out)
{
	struct json_object *docs, *embeds, *it;
	const char *name, *url;
	size_t i, n = 0;

	if (json_get_array(o, "documents", &docs) == JSON_GET_OK)
		n += json_object_array_length(docs);
	else
		docs = NULL;
	if (json_get_array(o, "embeds", &embeds) == JSON_GET_OK)
		n += json_object_array_length(embeds);
	else
		embeds = NULL;
	if (n == 0)
		return;
	out->extras = xcalloc(n, sizeof *out->extras);
	for (i = 0; docs && i < json_object_array_length(docs); i++) {
		it = json_object_array_get_idx(docs, i);
		if (json_get_string(it, "name", &name) == JSON_GET_OK)
			out->extras[out->nextras++] = xasprintf("[file] %s", name);
	}
	for (i = 0; embeds && i < json_object_array_length(embeds); i++) {
		it = json_object_array_get_idx(embeds, i);
		if (json_get_string(it, "url", &url) == JSON_GET_OK)
			out->extras[out->nextras++] = xasprintf("[video] %s", url);
	}
}

/* Staff see how the mails about a message went; the failures become display lines. */
static void
decode_delivery(struct json_object *o, struct message *out)
{
	struct json_object *d, *fails, *it;
	const char *email, *err;
	size_t i, n;

	if (json_get_object(o, "delivery", &d) != JSON_GET_OK ||
	    json_get_array(d, "failures", &fails) != JSON_GET_OK ||
	    (n = json_object_array_length(fails)) == 0)
		return;
	out->failures = xcalloc(n, sizeof *out->failures);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(fails, i);
		if (json_get_string(it, "email", &email) != JSON_GET_OK)
			continue;
		if (json_get_string(it, "error", &err) != JSON_GET_OK)
			err = "failed";
		out->failures[out->nfailures++] = xasprintf("%s: %s", email, err);
	}
}

int
decode_message(struct json_object *o, struct message *out)
{
	struct json_object *author;

	memset(out, 0, sizeof *out);
	if (json_get_int(o, "id", &out->id) != JSON_GET_OK)
		return -1;
	out->thread_id = decode_int(o, "thread_id");
	if (json_get_object(o, "author", &author) == JSON_GET_OK) {
		out->author_id = decode_int(author, "id");
		out->author_kind = decode_str(author, "kind");
		out->author_name = decode_str(author, "name");
	}
	if (out->author_name == NULL)
		out->author_name = xstrdup("?");
	if (out->author_kind == NULL)
		out->author_kind = xstrdup("staff");
	out->body = decode_str(o, "body");
	if (out->body == NULL)
		out->body = xstrdup("");
	out->internal = decode_bool(o, "internal");
	out->created_at = decode_str(o, "created_at");
	out->client_msg_id = decode_str(o, "client_msg_id");
	decode_extras(o, out);
	decode_delivery(o, out);
	return 0;
}

void
message_clear(struct message *msg)
{
	size_t i;

	free(msg->author_kind);
	free(msg->author_name);
	free(msg->body);
	free(msg->created_at);
	free(msg->client_msg_id);
	for (i = 0; i < msg->nextras; i++)
		free(msg->extras[i]);
	free(msg->extras);
	for (i = 0; i < msg->nfailures; i++)
		free(msg->failures[i]);
	free(msg->failures);
	memset(msg, 0, sizeof *msg);
}

void
message_copy(struct message *dst, const struct message *src)
{
	size_t i;

	*dst = *src;
	dst->author_kind = decode_dup(src->author_kind);
	dst->author_name = decode_dup(src->author_name);
	dst->body = decode_dup(src->body);
	dst->created_at = decode_dup(src->created_at);
	dst->client_msg_id = decode_dup(src->client_msg_id);
	dst->extras = src->nextras ? xcalloc(src->nextras, sizeof *dst->extras) : NULL;
	for (i = 0; i < src->nextras; i++)
		dst->extras[i] = xstrdup(src->extras[i]);
	dst->failures = src->nfailures ? xcalloc(src->nfailures, sizeof *dst->failures) : NULL;
	for (i = 0; i < src->nfailures; i++)
		dst->failures[i] = xstrdup(src->failures[i]);
}

int
decode_template(struct json_object *o, struct template_ref *out)
{
	struct json_object *r;

	memset(out, 0, sizeof *out);
	if (json_get_int(o, "id", &out->id) != JSON_GET_OK)
		return -1;
	out->name = decode_str(o, "name");
	if (out->name == NULL)
		out->name = xstrdup("");
	out->subject = decode_str(o, "subject");
	out->body = decode_str(o, "body");
	out->rem_interval = REMIND_DAYS_DEFAULT;
	out->rem_max = REMIND_COUNT_DEFAULT;
	if (json_get_object(o, "reminders", &r) == JSON_GET_OK) {
		out->rem_enabled = decode_bool(r, "enabled");
		json_get_int(r, "interval_days", &out->rem_interval);
		json_get_int(r, "max_count", &out->rem_max);
	}
	return 0;
}

void
template_clear(struct template_ref *t)
{
	free(t->name);
	free(t->subject);
	free(t->body);
	memset(t, 0, sizeof *t);
}

int
decode_staff(struct json_object *o, struct staff_ref *out)
{
	memset(out, 0, sizeof *out);
	if (json_get_int(o, "id", &out->id) != JSON_GET_OK)
		return -1;
	out->name = decode_str(o, "name");
	if (out->name == NULL)
		out->name = xstrdup("?");
	return 0;
}

void
staff_clear(struct staff_ref *s)
{
	free(s->name);
	memset(s, 0, sizeof *s);
}

int
decode_event(const char *text, struct event *out)
{
	struct json_limits lim = { 64, 16u << 20 };
	struct json_object *o, *sub;
	char err[128];

	memset(out, 0, sizeof *out);
	if ((o = json_parse(text, strlen(text), &lim, err, sizeof err)) == NULL)
		return -1;
	if (json_get_int(o, "id", &out->id) != JSON_GET_OK || (out->type = decode_str(o, "type")) == NULL) {
		json_object_put(o);
		event_clear(out);
		return -1;
	}
	out->thread_id = decode_int(o, "thread_id");
	out->account_id = decode_int(o, "account_id");
	out->has_unread = json_get_int(o, "unread_count", &out->unread) == JSON_GET_OK;
	if (json_get_object(o, "notification", &sub) == JSON_GET_OK &&
	    decode_notification(sub, &out->note) == 0)
		out->has_note = true;
	if (json_get_object(o, "message", &sub) == JSON_GET_OK && decode_message(sub, &out->message) == 0) {
		out->has_message = true;
		if (out->message.thread_id == 0)
			out->message.thread_id = out->thread_id;
		if (out->thread_id == 0)
			out->thread_id = out->message.thread_id;
	}
	if (json_get_object(o, "thread", &sub) == JSON_GET_OK && decode_thread(sub, &out->thread) == 0) {
		out->has_thread = true;
		if (out->thread_id == 0)
			out->thread_id = out->thread.id;
		if (out->account_id == 0)
			out->account_id = out->thread.account_id;
	}
	json_object_put(o);
	return 0;
}

void
event_clear(struct event *ev)
{
	free(ev->type);
	message_clear(&ev->message);
	thread_clear(&ev->thread);
	notification_clear(&ev->note);
	memset(ev, 0, sizeof *ev);
}

int
decode_notification(struct json_object *o, struct notification *out)
{
	struct json_object *actor;

	memset(out, 0, sizeof *out);
	if (json_get_int(o, "id", &out->id) != JSON_GET_OK)
		return -1;
	out->type = decode_str(o, "type");
	if (out->type == NULL)
		out->type = xstrdup("message");
	out->thread_id = decode_int(o, "thread_id");
	out->account_id = decode_int(o, "account_id");
	out->account_name = decode_str(o, "account_name");
	out->subject = decode_str(o, "subject");
	if (json_get_object(o, "actor", &actor) == JSON_GET_OK)
		out->actor_name = decode_str(actor, "name");
	out->bumped_at = decode_str(o, "bumped_at");
	if (out->bumped_at == NULL)
		out->bumped_at = decode_str(o, "created_at");
	out->read = decode_bool(o, "read");
	return 0;
}

void
notification_clear(struct notification *n)
{
	free(n->type);
	free(n->account_name);
	free(n->subject);
	free(n->actor_name);
	free(n->bumped_at);
	memset(n, 0, sizeof *n);
}

void
notification_copy(struct notification *dst, const struct notification *src)
{
	*dst = *src;
	dst->type = decode_dup(src->type);
	dst->account_name = decode_dup(src->account_name);
	dst->subject = decode_dup(src->subject);
	dst->actor_name = decode_dup(src->actor_name);
	dst->bumped_at = decode_dup(src->bumped_at);
}

/* One ledger entry: its recipients joined, and the first failure's reason. */
static void
decode_ledger_item(struct json_object *o, struct ledger_item *out)
{
	struct json_object *a, *d;
	struct buf b = BUF_INIT;
	const char *s;
	size_t i;

	memset(out, 0, sizeof *out);
	out->kind = decode_str(o, "kind");
	if (out->kind == NULL)
		out->kind = xstrdup("reminder");
	out->seq = decode_int(o, "seq");
	out->sent_at = decode_str(o, "sent_at");
	out->state = decode_str(o, "state");
	if (json_get_array(o, "recipients", &a) == JSON_GET_OK)
		for (i = 0; i < json_object_array_length(a); i++)
			if ((s = json_object_get_string(json_object_array_get_idx(a, i))) != NULL)
				buf_printf(&b, "%s%s", b.len ? ", " : "", s);
	out->recipients = buf_detach(&b);
	if (json_get_array(o, "deliveries", &a) == JSON_GET_OK)
		for (i = 0; i < json_object_array_length(a) && out->error == NULL; i++) {
			d = json_object_array_get_idx(a, i);
			if (json_get_string(d, "state", &s) == JSON_GET_OK &&
			    strcmp(s, "failed") == 0)
				out->error = decode_str(d, "error");
		}
}

int
decode_ledger(struct json_object *o, struct ledger *out)
{
	struct json_object *items;
	size_t i, n;

	memset(out, 0, sizeof *out);
	if (json_get_int(o, "thread_id", &out->thread_id) != JSON_GET_OK)
		return -1;
	out->enabled = decode_bool(o, "enabled");
	out->interval = decode_int(o, "interval_days");
	out->max = decode_int(o, "max_count");
	out->sent = decode_int(o, "sent_count");
	out->remaining = decode_int(o, "remaining");
	out->next_due = decode_str(o, "next_due_at");
	out->ended_by = decode_str(o, "ended_by");
	if (json_get_array(o, "items", &items) != JSON_GET_OK ||
	    (n = json_object_array_length(items)) == 0)
		return 0;
	out->items = xcalloc(n, sizeof *out->items);
	for (i = 0; i < n; i++)
		decode_ledger_item(json_object_array_get_idx(items, i), &out->items[out->n++]);
	return 0;
}

void
ledger_clear(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].kind);
		free(l->items[i].sent_at);
		free(l->items[i].recipients);
		free(l->items[i].state);
		free(l->items[i].error);
	}
	free(l->items);
	free(l->next_due);
	free(l->ended_by);
	memset(l, 0, sizeof *l);
}
