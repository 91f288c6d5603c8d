//! SQLite through rusqlite: one connection, the migrations of
//! `migrations/NNNN_*.sql` (counted by `PRAGMA user_version`, as before
//! rusqlite_migration managed them, so existing databases carry on).

use std::path::Path;
use std::sync::LazyLock;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};
use rusqlite_migration::{M, Migrations};

use super::Value;
use crate::store::StoreError;

/// The schema, in order.
static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../../migrations/0001_init.sql")),
        M::up(include_str!("../../../migrations/0002_organizations.sql")).foreign_key_check(),
        M::up(include_str!("../../../migrations/0003_scim.sql")).foreign_key_check(),
        M::up(include_str!("../../../migrations/0004_audit.sql")),
        M::up(include_str!("../../../migrations/0005_directory_sync.sql")).foreign_key_check(),
        M::up(include_str!("../../../migrations/0006_reception.sql")).foreign_key_check(),
        M::up(include_str!("../../../migrations/0007_connections.sql")),
        M::up(include_str!("../../../migrations/0008_console.sql")).foreign_key_check(),
    ])
});

/// Opens (creating) the database and applies pending migrations.
pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
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
    Ok(conn)
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

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::I64(n) => ValueRef::Integer(*n),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::F64(f) => ValueRef::Real(*f),
            Value::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

pub(super) fn execute(c: &Connection, sql: &str, values: &[Value]) -> Result<usize, StoreError> {
    let mut st = c.prepare_cached(sql)?;
    Ok(st.execute(rusqlite::params_from_iter(values.iter()))?)
}

/// Up to `limit` rows of a query, each through `f`.
pub(super) fn query<T>(
    c: &Connection,
    sql: &str,
    values: &[Value],
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<T, StoreError>,
    limit: usize,
) -> Result<Vec<T>, StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(r) = rows.next()? else { break };
        out.push(f(r)?);
    }
    Ok(out)
}

/// Column `idx` of a row.
pub(super) fn value(r: &rusqlite::Row<'_>, idx: usize) -> Result<Value, StoreError> {
    Ok(match r.get_ref(idx)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::I64(n),
        ValueRef::Real(f) => Value::F64(f),
        ValueRef::Text(t) => {
            Value::Text(
                String::from_utf8(t.to_vec()).map_err(|_| StoreError::Column {
                    index: idx,
                    reason: "text is not UTF-8".into(),
                })?,
            )
        }
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    })
}
