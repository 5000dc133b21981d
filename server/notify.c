/*
 * notify.c -- who gets what (API.md, Notifications), inside the transaction
 * of the change that causes it:
 *   - a new chat or a non-internal message by the firm: an item for every
 *     contact of the account with portal access, a mail for those with notify;
 *   - a client's new chat, message or task change: an Inbox+ item and a mail
 *     for staff (everyone while the thread is unassigned; then the assignee
 *     and whoever asked for all client activity), mail as each one's settings say;
 *   - an @mention: the mentioned team member (internal notes too: staff only);
 *   - a new assignee: that team member.
 * Internal notes never reach a contact. Items are one per user and thread.
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

/*
 * The one place a notification reaches the event log: notification.created
 * with {notification}, addressed to the item's owner only, in this same
 * transaction (so it is delivered only if the change commits).
 */
static int
notify_emit_created(struct db *db, const struct notify_ctx *c, int64_t user_id,
    struct json_object *item)
{
	struct json_object *payload = json_object_new_object();
	int rc;

	json_object_object_add(payload, "notification", json_object_get(item));
	rc = events_emit(db, EV_NOTIFICATION_CREATED, c->firm_id, c->account_id, false, user_id,
	    payload);
	json_object_put(payload);
	return rc;
}

static int
notify_item(struct db *db, const struct notify_ctx *c, int64_t user_id, const char *type)
{
	struct json_object *item = db_notify_bump(db, c, user_id, type);

	int rc;

	if (item == NULL)
		return -1;
	rc = notify_emit_created(db, c, user_id, item);
	json_object_put(item);
	return rc;
}

static int
notify_mail(struct db *db, const struct notify_ctx *c, enum mail_kind kind,
    struct json_object *who, int64_t ledger_id)
{
	struct mail_queue q = { 0 };

	json_get_int(who, "id", &q.user_id);
	json_get_string(who, "name", &q.to_name);
	json_get_string(who, "email", &q.to_email);
	q.firm_id = c->firm_id;
	q.kind = kind;
	q.thread_id = c->thread_id;
	q.message_id = c->message_id;
	q.ledger_id = ledger_id;
	q.actor_id = c->actor_id;
	if (kind == MAIL_CLIENT_TASK) {
		q.task_id = c->task_id;
		q.task_done = c->task_done;
	}
	/* The words are written when it is sent (mail.c). */
	return db_mail_queue(db, &q);
}

/* An item and (when its "mail" is true) a mail for each person of a list. Takes the list. */
static int
notify_people(struct db *db, const struct notify_ctx *c, struct json_object *people,
    const char *type, enum mail_kind kind, int64_t ledger_id)
{
	struct json_object *who;
	int64_t id;
	bool mail;
	size_t i;
	int rc = 0;

	if (people == NULL)
		return -1;
	for (i = 0; rc == 0 && i < json_object_array_length(people); i++) {
		who = json_object_array_get_idx(people, i);
		id = 0;
		mail = false;
		json_get_int(who, "id", &id);
		json_get_bool(who, "mail", &mail);
		if (notify_item(db, c, id, type) != 0 ||
		    (mail && notify_mail(db, c, kind, who, ledger_id) != 0))
			rc = -1;
	}
	json_object_put(people);
	return rc;
}

int
notify_contacts(struct db *db, const struct notify_ctx *c, const char *type, enum mail_kind kind,
    int64_t ledger_id)
{
	return notify_people(db, c, db_notify_contacts(db, c->thread_id), type, kind, ledger_id);
}

/* Client activity for staff: by the assignee rule, leaving out who got a mention. */
static int
notify_staff(struct db *db, const struct notify_ctx *c, const char *type, enum mail_kind kind)
{
	struct json_object *people =
	    db_notify_staff(db, c->firm_id, c->assignee_id, c->actor_id, c->mentions);

	return notify_people(db, c, people, type, kind, 0);
}

int
notify_task_updated(struct db *db, const struct principal *u, int64_t task_id)
{
	struct notify_ctx c;
	int rc;

	if (u->kind != USER_CONTACT)
		return 0;
	if (db_notify_ctx_load(db, 0, 0, u->id, task_id, &c) != 0)
		return -1;
	/* Not a message: no message id, and no mentions to leave out. */
	c.message_id = 0;
	c.mentions = NULL;
	rc = notify_staff(db, &c, "task", MAIL_CLIENT_TASK);
	db_notify_ctx_free(&c);
	return rc;
}

int
notify_thread_updated(struct db *db, const struct principal *u, int64_t thread_id)
{
	struct notify_ctx c;
	struct json_object *ids;
	int64_t assignee;
	int rc;

	if ((assignee = db_notify_new_assignee(db, thread_id)) < 0)
		return -1;
	if (assignee == 0 || assignee == u->id)
		return 0; /* unassigned, unchanged, or took it oneself */
	if (db_notify_ctx_load(db, thread_id, 0, u->id, 0, &c) != 0)
		return -1;
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_int64(assignee));
	rc = notify_people(db, &c, db_notify_staff_ids(db, c.firm_id, ids, u->id), "assignment",
	    MAIL_ASSIGNMENT, 0);
	json_object_put(ids);
	db_notify_ctx_free(&c);
	return rc;
}

int
notify_thread_read(struct db *db, const struct principal *u, int64_t thread_id)
{
	return db_notify_thread_read(db, u, thread_id);
}

int
notify_document_uploaded(struct db *db, const struct principal *u, int64_t account_id,
    int64_t document_id)
{
	/* Every team member but the uploader; an item only: no mail about documents yet. */
	return db_notify_document(db, u->firm_id, account_id, u->id, document_id);
}
