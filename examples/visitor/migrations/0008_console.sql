-- 0008: the admin console's diagnostics. Connections are edited, refreshed from their URL
-- and deleted; failure traces a poster can attribute to an organization without proof are
-- kept apart from the verified ones; admins are mailed about expiring IdP certificates and
-- failing metadata refreshes. Runs with foreign_keys OFF (tables are rebuilt: SQLite
-- "Making Other Kinds Of Table Schema Changes"); the runner checks foreign keys before it
-- commits.

-- Connections, rebuilt so that an ID is never used twice (AUTOINCREMENT): a deleted
-- connection's slug conn-<id> is still named by the sessions made through it (ended at their
-- next request because the slug is gone), its audit events and its notices, and must never
-- come to name another connection. Plus the outcome of refreshing it from its URL.
CREATE TABLE connections_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    preset            TEXT NOT NULL,
    metadata_url      TEXT,          -- NULL when the XML was uploaded
    metadata_xml      TEXT NOT NULL, -- the accepted copy
    entity_id         TEXT NOT NULL,
    created_at        TEXT NOT NULL, -- RFC 3339, UTC
    tested_at         TEXT,          -- last successful test sign-in
    enabled_at        TEXT,
    refreshed_at      TEXT,          -- last fetch from metadata_url that was accepted
    refresh_failed_at TEXT,          -- last fetch that was not (NULL after one that was)
    refresh_error     TEXT,          -- why, for the admin (no secret)
    CHECK (enabled_at IS NULL OR tested_at IS NOT NULL),
    UNIQUE (org_id, entity_id)
);
INSERT INTO connections_new (id, org_id, name, preset, metadata_url, metadata_xml, entity_id,
                             created_at, tested_at, enabled_at)
SELECT id, org_id, name, preset, metadata_url, metadata_xml, entity_id, created_at, tested_at,
       enabled_at
FROM connections;
DROP TABLE connections;
ALTER TABLE connections_new RENAME TO connections;
CREATE INDEX connections_org ON connections (org_id, id);

-- Audit events whose organization was named by something anyone can send (a response's
-- claimed Issuer, a login link, a pending request anyone can start, a logout message in a
-- signed-in browser) are "unverified": capped on their own, with a smaller cap, so a flood
-- of them cannot push the organization's verified events (sign-ins, admin actions, verified
-- failures) out. Each trigger deletes only rows of its own kind.
ALTER TABLE audit_events ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0
    CHECK (unverified IN (0, 1));
ALTER TABLE audit_limits ADD COLUMN max_unverified_per_org INTEGER NOT NULL DEFAULT 1000
    CHECK (max_unverified_per_org > 0);
CREATE INDEX audit_events_org_kind ON audit_events (org_id, unverified, id);

DROP TRIGGER audit_events_cap;
CREATE TRIGGER audit_events_cap AFTER INSERT ON audit_events WHEN NEW.unverified = 0
BEGIN
    DELETE FROM audit_events
    WHERE org_id = NEW.org_id
      AND unverified = 0
      AND id <= (SELECT id FROM audit_events
                 WHERE org_id = NEW.org_id AND unverified = 0
                 ORDER BY id DESC
                 LIMIT 1 OFFSET (SELECT max_events_per_org FROM audit_limits WHERE id = 1));
END;
CREATE TRIGGER audit_events_cap_unverified AFTER INSERT ON audit_events WHEN NEW.unverified = 1
BEGIN
    DELETE FROM audit_events
    WHERE org_id = NEW.org_id
      AND unverified = 1
      AND id <= (SELECT id FROM audit_events
                 WHERE org_id = NEW.org_id AND unverified = 1
                 ORDER BY id DESC
                 LIMIT 1 OFFSET (SELECT max_unverified_per_org FROM audit_limits WHERE id = 1));
END;

-- The outbox, rebuilt: notices to an organization's admins (an IdP certificate about to
-- expire, a metadata refresh failing) may go to an address that is nobody's account (the
-- organization's notification address), so user_id may be NULL for those kinds.
CREATE TABLE outbox_new (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    kind       TEXT NOT NULL
               CHECK (kind IN ('checkin', 'invite', 'cert_expiry', 'metadata_refresh')),
    user_id    INTEGER,
    visit_id   INTEGER,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    last_error TEXT,
    sent_at    TEXT,
    created_at TEXT NOT NULL,
    CHECK (user_id IS NOT NULL OR kind IN ('cert_expiry', 'metadata_refresh')),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, visit_id) REFERENCES visits (org_id, id) ON DELETE CASCADE
);
INSERT INTO outbox_new (id, org_id, kind, user_id, visit_id, recipient, subject, body_text,
                        body_html, status, attempts, not_before, last_error, sent_at, created_at)
SELECT id, org_id, kind, user_id, visit_id, recipient, subject, body_text, body_html, status,
       attempts, not_before, last_error, sent_at, created_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_visit ON outbox (org_id, visit_id);

-- Where an organization's admin notices go (NULL address: to its admins' own addresses).
CREATE TABLE notice_settings (
    org_id     INTEGER PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    address    TEXT,
    updated_at TEXT NOT NULL
);

-- Notices queued, so each goes once whatever restarts happen: a row per (connection,
-- certificate SHA-256, threshold) for certificate expiry ('30d', '7d'); for a failing
-- metadata refresh one row per connection ('' , 'refresh_failed') whose sent_at bounds it to
-- one notice a day.
CREATE TABLE notices_sent (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    connection  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    threshold   TEXT NOT NULL,
    sent_at     TEXT NOT NULL, -- RFC 3339, UTC
    UNIQUE (org_id, connection, fingerprint, threshold)
);
