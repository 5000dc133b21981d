/*
 * db-events.c -- SQL for writing events: the event_outbox row, and the few
 * lookups an event's payload needs beyond the API's own views (a thread's
 * account, a read marker, a task). It does not check event types, choose
 * audiences or wake the sequencer (events-emit.c); reading the log is
 * db-events-log.c's.
 */
#include "foliod.h"

#include <string.h>

int
db_events_insert(struct db *db, const char *type, int64_t firm_id, int64_t account_id,
    bool staff_only, int64_t user_id, int64_t actor_id, const char *const payload[EV_AUDIENCES])
{
	struct params p = { 0 };
	int i;

	p_str(&p, type);
	p_int(&p, firm_id);
	p_id(&p, account_id);
	p_bool(&p, staff_only);
	p_id(&p, user_id);
	p_id(&p, actor_id);
	for (i = 0; i < EV_AUDIENCES; i++)
		p_str(&p, payload[i]);
	/* A contact copy equal to the staff copy is stored once (NULL: as staff). */
	if (p.v[7] && strcmp(p.v[6], p.v[7]) == 0)
		p.v[7] = NULL;
	if (db_run(db,
		"INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, actor_id,"
		" staff_payload, contact_payload, actor_payload)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		&p) != 1)
		return -1;
	return 0;
}

int64_t
db_events_thread_account(struct db *db, int64_t firm_id, int64_t thread_id)
{
	struct params p = { 0 };
	struct pg_result *res;
	int64_t account_id;

	p_int(&p, thread_id);
	p_int(&p, firm_id);
	if ((res = db_exec(db, "SELECT account_id FROM threads WHERE id = $1 AND firm_id = $2",
		 &p)) == NULL)
		return -1;
	account_id = db_rows(res) > 0 ? db_int(res, 0, 0) : 0;
	db_clear(res);
	return account_id;
}

struct json_object *
db_events_read_payload(struct db *db, const struct principal *u, int64_t thread_id)
{
	struct params p = { 0 };

	p_int(&p, thread_id);
	p_int(&p, u->id);
	p_bool(&p, u->kind == USER_STAFF);
	p_int(&p, u->firm_id);
	return db_one_json(db,
	    "SELECT t.id AS thread_id, coalesce(r.up_to_message_id, 0) AS up_to_message_id,"
	    " folio_unread(t.id, $2, $3) AS unread_count, t.account_id"
	    " FROM threads t LEFT JOIN read_markers r ON r.thread_id = t.id AND r.user_id = $2"
	    " WHERE t.id = $1 AND t.firm_id = $4",
	    &p);
}

struct json_object *
db_events_task_payload(struct db *db, int64_t firm_id, int64_t task_id)
{
	struct params p = { 0 };

	p_int(&p, task_id);
	p_int(&p, firm_id);
	return db_one_json(db,
	    "SELECT k.id, k.thread_id, k.title, k.done, folio_ts(k.updated_at) AS updated_at,"
	    " t.account_id FROM tasks k JOIN threads t ON t.id = k.thread_id"
	    " WHERE k.id = $1 AND k.firm_id = $2",
	    &p);
}
