/*
 * db-threads.c -- SQL for threads, messages, read markers and tasks.
 * Every query takes the principal and applies visibility itself: staff see
 * their firm, a contact (or staff viewing as one) sees its own account and
 * never an internal note.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

/* The thread object. $1 user id, $2 staff?, $3 firm id, $4 the contact's account or NULL. */
static const char thread_select[] =
    "SELECT t.id, t.account_id, a.name AS account_name, t.subject, t.created_by,"
    " folio_ts(t.created_at) AS created_at,"
    " folio_ts(CASE WHEN $2 THEN t.last_message_at ELSE t.last_public_message_at END)"
    "   AS last_message_at,"
    " CASE WHEN $2 THEN t.last_message_id ELSE t.last_public_message_id END AS last_message_id,"
    /* User 0 is an audience (an event's payload), not a user: it has no unread count. */
    " CASE WHEN $1 <> 0 THEN folio_unread(t.id, $1, $2) END AS unread_count,"
    " t.archived, folio_ts(t.archived_at) AS archived_at, t.assignee_id,"
    " CASE t.last_public_author_kind WHEN 'contact' THEN 'firm' WHEN 'staff' THEN 'client' END"
    "   AS waiting_on,"
    " folio_ts(t.waiting_since) AS waiting_since,"
    " json_build_object('enabled', t.reminders_enabled, 'interval_days', t.reminder_interval_days,"
    "   'max_count', t.reminder_max_count, 'sent_count', t.reminder_sent_count,"
    "   'next_due_at', folio_ts(t.reminder_next_due_at), 'ended_by', t.reminder_ended_by)"
    "   AS reminders,"
    " (SELECT coalesce(json_agg(json_build_object('id', k.id, 'title', k.title, 'done', k.done)"
    "   ORDER BY k.position, k.id), '[]') FROM tasks k WHERE k.thread_id = t.id) AS tasks"
    " FROM threads t JOIN accounts a ON a.id = t.account_id"
    " WHERE t.firm_id = $3 AND ($4::bigint IS NULL OR t.account_id = $4)";

/* Orders of a thread list on the threads' own columns ($2: staff?). */
static const char thread_by_activity[] =
    "CASE WHEN $2 THEN t.last_message_at ELSE t.last_public_message_at END DESC, t.id DESC";
static const char thread_by_waiting[] = "t.waiting_since ASC NULLS LAST, t.id";

static void
p_principal(struct params *p, const struct principal *u)
{
	p_int(p, u->id);
	p_bool(p, u->kind == USER_STAFF);
	p_int(p, u->firm_id);
	p_id(p, u->kind == USER_CONTACT ? u->account_id : 0);
}

struct json_object *
db_threads_list(struct db *db, const struct principal *u, const struct thread_filter *f,
    int64_t limit, int64_t offset)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;

	p_principal(&p, u);
	p_id(&p, f->account_id);
	if (f->archived < 0)
		p_null(&p);
	else
		p_bool(&p, f->archived);
	p_bool(&p, f->unread);
	p_str(&p, f->assigned);
	p_id(&p, f->assignee_id);
	p_str(&p, f->waiting_on);
	p_int(&p, limit);
	p_int(&p, offset);
	/*
	 * Unread counts cost a count per thread: without the unread filter, pick
	 * the page by the thread's own columns first and count for it alone.
	 */
	if (f->unread)
		buf_printf(&sql,
		    "SELECT * FROM (%s AND ($5::bigint IS NULL OR t.account_id = $5)"
		    "   AND ($6::boolean IS NULL OR t.archived = $6)"
		    "   AND ($8::text IS NULL OR ($8 = 'none' AND t.assignee_id IS NULL)"
		    "        OR ($8 = 'id' AND t.assignee_id = $9))) x"
		    " WHERE $7 AND unread_count > 0 AND ($10::text IS NULL OR waiting_on = $10)"
		    " ORDER BY %s LIMIT $11 OFFSET $12",
		    thread_select,
		    f->by_waiting ? "waiting_since ASC NULLS LAST, id" : "last_message_at DESC, id DESC");
	else
		buf_printf(&sql,
		    "%s AND t.id IN (SELECT t.id FROM threads t WHERE t.firm_id = $3"
		    "   AND ($4::bigint IS NULL OR t.account_id = $4)"
		    "   AND ($5::bigint IS NULL OR t.account_id = $5)"
		    "   AND ($6::boolean IS NULL OR t.archived = $6) AND NOT $7"
		    "   AND ($8::text IS NULL OR ($8 = 'none' AND t.assignee_id IS NULL)"
		    "        OR ($8 = 'id' AND t.assignee_id = $9))"
		    "   AND ($10::text IS NULL OR $10 = CASE t.last_public_author_kind"
		    "        WHEN 'contact' THEN 'firm' WHEN 'staff' THEN 'client' END)"
		    "   ORDER BY %s LIMIT $11 OFFSET $12) ORDER BY %s",
		    thread_select, f->by_waiting ? thread_by_waiting : thread_by_activity,
		    f->by_waiting ? thread_by_waiting : thread_by_activity);
	a = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return a;
}

struct json_object *
db_thread_get(struct db *db, const struct principal *u, int64_t id)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *o;

	p_principal(&p, u);
	p_int(&p, id);
	buf_printf(&sql, "%s AND t.id = $5", thread_select);
	o = db_one_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return o;
}

int64_t
db_thread_account(struct db *db, const struct principal *u, int64_t id, bool lock)
{
	struct params p = { 0 };

	p_int(&p, id);
	p_int(&p, u->firm_id);
	p_id(&p, u->kind == USER_CONTACT ? u->account_id : 0);
	return db_one_int(db,
	    lock ? "SELECT account_id FROM threads WHERE id = $1 AND firm_id = $2"
		   " AND ($3::bigint IS NULL OR account_id = $3) FOR UPDATE"
		 : "SELECT account_id FROM threads WHERE id = $1 AND firm_id = $2"
		   " AND ($3::bigint IS NULL OR account_id = $3)",
	    &p, 0);
}

/* The message object for user $1 (staff? $2). */
static const char message_select[] =
    "SELECT m.id, m.thread_id,"
    " json_build_object('kind', m.author_kind, 'id', m.author_id, 'name', u.name) AS author,"
    " m.body, m.body_html, m.internal, folio_ts(m.created_at) AS created_at,"
    " '[]'::json AS documents, m.embeds, m.mentions,"
    " CASE WHEN m.author_id = $1 THEN m.client_msg_id END AS client_msg_id,"
    /* Staff only: how the mails to the client about this message went (db-mail.c). */
    " CASE WHEN $2 THEN (SELECT json_build_object('sent', count(*) FILTER (WHERE o.state = 'sent'),"
    "   'pending', count(*) FILTER (WHERE o.state IN ('pending', 'sending')),"
    "   'failed', count(*) FILTER (WHERE o.state = 'failed'),"
    "   'failures', coalesce(json_agg(json_build_object('email', o.to_email, 'error', o.last_error))"
    "     FILTER (WHERE o.state = 'failed'), '[]'))"
    "  FROM mail_outbox o WHERE o.message_id = m.id AND o.kind IN ('thread', 'message')) END"
    "   AS delivery"
    " FROM messages m JOIN users u ON u.id = m.author_id"
    " WHERE ($2 OR NOT m.internal)";

struct json_object *
db_messages_list(struct db *db, const struct principal *u, int64_t thread_id, int64_t before,
    int64_t after, int64_t limit)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;

	/* Viewing as a client, none of the messages is the viewer's own (client_msg_id). */
	p_int(&p, u->view_as_account > 0 ? 0 : u->id);
	p_bool(&p, u->kind == USER_STAFF);
	p_int(&p, thread_id);
	p_id(&p, before);
	p_id(&p, after);
	p_int(&p, limit);
	/* Newest last: page backwards from before (or the end), forwards from after. */
	if (after > 0)
		buf_printf(&sql,
		    "%s AND m.thread_id = $3 AND m.id > $5 AND ($4::bigint IS NULL OR m.id < $4)"
		    " ORDER BY m.id LIMIT $6",
		    message_select);
	else
		buf_printf(&sql,
		    "SELECT * FROM (%s AND m.thread_id = $3 AND ($4::bigint IS NULL OR m.id < $4)"
		    " AND $5::bigint IS NULL ORDER BY m.id DESC LIMIT $6) x ORDER BY id",
		    message_select);
	a = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return a;
}

struct json_object *
db_message_get(struct db *db, const struct principal *u, int64_t id)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *o;

	p_int(&p, u->id);
	p_bool(&p, u->kind == USER_STAFF);
	p_int(&p, id);
	buf_printf(&sql, "%s AND m.id = $3", message_select);
	o = db_one_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return o;
}

int
db_client_msg_find(struct db *db, int64_t author_id, const char *client_msg_id,
    int64_t *message_id, int64_t *thread_id, bool *first)
{
	struct params p = { 0 };
	struct pg_result *res;
	int found;

	p_int(&p, author_id);
	p_str(&p, client_msg_id);
	res = db_exec(db,
	    "SELECT m.id, m.thread_id, NOT EXISTS (SELECT 1 FROM messages o"
	    "   WHERE o.thread_id = m.thread_id AND o.id < m.id)"
	    " FROM messages m WHERE m.author_id = $1 AND m.client_msg_id = $2",
	    &p);
	if (res == NULL)
		return -1;
	found = db_rows(res) > 0;
	if (found) {
		*message_id = db_int(res, 0, 0);
		*thread_id = db_int(res, 0, 1);
		*first = db_text(res, 0, 2)[0] == 't';
	}
	db_clear(res);
	return found;
}

int64_t
db_message_insert(struct db *db, const struct principal *u, int64_t thread_id, const char *body,
    bool internal, const char *client_msg_id)
{
	struct params p = { 0 };
	struct json_object *embeds = markdown_embeds(body);
	char *html = markdown_html(body);
	int64_t id;

	p_int(&p, u->firm_id);
	p_int(&p, thread_id);
	p_int(&p, u->id);
	p_str(&p, proto_kind_name(u->kind));
	p_str(&p, body);
	p_str(&p, html);
	p_bool(&p, internal);
	p_str(&p, client_msg_id);
	p_str(&p, json_text(embeds));
	/*
	 * Mentions: "@Full Name" or "@localpart" of a team member of the firm, as a
	 * whole word: not inside an email address, not the start of a longer name;
	 * a full stop may end the sentence after it.
	 */
	id = db_one_int(db,
	    "INSERT INTO messages (firm_id, thread_id, author_id, author_kind, body, body_html,"
	    " internal, client_msg_id, embeds, mentions)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb,"
	    "  ARRAY(SELECT u.id FROM users u JOIN staff s ON s.user_id = u.id WHERE s.firm_id = $1"
	    "   AND EXISTS (SELECT 1 FROM unnest(ARRAY[u.name, split_part(u.email, '@', 1)]) w(word)"
	    "    WHERE $5 ~* ('(^|[^[:alnum:]_.])@' || regexp_replace(w.word, '([^[:alnum:]])',"
	    "        '\\\\\\1', 'g') || '($|[^[:alnum:]_@.-]|[.]($|[^[:alnum:]_]))'))"
	    "   ORDER BY u.id))"
	    " RETURNING id",
	    &p, -1);
	free(html);
	json_object_put(embeds);
	if (id <= 0)
		return -1;
	/* The thread follows its newest message; a message reopens an archived thread. */
	memset(&p, 0, sizeof p);
	p_int(&p, thread_id);
	p_int(&p, id);
	p_bool(&p, internal);
	p_str(&p, proto_kind_name(u->kind));
	/* Times are the message's own created_at, so the thread never disagrees with it. */
	if (db_run(db,
		"UPDATE threads t SET last_message_at = m.created_at, last_message_id = $2,"
		" last_public_message_at = CASE WHEN $3 THEN t.last_public_message_at ELSE m.created_at END,"
		" last_public_message_id = CASE WHEN $3 THEN t.last_public_message_id ELSE $2 END,"
		" waiting_since = CASE WHEN $3 OR t.last_public_author_kind IS NOT DISTINCT FROM $4"
		"   THEN t.waiting_since ELSE m.created_at END,"
		" last_public_author_kind = CASE WHEN $3 THEN t.last_public_author_kind ELSE $4 END,"
		" archived = t.archived AND $3, archived_at = CASE WHEN $3 THEN t.archived_at END"
		" FROM messages m WHERE t.id = $1 AND m.id = $2",
		&p) != 1)
		return -1;
	memset(&p, 0, sizeof p);
	p_int(&p, thread_id);
	p_int(&p, u->id);
	p_int(&p, u->firm_id);
	p_int(&p, id);
	if (db_run(db,
		"INSERT INTO read_markers (thread_id, user_id, firm_id, up_to_message_id)"
		" VALUES ($1, $2, $3, $4) ON CONFLICT (thread_id, user_id)"
		" DO UPDATE SET up_to_message_id = greatest(read_markers.up_to_message_id, $4)",
		&p) != 1)
		return -1;
	/* An internal note is activity for the firm only: contacts see last_public_activity_at. */
	memset(&p, 0, sizeof p);
	p_int(&p, thread_id);
	p_int(&p, id);
	p_bool(&p, internal);
	if (db_run(db,
		"UPDATE accounts a SET last_activity_at = m.created_at,"
		" last_public_activity_at = CASE WHEN $3 THEN a.last_public_activity_at ELSE m.created_at END"
		" FROM threads t, messages m WHERE t.id = $1 AND a.id = t.account_id AND m.id = $2",
		&p) != 1)
		return -1;
	return id;
}

int64_t
db_thread_insert(struct db *db, const struct principal *u, int64_t account_id,
    const char *subject, const struct reminder_settings *r)
{
	struct params p = { 0 };

	p_int(&p, u->firm_id);
	p_int(&p, account_id);
	p_str(&p, subject);
	p_int(&p, u->id);
	p_bool(&p, r->enabled);
	p_int(&p, r->interval_days);
	p_int(&p, r->max_count);
	return db_one_int(db,
	    "INSERT INTO threads (firm_id, account_id, subject, created_by, reminders_enabled,"
	    " reminder_interval_days, reminder_max_count) VALUES ($1, $2, $3, $4, $5, $6, $7)"
	    " RETURNING id",
	    &p, -1);
}

int
db_task_insert(struct db *db, int64_t firm_id, int64_t thread_id, const char *title, int position)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, thread_id);
	p_str(&p, title);
	p_int(&p, position);
	return db_run(db,
		   "INSERT INTO tasks (firm_id, thread_id, title, position) VALUES ($1, $2, $3, $4)",
		   &p) == 1 ? 0 : -1;
}

int
db_account_has_portal(struct db *db, int64_t account_id)
{
	struct params p = { 0 };

	p_int(&p, account_id);
	return (int)db_one_int(db,
	    "SELECT count(*) FROM contacts WHERE account_id = $1 AND portal_access", &p, -1);
}

struct json_object *
db_read_marker_set(struct db *db, const struct principal *u, int64_t thread_id, int64_t up_to)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	p_int(&p, u->id);
	p_int(&p, u->firm_id);
	p_int(&p, up_to);
	p_bool(&p, u->kind == USER_STAFF);
	return db_one_json(db,
	    "WITH m AS (INSERT INTO read_markers (thread_id, user_id, firm_id, up_to_message_id)"
	    "   VALUES ($1, $2, $3, $4) ON CONFLICT (thread_id, user_id)"
	    "   DO UPDATE SET up_to_message_id = $4 RETURNING thread_id)"
	    " SELECT $1::bigint AS thread_id, $4::bigint AS up_to_message_id,"
	    " (SELECT count(*) FROM messages x WHERE x.thread_id = $1 AND x.id > $4"
	    "   AND x.author_id <> $2 AND ($5 OR NOT x.internal)) AS unread_count FROM m",
	    &p);
}

long
db_thread_update(struct db *db, int64_t thread_id, const struct thread_change *c)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	if (c->archived < 0)
		p_null(&p);
	else
		p_bool(&p, c->archived);
	p_bool(&p, c->set_assignee);
	p_id(&p, c->assignee_id);
	if (c->reminders.has_enabled)
		p_bool(&p, c->reminders.enabled);
	else
		p_null(&p);
	p_id(&p, c->reminders.interval_days);
	p_id(&p, c->reminders.max_count);
	return db_run(db,
	    "UPDATE threads SET"
	    " archived = coalesce($2, archived),"
	    " archived_at = CASE WHEN $2 AND NOT archived THEN folio_now()"
	    "   WHEN NOT $2 THEN NULL ELSE archived_at END,"
	    " assignee_id = CASE WHEN $3 THEN $4 ELSE assignee_id END,"
	    " reminders_enabled = coalesce($5, reminders_enabled),"
	    " reminder_interval_days = coalesce($6, reminder_interval_days),"
	    " reminder_max_count = coalesce($7, reminder_max_count)"
	    " WHERE id = $1",
	    &p);
}

bool
db_staff_in_firm(struct db *db, int64_t firm_id, int64_t id)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, id);
	return db_one_int(db, "SELECT count(*) FROM staff WHERE firm_id = $1 AND user_id = $2", &p, 0) == 1;
}

struct json_object *
db_task_set_done(struct db *db, const struct principal *u, int64_t task_id, bool done)
{
	struct params p = { 0 };

	p_int(&p, task_id);
	p_int(&p, u->firm_id);
	p_id(&p, u->kind == USER_CONTACT ? u->account_id : 0);
	p_bool(&p, done);
	return db_one_json(db,
	    "UPDATE tasks k SET done = $4, updated_at = folio_now() FROM threads t"
	    " WHERE k.id = $1 AND k.firm_id = $2 AND t.id = k.thread_id"
	    " AND ($3::bigint IS NULL OR t.account_id = $3)"
	    " RETURNING k.id, k.thread_id, k.title, k.done, folio_ts(k.updated_at) AS updated_at",
	    &p);
}

struct json_object *
db_template_render(struct db *db, int64_t firm_id, int64_t template_id, int64_t account_id)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, template_id);
	p_int(&p, account_id);
	/* Placeholders: {{contact.first_name}}, {{contact.name}}, {{account.name}}, {{firm.name}}. */
	return db_one_json(db,
	    "WITH v AS (SELECT a.name AS account, f.name AS firm,"
	    "   coalesce((SELECT u.name FROM contacts c JOIN users u ON u.id = c.user_id"
	    "     WHERE c.account_id = a.id ORDER BY c.portal_access DESC, u.id LIMIT 1), '') AS contact"
	    "   FROM accounts a JOIN firms f ON f.id = a.firm_id WHERE a.id = $3 AND a.firm_id = $1),"
	    " r(s, b) AS (SELECT t.subject, t.body FROM templates t WHERE t.id = $2 AND t.firm_id = $1)"
	    " SELECT"
	    "  replace(replace(replace(replace(r.s, '{{contact.first_name}}', split_part(v.contact, ' ', 1)),"
	    "   '{{contact.name}}', v.contact), '{{account.name}}', v.account), '{{firm.name}}', v.firm)"
	    "   AS subject,"
	    "  replace(replace(replace(replace(r.b, '{{contact.first_name}}', split_part(v.contact, ' ', 1)),"
	    "   '{{contact.name}}', v.contact), '{{account.name}}', v.account), '{{firm.name}}', v.firm)"
	    "   AS body,"
	    "  t.reminders_enabled, t.reminder_interval_days, t.reminder_max_count"
	    " FROM r, v, templates t WHERE t.id = $2",
	    &p);
}
