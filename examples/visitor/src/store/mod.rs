//! The SQLite store: one connection, the schema's migrations, and the one
//! API every request goes through.
//!
//! # Every query scoped, in one place
//! Organizations are tenants. Their rows (users, identities, locations,
//! visits, settings) are reachable only through [`Scoped`], a connection
//! bound to one organization, and a [`Scoped`] is only made from an
//! [`OrgScope`], which only these can produce:
//! - [`Store::session`]: the user of a signed-in session (and the session's
//!   connection must belong to that user's organization);
//! - [`Store::login_scope`]: a verified SAML login
//!   ([`samlsp_actix::VerifiedLogin`], built only by the library after
//!   verification), scoped to its connection's organization;
//! - [`Store::scim_scope`]: a valid SCIM bearer token, scoped to the
//!   organization it was made for;
//! - [`Store::failure_scope`], [`Store::success_scope`] and
//!   [`Store::logout_scope`]: the library's report of a sign-in or sign-out
//!   outcome ([`samlsp_actix::FailedSignIn`],
//!   [`samlsp_actix::SucceededSignIn`], [`samlsp_actix::FailedLogout`],
//!   built only by its routes), scoped to its connection's organization,
//!   for the audit log.
//!
//! A reception device has a narrower proof, [`KioskScope`] (one location
//! of one organization, from a live kiosk token, [`Store::kiosk`]), and a
//! narrower API, [`Desk`] (see [`reception`]).
//!
//! Every method of [`Scoped`] adds `org_id = <its organization>` itself, so
//! a handler cannot forget it: an object of another organization is simply
//! not found (the handler answers 404, as for an ID that never existed),
//! and lists never hold another organization's rows. The schema backs this
//! up: composite foreign keys `(org_id, id)` refuse a visit whose host, or a
//! user whose default location, is in another organization.
//!
//! [`Store::sync_orgs`] writes the configured organizations (operator
//! input, not a request); [`Store::unscoped`] is for tests and is a
//! disallowed method for clippy everywhere else.
//!
//! No rules live here: which account a sign-in belongs to is decided in
//! [`crate::linking`], who may do what in [`crate::routes`].

pub mod audit;
pub mod connections;
pub mod console;
pub mod directory;
pub mod identities;
pub mod kiosks;
pub mod orgs;
pub mod outbox;
pub mod reception;
pub mod scim_tokens;
pub mod scim_users;
pub mod sync_history;
pub mod users;
pub mod visits;

use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use samlsp_actix::{SignedIn, VerifiedLogin};

pub use audit::{AuditFilter, AuditRow};
pub use connections::{ConnectionRow, Enabled, NewConnection};
pub use console::{Changed, ConnectionChange, Notice, NoticeKind, RefreshState};
pub use directory::{StagedUpload, SyncSnapshot};
pub use identities::{Identity, IdentityKey};
pub use kiosks::KioskToken;
pub use orgs::{Location, OrgInfo};
pub use outbox::{Delivery, Due, InvitePolicy, OutboxKind, Outgoing};
pub use reception::{CheckedIn, Desk, DeskHost, DeskVisit, KioskScope, WalkIn};
pub use scim_tokens::{ScimToken, TOKEN_PREFIX};
pub use scim_users::{ScimFields, UserMatch};
pub use sync_history::{NewRun, Outcome, SyncRun, SyncRunDetail, Trigger};
pub use users::{LocationRole, NewUser, User};
pub use visits::{Host, NewVisit, Visit};

/// The schema, in order. `PRAGMA user_version` counts those applied, as it
/// did before this crate managed them, so existing databases carry on.
static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_organizations.sql")).foreign_key_check(),
        M::up(include_str!("../../migrations/0003_scim.sql")).foreign_key_check(),
        M::up(include_str!("../../migrations/0004_audit.sql")),
        M::up(include_str!("../../migrations/0005_directory_sync.sql")).foreign_key_check(),
        M::up(include_str!("../../migrations/0006_reception.sql")).foreign_key_check(),
        M::up(include_str!("../../migrations/0007_connections.sql")),
        M::up(include_str!("../../migrations/0008_console.sql")).foreign_key_check(),
    ])
});

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
    /// Failed operations (the metrics' `visitor_store_errors_total`).
    errors: prometheus_client::metrics::counter::Counter,
}

/// Proof that the caller acts within one organization: made only from a
/// signed-in session ([`Store::session`]), a verified login
/// ([`Store::login_scope`]) or a SCIM bearer token ([`Store::scim_scope`]);
/// the field is private, so nothing else can name an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgScope {
    org: i64,
}

/// A connection (in a transaction) bound to one organization: the only way
/// to read or write organization data.
pub struct Scoped<'c> {
    conn: &'c Connection,
    org: i64,
}

impl std::fmt::Debug for Scoped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scoped").field("org", &self.org).finish()
    }
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
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            errors: Default::default(),
        })
    }

    /// The scope of a signed-in session, with its user as stored now
    /// (active or not: the caller decides). `None` when the user is gone,
    /// or is not in `org_slug`, the organization of the connection the
    /// session was made with.
    pub async fn session(
        &self,
        signed_in: &SignedIn,
        org_slug: &str,
    ) -> Result<Option<(OrgScope, User)>, StoreError> {
        let Ok(id) = signed_in.user_id().parse::<i64>() else {
            return Ok(None);
        };
        let slug = org_slug.to_owned();
        self.blocking(move |c| {
            let Some(org) = org_id(c, &slug)? else {
                return Ok(None);
            };
            let s = Scoped { conn: c, org };
            Ok(s.user(id)?.map(|u| (OrgScope { org }, u)))
        })
        .await
    }

    /// The scope of a verified login: its connection's organization,
    /// `org_slug` (`None` when not in the database).
    pub async fn login_scope(
        &self,
        _login: &VerifiedLogin,
        org_slug: &str,
    ) -> Result<Option<OrgScope>, StoreError> {
        let slug = org_slug.to_owned();
        self.blocking(move |c| Ok(org_id(c, &slug)?.map(|org| OrgScope { org })))
            .await
    }

    /// The scope of a failed sign-in the library attributed to a connection
    /// of `org_slug` (`None` when not in the database): for writing its
    /// trace. The attribution may be a claim (see
    /// [`samlsp_actix::Attribution`]); the trace records which.
    pub async fn failure_scope(
        &self,
        _failure: &samlsp_actix::FailedSignIn,
        org_slug: &str,
    ) -> Result<Option<OrgScope>, StoreError> {
        let slug = org_slug.to_owned();
        self.blocking(move |c| Ok(org_id(c, &slug)?.map(|org| OrgScope { org })))
            .await
    }

    /// The scope of a failed sign-out step the library attributed to a
    /// connection of `org_slug`: for writing its trace (as
    /// [`Store::failure_scope`]).
    pub async fn logout_scope(
        &self,
        _failure: &samlsp_actix::FailedLogout,
        org_slug: &str,
    ) -> Result<Option<OrgScope>, StoreError> {
        let slug = org_slug.to_owned();
        self.blocking(move |c| Ok(org_id(c, &slug)?.map(|org| OrgScope { org })))
            .await
    }

    /// The scope of a successful sign-in's organization, from the
    /// library's report of it.
    pub async fn success_scope(
        &self,
        _success: &samlsp_actix::SucceededSignIn,
        org_slug: &str,
    ) -> Result<Option<OrgScope>, StoreError> {
        let slug = org_slug.to_owned();
        self.blocking(move |c| Ok(org_id(c, &slug)?.map(|org| OrgScope { org })))
            .await
    }

    /// Runs `f` within `scope`, in one transaction (committed when `f`
    /// returns `Ok`), on actix's blocking pool.
    pub async fn scoped<T: Send + 'static>(
        &self,
        scope: &OrgScope,
        f: impl FnOnce(&Scoped<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let org = scope.org;
        self.blocking(move |c| {
            // IMMEDIATE: the write lock is taken at BEGIN, where the busy
            // timeout applies. Several processes share the file in the
            // cluster demo; a deferred transaction that reads and then
            // writes fails at once ("database is locked") when another
            // process wrote in between (SQLite, "Transactions", BEGIN
            // IMMEDIATE; WAL mode's SQLITE_BUSY_SNAPSHOT).
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&Scoped { conn: &tx, org })?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// Writes the configured organizations: names, verified domains (the
    /// configuration is their only source), locations and default
    /// locations. An org with `adopt_default` takes over the `default`
    /// organization the migration made, when it does not exist yet.
    pub fn sync_orgs(
        &self,
        orgs: &[crate::config::OrgConfig],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut c = self.lock();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        orgs::sync(&tx, orgs, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` on the raw connection, outside any organization: for tests
    /// and operator tools only (clippy's `disallowed-methods` elsewhere).
    pub fn unscoped<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&mut self.lock())
    }

    /// Runs `f` within the organization `slug` (tests and operator tools;
    /// clippy's `disallowed-methods` elsewhere). `None` when no such org.
    pub fn unscoped_in<T>(
        &self,
        slug: &str,
        f: impl FnOnce(&Scoped<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let Some(org) = org_id(&tx, slug)? else {
            return Ok(None);
        };
        let out = f(&Scoped { conn: &tx, org })?;
        tx.commit()?;
        Ok(Some(out))
    }

    /// The scope of an organization named by the operator (the configured
    /// directory sync, the `visitor sync` and `visitor scim-token`
    /// commands, the server's connection upkeep): not a request's. A
    /// disallowed method for clippy outside those. `None` when no such org.
    pub fn operator_scope(&self, slug: &str) -> Result<Option<OrgScope>, StoreError> {
        Ok(org_id(&self.lock(), slug)?.map(|org| OrgScope { org }))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        let out = actix_web::web::block(move || f(&mut store.lock()))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))
            .and_then(|r| r);
        if out.is_err() {
            self.errors.inc();
        }
        out
    }

    /// The count of failed operations, for the metrics.
    pub fn error_counter(&self) -> prometheus_client::metrics::counter::Counter {
        self.errors.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic inside a closure would have rolled back its transaction
        // (Transaction rolls back on drop), so the connection is usable.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn org_id(c: &Connection, slug: &str) -> Result<Option<i64>, StoreError> {
    Ok(c.query_row(
        "SELECT id FROM organizations WHERE slug = ?1",
        params![slug],
        |r| r.get(0),
    )
    .optional()?)
}

/// Applies the migrations not yet applied, with foreign keys off while
/// tables are rebuilt (each migration that rebuilds checks them before it
/// commits), then on.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let before = MIGRATIONS.current_version(conn)?;
    MIGRATIONS.to_latest(conn)?;
    let after = MIGRATIONS.current_version(conn)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if before != after {
        tracing::info!(from = %before, to = %after, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
