//! The SQLite store: migrations, users and identities, locations, visits,
//! and the just-in-time sign-in transaction.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::jit::{Asserted, LinkPolicy, LinkRefusal};

/// Migrations in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[(&str, &str)] = &[("0001_init", include_str!("../migrations/0001_init.sql"))];

/// A database failure (a fault, not a decision).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The blocking pool is gone (shutdown).
    #[error("database task: {0}")]
    Task(String),
}

/// Shared handle to the database (one connection; SQLite serialises writes
/// anyway, and every call is short).
#[derive(Clone, Debug)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Opens (creating) the database and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = if path.as_os_str() == ":memory:" {
            Connection::open_in_memory()?
        } else {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let c = Connection::open(path)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c
        };
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut conn = conn;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection, on the calling thread.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&mut lock(&self.conn))
    }

    /// Runs `f` on actix's blocking pool (for handlers).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        actix_web::web::block(move || f(&mut lock(&conn)))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic inside a closure would have rolled back its transaction
    // (Transaction rolls back on drop), so the connection is usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Applies the migrations not yet applied, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (n, (name, sql)) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(n).unwrap_or(i64::MAX) + 1;
        if version <= applied {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(migration = name, "database migrated");
    }
    Ok(())
}

/// A user row, with the default location's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub default_location: Option<String>,
    pub source: String,
    pub external_id: Option<String>,
    pub created_at: String,
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
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub role: String,
    pub default_location: Option<String>,
    pub source: String,
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

/// A linked identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: i64,
    pub idp_entity_id: String,
    pub name_id: String,
    pub name_id_format: String,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub last_attributes: String,
}

fn identity_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Identity> {
    Ok(Identity {
        user_id: r.get(0)?,
        idp_entity_id: r.get(1)?,
        name_id: r.get(2)?,
        name_id_format: r.get(3)?,
        created_at: r.get(4)?,
        last_login_at: r.get(5)?,
        last_attributes: r.get(6)?,
    })
}

const IDENTITY_COLUMNS: &str =
    "user_id, idp_entity_id, name_id, name_id_format, created_at, last_login_at, last_attributes";

/// The identity with this key.
pub fn identity(
    conn: &Connection,
    idp: &str,
    name_id: &str,
    format: &str,
) -> Result<Option<Identity>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {IDENTITY_COLUMNS} FROM identities \
                 WHERE idp_entity_id = ?1 AND name_id = ?2 AND name_id_format = ?3"
            ),
            params![idp, name_id, format],
            identity_row,
        )
        .optional()?)
}

/// All identities of a user.
pub fn identities_of(conn: &Connection, user_id: i64) -> Result<Vec<Identity>, StoreError> {
    let mut st = conn.prepare(&format!(
        "SELECT {IDENTITY_COLUMNS} FROM identities WHERE user_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([user_id], identity_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How a sign-in resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Known (IdP, NameID): profile refreshed.
    Known,
    /// Existing account linked by authoritative email domain.
    Linked,
    /// New account created.
    Created,
}

/// The just-in-time step, in one transaction, in this order:
/// 1. a known (IdP, NameID, format) signs that user in and refreshes their
///    profile;
/// 2. else an existing user with the asserted email is linked, only if the
///    email's domain is authoritative for this IdP;
/// 3. else a new user is created, when JIT creation is on (and the domain is
///    not another IdP's);
/// 4. else refused. A deactivated user is refused at every step.
pub fn sign_in(
    conn: &mut Connection,
    a: &Asserted,
    policy: &LinkPolicy,
    now: DateTime<Utc>,
) -> Result<Result<(User, Resolution), LinkRefusal>, StoreError> {
    let tx = conn.transaction()?;
    let outcome = sign_in_tx(&tx, a, policy, now)?;
    if outcome.is_ok() {
        tx.commit()?;
    }
    Ok(outcome)
}

fn sign_in_tx(
    tx: &Transaction<'_>,
    a: &Asserted,
    policy: &LinkPolicy,
    now: DateTime<Utc>,
) -> Result<Result<(User, Resolution), LinkRefusal>, StoreError> {
    // Transient NameIDs change at every sign-in: never a key.
    if a.name_id_format == crate::jit::NAMEID_TRANSIENT {
        return Ok(Err(LinkRefusal::TransientNameId));
    }
    // 1. Known identity.
    if let Some(id) = identity(tx, &a.idp_entity_id, &a.name_id, &a.name_id_format)? {
        let Some(user) = user_by_id(tx, id.user_id)? else {
            return Ok(Err(LinkRefusal::NotProvisioned));
        };
        if !user.active {
            return Ok(Err(LinkRefusal::Deactivated));
        }
        refresh_profile(tx, &user, a, policy, now)?;
        touch_identity(tx, a, now)?;
        let user = user_by_id(tx, user.id)?.unwrap_or(user);
        return Ok(Ok((user, Resolution::Known)));
    }

    let email = match &a.email {
        Ok(e) => e,
        Err(p) => return Ok(Err(LinkRefusal::UnusableEmail(*p))),
    };

    // 2. Existing account with this email.
    if let Some(user) = user_by_email(tx, &email.normalized)? {
        if !policy.is_authoritative(&email.domain) {
            return Ok(Err(LinkRefusal::ForeignDomain));
        }
        if !user.active {
            return Ok(Err(LinkRefusal::Deactivated));
        }
        insert_identity(tx, user.id, a, now)?;
        refresh_profile(tx, &user, a, policy, now)?;
        let user = user_by_id(tx, user.id)?.unwrap_or(user);
        tracing::info!(
            user_id = user.id,
            idp = %a.idp_entity_id,
            "existing account linked (authoritative email domain)"
        );
        return Ok(Ok((user, Resolution::Linked)));
    }

    // 3. Create.
    if !policy.jit_create {
        return Ok(Err(LinkRefusal::NotProvisioned));
    }
    if policy.claimed_by_other_idp(&email.domain) {
        return Ok(Err(LinkRefusal::DomainOfAnotherIdp));
    }
    let role = if policy.is_admin(&a.groups) {
        "admin"
    } else {
        "host"
    };
    let new = NewUser {
        email: email.as_received.clone(),
        given_name: a.given_name.clone().unwrap_or_default(),
        family_name: a.family_name.clone().unwrap_or_default(),
        display_name: a.display_name_or(&email.as_received),
        role: role.into(),
        default_location: policy.default_location.clone(),
        source: "jit".into(),
        external_id: None,
    };
    let id = insert_user(tx, &new, now)?;
    insert_identity(tx, id, a, now)?;
    tx.execute(
        "UPDATE users SET last_login_at = ?2 WHERE id = ?1",
        params![id, ts(now)],
    )?;
    let Some(user) = user_by_id(tx, id)? else {
        return Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows));
    };
    tracing::info!(user_id = id, role, idp = %a.idp_entity_id, "user created just in time");
    Ok(Ok((user, Resolution::Created)))
}

fn insert_identity(
    tx: &Transaction<'_>,
    user_id: i64,
    a: &Asserted,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO identities (user_id, idp_entity_id, name_id, name_id_format, created_at, \
         last_login_at, last_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        params![
            user_id,
            a.idp_entity_id,
            a.name_id,
            a.name_id_format,
            ts(now),
            a.attributes_json
        ],
    )?;
    Ok(())
}

fn touch_identity(
    tx: &Transaction<'_>,
    a: &Asserted,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE identities SET last_login_at = ?4, last_attributes = ?5 \
         WHERE idp_entity_id = ?1 AND name_id = ?2 AND name_id_format = ?3",
        params![
            a.idp_entity_id,
            a.name_id,
            a.name_id_format,
            ts(now),
            a.attributes_json
        ],
    )?;
    Ok(())
}

/// Names and display name from the attributes (when sent), email when it is
/// valid and free, role at the default location from the admin group (for
/// just-in-time users, when an admin group is configured).
fn refresh_profile(
    tx: &Transaction<'_>,
    user: &User,
    a: &Asserted,
    policy: &LinkPolicy,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let given = a
        .given_name
        .clone()
        .unwrap_or_else(|| user.given_name.clone());
    let family = a
        .family_name
        .clone()
        .unwrap_or_else(|| user.family_name.clone());
    let display = a
        .display_name
        .clone()
        .or_else(|| {
            let full = format!("{given} {family}").trim().to_owned();
            (!full.is_empty()).then_some(full)
        })
        .unwrap_or_else(|| user.display_name.clone());
    tx.execute(
        "UPDATE users SET given_name = ?2, family_name = ?3, display_name = ?4, \
         updated_at = ?5, last_login_at = ?5 WHERE id = ?1",
        params![user.id, given, family, display, ts(now)],
    )?;
    if let Ok(email) = &a.email {
        if email.normalized != user.email.to_ascii_lowercase() {
            let taken = user_by_email(tx, &email.normalized)?.is_some();
            if taken {
                tracing::warn!(
                    user_id = user.id,
                    "asserted email belongs to another account; email not updated"
                );
            } else {
                tx.execute(
                    "UPDATE users SET email = ?2, email_normalized = ?3 WHERE id = ?1",
                    params![user.id, email.as_received, email.normalized],
                )?;
            }
        }
    }
    if user.source == "jit" && policy.admin_group.is_some() {
        let role = if policy.is_admin(&a.groups) {
            "admin"
        } else {
            "host"
        };
        if role != user.role {
            tx.execute(
                "UPDATE users SET role = ?2 WHERE id = ?1",
                params![user.id, role],
            )?;
            tx.execute(
                "UPDATE user_locations SET role = ?2 WHERE user_id = ?1 AND location_id = \
                 (SELECT default_location_id FROM users WHERE id = ?1)",
                params![user.id, role],
            )?;
            tracing::info!(user_id = user.id, role, "role updated from IdP groups");
        }
    }
    Ok(())
}

/// A row of the host directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub default_location: Option<String>,
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
    pub visitor_name: String,
    pub visitor_email: String,
    pub host_user_id: i64,
    pub expected_on: chrono::NaiveDate,
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
    pub visitor_name: String,
    pub visitor_email: String,
    pub host_name: String,
    pub location: Option<String>,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn migrations_apply_once() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, i64::try_from(MIGRATIONS.len()).unwrap());
    }

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
