-- 005_scale.sql -- indexes that keep lists reading their own firm, their own
-- account or their own user's rows at the size of a real firm (docs/BENCHMARKS.md,
-- "Plans at real size"; tests/bench/plans.py shows each plan).
--
-- Each is an index on a table a send writes. accounts_activity makes the
-- account's update on every message a non-HOT one (last_activity_at is now
-- indexed); the threads row of a send was non-HOT already (threads_firm), so
-- the two thread indexes cost one index entry each per send; notifications_unread
-- one per notification bump (bump is indexed already).

-- GET /accounts for staff, by last activity (the default): the page in index
-- order, instead of every account of every firm read and sorted.
CREATE INDEX accounts_activity ON accounts (firm_id, last_activity_at DESC NULLS LAST, lower(name), id);

-- GET /threads?sort=waiting_since: the firm's threads in that order (was: every
-- thread of every firm read and sorted).
CREATE INDEX threads_waiting ON threads (firm_id, waiting_since, id);

-- GET /threads?assigned_to=ID|me: the assignee's threads, newest first (was:
-- every thread of every firm). Also serves ON DELETE SET NULL from staff.
CREATE INDEX threads_assignee ON threads (assignee_id, last_message_at DESC)
    WHERE assignee_id IS NOT NULL;

-- Inbox+ and pending items: the unread total and ?unread=true read only the
-- user's unread items, not every item the user ever had.
CREATE INDEX notifications_unread ON notifications (user_id, bump DESC) WHERE read_at IS NULL;
