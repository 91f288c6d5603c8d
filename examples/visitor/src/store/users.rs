//! Users, their locations, and the profile changes a sign-in makes.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, ts};

/// A user row, with the default location's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row ID.
    pub id: i64,
    /// Email as received.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Name shown.
    pub display_name: String,
    /// `host` or `admin` (at the default location).
    pub role: String,
    /// False once deactivated.
    pub active: bool,
    /// Default location's name.
    pub default_location: Option<String>,
    /// `jit`, `manual` or `scim`.
    pub source: String,
    /// ID at the provisioning source.
    pub external_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub last_login_at: Option<String>,
}

const USER_COLUMNS: &str = "u.id, u.email, u.given_name, u.family_name, u.display_name, u.role, \
     u.active, l.name, u.source, u.external_id, u.created_at, u.last_login_at";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        given_name: r.get(2)?,
        family_name: r.get(3)?,
        display_name: r.get(4)?,
        role: r.get(5)?,
        active: r.get::<_, i64>(6)? == 1,
        default_location: r.get(7)?,
        source: r.get(8)?,
        external_id: r.get(9)?,
        created_at: r.get(10)?,
        last_login_at: r.get(11)?,
    })
}

/// A user by ID.
pub fn user_by_id(conn: &Connection, id: i64) -> Result<Option<User>, StoreError> {
    user_where(conn, "u.id = ?1", id)
}

/// A user by normalized email.
pub fn user_by_email(conn: &Connection, normalized: &str) -> Result<Option<User>, StoreError> {
    user_where(conn, "u.email_normalized = ?1", normalized)
}

/// The one user matching `condition` (a trusted SQL fragment with `?1`).
fn user_where(
    conn: &Connection,
    condition: &str,
    param: impl rusqlite::ToSql,
) -> Result<Option<User>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {USER_COLUMNS} FROM users u LEFT JOIN locations l \
                 ON l.id = u.default_location_id WHERE {condition}"
            ),
            [param],
            user_row,
        )
        .optional()?)
}

/// Creates the configured locations that do not exist yet.
pub fn ensure_locations(
    conn: &Connection,
    names: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for n in names {
        conn.execute(
            "INSERT INTO locations (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            params![n, ts(now)],
        )?;
    }
    Ok(())
}

/// All locations, by name.
pub fn locations(conn: &Connection) -> Result<Vec<(i64, String)>, StoreError> {
    let mut st = conn.prepare("SELECT id, name FROM locations ORDER BY name")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A user created by hand (or by a SCIM push later).
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email as received.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Name shown.
    pub display_name: String,
    /// `host` or `admin` (at the default location).
    pub role: String,
    /// Default location's name.
    pub default_location: Option<String>,
    /// `jit`, `manual` or `scim`.
    pub source: String,
    /// ID at the provisioning source.
    pub external_id: Option<String>,
}

fn location_id(conn: &Connection, name: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row("SELECT id FROM locations WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Inserts a user with access to every location (admin at the default one
/// when `role` is admin). The email must already be normalized-valid.
pub fn insert_user(conn: &Connection, u: &NewUser, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let default_id = match &u.default_location {
        Some(n) => location_id(conn, n)?,
        None => None,
    };
    conn.execute(
        "INSERT INTO users (email, email_normalized, given_name, family_name, display_name, \
         role, active, default_location_id, source, external_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?10)",
        params![
            u.email,
            u.email.to_ascii_lowercase(),
            u.given_name,
            u.family_name,
            u.display_name,
            u.role,
            default_id,
            u.source,
            u.external_id,
            ts(now)
        ],
    )?;
    let id = conn.last_insert_rowid();
    // Seeds: new users get access to all locations; the admin role applies
    // at the default location only.
    for (loc, _) in locations(conn)? {
        let role = if Some(loc) == default_id {
            u.role.as_str()
        } else {
            "host"
        };
        conn.execute(
            "INSERT INTO user_locations (user_id, location_id, role) VALUES (?1, ?2, ?3)",
            params![id, loc, role],
        )?;
    }
    Ok(id)
}

/// Activates or deactivates a user.
pub fn set_active(conn: &Connection, user_id: i64, active: bool) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET active = ?2 WHERE id = ?1",
        params![user_id, i64::from(active)],
    )?;
    Ok(())
}

/// Location access of a user: (location, role).
pub fn user_locations(
    conn: &Connection,
    user_id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = conn.prepare(
        "SELECT l.name, ul.role FROM user_locations ul JOIN locations l ON l.id = ul.location_id \
         WHERE ul.user_id = ?1 ORDER BY l.name",
    )?;
    let rows = st.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sets the names and the last sign-in.
pub fn update_names(
    conn: &Connection,
    user_id: i64,
    given: &str,
    family: &str,
    display: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET given_name = ?2, family_name = ?3, display_name = ?4, \
         updated_at = ?5, last_login_at = ?5 WHERE id = ?1",
        params![user_id, given, family, display, ts(now)],
    )?;
    Ok(())
}

/// Sets the last sign-in.
pub fn set_last_login(
    conn: &Connection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET last_login_at = ?2 WHERE id = ?1",
        params![user_id, ts(now)],
    )?;
    Ok(())
}

/// Sets the email (as received) and its normalized form.
pub fn set_email(
    conn: &Connection,
    user_id: i64,
    as_received: &str,
    normalized: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET email = ?2, email_normalized = ?3 WHERE id = ?1",
        params![user_id, as_received, normalized],
    )?;
    Ok(())
}

/// Sets the role, and the role at the default location.
pub fn set_role(conn: &Connection, user_id: i64, role: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET role = ?2 WHERE id = ?1",
        params![user_id, role],
    )?;
    conn.execute(
        "UPDATE user_locations SET role = ?2 WHERE user_id = ?1 AND location_id = \
         (SELECT default_location_id FROM users WHERE id = ?1)",
        params![user_id, role],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::*;
    use crate::store::{Store, search_hosts};

    #[test]
    fn email_unique_case_insensitively() {
        let s = Store::open(Path::new(":memory:")).unwrap();
        let now = Utc::now();
        let u = |e: &str| NewUser {
            email: e.into(),
            given_name: String::new(),
            family_name: String::new(),
            display_name: e.into(),
            role: "host".into(),
            default_location: None,
            source: "manual".into(),
            external_id: None,
        };
        s.with(|c| insert_user(c, &u("Ann@Example.test"), now))
            .unwrap();
        assert!(
            s.with(|c| insert_user(c, &u("ann@example.TEST"), now))
                .is_err()
        );
    }

    #[test]
    fn like_wildcards_are_literal() {
        let s = Store::open(Path::new(":memory:")).unwrap();
        let now = Utc::now();
        for name in ["100% Ann", "Bob_x", "Carl"] {
            s.with(|c| {
                insert_user(
                    c,
                    &NewUser {
                        email: format!("{}@x.test", name.len()),
                        given_name: String::new(),
                        family_name: String::new(),
                        display_name: name.into(),
                        role: "host".into(),
                        default_location: None,
                        source: "manual".into(),
                        external_id: None,
                    },
                    now,
                )
            })
            .unwrap();
        }
        let names = |q: &str| {
            s.with(|c| search_hosts(c, q, 10))
                .unwrap()
                .into_iter()
                .map(|h| h.display_name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("%"), vec!["100% Ann"]);
        assert_eq!(names("_"), vec!["Bob_x"]);
        assert_eq!(names("carl"), vec!["Carl"]);
        assert_eq!(names("").len(), 3);
    }
}
