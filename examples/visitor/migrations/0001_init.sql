-- 0001: users, their linked SAML identities, locations, visits.
-- Shaped so SCIM provisioning can write the same tables later
-- (users.external_id, users.active, users.source = 'scim').

CREATE TABLE locations (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    -- As received; email_normalized (lower-case ASCII) carries the
    -- case-insensitive uniqueness.
    email               TEXT NOT NULL,
    email_normalized    TEXT NOT NULL UNIQUE,
    given_name          TEXT NOT NULL DEFAULT '',
    family_name         TEXT NOT NULL DEFAULT '',
    display_name        TEXT NOT NULL,
    -- Role at the default location (user_locations has the role per location).
    role                TEXT NOT NULL DEFAULT 'host' CHECK (role IN ('host', 'admin')),
    active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    default_location_id INTEGER REFERENCES locations (id),
    source              TEXT NOT NULL CHECK (source IN ('jit', 'manual', 'scim')),
    external_id         TEXT UNIQUE,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    last_login_at       TEXT
);

CREATE TABLE user_locations (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('host', 'admin')),
    PRIMARY KEY (user_id, location_id)
);

-- A person at an IdP: (IdP entity ID, NameID, NameID format) is the key.
CREATE TABLE identities (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idp_entity_id   TEXT NOT NULL,
    name_id         TEXT NOT NULL,
    name_id_format  TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_login_at   TEXT,
    -- JSON array of the attributes of the last sign-in, for the "me" page.
    last_attributes TEXT NOT NULL DEFAULT '[]',
    UNIQUE (idp_entity_id, name_id, name_id_format)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE visits (
    id            INTEGER PRIMARY KEY,
    visitor_name  TEXT NOT NULL,
    visitor_email TEXT NOT NULL,
    host_user_id  INTEGER NOT NULL REFERENCES users (id),
    location_id   INTEGER REFERENCES locations (id),
    expected_on   TEXT NOT NULL, -- YYYY-MM-DD
    registered_by INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    checked_in_at TEXT
);
CREATE INDEX visits_expected ON visits (expected_on);
