-- 003_mail.sql -- notifications (Inbox+ for staff, pending items for contacts),
-- per-user notification settings, the reminder ledger and the mail outbox.
-- Every row here is written in the transaction of the change that causes it
-- (server/activity.c), so a change and its mail commit together or not at all.

-- What the reminder rules last saw of a thread. A change to a thread is judged
-- against these (archived -> not archived is a reopening, enabled false -> true
-- switches reminders on), whichever route made it.
ALTER TABLE threads
    ADD COLUMN reminder_anchor_at timestamptz,   -- start of the cycle, or the last reminder
    ADD COLUMN seen_archived boolean NOT NULL DEFAULT false,
    ADD COLUMN seen_reminders_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN seen_assignee_id bigint;

-- Per-user notification settings; a missing row means the defaults.
CREATE TABLE notification_settings (
    user_id bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    email boolean NOT NULL DEFAULT true,                 -- mail me at all
    all_client_activity boolean NOT NULL DEFAULT false   -- also threads assigned to others
);

-- One item per user and thread; new activity bumps it to the top and marks it unread.
CREATE SEQUENCE notification_bump;
CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL REFERENCES firms ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    thread_id bigint NOT NULL REFERENCES threads ON DELETE CASCADE,
    account_id bigint NOT NULL,
    type text NOT NULL CHECK (type IN ('message', 'thread', 'document', 'task', 'mention',
                                       'assignment', 'reminder')),
    actor_id bigint REFERENCES users ON DELETE SET NULL,
    message_id bigint,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    bumped_at timestamptz NOT NULL DEFAULT folio_now(),
    bump bigint NOT NULL DEFAULT nextval('notification_bump'),  -- order among equal times
    read_at timestamptz,
    UNIQUE (user_id, thread_id)
);
CREATE INDEX notifications_user ON notifications (user_id, bump DESC);

-- Every reminder and manual resend sent; its mails are the outbox rows that name it.
CREATE TABLE reminder_ledger (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL REFERENCES firms ON DELETE CASCADE,
    thread_id bigint NOT NULL REFERENCES threads ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('reminder', 'resend')),
    message_id bigint REFERENCES messages ON DELETE SET NULL, -- the message it reminds of
    seq integer,                                              -- reminder: n-th of the cycle
    sent_by bigint REFERENCES users ON DELETE SET NULL,       -- resend: who asked
    sent_at timestamptz NOT NULL DEFAULT folio_now()
);
CREATE INDEX reminder_ledger_thread ON reminder_ledger (thread_id, id);

-- The transactional outbox: one row per mail and recipient, composed when queued.
-- Scheduling times (next_attempt_at) follow folio_now(); the lease (locked_until)
-- is real time, so moving the test clock never breaks a lease held by a sender.
CREATE TABLE mail_outbox (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL REFERENCES firms ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('thread', 'message', 'reminder', 'resend', 'client_thread',
                                       'client_message', 'client_task', 'mention', 'assignment')),
    thread_id bigint REFERENCES threads ON DELETE CASCADE,
    message_id bigint REFERENCES messages ON DELETE CASCADE,
    ledger_id bigint REFERENCES reminder_ledger ON DELETE CASCADE,
    user_id bigint REFERENCES users ON DELETE SET NULL,
    to_email text NOT NULL,
    to_name text NOT NULL,
    from_name text NOT NULL,
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    message_ident text NOT NULL UNIQUE,  -- the Message-ID header, the same on every attempt
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT folio_now(),
    locked_until timestamptz,
    lease text,                          -- the claim's random token
    last_error text,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    sent_at timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX mail_outbox_message ON mail_outbox (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX mail_outbox_ledger ON mail_outbox (ledger_id) WHERE ledger_id IS NOT NULL;
