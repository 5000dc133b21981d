-- 002_events.sql -- the event log behind GET /api/v1/events (docs/DESIGN.md, Events).
--
-- Writers never touch `events` and never NOTIFY. A change inserts its event into
-- the unordered `event_outbox`, in its own transaction. A sequencer pass
-- (folio_events_sequence, any instance, one at a time) moves committed outbox
-- rows into `events`, numbering them from `events_id_seq`, and sends one NOTIFY
-- for the whole batch. Because sequencer transactions are serialised by an
-- advisory lock and take their ids only after taking it, event ids become
-- visible in id order: a reader that has seen id N never later finds a smaller
-- id committed, so `id > cursor` is a safe cursor.

-- What a change leaves behind, in the change's transaction. `seq` only orders the
-- events of one batch (a thread's creation before its first message).
CREATE TABLE event_outbox (
    seq bigserial PRIMARY KEY,
    type text NOT NULL CHECK (type ~ '^[a-z][a-z_.]{0,30}$'),
    firm_id bigint NOT NULL,
    account_id bigint,                 -- NULL: no account (contacts never see it)
    staff_only boolean NOT NULL,       -- contacts never see it
    user_id bigint,                    -- set: only this user's streams see it
    actor_id bigint,                   -- who caused it; sees actor_payload when set
    staff_payload json NOT NULL,       -- the object as staff see it
    contact_payload json,              -- as the account's contacts see it; NULL: as staff
    actor_payload json,                -- as the actor sees it (e.g. with client_msg_id)
    created_at timestamptz NOT NULL DEFAULT folio_now()
);

CREATE SEQUENCE events_id_seq;

-- The ordered, append-only log. Ids are increasing but may have holes (a
-- sequencer pass that failed used up its ids); readers never assume +1.
CREATE TABLE events (
    id bigint PRIMARY KEY,
    type text NOT NULL,
    firm_id bigint NOT NULL,
    account_id bigint,
    staff_only boolean NOT NULL,
    user_id bigint,
    actor_id bigint,
    staff_payload json NOT NULL,
    contact_payload json,
    actor_payload json,
    changed_at timestamptz NOT NULL,   -- when the change committed its outbox row
    created_at timestamptz NOT NULL    -- when it was sequenced: increases with id
);
CREATE INDEX events_firm ON events (firm_id, id);

-- Retention: every id up to deleted_up_to may be gone. A cursor below it cannot
-- be resumed without a gap, so the stream answers "resync required".
CREATE TABLE events_horizon (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    deleted_up_to bigint NOT NULL DEFAULT 0
);
INSERT INTO events_horizon DEFAULT VALUES;

-- One sequencer pass: moves up to p_batch outbox rows into events and notifies
-- once. Returns the number moved, or -1 when another pass holds the lock (the
-- caller retries shortly; that pass may have started before our rows committed).
CREATE FUNCTION folio_events_sequence(p_batch integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
    last_id bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(4242002) THEN
        RETURN -1;
    END IF;
    -- nextval runs after the lock, so ids grow across passes; the ordered
    -- subquery keeps outbox order (seq) within the pass.
    WITH o AS (
        DELETE FROM event_outbox
         WHERE seq IN (SELECT seq FROM event_outbox ORDER BY seq LIMIT p_batch)
        RETURNING *
    ), ins AS (
        INSERT INTO events (id, type, firm_id, account_id, staff_only, user_id, actor_id,
                            staff_payload, contact_payload, actor_payload, changed_at, created_at)
        SELECT nextval('events_id_seq'), s.type, s.firm_id, s.account_id, s.staff_only,
               s.user_id, s.actor_id, s.staff_payload, s.contact_payload, s.actor_payload,
               s.created_at, folio_now()
          FROM (SELECT * FROM o ORDER BY seq) s
        RETURNING id
    )
    SELECT count(*), max(id) INTO moved, last_id FROM ins;
    IF moved > 0 THEN
        -- A wake-up hint, not the carrier: listeners read the log themselves.
        PERFORM pg_notify('folio_events', last_id::text);
    END IF;
    RETURN moved;
END
$$;

-- One retention pass: deletes up to p_batch of the oldest events older than
-- p_days and moves the horizon past them, in one transaction. Returns the
-- number deleted (0 when nothing is due).
CREATE FUNCTION folio_events_expire(p_days integer, p_batch integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cutoff timestamptz := folio_now() - make_interval(days => p_days);
    cut bigint;
    n bigint;
BEGIN
    -- created_at grows with id, so the expired events are a prefix of the log:
    -- looking at the oldest one tells whether anything is due.
    IF NOT EXISTS (SELECT 1 FROM (SELECT created_at FROM events ORDER BY id LIMIT 1) f
                    WHERE created_at < cutoff) THEN
        RETURN 0;
    END IF;
    SELECT max(id) INTO cut
      FROM (SELECT id, created_at FROM events ORDER BY id LIMIT p_batch) x
     WHERE created_at < cutoff;
    IF cut IS NULL THEN
        RETURN 0;
    END IF;
    UPDATE events_horizon SET deleted_up_to = greatest(deleted_up_to, cut);
    DELETE FROM events WHERE id <= cut;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The newest id a stream may start after: the log's end, or the horizon when
-- retention has emptied it.
CREATE FUNCTION folio_events_head() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT greatest((SELECT coalesce(max(id), 0) FROM events),
                    (SELECT deleted_up_to FROM events_horizon))
$$;
