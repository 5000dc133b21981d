/*
 * db-notify.c -- SQL for notifications: the context a mail is written from,
 * who receives what (contacts with portal access and notify; staff by the
 * assignee rule and their settings), the per-user-and-thread items of Inbox+
 * and the contacts' pending lists, and the per-user notification settings.
 * The rules that choose among these live in notify.c.
 */
#include "foliod.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *
db_notify_str(struct json_object *row, const char *key)
{
	const char *s = NULL;

	json_get_string(row, key, &s);
	return s ? s : "";
}

int
db_notify_ctx_load(struct db *db, int64_t thread_id, int64_t message_id, int64_t actor_id,
    int64_t task_id, struct notify_ctx *c)
{
	struct params p = { 0 };
	struct json_object *row;
	const char *kind = NULL;

	memset(c, 0, sizeof *c);
	p_id(&p, thread_id);
	p_id(&p, message_id);
	p_id(&p, actor_id);
	p_id(&p, task_id);
	/* Without a message: the last one a contact may see (what a reminder is about). */
	row = db_one_json(db,
	    "SELECT t.id AS thread_id, t.firm_id, t.account_id, t.subject, t.assignee_id,"
	    " a.name AS account_name, f.name AS firm_name, f.language, m.id AS message_id, m.body,"
	    " m.body_html, extract(epoch FROM m.created_at)::bigint AS message_at,"
	    " coalesce(m.internal, false) AS internal, coalesce(m.mentions, '{}') AS mentions,"
	    " x.id AS actor_id, x.kind AS actor_kind, x.name AS actor_name,"
	    " k.id AS task_id, k.title AS task_title, coalesce(k.done, false) AS task_done"
	    " FROM threads t JOIN accounts a ON a.id = t.account_id JOIN firms f ON f.id ="
	    " t.firm_id"
	    " LEFT JOIN messages m ON m.id = coalesce($2, t.last_public_message_id) AND"
	    " m.thread_id = t.id"
	    " LEFT JOIN users x ON x.id = coalesce($3, m.author_id)"
	    " LEFT JOIN tasks k ON k.id = $4 AND k.thread_id = t.id"
	    " WHERE t.id = coalesce($1, (SELECT thread_id FROM tasks WHERE id = $4))",
	    &p);
	if (row == NULL)
		return -1;
	c->row = row;
	json_get_int(row, "thread_id", &c->thread_id);
	json_get_int(row, "firm_id", &c->firm_id);
	json_get_int(row, "account_id", &c->account_id);
	json_get_int(row, "assignee_id", &c->assignee_id);
	json_get_int(row, "message_id", &c->message_id);
	json_get_int(row, "actor_id", &c->actor_id);
	json_get_int(row, "task_id", &c->task_id);
	json_get_int(row, "message_at", &c->message_at);
	json_get_bool(row, "internal", &c->internal);
	json_get_bool(row, "task_done", &c->task_done);
	json_get_array(row, "mentions", &c->mentions);
	json_get_string(row, "actor_kind", &kind);
	c->actor_kind = kind ? proto_kind_parse(kind) : USER_NONE;
	c->subject = db_notify_str(row, "subject");
	c->account_name = db_notify_str(row, "account_name");
	c->firm_name = db_notify_str(row, "firm_name");
	c->actor_name = db_notify_str(row, "actor_name");
	c->body = db_notify_str(row, "body");
	c->body_html = db_notify_str(row, "body_html");
	c->task_title = db_notify_str(row, "task_title");
	c->language = db_notify_str(row, "language");
	return 0;
}

void
db_notify_ctx_free(struct notify_ctx *c)
{
	json_object_put(c->row);
	memset(c, 0, sizeof *c);
}

struct json_object *
db_notify_contacts(struct db *db, int64_t thread_id)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	return db_all_json(db,
	    "SELECT u.id, u.name, u.email, c.notify AS mail FROM threads t"
	    " JOIN contacts c ON c.account_id = t.account_id JOIN users u ON u.id = c.user_id"
	    " WHERE t.id = $1 AND c.portal_access ORDER BY u.id",
	    &p);
}

/* A PostgreSQL array literal of the ids in a JSON array. Caller frees. */
static char *
db_notify_id_array(struct json_object *ids)
{
	struct buf b = BUF_INIT;
	size_t i, n = ids ? json_object_array_length(ids) : 0;

	buf_putc(&b, '{');
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%" PRId64, i ? "," : "",
		    (int64_t)json_object_get_int64(json_object_array_get_idx(ids, i)));
	buf_putc(&b, '}');
	return buf_detach(&b);
}

/* Team members as mail recipients: who they are and whether they take mail. */
#define STAFF_RECIPIENTS \
	"SELECT u.id, u.name, u.email, coalesce(ns.email, true) AS mail" \
	" FROM staff s JOIN users u ON u.id = s.user_id" \
	" LEFT JOIN notification_settings ns ON ns.user_id = s.user_id"

struct json_object *
db_notify_staff(struct db *db, int64_t firm_id, int64_t assignee_id, int64_t actor_id,
    struct json_object *except)
{
	struct params p = { 0 };
	char *ex = db_notify_id_array(except);
	struct json_object *a;

	p_int(&p, firm_id);
	p_id(&p, assignee_id);
	p_id(&p, actor_id);
	p_str(&p, ex);
	/* Everyone while unassigned; then the assignee and who asked for all client activity. */
	a = db_all_json(db,
	    STAFF_RECIPIENTS
	    " WHERE s.firm_id = $1 AND s.user_id IS DISTINCT FROM $3"
	    " AND NOT (s.user_id = ANY ($4::bigint[]))"
	    " AND ($2::bigint IS NULL OR s.user_id = $2 OR coalesce(ns.all_client_activity, false))"
	    " ORDER BY u.id",
	    &p);
	free(ex);
	return a;
}

struct json_object *
db_notify_staff_ids(struct db *db, int64_t firm_id, struct json_object *ids, int64_t actor_id)
{
	struct params p = { 0 };
	char *arr = db_notify_id_array(ids);
	struct json_object *a;

	p_int(&p, firm_id);
	p_str(&p, arr);
	p_id(&p, actor_id);
	a = db_all_json(db,
	    STAFF_RECIPIENTS
	    " WHERE s.firm_id = $1 AND s.user_id = ANY ($2::bigint[])"
	    " AND s.user_id IS DISTINCT FROM $3 ORDER BY u.id",
	    &p);
	free(arr);
	return a;
}

/* The columns of the notification object, over n (an item), t, a and x. */
#define NOTIFICATION_COLUMNS \
	" n.id, n.type, n.thread_id, n.account_id, a.name AS account_name, t.subject," \
	" CASE WHEN x.id IS NULL THEN NULL ELSE" \
	"   json_build_object('kind', x.kind, 'id', x.id, 'name', x.name) END AS actor," \
	" n.message_id, n.document_id, folio_ts(n.created_at) AS created_at," \
	" folio_ts(n.bumped_at) AS bumped_at, n.read_at IS NOT NULL AS read"
#define NOTIFICATION_JOINS \
	" LEFT JOIN threads t ON t.id = n.thread_id JOIN accounts a ON a.id = n.account_id" \
	" LEFT JOIN users x ON x.id = n.actor_id"

struct json_object *
db_notify_bump(struct db *db, const struct notify_ctx *c, int64_t user_id, const char *type)
{
	struct params p = { 0 };

	p_int(&p, c->firm_id);
	p_int(&p, user_id);
	p_id(&p, c->thread_id);
	p_int(&p, c->account_id);
	p_str(&p, type);
	p_id(&p, c->actor_id);
	p_id(&p, c->message_id);
	p_id(&p, c->document_id);
	/*
	 * The item is read from the insert itself: the statement cannot see its own
	 * row. An item about a document (no thread) never conflicts: one per upload.
	 */
	return db_one_json(db,
	    "WITH n AS (INSERT INTO notifications (firm_id, user_id, thread_id, account_id, type,"
	    "   actor_id, message_id, document_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	    "  ON CONFLICT (user_id, thread_id) DO UPDATE SET type = EXCLUDED.type,"
	    "   actor_id = EXCLUDED.actor_id,"
	    "   message_id = coalesce(EXCLUDED.message_id, notifications.message_id),"
	    "   bumped_at = folio_now(), bump = nextval('notification_bump'), read_at = NULL"
	    "  RETURNING *)"
	    " SELECT" NOTIFICATION_COLUMNS " FROM n" NOTIFICATION_JOINS,
	    &p);
}

/*
 * The items a principal sees, as a FROM item: a user's own (one per thread:
 * UNIQUE (user_id, thread_id)), or, viewing as a client, the newest item per
 * thread of the account's contacts. $1 is the user, or the account viewed as.
 * Each reads only that user's or those contacts' rows (notifications_user,
 * notifications_unread); the text is chosen here rather than by a parameter,
 * so that a plan prepared once is as narrow as the one for these values.
 */
static void
db_notify_items(struct buf *b, const struct principal *u, bool unread)
{
	if (u->view_as_account > 0)
		buf_printf(b,
		    "(SELECT DISTINCT ON (n.thread_id) n.* FROM contacts c"
		    "  JOIN notifications n ON n.user_id = c.user_id"
		    "  WHERE c.account_id = $1 AND n.account_id = $1%s"
		    "  ORDER BY n.thread_id, n.bump DESC)",
		    unread ? " AND n.read_at IS NULL" : "");
	else
		buf_printf(b, "(SELECT * FROM notifications n WHERE n.user_id = $1%s)",
		    unread ? " AND n.read_at IS NULL" : "");
}

struct json_object *
db_notify_list(struct db *db, const struct principal *u, bool unread, const struct page_keys *pk)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;

	p_int(&p, u->view_as_account > 0 ? u->view_as_account : u->id);
	p_int(&p, pk->limit);
	p_int(&p, pk->offset);
	p_str(&p, pk->after ? pk->key[0] : NULL);
	/*
	 * The page first, then its threads, accounts and actors: by key, for its
	 * rows only. Items are in bump order (a bump takes a new one); bump is
	 * for the cursor, the caller takes it out.
	 */
	buf_puts(&sql, "SELECT" NOTIFICATION_COLUMNS ", n.bump FROM (SELECT * FROM ");
	db_notify_items(&sql, u, unread);
	buf_puts(&sql, " i WHERE $4::bigint IS NULL OR i.bump < $4"
		       " ORDER BY i.bump DESC LIMIT $2 OFFSET $3) n" NOTIFICATION_JOINS
		       " ORDER BY n.bump DESC");
	a = db_all_json(db, buf_str(&sql), &p);
	buf_free(&sql);
	return a;
}

int64_t
db_notify_unread_count(struct db *db, const struct principal *u)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	int64_t n;

	p_int(&p, u->view_as_account > 0 ? u->view_as_account : u->id);
	/* Viewing as a client, a thread counts when its newest item is unread. */
	if (u->view_as_account > 0) {
		buf_puts(&sql, "SELECT count(*) FROM ");
		db_notify_items(&sql, u, false);
		buf_puts(&sql, " i WHERE i.read_at IS NULL");
	} else
		buf_puts(&sql, "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL");
	n = db_one_int(db, buf_str(&sql), &p, -1);
	buf_free(&sql);
	return n;
}

struct json_object *
db_notify_read(struct db *db, const struct principal *u, int64_t id)
{
	struct params p = { 0 };

	p_int(&p, id);
	p_int(&p, u->id);
	return db_one_json(db,
	    "WITH n AS (UPDATE notifications SET read_at = coalesce(read_at, folio_now())"
	    "  WHERE id = $1 AND user_id = $2 RETURNING *)"
	    " SELECT" NOTIFICATION_COLUMNS " FROM n" NOTIFICATION_JOINS,
	    &p);
}

int
db_notify_thread_read(struct db *db, const struct principal *u, int64_t thread_id)
{
	struct params p = { 0 };

	p_int(&p, u->id);
	p_int(&p, thread_id);
	p_bool(&p, u->kind == USER_STAFF);
	/* Having read everything in the thread reads its item too. */
	return db_run(db,
		   "UPDATE notifications SET read_at = folio_now()"
		   " WHERE user_id = $1 AND thread_id = $2 AND read_at IS NULL"
		   " AND folio_unread($2, $1, $3) = 0",
		   &p) < 0 ? -1 : 0;
}

int64_t
db_notify_new_assignee(struct db *db, int64_t thread_id)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	/* 0 when the assignee is the one already seen (or none); remembers the new one. */
	return db_one_int(db,
	    "UPDATE threads SET seen_assignee_id = assignee_id"
	    " WHERE id = $1 AND seen_assignee_id IS DISTINCT FROM assignee_id RETURNING"
	    " assignee_id",
	    &p, 0);
}

struct json_object *
db_notify_settings_get(struct db *db, int64_t user_id)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	return db_one_json(db,
	    "SELECT coalesce(ns.email, true) AS email,"
	    " coalesce(ns.all_client_activity, false) AS all_client_activity"
	    " FROM users u LEFT JOIN notification_settings ns ON ns.user_id = u.id WHERE u.id = $1",
	    &p);
}

int
db_notify_settings_set(struct db *db, int64_t user_id, int email, int all_activity)
{
	struct params p = { 0 };

	p_int(&p, user_id);
	if (email < 0)
		p_null(&p);
	else
		p_bool(&p, email);
	if (all_activity < 0)
		p_null(&p);
	else
		p_bool(&p, all_activity);
	return db_run(db,
		   "INSERT INTO notification_settings (user_id, email, all_client_activity)"
		   " VALUES ($1, coalesce($2, true), coalesce($3, false))"
		   " ON CONFLICT (user_id) DO UPDATE SET"
		   " email = coalesce($2, notification_settings.email),"
		   " all_client_activity = coalesce($3, notification_settings.all_client_activity)",
		   &p) == 1 ? 0 : -1;
}

int
db_notify_document(struct db *db, int64_t firm_id, int64_t account_id, int64_t actor_id,
    int64_t document_id)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, account_id);
	p_int(&p, actor_id);
	p_int(&p, document_id);
	/* One statement, however large the team: the items and their notification.created. */
	return db_run(db,
	    "WITH n AS (INSERT INTO notifications (firm_id, user_id, account_id, type, actor_id,"
	    "   document_id)"
	    "  SELECT $1, s.user_id, $2, 'document', $3, $4 FROM staff s"
	    "   WHERE s.firm_id = $1 AND s.user_id <> $3 ORDER BY s.user_id RETURNING *)"
	    " INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, staff_payload)"
	    " SELECT 'notification.created', n.firm_id, n.account_id, false, n.user_id,"
	    "  json_build_object('notification', folio_notification_json(ROW(n.*)::notifications))"
	    " FROM n ORDER BY n.user_id",
	    &p) < 0 ? -1 : 0;
}
