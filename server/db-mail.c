/*
 * db-mail.c -- SQL for the mail outbox and the reminder ledger: queue a mail
 * in the caller's transaction (and NOTIFY folio_mail, delivered at commit),
 * claim one due mail under a lease with FOR UPDATE SKIP LOCKED, record how
 * its attempt went, wait on LISTEN for new mail, and read the ledger.
 * It does not talk SMTP (mail-smtp.c) or choose recipients (notify.c).
 */
#include "foliod.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Retried mails wait base * 2^(attempt-1) seconds, at most this long. */
#define MAIL_RETRY_MAX_SECONDS 3600
/* A mail still undelivered this long after it was queued is given up. */
#define MAIL_GIVE_UP "3 days"

int
db_mail_queue(struct db *db, const struct mail_queue *q)
{
	struct params p = { 0 };

	p_int(&p, q->firm_id);
	p_str(&p, mail_compose_kind(q->kind));
	p_id(&p, q->thread_id);
	p_id(&p, q->message_id);
	p_id(&p, q->ledger_id);
	p_id(&p, q->user_id);
	p_str(&p, q->to_email);
	p_str(&p, q->to_name);
	p_id(&p, q->actor_id);
	p_id(&p, q->task_id);
	p_bool(&p, q->task_done);
	/* NOTIFY is delivered at commit, so a mailer never looks before the row is there. */
	return db_one_int(db,
		   "WITH i AS (INSERT INTO mail_outbox (firm_id, kind, thread_id, message_id,"
		   "  ledger_id, user_id, to_email, to_name, actor_id, task_id, task_done)"
		   "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id)"
		   " SELECT i.id FROM i, pg_notify('folio_mail', '')",
		   &p, -1) > 0 ? 0 : -1;
}

int
db_mail_composed(struct db *db, int64_t id, const char *lease, const char *from_name,
    const struct mail_text *t, const char *ident)
{
	struct params p = { 0 };

	p_int(&p, id);
	p_str(&p, lease);
	p_str(&p, from_name);
	p_str(&p, t->subject);
	p_str(&p, t->text);
	p_str(&p, t->html);
	p_str(&p, ident);
	return db_run(db,
		   "UPDATE mail_outbox SET from_name = $3, subject = $4, body_text = $5,"
		   " body_html = $6, message_ident = $7 WHERE id = $1 AND lease = $2",
		   &p) == 1 ? 0 : -1;
}

struct json_object *
db_mail_claim(struct db *db, const char *lease, int lease_seconds)
{
	struct params p = { 0 };

	p_str(&p, lease);
	p_int(&p, lease_seconds);
	/*
	 * Due and not leased (a lease of a sender that died has run out): take
	 * one, in its own short transaction, so no row lock outlives this
	 * statement; the lease keeps other senders away during SMTP.
	 */
	return db_one_json(db,
	    "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, lease = $1,"
	    " locked_until = clock_timestamp() + make_interval(secs => $2)"
	    " WHERE id = (SELECT id FROM mail_outbox"
	    "  WHERE state IN ('pending', 'sending') AND next_attempt_at <= folio_now()"
	    "  AND (locked_until IS NULL OR locked_until < clock_timestamp())"
	    "  ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
	    " RETURNING id, kind, thread_id, message_id, actor_id, task_id, task_done,"
	    " to_email, to_name, from_name, subject, body_text, body_html, message_ident, attempts",
	    &p);
}

int
db_mail_finish(struct db *db, int64_t id, const char *lease, enum mail_result r, const char *err,
    struct mail_failed *failed)
{
	struct params p = { 0 };
	struct pg_result *res;

	memset(failed, 0, sizeof *failed);
	p_int(&p, id);
	p_str(&p, lease);
	p_str(&p, r == MAIL_SENT ? "sent" : r == MAIL_FAILED ? "failed" : "pending");
	p_str(&p, r == MAIL_SENT ? NULL : err);
	p_int(&p, cfg.mail_retry_seconds > 0 ? cfg.mail_retry_seconds : 1);
	p_int(&p, MAIL_RETRY_MAX_SECONDS);
	/* Only while our lease holds: after it ran out the row is someone else's. */
	res = db_exec(db,
	    "UPDATE mail_outbox SET locked_until = NULL, lease = NULL, last_error = $4,"
	    " state = CASE WHEN $3 = 'pending'"
	    "   AND created_at < folio_now() - interval '" MAIL_GIVE_UP "'"
	    "   THEN 'failed' ELSE $3 END,"
	    " sent_at = CASE WHEN $3 = 'sent' THEN folio_now() END,"
	    " next_attempt_at = CASE WHEN $3 = 'pending' THEN folio_now() +"
	    " make_interval(secs =>"
	    "   least($5::float8 * power(2, least(attempts - 1, 30)), $6)) ELSE"
	    " next_attempt_at END"
	    " WHERE id = $1 AND lease = $2 AND state = 'sending'"
	    /* Only mails about the message itself count in its delivery (db-messages.c). */
	    " RETURNING state = 'failed' AND kind IN ('thread', 'message'), firm_id,"
	    "  coalesce(thread_id, (SELECT m.thread_id FROM messages m"
	    "   WHERE m.id = mail_outbox.message_id), 0),"
	    "  coalesce(message_id, 0)",
	    &p);
	if (res == NULL)
		return -1;
	if (db_rows(res) > 0 && strcmp(db_text(res, 0, 0), "t") == 0) {
		failed->firm_id = db_int(res, 0, 1);
		failed->thread_id = db_int(res, 0, 2);
		failed->message_id = db_int(res, 0, 3);
	}
	db_clear(res);
	return 0;
}

int64_t
db_mail_due(struct db *db)
{
	/* Due mail this pass could not take: leased by a sender that is at it now. */
	return db_one_int(db,
	    "SELECT count(*) FROM mail_outbox WHERE state IN ('pending', 'sending')"
	    " AND next_attempt_at <= folio_now()",
	    NULL, -1);
}

int64_t
db_mail_next_ms(struct db *db, bool mail)
{
	struct params p = { 0 };

	p_bool(&p, mail);
	/* Milliseconds until the next mail attempt, lease expiry or reminder is due. */
	return db_one_int(db,
	    "SELECT greatest(0, coalesce(1000 * extract(epoch FROM least("
	    "  (SELECT min(next_attempt_at) FROM mail_outbox WHERE $1 AND state = 'pending') -"
	    " folio_now(),"
	    "  (SELECT min(greatest(next_attempt_at - folio_now(), locked_until -"
	    " clock_timestamp()))"
	    "    FROM mail_outbox WHERE $1 AND state = 'sending'),"
	    "  (SELECT min(reminder_next_due_at) FROM threads WHERE reminder_next_due_at IS NOT"
	    " NULL)"
	    "    - folio_now())), 86400000))::bigint",
	    &p, -1);
}

int
db_mail_listen(struct db *db)
{
	return db_run(db, "LISTEN folio_mail", NULL) < 0 ? -1 : 0;
}

/* Takes every notification libpq holds; true when there was one. */
static bool
db_mail_notified(struct db *db)
{
	PGnotify *n;
	bool got = false;

	while ((n = PQnotifies(db->conn)) != NULL) {
		got = true;
		PQfreemem(n);
	}
	return got;
}

int
db_mail_wait(struct db *db, int stop_fd, long timeout_ms)
{
	struct pollfd fds[2];

	if (db->conn == NULL || db->broken)
		return -1;
	/*
	 * A notification that arrived while the last pass (or the wait-time
	 * query) ran is already read off the socket and sits in libpq's queue:
	 * polling would not see it, and the mail would wait for the timeout.
	 */
	if (PQconsumeInput(db->conn) == 0) {
		log_warn("mail: database: %s", PQerrorMessage(db->conn));
		db->broken = true;
		return -1;
	}
	if (db_mail_notified(db))
		return 1;
	fds[0].fd = PQsocket(db->conn);
	fds[0].events = POLLIN;
	fds[1].fd = stop_fd;
	fds[1].events = POLLIN;
	if (poll(fds, 2, (int)timeout_ms) < 0 && errno != EINTR)
		return -1;
	if (fds[0].revents && PQconsumeInput(db->conn) == 0) {
		log_warn("mail: database: %s", PQerrorMessage(db->conn));
		db->broken = true;
		return -1;
	}
	return db_mail_notified(db) ? 1 : 0;
}

struct json_object *
db_mail_ledger(struct db *db, int64_t firm_id, int64_t thread_id)
{
	struct params p = { 0 };

	p_int(&p, firm_id);
	p_int(&p, thread_id);
	/* remaining: reminders still to come in the running cycle (0 once ended or off). */
	return db_one_json(db,
	    "SELECT t.id AS thread_id, t.reminders_enabled AS enabled,"
	    " t.reminder_interval_days AS interval_days, t.reminder_max_count AS max_count,"
	    " t.reminder_sent_count AS sent_count, folio_ts(t.reminder_next_due_at) AS next_due_at,"
	    " CASE WHEN t.reminder_next_due_at IS NULL THEN 0"
	    "   ELSE greatest(t.reminder_max_count - t.reminder_sent_count, 0) END AS remaining,"
	    " t.reminder_ended_by AS ended_by,"
	    " (SELECT coalesce(json_agg(json_build_object('id', l.id, 'kind', l.kind, 'seq', l.seq,"
	    "   'sent_at', folio_ts(l.sent_at), 'message_id', l.message_id, 'sent_by', l.sent_by,"
	    "   'recipients', d.recipients, 'deliveries', d.deliveries,"
	    "   'state', CASE WHEN d.n = 0 THEN 'no_recipients' WHEN d.pending > 0 THEN 'pending'"
	    "     WHEN d.failed = d.n THEN 'failed' WHEN d.failed > 0 THEN 'partly_failed'"
	    "     ELSE 'sent' END) ORDER BY l.id), '[]')"
	    "  FROM reminder_ledger l CROSS JOIN LATERAL (SELECT count(*) AS n,"
	    "    count(*) FILTER (WHERE o.state IN ('pending', 'sending')) AS pending,"
	    "    count(*) FILTER (WHERE o.state = 'failed') AS failed,"
	    "    coalesce(json_agg(o.to_email ORDER BY o.id), '[]') AS recipients,"
	    "    coalesce(json_agg(json_build_object('user_id', o.user_id, 'name', o.to_name,"
	    "      'email', o.to_email, 'state', o.state, 'attempts', o.attempts,"
	    "      'error', o.last_error, 'sent_at', folio_ts(o.sent_at)) ORDER BY o.id), '[]')"
	    "      AS deliveries"
	    "    FROM mail_outbox o WHERE o.ledger_id = l.id) d"
	    "  WHERE l.thread_id = t.id) AS items"
	    " FROM threads t WHERE t.id = $2 AND t.firm_id = $1",
	    &p);
}
