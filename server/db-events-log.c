/*
 * db-events-log.c -- the SQL that reads and maintains the event log
 * (sql/002_events.sql): reading events after a cursor, the log's end and
 * horizon, a sequencer pass and a retention pass. Writing events belongs to
 * events-emit.c; deciding who sees an event belongs to events-hub.c.
 * Callers own their connection (a pool thread, the listener, the sequencer).
 */
#include "foliod.h"

#include <stdlib.h>
#include <string.h>

static const char events_columns[] =
    "SELECT id, type, firm_id, coalesce(account_id, 0), staff_only, coalesce(user_id, 0),"
    " coalesce(actor_id, 0), staff_payload, contact_payload, actor_payload FROM events";

static char *
db_events_log_text(const struct pg_result *res, int row, int col)
{
	return db_isnull(res, row, col) ? NULL : xstrdup(db_text(res, row, col));
}

/* The rows of res as a list of events, oldest first. Caller unrefs each. */
static struct events_ev *
db_events_log_rows(const struct pg_result *res)
{
	struct events_ev *head = NULL, **tail = &head, *ev;
	int i, n = db_rows(res);

	for (i = 0; i < n; i++) {
		ev = events_ev_new();
		ev->id = db_int(res, i, 0);
		snprintf(ev->type, sizeof ev->type, "%s", db_text(res, i, 1));
		ev->firm_id = db_int(res, i, 2);
		ev->account_id = db_int(res, i, 3);
		ev->staff_only = db_text(res, i, 4)[0] == 't';
		ev->user_id = db_int(res, i, 5);
		ev->actor_id = db_int(res, i, 6);
		ev->payload[EV_STAFF] = db_events_log_text(res, i, 7);
		ev->payload[EV_CONTACT] = db_events_log_text(res, i, 8);
		ev->payload[EV_ACTOR] = db_events_log_text(res, i, 9);
		*tail = ev;
		tail = &ev->next;
	}
	return head;
}

/*
 * The visibility rule of events_audience() (events-hub.c) as SQL, for $3 the
 * firm, $4 the user and (contacts only) $5 the account, so that a
 * stream reads only its own events: a cursor that walked past other people's
 * events would tell a contact that staff-only events exist in its threads
 * (man folio-api(7), EVENTS). Contacts read through the partial indexes of
 * sql/009_no_trace.sql, staff through events_firm.
 */
static const char events_visible_staff[] =
    "firm_id = $3 AND (user_id IS NULL OR user_id = $4)";
static const char events_visible_contact[] =
    "firm_id = $3 AND NOT staff_only AND (account_id = $5 OR user_id = $4)"
    " AND (user_id IS NULL OR user_id = $4)";

static void
db_events_log_viewer(struct params *p, const struct events_viewer *who)
{
	p_int(p, who->firm_id);
	p_int(p, who->user_id);
	if (!who->staff)
		p_int(p, who->account_id);
}

int
db_events_log_read(struct db *db, int64_t after, const struct events_viewer *who, int limit,
    struct db_events_log_page *pg)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	struct pg_result *res;
	struct events_ev *ev;

	memset(pg, 0, sizeof *pg);
	pg->last = after;
	p_int(&p, after);
	p_int(&p, limit);
	/*
	 * A reader's events are picked from their own index entries, not by
	 * walking the whole log after the cursor and dropping other rows: a small
	 * firm resuming from far back would read everyone's events.
	 */
	if (who != NULL) {
		db_events_log_viewer(&p, who);
		buf_printf(&sql, "%s WHERE id IN (SELECT id FROM events WHERE %s AND id > $1"
				 " ORDER BY id LIMIT $2) ORDER BY id", events_columns,
		    who->staff ? events_visible_staff : events_visible_contact);
	} else
		buf_printf(&sql, "%s WHERE id > $1 ORDER BY id LIMIT $2", events_columns);
	res = db_exec(db, buf_str(&sql), &p);
	buf_free(&sql);
	if (res == NULL)
		return -1;
	pg->n = db_rows(res);
	pg->full = pg->n == limit;
	pg->list = db_events_log_rows(res);
	db_clear(res);
	for (ev = pg->list; ev; ev = ev->next)
		pg->last = ev->id;
	return 0;
}

/*
 * Where a stream without since starts. For a contact (or staff viewing as
 * one): after the last event it may see, or at the horizon when retention took
 * them all -- not the log's end, which would count staff-only events. Staff
 * start at the log's end, a point every reader may resume from. -1 on failure.
 */
static int64_t
db_events_log_start(struct db *db, const struct events_viewer *who, int64_t horizon)
{
	struct params p = { 0 };
	struct buf sql = BUF_INIT;
	int64_t last;

	if (who->staff)
		return db_events_log_head(db);
	p_int(&p, horizon);
	p_int(&p, 1); /* $2: one row; the viewer's parameters are $3 on, as in a read */
	db_events_log_viewer(&p, who);
	buf_printf(&sql, "SELECT greatest($1::bigint, (SELECT id FROM events WHERE %s"
			 " ORDER BY id DESC LIMIT $2), 0)", events_visible_contact);
	last = db_one_int(db, buf_str(&sql), &p, -1);
	buf_free(&sql);
	return last;
}

int
db_events_log_fetch(struct db *db, int64_t since, const struct events_viewer *who, int limit,
    struct db_events_log_page *pg)
{
	struct pg_result *res;
	int64_t horizon, issued;
	int rc = -1;

	memset(pg, 0, sizeof *pg);
	pg->last = since;
	/* One snapshot for the horizon and the rows: retention may run meanwhile. */
	if (db_run(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL) < 0)
		return -1;
	res = db_exec(db,
	    "SELECT h.deleted_up_to, CASE WHEN s.is_called THEN s.last_value ELSE 0 END"
	    " FROM events_horizon h, events_id_seq s",
	    NULL);
	if (res == NULL || db_rows(res) != 1) {
		db_clear(res);
		goto out;
	}
	horizon = db_int(res, 0, 0);
	issued = db_int(res, 0, 1);
	db_clear(res);
	if (since < 0) {
		/* From the end as who sees it in this snapshot: nothing to read yet. */
		if ((pg->last = db_events_log_start(db, who, horizon)) >= 0)
			rc = db_commit(db);
		goto out;
	}
	/* Before the horizon events may be gone; beyond the last id issued is another log. */
	if (since < horizon || since > (issued > horizon ? issued : horizon)) {
		pg->resync = true;
		rc = 0;
		goto out;
	}
	if (db_events_log_read(db, since, who, limit, pg) == 0)
		rc = db_commit(db);
out:
	db_rollback(db);
	if (rc != 0)
		db_events_log_page_free(pg);
	return rc;
}

void
db_events_log_page_free(struct db_events_log_page *pg)
{
	struct events_ev *ev;

	while ((ev = pg->list) != NULL) {
		pg->list = ev->next;
		events_ev_unref(ev);
	}
	pg->n = 0;
}

int64_t
db_events_log_head(struct db *db)
{
	return db_one_int(db, "SELECT folio_events_head()", NULL, -1);
}

long
db_events_log_sequence(struct db *db, int batch)
{
	struct params p = { 0 };

	p_int(&p, batch);
	return (long)db_one_int(db, "SELECT folio_events_sequence($1)", &p, -2);
}

long
db_events_log_expire(struct db *db, long days, int batch)
{
	struct params p = { 0 };

	p_int(&p, days);
	p_int(&p, batch);
	return (long)db_one_int(db, "SELECT folio_events_expire($1, $2)", &p, -1);
}

int
db_events_log_sessions_valid(struct db *db, const int64_t *ids, size_t n, int64_t **valid,
    size_t *nvalid)
{
	struct params p = { 0 };
	struct buf arr = BUF_INIT;
	struct pg_result *res;
	size_t i;

	*valid = NULL;
	*nvalid = 0;
	buf_putc(&arr, '{');
	for (i = 0; i < n; i++)
		buf_printf(&arr, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_putc(&arr, '}');
	p_str(&p, buf_str(&arr));
	/*
	 * The same rules as auth_resolve(): not revoked, not expired, portal
	 * access, and not held to enrolling by the firm's two-factor policy (a
	 * stream opened before the owner required it ends here).
	 */
	res = db_exec(db,
	    "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id"
	    " JOIN firms f ON f.id = u.firm_id LEFT JOIN contacts c ON c.user_id = u.id"
	    " WHERE s.id = ANY ($1::bigint[]) AND s.revoked_at IS NULL AND s.expires_at > now()"
	    " AND coalesce(c.portal_access, true)"
	    " AND NOT (" DB_TOTP_COVERED " AND NOT EXISTS (SELECT 1 FROM user_totp t"
	    "   WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL))"
	    " ORDER BY s.id",
	    &p);
	buf_free(&arr);
	if (res == NULL)
		return -1;
	*nvalid = (size_t)db_rows(res);
	*valid = xmalloc((*nvalid ? *nvalid : 1) * sizeof **valid);
	for (i = 0; i < *nvalid; i++)
		(*valid)[i] = db_int(res, (int)i, 0);
	db_clear(res);
	return 0;
}
