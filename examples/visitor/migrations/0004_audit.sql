-- 0004: the audit log of each organization: sign-ins (ok and failed, with the failure's
-- code and correlation ID), just-in-time creations and links, admin actions, and later
-- provisioning, sync and token events. Bounded per organization (a row cap and a
-- retention time, both configured) by the app; never holds SAML messages, assertion
-- bodies, attribute values or secrets, only what crate::audit::Event lets a caller say.

CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at             TEXT NOT NULL, -- RFC 3339, UTC
    category       TEXT NOT NULL,
    action         TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
    actor          TEXT,
    connection     TEXT,
    code           TEXT,
    correlation_id TEXT,
    -- JSON object of short, clipped strings (the event's details).
    detail         TEXT NOT NULL DEFAULT '{}'
);
-- Newest first per organization (the pages, the row cap), and by time (retention).
CREATE INDEX audit_events_org ON audit_events (org_id, id);
CREATE INDEX audit_events_at ON audit_events (at);

-- The row cap per organization, written from the configuration at every start, and
-- enforced at every insert (so a flood of failed sign-ins between two pruning passes
-- cannot grow the table): the newest max_events_per_org rows of the organization stay.
CREATE TABLE audit_limits (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    max_events_per_org INTEGER NOT NULL CHECK (max_events_per_org > 0)
);
INSERT INTO audit_limits (id, max_events_per_org) VALUES (1, 10000);

CREATE TRIGGER audit_events_cap AFTER INSERT ON audit_events
BEGIN
    DELETE FROM audit_events
    WHERE org_id = NEW.org_id
      AND id <= (SELECT id FROM audit_events
                 WHERE org_id = NEW.org_id
                 ORDER BY id DESC
                 LIMIT 1 OFFSET (SELECT max_events_per_org FROM audit_limits WHERE id = 1));
END;
