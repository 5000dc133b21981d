/*
 * activity.c -- what follows a change, inside the change's own transaction:
 * the event log (live events), notifications and mail, reminder rules.
 * Route code calls these after it has written a change and before it commits,
 * so a change and its consequences commit together or not at all. A new
 * message or chat is one SQL statement that applies the same rules itself
 * (folio_message_post, folio_thread_post in sql/004_write_path.sql).
 */
#include "foliod.h"

int
activity_thread_updated(struct db *db, const struct principal *u, int64_t thread_id)
{
	/* Archive, reopen, switch on or off, new settings; a new assignee hears of it. */
	if (reminders_sync(db, thread_id, 0) != 0 ||
	    events_emit_thread(db, u, EV_THREAD_UPDATED, thread_id, false) != 0 ||
	    notify_thread_updated(db, u, thread_id) != 0)
		return -1;
	return 0;
}

int
activity_thread_read(struct db *db, const struct principal *u, int64_t thread_id)
{
	if (events_emit_read(db, u, thread_id) != 0 || notify_thread_read(db, u, thread_id) != 0)
		return -1;
	return 0;
}

int
activity_task_updated(struct db *db, const struct principal *u, int64_t task_id)
{
	if (events_emit_task(db, u, task_id) != 0 || notify_task_updated(db, u, task_id) != 0)
		return -1;
	return 0;
}

int
activity_mail_failed(struct db *db, const struct mail_failed *f)
{
	if (f->message_id <= 0 || f->thread_id <= 0)
		return 0;
	return events_emit_message_updated(db, f->firm_id, f->thread_id, f->message_id);
}

void
activity_committed(void)
{
	events_seq_poke(); /* the statement wrote events: sequence them now */
}
