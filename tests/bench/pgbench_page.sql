-- tests/bench/pgbench_page.sql -- pgbench: the statement behind
-- GET /api/v1/threads/{id}/messages?limit=50 for a staff user (MESSAGES_PAGE in
-- server/db-messages.c, the variant without before/after, its arguments filled in):
-- the visibility check and the last 50 messages of a random one of :tcount
-- threads with consecutive ids from :tfirst, as one JSON value. Variables
-- (pgbench -D): user, firm, tfirst, tcount. Run by bench_scale.py beside
-- wrk_page.lua. Keep it in step with the server's query.
\set tid :tfirst + random(0, :tcount - 1)
SELECT p.items, p.n, p.first, p.last FROM threads t CROSS JOIN LATERAL (SELECT
  coalesce(json_agg(folio_message_view(x, u.name, d.delivery, :user) ORDER BY x.id), '[]')
   AS items, count(*) AS n, min(x.id) AS first, max(x.id) AS last
  FROM (SELECT m.* FROM messages m WHERE m.thread_id = t.id AND (true OR NOT m.internal)
   AND NULL::bigint IS NULL AND NULL::bigint IS NULL ORDER BY m.id DESC LIMIT 50) x
  JOIN users u ON u.id = x.author_id LEFT JOIN LATERAL folio_delivery(x.id) d ON true) p
 WHERE t.id = :tid AND t.firm_id = :firm AND (NULL::bigint IS NULL OR t.account_id = NULL);
