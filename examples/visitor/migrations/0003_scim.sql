-- 0003: SCIM 2.0 provisioning (RFC 7643/7644).
--
-- users is rebuilt (SQLite cannot change a CHECK in place) to add:
-- - user_name: the SCIM userName, the key Entra ID and Okta match on
--   (case-insensitive: user_name_normalized, unique per organization);
--   every existing user's is their email, which is what both send, and a
--   row inserted without one gets its email too (trigger);
-- - email_type: the type of the one email address SCIM sees ('work' by
--   default); NULL when a SCIM client sent no email, and the email column
--   then repeats user_name;
-- - deleted_at: a SCIM DELETE. The row stays (the visits they hosted keep
--   their host) but is gone for SCIM, sign-in and the host directory;
-- - source also allows 'ldap' and 'upload' (directory sync).
-- Runs with foreign_keys OFF; the runner checks foreign keys before
-- committing (as 0002).

CREATE TABLE users_new (
    id                   INTEGER PRIMARY KEY,
    org_id               INTEGER NOT NULL REFERENCES organizations (id),
    email                TEXT NOT NULL,
    email_normalized     TEXT NOT NULL,
    given_name           TEXT NOT NULL DEFAULT '',
    family_name          TEXT NOT NULL DEFAULT '',
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL DEFAULT 'host' CHECK (role IN ('host', 'admin')),
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    default_location_id  INTEGER,
    source               TEXT NOT NULL
                         CHECK (source IN ('jit', 'manual', 'scim', 'ldap', 'upload')),
    external_id          TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    last_login_at        TEXT,
    sessions_not_before  INTEGER,
    -- NULL only until the trigger below fills them in.
    user_name            TEXT,
    user_name_normalized TEXT,
    email_type           TEXT DEFAULT 'work',
    deleted_at           TEXT,
    UNIQUE (org_id, email_normalized),
    UNIQUE (org_id, user_name_normalized),
    UNIQUE (org_id, external_id),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, default_location_id) REFERENCES locations (org_id, id)
);
INSERT INTO users_new (id, org_id, email, email_normalized, given_name, family_name,
    display_name, role, active, default_location_id, source, external_id, created_at,
    updated_at, last_login_at, sessions_not_before, user_name, user_name_normalized, email_type)
SELECT id, org_id, email, email_normalized, given_name, family_name, display_name, role, active,
    default_location_id, source, external_id, created_at, updated_at, last_login_at,
    sessions_not_before, email, email_normalized, 'work'
FROM users;

DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_org ON users (org_id);

-- A row inserted without a userName (by code that predates SCIM) gets its
-- email, as every existing user did above.
CREATE TRIGGER users_default_user_name AFTER INSERT ON users
WHEN NEW.user_name IS NULL
BEGIN
    UPDATE users SET user_name = NEW.email, user_name_normalized = NEW.email_normalized
    WHERE id = NEW.id;
END;

-- Bearer tokens of SCIM clients, one organization each. Only the SHA-256
-- of the secret is kept; the secret is shown once, when made.
CREATE TABLE scim_tokens (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    secret_hash BLOB NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id);
