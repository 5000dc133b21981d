-- 001_core.sql -- firms, people, sessions, accounts, threads, messages, read markers, templates.
-- Every tenant row carries firm_id; the database enforces what it can.

-- The server's notion of "now": real time plus the offset that `--test-clock` moves.
CREATE TABLE clock (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    offset_seconds bigint NOT NULL DEFAULT 0
);
INSERT INTO clock DEFAULT VALUES;

CREATE FUNCTION folio_now() RETURNS timestamptz LANGUAGE sql STABLE AS
$$ SELECT clock_timestamp() + make_interval(secs => (SELECT offset_seconds FROM clock)) $$;

-- RFC 3339 UTC text, the one time format of the API.
CREATE FUNCTION folio_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE TABLE firms (
    id bigserial PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT folio_now()
);

-- Everyone who can author a message or log in: staff and contacts share ids.
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL REFERENCES firms ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('staff', 'contact')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text NOT NULL CHECK (email LIKE '%_@_%' AND length(email) <= 254),
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    UNIQUE (id, firm_id)
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE staff (
    user_id bigint PRIMARY KEY,
    firm_id bigint NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    FOREIGN KEY (user_id, firm_id) REFERENCES users (id, firm_id) ON DELETE CASCADE
);

CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL REFERENCES firms ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    last_activity_at timestamptz,
    -- The same without internal notes: what the account's contacts see.
    last_public_activity_at timestamptz,
    UNIQUE (id, firm_id)
);
CREATE UNIQUE INDEX accounts_name ON accounts (firm_id, lower(name));

CREATE TABLE contacts (
    user_id bigint PRIMARY KEY,
    firm_id bigint NOT NULL,
    account_id bigint NOT NULL,
    portal_access boolean NOT NULL DEFAULT false,
    notify boolean NOT NULL DEFAULT true,
    FOREIGN KEY (user_id, firm_id) REFERENCES users (id, firm_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, firm_id) REFERENCES accounts (id, firm_id) ON DELETE CASCADE
);
CREATE INDEX contacts_account ON contacts (account_id);

CREATE TABLE sessions (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);

-- Failed logins, for throttling per account and per address.
CREATE TABLE login_failures (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    address text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (lower(email), at);
CREATE INDEX login_failures_address ON login_failures (address, at);

CREATE TABLE templates (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL REFERENCES firms ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    subject text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    reminders_enabled boolean NOT NULL DEFAULT false,
    reminder_interval_days integer NOT NULL DEFAULT 3 CHECK (reminder_interval_days BETWEEN 1 AND 365),
    reminder_max_count integer NOT NULL DEFAULT 1 CHECK (reminder_max_count BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    updated_at timestamptz NOT NULL DEFAULT folio_now()
);
CREATE UNIQUE INDEX templates_name ON templates (firm_id, lower(name));

CREATE TABLE threads (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    account_id bigint NOT NULL,
    subject text NOT NULL CHECK (length(subject) <= 500),
    created_by bigint NOT NULL REFERENCES users,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    last_message_at timestamptz NOT NULL DEFAULT folio_now(),
    last_message_id bigint,
    -- The same for what contacts see (internal notes left out), so no list leaks a note.
    last_public_message_at timestamptz NOT NULL DEFAULT folio_now(),
    last_public_message_id bigint,
    -- The last message a contact may see: who wrote it decides whose turn it is.
    last_public_author_kind text CHECK (last_public_author_kind IN ('staff', 'contact')),
    waiting_since timestamptz,
    archived boolean NOT NULL DEFAULT false,
    archived_at timestamptz,
    assignee_id bigint REFERENCES staff ON DELETE SET NULL,
    reminders_enabled boolean NOT NULL DEFAULT false,
    reminder_interval_days integer NOT NULL DEFAULT 3 CHECK (reminder_interval_days BETWEEN 1 AND 365),
    reminder_max_count integer NOT NULL DEFAULT 1 CHECK (reminder_max_count BETWEEN 1 AND 100),
    reminder_sent_count integer NOT NULL DEFAULT 0,
    reminder_next_due_at timestamptz,
    reminder_ended_by text CHECK (reminder_ended_by IN ('max_count', 'client_replied', 'archived', 'switched_off')),
    FOREIGN KEY (account_id, firm_id) REFERENCES accounts (id, firm_id) ON DELETE CASCADE,
    UNIQUE (id, firm_id)
);
CREATE INDEX threads_account ON threads (account_id, last_message_at DESC);
CREATE INDEX threads_firm ON threads (firm_id, last_message_at DESC);
CREATE INDEX threads_reminder_due ON threads (reminder_next_due_at) WHERE reminder_next_due_at IS NOT NULL;

CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    thread_id bigint NOT NULL,
    author_id bigint NOT NULL REFERENCES users,
    author_kind text NOT NULL CHECK (author_kind IN ('staff', 'contact')),
    body text NOT NULL,
    body_html text NOT NULL,
    internal boolean NOT NULL DEFAULT false,
    client_msg_id text CHECK (length(client_msg_id) BETWEEN 1 AND 128),
    embeds jsonb NOT NULL DEFAULT '[]',
    mentions bigint[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    CHECK (NOT internal OR author_kind = 'staff'),
    FOREIGN KEY (thread_id, firm_id) REFERENCES threads (id, firm_id) ON DELETE CASCADE,
    UNIQUE (author_id, client_msg_id)
);
CREATE INDEX messages_thread ON messages (thread_id, id);

-- POST /threads stores its client_msg_id on the thread's first message, so one
-- unique index makes both routes idempotent.

CREATE TABLE tasks (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    thread_id bigint NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    done boolean NOT NULL DEFAULT false,
    position integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT folio_now(),
    FOREIGN KEY (thread_id, firm_id) REFERENCES threads (id, firm_id) ON DELETE CASCADE
);
CREATE INDEX tasks_thread ON tasks (thread_id, position, id);

CREATE TABLE read_markers (
    thread_id bigint NOT NULL REFERENCES threads ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    firm_id bigint NOT NULL REFERENCES firms ON DELETE CASCADE,
    up_to_message_id bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX read_markers_user ON read_markers (user_id);

-- Unread messages of a thread for a user: after the user's marker, written by others;
-- internal notes count only for staff.
CREATE FUNCTION folio_unread(p_thread bigint, p_user bigint, p_staff boolean) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM messages m
     WHERE m.thread_id = p_thread
       AND m.id > coalesce((SELECT up_to_message_id FROM read_markers r
                             WHERE r.thread_id = p_thread AND r.user_id = p_user), 0)
       AND m.author_id <> p_user
       AND (p_staff OR NOT m.internal)
$$;
