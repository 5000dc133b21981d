/*
 * events-emit.c -- writing events: one outbox row per event, inside the
 * transaction of the change that causes it (so both commit or neither), with
 * the changed object as each audience may see it: staff, the account's
 * contacts, and the actor itself (a message's author gets its client_msg_id).
 * It does not number or deliver events: after the commit, events_committed()
 * wakes the local sequencer (events-seq.c), which moves the rows into the log.
 * Its SQL (the outbox row, the payload lookups) is in db-events.c.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

/* This thread has written outbox rows since its last commit. */
static __thread bool events_written;

/* Event types are our own constants: anything else is a programming error. */
static void
events_check_type(const char *type)
{
	size_t i, n = type ? strlen(type) : 0;

	for (i = 0; i < n; i++)
		if (!((type[i] >= 'a' && type[i] <= 'z') || type[i] == '.' || type[i] == '_'))
			break;
	if (n == 0 || n > 31 || i < n || type[0] < 'a' || type[0] > 'z') {
		log_error("events: bad event type \"%s\"", type ? type : "(null)");
		abort();
	}
}

static int
events_emit_row(struct db *db, const char *type, int64_t firm_id, int64_t account_id,
    bool staff_only, int64_t user_id, int64_t actor_id, struct json_object *payload[EV_AUDIENCES])
{
	const char *text[EV_AUDIENCES];
	int i;

	events_check_type(type);
	for (i = 0; i < EV_AUDIENCES; i++) {
		if (payload[i] && !json_object_is_type(payload[i], json_type_object))
			abort(); /* a payload is an object whose members join {id, type} */
		text[i] = payload[i] ? json_text(payload[i]) : NULL;
	}
	if (db_events_insert(db, type, firm_id, account_id, staff_only, user_id, actor_id, text) != 0)
		return -1;
	events_written = true;
	return 0;
}

int
events_emit(struct db *db, const char *type, int64_t firm_id, int64_t account_id, bool staff_only,
    int64_t user_id, struct json_object *payload)
{
	struct json_object *pl[EV_AUDIENCES] = { payload, NULL, NULL };

	return events_emit_row(db, type, firm_id, account_id, staff_only, user_id, 0, pl);
}

void
events_committed(void)
{
	if (events_written) {
		events_written = false;
		events_seq_poke();
	}
}

/* Anyone on the staff of the firm, or any contact of the account: an audience, not a user. */
static void
events_audience_of(struct principal *who, int64_t firm_id, int64_t account_id, bool staff)
{
	memset(who, 0, sizeof *who);
	who->firm_id = firm_id;
	who->kind = staff ? USER_STAFF : USER_CONTACT;
	who->account_id = staff ? 0 : account_id;
}

/* The thread as staff (staff) or the account's contacts see it. Caller puts. */
static struct json_object *
events_thread_view(struct db *db, int64_t firm_id, int64_t account_id, int64_t thread_id,
    bool staff)
{
	struct principal who;
	struct json_object *o;

	events_audience_of(&who, firm_id, account_id, staff);
	if ((o = db_thread_get(db, &who, thread_id)) != NULL)
		json_object_object_del(o, "unread_count"); /* per user: thread.read carries it */
	return o;
}

/* {"thread": thread}; takes ownership of thread. */
static struct json_object *
events_wrap(const char *key, struct json_object *o)
{
	struct json_object *w = json_object_new_object();

	json_object_object_add(w, key, o);
	return w;
}

static void
events_put_all(struct json_object *pl[EV_AUDIENCES])
{
	int i;

	for (i = 0; i < EV_AUDIENCES; i++)
		json_object_put(pl[i]);
}

int
events_emit_thread(struct db *db, const struct principal *u, const char *type, int64_t thread_id,
    bool staff_only)
{
	struct json_object *pl[EV_AUDIENCES] = { NULL, NULL, NULL }, *t;
	int64_t account_id = 0;
	int rc = -1;

	if ((t = events_thread_view(db, u->firm_id, 0, thread_id, true)) == NULL)
		return -1;
	json_get_int(t, "account_id", &account_id);
	pl[EV_STAFF] = events_wrap("thread", t);
	if (!staff_only) {
		if ((t = events_thread_view(db, u->firm_id, account_id, thread_id, false)) == NULL)
			goto out;
		pl[EV_CONTACT] = events_wrap("thread", t);
	}
	rc = events_emit_row(db, type, u->firm_id, account_id, staff_only, 0, u->id, pl);
out:
	events_put_all(pl);
	return rc;
}

/* {thread_id, account_id, message} with the message as who sees it. Caller puts. */
static struct json_object *
events_message_payload(struct db *db, const struct principal *who, int64_t thread_id,
    int64_t account_id, int64_t message_id)
{
	struct json_object *m = db_message_get(db, who, message_id), *o;

	if (m == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "thread_id", json_object_new_int64(thread_id));
	json_object_object_add(o, "account_id", json_object_new_int64(account_id));
	json_object_object_add(o, "message", m);
	return o;
}

int
events_emit_message_updated(struct db *db, int64_t firm_id, int64_t thread_id,
    int64_t message_id)
{
	struct json_object *pl[EV_AUDIENCES] = { NULL, NULL, NULL };
	struct principal who;
	int64_t account_id;
	int rc;

	if ((account_id = db_events_thread_account(db, firm_id, thread_id)) < 0)
		return -1;
	if (account_id == 0)
		return 0; /* the thread is gone: nobody to tell */
	/* Staff only: a message's mail delivery is not part of the contacts' view. */
	events_audience_of(&who, firm_id, account_id, true);
	if ((pl[EV_STAFF] = events_message_payload(db, &who, thread_id, account_id, message_id)) ==
	    NULL)
		return -1; /* its outbox row would be gone with it (ON DELETE CASCADE) */
	rc = events_emit_row(db, EV_MESSAGE_UPDATED, firm_id, account_id, true, 0, 0, pl);
	events_put_all(pl);
	return rc;
}

int
events_emit_read(struct db *db, const struct principal *u, int64_t thread_id)
{
	struct json_object *o;
	int64_t account_id = 0;
	int rc;

	if ((o = db_events_read_payload(db, u, thread_id)) == NULL)
		return -1;
	json_get_int(o, "account_id", &account_id);
	json_object_object_del(o, "account_id");
	/* Read markers are per user: only this user's other sessions hear of it. */
	rc = events_emit(db, EV_THREAD_READ, u->firm_id, account_id, false, u->id, o);
	json_object_put(o);
	return rc;
}

int
events_emit_task(struct db *db, const struct principal *u, int64_t task_id)
{
	struct json_object *task, *pl;
	int64_t account_id = 0;
	int rc;

	if ((task = db_events_task_payload(db, u->firm_id, task_id)) == NULL)
		return -1;
	json_get_int(task, "account_id", &account_id);
	json_object_object_del(task, "account_id");
	pl = events_wrap("task", task);
	rc = events_emit(db, EV_TASK_UPDATED, u->firm_id, account_id, false, 0, pl);
	json_object_put(pl);
	return rc;
}
