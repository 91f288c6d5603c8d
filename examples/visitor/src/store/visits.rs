//! The host directory and visits.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, ts};

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

/// Active users matching `query` (name or email, case-insensitive), by name.
pub fn search_hosts(conn: &Connection, query: &str, limit: i64) -> Result<Vec<Host>, StoreError> {
    let escaped: String = query
        .trim()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    let mut st = conn.prepare(
        "SELECT u.id, u.display_name, u.email, l.name, u.role FROM users u \
         LEFT JOIN locations l ON l.id = u.default_location_id \
         WHERE u.active = 1 AND (u.display_name LIKE ?1 ESCAPE '\\' \
         OR u.email LIKE ?1 ESCAPE '\\' OR u.given_name LIKE ?1 ESCAPE '\\' \
         OR u.family_name LIKE ?1 ESCAPE '\\') \
         ORDER BY u.display_name COLLATE NOCASE, u.id LIMIT ?2",
    )?;
    let rows = st.query_map(params![pattern, limit], |r| {
        Ok(Host {
            id: r.get(0)?,
            display_name: r.get(1)?,
            email: r.get(2)?,
            default_location: r.get(3)?,
            role: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
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

/// Registers a visit at the host's default location. `None` when the host
/// is not an active user.
pub fn insert_visit(
    conn: &Connection,
    v: &NewVisit,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let host: Option<(bool, Option<i64>)> = conn
        .query_row(
            "SELECT active, default_location_id FROM users WHERE id = ?1",
            [v.host_user_id],
            |r| Ok((r.get::<_, i64>(0)? == 1, r.get(1)?)),
        )
        .optional()?;
    let Some((true, location)) = host else {
        return Ok(None);
    };
    conn.execute(
        "INSERT INTO visits (visitor_name, visitor_email, host_user_id, location_id, expected_on, \
         registered_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            v.visitor_name,
            v.visitor_email,
            v.host_user_id,
            location,
            v.expected_on.format("%Y-%m-%d").to_string(),
            v.registered_by,
            ts(now)
        ],
    )?;
    Ok(Some(conn.last_insert_rowid()))
}

/// An expected visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedVisit {
    /// Visitor's name.
    pub visitor_name: String,
    /// Visitor's email.
    pub visitor_email: String,
    /// The host's display name.
    pub host_name: String,
    /// Location name.
    pub location: Option<String>,
    /// Day of the visit, `YYYY-MM-DD`.
    pub expected_on: String,
}

/// Visits expected on or after `from`, by date then visitor.
pub fn expected_visits(
    conn: &Connection,
    from: chrono::NaiveDate,
) -> Result<Vec<ExpectedVisit>, StoreError> {
    let mut st = conn.prepare(
        "SELECT v.visitor_name, v.visitor_email, u.display_name, l.name, v.expected_on \
         FROM visits v JOIN users u ON u.id = v.host_user_id \
         LEFT JOIN locations l ON l.id = v.location_id \
         WHERE v.expected_on >= ?1 ORDER BY v.expected_on, v.visitor_name COLLATE NOCASE LIMIT 500",
    )?;
    let rows = st.query_map([from.format("%Y-%m-%d").to_string()], |r| {
        Ok(ExpectedVisit {
            visitor_name: r.get(0)?,
            visitor_email: r.get(1)?,
            host_name: r.get(2)?,
            location: r.get(3)?,
            expected_on: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
