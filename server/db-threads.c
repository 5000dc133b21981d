/*
 * db-threads.c -- SQL for threads, read markers and tasks (messages: db-messages.c).
 * Every query takes the principal and applies visibility itself: staff see
 * their firm, a contact (or staff viewing as one) sees its own account and
 * never an internal note.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

/* The visibility of a thread: $3 firm id, $4 the contact's account or NULL. */
#define THREAD_VISIBLE " t.firm_id = $3 AND ($4::bigint IS NULL OR t.account_id = $4)"

static void
p_principal(struct params *p, const struct principal *u)
{
	p_int(p, u->id);
	p_bool(p, u->kind == USER_STAFF);
	p_int(p, u->firm_id);
	p_id(p, u->kind == USER_CONTACT ? u->account_id : 0);
}

/*
 * Unread for $1 (staff? $2): only a thread whose last visible message is past
 * the reader's marker can be; then one unread message by someone else is enough.
 */
static const char thread_unread[] =
    "CASE WHEN CASE WHEN $2 THEN t.last_message_id ELSE t.last_public_message_id END"
    "  > coalesce((SELECT r.up_to_message_id FROM read_markers r"
    "   WHERE r.thread_id = t.id AND r.user_id = $1), 0)"
    " THEN EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id"
    "  AND m.id > coalesce((SELECT r.up_to_message_id FROM read_markers r"
    "   WHERE r.thread_id = t.id AND r.user_id = $1), 0)"
    "  AND m.author_id <> $1 AND ($2 OR NOT m.internal)) ELSE false END";

/* After the keyset cursor ($13 the sort key or NULL, $14 the id), in each order. */
static const char thread_after_activity[] =
    "(CASE WHEN $2 THEN t.last_message_at ELSE t.last_public_message_at END, t.id)"
    " < ($13::timestamptz, $14)";
static const char thread_after_waiting[] =
    "CASE WHEN $13::timestamptz IS NULL THEN t.waiting_since IS NULL AND t.id > $14"
    " ELSE t.waiting_since > $13 OR (t.waiting_since = $13 AND t.id > $14)"
    " OR t.waiting_since IS NULL END";

struct json_object *
db_threads_list(struct db *db, const struct principal *u, const struct thread_filter *f,
    const struct page_pos *pp)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct json_object *a;
	/* Orders on the threads' own columns ($2: staff?), for t and for the page x. */
	const char *order = f->by_waiting ? "%1$s.waiting_since ASC NULLS LAST, %1$s.id"
					  : "CASE WHEN $2 THEN %1$s.last_message_at"
					    " ELSE %1$s.last_public_message_at END DESC, %1$s.id DESC";
	char *inner = xasprintf(order, "t"), *outer = xasprintf(order, "x");

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
	p_int(&p, pp->limit);
	p_int(&p, pp->offset);
	p_str(&p, pp->key && *pp->key ? pp->key : NULL);
	p_id(&p, pp->key ? pp->after_id : 0);
	/* The page is chosen first; each thread of it is rendered (and counted) once. */
	buf_printf(&sql,
	    "SELECT coalesce(json_agg(folio_thread_json(x, $1, $2) ORDER BY %s), '[]')"
	    " FROM (SELECT t.* FROM threads t WHERE" THREAD_VISIBLE
	    "  AND ($5::bigint IS NULL OR t.account_id = $5)"
	    "  AND ($6::boolean IS NULL OR t.archived = $6)"
	    "  AND ($8::text IS NULL OR ($8 = 'none' AND t.assignee_id IS NULL)"
	    "       OR ($8 = 'id' AND t.assignee_id = $9))"
	    "  AND ($10::text IS NULL OR t.last_public_author_kind ="
	    "   CASE $10::text WHEN 'firm' THEN 'contact' WHEN 'client' THEN 'staff' END)"
	    "  AND (NOT $7 OR %s)"
	    "  AND ($14::bigint IS NULL OR %s)"
	    "  ORDER BY %s LIMIT $11 OFFSET $12) x",
	    outer, f->unread ? thread_unread : "true",
	    f->by_waiting ? thread_after_waiting : thread_after_activity, inner);
	a = db_one_value(db, buf_str(&sql), &p);
	buf_free(&sql);
	free(inner);
	free(outer);
	return a;
}

struct json_object *
db_thread_get(struct db *db, const struct principal *u, int64_t id)
{
	struct params p = { 0 };

	p_principal(&p, u);
	p_int(&p, id);
	return db_one_value(db,
	    "SELECT folio_thread_json(t, $1, $2) FROM threads t WHERE t.id = $5 AND" THREAD_VISIBLE,
	    &p);
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
