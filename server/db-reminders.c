/*
 * db-reminders.c -- SQL for a thread's reminder state: one statement that
 * brings the state in line with the thread after any change (the rules of
 * API.md, Reminders), taking due threads for a pass with SKIP LOCKED, counting
 * a sent reminder, and the ledger rows. reminders.c decides when to call them.
 */
#include "foliod.h"

#include <inttypes.h>
#include <stdlib.h>

/*
 * The state is judged against what the rules saw last (seen_archived,
 * seen_reminders_enabled), so a reopening or a switch-on is recognised
 * whichever route made it. restart: the cycle starts again from now with
 * the count reset -- on a new firm message (not an internal note), a
 * reopening, or a switch-on.
 * Then, in this order: switched off; archived; the client had the last word;
 * max_count reached; else armed, due interval_days after the anchor (the
 * cycle's start or the last reminder). An end is recorded only when it ends a
 * running cycle, so ended_by names the condition that ended it.
 */
int
db_reminders_sync(struct db *db, int64_t thread_id, int64_t message_id)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	p_id(&p, message_id);
	return db_run(db,
	    "UPDATE threads t SET"
	    " reminder_sent_count = CASE WHEN r.restart THEN 0 ELSE t.reminder_sent_count END,"
	    " reminder_anchor_at = CASE WHEN r.restart THEN folio_now() ELSE t.reminder_anchor_at"
	    " END,"
	    " reminder_next_due_at = CASE WHEN r.state = 'armed' THEN"
	    "   (CASE WHEN r.restart THEN folio_now() ELSE coalesce(t.reminder_anchor_at,"
	    " folio_now()) END)"
	    "   + make_interval(days => t.reminder_interval_days) END,"
	    " reminder_ended_by = CASE r.state WHEN 'armed' THEN NULL WHEN 'keep' THEN"
	    " t.reminder_ended_by"
	    "   ELSE r.state END,"
	    " seen_archived = t.archived, seen_reminders_enabled = t.reminders_enabled"
	    " FROM (SELECT x.id, x.restart, CASE"
	    "   WHEN NOT x.reminders_enabled THEN"
	    "     CASE WHEN x.seen_reminders_enabled THEN 'switched_off' ELSE 'keep' END"
	    "   WHEN x.archived THEN CASE WHEN x.active THEN 'archived' ELSE 'keep' END"
	    "   WHEN x.last_public_author_kind IS DISTINCT FROM 'staff' THEN"
	    "     CASE WHEN x.active OR x.restart THEN 'client_replied' ELSE 'keep' END"
	    "   WHEN NOT x.restart AND x.reminder_sent_count >= x.reminder_max_count THEN"
	    "     CASE WHEN x.active THEN 'max_count' ELSE 'keep' END"
	    "   WHEN x.active OR x.restart OR x.reminder_ended_by = 'max_count' THEN 'armed'"
	    "   ELSE 'keep' END AS state"
	    "  FROM (SELECT th.*, th.reminder_next_due_at IS NOT NULL AS active,"
	    "    th.reminders_enabled AND NOT th.archived AND ((th.seen_archived AND NOT"
	    " th.archived)"
	    "     OR NOT th.seen_reminders_enabled OR EXISTS (SELECT 1 FROM messages m"
	    "      WHERE m.id = $2 AND m.author_kind = 'staff' AND NOT m.internal)) AS restart"
	    "   FROM threads th WHERE th.id = $1) x) r"
	    " WHERE t.id = r.id",
	    &p) == 1 ? 0 : -1;
}

int64_t
db_reminders_take_due(struct db *db, const char *skip_ids)
{
	struct params p = { 0 };

	p_str(&p, skip_ids);
	/* In the caller's transaction: the row lock keeps other passes off this thread. */
	return db_one_int(db,
	    "SELECT id FROM threads WHERE reminder_next_due_at <= folio_now()"
	    " AND NOT (id = ANY ($1::bigint[]))"
	    " ORDER BY reminder_next_due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
	    &p, 0);
}

int64_t
db_reminders_due_count(struct db *db)
{
	return db_one_int(db,
	    "SELECT count(*) FROM threads WHERE reminder_next_due_at <= folio_now()", NULL, -1);
}

int
db_reminders_counted(struct db *db, int64_t thread_id)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	/* The next one is due interval_days after this one, however late this one was. */
	return db_run(db,
		   "UPDATE threads SET reminder_sent_count = reminder_sent_count + 1,"
		   " reminder_anchor_at = folio_now() WHERE id = $1",
		   &p) == 1 ? db_reminders_sync(db, thread_id, 0) : -1;
}

int64_t
db_reminders_ledger_add(struct db *db, const struct notify_ctx *c, bool resend, int64_t sent_by)
{
	struct params p = { 0 };

	p_int(&p, c->firm_id);
	p_int(&p, c->thread_id);
	p_str(&p, resend ? "resend" : "reminder");
	p_id(&p, c->message_id);
	p_id(&p, sent_by);
	return db_one_int(db,
	    "INSERT INTO reminder_ledger (firm_id, thread_id, kind, message_id, sent_by, seq)"
	    " SELECT $1, $2, $3, $4, $5,"
	    "  CASE WHEN $3 = 'reminder' THEN reminder_sent_count + 1 END FROM threads WHERE id ="
	    " $2"
	    " RETURNING id",
	    &p, -1);
}
