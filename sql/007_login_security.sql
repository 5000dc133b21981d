-- Issue 13, parts 4 to 6: logging in without lockout or enumeration, sessions
-- with an idle timeout that their owner can list and revoke.

-- The locks of this file, taken at once in the order the token check takes them
-- (sessions, then users): a previous release serving meanwhile waits for the
-- migration instead of deadlocking with it.
LOCK TABLE sessions, users IN ACCESS EXCLUSIVE MODE;

-- Addresses are unique per firm, not across firms: a person who is a contact of
-- two firms has a user in each and chooses the firm after the password matched.
DROP INDEX users_email;
CREATE UNIQUE INDEX users_firm_email ON users (firm_id, lower(email));
CREATE INDEX users_email ON users (lower(email));

-- When a session was last used (the idle timeout) and where it came from (the
-- list of my sessions). last_used_at is moved at most once a minute.
ALTER TABLE sessions
    ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN address text CHECK (length(address) <= 64),
    ADD COLUMN user_agent text CHECK (length(user_agent) <= 256);
CREATE INDEX sessions_user ON sessions (user_id, id) WHERE revoked_at IS NULL;

-- The back-off counts failures per (account, address).
CREATE INDEX login_failures_pair ON login_failures (lower(email), address, at);
