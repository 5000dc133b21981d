-- 013_documents.sql -- folders and documents of an account, their bytes in
-- PostgreSQL (so every foliod sees them and one backup covers them), and which
-- message carries which document.
--
-- The bytes are split into document_chunks of at most 256 KiB each, written
-- and read one at a time, so neither foliod nor PostgreSQL ever holds a whole
-- file as one value. A document row and its chunks are written in one
-- transaction: an upload that fails leaves nothing behind.

-- A folder of an account. A top-level folder has an access level; a subfolder
-- takes its top-level folder's (copied in `access` when it is created, and kept
-- equal by folio_folders_access so a query needs no recursion).
CREATE TABLE folders (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    account_id bigint NOT NULL,
    parent_id bigint REFERENCES folders ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255 AND name !~ '[\x01-\x1f\x7f/]'),
    access text NOT NULL CHECK (access IN ('private', 'client_view', 'client_edit')),
    -- The one top-level folder that takes chat uploads (created when missing).
    chat_uploads boolean NOT NULL DEFAULT false,
    created_by bigint REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    CHECK (NOT chat_uploads OR parent_id IS NULL),
    FOREIGN KEY (account_id, firm_id) REFERENCES accounts (id, firm_id) ON DELETE CASCADE,
    UNIQUE (id, account_id)
);
CREATE INDEX folders_account ON folders (account_id, parent_id);
-- Names are unique among siblings; the chat uploads folder may share its name with one.
CREATE UNIQUE INDEX folders_name ON folders (account_id, coalesce(parent_id, 0), lower(name))
    WHERE NOT chat_uploads;
CREATE UNIQUE INDEX folders_chat_uploads ON folders (account_id) WHERE chat_uploads;

-- A subfolder's access is its parent's, whatever the INSERT said.
CREATE FUNCTION folio_folders_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL THEN
        SELECT access INTO NEW.access FROM folders
         WHERE id = NEW.parent_id AND account_id = NEW.account_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'parent folder of another account' USING ERRCODE = '23503';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER folders_access BEFORE INSERT ON folders
    FOR EACH ROW EXECUTE FUNCTION folio_folders_access();

CREATE TABLE documents (
    id bigserial PRIMARY KEY,
    firm_id bigint NOT NULL,
    account_id bigint NOT NULL,
    folder_id bigint NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    media_type text NOT NULL DEFAULT 'application/octet-stream',
    -- Lower-case hex; NULL only while the upload's transaction is open.
    sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    chunks integer NOT NULL DEFAULT 0,
    created_by bigint REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT folio_now(),
    FOREIGN KEY (folder_id, account_id) REFERENCES folders (id, account_id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, firm_id) REFERENCES accounts (id, firm_id) ON DELETE CASCADE
);
CREATE INDEX documents_folder ON documents (folder_id, id);
CREATE INDEX documents_account ON documents (account_id, id);

-- Chunk n (from 0) of a document: at most 256 KiB. EXTERNAL: PostgreSQL
-- would not compress most documents (scans, PDFs) anyway, and uncompressed
-- TOAST values are cheaper to read back.
CREATE TABLE document_chunks (
    document_id bigint NOT NULL REFERENCES documents ON DELETE CASCADE,
    n integer NOT NULL CHECK (n >= 0),
    data bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 262144),
    PRIMARY KEY (document_id, n)
);
ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- The documents a message carries, in the order they were given.
CREATE TABLE message_documents (
    message_id bigint NOT NULL REFERENCES messages ON DELETE CASCADE,
    document_id bigint NOT NULL REFERENCES documents ON DELETE CASCADE,
    position integer NOT NULL,
    PRIMARY KEY (message_id, document_id)
);
CREATE INDEX message_documents_document ON message_documents (document_id);
