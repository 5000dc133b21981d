-- 004_write_path.sql -- the write path in the database: a message send and a
-- new chat are one statement each (folio_message_post, folio_thread_post),
-- run as their own transaction. Each writes the message, moves the thread,
-- the author's read marker and the account, applies the reminder rules, and
-- writes the events, notification items and mail rows the change causes
-- (server/activity.c and server/notify.c hold the same rules for the other
-- changes). The views of a thread, a message and a notification item are SQL
-- functions, so a page, a reply and an event payload are built by one code.
-- Mails are queued as who/what; the mail worker writes their words when it
-- sends them (server/mail.c).

-- Functions with a query inside are PL/pgSQL: PostgreSQL 15 plans the body of
-- an SQL function again in every statement that calls it, PL/pgSQL keeps its
-- plans for the session (and a pool connection lives long).
CREATE OR REPLACE FUNCTION folio_now() RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN clock_timestamp() + make_interval(secs => (SELECT offset_seconds FROM clock));
END
$$;

CREATE OR REPLACE FUNCTION folio_unread(p_thread bigint, p_user bigint, p_staff boolean)
RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT count(*) FROM messages m
             WHERE m.thread_id = p_thread
               AND m.id > coalesce((SELECT up_to_message_id FROM read_markers r
                                     WHERE r.thread_id = p_thread AND r.user_id = p_user), 0)
               AND m.author_id <> p_user
               AND (p_staff OR NOT m.internal));
END
$$;

-- to_char() is STABLE: an IMMUTABLE wrapper cannot be inlined and would run as
-- a function call of its own for every time in every view.
CREATE OR REPLACE FUNCTION folio_ts(t timestamptz) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- Mentions and recipients look up a firm's staff by firm.
CREATE INDEX staff_firm ON staff (firm_id);

-- Queued as who/what; subject, text and Message-ID are written when sent.
ALTER TABLE mail_outbox
    ALTER COLUMN from_name DROP NOT NULL,
    ALTER COLUMN subject DROP NOT NULL,
    ALTER COLUMN body_text DROP NOT NULL,
    ALTER COLUMN body_html DROP NOT NULL,
    ALTER COLUMN message_ident DROP NOT NULL,
    ADD COLUMN actor_id bigint REFERENCES users ON DELETE SET NULL,  -- who did it
    ADD COLUMN task_id bigint REFERENCES tasks ON DELETE CASCADE,     -- client_task: which
    ADD COLUMN task_done boolean;                                     -- and as it was then

-- Whose turn it is: the last message a contact may see decides.
CREATE FUNCTION folio_waiting_on(t threads) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE t.last_public_author_kind WHEN 'contact' THEN 'firm' WHEN 'staff' THEN 'client' END
$$;

CREATE FUNCTION folio_reminders_json(t threads) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('enabled', t.reminders_enabled,
        'interval_days', t.reminder_interval_days, 'max_count', t.reminder_max_count,
        'sent_count', t.reminder_sent_count, 'next_due_at', folio_ts(t.reminder_next_due_at),
        'ended_by', t.reminder_ended_by)
$$;

CREATE FUNCTION folio_tasks_json(p_thread bigint) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(json_agg(json_build_object('id', k.id, 'title', k.title, 'done', k.done)
        ORDER BY k.position, k.id), '[]')
      FROM tasks k WHERE k.thread_id = p_thread);
END
$$;

-- A thread as a viewer sees it: staff (p_staff) or the account's contacts.
-- p_user 0 is an audience (an event payload), not a user: no unread_count.
CREATE FUNCTION folio_thread_json(t threads, p_user bigint, p_staff boolean) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CASE WHEN p_user <> 0 THEN
        json_build_object('id', t.id, 'account_id', t.account_id, 'account_name', a.name,
            'subject', t.subject, 'created_by', t.created_by, 'created_at', folio_ts(t.created_at),
            'last_message_at', folio_ts(CASE WHEN p_staff THEN t.last_message_at
                ELSE t.last_public_message_at END),
            'last_message_id', CASE WHEN p_staff THEN t.last_message_id
                ELSE t.last_public_message_id END,
            'unread_count', folio_unread(t.id, p_user, p_staff),
            'archived', t.archived, 'archived_at', folio_ts(t.archived_at),
            'assignee_id', t.assignee_id, 'waiting_on', folio_waiting_on(t),
            'waiting_since', folio_ts(t.waiting_since), 'reminders', folio_reminders_json(t),
            'tasks', folio_tasks_json(t.id))
    ELSE
        json_build_object('id', t.id, 'account_id', t.account_id, 'account_name', a.name,
            'subject', t.subject, 'created_by', t.created_by, 'created_at', folio_ts(t.created_at),
            'last_message_at', folio_ts(CASE WHEN p_staff THEN t.last_message_at
                ELSE t.last_public_message_at END),
            'last_message_id', CASE WHEN p_staff THEN t.last_message_id
                ELSE t.last_public_message_id END,
            'archived', t.archived, 'archived_at', folio_ts(t.archived_at),
            'assignee_id', t.assignee_id, 'waiting_on', folio_waiting_on(t),
            'waiting_since', folio_ts(t.waiting_since), 'reminders', folio_reminders_json(t),
            'tasks', folio_tasks_json(t.id))
    END
    FROM accounts a WHERE a.id = t.account_id);
END
$$;

-- How the mails to the client about a message went (staff only). A set of one
-- row, so that a page joins it LATERAL and PostgreSQL inlines it.
CREATE FUNCTION folio_delivery(p_message bigint) RETURNS TABLE (delivery json)
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('sent', count(*) FILTER (WHERE o.state = 'sent'),
        'pending', count(*) FILTER (WHERE o.state IN ('pending', 'sending')),
        'failed', count(*) FILTER (WHERE o.state = 'failed'),
        'failures', coalesce(json_agg(json_build_object('email', o.to_email, 'error', o.last_error))
            FILTER (WHERE o.state = 'failed'), '[]'))
      FROM mail_outbox o WHERE o.message_id = p_message AND o.kind IN ('thread', 'message')
$$;

-- A message as a viewer sees it, from its row, its author's name and (staff
-- only, else NULL) its delivery: only its author (p_user) sees client_msg_id.
-- A pure expression, so PostgreSQL inlines it into a page's one pass.
CREATE FUNCTION folio_message_view(m messages, p_author_name text, p_delivery json,
    p_user bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', m.id, 'thread_id', m.thread_id,
        'author', json_build_object('kind', m.author_kind, 'id', m.author_id,
            'name', p_author_name),
        'body', m.body, 'body_html', m.body_html, 'internal', m.internal,
        'created_at', folio_ts(m.created_at), 'documents', '[]'::json, 'embeds', m.embeds,
        'mentions', m.mentions,
        'client_msg_id', CASE WHEN m.author_id = p_user THEN m.client_msg_id END,
        'delivery', p_delivery)
$$;

-- The same for one message (replies, event payloads).
CREATE FUNCTION folio_message_json(m messages, p_user bigint, p_staff boolean) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT folio_message_view(m, u.name, CASE WHEN p_staff THEN d.delivery END, p_user)
      FROM users u LEFT JOIN LATERAL folio_delivery(m.id) d ON p_staff
     WHERE u.id = m.author_id);
END
$$;

-- A notification item (Inbox+ for staff, pending for contacts).
CREATE FUNCTION folio_notification_json(n notifications) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_build_object('id', n.id, 'type', n.type, 'thread_id', n.thread_id,
        'account_id', n.account_id, 'account_name', a.name, 'subject', t.subject,
        'actor', CASE WHEN x.id IS NOT NULL THEN
            json_build_object('kind', x.kind, 'id', x.id, 'name', x.name) END,
        'message_id', n.message_id, 'created_at', folio_ts(n.created_at),
        'bumped_at', folio_ts(n.bumped_at), 'read', n.read_at IS NOT NULL)
      FROM threads t JOIN accounts a ON a.id = n.account_id LEFT JOIN users x ON x.id = n.actor_id
     WHERE t.id = n.thread_id);
END
$$;

-- One event in the outbox (server/events-emit.c writes the same rows); a
-- contact copy equal to the staff copy is stored once.
CREATE FUNCTION folio_event(p_type text, p_firm bigint, p_account bigint, p_staff_only boolean,
    p_user bigint, p_actor bigint, p_staff json, p_contact json, p_actor_copy json)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, actor_id,
            staff_payload, contact_payload, actor_payload)
        VALUES (p_type, p_firm, p_account, p_staff_only, p_user, p_actor, p_staff,
            CASE WHEN p_contact::text IS DISTINCT FROM p_staff::text THEN p_contact END, p_actor_copy);
END
$$;

-- The reminder rules after any change to threads (API.md, Reminders), for
-- each of p_threads with the message that changed it (p_messages, NULL: none).
-- The state is judged against what the rules saw last (seen_archived,
-- seen_reminders_enabled), so a reopening or a switch-on is recognised
-- whichever route made it. restart: the cycle starts again from now with the
-- count reset -- on a new firm message (not an internal note), a reopening,
-- or a switch-on. Then, in this order: switched off; archived; the client had
-- the last word; max_count reached; else armed, due interval_days after the
-- anchor (the cycle's start or the last reminder). An end is recorded only
-- when it ends a running cycle, so ended_by names the condition that ended it.
-- A thread whose state does not change is not written. Answers how many of
-- the threads exist.
CREATE FUNCTION folio_reminders_sync_many(p_threads bigint[], p_messages bigint[])
RETURNS bigint LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    n bigint;
BEGIN
    WITH r AS (SELECT x.id, x.restart, CASE
                WHEN NOT x.reminders_enabled THEN
                  CASE WHEN x.seen_reminders_enabled THEN 'switched_off' ELSE 'keep' END
                WHEN x.archived THEN CASE WHEN x.active THEN 'archived' ELSE 'keep' END
                WHEN x.last_public_author_kind IS DISTINCT FROM 'staff' THEN
                  CASE WHEN x.active OR x.restart THEN 'client_replied' ELSE 'keep' END
                WHEN NOT x.restart AND x.reminder_sent_count >= x.reminder_max_count THEN
                  CASE WHEN x.active THEN 'max_count' ELSE 'keep' END
                WHEN x.active OR x.restart OR x.reminder_ended_by = 'max_count' THEN 'armed'
                ELSE 'keep' END AS state
            FROM (SELECT th.*, th.reminder_next_due_at IS NOT NULL AS active,
                  th.reminders_enabled AND NOT th.archived AND ((th.seen_archived AND NOT th.archived)
                   OR NOT th.seen_reminders_enabled OR EXISTS (SELECT 1 FROM messages m
                    WHERE m.id = q.message AND m.author_kind = 'staff' AND NOT m.internal)) AS restart
                  FROM threads th JOIN unnest(p_threads, p_messages) q(thread, message)
                    ON th.id = q.thread) x),
    u AS (UPDATE threads t SET
            reminder_sent_count = CASE WHEN r.restart THEN 0 ELSE t.reminder_sent_count END,
            reminder_anchor_at = CASE WHEN r.restart THEN folio_now() ELSE t.reminder_anchor_at END,
            reminder_next_due_at = CASE WHEN r.state = 'armed' THEN
                (CASE WHEN r.restart THEN folio_now() ELSE coalesce(t.reminder_anchor_at, folio_now()) END)
                + make_interval(days => t.reminder_interval_days) END,
            reminder_ended_by = CASE r.state WHEN 'armed' THEN NULL WHEN 'keep' THEN t.reminder_ended_by
                ELSE r.state END,
            seen_archived = t.archived, seen_reminders_enabled = t.reminders_enabled
          FROM r
         WHERE t.id = r.id AND (r.restart OR r.state <> 'keep' OR t.seen_archived <> t.archived
                OR t.seen_reminders_enabled <> t.reminders_enabled)
         RETURNING t.id)
    SELECT count(*) FROM r INTO n;
    RETURN n;
END
$$;

CREATE FUNCTION folio_reminders_sync(p_thread bigint, p_message bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    RETURN folio_reminders_sync_many(ARRAY[p_thread], ARRAY[p_message]);
END
$$;

-- thread.created or thread.updated, as staff and (unless staff only) as the contacts see it.
CREATE FUNCTION folio_thread_event(p_type text, p_thread bigint, p_actor bigint,
    p_staff_only boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM folio_event(p_type, t.firm_id, t.account_id, p_staff_only, NULL, p_actor,
        json_build_object('thread', folio_thread_json(t, 0, true)),
        CASE WHEN NOT p_staff_only THEN json_build_object('thread', folio_thread_json(t, 0, false)) END,
        NULL)
      FROM threads t WHERE t.id = p_thread;
END
$$;

-- Writes messages, set-based: every statement below runs once for all of them.
-- p_sends: [{n, firm, thread, author, kind, account, body, html, internal, cmid,
-- embeds, mentions}], at most one per thread (server/send-batch.c sees to it);
-- account: the contact's account (NULL for staff). For each, in one transaction:
-- the thread is locked (in the order of accounts and threads, so concurrent
-- writers take their locks in one order) when its author may see it; the
-- message is inserted (a repeated client_msg_id writes nothing); the thread,
-- the author's read marker and the account move; the reminder rules run; then
-- the events -- message.created as staff, the contacts (unless internal) and
-- the author (with its client_msg_id) see it, thread.updated (not for a new
-- chat: it has thread.created) -- and who hears of it (API.md, Notifications):
-- mentioned team members (never the author); for a firm message that is not an
-- internal note, the account's contacts with portal access; for a client's,
-- staff by the assignee rule and their settings, leaving out who got a
-- mention. Each gets an item (with notification.created, to its owner alone)
-- and, as its settings say, a mail row. p_new_chat: the first messages of new
-- chats (thread.created instead of thread.updated; items and mails of the
-- kinds thread / client_thread). Answers, in the order of n:
-- {status: ok, message} (the author's view), {status: not_found}, or
-- {status: replay, message_id, thread_id}.
-- Its statements take their input from arrays, so PostgreSQL would plan them
-- again on every call; their generic plans (planned once per connection) walk
-- the same indexes at the real size (docs/BENCHMARKS.md) and cost 40 % less.
CREATE FUNCTION folio_messages_write(p_sends json, p_new_chat boolean) RETURNS json
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    vis bigint[];
    ms messages[];
    nmail bigint;
BEGIN
    WITH x AS (SELECT * FROM json_to_recordset(p_sends)
                 AS x(firm bigint, thread bigint, account bigint)),
    l AS (SELECT t.id FROM threads t JOIN x ON t.id = x.thread AND t.firm_id = x.firm
                 AND (x.account IS NULL OR t.account_id = x.account)
           ORDER BY t.account_id, t.id FOR NO KEY UPDATE OF t)
    SELECT coalesce(array_agg(l.id), '{}') INTO vis FROM l;

    WITH x AS (SELECT * FROM json_to_recordset(p_sends) AS x(firm bigint, thread bigint,
                 author bigint, kind text, body text, html text, internal boolean, cmid text,
                 embeds jsonb, mentions bigint[])),
    ins AS (INSERT INTO messages (firm_id, thread_id, author_id, author_kind, body, body_html,
                internal, client_msg_id, embeds, mentions)
            SELECT x.firm, x.thread, x.author, x.kind, x.body, x.html, x.internal, x.cmid,
                   coalesce(x.embeds, '[]'), coalesce(x.mentions, '{}')
              FROM x WHERE x.thread = ANY (vis) ORDER BY x.thread
            ON CONFLICT (author_id, client_msg_id) DO NOTHING
            RETURNING *)
    SELECT coalesce(array_agg(ROW(ins.*)::messages ORDER BY ins.id), '{}') INTO ms FROM ins;

    IF cardinality(ms) > 0 THEN
        -- Times are the messages' own created_at, so a thread never disagrees with them.
        UPDATE threads t SET last_message_at = m.created_at, last_message_id = m.id,
            last_public_message_at = CASE WHEN m.internal THEN t.last_public_message_at
                ELSE m.created_at END,
            last_public_message_id = CASE WHEN m.internal THEN t.last_public_message_id
                ELSE m.id END,
            waiting_since = CASE WHEN m.internal
                OR t.last_public_author_kind IS NOT DISTINCT FROM m.author_kind
                THEN t.waiting_since ELSE m.created_at END,
            last_public_author_kind = CASE WHEN m.internal THEN t.last_public_author_kind
                ELSE m.author_kind END,
            archived = t.archived AND m.internal,
            archived_at = CASE WHEN m.internal THEN t.archived_at END
          FROM unnest(ms) m WHERE t.id = m.thread_id;

        INSERT INTO read_markers (thread_id, user_id, firm_id, up_to_message_id)
        SELECT m.thread_id, m.author_id, m.firm_id, m.id FROM unnest(ms) m ORDER BY m.thread_id
        ON CONFLICT (thread_id, user_id)
        DO UPDATE SET up_to_message_id = greatest(read_markers.up_to_message_id,
            EXCLUDED.up_to_message_id);

        -- Accounts in id order (after the threads), so writers never wait on each other
        -- in a circle; NO KEY UPDATE, as an UPDATE takes, lets a new chat's thread insert
        -- (a KEY SHARE lock through its foreign key) pass.
        PERFORM 1 FROM accounts a WHERE a.id IN (SELECT t.account_id FROM unnest(ms) m
            JOIN threads t ON t.id = m.thread_id) ORDER BY a.id FOR NO KEY UPDATE OF a;
        -- An internal note is activity for the firm only.
        UPDATE accounts a SET last_activity_at = g.at,
            last_public_activity_at = coalesce(g.public_at, a.last_public_activity_at)
          FROM (SELECT t.account_id, max(m.created_at) AS at,
                       max(m.created_at) FILTER (WHERE NOT m.internal) AS public_at
                  FROM unnest(ms) m JOIN threads t ON t.id = m.thread_id
                 GROUP BY t.account_id) g
         WHERE a.id = g.account_id;

        PERFORM folio_reminders_sync_many(array_agg(m.thread_id), array_agg(m.id))
           FROM unnest(ms) m;

        -- The change's own events first (a new chat's thread.created before its
        -- first message), then the notifications it causes.
        IF p_new_chat THEN
            PERFORM folio_thread_event('thread.created', m.thread_id, m.author_id, false)
               FROM unnest(ms) m ORDER BY m.id;
        END IF;
        INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, actor_id,
            staff_payload, contact_payload, actor_payload)
        SELECT 'message.created', m.firm_id, t.account_id, m.internal, NULL, m.author_id,
               json_build_object('thread_id', t.id, 'account_id', t.account_id,
                   'message', folio_message_json(m, 0, true)),
               CASE WHEN NOT m.internal THEN json_build_object('thread_id', t.id,
                   'account_id', t.account_id, 'message', folio_message_json(m, 0, false)) END,
               CASE WHEN m.client_msg_id IS NOT NULL THEN json_build_object('thread_id', t.id,
                   'account_id', t.account_id,
                   'message', folio_message_json(m, m.author_id, m.author_kind = 'staff')) END
          FROM unnest(ms) m JOIN threads t ON t.id = m.thread_id ORDER BY m.id;
        IF NOT p_new_chat THEN
            -- The threads moved too; an internal note moves one only for staff.
            INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, actor_id,
                staff_payload, contact_payload)
            SELECT 'thread.updated', t.firm_id, t.account_id, m.internal, NULL, m.author_id,
                   s.p, CASE WHEN c.p::text IS DISTINCT FROM s.p::text THEN c.p END
              FROM unnest(ms) m JOIN threads t ON t.id = m.thread_id
             CROSS JOIN LATERAL (SELECT json_build_object('thread',
                   folio_thread_json(t, 0, true)) AS p) s
             CROSS JOIN LATERAL (SELECT CASE WHEN NOT m.internal THEN json_build_object('thread',
                   folio_thread_json(t, 0, false)) END AS p) c
             ORDER BY m.id;
        END IF;

        WITH r AS (
            SELECT m.id AS message_id, m.thread_id, m.firm_id, m.author_id, s.user_id,
                   'mention' AS type, 'mention' AS kind, coalesce(ns.email, true) AS mail
              FROM unnest(ms) m JOIN staff s ON s.firm_id = m.firm_id
               AND s.user_id = ANY (m.mentions) AND s.user_id <> m.author_id
              LEFT JOIN notification_settings ns ON ns.user_id = s.user_id
            UNION ALL
            SELECT m.id, m.thread_id, m.firm_id, m.author_id, c.user_id,
                   CASE WHEN p_new_chat THEN 'thread' ELSE 'message' END,
                   CASE WHEN p_new_chat THEN 'thread' ELSE 'message' END, c.notify
              FROM unnest(ms) m JOIN threads t ON t.id = m.thread_id
              JOIN contacts c ON c.account_id = t.account_id AND c.portal_access
             WHERE m.author_kind = 'staff' AND NOT m.internal
            UNION ALL
            SELECT m.id, m.thread_id, m.firm_id, m.author_id, s.user_id,
                   CASE WHEN p_new_chat THEN 'thread' ELSE 'message' END,
                   CASE WHEN p_new_chat THEN 'client_thread' ELSE 'client_message' END,
                   coalesce(ns.email, true)
              FROM unnest(ms) m JOIN threads t ON t.id = m.thread_id
              JOIN staff s ON s.firm_id = m.firm_id
              LEFT JOIN notification_settings ns ON ns.user_id = s.user_id
             WHERE m.author_kind = 'contact' AND s.user_id <> m.author_id
               AND NOT (s.user_id = ANY (m.mentions))
               AND (t.assignee_id IS NULL OR s.user_id = t.assignee_id
                    OR coalesce(ns.all_client_activity, false))),
        n AS (INSERT INTO notifications (firm_id, user_id, thread_id, account_id, type, actor_id,
                  message_id)
              SELECT r.firm_id, r.user_id, r.thread_id, t.account_id, r.type, r.author_id,
                     r.message_id
                FROM r JOIN threads t ON t.id = r.thread_id ORDER BY r.thread_id, r.user_id
              ON CONFLICT (user_id, thread_id) DO UPDATE SET type = EXCLUDED.type,
                  actor_id = EXCLUDED.actor_id,
                  message_id = coalesce(EXCLUDED.message_id, notifications.message_id),
                  bumped_at = folio_now(), bump = nextval('notification_bump'), read_at = NULL
              RETURNING *),
        e AS (INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id,
                  staff_payload)
              SELECT 'notification.created', n.firm_id, n.account_id, false, n.user_id,
                     json_build_object('notification',
                         folio_notification_json(ROW(n.*)::notifications))
                FROM n ORDER BY n.message_id, n.user_id
              RETURNING 1),
        o AS (INSERT INTO mail_outbox (firm_id, kind, thread_id, message_id, user_id, to_email,
                  to_name, actor_id)
              SELECT r.firm_id, r.kind, r.thread_id, r.message_id, u.id, u.email, u.name,
                     r.author_id
                FROM r JOIN users u ON u.id = r.user_id WHERE r.mail
               ORDER BY r.message_id, u.id
              RETURNING 1)
        SELECT (SELECT count(*) FROM o) + 0 * (SELECT count(*) FROM e) INTO nmail;
        IF nmail > 0 THEN
            PERFORM pg_notify('folio_mail', '');  -- delivered at commit
        END IF;
    END IF;

    -- A repeat is looked up by its unique (author, client_msg_id), only for a send not written.
    RETURN (SELECT coalesce(json_agg(CASE
                WHEN m.id IS NOT NULL THEN json_build_object('status', 'ok',
                    'message', folio_message_json(m, x.author, x.kind = 'staff'))
                WHEN x.thread = ANY (vis) AND x.cmid IS NOT NULL THEN coalesce((SELECT
                    json_build_object('status', 'replay', 'message_id', r.id,
                        'thread_id', r.thread_id) FROM messages r
                     WHERE r.author_id = x.author AND r.client_msg_id = x.cmid),
                    json_build_object('status', 'not_found'))
                ELSE json_build_object('status', 'not_found') END ORDER BY x.n), '[]')
      FROM json_to_recordset(p_sends) AS x(n integer, thread bigint, author bigint, kind text,
               cmid text)
      LEFT JOIN unnest(ms) m ON m.thread_id = x.thread);
END
$$;

-- Sends that reach the pool together (server/send-batch.c): one statement and
-- one commit for all of them, at most one per thread. See folio_messages_write.
CREATE FUNCTION folio_message_post_batch(p_sends json) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    RETURN folio_messages_write(p_sends, false);
END
$$;

-- A message posted into a thread (POST /threads/{id}/messages): one statement.
-- p_account: the contact's account (NULL for staff). Answers as
-- folio_messages_write does for one send.
CREATE FUNCTION folio_message_post(p_firm bigint, p_thread bigint, p_author bigint, p_kind text,
    p_account bigint, p_body text, p_html text, p_internal boolean, p_cmid text, p_embeds jsonb,
    p_mentions bigint[]) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    RETURN folio_messages_write(json_build_array(json_build_object('n', 1, 'firm', p_firm,
        'thread', p_thread, 'author', p_author, 'kind', p_kind, 'account', p_account,
        'body', p_body, 'html', p_html, 'internal', p_internal, 'cmid', p_cmid,
        'embeds', p_embeds, 'mentions', p_mentions)), false)->0;
END
$$;

-- A new chat (POST /threads): the thread, its first message and its tasks
-- (p_tasks: [{title}]), in one statement. p_contact_account: the contact's
-- account (NULL for staff). Answers {status: ok, thread} (the author's view),
-- {status: not_found} (no such account for this author), {status:
-- no_portal_access} (staff, and nobody could read it), or {status: replay,
-- message_id, thread_id, first} when the author used p_cmid before. A
-- concurrent post of the same p_cmid raises unique_violation: nothing is
-- written, and the caller answers as a replay.
CREATE FUNCTION folio_thread_post(p_firm bigint, p_account bigint, p_author bigint, p_kind text,
    p_contact_account bigint, p_subject text, p_body text, p_html text, p_cmid text,
    p_embeds jsonb, p_mentions bigint[], p_tasks json, p_reminders boolean,
    p_interval integer, p_max integer) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    t threads;
    r json;
BEGIN
    IF p_cmid IS NOT NULL THEN
        SELECT json_build_object('status', 'replay', 'message_id', x.id,
            'thread_id', x.thread_id, 'first', NOT EXISTS (SELECT 1 FROM messages o
                WHERE o.thread_id = x.thread_id AND o.id < x.id))
          INTO r FROM messages x WHERE x.author_id = p_author AND x.client_msg_id = p_cmid;
        IF r IS NOT NULL THEN
            RETURN r;
        END IF;
    END IF;
    PERFORM 1 FROM accounts WHERE id = p_account AND firm_id = p_firm
       AND (p_contact_account IS NULL OR id = p_contact_account);
    IF NOT FOUND THEN
        RETURN json_build_object('status', 'not_found');
    END IF;
    IF p_kind = 'staff' AND NOT EXISTS (SELECT 1 FROM contacts
            WHERE account_id = p_account AND portal_access) THEN
        RETURN json_build_object('status', 'no_portal_access');
    END IF;
    INSERT INTO threads (firm_id, account_id, subject, created_by, reminders_enabled,
        reminder_interval_days, reminder_max_count)
    VALUES (p_firm, p_account, p_subject, p_author, p_reminders, p_interval, p_max)
    RETURNING * INTO t;
    INSERT INTO tasks (firm_id, thread_id, title, position)
    SELECT p_firm, t.id, x.task->>'title', (x.n - 1)::integer
      FROM json_array_elements(coalesce(p_tasks, '[]')) WITH ORDINALITY x(task, n);
    r := folio_messages_write(json_build_array(json_build_object('n', 1, 'firm', p_firm,
        'thread', t.id, 'author', p_author, 'kind', p_kind, 'account', p_contact_account,
        'body', p_body, 'html', p_html, 'internal', false, 'cmid', p_cmid,
        'embeds', p_embeds, 'mentions', p_mentions)), true)->0;
    IF r->>'status' <> 'ok' THEN
        RAISE unique_violation USING MESSAGE = 'client_msg_id was used meanwhile';
    END IF;
    RETURN json_build_object('status', 'ok',
        'thread', (SELECT folio_thread_json(x, p_author, p_kind = 'staff')
                     FROM threads x WHERE x.id = t.id));
END
$$;
