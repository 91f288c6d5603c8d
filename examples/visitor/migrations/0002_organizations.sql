-- 0002: organizations. Every company is a tenant of its own: its verified
-- email domains, its locations, its users (and through them identities and
-- visits). Everything that existed before moves, unchanged, into one
-- organization, slug 'default'; the configuration can hand it to a
-- configured organization (`[[org]] adopt_default = true`).
--
-- Composite foreign keys (org_id, id) make the database itself refuse a row
-- that points into another organization: a visit's host, a user's default
-- location, a location grant. Runs with foreign_keys OFF (SQLite "Making
-- Other Kinds Of Table Schema Changes"); the runner checks foreign keys
-- before committing.

CREATE TABLE organizations (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    default_location_id INTEGER REFERENCES locations (id),
    created_at          TEXT NOT NULL
);

-- One domain, one owner: the primary key makes it unique across
-- organizations.
CREATE TABLE org_domains (
    domain TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE
);

INSERT INTO organizations (id, slug, name, created_at)
VALUES (1, 'default', 'Default organization', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

CREATE TABLE locations_new (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, name),
    UNIQUE (org_id, id)
);
INSERT INTO locations_new (id, org_id, name, created_at)
SELECT id, 1, name, created_at FROM locations;

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
    source              TEXT NOT NULL CHECK (source IN ('jit', 'manual', 'scim')),
    external_id         TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    last_login_at       TEXT,
    -- Sessions started at or before this time (Unix seconds) are over:
    -- set when the user is deactivated.
    sessions_not_before INTEGER,
    UNIQUE (org_id, email_normalized),
    UNIQUE (org_id, external_id),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, default_location_id) REFERENCES locations (org_id, id)
);
INSERT INTO users_new (id, org_id, email, email_normalized, given_name, family_name,
    display_name, role, active, default_location_id, source, external_id, created_at,
    updated_at, last_login_at)
SELECT id, 1, email, email_normalized, given_name, family_name, display_name, role, active,
    default_location_id, source, external_id, created_at, updated_at, last_login_at
FROM users;

CREATE TABLE user_locations_new (
    org_id      INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('host', 'admin')),
    PRIMARY KEY (user_id, location_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id) ON DELETE CASCADE
);
INSERT INTO user_locations_new (org_id, user_id, location_id, role)
SELECT 1, user_id, location_id, role FROM user_locations;

-- A person at an IdP, within the organization the connection belongs to.
CREATE TABLE identities_new (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    idp_entity_id   TEXT NOT NULL,
    name_id         TEXT NOT NULL,
    name_id_format  TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_login_at   TEXT,
    last_attributes TEXT NOT NULL DEFAULT '[]',
    UNIQUE (org_id, idp_entity_id, name_id, name_id_format),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
INSERT INTO identities_new (id, org_id, user_id, idp_entity_id, name_id, name_id_format,
    created_at, last_login_at, last_attributes)
SELECT id, 1, user_id, idp_entity_id, name_id, name_id_format, created_at, last_login_at,
    last_attributes
FROM identities;

CREATE TABLE visits_new (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL,
    visitor_name  TEXT NOT NULL,
    visitor_email TEXT NOT NULL,
    host_user_id  INTEGER NOT NULL,
    location_id   INTEGER,
    expected_on   TEXT NOT NULL, -- YYYY-MM-DD
    registered_by INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    checked_in_at TEXT,
    cancelled_at  TEXT,
    FOREIGN KEY (org_id, host_user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, registered_by) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id)
);
INSERT INTO visits_new (id, org_id, visitor_name, visitor_email, host_user_id, location_id,
    expected_on, registered_by, created_at, checked_in_at)
SELECT id, 1, visitor_name, visitor_email, host_user_id, location_id, expected_on,
    registered_by, created_at, checked_in_at
FROM visits;

DROP TABLE visits;
DROP TABLE identities;
DROP TABLE user_locations;
DROP TABLE users;
DROP TABLE locations;
ALTER TABLE locations_new RENAME TO locations;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE user_locations_new RENAME TO user_locations;
ALTER TABLE identities_new RENAME TO identities;
ALTER TABLE visits_new RENAME TO visits;

CREATE INDEX identities_user ON identities (user_id);
CREATE INDEX visits_expected ON visits (org_id, expected_on);
CREATE INDEX users_org ON users (org_id);
