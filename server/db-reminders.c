/*
 * db-reminders.c -- SQL for a thread's reminder state: one statement that
 * brings the state in line with the thread after any change (the rules of
 * API.md, Reminders), taking due threads for a pass with SKIP LOCKED, counting
 * a sent reminder, and the ledger rows. reminders.c decides when to call them.
 */
#include "foliod.h"

#include <inttypes.h>
#include <stdlib.h>

int
db_reminders_sync(struct db *db, int64_t thread_id, int64_t message_id)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	p_id(&p, message_id);
	/* The rules are one SQL function (sql/004_write_path.sql): sends apply them too. */
	return db_one_int(db, "SELECT folio_reminders_sync($1, $2)", &p, -1) == 1 ? 0 : -1;
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
