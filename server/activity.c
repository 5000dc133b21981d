/*
 * activity.c -- what follows a change, inside the change's own transaction:
 * the event log (live events), notifications and mail, reminder rules.
 * Route code calls these after it has written a change and before it commits,
 * so a change and its consequences commit together or not at all.
 */
#include "foliod.h"

int
activity_thread_created(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t message_id)
{
	/* The change's own events first, then the notifications it causes. */
	if (reminders_sync(db, thread_id, message_id) != 0 ||
	    events_emit_thread(db, u, EV_THREAD_CREATED, thread_id, false) != 0 ||
	    events_emit_message(db, u, thread_id, message_id, false) != 0 ||
	    notify_thread_created(db, u, thread_id, message_id) != 0)
		return -1;
	return 0;
}

int
activity_message_created(struct db *db, const struct principal *u, int64_t thread_id,
    int64_t message_id)
{
	/* A firm message restarts the reminder cycle, a client's ends it. */
	if (reminders_sync(db, thread_id, message_id) != 0 ||
	    events_emit_message(db, u, thread_id, message_id, true) != 0 ||
	    notify_message_created(db, u, thread_id, message_id) != 0)
		return -1;
	return 0;
}

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
