//! The host directory and visits of an organization.

use super::db::{Row, params};
use super::users::shown_name;
use super::{Scoped, StoreError, ts};
use chrono::{DateTime, Utc};

/// A row of the host directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Row ID.
    pub id: i64,
    /// Name shown.
    pub display_name: String,
    /// Email as received.
    pub email: String,
    /// Default location's name.
    pub default_location: Option<String>,
    /// `host` or `admin` (at the default location).
    pub role: String,
}

/// A visit to register.
#[derive(Debug, Clone)]
pub struct NewVisit {
    /// Visitor's name.
    pub visitor_name: String,
    /// Visitor's email.
    pub visitor_email: String,
    /// The host.
    pub host_user_id: i64,
    /// Day of the visit.
    pub expected_on: chrono::NaiveDate,
    /// Who registered it.
    pub registered_by: i64,
}

/// A visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// Row ID.
    pub id: i64,
    /// Visitor's name.
    pub visitor_name: String,
    /// Visitor's email.
    pub visitor_email: String,
    /// The host.
    pub host_user_id: i64,
    /// The host's display name.
    pub host_name: String,
    /// Who registered it.
    pub registered_by: i64,
    /// Location.
    pub location_id: Option<i64>,
    /// Location name.
    pub location: Option<String>,
    /// Day of the visit, `YYYY-MM-DD`.
    pub expected_on: String,
    /// RFC 3339, when cancelled.
    pub cancelled_at: Option<String>,
    /// RFC 3339, when the visitor checked in at reception.
    pub checked_in_at: Option<String>,
    /// The company the visitor gave at check-in.
    pub visitor_company: String,
    /// The host's check-in notification: `pending`, `sent`, `failed`.
    pub notify_status: Option<String>,
    /// RFC 3339, when the host's notification was sent.
    pub notified_at: Option<String>,
}

const VISIT_COLUMNS: &str = concat!(
    "v.id, v.visitor_name, v.visitor_email, v.host_user_id, ",
    shown_name!(),
    ", v.registered_by, v.location_id, l.name, v.expected_on, v.cancelled_at, \
     v.checked_in_at, v.visitor_company, n.status, n.sent_at"
);

fn visit_row(r: &Row<'_>) -> Result<Visit, StoreError> {
    Ok(Visit {
        id: r.get(0)?,
        visitor_name: r.get(1)?,
        visitor_email: r.get(2)?,
        host_user_id: r.get(3)?,
        host_name: r.get(4)?,
        registered_by: r.get(5)?,
        location_id: r.get(6)?,
        location: r.get(7)?,
        expected_on: r.get(8)?,
        cancelled_at: r.get(9)?,
        checked_in_at: r.get(10)?,
        visitor_company: r.get(11)?,
        notify_status: r.get(12)?,
        notified_at: r.get(13)?,
    })
}

/// `s` as a literal inside a `LIKE … ESCAPE '\\'` pattern.
pub(super) fn like_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

const VISIT_FROM: &str = "FROM visits v JOIN users u ON u.id = v.host_user_id AND u.org_id = v.org_id \
     LEFT JOIN locations l ON l.id = v.location_id AND l.org_id = v.org_id \
     LEFT JOIN outbox n ON n.id = (SELECT max(id) FROM outbox WHERE org_id = v.org_id \
     AND visit_id = v.id AND kind = 'checkin')";

impl Scoped<'_> {
    /// Active users of the organization matching `query` (name or email,
    /// case-insensitive), by name.
    pub fn hosts(&self, query: &str, limit: i64) -> Result<Vec<Host>, StoreError> {
        let pattern = format!("%{}%", like_escape(query.trim()));
        // LIKE is case-insensitive (ASCII) in SQLite, not in PostgreSQL:
        // both sides lower-cased, the same in both. PostgreSQL knows no
        // select-list alias in WHERE or in an ORDER BY expression, hence
        // the name's expression three times.
        self.conn.query_map(
            concat!(
                "SELECT u.id, ",
                shown_name!(),
                ", u.email, l.name, u.role FROM users u \
                 LEFT JOIN locations l ON l.id = u.default_location_id \
                 WHERE u.org_id = ?1 AND u.active = 1 AND u.deleted_at IS NULL \
                 AND (lower(",
                shown_name!(),
                ") LIKE lower(?2) ESCAPE '\\' \
                 OR lower(u.email) LIKE lower(?2) ESCAPE '\\' \
                 OR lower(u.given_name) LIKE lower(?2) ESCAPE '\\' \
                 OR lower(u.family_name) LIKE lower(?2) ESCAPE '\\') \
                 ORDER BY lower(",
                shown_name!(),
                "), u.id LIMIT ?3"
            ),
            params![self.org, pattern, limit],
            |r| {
                Ok(Host {
                    id: r.get(0)?,
                    display_name: r.get(1)?,
                    email: r.get(2)?,
                    default_location: r.get(3)?,
                    role: r.get(4)?,
                })
            },
        )
    }

    /// Registers a visit at the host's default location. `None` when the
    /// host is not an active user of the organization.
    pub fn insert_visit(
        &self,
        v: &NewVisit,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let host: Option<(bool, Option<i64>)> = self.conn.query_opt(
            "SELECT active, default_location_id FROM users WHERE org_id = ?1 AND id = ?2",
            params![self.org, v.host_user_id],
            |r| Ok((r.get::<i64>(0)? == 1, r.get(1)?)),
        )?;
        let Some((true, location)) = host else {
            return Ok(None);
        };
        self.conn.query_row(
            "INSERT INTO visits (org_id, visitor_name, visitor_email, host_user_id, location_id, \
             expected_on, registered_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             RETURNING id",
            params![
                self.org,
                v.visitor_name,
                v.visitor_email,
                v.host_user_id,
                location,
                v.expected_on.format("%Y-%m-%d").to_string(),
                v.registered_by,
                ts(now)
            ],
            |r| r.get(0),
        )
        .map(Some)
    }

    /// Visits not cancelled expected on or after `from`, by date then
    /// visitor.
    pub fn expected_visits(&self, from: chrono::NaiveDate) -> Result<Vec<Visit>, StoreError> {
        self.conn.query_map(
            &format!(
                "SELECT {VISIT_COLUMNS} {VISIT_FROM} WHERE v.org_id = ?1 AND v.expected_on >= ?2 \
                 AND v.cancelled_at IS NULL \
                 ORDER BY v.expected_on, lower(v.visitor_name), v.id LIMIT 500"
            ),
            params![self.org, from.format("%Y-%m-%d").to_string()],
            visit_row,
        )
    }

    /// Visits not cancelled of one day, by location then visitor (the
    /// admin's reception overview).
    pub fn visits_on(&self, day: chrono::NaiveDate) -> Result<Vec<Visit>, StoreError> {
        self.conn.query_map(
            &format!(
                "SELECT {VISIT_COLUMNS} {VISIT_FROM} WHERE v.org_id = ?1 AND v.expected_on = ?2 \
                 AND v.cancelled_at IS NULL \
                 ORDER BY l.name NULLS FIRST, lower(v.visitor_name), v.id LIMIT 500"
            ),
            params![self.org, day.format("%Y-%m-%d").to_string()],
            visit_row,
        )
    }

    /// A visit of the organization.
    pub fn visit(&self, id: i64) -> Result<Option<Visit>, StoreError> {
        self.conn.query_opt(
            &format!("SELECT {VISIT_COLUMNS} {VISIT_FROM} WHERE v.org_id = ?1 AND v.id = ?2"),
            params![self.org, id],
            visit_row,
        )
    }

    /// Cancels a visit of the organization. False when no such visit.
    pub fn cancel_visit(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE visits SET cancelled_at = coalesce(cancelled_at, ?3) \
             WHERE org_id = ?1 AND id = ?2",
            params![self.org, id, ts(now)],
        )?;
        Ok(n == 1)
    }
}
