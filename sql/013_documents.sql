-- 013_documents.sql -- folders and documents of an account, their bytes in
-- PostgreSQL (so every foliod sees them and one backup covers them), and which
-- message carries which document.
--
-- The bytes are split into document_chunks of at most 256 KiB each, written
-- and read one at a time, so neither foliod nor PostgreSQL ever holds a whole
-- file as one value. A document row and its chunks are written in one
-- transaction: an upload that fails leaves nothing behind.

-- A folder of an account. A top-level folder has an access level; a subfolder
-- takes its top-level folder's (copied in `access` when it is created, and kept
-- equal by folio_folders_access so a query needs no recursion).
CREATE TABLE folders (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    account_id bigint NOT NULL,
    parent_id bigint REFERENCES folders ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255 AND name !~ '[\x01-\x1f\x7f/]'),
    access text NOT NULL CHECK (access IN ('private', 'client_view', 'client_edit')),
    -- The one top-level folder that takes chat uploads (created when missing).
    chat_uploads boolean NOT NULL DEFAULT false,
    created_by bigint REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    CHECK (NOT chat_uploads OR parent_id IS NULL),
    FOREIGN KEY (account_id, firm_id) REFERENCES accounts (id, firm_id) ON DELETE CASCADE,
    UNIQUE (id, account_id)
);
CREATE INDEX folders_account ON folders (account_id, parent_id);
-- Names are unique among siblings; the chat uploads folder may share its name with one.
CREATE UNIQUE INDEX folders_name ON folders (account_id, coalesce(parent_id, 0), lower(name))
    WHERE NOT chat_uploads;
CREATE UNIQUE INDEX folders_chat_uploads ON folders (account_id) WHERE chat_uploads;

-- A subfolder's access is its parent's, whatever the INSERT said.
CREATE FUNCTION folio_folders_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL THEN
        SELECT access INTO NEW.access FROM folders
         WHERE id = NEW.parent_id AND account_id = NEW.account_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'parent folder of another account' USING ERRCODE = '23503';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER folders_access BEFORE INSERT ON folders
    FOR EACH ROW EXECUTE FUNCTION folio_folders_access();

CREATE TABLE documents (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    account_id bigint NOT NULL,
    folder_id bigint NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    media_type text NOT NULL DEFAULT 'application/octet-stream',
    -- Lower-case hex; NULL only while the upload's transaction is open.
    sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    chunks integer NOT NULL DEFAULT 0,
    created_by bigint REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    FOREIGN KEY (folder_id, account_id) REFERENCES folders (id, account_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, firm_id) REFERENCES accounts (id, firm_id) ON DELETE CASCADE
);
CREATE INDEX documents_folder ON documents (folder_id, id);
CREATE INDEX documents_account ON documents (account_id, id);

-- Chunk n (from 0) of a document: at most 256 KiB. EXTERNAL: PostgreSQL
-- would not compress most documents (scans, PDFs) anyway, and uncompressed
-- TOAST values are cheaper to read back.
CREATE TABLE document_chunks (
    document_id bigint NOT NULL REFERENCES documents ON DELETE CASCADE,
    n integer NOT NULL CHECK (n >= 0),
    data bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 262144),
    PRIMARY KEY (document_id, n)
);
ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- The documents a message carries, in the order they were given.
CREATE TABLE message_documents (
    message_id bigint NOT NULL REFERENCES messages ON DELETE CASCADE,
    document_id bigint NOT NULL REFERENCES documents ON DELETE CASCADE,
    position integer NOT NULL,
    PRIMARY KEY (message_id, document_id)
);
CREATE INDEX message_documents_document ON message_documents (document_id);

-- Attaching documents to messages (POST /threads and /threads/{id}/messages
-- with document_ids): the write path of 004/006 with a list of document ids per
-- send, still one statement. A message shows its documents to whoever sees it.
CREATE FUNCTION folio_message_documents(p_message bigint) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object('id', d.id, 'name', d.name, 'size', d.size,
               'media_type', d.media_type, 'sha256', d.sha256) ORDER BY md.position), '[]')
      FROM message_documents md JOIN documents d ON d.id = md.document_id
     WHERE md.message_id = p_message
$$;

CREATE OR REPLACE FUNCTION folio_message_view(m messages, p_author_name text, p_delivery json,
    p_user bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', m.id, 'thread_id', m.thread_id,
        'author', json_build_object('kind', m.author_kind, 'id', m.author_id,
            'name', p_author_name),
        'body', m.body, 'body_html', m.body_html, 'internal', m.internal,
        'created_at', folio_ts(m.created_at), 'documents', folio_message_documents(m.id),
        'embeds', m.embeds, 'mentions', m.mentions,
        'client_msg_id', CASE WHEN m.author_id = p_user THEN m.client_msg_id END,
        'delivery', p_delivery)
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
        -- The documents each send attaches (checked by the caller: same account, and
        -- none from a private folder unless the message is an internal note), before
        -- the events below, which show them.
        INSERT INTO message_documents (message_id, document_id, position)
        SELECT m.id, d.id, (d.n - 1)::integer
          FROM unnest(ms) m
          JOIN json_to_recordset(p_sends) AS x(thread bigint, docs bigint[]) ON x.thread = m.thread_id
         CROSS JOIN LATERAL unnest(x.docs) WITH ORDINALITY d(id, n)
        ON CONFLICT DO NOTHING;
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

-- folio_message_post and folio_thread_post of 004, with p_docs (the documents to attach):
-- new overloads, so a server of the previous release keeps calling the old ones
-- (which attach nothing) while this one is rolled out.
CREATE FUNCTION folio_message_post(p_firm bigint, p_thread bigint, p_author bigint, p_kind text,
    p_account bigint, p_body text, p_html text, p_internal boolean, p_cmid text, p_embeds jsonb,
    p_mentions bigint[], p_docs bigint[]) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    RETURN folio_messages_write(json_build_array(json_build_object('n', 1, 'firm', p_firm,
        'thread', p_thread, 'author', p_author, 'kind', p_kind, 'account', p_account,
        'body', p_body, 'html', p_html, 'internal', p_internal, 'cmid', p_cmid,
        'embeds', p_embeds, 'mentions', p_mentions, 'docs', p_docs)), false)->0;
END
$$;
CREATE FUNCTION folio_thread_post(p_firm bigint, p_account bigint, p_author bigint, p_kind text,
    p_contact_account bigint, p_subject text, p_body text, p_html text, p_cmid text,
    p_embeds jsonb, p_mentions bigint[], p_tasks json, p_reminders boolean,
    p_interval integer, p_max integer, p_docs bigint[]) RETURNS json LANGUAGE plpgsql AS $$
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
        'embeds', p_embeds, 'mentions', p_mentions, 'docs', p_docs)), true)->0;
    IF r->>'status' <> 'ok' THEN
        RAISE unique_violation USING MESSAGE = 'client_msg_id was used meanwhile';
    END IF;
    RETURN json_build_object('status', 'ok',
        'thread', (SELECT folio_thread_json(x, p_author, p_kind = 'staff')
                     FROM threads x WHERE x.id = t.id));
END
$$;

-- An Inbox+ item about a document (type 'document': a contact uploaded it) has
-- no thread; it names the document instead.
ALTER TABLE notifications ALTER COLUMN thread_id DROP NOT NULL,
    ADD COLUMN document_id bigint REFERENCES documents ON DELETE CASCADE,
    ADD CONSTRAINT notifications_about CHECK (thread_id IS NOT NULL OR document_id IS NOT NULL);

CREATE OR REPLACE FUNCTION folio_notification_json(n notifications) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_build_object('id', n.id, 'type', n.type, 'thread_id', n.thread_id,
        'account_id', n.account_id, 'account_name', a.name, 'subject', t.subject,
        'actor', CASE WHEN x.id IS NOT NULL THEN
            json_build_object('kind', x.kind, 'id', x.id, 'name', x.name) END,
        'message_id', n.message_id, 'document_id', n.document_id,
        'created_at', folio_ts(n.created_at),
        'bumped_at', folio_ts(n.bumped_at), 'read', n.read_at IS NOT NULL)
      FROM accounts a LEFT JOIN threads t ON t.id = n.thread_id
      LEFT JOIN users x ON x.id = n.actor_id
     WHERE a.id = n.account_id);
END
$$;
