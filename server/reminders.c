/*
 * reminders.c -- automatic reminders and manual resends. The rules follow
 * every change through reminders_sync() (called from activity.c inside the
 * change's transaction); a pass (reminders_run_due, from jobs_run_due) sends
 * one reminder to each due thread, each in its own short transaction, taking
 * threads with SKIP LOCKED so that instances never send one twice.
 * The state itself is SQL (db-reminders.c); mails go through notify.c.
 */
#include "foliod.h"

#include <inttypes.h>
#include <stdlib.h>

/* Threads per pass; the rest are due again at once and go in the next pass. */
#define REMINDERS_PASS_MAX 1000

int
reminders_sync(struct db *db, int64_t thread_id, int64_t message_id)
{
	return db_reminders_sync(db, thread_id, message_id);
}

int
reminders_send(struct db *db, const struct notify_ctx *c, bool resend, int64_t sent_by)
{
	int64_t ledger;

	if ((ledger = db_reminders_ledger_add(db, c, resend, sent_by)) <= 0)
		return -1;
	/* Mails to contacts with notify; every portal contact's item goes to the top. */
	return notify_contacts(db, c, "reminder", resend ? MAIL_RESEND : MAIL_REMINDER, ledger);
}

/* One reminder for one due thread, in its own transaction. Returns the thread, 0: none due, -1. */
static int64_t
reminders_one(struct db *db, const char *skip)
{
	struct principal sys = { 0 };
	struct notify_ctx c;
	int64_t tid;

	if (db_begin(db) != 0)
		return -1;
	if ((tid = db_reminders_take_due(db, skip)) <= 0) {
		db_rollback(db);
		return db->broken ? -1 : 0;
	}
	/* Reminders apply to the last message a contact may see. */
	if (db_notify_ctx_load(db, tid, 0, 0, 0, &c) == 0) {
		sys.firm_id = c.firm_id; /* no one did it: the firm's own pass */
		sys.kind = USER_STAFF;
	}
	if (c.row == NULL || reminders_send(db, &c, false, 0) != 0 ||
	    db_reminders_counted(db, tid) != 0 ||
	    events_emit_thread(db, &sys, EV_THREAD_UPDATED, tid, true) != 0 || db_commit(db) != 0) {
		log_error("reminders: thread %" PRId64 ": the reminder failed; it stays due", tid);
		db_notify_ctx_free(&c);
		db_rollback(db);
		return -1;
	}
	log_info("reminders: thread %" PRId64 ": reminder sent", tid);
	metrics_reminder_sent();
	db_notify_ctx_free(&c);
	return tid;
}

int
reminders_run_due(struct db *db)
{
	struct buf done = BUF_INIT;
	int64_t tid, left;
	int n;

	/* Each thread at most once per pass, however far the clock jumped. */
	buf_putc(&done, '{');
	for (n = 0; n < REMINDERS_PASS_MAX && !http_stopping; n++) {
		buf_putc(&done, '}');
		tid = reminders_one(db, buf_str(&done));
		done.data[--done.len] = '\0';
		if (tid <= 0)
			break;
		buf_printf(&done, "%s%" PRId64, n ? "," : "", tid);
	}
	buf_free(&done);
	if (db->broken)
		return -1;
	/* Due threads left are held by another pass right now: the caller may wait for it. */
	left = db_reminders_due_count(db);
	return left < 0 ? -1 : left > 0;
}
