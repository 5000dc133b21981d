-- 006_lean_views.sql -- the write path builds each view once, inline. A send
-- used to render its message four times and its thread twice through PL/pgSQL
-- functions, each a query of its own per row (docs/BENCHMARKS.md, "Where a
-- send's time goes"); now the rows are joined once per statement and the
-- views are SQL expressions that PostgreSQL inlines. folio_messages_write is
-- otherwise as 004_write_path.sql wrote it (its comment there holds).

-- A thread as an audience sees it, from its row, its account's name and its
-- tasks: a pure expression, inlined into the statement that joins those.
CREATE FUNCTION folio_thread_view(t threads, p_account_name text, p_tasks json,
    p_staff boolean) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'account_id', t.account_id,
        'account_name', p_account_name, 'subject', t.subject, 'created_by', t.created_by,
        'created_at', folio_ts(t.created_at),
        'last_message_at', folio_ts(CASE WHEN p_staff THEN t.last_message_at
            ELSE t.last_public_message_at END),
        'last_message_id', CASE WHEN p_staff THEN t.last_message_id
            ELSE t.last_public_message_id END,
        'archived', t.archived, 'archived_at', folio_ts(t.archived_at),
        'assignee_id', t.assignee_id, 'waiting_on', folio_waiting_on(t),
        'waiting_since', folio_ts(t.waiting_since), 'reminders', folio_reminders_json(t),
        'tasks', p_tasks)
$$;

-- A thread as a viewer sees it: staff (p_staff) or the account's contacts.
-- p_user 0 is an audience (an event payload), not a user: no unread_count;
-- a user's view has it as its last key.
CREATE OR REPLACE FUNCTION folio_thread_json(t threads, p_user bigint, p_staff boolean)
RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    v json;
BEGIN
    SELECT folio_thread_view(t, a.name, folio_tasks_json(t.id), p_staff) INTO v
      FROM accounts a WHERE a.id = t.account_id;
    IF p_user = 0 OR v IS NULL THEN
        RETURN v;
    END IF;
    -- json_build_object always ends an object with '}'.
    RETURN (left(v::text, -1) || ', "unread_count" : '
        || folio_unread(t.id, p_user, p_staff) || '}')::json;
END
$$;

CREATE OR REPLACE FUNCTION folio_messages_write(p_sends json, p_new_chat boolean) RETURNS json
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
        -- Each view is built inline from the rows joined once. No mail row is
        -- written yet, so the staff views' delivery is all zeros.
        INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, actor_id,
            staff_payload, contact_payload, actor_payload)
        SELECT 'message.created', m.firm_id, t.account_id, m.internal, NULL, m.author_id,
               json_build_object('thread_id', t.id, 'account_id', t.account_id,
                   'message', folio_message_view(m, u.name, z.d, 0)),
               CASE WHEN NOT m.internal THEN json_build_object('thread_id', t.id,
                   'account_id', t.account_id, 'message', folio_message_view(m, u.name, NULL, 0)) END,
               CASE WHEN m.client_msg_id IS NOT NULL THEN json_build_object('thread_id', t.id,
                   'account_id', t.account_id, 'message', folio_message_view(m, u.name,
                       CASE WHEN m.author_kind = 'staff' THEN z.d END, m.author_id)) END
          FROM unnest(ms) m JOIN threads t ON t.id = m.thread_id JOIN users u ON u.id = m.author_id
         CROSS JOIN (SELECT json_build_object('sent', 0, 'pending', 0, 'failed', 0,
                 'failures', '[]'::json) AS d) z
         ORDER BY m.id;
        IF NOT p_new_chat THEN
            -- The threads moved too; an internal note moves one only for staff.
            INSERT INTO event_outbox (type, firm_id, account_id, staff_only, user_id, actor_id,
                staff_payload, contact_payload)
            SELECT 'thread.updated', t.firm_id, t.account_id, m.internal, NULL, m.author_id,
                   s.p, CASE WHEN c.p::text IS DISTINCT FROM s.p::text THEN c.p END
              FROM unnest(ms) m JOIN threads t ON t.id = m.thread_id
              JOIN accounts a ON a.id = t.account_id
             CROSS JOIN LATERAL (SELECT folio_tasks_json(t.id) AS k) k
             CROSS JOIN LATERAL (SELECT json_build_object('thread',
                   folio_thread_view(t, a.name, k.k, true)) AS p) s
             CROSS JOIN LATERAL (SELECT CASE WHEN NOT m.internal THEN json_build_object('thread',
                   folio_thread_view(t, a.name, k.k, false)) END AS p) c
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
                    'message', folio_message_view(m, u.name, d.delivery, x.author))
                WHEN x.thread = ANY (vis) AND x.cmid IS NOT NULL THEN coalesce((SELECT
                    json_build_object('status', 'replay', 'message_id', r.id,
                        'thread_id', r.thread_id) FROM messages r
                     WHERE r.author_id = x.author AND r.client_msg_id = x.cmid),
                    json_build_object('status', 'not_found'))
                ELSE json_build_object('status', 'not_found') END ORDER BY x.n), '[]')
      FROM json_to_recordset(p_sends) AS x(n integer, thread bigint, author bigint, kind text,
               cmid text)
      LEFT JOIN unnest(ms) m ON m.thread_id = x.thread
      LEFT JOIN users u ON u.id = m.author_id
      LEFT JOIN LATERAL folio_delivery(m.id) d ON x.kind = 'staff');
END
$$;
