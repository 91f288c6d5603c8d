//! The database layer under the store: one API over SQLite (rusqlite) and
//! PostgreSQL (rust-postgres's synchronous client), so that every query of
//! the store is written once.
//!
//! - SQL is written with SQLite's numbered placeholders (`?1`, `?2`, ...);
//!   the PostgreSQL side rewrites them to `$1`, `$2` (outside string
//!   literals, quoted names and comments) when it prepares a statement, and
//!   keeps the prepared statement per connection and SQL text.
//! - Parameters are owned [`Value`]s (`params![a, b]`, or an array
//!   `[a]`), bound to either driver. On PostgreSQL an integer binds to
//!   `SMALLINT`, `INTEGER` or `BIGINT` parameters (checked for range), text
//!   to `TEXT`/`VARCHAR`, bytes to `BYTEA`.
//! - Rows are read with [`Row::get`] into `i64`, `u32`, `String`, `bool`
//!   (an integer 0/1 or a PostgreSQL boolean), `Vec<u8>`, `f64` and
//!   `Option` of these: the schema keeps booleans as integers and
//!   timestamps as RFC 3339 text in both databases, and a comparison in a
//!   select list is an integer in SQLite and a boolean in PostgreSQL.
//! - A new row's ID comes from `INSERT ... RETURNING id` (both support it),
//!   not from SQLite's `last_insert_rowid()`.
//!
//! Why our own thin layer rather than an ORM or `sqlx`: the store's SQL is
//! plain and hand-written, the app runs it on actix's blocking pool, and
//! the two drivers it needs are the maintained synchronous ones; `sqlx`
//! would make every store call async and bring its own runtime and macros,
//! an ORM would rewrite the schema's composite keys that carry tenancy.
//!
//! Transactions: SQLite takes its one write lock at `BEGIN IMMEDIATE`;
//! PostgreSQL runs READ COMMITTED and the store takes an advisory lock per
//! organization at the start of each of its transactions ([`Lock`]): one
//! writer per organization at a time, as SQLite has one writer, while
//! organizations do not wait for each other. See [`postgres`] for the pool.

mod postgres;
mod sqlite;

use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard};

pub use self::postgres::{PgOptions, PgUrl};
pub use self::sqlite::migrate as migrate_sqlite;
use super::StoreError;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (one file, or memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A value bound to a placeholder, or read from a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (also a boolean, as 0/1).
    I64(i64),
    /// Text.
    Text(String),
    /// A float.
    F64(f64),
    /// Bytes (BLOB, BYTEA).
    Bytes(Vec<u8>),
}

/// What can be bound to a placeholder.
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::I64(i64::from(*self))
            }
        }
    )*};
}
int_to_value!(i64, i32, i16, u32, u16, u8);
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::I64(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::F64(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}
impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}

/// The parameters of one statement: `params![..]`, a slice of [`Value`]s,
/// `[]`, or an array of one type (`[id]`).
pub trait Params {
    /// The values, in placeholder order.
    fn values(&self) -> Cow<'_, [Value]>;
}

impl Params for &[Value] {
    fn values(&self) -> Cow<'_, [Value]> {
        Cow::Borrowed(self)
    }
}
impl Params for [Value; 0] {
    fn values(&self) -> Cow<'_, [Value]> {
        Cow::Borrowed(&[])
    }
}
macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(&self) -> Cow<'_, [Value]> {
                Cow::Owned(self.iter().map(ToValue::to_value).collect())
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// The parameters of a statement, in placeholder order: any mix of types
/// that are [`ToValue`] (borrowed, as rusqlite's `params!`).
macro_rules! params {
    () => {
        &[] as &[$crate::store::db::Value]
    };
    ($($e:expr),+ $(,)?) => {
        &[$($crate::store::db::ToValue::to_value(&$e)),+] as &[$crate::store::db::Value]
    };
}
pub(crate) use params;

/// What can be read from a column.
pub trait FromValue: Sized {
    /// The column's value as `Self`, or why not.
    fn from_value(v: Value) -> Result<Self, String>;
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::I64(_) => "an integer",
        Value::Text(_) => "text",
        Value::F64(_) => "a float",
        Value::Bytes(_) => "bytes",
    }
}

fn wrong(want: &str, v: &Value) -> String {
    format!("expected {want}, found {}", kind(v))
}

impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self, String> {
        Ok(v)
    }
}
impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::I64(n) => Ok(n),
            other => Err(wrong("an integer", &other)),
        }
    }
}
impl FromValue for u32 {
    fn from_value(v: Value) -> Result<Self, String> {
        let n = i64::from_value(v)?;
        u32::try_from(n).map_err(|_| format!("{n} is out of range for u32"))
    }
}
impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::I64(0) => Ok(false),
            Value::I64(1) => Ok(true),
            other => Err(wrong("0 or 1", &other)),
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::F64(f) => Ok(f),
            // Exact for the counts and IDs a float column would be compared with.
            #[allow(clippy::cast_precision_loss)]
            Value::I64(n) => Ok(n as f64),
            other => Err(wrong("a number", &other)),
        }
    }
}
impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(wrong("text", &other)),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Bytes(b) => Ok(b),
            other => Err(wrong("bytes", &other)),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One row of a result.
pub struct Row<'r>(RowRef<'r>);

enum RowRef<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r ::postgres::Row),
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Row")
    }
}

impl Row<'_> {
    /// How many columns the row has.
    pub fn len(&self) -> usize {
        match self.0 {
            RowRef::Sqlite(r) => r.as_ref().column_count(),
            RowRef::Postgres(r) => r.len(),
        }
    }

    /// Whether the row has no column.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column `idx` (0-based) as `T`.
    pub fn get<T: FromValue>(&self, idx: usize) -> Result<T, StoreError> {
        let v = match self.0 {
            RowRef::Sqlite(r) => sqlite::value(r, idx)?,
            RowRef::Postgres(r) => self::postgres::value(r, idx)?,
        };
        T::from_value(v).map_err(|reason| StoreError::Column { index: idx, reason })
    }
}

/// A connection to either database: inside a transaction when the store
/// made one ([`Database::transaction`]), else each statement on its own.
#[derive(Clone, Copy)]
pub struct Db<'a>(Conn<'a>);

#[derive(Clone, Copy)]
enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a self::postgres::PgConn),
}

impl std::fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend())
    }
}

/// An advisory lock a PostgreSQL transaction takes first (SQLite's
/// `BEGIN IMMEDIATE` already excludes every other writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// One organization's data (its ID).
    Org(i64),
    /// Operator work across organizations (writing the configured ones).
    Global,
}

impl Db<'_> {
    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.0 {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; the count of rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize, StoreError> {
        let values = params.values();
        match self.0 {
            Conn::Sqlite(c) => sqlite::execute(c, sql, &values),
            Conn::Postgres(c) => c.execute(sql, &values),
        }
    }

    /// Every row of a query, each through `f`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let values = params.values();
        match self.0 {
            Conn::Sqlite(c) => {
                sqlite::query(c, sql, &values, |r| f(&Row(RowRef::Sqlite(r))), usize::MAX)
            }
            Conn::Postgres(c) => c
                .query(sql, &values)?
                .iter()
                .map(|r| f(&Row(RowRef::Postgres(r))))
                .collect(),
        }
    }

    /// The first row of a query through `f`, `None` when there is none.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let values = params.values();
        let mut f = Some(f);
        let mut once = |r: &Row<'_>| match f.take() {
            Some(f) => f(r).map(Some),
            None => Ok(None),
        };
        let rows = match self.0 {
            Conn::Sqlite(c) => {
                sqlite::query(c, sql, &values, |r| once(&Row(RowRef::Sqlite(r))), 1)?
            }
            Conn::Postgres(c) => match c.query(sql, &values)?.first() {
                Some(r) => vec![once(&Row(RowRef::Postgres(r)))?],
                None => Vec::new(),
            },
        };
        Ok(rows.into_iter().next().flatten())
    }

    /// The first row of a query through `f`; [`StoreError::NoRow`] when
    /// there is none.
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, params, f)?.ok_or(StoreError::NoRow)
    }

    /// Runs several statements without parameters (tests and tools).
    pub fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        match self.0 {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => c.batch(sql),
        }
    }

    /// Takes `lock` for the rest of the transaction (PostgreSQL; nothing on
    /// SQLite, whose transactions already exclude other writers). For when
    /// the lock's key is only known after a first read.
    pub fn lock(&self, lock: Lock) -> Result<(), StoreError> {
        match self.0 {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(c) => c.lock(lock),
        }
    }
}

/// The database a store uses, with its connections.
#[derive(Debug)]
pub enum Database {
    /// One SQLite connection (SQLite serialises writes anyway, and every
    /// call is short).
    Sqlite(Mutex<rusqlite::Connection>),
    /// A pool of PostgreSQL connections.
    Postgres(Box<self::postgres::Pool>),
}

impl Database {
    /// Opens (creating) a SQLite database and applies pending migrations.
    pub fn sqlite(path: &std::path::Path) -> Result<Self, StoreError> {
        Ok(Database::Sqlite(Mutex::new(sqlite::open(path)?)))
    }

    /// Connects to PostgreSQL and applies pending migrations (one instance
    /// at a time).
    pub fn postgres(url: &PgUrl, options: &PgOptions) -> Result<Self, StoreError> {
        let pool = self::postgres::Pool::new(url, options)?;
        pool.migrate()?;
        Ok(Database::Postgres(Box::new(pool)))
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs `f` on a connection, each statement on its own (no transaction).
    pub fn run<T>(&self, f: impl FnOnce(Db<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        match self {
            Database::Sqlite(c) => f(Db(Conn::Sqlite(&lock_sqlite(c)))),
            Database::Postgres(p) => {
                let c = p.get()?;
                f(Db(Conn::Postgres(&c)))
            }
        }
    }

    /// Runs `f` in one transaction, committed when it returns `Ok`, rolled
    /// back otherwise; on PostgreSQL `lock` is taken first.
    pub fn transaction<T>(
        &self,
        lock: Option<Lock>,
        f: impl FnOnce(Db<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match self {
            Database::Sqlite(c) => {
                let mut c = lock_sqlite(c);
                // IMMEDIATE: the write lock is taken at BEGIN, where the busy
                // timeout applies. Several processes may share the file; a
                // deferred transaction that reads and then writes fails at
                // once ("database is locked") when another process wrote in
                // between (SQLite, "Transactions", BEGIN IMMEDIATE; WAL
                // mode's SQLITE_BUSY_SNAPSHOT).
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(Db(Conn::Sqlite(&tx)))?;
                tx.commit()?;
                Ok(out)
            }
            Database::Postgres(p) => p.transaction(lock, |c| f(Db(Conn::Postgres(c)))),
        }
    }
}

fn lock_sqlite(c: &Mutex<rusqlite::Connection>) -> MutexGuard<'_, rusqlite::Connection> {
    // A panic inside a closure would have rolled back its transaction
    // (Transaction rolls back on drop), so the connection is usable.
    c.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
