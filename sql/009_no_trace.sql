-- 009_no_trace.sql -- internal notes leave no trace a contact can see
-- (issue 13, part 9).
--
-- 1. The reminder rules read the clock once. folio_now() is clock_timestamp()
--    (plus the test offset), so the restart of 004_write_path.sql set the
--    anchor and the due time from two readings microseconds apart, and the
--    next sync that recomputed "anchor + interval" -- the first internal note
--    -- moved the contacts' reminders.next_due_at. And an internal note is no
--    change for the rules at all: its thread is not even written.
-- 2. Streams read only what their reader may see (server/db-events-log.c), so
--    a contact's cursor never walks past staff-only events: indexes for the
--    contact's side of the visibility rule (staff use events_firm).

-- The rules as 004_write_path.sql states them, with one "now" per call, and
-- without the threads whose change is an internal note. Answers how many of
-- the threads exist.
CREATE OR REPLACE FUNCTION folio_reminders_sync_many(p_threads bigint[], p_messages bigint[])
RETURNS bigint LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    n bigint;
    v_now timestamptz := folio_now();
BEGIN
    WITH q AS (SELECT q.thread, q.message FROM unnest(p_threads, p_messages) q(thread, message)
                WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = q.message AND m.internal)),
    r AS (SELECT x.id, x.restart, CASE
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
                  FROM threads th JOIN q ON th.id = q.thread) x),
    u AS (UPDATE threads t SET
            reminder_sent_count = CASE WHEN r.restart THEN 0 ELSE t.reminder_sent_count END,
            reminder_anchor_at = CASE WHEN r.restart THEN v_now ELSE t.reminder_anchor_at END,
            reminder_next_due_at = CASE WHEN r.state = 'armed' THEN
                (CASE WHEN r.restart THEN v_now ELSE coalesce(t.reminder_anchor_at, v_now) END)
                + make_interval(days => t.reminder_interval_days) END,
            reminder_ended_by = CASE r.state WHEN 'armed' THEN NULL WHEN 'keep' THEN t.reminder_ended_by
                ELSE r.state END,
            seen_archived = t.archived, seen_reminders_enabled = t.reminders_enabled
          FROM r
         WHERE t.id = r.id AND (r.restart OR r.state <> 'keep' OR t.seen_archived <> t.archived
                OR t.seen_reminders_enabled <> t.reminders_enabled)
         RETURNING t.id)
    SELECT (SELECT count(*) FROM threads t WHERE t.id = ANY (p_threads)) INTO n;
    RETURN n;
END
$$;

-- A contact's events: its account's (not staff-only), and those addressed to it.
CREATE INDEX events_account ON events (account_id, id) WHERE NOT staff_only;
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;
