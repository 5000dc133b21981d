-- tests/bench/seed.sql -- grows a migrated Folio database with set-based SQL, fast.
--
-- Run with psql after `foliod migrate` and `foliod create-firm` (the firm whose
-- owner the benchmark logs in as, :firm):
--
--   psql -X -q -v ON_ERROR_STOP=1 -d DB -f tests/bench/seed.sql -v firm=1 \
--        -v accounts=5000 -v contacts_per_account=4 -v threads_per_account=2 -v staff=28 \
--        -v other_firms=19 -v other_accounts=500 -v other_contacts_per_account=2 \
--        -v other_threads_per_account=1 -v other_staff=10 \
--        -v messages=1000000 -v markers=200000 -v events=100000
--
-- Every variable but firm has a default (the small size of tests/bench/bench_scale.py:
-- 100 accounts, each with one contact, one thread each, 5,000 messages).
--
-- What it writes, and the layout others may rely on:
--   - :other_firms new firms, each with :other_staff staff (the first one owner);
--     :staff more staff (members) in :firm. Every seeded user (staff and contacts)
--     gets the password hash of :firm's owner, so all can log in with its password;
--     emails: staff-<firm>-<n>@seed.test, contact-<user id>@seed.test.
--   - per firm, accounts "Client 00001" ... with contacts_per_account contacts each;
--     the first contact of every account has portal access and notify on, the
--     others have no portal access.
--   - threads_per_account threads per account. Threads are numbered in slots,
--     firm by firm (:firm first): slot = (n-th thread of the account - 1) * accounts
--     + account - 1, ids in slot order. So the first `accounts` threads of :firm
--     are the first threads of its accounts, one per account, and its first
--     :bench_threads threads (default 100) are never archived: the benchmark
--     sends into them.
--   - :messages messages over all threads, round robin (message i goes to slot
--     i mod threads), ids and created_at increasing together over the last 400
--     days; every third message of a thread is its contact's (which one depends
--     on the thread, so a third of the threads wait on the firm), one round in
--     ten of the staff's messages is an internal note. Bodies are about 200 bytes.
--   - threads' last_message_*, last_public_*, waiting_since and accounts'
--     last_activity_at agree with the messages; some threads are archived,
--     assigned, or have reminders armed (due in the future, so no pass fires).
--   - :markers read markers: per thread the portal contact's first, then staff's,
--     0 to 2 rounds behind the thread's end; notifications (the portal contact and
--     two staff per thread), one sent mail row per thread, two tasks on every
--     tenth thread, a session for each staff member and portal contact (tokens
--     nobody knows), and :events recent message.created events (inside retention).
-- Finally VACUUM ANALYZE, as a live database would be.

\if :{?firm}
\else
\echo 'seed.sql: -v firm=ID is required (a firm made by foliod create-firm)'
\quit
\endif
\if :{?accounts} \else \set accounts 100 \endif
\if :{?contacts_per_account} \else \set contacts_per_account 1 \endif
\if :{?threads_per_account} \else \set threads_per_account 1 \endif
\if :{?staff} \else \set staff 0 \endif
\if :{?other_firms} \else \set other_firms 0 \endif
\if :{?other_accounts} \else \set other_accounts 0 \endif
\if :{?other_contacts_per_account} \else \set other_contacts_per_account 1 \endif
\if :{?other_threads_per_account} \else \set other_threads_per_account 1 \endif
\if :{?other_staff} \else \set other_staff 2 \endif
\if :{?messages} \else \set messages 5000 \endif
\if :{?markers} \else \set markers 200 \endif
\if :{?events} \else \set events 1000 \endif
\if :{?bench_threads} \else \set bench_threads 100 \endif

SET client_min_messages = warning;
-- Rows are made consistent by construction; the foreign keys' per-row checks
-- are what makes a million-row insert slow, so they are off for this session.
SET session_replication_role = replica;
-- VACUUM marks a page all-visible only once the hint bits of its rows are set,
-- which waits for the commit to be flushed: with asynchronous commit (tests/env/pg.sh)
-- the VACUUM below would leave the new rows' pages not all-visible.
SET synchronous_commit = on;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';

BEGIN;
-- Explicit ids below are taken from max(id): nobody may insert meanwhile.
LOCK TABLE firms, users, staff, accounts, contacts, threads, messages, read_markers, tasks,
    notifications, mail_outbox, sessions IN SHARE ROW EXCLUSIVE MODE;

SELECT password_hash AS seed_hash FROM users u JOIN staff s ON s.user_id = u.id
 WHERE s.firm_id = :firm ORDER BY (s.role = 'owner') DESC, u.id LIMIT 1 \gset

CREATE TEMP TABLE seed_firm (
    ord int, firm_id bigint, n_accounts int, cpa int, tpa int, n_staff int,
    acct_off bigint, contact_off bigint, thread_off bigint
) ON COMMIT DROP;
INSERT INTO seed_firm (ord, firm_id, n_accounts, cpa, tpa, n_staff)
     VALUES (0, :firm, :accounts, :contacts_per_account, :threads_per_account, :staff);
WITH f AS (INSERT INTO firms (name)
           SELECT format('Seed firm %s', i) FROM generate_series(1, :other_firms) i RETURNING id)
INSERT INTO seed_firm (ord, firm_id, n_accounts, cpa, tpa, n_staff)
SELECT row_number() OVER (ORDER BY id), id, :other_accounts, :other_contacts_per_account,
       :other_threads_per_account, :other_staff FROM f;
UPDATE seed_firm s SET acct_off = x.a, contact_off = x.c, thread_off = x.t
  FROM (SELECT ord,
          coalesce(sum(n_accounts) OVER w, 0) AS a,
          coalesce(sum(n_accounts * cpa) OVER w, 0) AS c,
          coalesce(sum(n_accounts * tpa) OVER w, 0) AS t
        FROM seed_firm WINDOW w AS (ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) x
 WHERE s.ord = x.ord;

-- Staff: the first of a new firm is its owner.
WITH u AS (
    INSERT INTO users (firm_id, kind, name, email, password_hash)
    SELECT f.firm_id, 'staff', format('Staff %s Member%s', f.firm_id, k),
           format('staff-%s-%s@seed.test', f.firm_id, k), :'seed_hash'
      FROM seed_firm f, generate_series(1, f.n_staff) k ORDER BY f.ord, k
    RETURNING id, firm_id)
INSERT INTO staff (user_id, firm_id, role) SELECT id, firm_id, 'member' FROM u;
UPDATE staff s SET role = 'owner'
  FROM (SELECT firm_id, min(user_id) AS user_id FROM staff GROUP BY firm_id
         HAVING bool_and(role <> 'owner')) o
 WHERE s.user_id = o.user_id;
CREATE TEMP TABLE seed_staff ON COMMIT DROP AS
SELECT s.firm_id, array_agg(s.user_id ORDER BY s.user_id) AS ids
  FROM staff s JOIN seed_firm f USING (firm_id) GROUP BY s.firm_id;

-- Accounts, their contacts (users and contacts rows) and threads, with ids computed.
SELECT coalesce(max(id), 0) AS seed_abase FROM accounts \gset
SELECT coalesce(max(id), 0) AS seed_ubase FROM users \gset
SELECT coalesce(max(id), 0) AS seed_tbase FROM threads \gset
SELECT coalesce(max(id), 0) AS seed_mbase FROM messages \gset
SELECT coalesce(sum(n_accounts * tpa), 0) AS seed_threads FROM seed_firm \gset

INSERT INTO accounts (id, firm_id, name)
SELECT :seed_abase + f.acct_off + a, f.firm_id, format('Client %s', lpad(a::text, 5, '0'))
  FROM seed_firm f, generate_series(1, f.n_accounts) a;

INSERT INTO users (id, firm_id, kind, name, email, password_hash)
SELECT :seed_ubase + f.contact_off + (a - 1) * f.cpa + c, f.firm_id, 'contact',
       format('Contact %s-%s Person%s', f.firm_id, a, c),
       format('contact-%s@seed.test', :seed_ubase + f.contact_off + (a - 1) * f.cpa + c), :'seed_hash'
  FROM seed_firm f, generate_series(1, f.n_accounts) a, generate_series(1, f.cpa) c;
INSERT INTO contacts (user_id, firm_id, account_id, portal_access, notify)
SELECT :seed_ubase + f.contact_off + (a - 1) * f.cpa + c, f.firm_id, :seed_abase + f.acct_off + a,
       c = 1, c = 1
  FROM seed_firm f, generate_series(1, f.n_accounts) a, generate_series(1, f.cpa) c;

-- One row per thread slot: who is in it.
CREATE TEMP TABLE seed_thread ON COMMIT DROP AS
SELECT f.thread_off + (j - 1) * f.n_accounts + (a - 1) AS g,
       (j - 1) * f.n_accounts + (a - 1) AS local_slot,
       :seed_tbase + f.thread_off + (j - 1) * f.n_accounts + a AS thread_id,
       f.firm_id, :seed_abase + f.acct_off + a AS account_id,
       :seed_ubase + f.contact_off + (a - 1) * f.cpa + 1 AS contact_id,
       s.ids AS staff_ids, cardinality(s.ids) AS n_staff, f.ord = 0 AS bench_firm
  FROM seed_firm f JOIN seed_staff s USING (firm_id),
       generate_series(1, f.n_accounts) a, generate_series(1, f.tpa) j;
CREATE UNIQUE INDEX ON seed_thread (g);
ANALYZE seed_thread;

INSERT INTO threads (id, firm_id, account_id, subject, created_by)
SELECT thread_id, firm_id, account_id, format('Year-end documents %s', g), staff_ids[1]
  FROM seed_thread ORDER BY g;

-- The messages: i goes to slot i mod threads, round k = i / threads.
INSERT INTO messages (id, firm_id, thread_id, author_id, author_kind, body, body_html, internal,
                      created_at)
SELECT :seed_mbase + i + 1, t.firm_id, t.thread_id,
       CASE WHEN (k + g) % 3 = 1 THEN t.contact_id ELSE t.staff_ids[1 + (k / 3) % t.n_staff] END,
       CASE WHEN (k + g) % 3 = 1 THEN 'contact' ELSE 'staff' END,
       format('Message %s: here are the receipts for month %s and the bank statements. Please check'
              ' the VAT numbers first; the invoices and the payroll follow next week. Thanks!', i, i % 12 + 1),
       format('<p>Message %s: here are the receipts for month %s and the bank statements. Please check'
              ' the VAT numbers first; the invoices and the payroll follow next week. Thanks!</p>', i, i % 12 + 1),
       (k + g) % 3 <> 1 AND k % 10 = 5,
       now() - interval '400 days' + i * (interval '400 days' / greatest(:messages, 1))
  FROM (SELECT i, i / :seed_threads AS k, i % :seed_threads AS g
          FROM generate_series(0, :messages - 1) i) x
  JOIN seed_thread t USING (g);

-- Threads follow their messages; then archive, assign and arm reminders on some.
UPDATE threads t SET
    created_at = x.first_at,
    last_message_at = lm.created_at, last_message_id = lm.id,
    last_public_message_at = coalesce(lp.created_at, x.first_at), last_public_message_id = lp.id,
    last_public_author_kind = lp.author_kind,
    waiting_since = lp.created_at,
    archived = s.g % 7 = 6 AND NOT (s.bench_firm AND s.local_slot < :bench_threads),
    archived_at = CASE WHEN s.g % 7 = 6 AND NOT (s.bench_firm AND s.local_slot < :bench_threads)
                       THEN lm.created_at END,
    seen_archived = s.g % 7 = 6 AND NOT (s.bench_firm AND s.local_slot < :bench_threads),
    assignee_id = CASE WHEN s.g % 4 = 0 THEN s.staff_ids[1 + s.g % s.n_staff] END,
    seen_assignee_id = CASE WHEN s.g % 4 = 0 THEN s.staff_ids[1 + s.g % s.n_staff] END
  FROM (SELECT thread_id, min(created_at) AS first_at, max(id) AS last_id,
               max(id) FILTER (WHERE NOT internal) AS last_public
          FROM messages WHERE id > :seed_mbase GROUP BY thread_id) x
  JOIN seed_thread s USING (thread_id)
  JOIN messages lm ON lm.id = x.last_id
  LEFT JOIN messages lp ON lp.id = x.last_public
 WHERE t.id = x.thread_id;
UPDATE threads t SET reminders_enabled = true, seen_reminders_enabled = true,
    reminder_anchor_at = folio_now() - interval '1 day',
    reminder_next_due_at = folio_now() + make_interval(days => 1 + (s.g % 29)::int)
  FROM seed_thread s
 WHERE t.id = s.thread_id AND s.g % 10 = 3 AND NOT t.archived
   AND t.last_public_author_kind = 'staff';

UPDATE accounts a SET last_activity_at = x.la, last_public_activity_at = x.lpa
  FROM (SELECT t.account_id, max(t.last_message_at) AS la, max(t.last_public_message_at) AS lpa
          FROM threads t JOIN seed_thread s ON s.thread_id = t.id
         WHERE t.last_message_id IS NOT NULL GROUP BY t.account_id) x
 WHERE a.id = x.account_id;

-- Read markers: marker j is on slot j mod threads; round 0 is the portal contact's,
-- round r > 0 the r-th staff member's; 0 to 2 rounds of messages behind the end.
INSERT INTO read_markers (thread_id, user_id, firm_id, up_to_message_id)
SELECT s.thread_id,
       CASE WHEN r = 0 THEN s.contact_id ELSE s.staff_ids[1 + (r - 1) % s.n_staff] END,
       s.firm_id, greatest(0, coalesce(t.last_message_id, 0) - (r % 3) * :seed_threads)
  FROM (SELECT j / :seed_threads AS r, j % :seed_threads AS g
          FROM generate_series(0, :markers - 1) j) x
  JOIN seed_thread s USING (g) JOIN threads t ON t.id = s.thread_id
ON CONFLICT (thread_id, user_id) DO NOTHING;

-- Inbox+ and pending items: the portal contact and two staff per thread.
INSERT INTO notifications (firm_id, user_id, thread_id, account_id, type, actor_id, message_id,
                           created_at, bumped_at, bump, read_at)
SELECT s.firm_id, w.user_id, s.thread_id, s.account_id, 'message', s.staff_ids[1],
       t.last_public_message_id, t.last_message_at, t.last_message_at,
       nextval('notification_bump'), CASE WHEN (s.g + w.n) % 3 <> 0 THEN t.last_message_at END
  FROM seed_thread s JOIN threads t ON t.id = s.thread_id
 CROSS JOIN LATERAL (VALUES (0, s.contact_id), (1, s.staff_ids[1 + s.g % s.n_staff]),
                            (2, s.staff_ids[1 + (s.g + 1) % s.n_staff])) w(n, user_id)
 WHERE t.last_message_id IS NOT NULL
 ORDER BY t.last_message_at, s.g, w.n
ON CONFLICT (user_id, thread_id) DO NOTHING;

-- One sent mail per thread, to its portal contact.
INSERT INTO mail_outbox (firm_id, kind, thread_id, message_id, user_id, to_email, to_name, from_name,
                         subject, body_text, body_html, message_ident, state, attempts,
                         next_attempt_at, created_at, sent_at)
SELECT s.firm_id, 'message', s.thread_id, t.last_public_message_id, s.contact_id,
       format('contact-%s@seed.test', s.contact_id), 'Contact', 'Seed firm', t.subject,
       'A new message is waiting for you.', '<p>A new message is waiting for you.</p>',
       format('<seed.%s.%s@seed.test>', s.thread_id, t.last_public_message_id), 'sent', 1,
       t.last_public_message_at, t.last_public_message_at, t.last_public_message_at
  FROM seed_thread s JOIN threads t ON t.id = s.thread_id
 WHERE t.last_public_message_id IS NOT NULL;

INSERT INTO tasks (firm_id, thread_id, title, position)
SELECT s.firm_id, s.thread_id, format('Document %s', n), n
  FROM seed_thread s, generate_series(1, 2) n WHERE s.g % 10 = 0;

-- A session for every staff member and portal contact (tokens nobody knows).
INSERT INTO sessions (user_id, token_hash, expires_at)
SELECT u.id, sha256(('seed-session-' || u.id)::bytea), now() + interval '30 days'
  FROM users u JOIN seed_firm f USING (firm_id) LEFT JOIN contacts c ON c.user_id = u.id
 WHERE u.kind = 'staff' OR c.portal_access;

-- Recent events (inside retention), as the sequencer would have written them.
INSERT INTO events (id, type, firm_id, account_id, staff_only, user_id, actor_id, staff_payload,
                    contact_payload, actor_payload, changed_at, created_at)
SELECT nextval('events_id_seq'), 'message.created', m.firm_id, s.account_id, m.internal, NULL,
       m.author_id, json_build_object('message', json_build_object('id', m.id, 'thread_id', m.thread_id)),
       NULL, NULL, now() - (:events - n) * interval '10 ms', now() - (:events - n) * interval '10 ms'
  FROM (SELECT m.*, row_number() OVER (ORDER BY m.id) AS n
          FROM (SELECT * FROM messages WHERE id > :seed_mbase ORDER BY id DESC LIMIT :events) m) m
  JOIN seed_thread s ON s.thread_id = m.thread_id
 ORDER BY m.id;

-- The foreign keys were not checked row by row: check the new rows in bulk.
CREATE TEMP TABLE seed_check ON COMMIT DROP AS SELECT
  (SELECT count(*) FROM messages m LEFT JOIN threads t ON t.id = m.thread_id AND t.firm_id = m.firm_id
    WHERE m.id > :seed_mbase AND t.id IS NULL)
+ (SELECT count(*) FROM messages m LEFT JOIN users u ON u.id = m.author_id AND u.firm_id = m.firm_id
    WHERE m.id > :seed_mbase AND u.id IS NULL)
+ (SELECT count(*) FROM seed_thread s JOIN threads t ON t.id = s.thread_id
     LEFT JOIN accounts a ON a.id = t.account_id AND a.firm_id = t.firm_id
     LEFT JOIN users u ON u.id = t.created_by
     LEFT JOIN staff st ON st.user_id = t.assignee_id
    WHERE a.id IS NULL OR u.id IS NULL OR (t.assignee_id IS NOT NULL AND st.user_id IS NULL))
+ (SELECT count(*) FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id AND a.firm_id = c.firm_id
     LEFT JOIN users u ON u.id = c.user_id AND u.firm_id = c.firm_id
    WHERE c.user_id > :seed_ubase AND (a.id IS NULL OR u.id IS NULL))
+ (SELECT count(*) FROM read_markers r JOIN seed_thread s ON s.thread_id = r.thread_id
     LEFT JOIN users u ON u.id = r.user_id AND u.firm_id = r.firm_id WHERE u.id IS NULL)
+ (SELECT count(*) FROM notifications n JOIN seed_thread s ON s.thread_id = n.thread_id
     LEFT JOIN users u ON u.id = n.user_id AND u.firm_id = n.firm_id WHERE u.id IS NULL)
  AS bad;
DO $$ BEGIN
    IF (SELECT bad FROM seed_check) > 0 THEN
        RAISE EXCEPTION 'seed.sql: % seeded rows break a foreign key', (SELECT bad FROM seed_check);
    END IF;
END $$;

\o /dev/null
SELECT setval('accounts_id_seq', greatest((SELECT max(id) FROM accounts), 1));
SELECT setval('users_id_seq', greatest((SELECT max(id) FROM users), 1));
SELECT setval('threads_id_seq', greatest((SELECT max(id) FROM threads), 1));
SELECT setval('messages_id_seq', greatest((SELECT max(id) FROM messages), 1));
\o
COMMIT;

RESET session_replication_role;
VACUUM ANALYZE;
