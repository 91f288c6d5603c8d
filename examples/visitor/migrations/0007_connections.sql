-- 0007: SSO connections an organization's admin adds in the console (by metadata URL or
-- uploaded XML). The last accepted metadata copy is kept, so what the console shows is
-- what was checked. A connection takes real sign-ins only after a successful test
-- sign-in: the CHECK below backs the console's rule, so no code path can enable an
-- untested connection.

CREATE TABLE connections (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    preset        TEXT NOT NULL,
    metadata_url  TEXT,          -- NULL when the XML was uploaded
    metadata_xml  TEXT NOT NULL, -- the accepted copy
    entity_id     TEXT NOT NULL,
    created_at    TEXT NOT NULL, -- RFC 3339, UTC
    tested_at     TEXT,          -- last successful test sign-in
    enabled_at    TEXT,
    CHECK (enabled_at IS NULL OR tested_at IS NOT NULL),
    UNIQUE (org_id, entity_id)
);
CREATE INDEX connections_org ON connections (org_id, id);
