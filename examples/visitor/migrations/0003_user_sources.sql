-- 0003: users.source also allows 'ldap' and 'upload' (directory sync). SQLite cannot
-- change a CHECK in place: the table is rebuilt (SQLite "Making Other Kinds Of Table
-- Schema Changes"), with foreign keys off; the runner checks them before committing.

CREATE TABLE users_new (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations (id),
    email               TEXT NOT NULL,
    email_normalized    TEXT NOT NULL,
    given_name          TEXT NOT NULL DEFAULT '',
    family_name         TEXT NOT NULL DEFAULT '',
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL DEFAULT 'host' CHECK (role IN ('host', 'admin')),
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    default_location_id INTEGER,
    source              TEXT NOT NULL
                        CHECK (source IN ('jit', 'manual', 'scim', 'ldap', 'upload')),
    external_id         TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    last_login_at       TEXT,
    sessions_not_before INTEGER,
    UNIQUE (org_id, email_normalized),
    UNIQUE (org_id, external_id),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, default_location_id) REFERENCES locations (org_id, id)
);
INSERT INTO users_new SELECT id, org_id, email, email_normalized, given_name, family_name,
    display_name, role, active, default_location_id, source, external_id, created_at,
    updated_at, last_login_at, sessions_not_before FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_org ON users (org_id);
