#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    clippy::field_reassign_with_default
)]
//! The layer itself on both databases: the schemas cannot drift, values
//! bind and read back the same, what does not fit is refused, a stopped
//! PostgreSQL is `Unavailable` and the store recovers when it is back, and
//! one organization's transactions wait for each other, not for others'.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::postgres::MIGRATIONS;
use super::{Backend, Db, Lock};
use crate::store::test_postgres::{TestPostgres, fresh_database_url};
use crate::store::tests::postgres_store;
use crate::store::{PgOptions, PgUrl, Store, StoreError};

/// What the schema test compares of one table.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    /// (column, NOT NULL); a primary key column counts as NOT NULL.
    columns: BTreeSet<(String, bool)>,
    /// (columns, referenced table, referenced columns).
    foreign_keys: BTreeSet<(String, String, String)>,
    /// Column lists of the primary key and UNIQUE constraints.
    unique: BTreeSet<String>,
    /// Indexes made by CREATE INDEX: (name, unique).
    indexes: BTreeSet<(String, bool)>,
    triggers: BTreeSet<String>,
}

fn strings(c: &Db<'_>, sql: &str, table: &str) -> Vec<String> {
    c.query_map(sql, [table], |r| r.get(0)).unwrap()
}

fn sqlite_schema(c: &Db<'_>) -> BTreeMap<String, Shape> {
    let tables = strings(
        c,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> ?1",
        "",
    );
    let mut out = BTreeMap::new();
    for t in tables {
        let mut s = Shape::default();
        s.columns = c
            .query_map(
                "SELECT name, \"notnull\" OR pk > 0 FROM pragma_table_info(?1)",
                [&t],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
            .into_iter()
            .collect();
        s.foreign_keys = c
            .query_map(
                "SELECT group_concat(\"from\", ','), \"table\", group_concat(\"to\", ',') \
                 FROM (SELECT * FROM pragma_foreign_key_list(?1) ORDER BY id, seq) GROUP BY id",
                [&t],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
            .into_iter()
            .collect();
        let indexes: Vec<(String, bool, String)> = c
            .query_map(
                "SELECT name, \"unique\", origin FROM pragma_index_list(?1)",
                [&t],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        for (name, unique, origin) in indexes {
            if origin == "c" {
                s.indexes.insert((name, unique));
            } else {
                s.unique.insert(
                    strings(
                        c,
                        "SELECT group_concat(name, ',') FROM \
                         (SELECT name FROM pragma_index_info(?1) ORDER BY seqno)",
                        &name,
                    )
                    .concat(),
                );
            }
        }
        // INTEGER PRIMARY KEY is the rowid: no index of its own.
        let pk = strings(
            c,
            "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk",
            &t,
        );
        s.unique.insert(pk.join(","));
        s.triggers = strings(
            c,
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
            &t,
        )
        .into_iter()
        .collect();
        out.insert(t, s);
    }
    out
}

fn postgres_schema(c: &Db<'_>) -> BTreeMap<String, Shape> {
    let tables = strings(
        c,
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name::text <> ?1",
        "schema_version",
    );
    let cols = |array: &str, rel: &str| {
        format!(
            "(SELECT string_agg(a.attname::text, ',' ORDER BY k.n) \
             FROM unnest(c.{array}) WITH ORDINALITY AS k(num, n) \
             JOIN pg_attribute a ON a.attrelid = c.{rel} AND a.attnum = k.num)"
        )
    };
    let mut out = BTreeMap::new();
    for t in tables {
        let mut s = Shape::default();
        s.columns = c
            .query_map(
                "SELECT column_name::text, is_nullable::text = 'NO' FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name::text = ?1",
                [&t],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
            .into_iter()
            .collect();
        s.foreign_keys = c
            .query_map(
                &format!(
                    "SELECT {}, c.confrelid::regclass::text, {} FROM pg_constraint c \
                     WHERE c.contype = 'f' AND c.conrelid = ?1::text::regclass",
                    cols("conkey", "conrelid"),
                    cols("confkey", "confrelid")
                ),
                [&t],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
            .into_iter()
            .collect();
        s.unique = strings(
            c,
            &format!(
                "SELECT {} FROM pg_constraint c WHERE c.contype IN ('p', 'u') \
                 AND c.conrelid = ?1::text::regclass",
                cols("conkey", "conrelid")
            ),
            &t,
        )
        .into_iter()
        .collect();
        s.indexes = c
            .query_map(
                "SELECT i.relname::text, x.indisunique FROM pg_index x \
                 JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = ?1::text::regclass \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid \
                 AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u'))",
                [&t],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
            .into_iter()
            .collect();
        s.triggers = strings(
            c,
            "SELECT tgname::text FROM pg_trigger WHERE tgrelid = ?1::text::regclass AND NOT tgisinternal",
            &t,
        )
        .into_iter()
        .collect();
        out.insert(t, s);
    }
    out
}

/// The PostgreSQL baseline and the SQLite migrations make the same tables,
/// columns (and nullability), keys, unique constraints, indexes and
/// triggers: a migration added to one side only fails here.
#[test]
fn both_backends_have_the_same_schema() {
    let sqlite = Store::open(Path::new(":memory:")).unwrap();
    let postgres = postgres_store();
    let a = sqlite.unscoped(|c| Ok(sqlite_schema(c))).unwrap();
    let b = postgres.unscoped(|c| Ok(postgres_schema(c))).unwrap();
    assert!(a.len() >= 16, "{:?}", a.keys());
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "tables"
    );
    for (table, shape) in &a {
        assert_eq!(Some(shape), b.get(table), "table {table}");
    }
    // The introspection reads what it compares.
    let users = &a["users"];
    assert_eq!(users.columns.len(), 20);
    assert!(users.columns.contains(&("email_normalized".into(), true)));
    assert!(users.columns.contains(&("external_id".into(), false)));
    assert!(users.foreign_keys.contains(&(
        "org_id,default_location_id".into(),
        "locations".into(),
        "org_id,id".into()
    )));
    assert!(users.unique.contains("org_id,email_normalized"));
    assert!(users.indexes.contains(&("users_org".into(), false)));
    assert!(users.triggers.contains("users_default_user_name"));
    assert!(
        a["visits"]
            .indexes
            .contains(&("visits_org_id".into(), true))
    );
}

/// PostgreSQL's migrations run once (a second start finds nothing to do),
/// are recorded in schema_version, and each has a SQLite twin of the same
/// number.
#[test]
fn postgres_migrations_apply_once_and_pair_with_sqlite() {
    let url = PgUrl::parse(&fresh_database_url()).unwrap();
    let first = Store::open_postgres(&url, &PgOptions::default()).unwrap();
    let again = Store::open_postgres(&url, &PgOptions::default()).unwrap();
    let versions: Vec<i64> = again
        .unscoped(|c| {
            c.query_map("SELECT version FROM schema_version ORDER BY 1", [], |r| {
                r.get(0)
            })
        })
        .unwrap();
    assert_eq!(versions, MIGRATIONS.iter().map(|m| m.0).collect::<Vec<_>>());
    let orgs: i64 = first
        .unscoped(|c| c.query_row("SELECT count(*) FROM organizations", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(orgs, 1, "the default organization, once");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let numbers = |d: &str| -> BTreeSet<String> {
        std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.ends_with(".sql").then(|| name[..4].to_owned())
            })
            .collect()
    };
    let sqlite = numbers(dir);
    let postgres = numbers(&format!("{dir}/postgres"));
    assert_eq!(postgres.len(), MIGRATIONS.len());
    assert_eq!(
        postgres.first().map(String::as_str),
        Some("0007"),
        "the baseline"
    );
    assert!(postgres.is_subset(&sqlite), "{postgres:?} {sqlite:?}");
    let after_baseline: BTreeSet<_> = sqlite
        .into_iter()
        .filter(|n| n.as_str() >= "0007")
        .collect();
    assert_eq!(
        postgres, after_baseline,
        "every later migration comes in a pair"
    );
}

fn each(test: impl Fn(Store)) {
    test(Store::open(Path::new(":memory:")).unwrap());
    test(postgres_store());
}

/// Integers bind to SMALLINT and BIGINT columns, text, bytes and NULL
/// round-trip, a comparison reads as a bool on both.
#[test]
fn values_bind_and_read_back_the_same() {
    each(|store| {
        let got = store
            .unscoped(|c| {
                // (BYTEA is a type name SQLite takes too: bytes stay bytes.)
                c.execute_batch(
                    "CREATE TABLE t (i BIGINT NOT NULL, s SMALLINT, x TEXT, b BYTEA, n TEXT)",
                )?;
                c.execute(
                    "INSERT INTO t (i, s, x, b, n) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![i64::MAX, 1u32, "it's ?1", [0u8, 159, 255], None::<String>],
                )?;
                c.query_row(
                    "SELECT i, s, x, b, n, i = ?1, s = 0 FROM t WHERE x = ?2",
                    params![i64::MAX, "it's ?1"],
                    |r| {
                        Ok((
                            r.get::<i64>(0)?,
                            r.get::<bool>(1)?,
                            r.get::<String>(2)?,
                            r.get::<Vec<u8>>(3)?,
                            r.get::<Option<String>>(4)?,
                            r.get::<bool>(5)?,
                            r.get::<bool>(6)?,
                        ))
                    },
                )
            })
            .unwrap();
        assert_eq!(
            got,
            (
                i64::MAX,
                true,
                "it's ?1".into(),
                vec![0, 159, 255],
                None,
                true,
                false
            ),
            "{:?}",
            store.backend()
        );
    });
}

/// What does not fit is refused, never truncated or guessed: a column read
/// as the wrong type, NULL as a non-Option, a missing row, and on
/// PostgreSQL an integer out of a SMALLINT's range or text for an integer.
#[test]
fn what_does_not_fit_is_refused() {
    each(|store| {
        store
            .unscoped(|c| {
                c.execute_batch("CREATE TABLE t (s SMALLINT, x TEXT)")?;
                c.execute("INSERT INTO t (s, x) VALUES (?1, ?2)", params![2, "a"])?;
                let wrong = c.query_row("SELECT x FROM t", [], |r| r.get::<i64>(0));
                assert!(
                    matches!(wrong, Err(StoreError::Column { index: 0, .. })),
                    "{wrong:?}"
                );
                let flag = c.query_row("SELECT s FROM t", [], |r| r.get::<bool>(0));
                assert!(
                    matches!(flag, Err(StoreError::Column { .. })),
                    "2 is no bool: {flag:?}"
                );
                let null = c.query_row("SELECT NULL", [], |r| r.get::<String>(0));
                assert!(matches!(null, Err(StoreError::Column { .. })), "{null:?}");
                let none = c.query_row("SELECT x FROM t WHERE s = 9", [], |r| r.get::<String>(0));
                assert!(matches!(none, Err(StoreError::NoRow)), "{none:?}");
                if c.backend() == Backend::Postgres {
                    let big = c.execute("INSERT INTO t (s) VALUES (?1)", [70_000]);
                    assert!(matches!(big, Err(StoreError::Postgres(_))), "{big:?}");
                    let text = c.execute("INSERT INTO t (s) VALUES (?1)", ["1"]);
                    assert!(matches!(text, Err(StoreError::Postgres(_))), "{text:?}");
                }
                Ok(())
            })
            .unwrap();
    });
}

/// On PostgreSQL a statement that fails aborts the transaction; code that
/// goes on anyway gets the whole transaction refused (`Aborted`), never a
/// COMMIT that quietly rolled back.
#[test]
fn a_failed_statement_fails_its_postgres_transaction() {
    let store = postgres_store();
    store
        .unscoped(|c| c.execute_batch("CREATE TABLE t (k BIGINT PRIMARY KEY)"))
        .unwrap();
    let out = store.db.transaction(None, |c| {
        c.execute("INSERT INTO t (k) VALUES (1)", [])?;
        let dup = c.execute("INSERT INTO t (k) VALUES (1)", []);
        assert!(dup.is_err());
        Ok(())
    });
    assert!(matches!(out, Err(StoreError::Aborted(_))), "{out:?}");
    let n: i64 = store
        .unscoped(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(n, 0, "nothing of it was written");
}

/// PostgreSQL stopped: calls fail with `Unavailable` within the connect
/// timeout (no password in the message); started again: the same store
/// works, no restart.
#[test]
fn a_stopped_postgres_is_unavailable_then_the_store_recovers() {
    let server = TestPostgres::start("restart");
    let url = PgUrl::parse(
        &server
            .url("postgres")
            .replace("postgres@", "postgres:s3cret@"),
    )
    .unwrap();
    let options = PgOptions {
        connect_timeout: Duration::from_secs(2),
        ..PgOptions::default()
    };
    let store = Store::open_postgres(&url, &options).unwrap();
    let count = |s: &Store| {
        s.unscoped(|c| {
            c.query_row("SELECT count(*) FROM organizations", [], |r| {
                r.get::<i64>(0)
            })
        })
    };
    assert_eq!(count(&store).unwrap(), 1);
    server.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let err = count(&store).unwrap_err();
        assert!(err.is_unavailable(), "{err:?}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "bounded by the connect timeout: {:?}",
            started.elapsed()
        );
    }
    // A transaction too (the scoped path), and a new store cannot open.
    let tx = store.db.transaction(Some(Lock::Org(1)), |_| Ok(()));
    assert!(tx.as_ref().is_err_and(StoreError::is_unavailable), "{tx:?}");
    let opened = Store::open_postgres(&url, &options);
    assert!(
        opened.as_ref().is_err_and(StoreError::is_unavailable),
        "{opened:?}"
    );
    server.start_again();
    assert_eq!(count(&store).unwrap(), 1);
    assert!(store.db.transaction(Some(Lock::Org(1)), |_| Ok(())).is_ok());
}

/// Two transactions of one organization run one after the other (the
/// second waits for the first's advisory lock); another organization's
/// runs meanwhile.
#[test]
fn one_organization_has_one_writer_at_a_time() {
    let store = postgres_store();
    let (inside_tx, inside) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let holder = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.db.transaction(Some(Lock::Org(7)), |_| {
                inside_tx.send(()).unwrap();
                release.recv_timeout(Duration::from_secs(60)).unwrap();
                Ok(())
            })
        })
    };
    inside.recv_timeout(Duration::from_secs(30)).unwrap();
    // Another organization does not wait.
    store
        .db
        .transaction(Some(Lock::Org(8)), |_| Ok(()))
        .unwrap();
    let (done_tx, done) = mpsc::channel();
    let waiter = {
        let store = store.clone();
        std::thread::spawn(move || {
            let out = store.db.transaction(Some(Lock::Org(7)), |_| Ok(()));
            done_tx.send(()).unwrap();
            out
        })
    };
    // The second waits on the lock (seen in pg_locks), and is not done.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = store
            .unscoped(|c| {
                c.query_row(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                     AND database = (SELECT oid FROM pg_database \
                     WHERE datname = current_database())",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        if waiting == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second transaction never waited"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(done.try_recv().is_err());
    release_tx.send(()).unwrap();
    holder.join().unwrap().unwrap();
    waiter.join().unwrap().unwrap();
    done.recv_timeout(Duration::from_secs(30)).unwrap();
}

#[test]
fn urls_are_checked_and_never_shown() {
    let url = PgUrl::parse("postgres://app:s3cret@db.internal:5432/visitor").unwrap();
    assert!(!format!("{url:?}").contains("s3cret"));
    for bad in [
        "http://x",
        "s3cret",
        "",
        "postgres://app:s3cret@db:notaport/x",
    ] {
        let e = PgUrl::parse(bad).unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
        assert!(e.starts_with("database_url: "), "{bad:?}: {e}");
    }
}
