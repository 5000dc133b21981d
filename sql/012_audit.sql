-- 012_audit.sql -- the audit log (issue 13, part 10): logins, failed logins,
-- role and permission changes, session revocations and document downloads,
-- one row each, written in the transaction of the change it records. The
-- firm's owners read it (GET /api/v1/audit); nobody changes it. And the one
-- permission the schema lacked for PATCH /api/v1/staff/{id}: an inactive
-- team member cannot log in.
--
-- No foreign keys on the user and session ids: a row outlives the user it
-- names (ON DELETE SET NULL would be an UPDATE, which the log refuses), and a
-- failed login names no session. firm_id has none either, for the same reason.

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    at timestamptz NOT NULL DEFAULT folio_now(),
    -- Who did it: a user of the firm, or nobody known (a failed login).
    actor_id bigint,
    actor_kind text NOT NULL CHECK (actor_kind IN ('staff', 'contact', 'anonymous')),
    -- document_downloaded: GET /api/v1/documents/{id}/content (013_documents.sql).
    kind text NOT NULL CHECK (kind IN ('login', 'login_failed', 'logout', 'session_revoked',
        'password_changed', 'staff_added', 'staff_role_changed', 'staff_deactivated',
        'staff_reactivated', 'contact_added', 'contact_access_changed', 'firm_updated', 'document_downloaded',
        'totp_enabled', 'totp_disabled', 'totp_reset', 'totp_recovery_codes_renewed')),
    -- Whom or what it was done to.
    subject_user_id bigint,
    subject_session_id bigint,
    address text CHECK (length(address) <= 64),
    user_agent text CHECK (length(user_agent) <= 256),
    details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    CHECK ((actor_kind = 'anonymous') = (actor_id IS NULL))
);

-- Owners page newest first within their firm: (firm_id, id DESC), also with a
-- kind or an actor filter the index keeps the walk within the firm.
CREATE INDEX audit_log_firm ON audit_log (firm_id, id DESC);

-- Append-only: a row once written is never changed or removed, by anyone
-- connected as the application's role (a superuser could drop the trigger;
-- that is outside what the application can do by mistake or through a bug).
CREATE FUNCTION folio_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION folio_audit_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION folio_audit_refuse();

-- A team member switched off (PATCH /api/v1/staff/{id} {active: false}) keeps
-- its messages and assignments but can neither log in nor use a session.
ALTER TABLE staff ADD COLUMN active boolean NOT NULL DEFAULT true;
