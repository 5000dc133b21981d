-- tests/bench/pgbench_send.sql -- pgbench: the shape of a message send, as PostgreSQL
-- alone does it: insert a message of about 200 bytes into a random one of :tcount
-- threads with consecutive ids from :tfirst, move its thread, commit. Variables
-- (pgbench -D): firm, author (a staff user of the firm), tfirst, tcount.
-- Run by bench_scale.py beside wrk_send.lua, on the same database and cluster.
\set tid :tfirst + random(0, :tcount - 1)
BEGIN;
INSERT INTO messages (firm_id, thread_id, author_id, author_kind, body, body_html)
VALUES (:firm, :tid, :author, 'staff',
        'Hello, here are the **receipts** for this month and the bank statements. Please check the VAT numbers first; the invoices and the payroll follow next week. Thank you and kind regards! Message',
        '<p>Hello, here are the <strong>receipts</strong> for this month and the bank statements. Please check the VAT numbers first; the invoices and the payroll follow next week. Thank you and kind regards! Message</p>')
RETURNING id AS message_id \gset
UPDATE threads SET last_message_id = :message_id, last_message_at = now(),
       last_public_message_id = :message_id, last_public_message_at = now()
 WHERE id = :tid;
END;
