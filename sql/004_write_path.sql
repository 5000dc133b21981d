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

CREATE FUNCTION folio_reminders_json(t threads) RETURNS json LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('enabled', t.reminders_enabled,
        'interval_days', t.reminder_interval_days, 'max_count', t.reminder_max_count,
        'sent_count', t.reminder_sent_count, 'next_due_at', folio_ts(t.reminder_next_due_at),
        'ended_by', t.reminder_ended_by)
$$;

CREATE FUNCTION folio_tasks_json(p_thread bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object('id', k.id, 'title', k.title, 'done', k.done)
        ORDER BY k.position, k.id), '[]')
      FROM tasks k WHERE k.thread_id = p_thread
$$;

-- A thread as a viewer sees it: staff (p_staff) or the account's contacts.
-- p_user 0 is an audience (an event payload), not a user: no unread_count.
CREATE FUNCTION folio_thread_json(t threads, p_user bigint, p_staff boolean) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_user <> 0 THEN
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
    FROM accounts a WHERE a.id = t.account_id
$$;

CREATE FUNCTION folio_delivery_json(p_message bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('sent', count(*) FILTER (WHERE o.state = 'sent'),
        'pending', count(*) FILTER (WHERE o.state IN ('pending', 'sending')),
        'failed', count(*) FILTER (WHERE o.state = 'failed'),
        'failures', coalesce(json_agg(json_build_object('email', o.to_email, 'error', o.last_error))
            FILTER (WHERE o.state = 'failed'), '[]'))
      FROM mail_outbox o WHERE o.message_id = p_message AND o.kind IN ('thread', 'message')
$$;

-- A message as a viewer sees it; only its author (p_user) sees client_msg_id,
-- only staff how the mails to the client about it went.
CREATE FUNCTION folio_message_json(m messages, p_user bigint, p_staff boolean) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', m.id, 'thread_id', m.thread_id,
        'author', json_build_object('kind', m.author_kind, 'id', m.author_id, 'name', u.name),
        'body', m.body, 'body_html', m.body_html, 'internal', m.internal,
        'created_at', folio_ts(m.created_at), 'documents', '[]'::json, 'embeds', m.embeds,
        'mentions', m.mentions,
        'client_msg_id', CASE WHEN m.author_id = p_user THEN m.client_msg_id END,
        'delivery', CASE WHEN p_staff THEN folio_delivery_json(m.id) END)
      FROM users u WHERE u.id = m.author_id
$$;

-- A notification item (Inbox+ for staff, pending for contacts).
CREATE FUNCTION folio_notification_json(n notifications) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', n.id, 'type', n.type, 'thread_id', n.thread_id,
        'account_id', n.account_id, 'account_name', a.name, 'subject', t.subject,
        'actor', CASE WHEN x.id IS NOT NULL THEN
            json_build_object('kind', x.kind, 'id', x.id, 'name', x.name) END,
        'message_id', n.message_id, 'created_at', folio_ts(n.created_at),
        'bumped_at', folio_ts(n.bumped_at), 'read', n.read_at IS NOT NULL)
      FROM threads t JOIN accounts a ON a.id = n.account_id LEFT JOIN users x ON x.id = n.actor_id
     WHERE t.id = n.thread_id
$$;

-- One event in the outbox (server/events-emit.c writes the same rows); a
-- contact copy equal to the staff copy is stored once.
CREATE FUNCTION folio_event(p_type text, p_firm bigint, p_account bigint, p_staff_only boolean,
    p_user bigint, p_actor bigint, p_staff json, p_contact json, p_actor_copy json)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, actor_id,
        staff_payload, contact_payload, actor_payload)
    VALUES (p_type, p_firm, p_account, p_staff_only, p_user, p_actor, p_staff,
        CASE WHEN p_contact::text IS DISTINCT FROM p_staff::text THEN p_contact END, p_actor_copy)
$$;

-- The reminder rules after any change to a thread (API.md, Reminders). The
-- state is judged against what the rules saw last (seen_archived,
-- seen_reminders_enabled), so a reopening or a switch-on is recognised
-- whichever route made it. restart: the cycle starts again from now with the
-- count reset -- on a new firm message (not an internal note), a reopening,
-- or a switch-on. Then, in this order: switched off; archived; the client had
-- the last word; max_count reached; else armed, due interval_days after the
-- anchor (the cycle's start or the last reminder). An end is recorded only
-- when it ends a running cycle, so ended_by names the condition that ended it.
CREATE FUNCTION folio_reminders_sync(p_thread bigint, p_message bigint) RETURNS bigint
LANGUAGE sql AS $$
    WITH u AS (UPDATE threads t SET
        reminder_sent_count = CASE WHEN r.restart THEN 0 ELSE t.reminder_sent_count END,
        reminder_anchor_at = CASE WHEN r.restart THEN folio_now() ELSE t.reminder_anchor_at END,
        reminder_next_due_at = CASE WHEN r.state = 'armed' THEN
            (CASE WHEN r.restart THEN folio_now() ELSE coalesce(t.reminder_anchor_at, folio_now()) END)
            + make_interval(days => t.reminder_interval_days) END,
        reminder_ended_by = CASE r.state WHEN 'armed' THEN NULL WHEN 'keep' THEN t.reminder_ended_by
            ELSE r.state END,
        seen_archived = t.archived, seen_reminders_enabled = t.reminders_enabled
      FROM (SELECT x.id, x.restart, CASE
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
                WHERE m.id = p_message AND m.author_kind = 'staff' AND NOT m.internal)) AS restart
              FROM threads th WHERE th.id = p_thread) x) r
     WHERE t.id = r.id RETURNING t.id)
    SELECT count(*) FROM u
$$;

-- Items (and their notification.created events, to each owner alone) for the
-- people p_ids, and a mail of p_kind for those whose p_mail is true.
CREATE FUNCTION folio_notify_people(t threads, p_actor bigint, p_message bigint, p_type text,
    p_kind text, p_ids bigint[], p_mail boolean[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(p_ids) = 0 THEN
        RETURN;
    END IF;
    WITH n AS (INSERT INTO notifications (firm_id, user_id, thread_id, account_id, type, actor_id,
            message_id)
        SELECT t.firm_id, x.id, t.id, t.account_id, p_type, p_actor, p_message
          FROM unnest(p_ids) x(id) ORDER BY x.id
        ON CONFLICT (user_id, thread_id) DO UPDATE SET type = EXCLUDED.type,
            actor_id = EXCLUDED.actor_id,
            message_id = coalesce(EXCLUDED.message_id, notifications.message_id),
            bumped_at = folio_now(), bump = nextval('notification_bump'), read_at = NULL
        RETURNING *)
    INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, staff_payload)
    SELECT 'notification.created', t.firm_id, t.account_id, false, n.user_id,
           json_build_object('notification', folio_notification_json(ROW(n.*)::notifications))
      FROM n ORDER BY n.user_id;
    INSERT INTO mail_outbox (firm_id, kind, thread_id, message_id, user_id, to_email, to_name,
        actor_id)
    SELECT t.firm_id, p_kind, t.id, p_message, u.id, u.email, u.name, p_actor
      FROM unnest(p_ids, p_mail) x(id, mail) JOIN users u ON u.id = x.id
     WHERE x.mail ORDER BY u.id;
    IF FOUND THEN
        PERFORM pg_notify('folio_mail', '');  -- delivered at commit
    END IF;
END
$$;

-- Who hears of a new message or chat (API.md, Notifications): mentioned team
-- members (never the author); for a firm message that is not an internal
-- note, the account's contacts with portal access; for a client's, staff by
-- the assignee rule and their settings, leaving out who got a mention.
CREATE FUNCTION folio_notify_new(t threads, m messages, p_type text, p_contact_kind text,
    p_staff_kind text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    mail boolean[];
BEGIN
    IF cardinality(m.mentions) > 0 THEN
        SELECT coalesce(array_agg(s.user_id ORDER BY s.user_id), '{}'),
               coalesce(array_agg(coalesce(ns.email, true) ORDER BY s.user_id), '{}')
          INTO ids, mail
          FROM staff s LEFT JOIN notification_settings ns ON ns.user_id = s.user_id
         WHERE s.firm_id = t.firm_id AND s.user_id = ANY (m.mentions) AND s.user_id <> m.author_id;
        PERFORM folio_notify_people(t, m.author_id, m.id, 'mention', 'mention', ids, mail);
    END IF;
    IF m.author_kind = 'staff' AND NOT m.internal THEN
        SELECT coalesce(array_agg(c.user_id ORDER BY c.user_id), '{}'),
               coalesce(array_agg(c.notify ORDER BY c.user_id), '{}')
          INTO ids, mail
          FROM contacts c WHERE c.account_id = t.account_id AND c.portal_access;
        PERFORM folio_notify_people(t, m.author_id, m.id, p_type, p_contact_kind, ids, mail);
    ELSIF m.author_kind = 'contact' THEN
        SELECT coalesce(array_agg(s.user_id ORDER BY s.user_id), '{}'),
               coalesce(array_agg(coalesce(ns.email, true) ORDER BY s.user_id), '{}')
          INTO ids, mail
          FROM staff s LEFT JOIN notification_settings ns ON ns.user_id = s.user_id
         WHERE s.firm_id = t.firm_id AND s.user_id <> m.author_id
           AND NOT (s.user_id = ANY (m.mentions))
           AND (t.assignee_id IS NULL OR s.user_id = t.assignee_id
                OR coalesce(ns.all_client_activity, false));
        PERFORM folio_notify_people(t, m.author_id, m.id, p_type, p_staff_kind, ids, mail);
    END IF;
END
$$;

-- Writes a message into a thread locked by the caller: moves the thread (a
-- message reopens an archived thread), the author's read marker and the
-- account. NULL when the author already used p_cmid (nothing written).
CREATE FUNCTION folio_message_write(t threads, p_author bigint, p_kind text, p_body text,
    p_html text, p_internal boolean, p_cmid text, p_embeds jsonb, p_mentions bigint[])
RETURNS messages LANGUAGE plpgsql AS $$
DECLARE
    m messages;
BEGIN
    INSERT INTO messages (firm_id, thread_id, author_id, author_kind, body, body_html, internal,
        client_msg_id, embeds, mentions)
    VALUES (t.firm_id, t.id, p_author, p_kind, p_body, p_html, p_internal, p_cmid, p_embeds,
        p_mentions)
    ON CONFLICT (author_id, client_msg_id) DO NOTHING
    RETURNING * INTO m;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- Times are the message's own created_at, so the thread never disagrees with it.
    UPDATE threads SET last_message_at = m.created_at, last_message_id = m.id,
        last_public_message_at = CASE WHEN p_internal THEN last_public_message_at
            ELSE m.created_at END,
        last_public_message_id = CASE WHEN p_internal THEN last_public_message_id ELSE m.id END,
        waiting_since = CASE WHEN p_internal OR last_public_author_kind IS NOT DISTINCT FROM p_kind
            THEN waiting_since ELSE m.created_at END,
        last_public_author_kind = CASE WHEN p_internal THEN last_public_author_kind ELSE p_kind END,
        archived = archived AND p_internal, archived_at = CASE WHEN p_internal THEN archived_at END
     WHERE id = t.id;
    INSERT INTO read_markers (thread_id, user_id, firm_id, up_to_message_id)
    VALUES (t.id, p_author, t.firm_id, m.id) ON CONFLICT (thread_id, user_id)
    DO UPDATE SET up_to_message_id = greatest(read_markers.up_to_message_id, m.id);
    -- An internal note is activity for the firm only.
    UPDATE accounts SET last_activity_at = m.created_at,
        last_public_activity_at = CASE WHEN p_internal THEN last_public_activity_at
            ELSE m.created_at END
     WHERE id = t.account_id;
    PERFORM folio_reminders_sync(t.id, m.id);
    RETURN m;
END
$$;

-- message.created: staff, the contacts (unless internal) and the author (when
-- it gave a client_msg_id, to replace its local echo) each get their own view.
CREATE FUNCTION folio_message_event(t threads, m messages) RETURNS void LANGUAGE sql AS $$
    SELECT folio_event('message.created', t.firm_id, t.account_id, m.internal, NULL, m.author_id,
        json_build_object('thread_id', t.id, 'account_id', t.account_id,
            'message', folio_message_json(m, 0, true)),
        CASE WHEN NOT m.internal THEN json_build_object('thread_id', t.id,
            'account_id', t.account_id, 'message', folio_message_json(m, 0, false)) END,
        CASE WHEN m.client_msg_id IS NOT NULL THEN json_build_object('thread_id', t.id,
            'account_id', t.account_id,
            'message', folio_message_json(m, m.author_id, m.author_kind = 'staff')) END)
$$;

-- thread.created or thread.updated, as staff and (unless staff only) as the contacts see it.
CREATE FUNCTION folio_thread_event(p_type text, p_thread bigint, p_actor bigint,
    p_staff_only boolean) RETURNS void LANGUAGE sql AS $$
    SELECT folio_event(p_type, t.firm_id, t.account_id, p_staff_only, NULL, p_actor,
        json_build_object('thread', folio_thread_json(t, 0, true)),
        CASE WHEN NOT p_staff_only THEN json_build_object('thread', folio_thread_json(t, 0, false)) END,
        NULL)
      FROM threads t WHERE t.id = p_thread
$$;

-- A message posted into a thread (POST /threads/{id}/messages): one statement.
-- p_account: the contact's account (NULL for staff). Answers {status: ok,
-- message} (the author's view), {status: not_found}, or {status: replay,
-- message_id, thread_id} when the author used p_cmid before.
CREATE FUNCTION folio_message_post(p_firm bigint, p_thread bigint, p_author bigint, p_kind text,
    p_account bigint, p_body text, p_html text, p_internal boolean, p_cmid text, p_embeds jsonb,
    p_mentions bigint[]) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    t threads;
    m messages;
BEGIN
    SELECT * INTO t FROM threads WHERE id = p_thread AND firm_id = p_firm
       AND (p_account IS NULL OR account_id = p_account) FOR UPDATE;
    IF NOT FOUND THEN
        RETURN json_build_object('status', 'not_found');
    END IF;
    m := folio_message_write(t, p_author, p_kind, p_body, p_html, p_internal, p_cmid, p_embeds,
        p_mentions);
    IF m.id IS NULL THEN
        RETURN (SELECT json_build_object('status', 'replay', 'message_id', x.id,
            'thread_id', x.thread_id) FROM messages x
            WHERE x.author_id = p_author AND x.client_msg_id = p_cmid);
    END IF;
    -- The change's own events first, then the notifications it causes.
    PERFORM folio_message_event(t, m);
    PERFORM folio_thread_event('thread.updated', t.id, p_author, p_internal);
    SELECT * INTO t FROM threads WHERE id = p_thread;
    PERFORM folio_notify_new(t, m, 'message', 'message', 'client_message');
    RETURN json_build_object('status', 'ok',
        'message', folio_message_json(m, p_author, p_kind = 'staff'));
END
$$;

-- A new chat (POST /threads): the thread, its first message and its tasks
-- (p_tasks: [{title}]), in
-- one statement. p_contact_account: the contact's account (NULL for staff).
-- Answers {status: ok, thread} (the author's view), {status: not_found} (no
-- such account for this author), {status: no_portal_access} (staff, and nobody
-- could read it), or {status: replay, message_id, thread_id, first} when the
-- author used p_cmid before. A concurrent post of the same p_cmid raises
-- unique_violation: nothing is written, and the caller answers as a replay.
CREATE FUNCTION folio_thread_post(p_firm bigint, p_account bigint, p_author bigint, p_kind text,
    p_contact_account bigint, p_subject text, p_body text, p_html text, p_cmid text,
    p_embeds jsonb, p_mentions bigint[], p_tasks json, p_reminders boolean,
    p_interval integer, p_max integer) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    t threads;
    m messages;
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
    m := folio_message_write(t, p_author, p_kind, p_body, p_html, false, p_cmid, p_embeds,
        p_mentions);
    IF m.id IS NULL THEN
        RAISE unique_violation USING MESSAGE = 'client_msg_id was used meanwhile';
    END IF;
    INSERT INTO tasks (firm_id, thread_id, title, position)
    SELECT p_firm, t.id, x.task->>'title', (x.n - 1)::integer
      FROM json_array_elements(coalesce(p_tasks, '[]')) WITH ORDINALITY x(task, n);
    -- The change's own events first, then the notifications it causes.
    PERFORM folio_thread_event('thread.created', t.id, p_author, false);
    PERFORM folio_message_event(t, m);
    SELECT * INTO t FROM threads WHERE id = t.id;
    PERFORM folio_notify_new(t, m, 'thread', 'thread', 'client_thread');
    RETURN json_build_object('status', 'ok',
        'thread', (SELECT folio_thread_json(x, p_author, p_kind = 'staff')
                     FROM threads x WHERE x.id = t.id));
END
$$;

-- Several sends in one statement and one commit (server/send-batch.c gathers
-- sends that reach the pool together). p_sends: [{firm, thread, author, kind,
-- account, body, html, internal, cmid, embeds, mentions}]. They are written in
-- the order of their accounts and threads, so concurrent batches take their
-- locks in one order; each in its own subtransaction, so one that fails
-- fails alone ({status: error, code: SQLSTATE}). Answers the results in the
-- order of p_sends.
CREATE FUNCTION folio_message_post_batch(p_sends json) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    s record;
    r json;
    results json[] := '{}';
BEGIN
    FOR s IN SELECT x.n, x.v FROM json_array_elements(p_sends) WITH ORDINALITY x(v, n)
        ORDER BY (SELECT t.account_id FROM threads t WHERE t.id = (x.v->>'thread')::bigint),
                 (x.v->>'thread')::bigint, x.n
    LOOP
        BEGIN
            r := folio_message_post((s.v->>'firm')::bigint, (s.v->>'thread')::bigint,
                (s.v->>'author')::bigint, s.v->>'kind', (s.v->>'account')::bigint, s.v->>'body',
                s.v->>'html', (s.v->>'internal')::boolean, s.v->>'cmid', (s.v->>'embeds')::jsonb,
                (s.v->>'mentions')::bigint[]);
        EXCEPTION WHEN OTHERS THEN
            r := json_build_object('status', 'error', 'code', SQLSTATE, 'message', SQLERRM);
        END;
        results[s.n] := r;
    END LOOP;
    RETURN array_to_json(results);
END
$$;
