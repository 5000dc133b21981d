"""Plans of the hot read statements on a grown database (docs/BENCHMARKS.md, "Plans at real size").

Runs EXPLAIN (ANALYZE, BUFFERS) for each statement below -- copies of the SQL in
server/*.c, with the parameters a real request would pass (a staff user of the
biggest firm, a portal contact of one of its accounts, a small firm's staff for
the event log) -- twice: with a custom plan (the values known when planning, as
an unnamed statement gets) and with a generic plan (as a statement prepared once
per connection gets after a few runs, when PostgreSQL finds it no dearer).
Everything runs in a transaction that is rolled back.

For each it prints the plan's shape, the rows its scans read (returned plus
filtered out, times loops) and the buffers it touched; with --verbose the plans.

    tests/bench/plans.py --db NAME [--host PGHOST] [--only SUBSTRING] [--verbose] [--after]

Seed the database first (tests/bench/seed.sql, the real size of bench_scale.py).
The statements are copies: keep them in step with the server when it changes. The
thread and message statements (db-threads.c) are those of commit 1784d20, before the
write-path rewrite; the account, notification and event ones are as changed with
sql/005_scale.sql (--after) and as they were before (default).
"""

import argparse
import json
import os
import subprocess
import sys

PGHOST = os.environ.get("FOLIO_TEST_PGHOST", "")

# Values looked up once: the biggest firm, its owner, a member, a bench thread,
# its account and portal contact; a small firm's owner; event ids.
LOOKUP = """
WITH f AS (SELECT firm_id FROM accounts GROUP BY firm_id ORDER BY count(*) DESC, firm_id LIMIT 1),
     small AS (SELECT firm_id FROM accounts GROUP BY firm_id ORDER BY count(*), firm_id LIMIT 1),
     t AS (SELECT min(id) AS id FROM threads WHERE firm_id = (SELECT firm_id FROM f))
SELECT json_build_object(
  'firm', (SELECT firm_id FROM f),
  'staff', (SELECT min(user_id) FROM staff WHERE firm_id = (SELECT firm_id FROM f) AND role = 'owner'),
  'member', (SELECT max(user_id) FROM staff WHERE firm_id = (SELECT firm_id FROM f)),
  'thread', (SELECT id FROM t),
  'account', (SELECT account_id FROM threads WHERE id = (SELECT id FROM t)),
  'contact', (SELECT min(c.user_id) FROM contacts c JOIN threads th ON th.account_id = c.account_id
               WHERE th.id = (SELECT id FROM t) AND c.portal_access),
  'message', (SELECT max(id) FROM messages WHERE thread_id = (SELECT id FROM t)),
  'small_firm', (SELECT firm_id FROM small),
  'small_staff', (SELECT min(user_id) FROM staff WHERE firm_id = (SELECT firm_id FROM small)),
  'events_first', (SELECT coalesce(min(id), 0) FROM events),
  'events_recent', (SELECT coalesce(max(id), 0) - 1000 FROM events),
  'reader', (SELECT r.user_id FROM read_markers r JOIN staff s ON s.user_id = r.user_id
               JOIN threads th ON th.id = r.thread_id
              WHERE s.firm_id = (SELECT firm_id FROM f) AND r.up_to_message_id = th.last_message_id
              GROUP BY r.user_id ORDER BY count(*) DESC, r.user_id LIMIT 1),
  'email', (SELECT email FROM users WHERE id = (SELECT min(user_id) FROM staff
            WHERE firm_id = (SELECT firm_id FROM f) AND role = 'owner')))
"""

# Run before each statement, inside the transaction: a session of the staff user.
SETUP = """
INSERT INTO sessions (user_id, token_hash, expires_at)
VALUES ({staff}, sha256('plans.py'::bytea), now() + interval '1 day');
"""

THREAD_SELECT = (
    "SELECT t.id, t.account_id, a.name AS account_name, t.subject, t.created_by,"
    " folio_ts(t.created_at) AS created_at,"
    " folio_ts(CASE WHEN $2 THEN t.last_message_at ELSE t.last_public_message_at END)"
    "   AS last_message_at,"
    " CASE WHEN $2 THEN t.last_message_id ELSE t.last_public_message_id END AS last_message_id,"
    " CASE WHEN $1 <> 0 THEN folio_unread(t.id, $1, $2) END AS unread_count,"
    " t.archived, folio_ts(t.archived_at) AS archived_at, t.assignee_id,"
    " CASE t.last_public_author_kind WHEN 'contact' THEN 'firm' WHEN 'staff' THEN 'client' END"
    "   AS waiting_on,"
    " folio_ts(t.waiting_since) AS waiting_since,"
    " json_build_object('enabled', t.reminders_enabled, 'interval_days', t.reminder_interval_days,"
    "   'max_count', t.reminder_max_count, 'sent_count', t.reminder_sent_count,"
    "   'next_due_at', folio_ts(t.reminder_next_due_at), 'ended_by', t.reminder_ended_by)"
    "   AS reminders,"
    " (SELECT coalesce(json_agg(json_build_object('id', k.id, 'title', k.title, 'done', k.done)"
    "   ORDER BY k.position, k.id), '[]') FROM tasks k WHERE k.thread_id = t.id) AS tasks"
    " FROM threads t JOIN accounts a ON a.id = t.account_id"
    " WHERE t.firm_id = $3 AND ($4::bigint IS NULL OR t.account_id = $4)")
BY_ACTIVITY = "CASE WHEN $2 THEN t.last_message_at ELSE t.last_public_message_at END DESC, t.id DESC"
BY_WAITING = "t.waiting_since ASC NULLS LAST, t.id"


def threads_list(unread, by_waiting):
    if unread:
        return ("SELECT * FROM (%s AND ($5::bigint IS NULL OR t.account_id = $5)"
                "   AND ($6::boolean IS NULL OR t.archived = $6)"
                "   AND ($8::text IS NULL OR ($8 = 'none' AND t.assignee_id IS NULL)"
                "        OR ($8 = 'id' AND t.assignee_id = $9))) x"
                " WHERE $7 AND unread_count > 0 AND ($10::text IS NULL OR waiting_on = $10)"
                " ORDER BY %s LIMIT $11 OFFSET $12") % (
                    THREAD_SELECT, "waiting_since ASC NULLS LAST, id" if by_waiting
                    else "last_message_at DESC, id DESC")
    order = BY_WAITING if by_waiting else BY_ACTIVITY
    return ("%s AND t.id IN (SELECT t.id FROM threads t WHERE t.firm_id = $3"
            "   AND ($4::bigint IS NULL OR t.account_id = $4)"
            "   AND ($5::bigint IS NULL OR t.account_id = $5)"
            "   AND ($6::boolean IS NULL OR t.archived = $6) AND NOT $7"
            "   AND ($8::text IS NULL OR ($8 = 'none' AND t.assignee_id IS NULL)"
            "        OR ($8 = 'id' AND t.assignee_id = $9))"
            "   AND ($10::text IS NULL OR $10 = CASE t.last_public_author_kind"
            "        WHEN 'contact' THEN 'firm' WHEN 'staff' THEN 'client' END)"
            "   ORDER BY %s LIMIT $11 OFFSET $12) ORDER BY %s") % (THREAD_SELECT, order, order)


MESSAGE_SELECT = (
    "SELECT m.id, m.thread_id,"
    " json_build_object('kind', m.author_kind, 'id', m.author_id, 'name', u.name) AS author,"
    " m.body, m.body_html, m.internal, folio_ts(m.created_at) AS created_at,"
    " '[]'::json AS documents, m.embeds, m.mentions,"
    " CASE WHEN m.author_id = $1 THEN m.client_msg_id END AS client_msg_id,"
    " CASE WHEN $2 THEN (SELECT json_build_object('sent', count(*) FILTER (WHERE o.state = 'sent'),"
    "   'pending', count(*) FILTER (WHERE o.state IN ('pending', 'sending')),"
    "   'failed', count(*) FILTER (WHERE o.state = 'failed'),"
    "   'failures', coalesce(json_agg(json_build_object('email', o.to_email, 'error', o.last_error))"
    "     FILTER (WHERE o.state = 'failed'), '[]'))"
    "  FROM mail_outbox o WHERE o.message_id = m.id AND o.kind IN ('thread', 'message')) END"
    "   AS delivery"
    " FROM messages m JOIN users u ON u.id = m.author_id"
    " WHERE ($2 OR NOT m.internal)")

ACCOUNT_COLS = (
    "a.id, a.name, folio_ts(a.created_at) AS created_at,"
    " folio_ts(CASE WHEN $2 THEN a.last_activity_at ELSE a.last_public_activity_at END)"
    "   AS last_activity_at,"
    " (SELECT coalesce(sum(folio_unread(t.id, $1, $2)), 0)::bigint FROM threads t"
    "   WHERE t.account_id = a.id) AS unread_count")
ACCOUNTS_BY_ACTIVITY = ("CASE WHEN $2 THEN a.last_activity_at ELSE a.last_public_activity_at END DESC NULLS LAST,"
                        " lower(a.name), a.id")


def accounts_list(unread, by_name):
    order = "lower(a.name), a.id" if by_name else ACCOUNTS_BY_ACTIVITY
    if unread:
        return ("SELECT id, name, created_at, last_activity_at, unread_count FROM ("
                " SELECT %s, a.last_activity_at AS la, a.last_public_activity_at AS lpa"
                " FROM accounts a WHERE a.firm_id = $3 AND ($4::bigint IS NULL OR a.id = $4)"
                "   AND ($5::text IS NULL OR position(lower($5) in lower(a.name)) > 0)) a"
                " WHERE unread_count > 0"
                " ORDER BY %s LIMIT $6 OFFSET $7") % (
                    ACCOUNT_COLS, "lower(a.name), a.id" if by_name
                    else "CASE WHEN $2 THEN a.la ELSE a.lpa END DESC NULLS LAST, lower(a.name), a.id")
    return ("SELECT %s FROM (SELECT a.* FROM accounts a WHERE a.firm_id = $3"
            "   AND ($4::bigint IS NULL OR a.id = $4)"
            "   AND ($5::text IS NULL OR position(lower($5) in lower(a.name)) > 0)"
            "   ORDER BY %s LIMIT $6 OFFSET $7) a ORDER BY %s") % (ACCOUNT_COLS, order, order)


NOTIFICATION_COLUMNS = (
    " n.id, n.type, n.thread_id, n.account_id, a.name AS account_name, t.subject,"
    " CASE WHEN x.id IS NULL THEN NULL ELSE"
    "   json_build_object('kind', x.kind, 'id', x.id, 'name', x.name) END AS actor,"
    " n.message_id, folio_ts(n.created_at) AS created_at,"
    " folio_ts(n.bumped_at) AS bumped_at, n.read_at IS NOT NULL AS read")
NOTIFICATION_JOINS = (
    " JOIN threads t ON t.id = n.thread_id JOIN accounts a ON a.id = n.account_id"
    " LEFT JOIN users x ON x.id = n.actor_id")

EVENTS_COLUMNS = (
    "SELECT id, type, firm_id, coalesce(account_id, 0), staff_only, coalesce(user_id, 0),"
    " coalesce(actor_id, 0), staff_payload, contact_payload, actor_payload FROM events")

# (name, file, SQL, parameters). Parameters are Python values or '{key}' of LOOKUP.
STATEMENTS = [
    ("auth: session lookup", "auth.c auth_resolve",
     "SELECT s.id, u.id, u.firm_id, u.kind, coalesce(st.role, ''), coalesce(c.account_id, 0),"
     "       u.name, u.email, coalesce(c.portal_access, true)"
     "  FROM sessions s JOIN users u ON u.id = s.user_id"
     "  LEFT JOIN staff st ON st.user_id = u.id LEFT JOIN contacts c ON c.user_id = u.id"
     " WHERE s.token_hash = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now()",
     ["\\x" + "{token_hex}"]),
    ("auth: view_as_account", "auth.c auth_view_as",
     "SELECT id FROM accounts WHERE id = $1 AND firm_id = $2", ["{account}", "{firm}"]),
    ("login: user by email", "route-sessions.c route_sessions_create",
     "SELECT u.id, u.password_hash FROM users u LEFT JOIN contacts c ON c.user_id = u.id"
     " WHERE lower(u.email) = lower($1) AND (u.kind = 'staff' OR c.portal_access)", ["{email}"]),
    ("sessions still valid", "events-log.c events_log_sessions_valid",
     "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id"
     " LEFT JOIN contacts c ON c.user_id = u.id"
     " WHERE s.id = ANY ($1::bigint[]) AND s.revoked_at IS NULL AND s.expires_at > now()"
     " AND coalesce(c.portal_access, true) ORDER BY s.id", ["{session_ids}"]),

    ("accounts: staff, by activity, first 200", "db-people.c db_accounts_list",
     accounts_list(False, False), ["{staff}", True, "{firm}", None, None, 200, 0]),
    ("accounts: staff, by activity, last page (offset 4,800)", "db-people.c db_accounts_list",
     accounts_list(False, False), ["{staff}", True, "{firm}", None, None, 200, 4800]),
    ("accounts: staff, by name, first 200", "db-people.c db_accounts_list",
     accounts_list(False, True), ["{staff}", True, "{firm}", None, None, 200, 0]),
    ("accounts: staff, q=0042", "db-people.c db_accounts_list",
     accounts_list(False, False), ["{staff}", True, "{firm}", None, "0042", 50, 0]),
    ("accounts: staff, unread=true", "db-people.c db_accounts_list",
     accounts_list(True, False), ["{staff}", True, "{firm}", None, None, 50, 0]),
    ("accounts: staff who read everything, unread=true", "db-people.c db_accounts_list",
     accounts_list(True, False), ["{reader}", True, "{firm}", None, None, 50, 0]),
    ("accounts: contact", "db-people.c db_accounts_list",
     accounts_list(False, False), ["{contact}", False, "{firm}", "{account}", None, 50, 0]),
    ("account: one, staff", "db-people.c db_account_get",
     "SELECT " + ACCOUNT_COLS + ", (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name,"
     "   'email', u.email, 'portal_access', c.portal_access, 'notify', c.notify) ORDER BY u.id),"
     "   '[]') FROM contacts c JOIN users u ON u.id = c.user_id WHERE c.account_id = a.id)"
     "   AS contacts"
     " FROM accounts a WHERE a.firm_id = $3 AND a.id = $4 AND ($5::bigint IS NULL OR a.id = $5)",
     ["{staff}", True, "{firm}", "{account}", None]),
    ("staff list", "db-people.c db_staff_list",
     "SELECT u.id, u.name, u.email, s.role, folio_ts(u.created_at) AS created_at"
     " FROM staff s JOIN users u ON u.id = s.user_id WHERE s.firm_id = $1 ORDER BY lower(u.name), u.id",
     ["{firm}"]),

    ("threads: staff, default (not archived, 50)", "db-threads.c db_threads_list",
     threads_list(False, False), ["{staff}", True, "{firm}", None, None, False, False, None, None, None, 50, 0]),
    ("threads: staff, unread=true, 200", "db-threads.c db_threads_list",
     threads_list(True, False), ["{staff}", True, "{firm}", None, None, False, True, None, None, None, 200, 0]),
    ("threads: staff who read everything, unread=true, 200", "db-threads.c db_threads_list",
     threads_list(True, False), ["{reader}", True, "{firm}", None, None, False, True, None, None, None, 200, 0]),
    ("threads: staff, account_id, archived=false, 200", "db-threads.c db_threads_list",
     threads_list(False, False), ["{staff}", True, "{firm}", None, "{account}", False, False, None, None, None,
                                  200, 0]),
    ("threads: staff, sort=waiting_since, waiting_on=firm", "db-threads.c db_threads_list",
     threads_list(False, True), ["{staff}", True, "{firm}", None, None, False, False, None, None, "firm", 50, 0]),
    ("threads: staff, assigned_to=me", "db-threads.c db_threads_list",
     threads_list(False, False), ["{staff}", True, "{firm}", None, None, False, False, "id", "{staff}", None,
                                  50, 0]),
    ("threads: contact, default", "db-threads.c db_threads_list",
     threads_list(False, False), ["{contact}", False, "{firm}", "{account}", None, False, False, None, None, None,
                                  50, 0]),
    ("thread: one, staff", "db-threads.c db_thread_get",
     THREAD_SELECT + " AND t.id = $5", ["{staff}", True, "{firm}", None, "{thread}"]),
    ("thread: visible?", "db-threads.c db_thread_account",
     "SELECT account_id FROM threads WHERE id = $1 AND firm_id = $2"
     " AND ($3::bigint IS NULL OR account_id = $3)", ["{thread}", "{firm}", None]),
    ("messages: staff, last 50", "db-threads.c db_messages_list",
     "SELECT * FROM (%s AND m.thread_id = $3 AND ($4::bigint IS NULL OR m.id < $4)"
     " AND $5::bigint IS NULL ORDER BY m.id DESC LIMIT $6) x ORDER BY id" % MESSAGE_SELECT,
     ["{staff}", True, "{thread}", None, None, 50]),
    ("messages: staff, 50 before the last", "db-threads.c db_messages_list",
     "SELECT * FROM (%s AND m.thread_id = $3 AND ($4::bigint IS NULL OR m.id < $4)"
     " AND $5::bigint IS NULL ORDER BY m.id DESC LIMIT $6) x ORDER BY id" % MESSAGE_SELECT,
     ["{staff}", True, "{thread}", "{message}", None, 50]),
    ("messages: contact, last 50", "db-threads.c db_messages_list",
     "SELECT * FROM (%s AND m.thread_id = $3 AND ($4::bigint IS NULL OR m.id < $4)"
     " AND $5::bigint IS NULL ORDER BY m.id DESC LIMIT $6) x ORDER BY id" % MESSAGE_SELECT,
     ["{contact}", False, "{thread}", None, None, 50]),
    ("message: one", "db-threads.c db_message_get",
     MESSAGE_SELECT + " AND m.id = $3", ["{staff}", True, "{message}"]),
    ("message: by client_msg_id", "db-threads.c db_client_msg_find",
     "SELECT m.id, m.thread_id, NOT EXISTS (SELECT 1 FROM messages o"
     "   WHERE o.thread_id = m.thread_id AND o.id < m.id)"
     " FROM messages m WHERE m.author_id = $1 AND m.client_msg_id = $2", ["{staff}", "plans-py-1"]),
    ("unread: folio_unread body, staff", "sql/001_core.sql folio_unread",
     "SELECT count(*) FROM messages m"
     " WHERE m.thread_id = $1"
     "   AND m.id > coalesce((SELECT up_to_message_id FROM read_markers r"
     "                         WHERE r.thread_id = $1 AND r.user_id = $2), 0)"
     "   AND m.author_id <> $2 AND ($3 OR NOT m.internal)", ["{thread}", "{staff}", True]),
    ("read marker: set", "db-threads.c db_read_marker_set",
     "WITH m AS (INSERT INTO read_markers (thread_id, user_id, firm_id, up_to_message_id)"
     "   VALUES ($1, $2, $3, $4) ON CONFLICT (thread_id, user_id)"
     "   DO UPDATE SET up_to_message_id = $4 RETURNING thread_id)"
     " SELECT $1::bigint AS thread_id, $4::bigint AS up_to_message_id,"
     " (SELECT count(*) FROM messages x WHERE x.thread_id = $1 AND x.id > $4"
     "   AND x.author_id <> $2 AND ($5 OR NOT x.internal)) AS unread_count FROM m",
     ["{thread}", "{staff}", "{firm}", "{message}", True]),

    ("notifications: staff, 100", "db-notify.c db_notify_list",
     "SELECT id, type, thread_id, account_id, account_name, subject, actor, message_id,"
     " created_at, bumped_at, read FROM (SELECT DISTINCT ON"
     " (n.thread_id)" + NOTIFICATION_COLUMNS +
     "  , n.bump FROM notifications n" + NOTIFICATION_JOINS +
     "  WHERE CASE WHEN $2::bigint IS NULL THEN n.user_id = $1"
     "   ELSE n.account_id = $2"
     "    AND n.user_id IN (SELECT user_id FROM contacts WHERE account_id = $2) END"
     "  AND (NOT $3 OR n.read_at IS NULL)"
     "  ORDER BY n.thread_id, n.bump DESC) z"
     " ORDER BY bump DESC LIMIT $4 OFFSET $5", ["{staff}", None, False, 100, 0]),
    ("notifications: staff viewing as the account", "db-notify.c db_notify_list",
     "SELECT id, type, thread_id, account_id, account_name, subject, actor, message_id,"
     " created_at, bumped_at, read FROM (SELECT DISTINCT ON"
     " (n.thread_id)" + NOTIFICATION_COLUMNS +
     "  , n.bump FROM notifications n" + NOTIFICATION_JOINS +
     "  WHERE CASE WHEN $2::bigint IS NULL THEN n.user_id = $1"
     "   ELSE n.account_id = $2"
     "    AND n.user_id IN (SELECT user_id FROM contacts WHERE account_id = $2) END"
     "  AND (NOT $3 OR n.read_at IS NULL)"
     "  ORDER BY n.thread_id, n.bump DESC) z"
     " ORDER BY bump DESC LIMIT $4 OFFSET $5", ["{staff}", "{account}", False, 100, 0]),
    ("notifications: unread count, staff", "db-notify.c db_notify_unread_count",
     "SELECT count(*) FROM (SELECT DISTINCT ON (n.thread_id) n.read_at FROM notifications n"
     "  WHERE CASE WHEN $2::bigint IS NULL THEN n.user_id = $1"
     "   ELSE n.account_id = $2"
     "    AND n.user_id IN (SELECT user_id FROM contacts WHERE account_id = $2) END"
     "  ORDER BY n.thread_id, n.bump DESC) z WHERE read_at IS NULL", ["{staff}", None]),
    ("notifications: unread count, viewing as the account", "db-notify.c db_notify_unread_count",
     "SELECT count(*) FROM (SELECT DISTINCT ON (n.thread_id) n.read_at FROM notifications n"
     "  WHERE CASE WHEN $2::bigint IS NULL THEN n.user_id = $1"
     "   ELSE n.account_id = $2"
     "    AND n.user_id IN (SELECT user_id FROM contacts WHERE account_id = $2) END"
     "  ORDER BY n.thread_id, n.bump DESC) z WHERE read_at IS NULL", ["{staff}", "{account}"]),
    ("notifications: thread read", "db-notify.c db_notify_thread_read",
     "UPDATE notifications SET read_at = folio_now()"
     " WHERE user_id = $1 AND thread_id = $2 AND read_at IS NULL"
     " AND folio_unread($2, $1, $3) = 0", ["{staff}", "{thread}", True]),
    ("notify: staff recipients", "db-notify.c db_notify_staff",
     "SELECT u.id, u.name, u.email, coalesce(ns.email, true) AS mail"
     " FROM staff s JOIN users u ON u.id = s.user_id"
     " LEFT JOIN notification_settings ns ON ns.user_id = s.user_id"
     " WHERE s.firm_id = $1 AND s.user_id IS DISTINCT FROM $3"
     " AND NOT (s.user_id = ANY ($4::bigint[]))"
     " AND ($2::bigint IS NULL OR s.user_id = $2 OR coalesce(ns.all_client_activity, false))"
     " ORDER BY u.id", ["{firm}", None, "{contact}", "{{}}"]),
    ("notify: contact recipients", "db-notify.c db_notify_contacts",
     "SELECT u.id, u.name, u.email, c.notify AS mail FROM threads t"
     " JOIN contacts c ON c.account_id = t.account_id JOIN users u ON u.id = c.user_id"
     " WHERE t.id = $1 AND c.portal_access ORDER BY u.id", ["{thread}"]),

    ("events: a small firm's stream, resumed 1,000 back", "events-log.c events_log_read",
     EVENTS_COLUMNS + " WHERE id > $1 AND ($3::bigint IS NULL OR firm_id = $3) ORDER BY id LIMIT $2",
     ["{events_recent}", 200, "{small_firm}"]),
    ("events: a small firm's stream, from the horizon", "events-log.c events_log_read",
     EVENTS_COLUMNS + " WHERE id > $1 AND ($3::bigint IS NULL OR firm_id = $3) ORDER BY id LIMIT $2",
     ["{events_first}", 200, "{small_firm}"]),
    ("events: the listener, all firms", "events-log.c events_log_read",
     EVENTS_COLUMNS + " WHERE id > $1 AND ($3::bigint IS NULL OR firm_id = $3) ORDER BY id LIMIT $2",
     ["{events_recent}", 500, None]),
    ("events: head", "sql/002_events.sql folio_events_head", "SELECT folio_events_head()", []),

    ("mail: claim", "db-mail.c db_mail_claim",
     "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, lease = $1,"
     " locked_until = clock_timestamp() + make_interval(secs => $2)"
     " WHERE id = (SELECT id FROM mail_outbox"
     "  WHERE state IN ('pending', 'sending') AND next_attempt_at <= folio_now()"
     "  AND (locked_until IS NULL OR locked_until < clock_timestamp())"
     "  ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
     " RETURNING id, to_email, to_name, from_name, subject, body_text, body_html,"
     " message_ident, attempts", ["plans", 300]),
    ("mail: due count", "db-mail.c db_mail_due",
     "SELECT count(*) FROM mail_outbox WHERE state IN ('pending', 'sending')"
     " AND next_attempt_at <= folio_now()", []),
    ("mail: ms to the next job", "db-mail.c db_mail_next_ms",
     "SELECT greatest(0, coalesce(1000 * extract(epoch FROM least("
     "  (SELECT min(next_attempt_at) FROM mail_outbox WHERE $1 AND state = 'pending') -"
     " folio_now(),"
     "  (SELECT min(greatest(next_attempt_at - folio_now(), locked_until -"
     " clock_timestamp()))"
     "    FROM mail_outbox WHERE $1 AND state = 'sending'),"
     "  (SELECT min(reminder_next_due_at) FROM threads WHERE reminder_next_due_at IS NOT"
     " NULL)"
     "    - folio_now())), 86400000))::bigint", [True]),
    ("reminders: take a due thread", "db-reminders.c db_reminders_take_due",
     "SELECT id FROM threads WHERE reminder_next_due_at <= folio_now()"
     " AND NOT (id = ANY ($1::bigint[]))"
     " ORDER BY reminder_next_due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", ["{{}}"]),
    ("reminders: due count", "db-reminders.c db_reminders_due_count",
     "SELECT count(*) FROM threads WHERE reminder_next_due_at <= folio_now()", []),
]


# --after: the statements as changed with sql/005_scale.sql (db-people.c, db-notify.c,
# events-log.c), and the changes proposed for db-threads.c (not in the server).


def accounts_cols_new(staff):
    return ("a.id, a.name, folio_ts(a.created_at) AS created_at, folio_ts(a.%s) AS last_activity_at,"
            " (SELECT coalesce(sum(folio_unread(t.id, $1, $2)), 0)::bigint FROM threads t"
            "   LEFT JOIN read_markers r ON r.thread_id = t.id AND r.user_id = $1"
            "   WHERE t.account_id = a.id AND t.%s > coalesce(r.up_to_message_id, 0)) AS unread_count") % (
                "last_activity_at" if staff else "last_public_activity_at",
                "last_message_id" if staff else "last_public_message_id")


def accounts_list_new(staff, unread, by_name, contact=False, q=False):
    col = "last_activity_at" if staff else "last_public_activity_at"
    where, n = "a.firm_id = $3", 5
    if contact:
        n += 1
        where += " AND a.id = $%d" % n
    if q:
        n += 1
        where += " AND position(lower($%d) in lower(a.name)) > 0" % n
    order = "lower(a.name), a.id" if by_name else "a.%s DESC NULLS LAST, lower(a.name), a.id" % col
    if unread:
        return ("SELECT id, name, created_at, last_activity_at, unread_count FROM (SELECT %s, a.%s AS activity"
                " FROM accounts a WHERE %s) a WHERE unread_count > 0 ORDER BY %s LIMIT $4 OFFSET $5") % (
                    accounts_cols_new(staff), col, where,
                    "lower(a.name), a.id" if by_name else "a.activity DESC NULLS LAST, lower(a.name), a.id")
    return ("SELECT %s FROM (SELECT a.* FROM accounts a WHERE %s ORDER BY %s LIMIT $4 OFFSET $5) a"
            " ORDER BY %s") % (accounts_cols_new(staff), where, order, order)


def notify_items_new(view_as, unread):
    r = " AND n.read_at IS NULL" if unread else ""
    if view_as:
        return ("(SELECT DISTINCT ON (n.thread_id) n.* FROM contacts c"
                "  JOIN notifications n ON n.user_id = c.user_id"
                "  WHERE c.account_id = $1 AND n.account_id = $1%s"
                "  ORDER BY n.thread_id, n.bump DESC)") % r
    return "(SELECT * FROM notifications n WHERE n.user_id = $1%s)" % r


def notify_list_new(view_as, unread):
    return ("SELECT" + NOTIFICATION_COLUMNS + " FROM (SELECT * FROM " + notify_items_new(view_as, unread) +
            " i ORDER BY i.bump DESC LIMIT $2 OFFSET $3) n" + NOTIFICATION_JOINS + " ORDER BY n.bump DESC")


# Proposed for db-threads.c: with ?unread=true, the page is picked like the others
# (in threads_firm order, stopping at the limit), and a thread is looked into only
# when its last visible message lies past the user's marker; EXISTS, not a count.
UNREAD_MARKER = ("coalesce((SELECT r.up_to_message_id FROM read_markers r"
                 " WHERE r.thread_id = t.id AND r.user_id = $1), 0)")
UNREAD_PROPOSED = (
    "CASE WHEN CASE WHEN $2 THEN t.last_message_id ELSE t.last_public_message_id END > %s"
    " THEN EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.id > %s"
    "  AND m.author_id <> $1 AND ($2 OR NOT m.internal)) ELSE false END") % (UNREAD_MARKER, UNREAD_MARKER)
THREADS_UNREAD_PROPOSED = (
    "%s AND t.id IN (SELECT t.id FROM threads t WHERE t.firm_id = $3"
    "   AND ($4::bigint IS NULL OR t.account_id = $4)"
    "   AND ($5::bigint IS NULL OR t.account_id = $5)"
    "   AND ($6::boolean IS NULL OR t.archived = $6) AND $7"
    "   AND ($8::text IS NULL OR ($8 = 'none' AND t.assignee_id IS NULL)"
    "        OR ($8 = 'id' AND t.assignee_id = $9))"
    "   AND ($10::text IS NULL OR $10 = CASE t.last_public_author_kind"
    "        WHEN 'contact' THEN 'firm' WHEN 'staff' THEN 'client' END)"
    "   AND %s"
    "   ORDER BY %s LIMIT $11 OFFSET $12) ORDER BY %s") % (THREAD_SELECT, UNREAD_PROPOSED, BY_ACTIVITY,
                                                          BY_ACTIVITY)
# Proposed for db-threads.c: waiting_on as the column itself ('contact' for firm,
# 'staff' for client, mapped in C), so the planner knows how many match and walks
# threads_waiting in order instead of reading every thread of every firm.
THREADS_WAITING_PROPOSED = (
    "%s AND t.id IN (SELECT t.id FROM threads t WHERE t.firm_id = $3"
    "   AND ($4::bigint IS NULL OR t.account_id = $4)"
    "   AND ($5::bigint IS NULL OR t.account_id = $5)"
    "   AND ($6::boolean IS NULL OR t.archived = $6) AND NOT $7"
    "   AND ($8::text IS NULL OR ($8 = 'none' AND t.assignee_id IS NULL)"
    "        OR ($8 = 'id' AND t.assignee_id = $9))"
    "   AND ($10::text IS NULL OR t.last_public_author_kind = $10)"
    "   ORDER BY %s LIMIT $11 OFFSET $12) ORDER BY %s") % (THREAD_SELECT, BY_WAITING, BY_WAITING)

AFTER = {
    "accounts: staff, by activity, first 200": (accounts_list_new(True, False, False),
                                                ["{staff}", True, "{firm}", 200, 0]),
    "accounts: staff, by activity, last page (offset 4,800)": (accounts_list_new(True, False, False),
                                                               ["{staff}", True, "{firm}", 200, 4800]),
    "accounts: staff, by name, first 200": (accounts_list_new(True, False, True),
                                            ["{staff}", True, "{firm}", 200, 0]),
    "accounts: staff, q=0042": (accounts_list_new(True, False, False, q=True),
                                ["{staff}", True, "{firm}", 50, 0, "0042"]),
    "accounts: staff, unread=true": (accounts_list_new(True, True, False),
                                     ["{staff}", True, "{firm}", 50, 0]),
    "accounts: staff who read everything, unread=true": (accounts_list_new(True, True, False),
                                                         ["{reader}", True, "{firm}", 50, 0]),
    "accounts: contact": (accounts_list_new(False, False, False, contact=True),
                          ["{contact}", False, "{firm}", 50, 0, "{account}"]),
    "account: one, staff": (
        "SELECT " + accounts_cols_new(True) + ", (SELECT coalesce(json_agg(json_build_object('id', u.id,"
        " 'name', u.name, 'email', u.email, 'portal_access', c.portal_access, 'notify', c.notify) ORDER BY u.id),"
        "   '[]') FROM contacts c JOIN users u ON u.id = c.user_id WHERE c.account_id = a.id)"
        "   AS contacts"
        " FROM accounts a WHERE a.firm_id = $3 AND a.id = $4 AND ($5::bigint IS NULL OR a.id = $5)",
        ["{staff}", True, "{firm}", "{account}", None]),
    "threads: staff, unread=true, 200": (THREADS_UNREAD_PROPOSED,
                                         ["{staff}", True, "{firm}", None, None, False, True, None, None, None,
                                          200, 0]),
    "threads: staff who read everything, unread=true, 200": (
        THREADS_UNREAD_PROPOSED, ["{reader}", True, "{firm}", None, None, False, True, None, None, None, 200, 0]),
    "threads: staff, sort=waiting_since, waiting_on=firm": (
        THREADS_WAITING_PROPOSED, ["{staff}", True, "{firm}", None, None, False, False, None, None, "contact",
                                   50, 0]),
    "notifications: staff, 100": (notify_list_new(False, False), ["{staff}", 100, 0]),
    "notifications: staff viewing as the account": (notify_list_new(True, False), ["{account}", 100, 0]),
    "notifications: unread count, staff": (
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL", ["{staff}"]),
    "notifications: unread count, viewing as the account": (
        "SELECT count(*) FROM " + notify_items_new(True, False) + " i WHERE i.read_at IS NULL", ["{account}"]),
    "events: a small firm's stream, resumed 1,000 back": (
        EVENTS_COLUMNS + " WHERE id IN (SELECT id FROM events WHERE firm_id = $3 AND id > $1"
        " ORDER BY id LIMIT $2) ORDER BY id", ["{events_recent}", 200, "{small_firm}"]),
    "events: a small firm's stream, from the horizon": (
        EVENTS_COLUMNS + " WHERE id IN (SELECT id FROM events WHERE firm_id = $3 AND id > $1"
        " ORDER BY id LIMIT $2) ORDER BY id", ["{events_first}", 200, "{small_firm}"]),
    "events: the listener, all firms": (EVENTS_COLUMNS + " WHERE id > $1 ORDER BY id LIMIT $2",
                                        ["{events_recent}", 500]),
}

SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Tid Scan"}


def literal(v, values):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v).format(**values)
    return "'" + s.replace("'", "''") + "'"


def psql(host, db, text):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", "folio",
                          "-d", db], input=text, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return out.stdout


def walk(node, depth=0):
    yield node, depth
    for child in node.get("Plans", []):
        yield from walk(child, depth + 1)


def summarize(plan):
    root = plan["Plan"]
    rows_read = 0
    shape = []
    seq = []
    for n, depth in walk(root):
        t = n["Node Type"]
        loops = n.get("Actual Loops", 1)
        if t in SCANS:
            read = (n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)
                    + n.get("Rows Removed by Index Recheck", 0)) * loops
            rows_read += read
            what = f"{t} {n.get('Index Name') or n.get('Relation Name')}"
            if n.get("Index Name"):
                what += f" on {n.get('Relation Name')}"
            shape.append(f"{what} ({read:g} rows)")
            if t == "Seq Scan":
                seq.append(f"{n.get('Relation Name')}: {read:g}")
        elif t in ("Sort", "Incremental Sort", "Limit", "Hash Join", "Nested Loop", "Merge Join",
                   "Aggregate", "Unique", "LockRows", "ModifyTable", "Function Scan", "Bitmap Index Scan"):
            if t == "Bitmap Index Scan":
                shape.append(f"Bitmap Index Scan {n.get('Index Name')} ({n.get('Actual Rows', 0) * loops:g})")
    buffers = root.get("Shared Hit Blocks", 0) + root.get("Shared Read Blocks", 0)
    return {"ms": round(plan.get("Execution Time", 0), 2), "buffers": buffers, "rows_read": int(rows_read),
            "seq_scans": seq, "shape": "; ".join(shape)}


def explain(host, db, values, sql, params, generic, verbose):
    args = ", ".join(literal(p, values) for p in params)
    text = ("BEGIN;\n" + SETUP.format(**values) +
            f"SET LOCAL plan_cache_mode = {'force_generic_plan' if generic else 'force_custom_plan'};\n"
            f"PREPARE plans_s AS {sql};\n"
            f"EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) EXECUTE plans_s{'(' + args + ')' if params else ''};\n")
    if verbose:
        text += (f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE plans_s{'(' + args + ')' if params else ''};\n")
    text += "ROLLBACK;\n"
    out = psql(host, db, text)
    start = out.index("[")
    dec = json.JSONDecoder()
    plan, end = dec.raw_decode(out[start:])
    return summarize(plan[0]), out[start + end:].strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--host", default=PGHOST)
    ap.add_argument("--only", default="", help="statements whose name contains this")
    ap.add_argument("--verbose", action="store_true", help="print the plans too")
    ap.add_argument("--custom-only", action="store_true")
    ap.add_argument("--after", action="store_true",
                    help="the statements as changed (needs sql/005_scale.sql applied)")
    args = ap.parse_args()
    values = json.loads(psql(args.host, args.db, LOOKUP))
    values["token_hex"] = psql(args.host, args.db, "SELECT encode(sha256('plans.py'::bytea), 'hex')").strip()
    values["session_ids"] = "{" + psql(args.host, args.db,
                                       "SELECT string_agg(id::text, ',') FROM (SELECT id FROM sessions"
                                       " ORDER BY id DESC LIMIT 100) s").strip() + "}"
    if values["session_ids"] == "{}":
        values["session_ids"] = "{1}"
    print("# " + json.dumps(values))
    for name, where, sql, params in STATEMENTS:
        if args.only and args.only not in name:
            continue
        if args.after and name in AFTER:
            sql, params = AFTER[name]
            where += " (proposed)" if "db-threads.c" in where else " (changed)"
        for generic in ([False] if args.custom_only else [False, True]):
            try:
                s, plan = explain(args.host, args.db, values, sql, params, generic, args.verbose)
            except RuntimeError as e:
                print(f"{name} [{where}] {'generic' if generic else 'custom'}: ERROR {e}")
                continue
            print(f"{name} [{where}] {'generic' if generic else 'custom'}: " + json.dumps(s))
            if args.verbose:
                print(plan)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
