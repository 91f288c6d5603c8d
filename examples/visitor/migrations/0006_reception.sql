-- 0006: reception. Kiosk tokens (one reception device at one location, no
-- user session), what a visitor gives at check-in, the outbox of messages
-- to send (check-in notifications, invitations), and each organization's
-- invitation policy.

-- Lets outbox rows name a visit of their own organization (composite key).
CREATE UNIQUE INDEX visits_org_id ON visits (org_id, id);

ALTER TABLE visits ADD COLUMN visitor_company TEXT NOT NULL DEFAULT '';

-- Only the SHA-256 of a token is kept: a copy of the database opens no
-- reception page.
CREATE TABLE kiosk_tokens (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations (id),
    location_id INTEGER NOT NULL,
    label       TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
CREATE INDEX kiosk_tokens_org ON kiosk_tokens (org_id, location_id);

-- A message is rendered when it is queued; the worker only delivers it.
-- status: pending (due at not_before), sent, failed (gave up), cancelled
-- (an invitation the organization's policy no longer wants).
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    kind       TEXT NOT NULL CHECK (kind IN ('checkin', 'invite')),
    user_id    INTEGER NOT NULL,
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
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, visit_id) REFERENCES visits (org_id, id) ON DELETE CASCADE
);
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_visit ON outbox (org_id, visit_id);

-- Invitations of provisioned users: at once, delayed until a time, or never.
ALTER TABLE organizations ADD COLUMN invite_policy TEXT NOT NULL DEFAULT 'now'
    CHECK (invite_policy IN ('now', 'delay', 'never'));
ALTER TABLE organizations ADD COLUMN invite_until TEXT;
