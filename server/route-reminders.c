/*
 * route-reminders.c -- a thread's reminder routes: the manual resend and the
 * ledger of every reminder and resend with its delivery. The rules and the
 * automatic pass live in reminders.c.
 */
#include "foliod.h"

void
route_threads_resend(struct request *req, struct db *db)
{
	struct notify_ctx c;
	struct json_object *o;
	bool ok;

	if (db_begin(db) != 0)
		return;
	if (db_thread_account(db, &req->user, req->ids[0], true) <= 0) {
		if (!db->broken)
			reply_error(req, 404, "not_found", "no such thread");
		return;
	}
	if (db_notify_ctx_load(db, req->ids[0], 0, 0, 0, &c) != 0)
		return;
	/* The reminder is about the last message a contact sees; it must be the firm's. */
	if (c.actor_kind != USER_STAFF) {
		reply_error(req, 409, "nothing_to_remind",
		    "the last message is the client's: there is nothing to remind of");
		db_notify_ctx_free(&c);
		return;
	}
	/* One more mail now; the count and the timer stay as they are. */
	ok = reminders_send(db, &c, true, req->user.id) == 0 && db_commit(db) == 0;
	db_notify_ctx_free(&c);
	if (ok && (o = db_thread_get(db, &req->user, req->ids[0])) != NULL)
		reply_json(req, 200, o);
}

void
route_threads_reminders(struct request *req, struct db *db)
{
	struct json_object *o = db_mail_ledger(db, req->user.firm_id, req->ids[0]);

	if (o)
		reply_json(req, 200, o);
	else if (!db->broken)
		reply_error(req, 404, "not_found", "no such thread");
}
