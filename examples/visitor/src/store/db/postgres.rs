//! PostgreSQL through rust-postgres's synchronous client: a small pool,
//! transactions with advisory locks, the migrations of
//! `migrations/postgres/`, and the mapping of faults to
//! [`StoreError::Unavailable`].
//!
//! # The pool
//! Our own (a `Mutex<Vec<_>>` and a `Condvar`, below) rather than r2d2:
//! when PostgreSQL is down, r2d2's checkout keeps retrying in its own
//! threads until its whole connection timeout has passed, and it opens its
//! minimum of idle connections in the background. Here a checkout that
//! finds no idle connection connects at once, on the caller's thread,
//! bounded by the connect timeout, so an unreachable server answers
//! `Unavailable` within that timeout (at once when it is refused) and the
//! app shows its 503 page. A connection that failed at the connection
//! level, or was left inside a transaction (a panic), is dropped instead
//! of being returned; one idle for a while is checked before reuse, so
//! after a PostgreSQL restart the app recovers by itself. At most
//! `pool_size` connections are open; a caller waits for a free one up to
//! the connect timeout.
//!
//! # Timeouts
//! `connect_timeout` (the URL's, else [`PgOptions::connect_timeout`]),
//! `statement_timeout` set on every connection (it also bounds waiting for
//! an organization's lock), and TCP's user timeout so that a server that
//! vanished mid-query fails the call instead of hanging it.
//!
//! # Migrations
//! Our own runner rather than refinery or sqlx's: the SQLite side keeps
//! rusqlite_migration and `PRAGMA user_version`, the two sides share
//! version numbers, and what PostgreSQL needs is short: a `schema_version`
//! table, each migration in its own transaction, and
//! `pg_advisory_xact_lock` so that two instances starting at once do not
//! both migrate (the second waits, then finds nothing to do). refinery
//! would bring its own table layout and locking (none on PostgreSQL).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::error::Error as _;
use std::fmt;
use std::str::FromStr;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ::postgres::config::SslMode;
use ::postgres::error::SqlState;
use ::postgres::types::{IsNull, ToSql, Type};
use ::postgres::{Client, Config, NoTls, Statement};
use bytes::BytesMut;

use super::{Lock, Value};
use crate::store::StoreError;

/// The PostgreSQL migrations: (version, file). Version 7 is the baseline
/// equal to SQLite's schema after its 0007; a later one has the number of
/// its SQLite twin.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (
        7,
        include_str!("../../../migrations/postgres/0007_baseline.sql"),
    ),
    (
        8,
        include_str!("../../../migrations/postgres/0008_console.sql"),
    ),
];

/// The key class of the store's two-part advisory locks (`'vis1'`); an
/// organization's lock is the one-part key of its ID, a separate key space
/// (PostgreSQL, "Advisory Lock Functions").
const LOCK_CLASS: i64 = 0x7669_7331;
const LOCK_GLOBAL: i64 = 1;
const LOCK_MIGRATIONS: i64 = 2;
/// Prepared statements kept per connection (the store has about 150 SQL
/// texts; SCIM filters make more, so the cache is bounded).
const STATEMENT_CACHE: usize = 512;
/// An idle connection older than this is checked before it is used again.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(2);

/// A `postgres://` (or `postgresql://`) URL. It may hold a password, so
/// `Debug` and every error show neither it nor the URL.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct PgUrl(String);

impl TryFrom<String> for PgUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        PgUrl::parse(&s)
    }
}

impl PgUrl {
    /// Checks the URL (its syntax; the server is reached later).
    pub fn parse(s: &str) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        if !["postgres://", "postgresql://"]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            return Err("database_url: not a postgres:// or postgresql:// URL".into());
        }
        // The parser's message can quote the URL: not repeated.
        Config::from_str(s).map_err(|_| "database_url: not a valid PostgreSQL URL".to_owned())?;
        Ok(PgUrl(s.to_owned()))
    }

    /// The URL, for the client only: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PgUrl([redacted])")
    }
}

/// The pool's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections at most.
    pub pool_size: usize,
    /// Connect timeout when the URL sets none (`connect_timeout=`).
    pub connect_timeout: Duration,
    /// Longest statement (and wait for a lock).
    pub statement_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            pool_size: 10,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Clone)]
enum Tls {
    Off,
    On(postgres_openssl::MakeTlsConnector),
}

/// The connections.
pub struct Pool {
    config: Config,
    tls: Tls,
    statement_timeout: Duration,
    connect_timeout: Duration,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<(PgConn, Instant)>,
    /// Connections out of the pool.
    busy: usize,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").field("max", &self.max).finish()
    }
}

impl Pool {
    /// A pool for `url` (connects on first use).
    pub fn new(url: &PgUrl, options: &PgOptions) -> Result<Self, StoreError> {
        let mut config = Config::from_str(url.expose())
            .map_err(|_| StoreError::Config("database_url: not a valid PostgreSQL URL".into()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        let connect_timeout = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(options.connect_timeout);
        // A peer that stops acknowledging fails the call (Linux TCP_USER_TIMEOUT).
        config.tcp_user_timeout(connect_timeout + options.statement_timeout);
        config.keepalives_idle(Duration::from_secs(30));
        // sslmode=require verifies the server's certificate and name against
        // the system's CAs (stricter than libpq's require, which verifies
        // nothing); prefer and disable connect in the clear, as a
        // certificate that cannot be verified must not make "prefer" fail.
        let tls = if config.get_ssl_mode() == SslMode::Require {
            let connector = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())
                .map_err(|e| StoreError::Config(format!("TLS: {e}")))?
                .build();
            Tls::On(postgres_openssl::MakeTlsConnector::new(connector))
        } else {
            config.ssl_mode(SslMode::Disable);
            Tls::Off
        };
        Ok(Pool {
            config,
            tls,
            statement_timeout: options.statement_timeout,
            connect_timeout,
            max: options.pool_size.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                busy: 0,
            }),
            freed: Condvar::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection: an idle one (checked when it idled a while), else a
    /// new one. `Unavailable` when the server cannot be reached or every
    /// connection stays busy for the connect timeout.
    pub fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let deadline = Instant::now() + self.connect_timeout;
        let mut state = self.state();
        while state.busy >= self.max {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StoreError::Unavailable(format!(
                    "all {} database connections stayed busy for {:?}",
                    self.max, self.connect_timeout
                )));
            }
            state = self
                .freed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.busy += 1;
        let mut out = Pooled {
            conn: None,
            pool: self,
        };
        while let Some((c, since)) = state.idle.pop() {
            drop(state);
            let usable = !c.client.borrow().is_closed()
                && (since.elapsed() < CHECK_IDLE_AFTER
                    || c.client.borrow_mut().is_valid(self.connect_timeout).is_ok());
            if usable {
                out.conn = Some(c);
                return Ok(out);
            }
            state = self.state();
        }
        drop(state);
        out.conn = Some(self.connect()?);
        Ok(out)
    }

    fn connect(&self) -> Result<PgConn, StoreError> {
        let connected = match &self.tls {
            Tls::Off => self.config.connect(NoTls),
            Tls::On(tls) => self.config.connect(tls.clone()),
        };
        // The client's messages name the host and the user, never the password.
        let mut client = connected
            .map_err(|e| StoreError::Unavailable(format!("PostgreSQL: {}", describe(&e))))?;
        let ms = self.statement_timeout.as_millis();
        client
            .batch_execute(&format!("SET statement_timeout = {ms}"))
            .map_err(|e| StoreError::Unavailable(format!("PostgreSQL: {}", describe(&e))))?;
        Ok(PgConn {
            client: RefCell::new(client),
            statements: RefCell::default(),
            in_tx: Cell::new(false),
            failed: Cell::new(None),
            broken: Cell::new(false),
        })
    }

    /// Runs `f` in one READ COMMITTED transaction that takes `lock` first.
    pub fn transaction<T>(
        &self,
        lock: Option<Lock>,
        f: impl FnOnce(&PgConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut c = self.get()?;
        if c.begin().is_err() {
            // A connection that died idle (a server restart within
            // CHECK_IDLE_AFTER): nothing was done on it, so a new one may.
            drop(c);
            c = self.get()?;
            c.begin()?;
        }
        let out = match lock {
            Some(l) => c.lock(l).and_then(|()| f(&c)),
            None => f(&c),
        };
        match (out, c.failed.take()) {
            (Ok(v), None) => {
                c.end("COMMIT")?;
                Ok(v)
            }
            // The caller went on after a failed statement: PostgreSQL has
            // aborted the transaction, and COMMIT would quietly roll back.
            (Ok(_), Some(first)) => {
                let _ = c.end("ROLLBACK");
                Err(StoreError::Aborted(first))
            }
            (Err(e), _) => {
                let _ = c.end("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Applies the migrations not yet applied, each in its own transaction,
    /// one instance at a time.
    pub fn migrate(&self) -> Result<(), StoreError> {
        let c = self.get()?;
        loop {
            c.begin()?;
            let step = (|| {
                c.execute(
                    "SELECT pg_advisory_xact_lock(?1, ?2)",
                    &[Value::I64(LOCK_CLASS), Value::I64(LOCK_MIGRATIONS)],
                )?;
                c.batch(
                    "CREATE TABLE IF NOT EXISTS schema_version (\
                     version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
                )?;
                let rows = c.query("SELECT coalesce(max(version), 0) FROM schema_version", &[])?;
                let current = match rows.first() {
                    Some(r) => <i64 as super::FromValue>::from_value(value(r, 0)?).unwrap_or(0),
                    None => 0,
                };
                let Some((version, sql)) = MIGRATIONS.iter().find(|(v, _)| *v > current) else {
                    return Ok(None);
                };
                c.batch(sql)?;
                c.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                    &[
                        Value::I64(*version),
                        Value::Text(crate::store::ts(chrono::Utc::now())),
                    ],
                )?;
                Ok(Some((current, *version)))
            })();
            match step {
                Ok(next) => {
                    c.end("COMMIT")?;
                    let Some((from, to)) = next else {
                        return Ok(());
                    };
                    tracing::info!(from, to, "database migrated");
                }
                Err(e) => {
                    let _ = c.end("ROLLBACK");
                    return Err(match e {
                        StoreError::Unavailable(_) => e,
                        e => StoreError::Migration(e.to_string()),
                    });
                }
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing a client blocks on its runtime, which cannot run on a
        // thread that drives another (a store dropped in async code).
        let idle = std::mem::take(&mut self.state().idle);
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(move || drop(idle));
            });
        }
    }
}

/// A connection out of the pool; back in it when dropped, unless broken.
pub struct Pooled<'p> {
    conn: Option<PgConn>,
    pool: &'p Pool,
}

impl fmt::Debug for Pooled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pooled")
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = PgConn;
    #[allow(clippy::expect_used)]
    fn deref(&self) -> &PgConn {
        // Set before a Pooled leaves Pool::get, taken only by Drop.
        self.conn.as_ref().expect("a pooled connection")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.state();
        state.busy = state.busy.saturating_sub(1);
        if let Some(c) = self.conn.take() {
            let reusable = !c.broken.get() && !c.in_tx.get() && !c.client.borrow().is_closed();
            if reusable {
                state.idle.push((c, Instant::now()));
            }
        }
        drop(state);
        self.pool.freed.notify_one();
    }
}

/// One PostgreSQL connection, with its prepared statements.
pub struct PgConn {
    client: RefCell<Client>,
    /// By the store's SQL text (with `?N` placeholders).
    statements: RefCell<HashMap<String, Statement>>,
    /// Between BEGIN and COMMIT/ROLLBACK.
    in_tx: Cell<bool>,
    /// The first statement that failed in the transaction.
    failed: Cell<Option<String>>,
    /// Failed at the connection level: not to be reused.
    broken: Cell<bool>,
}

impl fmt::Debug for PgConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConn")
            .field("in_tx", &self.in_tx.get())
            .field("broken", &self.broken.get())
            .finish()
    }
}

impl PgConn {
    fn statement(&self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client.borrow_mut().prepare(&rewrite(sql));
        let st = prepared.map_err(|e| self.fault(e))?;
        let mut cache = self.statements.borrow_mut();
        if cache.len() >= STATEMENT_CACHE {
            cache.clear();
        }
        cache.insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    pub(super) fn execute(&self, sql: &str, values: &[Value]) -> Result<usize, StoreError> {
        let st = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        let done = self.client.borrow_mut().execute(&st, &params);
        let n = done.map_err(|e| self.fault(e))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(super) fn query(
        &self,
        sql: &str,
        values: &[Value],
    ) -> Result<Vec<::postgres::Row>, StoreError> {
        let st = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        let done = self.client.borrow_mut().query(&st, &params);
        done.map_err(|e| self.fault(e))
    }

    pub(super) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        let done = self.client.borrow_mut().batch_execute(sql);
        done.map_err(|e| self.fault(e))
    }

    pub(super) fn lock(&self, lock: Lock) -> Result<(), StoreError> {
        match lock {
            Lock::Org(org) => self.execute("SELECT pg_advisory_xact_lock(?1)", &[Value::I64(org)]),
            Lock::Global => self.execute(
                "SELECT pg_advisory_xact_lock(?1, ?2)",
                &[Value::I64(LOCK_CLASS), Value::I64(LOCK_GLOBAL)],
            ),
        }
        .map(drop)
    }

    fn begin(&self) -> Result<(), StoreError> {
        self.failed.set(None);
        self.batch("BEGIN ISOLATION LEVEL READ COMMITTED")?;
        self.in_tx.set(true);
        Ok(())
    }

    /// COMMIT or ROLLBACK. When that fails the transaction's state is not
    /// known: the connection is not reused.
    fn end(&self, how: &str) -> Result<(), StoreError> {
        match self.batch(how) {
            Ok(()) => {
                self.in_tx.set(false);
                Ok(())
            }
            Err(e) => {
                self.broken.set(true);
                Err(e)
            }
        }
    }

    /// The store's error for a failed call; notes a failure inside a
    /// transaction, and a connection not to be reused.
    fn fault(&self, e: ::postgres::Error) -> StoreError {
        let closed = e.is_closed()
            || self
                .client
                .try_borrow()
                .map(|c| c.is_closed())
                .unwrap_or(false)
            || e.source()
                .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
        let out = match e.as_db_error() {
            // The message names the constraint or object; its DETAIL (which
            // repeats the row's values, emails and names) stays out of logs.
            Some(db) if !closed => {
                let text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
                if transient(db.code()) {
                    if going_away(db.code()) {
                        self.broken.set(true);
                    }
                    StoreError::Unavailable(format!("PostgreSQL: {text}"))
                } else {
                    StoreError::Postgres(text)
                }
            }
            Some(db) => {
                self.broken.set(true);
                StoreError::Unavailable(format!("PostgreSQL: {}", db.message()))
            }
            None if closed => {
                self.broken.set(true);
                StoreError::Unavailable(format!("PostgreSQL: {}", describe(&e)))
            }
            None => StoreError::Postgres(describe(&e)),
        };
        if self.in_tx.get() {
            let first = self.failed.take().unwrap_or_else(|| out.to_string());
            self.failed.set(Some(first));
        }
        out
    }
}

/// The client's error with its cause (its Display has only the kind:
/// "error connecting to server").
fn describe(e: &::postgres::Error) -> String {
    match e.source() {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Faults that pass: the server going away or starting, out of resources
/// or connections, a statement or lock timeout, a deadlock or
/// serialization failure. The app answers 503 and the client may retry.
fn transient(code: &SqlState) -> bool {
    let c = code.code();
    c.starts_with("08")
        || c.starts_with("53")
        || c.starts_with("57P")
        || [
            SqlState::QUERY_CANCELED.code(),
            SqlState::LOCK_NOT_AVAILABLE.code(),
            SqlState::T_R_SERIALIZATION_FAILURE.code(),
            SqlState::T_R_DEADLOCK_DETECTED.code(),
        ]
        .contains(&c)
}

/// The server closes this connection (shutdown, crash, restart).
fn going_away(code: &SqlState) -> bool {
    code.code().starts_with("57P") || code.code().starts_with("08")
}

/// `?N` placeholders as PostgreSQL's `$N`, outside string literals, quoted
/// names and comments.
pub(crate) fn rewrite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                // A doubled quote inside is an escaped one: the loop sees it
                // as an end and a new start, which copies it unchanged.
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                out.push(c);
                let mut prev = '\0';
                for d in chars.by_ref() {
                    out.push(d);
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
            }
            '?' if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            c => out.push(c),
        }
    }
    out
}

/// Column `idx` of a row, whatever integer, text or bytes type it has.
pub(super) fn value(r: &::postgres::Row, idx: usize) -> Result<Value, StoreError> {
    let column = |reason: String| StoreError::Column { index: idx, reason };
    let ty = r
        .columns()
        .get(idx)
        .map(|c| c.type_().clone())
        .ok_or_else(|| column("no such column".into()))?;
    let get = |e: ::postgres::Error| column(e.to_string());
    Ok(match ty {
        Type::INT8 => r
            .try_get::<_, Option<i64>>(idx)
            .map_err(get)?
            .map(Value::I64),
        Type::INT4 => r
            .try_get::<_, Option<i32>>(idx)
            .map_err(get)?
            .map(|n| Value::I64(n.into())),
        Type::INT2 => r
            .try_get::<_, Option<i16>>(idx)
            .map_err(get)?
            .map(|n| Value::I64(n.into())),
        Type::BOOL => r
            .try_get::<_, Option<bool>>(idx)
            .map_err(get)?
            .map(|b| Value::I64(b.into())),
        Type::FLOAT8 => r
            .try_get::<_, Option<f64>>(idx)
            .map_err(get)?
            .map(Value::F64),
        Type::FLOAT4 => r
            .try_get::<_, Option<f32>>(idx)
            .map_err(get)?
            .map(|f| Value::F64(f.into())),
        Type::BYTEA => r
            .try_get::<_, Option<Vec<u8>>>(idx)
            .map_err(get)?
            .map(Value::Bytes),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => r
            .try_get::<_, Option<String>>(idx)
            .map_err(get)?
            .map(Value::Text),
        other => return Err(column(format!("unsupported column type {other}"))),
    }
    .unwrap_or(Value::Null))
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::I64(n), &Type::INT8) => n.to_sql(ty, out),
            (Value::I64(n), &Type::INT4) => i32::try_from(*n)?.to_sql(ty, out),
            (Value::I64(n), &Type::INT2) => i16::try_from(*n)?.to_sql(ty, out),
            (Value::I64(n @ (0 | 1)), &Type::BOOL) => (*n == 1).to_sql(ty, out),
            (Value::F64(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Text(s), _) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            (Value::Bytes(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            (v, ty) => {
                Err(format!("{} cannot be bound to a {ty} parameter", super::kind(v)).into())
            }
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in to_sql (a Value's type is only known there).
        true
    }

    ::postgres::types::to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn placeholders_are_rewritten_outside_literals_names_and_comments() {
        assert_eq!(
            rewrite(
                "SELECT a FROM t WHERE x = ?1 AND y = '?2' AND \"?3\" = ?10 -- ?4\n AND z = ?2"
            ),
            "SELECT a FROM t WHERE x = $1 AND y = '?2' AND \"?3\" = $10 -- ?4\n AND z = $2"
        );
        assert_eq!(
            rewrite("SELECT 'it''s ?1', ?1 /* ?2 */ , ?2"),
            "SELECT 'it''s ?1', $1 /* ?2 */ , $2"
        );
        // A ? without a number is left alone (PostgreSQL reports it).
        assert_eq!(rewrite("SELECT ?"), "SELECT ?");
    }
}
