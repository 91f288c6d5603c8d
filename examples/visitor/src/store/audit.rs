//! The audit log's rows: insert, list with filters, one by ID, and pruning.
//! What may be written is decided by [`crate::audit::Event`]; this module
//! only stores it, scoped like every other organization table.

use super::db::{Row, params};
use super::{Scoped, Store, StoreError, ts};
use chrono::{DateTime, Utc};

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    /// Row ID.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// `sign_in`, `admin`, `provisioning`, ...
    pub category: String,
    /// What happened (`sign_in_failed`, `user_created`, ...).
    pub action: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// Who (a user ID as `user:<id>`, `idp:<slug>`, ...).
    pub actor: Option<String>,
    /// The connection (IdP slug).
    pub connection: Option<String>,
    /// The error code of a failure.
    pub code: Option<String>,
    /// The reference the person was shown.
    pub correlation_id: Option<String>,
    /// Details: a JSON object of short strings.
    pub detail: serde_json::Value,
}

/// What to list (every field optional; all given must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Category.
    pub category: Option<String>,
    /// `ok` or `failed`.
    pub outcome: Option<String>,
    /// Error code.
    pub code: Option<String>,
    /// Connection.
    pub connection: Option<String>,
    /// Correlation ID.
    pub correlation_id: Option<String>,
    /// Not before (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only rows with a smaller ID (paging, newest first).
    pub before_id: Option<i64>,
}

/// A new row (the audit module's [`crate::audit::Event`], flattened).
#[derive(Debug, Clone)]
pub(crate) struct NewAuditRow<'a> {
    pub(crate) at: DateTime<Utc>,
    pub(crate) category: &'a str,
    pub(crate) action: &'a str,
    pub(crate) outcome: &'a str,
    pub(crate) actor: Option<&'a str>,
    pub(crate) connection: Option<&'a str>,
    pub(crate) code: Option<&'a str>,
    pub(crate) correlation_id: Option<&'a str>,
    pub(crate) detail: &'a str,
}

const COLUMNS: &str =
    "id, at, category, action, outcome, actor, connection, code, correlation_id, detail";

fn row(r: &Row<'_>) -> Result<AuditRow, StoreError> {
    let detail: String = r.get(9)?;
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        category: r.get(2)?,
        action: r.get(3)?,
        outcome: r.get(4)?,
        actor: r.get(5)?,
        connection: r.get(6)?,
        code: r.get(7)?,
        correlation_id: r.get(8)?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
    })
}

impl Scoped<'_> {
    /// Appends an event (the row cap is applied by the database).
    pub(crate) fn insert_audit(&self, e: &NewAuditRow<'_>) -> Result<i64, StoreError> {
        self.conn.query_row(
            "INSERT INTO audit_events (org_id, at, category, action, outcome, actor, connection, \
             code, correlation_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             RETURNING id",
            params![
                self.org,
                ts(e.at),
                e.category,
                e.action,
                e.outcome,
                e.actor,
                e.connection,
                e.code,
                e.correlation_id,
                e.detail
            ],
            |r| r.get(0),
        )
    }

    /// Events matching `f`, newest first, at most `limit`.
    pub fn audit_events(&self, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        self.conn.query_map(
            &format!(
                "SELECT {COLUMNS} FROM audit_events WHERE org_id = ?1 \
             AND (category = ?2 OR ?2 IS NULL) AND (outcome = ?3 OR ?3 IS NULL) \
             AND (code = ?4 OR ?4 IS NULL) AND (connection = ?5 OR ?5 IS NULL) \
             AND (correlation_id = ?6 OR ?6 IS NULL) AND (at >= ?7 OR ?7 IS NULL) \
             AND (id < ?8 OR ?8 IS NULL) \
             ORDER BY id DESC LIMIT ?9"
            ),
            params![
                self.org,
                f.category,
                f.outcome,
                f.code,
                f.connection,
                f.correlation_id,
                f.since.map(ts),
                f.before_id,
                limit
            ],
            row,
        )
    }

    /// One event of this organization.
    pub fn audit_event(&self, id: i64) -> Result<Option<AuditRow>, StoreError> {
        self.conn.query_opt(
            &format!("SELECT {COLUMNS} FROM audit_events WHERE org_id = ?1 AND id = ?2"),
            params![self.org, id],
            row,
        )
    }
}

impl Store {
    /// Sets the row cap per organization (applied at every insert).
    pub fn set_audit_cap(&self, max_events_per_org: u32) -> Result<(), StoreError> {
        self.sync(|d| {
            d.run(|c| {
                c.execute(
                    "UPDATE audit_limits SET max_events_per_org = ?1 WHERE id = 1",
                    params![max_events_per_org.max(1)],
                )
            })
        })?;
        Ok(())
    }

    /// Deletes events older than `keep_since` and, per organization and
    /// kind (verified, unverified: each has its cap), all but the newest
    /// `max_events_per_org`; returns how many went. Operator
    /// maintenance across organizations: it only deletes.
    pub fn prune_audit(
        &self,
        keep_since: DateTime<Utc>,
        max_events_per_org: u32,
    ) -> Result<usize, StoreError> {
        self.sync(|d| {
            d.transaction(None, |c| {
                let old = c.execute(
                    "DELETE FROM audit_events WHERE at < ?1",
                    params![ts(keep_since)],
                )?;
                let over = c.execute(
                    "DELETE FROM audit_events WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() \
                 OVER (PARTITION BY org_id, unverified ORDER BY id DESC) AS n FROM audit_events) AS ranked \
                 WHERE n > ?1)",
                    params![max_events_per_org.max(1)],
                )?;
                Ok(old + over)
            })
        })
    }
}
