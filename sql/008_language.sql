-- 008_language.sql -- German first: the language a firm's mail is written in
-- (German unless the owner chooses English, PATCH /api/v1/firm), and account
-- and template names in German order.
--
-- Names sort by ICU's German collation ("de-x-icu": "Ärztehaus" with A,
-- "Bäckerei" with B), on lower(name) so that case does not split a letter.
-- The lists' ORDER BY and their keyset cursors (server/db-people.c,
-- server/db-templates.c) use exactly these expressions, so a page is still
-- read in index order. The unique indexes on lower(name) stay as they are:
-- they decide what counts as a duplicate name, not the order.

ALTER TABLE firms ADD COLUMN language text NOT NULL DEFAULT 'de'
    CHECK (language IN ('de', 'en'));

-- GET /accounts?sort=name and GET /templates: the firm's rows by name.
CREATE INDEX accounts_name_de ON accounts (firm_id, (lower(name) COLLATE "de-x-icu"), id);
CREATE INDEX templates_name_de ON templates (firm_id, (lower(name) COLLATE "de-x-icu"), id);

-- GET /accounts by last activity (the default), names in German order within
-- one time (005_scale.sql's index, with the collation).
DROP INDEX accounts_activity;
CREATE INDEX accounts_activity ON accounts
    (firm_id, last_activity_at DESC NULLS LAST, (lower(name) COLLATE "de-x-icu"), id);
