//! The store: the one API every request goes through, over SQLite (one
//! file, the default) or PostgreSQL (shared by several instances), with the
//! same schema and the same SQL ([`db`]).
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
pub mod db;
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
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use samlsp_actix::{SignedIn, VerifiedLogin};

pub use audit::{AuditFilter, AuditRow};
pub use connections::{ConnectionRow, Enabled, NewConnection};
pub use console::{Changed, ConnectionChange, Notice, NoticeKind, RefreshState};
pub use db::{Backend, PgOptions, PgUrl};
use db::{Database, Db, Lock, params};
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

/// A database failure (a fault, not a decision).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded for now (PostgreSQL
    /// down or restarting, out of connections, a statement timeout, SQLite
    /// locked by another process): the app answers 503 and the caller may
    /// retry. Nothing was written. Never holds a password or a URL.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// SQLite said no.
    #[error("database: {0}")]
    Sqlite(rusqlite::Error),
    /// PostgreSQL said no (severity, SQLSTATE and message; not the DETAIL,
    /// which repeats row values).
    #[error("database: {0}")]
    Postgres(String),
    /// A statement failed inside a PostgreSQL transaction and the code went
    /// on; the whole transaction was rolled back (PostgreSQL aborts it at
    /// the first error, SQLite would have kept the other statements).
    #[error("database: transaction rolled back after an earlier error: {0}")]
    Aborted(String),
    /// A query that must find a row found none.
    #[error("database: no row found")]
    NoRow,
    /// A column did not hold what the code reads from it.
    #[error("database: column {index}: {reason}")]
    Column {
        /// 0-based.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The schema could not be brought up to date.
    #[error("database migration: {0}")]
    Migration(String),
    /// The database settings were refused (never repeats the URL).
    #[error("database settings: {0}")]
    Config(String),
    /// The blocking pool is gone (shutdown).
    #[error("database task: {0}")]
    Task(String),
}

impl StoreError {
    /// A passing fault: answer 503 with Retry-After, not 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            // Another process held the write lock past the busy timeout.
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(format!("SQLite: {e}"))
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(e: rusqlite_migration::Error) -> Self {
        StoreError::Migration(e.to_string())
    }
}

/// Shared handle to the database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Arc<Database>,
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
    conn: Db<'c>,
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
    /// Opens (creating) the SQLite database and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Store::with(Database::sqlite(path)?))
    }

    /// Connects to PostgreSQL and applies pending migrations.
    pub fn open_postgres(url: &PgUrl, options: &PgOptions) -> Result<Self, StoreError> {
        Ok(Store::with(off_runtime(true, || {
            Database::postgres(url, options)
        })?))
    }

    /// The configured database: PostgreSQL when `database_url` is set,
    /// else the SQLite file `database`.
    pub fn connect(server: &crate::config::ServerConfig) -> Result<Self, StoreError> {
        match &server.database_url {
            Some(url) => Store::open_postgres(url, &server.postgres_options()),
            None => Store::open(&server.database),
        }
    }

    fn with(db: Database) -> Self {
        Store {
            db: Arc::new(db),
            errors: Default::default(),
        }
    }

    /// Which database this store uses.
    pub fn backend(&self) -> Backend {
        self.db.backend()
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
        self.blocking(move |d| {
            d.run(|c| {
                let Some(org) = org_id(c, &slug)? else {
                    return Ok(None);
                };
                let s = Scoped { conn: c, org };
                Ok(s.user(id)?.map(|u| (OrgScope { org }, u)))
            })
        })
        .await
    }

    /// The organization `slug`, as a scope (`None` when not in the database).
    async fn scope_of(&self, slug: &str) -> Result<Option<OrgScope>, StoreError> {
        let slug = slug.to_owned();
        self.blocking(move |d| d.run(|c| Ok(org_id(c, &slug)?.map(|org| OrgScope { org }))))
            .await
    }

    /// The scope of a verified login: its connection's organization,
    /// `org_slug` (`None` when not in the database).
    pub async fn login_scope(
        &self,
        _login: &VerifiedLogin,
        org_slug: &str,
    ) -> Result<Option<OrgScope>, StoreError> {
        self.scope_of(org_slug).await
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
        self.scope_of(org_slug).await
    }

    /// The scope of a failed sign-out step the library attributed to a
    /// connection of `org_slug`: for writing its trace (as
    /// [`Store::failure_scope`]).
    pub async fn logout_scope(
        &self,
        _failure: &samlsp_actix::FailedLogout,
        org_slug: &str,
    ) -> Result<Option<OrgScope>, StoreError> {
        self.scope_of(org_slug).await
    }

    /// The scope of a successful sign-in's organization, from the
    /// library's report of it.
    pub async fn success_scope(
        &self,
        _success: &samlsp_actix::SucceededSignIn,
        org_slug: &str,
    ) -> Result<Option<OrgScope>, StoreError> {
        self.scope_of(org_slug).await
    }

    /// Runs `f` within `scope`, in one transaction (committed when `f`
    /// returns `Ok`), on actix's blocking pool. On PostgreSQL the
    /// transaction first takes the organization's advisory lock: one
    /// transaction per organization at a time, so every read-then-write in
    /// `f` sees no other writer of that organization in between (as with
    /// SQLite's single writer), while organizations do not wait for each
    /// other.
    pub async fn scoped<T: Send + 'static>(
        &self,
        scope: &OrgScope,
        f: impl FnOnce(&Scoped<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let org = scope.org;
        self.blocking(move |d| d.transaction(Some(Lock::Org(org)), |c| f(&Scoped { conn: c, org })))
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
        // Instances starting at once write the same rows: one at a time.
        self.sync(|d| d.transaction(Some(Lock::Global), |c| orgs::sync(c, orgs, now)))
    }

    /// Runs `f` on a connection, outside any organization and transaction:
    /// for tests and operator tools only (clippy's `disallowed-methods`
    /// elsewhere).
    pub fn unscoped<T: Send>(
        &self,
        f: impl FnOnce(&Db<'_>) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        self.sync(|d| d.run(|c| f(&c)))
    }

    /// Runs `f` within the organization `slug` (tests and operator tools;
    /// clippy's `disallowed-methods` elsewhere). `None` when no such org.
    pub fn unscoped_in<T: Send>(
        &self,
        slug: &str,
        f: impl FnOnce(&Scoped<'_>) -> Result<T, StoreError> + Send,
    ) -> Result<Option<T>, StoreError> {
        self.sync(|d| {
            d.transaction(None, |c| {
                let Some(org) = org_id(c, slug)? else {
                    return Ok(None);
                };
                c.lock(Lock::Org(org))?;
                f(&Scoped { conn: c, org }).map(Some)
            })
        })
    }

    /// The scope of an organization named by the operator (the configured
    /// directory sync, the `visitor sync` and `visitor scim-token`
    /// commands, the server's connection upkeep): not a request's. A
    /// disallowed method for clippy outside those. `None` when no such org.
    pub fn operator_scope(&self, slug: &str) -> Result<Option<OrgScope>, StoreError> {
        self.sync(|d| d.run(|c| Ok(org_id(c, slug)?.map(|org| OrgScope { org }))))
    }

    /// Runs `f` now, on this thread: the store's synchronous methods
    /// (start-up, operator work, tests). See [`off_runtime`].
    fn sync<T: Send>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        off_runtime(self.backend() == Backend::Postgres, || f(&self.db))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        let out = actix_web::web::block(move || f(&db))
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
}

/// Runs `f`, on another thread when `postgres` and this thread drives an
/// async runtime (the app's start-up in `actix_web::main`, an async test):
/// rust-postgres's synchronous client blocks on a runtime of its own,
/// which cannot start inside another. The async paths of the store run on
/// actix's blocking pool instead, where it can.
fn off_runtime<T: Send>(
    postgres: bool,
    f: impl FnOnce() -> Result<T, StoreError> + Send,
) -> Result<T, StoreError> {
    if !postgres || tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(out) => out,
        // A panic inside `f` (a test's assertion) stays a panic.
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

fn org_id(c: Db<'_>, slug: &str) -> Result<Option<i64>, StoreError> {
    c.query_opt(
        "SELECT id FROM organizations WHERE slug = ?1",
        params![slug],
        |r| r.get(0),
    )
}

#[cfg(test)]
#[path = "../../tests/support/postgres.rs"]
pub(crate) mod test_postgres;
#[cfg(test)]
pub(crate) mod tests;
