-- 011_totp.sql -- issue 13, part 7: a second factor, TOTP (RFC 6238), per
-- user, with one-time recovery codes, and the firm's policy of who must have it.
-- (010 is the audit log's, on its own branch.)
--
-- The secret cannot be hashed: the server computes codes from it. It is stored
-- as it is (20 random bytes), readable by whoever can read this table: the
-- database role foliod uses and the database's superusers, and any backup of
-- the database (docs/OPERATIONS.md). No route ever answers it again after the
-- enrolment began. Recovery codes carry 50 random bits each and are stored
-- only as their SHA-256.

-- One row per user that began an enrolment; enabled_at is set once a code
-- confirmed it. last_step is the last time step (unix time / 30) whose code
-- was taken: a code of that step or an earlier one is refused (replay).
CREATE TABLE user_totp (
    user_id bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    secret bytea NOT NULL CHECK (length(secret) = 20),
    created_at timestamptz NOT NULL DEFAULT now(),
    enabled_at timestamptz,
    last_step bigint
);

-- Ten per enrolment (or regeneration); a used code is deleted.
CREATE TABLE totp_recovery_codes (
    user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    code_hash bytea NOT NULL CHECK (length(code_hash) = 32),
    PRIMARY KEY (user_id, code_hash)
);

-- Who of the firm must log in with a second factor: nobody, staff, client
-- contacts, or everyone. A user it covers without TOTP gets a session that may
-- only enrol (server/route.c).
ALTER TABLE firms ADD COLUMN require_totp text NOT NULL DEFAULT 'none'
    CHECK (require_totp IN ('none', 'staff', 'clients', 'all'));
