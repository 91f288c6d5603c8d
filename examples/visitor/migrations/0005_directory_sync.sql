-- 0005: directory sync. A history of runs per organization, the spreadsheets staged
-- between their preview and their apply, and a lease so that one organization never has
-- two runs at once (the server's scheduler and the `visitor sync` command share it
-- through the database).

CREATE TABLE sync_runs (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES organizations (id),
    source            TEXT NOT NULL CHECK (source IN ('ldap', 'upload')),
    -- What started it: the scheduler, the command line, or an admin (triggered_by).
    trigger           TEXT NOT NULL CHECK (trigger IN ('schedule', 'command', 'admin')),
    triggered_by      INTEGER,
    outcome           TEXT NOT NULL CHECK (outcome IN ('applied', 'dry_run', 'refused', 'failed')),
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL,
    records           INTEGER NOT NULL DEFAULT 0,
    created           INTEGER NOT NULL DEFAULT 0,
    updated           INTEGER NOT NULL DEFAULT 0,
    deactivated       INTEGER NOT NULL DEFAULT 0,
    reactivated       INTEGER NOT NULL DEFAULT 0,
    locations_created INTEGER NOT NULL DEFAULT 0,
    left_alone        INTEGER NOT NULL DEFAULT 0,
    errors            INTEGER NOT NULL DEFAULT 0,
    -- Why it was refused or failed (never a secret).
    message           TEXT NOT NULL DEFAULT '',
    -- JSON: the first record errors (origin, column, reason).
    error_sample      TEXT NOT NULL DEFAULT '[]',
    FOREIGN KEY (org_id, triggered_by) REFERENCES users (org_id, id)
);
CREATE INDEX sync_runs_org ON sync_runs (org_id, id);

CREATE TABLE sync_uploads (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    uploaded_by  INTEGER NOT NULL,
    file_name    TEXT NOT NULL,
    -- JSON: the rows read (records) and the rows that could not be read.
    records      TEXT NOT NULL,
    read_errors  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    FOREIGN KEY (org_id, uploaded_by) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX sync_uploads_org ON sync_uploads (org_id, id);

CREATE TABLE sync_leases (
    org_id     INTEGER PRIMARY KEY REFERENCES organizations (id),
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL -- Unix seconds
);
