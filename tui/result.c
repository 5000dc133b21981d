/*
 * result.c -- finished jobs applied to the model: one handler per job kind
 * in a table. Answers that no longer match what is on screen (the user
 * moved on while a request was in flight) are dropped here. Handlers
 * decode and call model_* functions only; a request an answer calls for is
 * asked for with model_want() and made by action_follow().
 */
#include "folio.h"
#include "json.h"
#include "log.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OUTBOX_RETRY_MS 10000

static bool
result_ok(const struct job *j)
{
	return j->status >= 200 && j->status <= 299;
}

/* A failure worth telling the user about; the session one sticks. */
static void
result_fail(struct model *m, const struct job *j, const char *what)
{
	char *why;

	if (j->status == 401) {
		model_session_ended(m, ui_now_ms());
		return;
	}
	why = api_reason(j);
	model_set_status(m, ui_now_ms(), "%s: %s", _(what), why);
	log_warn("%s %s: %s", j->method ? j->method : "", j->path ? j->path : "", why);
	free(why);
}

/* The answer's JSON, or NULL. Caller puts. */
static struct json_object *
result_json(const struct job *j)
{
	struct json_limits lim = { 64, 16u << 20 };
	char err[128];

	if (j->reply == NULL || *j->reply == '\0')
		return NULL;
	return json_parse(j->reply, strlen(j->reply), &lim, err, sizeof err);
}

static void
result_me(struct model *m, struct job *j, struct json_object *o)
{
	const char *kind = NULL, *name = NULL, *firm = NULL;
	int64_t id = 0;

	json_get_int(o, "id", &id);
	json_get_string(o, "name", &name);
	json_get_string(o, "firm_name", &firm);
	json_get_string(o, "kind", &kind);
	model_me_set(m, id, name, firm, kind == NULL || strcmp(kind, "staff") == 0);
}

static void
result_accounts(struct model *m, struct job *j, struct json_object *o)
{
	struct json_object *items;
	struct account *v;
	const char *next;
	size_t i, n = 0, len;

	if (j->gen != m->accounts_gen)
		return;
	items = decode_items(o, &next);
	len = items ? json_object_array_length(items) : 0;
	v = xcalloc(len ? len : 1, sizeof *v);
	for (i = 0; i < len; i++)
		if (decode_account(json_object_array_get_idx(items, i), &v[n]) == 0)
			n++;
	model_accounts_page(m, v, n, !j->next_page, next == NULL || len == 0);
	if (m->accounts_paging)
		net_submit(api_next(j, next)); /* the first page shows now; the rest page by page */
}

static void
result_account(struct model *m, struct job *j, struct json_object *o)
{
	struct account a;

	if (decode_account(o, &a) != 0)
		return;
	model_account_update(m, &a);
	account_clear(&a);
}

static void
result_thread(struct model *m, struct job *j, struct json_object *o)
{
	struct thread t;

	if (decode_thread(o, &t) != 0)
		return;
	model_thread_update(m, &t);
	thread_clear(&t);
}

static void
result_threads(struct model *m, struct job *j, struct json_object *o)
{
	struct json_object *items;
	struct thread *v;
	const char *next;
	size_t i, n = 0, len;

	if (j->account_id != m->account_id || j->gen != model_threads_view(m))
		return;
	items = decode_items(o, &next);
	len = items ? json_object_array_length(items) : 0;
	v = xcalloc(len ? len : 1, sizeof *v);
	for (i = 0; i < len; i++)
		if (decode_thread(json_object_array_get_idx(items, i), &v[n]) == 0)
			n++;
	model_threads_set(m, v, n);
}

/* Decodes a page of messages. Caller frees the array. */
static struct message *
result_messages_decode(struct json_object *o, size_t *n, bool *more)
{
	struct json_object *items;
	struct message *v;
	const char *next;
	size_t i, len;

	items = decode_items(o, &next);
	len = items ? json_object_array_length(items) : 0;
	v = xcalloc(len ? len : 1, sizeof *v);
	*n = 0;
	for (i = 0; i < len; i++)
		if (decode_message(json_object_array_get_idx(items, i), &v[*n]) == 0)
			(*n)++;
	*more = next != NULL && len > 0;
	return v;
}

static void
result_messages(struct model *m, struct job *j, struct json_object *o)
{
	struct message *v, *echo = NULL;
	size_t n, necho = 0, i;
	bool more;

	if (j->thread_id != m->thread.id)
		return;
	/* Keep local echoes of sends still in flight. */
	for (i = 0; i < m->nmsgs; i++) {
		if (m->msgs[i].id > 0)
			continue;
		echo = xrealloc(echo, (necho + 1) * sizeof *echo);
		message_copy(&echo[necho++], &m->msgs[i]);
	}
	v = result_messages_decode(o, &n, &more);
	model_messages_set(m, v, n, more);
	for (i = 0; i < necho; i++) {
		model_message_add(m, &echo[i]);
		message_clear(&echo[i]);
	}
	free(echo);
	model_want(m, WANT_READ);
}

static void
result_older(struct model *m, struct job *j, struct json_object *o)
{
	struct message *v;
	size_t n;
	bool more;

	if (j->thread_id != m->thread.id)
		return;
	v = result_messages_decode(o, &n, &more);
	model_messages_prepend(m, v, n, more);
}

static void
result_read(struct model *m, struct job *j, struct json_object *o)
{
	int64_t unread = 0, thread = j->thread_id;

	json_get_int(o, "thread_id", &thread);
	json_get_int(o, "unread_count", &unread);
	model_mark_read(m, thread, unread);
}

static void
result_inbox(struct model *m, struct job *j, struct json_object *o)
{
	struct json_object *items;
	struct notification *v;
	const char *next;
	size_t i, n = 0, len;

	items = decode_items(o, &next);
	len = items ? json_object_array_length(items) : 0;
	v = xcalloc(len ? len : 1, sizeof *v);
	for (i = 0; i < len; i++)
		if (decode_notification(json_object_array_get_idx(items, i), &v[n]) == 0)
			n++;
	model_notes_set(m, v, n);
}

static void
result_ledger(struct model *m, struct job *j, struct json_object *o)
{
	struct ledger l;

	if (decode_ledger(o, &l) == 0)
		model_ledger_set(m, &l);
}

/* A thread changed at our request: archived, reopened, reminders; j->says what was asked. */
static void
result_patch(struct model *m, struct job *j, struct json_object *o)
{
	struct thread t;

	if (decode_thread(o, &t) != 0)
		return;
	model_thread_update(m, &t);
	if (j->kind == JOB_RESEND)
		model_set_status(m, ui_now_ms(), "%s", _("the reminder was mailed again"));
	else if (j->says != NULL)
		model_set_status(m, ui_now_ms(), "%s", _(j->says));
	if (m->thread.id == t.id && m->me_staff)
		model_want(m, WANT_LEDGER);
	thread_clear(&t);
}

/* 409 nothing_to_remind is an answer, not a fault: say it plainly. */
static void
result_resend_failed(struct model *m, struct job *j)
{
	if (j->status == 409 && j->reply && strstr(j->reply, "nothing_to_remind"))
		model_set_status(m, ui_now_ms(), "%s",
		    _("nothing to remind: the last message is the client's"));
	else
		result_fail(m, j, N_("resend"));
}

static void
result_staff(struct model *m, struct job *j, struct json_object *o)
{
	struct json_object *items;
	struct staff_ref *v;
	const char *next;
	size_t i, n = 0, len;

	items = decode_items(o, &next);
	if (items == NULL && json_object_is_type(o, json_type_array))
		items = o;
	len = items ? json_object_array_length(items) : 0;
	v = xcalloc(len ? len : 1, sizeof *v);
	for (i = 0; i < len; i++)
		if (decode_staff(json_object_array_get_idx(items, i), &v[n]) == 0)
			n++;
	model_staff_set(m, v, n);
}

/*
 * The form's account with its contacts: the one a template's {{contact.*}}
 * names is the server's choice too (portal access first, then the oldest).
 */
static void
result_recipient(struct model *m, struct job *j, struct json_object *o)
{
	struct json_object *contacts, *c;
	const char *name, *best = NULL;
	int64_t id, best_id = 0;
	bool portal, best_portal = false;
	size_t i;

	if (json_get_array(o, "contacts", &contacts) != JSON_GET_OK)
		contacts = NULL;
	for (i = 0; contacts && i < json_object_array_length(contacts); i++) {
		c = json_object_array_get_idx(contacts, i);
		portal = false;
		id = 0;
		json_get_bool(c, "portal_access", &portal);
		json_get_int(c, "id", &id);
		if (json_get_string(c, "name", &name) != JSON_GET_OK)
			continue;
		if (best == NULL || (portal && !best_portal) ||
		    (portal == best_portal && id < best_id))
			best = name, best_id = id, best_portal = portal;
	}
	model_form_contact_set(m, j->account_id, best);
}

static void
result_templates(struct model *m, struct job *j, struct json_object *o)
{
	struct json_object *items;
	struct template_ref *v;
	const char *next;
	size_t i, n = 0, len;

	items = decode_items(o, &next);
	len = items ? json_object_array_length(items) : 0;
	v = xcalloc(len ? len : 1, sizeof *v);
	for (i = 0; i < len; i++)
		if (decode_template(json_object_array_get_idx(items, i), &v[n]) == 0)
			n++;
	model_templates_set(m, v, n);
}

/* Marks the local echo of a send as waiting in the outbox. */
static void
result_echo_queued(struct model *m, const char *request_body)
{
	struct json_object *o = json_tokener_parse(request_body);
	const char *cmid = NULL;

	json_get_string(o, "client_msg_id", &cmid);
	model_echo_queued(m, cmid);
	json_object_put(o);
}

/* A refused send goes back into a draft; a new chat's form names its account again. */
static void
result_restore(struct model *m, const struct job *j)
{
	struct json_object *o = json_tokener_parse(j->body);
	struct account *a = NULL;
	int64_t account;

	if (json_get_int(o, "account_id", &account) == JSON_GET_OK)
		a = model_account_find(m, account);
	store_draft_restore(j->kind == JOB_SEND ? j->thread_id : 0, j->body, a ? a->name : NULL);
	json_object_put(o);
	model_want(m, WANT_DRAFTS);
}

/* Network down, server trouble or throttling: the send stays queued for a retry. */
static bool
result_retryable(const struct job *j)
{
	return j->status == 0 || j->status == 408 || j->status == 429 || j->status >= 500;
}

/* A send or a new chat came back. */
static void
result_sent(struct model *m, struct job *j, struct json_object *o)
{
	struct message msg;
	struct thread t;

	if (result_retryable(j)) {
		model_send_answered(m, store_outbox_count(), ui_now_ms() + OUTBOX_RETRY_MS);
		result_echo_queued(m, j->body);
		model_set_status(m, ui_now_ms(), _("offline: %zu queued, will send on reconnect"), m->queued);
		return;
	}
	store_outbox_remove(j->outbox);
	model_send_answered(m, store_outbox_count(), 0);
	if (!result_ok(j)) {
		/* Refused for good: the text goes back into a draft, never lost. */
		result_restore(m, j);
		result_fail(m, j, j->kind == JOB_SEND ? N_("not sent (kept as draft)") :
		    N_("chat not created (kept as draft)"));
		return;
	}
	if (j->kind == JOB_SEND && decode_message(o, &msg) == 0) {
		if (msg.thread_id == m->thread.id)
			model_message_add(m, &msg);
		message_clear(&msg);
		model_set_status(m, ui_now_ms(), "%s", _("sent"));
	} else if (j->kind == JOB_CREATE && decode_thread(o, &t) == 0) {
		model_chat_created(m, &t);
		model_set_status(m, ui_now_ms(), _("chat created: %s"), t.subject);
		thread_clear(&t);
	}
}

static void
result_event(struct model *m, struct job *j)
{
	bool post_read;
	struct event ev;
	int64_t account;

	if (decode_event(j->reply, &ev) != 0) {
		log_warn("event stream: unreadable frame");
		return;
	}
	if ((account = model_apply_event(m, &ev, &post_read)) != 0)
		model_want_account(m, account);
	if (post_read)
		model_want(m, WANT_READ);
	model_event_seen(m, ev.has_note, j->resumed, ui_now_ms());
	event_clear(&ev);
}

static void
result_stream(struct model *m, struct job *j)
{
	model_stream_set(m, j->stream, j->why != NULL && strcmp(j->why, "poll") == 0, j->resumed,
	    ui_now_ms());
}

typedef void (*result_fn)(struct model *, struct job *, struct json_object *);

static const struct {
	result_fn fn;
	void (*fail)(struct model *, struct job *);  /* NULL: say why in the status line */
	const char *what;
} result_handlers[JOB_KIND_COUNT] = {
	[JOB_ME] = { result_me, NULL, N_("who am I") },
	[JOB_ACCOUNTS] = { result_accounts, NULL, N_("accounts") },
	[JOB_ACCOUNT] = { result_account, NULL, N_("account") },
	[JOB_THREADS] = { result_threads, NULL, N_("threads") },
	[JOB_THREAD] = { result_thread, NULL, N_("thread") },
	[JOB_MESSAGES] = { result_messages, NULL, N_("messages") },
	[JOB_OLDER] = { result_older, NULL, N_("older messages") },
	[JOB_READ] = { result_read, NULL, N_("read marker") },
	[JOB_SEND] = { result_sent, NULL, N_("send") },
	[JOB_CREATE] = { result_sent, NULL, N_("new chat") },
	[JOB_TEMPLATES] = { result_templates, NULL, N_("templates") },
	[JOB_INBOX] = { result_inbox, NULL, N_("Inbox+") },
	[JOB_NOTE_READ] = { NULL, NULL, N_("notification") },
	[JOB_LEDGER] = { result_ledger, NULL, N_("reminder ledger") },
	[JOB_RESEND] = { result_patch, result_resend_failed, N_("resend") },
	[JOB_PATCH] = { result_patch, NULL, N_("change") },
	[JOB_STAFF] = { result_staff, NULL, N_("team") },
	[JOB_RECIPIENT] = { result_recipient, NULL, N_("account") },
};

/* The answer R waited for (what the screen shows) came: "refreshing" gives way. */
static void
result_refreshed(struct model *m, const struct job *j)
{
	enum screen_id s = model_screen(m);
	enum job_kind want = s == SCR_ACCOUNTS ? JOB_ACCOUNTS : s == SCR_THREADS ? JOB_THREADS :
	    s == SCR_INBOX ? JOB_INBOX : JOB_MESSAGES;

	if (!m->refreshing || j->kind != want || (want == JOB_ACCOUNTS && m->accounts_paging))
		return;
	model_refreshed(m, ui_now_ms());
}

/* A request that did not succeed: whatever waited for it stops waiting. */
static void
result_failed(struct model *m, struct job *j)
{
	model_load_failed(m, j->kind, j->gen);
	if (result_handlers[j->kind].fail != NULL)
		result_handlers[j->kind].fail(m, j);
	else
		result_fail(m, j, result_handlers[j->kind].what);
}

void
result_apply(struct model *m, struct job *j)
{
	struct json_object *o;

	if (j->kind == JOB_EVENT) {
		result_event(m, j);
	} else if (j->kind == JOB_STREAM) {
		result_stream(m, j);
	} else if (j->kind == JOB_SEND || j->kind == JOB_CREATE) {
		o = result_json(j);
		result_sent(m, j, o);
		json_object_put(o);
	} else if (!result_ok(j)) {
		result_failed(m, j);
	} else if (result_handlers[j->kind].fn != NULL) {
		o = result_json(j);
		result_handlers[j->kind].fn(m, j, o);
		json_object_put(o);
		result_refreshed(m, j);
	}
	job_free(j);
}
