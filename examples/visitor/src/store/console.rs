//! The store side of the admin console's diagnostics (migration 0008):
//! editing, refreshing and deleting connections, the organization's
//! notification address and the notices already queued (so each goes
//! once), unverified audit events with their own cap, and a synchronous
//! scope for the operator's commands.
//!
//! Kept apart from the older modules on purpose: plain SQL with `?N`
//! placeholders, booleans as 0/1, no SQLite-only function, so the same
//! statements run on PostgreSQL.

use chrono::{DateTime, Utc};

use super::db::{Lock, Row, params};
use super::{ConnectionRow, OrgScope, Scoped, Store, StoreError, ts};
use crate::store::audit::NewAuditRow;

/// The new values of a connection an admin edited (or whose metadata was
/// fetched again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionChange {
    /// Name shown.
    pub name: String,
    /// Preset key.
    pub preset: String,
    /// Where the metadata comes from (`None`: uploaded).
    pub metadata_url: Option<String>,
    /// The accepted metadata.
    pub metadata_xml: String,
    /// Its entity ID.
    pub entity_id: String,
    /// Clears the test and the enablement: the connection takes test
    /// sign-ins only again (another IdP entity is an untested one).
    pub back_to_test_only: bool,
}

/// What an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// Saved.
    Yes,
    /// Another connection of the organization has that entity ID.
    Duplicate,
    /// No such connection in this organization.
    NotFound,
}

/// The outcome of fetching a connection's metadata from its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshState {
    /// Last accepted fetch (RFC 3339).
    pub refreshed_at: Option<String>,
    /// Last refused or failed one, when it came after the last accepted.
    pub refresh_failed_at: Option<String>,
    /// Why it failed.
    pub refresh_error: Option<String>,
}

/// An admin notice to queue in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `cert_expiry` or `metadata_refresh`.
    pub kind: NoticeKind,
    /// The admin it goes to, when it goes to an account.
    pub user_id: Option<i64>,
    /// Email address.
    pub recipient: String,
    /// Subject line (one line).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (escaped when rendered).
    pub html: String,
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// An IdP signing certificate expires soon (or has).
    CertExpiry,
    /// A connection's metadata could not be refreshed.
    MetadataRefresh,
}

impl NoticeKind {
    fn as_str(self) -> &'static str {
        match self {
            NoticeKind::CertExpiry => "cert_expiry",
            NoticeKind::MetadataRefresh => "metadata_refresh",
        }
    }
}

const CONNECTION_COLUMNS: &str = "id, name, preset, metadata_url, metadata_xml, entity_id, \
                                  created_at, tested_at, enabled_at";

fn connection_row(r: &Row<'_>, at: usize) -> Result<ConnectionRow, StoreError> {
    Ok(ConnectionRow {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        preset: r.get(at + 2)?,
        metadata_url: r.get(at + 3)?,
        metadata_xml: r.get(at + 4)?,
        entity_id: r.get(at + 5)?,
        created_at: r.get(at + 6)?,
        tested_at: r.get(at + 7)?,
        enabled_at: r.get(at + 8)?,
    })
}

impl Scoped<'_> {
    /// Saves an edited connection.
    pub fn change_connection(&self, id: i64, c: &ConnectionChange) -> Result<Changed, StoreError> {
        let taken: Option<i64> = self.conn.query_opt(
            "SELECT id FROM connections WHERE org_id = ?1 AND entity_id = ?2 AND id <> ?3",
            params![self.org, c.entity_id, id],
            |r| r.get(0),
        )?;
        if taken.is_some() {
            return Ok(Changed::Duplicate);
        }
        let n = self.conn.execute(
            "UPDATE connections SET name = ?3, preset = ?4, metadata_url = ?5, \
             metadata_xml = ?6, entity_id = ?7, \
             tested_at = CASE WHEN ?8 = 1 THEN NULL ELSE tested_at END, \
             enabled_at = CASE WHEN ?8 = 1 THEN NULL ELSE enabled_at END \
             WHERE org_id = ?1 AND id = ?2",
            params![
                self.org,
                id,
                c.name,
                c.preset,
                c.metadata_url,
                c.metadata_xml,
                c.entity_id,
                i64::from(c.back_to_test_only)
            ],
        )?;
        Ok(if n == 1 {
            Changed::Yes
        } else {
            Changed::NotFound
        })
    }

    /// Deletes a connection of the organization; `false` when there is
    /// none with that ID.
    pub fn delete_connection(&self, id: i64) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "DELETE FROM connections WHERE org_id = ?1 AND id = ?2",
            params![self.org, id],
        )?;
        Ok(n == 1)
    }

    /// Records an accepted fetch from the connection's URL, with the new
    /// metadata when it changed.
    pub fn connection_refreshed(
        &self,
        id: i64,
        metadata_xml: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE connections SET refreshed_at = ?3, refresh_failed_at = NULL, \
             refresh_error = NULL, metadata_xml = coalesce(?4, metadata_xml) \
             WHERE org_id = ?1 AND id = ?2",
            params![self.org, id, ts(now), metadata_xml],
        )?;
        Ok(n == 1)
    }

    /// Records a failed or refused fetch (the last good copy stays).
    pub fn connection_refresh_failed(
        &self,
        id: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE connections SET refresh_failed_at = ?3, refresh_error = ?4 \
             WHERE org_id = ?1 AND id = ?2",
            params![self.org, id, ts(now), error],
        )?;
        Ok(n == 1)
    }

    /// The refresh outcome of a connection of the organization.
    pub fn connection_refresh_state(&self, id: i64) -> Result<Option<RefreshState>, StoreError> {
        self.conn.query_opt(
            "SELECT refreshed_at, refresh_failed_at, refresh_error FROM connections \
             WHERE org_id = ?1 AND id = ?2",
            params![self.org, id],
            |r| {
                Ok(RefreshState {
                    refreshed_at: r.get(0)?,
                    refresh_failed_at: r.get(1)?,
                    refresh_error: r.get(2)?,
                })
            },
        )
    }

    /// The organization's console connections whose refresh is failing:
    /// `(id, failed at, why)`.
    pub fn failing_connections(&self) -> Result<Vec<(i64, String, String)>, StoreError> {
        self.conn.query_map(
            "SELECT id, refresh_failed_at, coalesce(refresh_error, '') FROM connections \
             WHERE org_id = ?1 AND refresh_failed_at IS NOT NULL ORDER BY id",
            [self.org],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// The organization's notification address (`None`: its admins).
    pub fn notice_address(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_opt(
                "SELECT address FROM notice_settings WHERE org_id = ?1",
                [self.org],
                |r| r.get::<Option<String>>(0),
            )?
            .flatten())
    }

    /// Sets (or, with `None`, clears) the notification address.
    pub fn set_notice_address(
        &self,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO notice_settings (org_id, address, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (org_id) DO UPDATE SET address = excluded.address, \
             updated_at = excluded.updated_at",
            params![self.org, address, ts(now)],
        )?;
        Ok(())
    }

    /// `(user id, email)` of the organization's active admins (admins at
    /// its default location) who have an address.
    pub fn org_admin_emails(&self) -> Result<Vec<(i64, String)>, StoreError> {
        self.conn.query_map(
            "SELECT u.id, u.email FROM users u \
             JOIN organizations o ON o.id = u.org_id \
             JOIN user_locations ul ON ul.org_id = u.org_id AND ul.user_id = u.id \
             WHERE u.org_id = ?1 AND ul.location_id = o.default_location_id \
             AND ul.role = 'admin' AND u.active = 1 AND u.email <> '' ORDER BY u.id",
            [self.org],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Claims the notice `(connection, fingerprint, threshold)`: `true`
    /// when it was not sent yet, or, with `again_before`, last sent at or
    /// before that time (then it is due again; a NULL bound compares as
    /// false, so without one a sent notice stays sent). One statement, so
    /// two instances cannot both claim it.
    pub fn claim_notice(
        &self,
        connection: &str,
        fingerprint: &str,
        threshold: &str,
        now: DateTime<Utc>,
        again_before: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT INTO notices_sent (org_id, connection, fingerprint, threshold, sent_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (org_id, connection, fingerprint, threshold) DO UPDATE \
             SET sent_at = excluded.sent_at \
             WHERE notices_sent.sent_at <= ?6",
            params![
                self.org,
                connection,
                fingerprint,
                threshold,
                ts(now),
                again_before.map(ts)
            ],
        )?;
        Ok(n == 1)
    }

    /// Queues an admin notice.
    pub fn queue_notice(&self, n: &Notice, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO outbox (org_id, kind, user_id, recipient, subject, body_text, \
             body_html, not_before, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                self.org,
                n.kind.as_str(),
                n.user_id,
                n.recipient,
                n.subject,
                n.text,
                n.html,
                ts(now)
            ],
        )?;
        Ok(())
    }

    /// Appends an unverified event (its own, smaller row cap is applied by
    /// the database).
    pub(crate) fn insert_unverified_audit(&self, e: &NewAuditRow<'_>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO audit_events (org_id, at, category, action, outcome, actor, connection, \
             code, correlation_id, detail, unverified) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
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
        )?;
        Ok(())
    }
}

impl Store {
    /// Sets the row cap of unverified events per organization.
    pub fn set_unverified_audit_cap(&self, max: u32) -> Result<(), StoreError> {
        self.sync(|d| {
            d.run(|c| {
                c.execute(
                    "UPDATE audit_limits SET max_unverified_per_org = ?1 WHERE id = 1",
                    params![max.max(1)],
                )
            })
        })?;
        Ok(())
    }

    /// Console connections with a metadata URL that are due for a fetch,
    /// with their organization's slug: last fetched (or added) at or before
    /// `ok_before`, or last failed at or before `failed_before`. The operator's
    /// periodic refresh, across organizations (like
    /// [`Store::all_connections`]; never for a request).
    pub fn connections_to_refresh(
        &self,
        ok_before: DateTime<Utc>,
        failed_before: DateTime<Utc>,
    ) -> Result<Vec<(String, ConnectionRow)>, StoreError> {
        let cols = CONNECTION_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT o.slug, {cols} FROM connections c JOIN organizations o ON o.id = c.org_id \
             WHERE c.metadata_url IS NOT NULL \
             AND ((c.refresh_failed_at IS NULL AND coalesce(c.refreshed_at, c.created_at) <= ?1) \
             OR c.refresh_failed_at <= ?2) ORDER BY c.id"
        );
        self.sync(|d| {
            d.run(|c| {
                c.query_map(&sql, params![ts(ok_before), ts(failed_before)], |r| {
                    Ok((r.get(0)?, connection_row(r, 1)?))
                })
            })
        })
    }

    /// Runs `f` within `scope`, in one transaction, on this thread: for
    /// the operator's commands and background tasks, which run outside any
    /// request (a command outside the actix runtime).
    pub fn scoped_now<T: Send>(
        &self,
        scope: &OrgScope,
        f: impl FnOnce(&Scoped<'_>) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        let org = scope.org;
        self.sync(|d| d.transaction(Some(Lock::Org(org)), |c| f(&Scoped { conn: c, org })))
    }
}
