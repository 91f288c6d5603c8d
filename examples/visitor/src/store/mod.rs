//! The SQLite store: one connection, the schema's migrations, and plain
//! queries by area ([`users`], [`identities`], [`visits`]). No rules live
//! here: which account a sign-in belongs to is decided in
//! [`crate::linking`].

pub mod identities;
pub mod users;
pub mod visits;

use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

pub use identities::{
    Identity, IdentityKey, identities_of, identity, insert_identity, touch_identity,
};
pub use users::{
    NewUser, User, ensure_locations, insert_user, locations, set_active, set_email, set_last_login,
    set_role, update_names, user_by_email, user_by_id, user_locations,
};
pub use visits::{ExpectedVisit, Host, NewVisit, expected_visits, insert_visit, search_hosts};

/// The schema, in order. `PRAGMA user_version` counts those applied, as it
/// did before this crate managed them, so existing databases carry on.
static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(vec![M::up(include_str!("../../migrations/0001_init.sql"))]));

/// A database failure (a fault, not a decision).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
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

/// Timestamps are stored as RFC 3339 text, UTC, whole seconds.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Opens (creating) the database and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = if path.as_os_str() == ":memory:" {
            Connection::open_in_memory()?
        } else {
            if let Some(dir) = path.parent() {
                // Best effort: Connection::open reports a missing folder.
                let _ = std::fs::create_dir_all(dir);
            }
            let c = Connection::open(path)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c
        };
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
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
        f(&mut self.lock())
    }

    /// Runs `f` on actix's blocking pool (for handlers).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        actix_web::web::block(move || f(&mut store.lock()))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic inside a closure would have rolled back its transaction
        // (Transaction rolls back on drop), so the connection is usable.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Applies the migrations not yet applied.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let before = MIGRATIONS.current_version(conn)?;
    MIGRATIONS.to_latest(conn)?;
    let after = MIGRATIONS.current_version(conn)?;
    if before != after {
        tracing::info!(from = %before, to = %after, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn migrations_are_valid_and_apply_once() {
        MIGRATIONS.validate().unwrap();
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
    }

    #[test]
    fn a_database_made_before_the_migration_crate_is_kept() {
        // What the hand-written runner left: the schema and user_version 1.
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(include_str!("../../migrations/0001_init.sql"))
            .unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute(
            "INSERT INTO locations (name, created_at) VALUES ('HQ', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        migrate(&mut c).unwrap();
        assert_eq!(locations(&c).unwrap(), vec![(1, "HQ".to_owned())]);
    }
}
