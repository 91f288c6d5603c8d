#![allow(clippy::unwrap_used, clippy::disallowed_methods)]
use std::path::Path;

use rusqlite::Connection;

use super::db::{Db, migrate_sqlite};
use super::*;
use crate::config::OrgConfig;
use crate::linking::Domain;

/// Runs `test` on a new, empty store of each backend: SQLite in memory,
/// then a fresh database on the test PostgreSQL server.
pub(crate) fn each_backend(test: impl Fn(Store)) {
    eprintln!("backend: SQLite");
    test(Store::open(Path::new(":memory:")).unwrap());
    eprintln!("backend: PostgreSQL");
    test(postgres_store());
}

/// A store on a fresh database of the test PostgreSQL server.
pub(crate) fn postgres_store() -> Store {
    let url = PgUrl::parse(&super::test_postgres::fresh_database_url()).unwrap();
    Store::open_postgres(&url, &PgOptions::default()).unwrap()
}

fn org(slug: &str, domain: &str, location: &str) -> OrgConfig {
    OrgConfig {
        slug: slug.into(),
        name: slug.to_uppercase(),
        domains: vec![Domain::parse(domain).unwrap()],
        locations: vec![location.into()],
        default_location: None,
        adopt_default: false,
        sync: Default::default(),
        ldap: None,
        scim_any_email_domain: false,
    }
}

fn new_user(email: &str, name: &str) -> NewUser {
    NewUser {
        email: email.into(),
        given_name: String::new(),
        family_name: String::new(),
        display_name: name.into(),
        role: "host".into(),
        source: "manual".into(),
        external_id: None,
    }
}

fn count(c: &Db<'_>, table: &str) -> i64 {
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn migrations_are_valid_and_apply_once() {
    // Not `Migrations::validate`: it runs with the bundled SQLite's default
    // foreign_keys=ON, while `migrate` turns them off for table rebuilds.
    let mut c = Connection::open_in_memory().unwrap();
    migrate_sqlite(&mut c).unwrap();
    migrate_sqlite(&mut c).unwrap();
    let v: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    assert_eq!(usize::try_from(v).unwrap(), files);
}

/// A database made by the first migration set, with a row in every table,
/// moves into one organization without losing a row or a value, keeps
/// working, and is handed to a configured organization by `adopt_default`.
#[test]
fn single_company_data_moves_into_one_organization() {
    let dir = std::env::temp_dir().join(format!("visitor-mig-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("v.sqlite3");
    {
        std::fs::create_dir_all(&dir).unwrap();
        let c = Connection::open(&path).unwrap();
        c.execute_batch(include_str!("../../migrations/0001_init.sql"))
            .unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute_batch(
            "INSERT INTO locations (id, name, created_at) VALUES (1, 'HQ', 't0'), (2, 'Annex', 't0');
             INSERT INTO users (id, email, email_normalized, display_name, role, default_location_id,
               source, external_id, created_at, updated_at)
             VALUES (1, 'Ann@Acme.test', 'ann@acme.test', 'Ann', 'admin', 1, 'jit', NULL, 't1', 't1'),
                    (2, 'bo@acme.test', 'bo@acme.test', 'Bo', 'host', 2, 'manual', 'ext-2', 't1', 't1');
             INSERT INTO user_locations VALUES (1, 1, 'admin'), (1, 2, 'host'), (2, 2, 'host');
             INSERT INTO identities (user_id, idp_entity_id, name_id, name_id_format, created_at,
               last_login_at, last_attributes)
             VALUES (1, 'https://idp.acme.test', 'ann-1', 'persistent', 't1', 't2', '[1]');
             INSERT INTO visits (visitor_name, visitor_email, host_user_id, location_id, expected_on,
               registered_by, created_at) VALUES ('Vic', 'vic@x.test', 2, 2, '2030-01-01', 1, 't3');",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    store
        .unscoped(|c| {
            for (t, n) in [
                ("organizations", 1),
                ("locations", 2),
                ("users", 2),
                ("user_locations", 3),
                ("identities", 1),
                ("visits", 1),
            ] {
                assert_eq!(count(c, t), n, "{t}");
            }
            let fk: i64 =
                c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            assert_eq!(fk, 0);
            Ok(())
        })
        .unwrap();
    let mut acme = org("acme", "acme.test", "HQ");
    acme.adopt_default = true;
    store.sync_orgs(&[acme], chrono::Utc::now()).unwrap();
    let now = chrono::Utc::now();
    store
        .unscoped_in("acme", |s| {
            let ann = s.user_by_email("ann@acme.test")?.unwrap();
            assert_eq!(
                (
                    ann.id,
                    ann.email.as_str(),
                    ann.role.as_str(),
                    ann.default_location.as_deref()
                ),
                (1, "Ann@Acme.test", "admin", Some("HQ"))
            );
            // 0003: the SCIM userName of an existing user is their email.
            assert_eq!(
                (ann.user_name.as_str(), ann.email_type.as_deref()),
                ("Ann@Acme.test", Some("work"))
            );
            let bo = s.user(2)?.unwrap();
            assert_eq!(bo.external_id.as_deref(), Some("ext-2"));
            let roles: Vec<_> = s
                .user_locations(1)?
                .into_iter()
                .map(|r| (r.location, r.role))
                .collect();
            assert_eq!(
                roles,
                [
                    ("Annex".into(), "host".into()),
                    ("HQ".into(), "admin".into())
                ]
            );
            let key = IdentityKey {
                idp_entity_id: "https://idp.acme.test".into(),
                name_id: "ann-1".into(),
                name_id_format: "persistent".into(),
            };
            assert_eq!(s.identity(&key)?.unwrap().last_attributes, "[1]");
            let visits = s.expected_visits(chrono::NaiveDate::from_ymd_opt(2029, 1, 1).unwrap())?;
            assert_eq!(visits.len(), 1);
            assert_eq!(
                (visits[0].host_name.as_str(), visits[0].location.as_deref()),
                ("Bo", Some("Annex"))
            );
            assert_eq!(s.org()?.default_location.as_deref(), Some("HQ"));
            // And it keeps working: a new user gets the org's locations.
            let id = s.insert_user(&new_user("cy@acme.test", "Cy"), now)?;
            assert_eq!(s.user_locations(id)?.len(), 2);
            Ok(())
        })
        .unwrap()
        .unwrap();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every scoped store method, with org A's scope on org B's objects: not
/// found, absent from lists, unchanged.
#[test]
fn scoped_methods_never_reach_another_organization() {
    each_backend(scoped_methods_never_reach_another_organization_in);
}

fn scoped_methods_never_reach_another_organization_in(store: Store) {
    let now = chrono::Utc::now();
    store
        .sync_orgs(
            &[org("a", "a.test", "A HQ"), org("b", "b.test", "B HQ")],
            now,
        )
        .unwrap();
    let key = IdentityKey {
        idp_entity_id: "https://idp.b.test".into(),
        name_id: "b-1".into(),
        name_id_format: "persistent".into(),
    };
    let (b_user, b_loc, b_visit) = store
        .unscoped_in("b", |s| {
            let u = s.insert_user(&new_user("bea@b.test", "Bea"), now)?;
            s.insert_identity(u, &key, "[]", now)?;
            let l = s.locations()?[0].id;
            let v = s
                .insert_visit(
                    &NewVisit {
                        visitor_name: "Vb".into(),
                        visitor_email: "vb@x.test".into(),
                        host_user_id: u,
                        expected_on: now.date_naive(),
                        registered_by: u,
                    },
                    now,
                )?
                .unwrap();
            Ok((u, l, v))
        })
        .unwrap()
        .unwrap();
    store
        .unscoped_in("a", |s| {
            let a_user = s.insert_user(&new_user("al@a.test", "Al"), now)?;
            // reads
            assert_eq!(s.user(b_user)?, None);
            assert_eq!(s.user_by_email("bea@b.test")?, None);
            assert!(s.users()?.iter().all(|u| u.id != b_user));
            assert_eq!(s.identity(&key)?, None);
            assert!(s.identities_of(b_user)?.is_empty());
            assert!(s.user_locations(b_user)?.is_empty());
            assert_eq!(s.location(b_loc)?, None);
            assert!(s.locations()?.iter().all(|l| l.id != b_loc));
            assert_eq!(s.visit(b_visit)?, None);
            assert!(s.expected_visits(now.date_naive())?.is_empty());
            assert!(s.hosts("", 100)?.iter().all(|h| h.id != b_user));
            assert_eq!(s.org()?.domains, ["a.test"]);
            // writes
            assert!(!s.set_active(b_user, false, now)?);
            assert!(!s.set_default_location(b_user, b_loc)?);
            assert!(!s.set_default_location(a_user, b_loc)?);
            assert!(!s.set_location_role(b_user, b_loc, "admin")?);
            assert!(!s.set_location_role(a_user, b_loc, "admin")?);
            assert!(!s.cancel_visit(b_visit, now)?);
            let foreign_host = NewVisit {
                visitor_name: "V".into(),
                visitor_email: "v@x.test".into(),
                host_user_id: b_user,
                expected_on: now.date_naive(),
                registered_by: a_user,
            };
            assert_eq!(s.insert_visit(&foreign_host, now)?, None);
            s.update_names(b_user, "X", "X", "X", now)?;
            s.set_email(b_user, "x@a.test", "x@a.test")?;
            s.set_role(b_user, "admin")?;
            s.set_last_login(b_user, now)?;
            s.touch_identity(&key, "[\"x\"]", now)?;
            Ok(a_user)
        })
        .unwrap()
        .unwrap();
    // The database refuses an identity for another org's user (the whole
    // transaction fails; on PostgreSQL nothing after it would run).
    assert!(
        store
            .unscoped_in("a", |s| s.insert_identity(b_user, &key, "[]", now))
            .is_err()
    );
    store
        .unscoped_in("b", |s| {
            let bea = s.user(b_user)?.unwrap();
            assert_eq!(
                (
                    bea.display_name.as_str(),
                    bea.email.as_str(),
                    bea.role.as_str(),
                    bea.active
                ),
                ("Bea", "bea@b.test", "host", true)
            );
            assert_eq!(bea.last_login_at, None);
            assert_eq!(s.identity(&key)?.unwrap().last_attributes, "[]");
            assert_eq!(s.visit(b_visit)?.unwrap().cancelled_at, None);
            assert_eq!(s.user_locations(b_user)?.len(), 1);
            Ok(())
        })
        .unwrap()
        .unwrap();
}

#[test]
fn a_domain_has_one_organization_in_the_database_too() {
    each_backend(|store| {
        let err = store
            .sync_orgs(
                &[org("a", "x.test", "A"), org("b", "x.test", "B")],
                chrono::Utc::now(),
            )
            .unwrap_err();
        let unique = match store.backend() {
            Backend::Sqlite => "UNIQUE constraint failed: org_domains.domain",
            Backend::Postgres => "unique constraint \"org_domains_pkey\"",
        };
        assert!(err.to_string().contains(unique), "{err}");
    });
}

#[test]
fn email_unique_case_insensitively_within_an_organization() {
    each_backend(email_unique_case_insensitively_within_an_organization_in);
}

fn email_unique_case_insensitively_within_an_organization_in(store: Store) {
    let now = chrono::Utc::now();
    store
        .sync_orgs(&[org("a", "a.test", "A"), org("b", "b.test", "B")], now)
        .unwrap();
    store
        .unscoped_in("a", |s| {
            s.insert_user(&new_user("Ann@Example.test", "Ann"), now)
        })
        .unwrap()
        .unwrap();
    assert!(
        store
            .unscoped_in("a", |s| s
                .insert_user(&new_user("ann@example.TEST", "Ann"), now))
            .is_err()
    );
    // Another organization's people are not this one's.
    assert!(
        store
            .unscoped_in("b", |s| s
                .insert_user(&new_user("ann@example.test", "Ann"), now))
            .is_ok()
    );
}

#[test]
fn like_wildcards_are_literal() {
    each_backend(like_wildcards_are_literal_in);
}

fn like_wildcards_are_literal_in(store: Store) {
    let now = chrono::Utc::now();
    store.sync_orgs(&[org("a", "a.test", "A")], now).unwrap();
    let names = store
        .unscoped_in("a", |s| {
            for name in ["100% Ann", "Bob_x", "Carl"] {
                s.insert_user(&new_user(&format!("{}@a.test", name.len()), name), now)?;
            }
            let names = |q: &str| -> Result<Vec<String>, StoreError> {
                Ok(s.hosts(q, 10)?
                    .into_iter()
                    .map(|h| h.display_name)
                    .collect())
            };
            Ok((names("%")?, names("_")?, names("carl")?, names("")?.len()))
        })
        .unwrap()
        .unwrap();
    assert_eq!(
        names,
        (
            vec!["100% Ann".to_owned()],
            vec!["Bob_x".to_owned()],
            vec!["Carl".to_owned()],
            3
        )
    );
}

/// One sync per organization at a time: a second holder waits until the
/// first gives the lease back or it expires; only its holder releases it;
/// organizations do not share one.
#[test]
fn the_sync_lease_admits_one_holder_per_organization() {
    each_backend(the_sync_lease_admits_one_holder_per_organization_in);
}

fn the_sync_lease_admits_one_holder_per_organization_in(store: Store) {
    store
        .sync_orgs(
            &[
                org("acme", "acme.test", "HQ"),
                org("globex", "globex.test", "Campus"),
            ],
            Utc::now(),
        )
        .unwrap();
    let lease = |slug: &str, holder: &str, now: i64| {
        store
            .unscoped_in(slug, |s| s.take_sync_lease(holder, now, now + 100))
            .unwrap()
            .unwrap()
    };
    assert!(lease("acme", "a", 1000));
    assert!(!lease("acme", "b", 1050), "held by a");
    assert!(lease("globex", "b", 1050), "another organization's is free");
    store
        .unscoped_in("acme", |s| s.release_sync_lease("b"))
        .unwrap();
    assert!(!lease("acme", "b", 1060), "only its holder releases it");
    assert!(lease("acme", "b", 1100), "expired at 1100");
    store
        .unscoped_in("acme", |s| s.release_sync_lease("b"))
        .unwrap();
    assert!(lease("acme", "c", 1101));
}

/// The outbox claim: a message claimed by one worker is not due for
/// another until its lease ends; the oldest goes first; delivered or
/// given-up messages are never claimed again.
#[test]
fn an_outbox_message_is_claimed_by_one_worker_until_its_lease_ends() {
    each_backend(an_outbox_message_is_claimed_by_one_worker_until_its_lease_ends_in);
}

fn an_outbox_message_is_claimed_by_one_worker_until_its_lease_ends_in(store: Store) {
    let t0 = DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let at = |s: i64| t0 + chrono::TimeDelta::seconds(s);
    let ids = queue_messages(&store, 2, t0);
    actix_web::rt::System::new().block_on(async {
        let first = store.claim_due(at(0), at(120)).await.unwrap().unwrap();
        let second = store.claim_due(at(0), at(120)).await.unwrap().unwrap();
        assert_eq!((first.id, second.id), (ids[0], ids[1]), "oldest first");
        assert!(
            store.claim_due(at(60), at(180)).await.unwrap().is_none(),
            "both are leased until 120"
        );
        // The first worker died without a word: its message is due again.
        let again = store.claim_due(at(120), at(240)).await.unwrap().unwrap();
        assert_eq!(again.id, ids[0]);
        store.delivered(ids[0], at(121)).await.unwrap();
        store
            .attempt_failed(ids[1], None, "550 gone".into())
            .await
            .unwrap();
        assert!(
            store
                .claim_due(at(10_000), at(10_120))
                .await
                .unwrap()
                .is_none(),
            "sent and given-up messages are never claimed"
        );
    });
}

/// Several workers claiming at once (threads of one process on the same
/// pool, as instances on one database) never get the same message.
#[test]
fn concurrent_outbox_claims_never_share_a_message() {
    each_backend(concurrent_outbox_claims_never_share_a_message_in);
}

fn concurrent_outbox_claims_never_share_a_message_in(store: Store) {
    let now = Utc::now();
    let mut queued = queue_messages(&store, 40, now);
    let claimed = actix_web::rt::System::new().block_on(async {
        let workers = (0..4).map(|_| {
            let store = store.clone();
            actix_web::rt::spawn(async move {
                let mut mine = Vec::new();
                // `None` also when another worker won the race for the
                // same message: stop there, whatever is left is drained
                // below, one claim at a time.
                while let Some(m) = store
                    .claim_due(now, now + chrono::TimeDelta::minutes(2))
                    .await
                    .unwrap()
                {
                    mine.push(m.id);
                }
                mine
            })
        });
        let mut all = Vec::new();
        for w in workers.collect::<Vec<_>>() {
            all.extend(w.await.unwrap());
        }
        while let Some(m) = store
            .claim_due(now, now + chrono::TimeDelta::minutes(2))
            .await
            .unwrap()
        {
            all.push(m.id);
        }
        all
    });
    let mut claimed = claimed;
    claimed.sort_unstable();
    queued.sort_unstable();
    assert_eq!(claimed, queued, "each message claimed exactly once");
}

/// Queues `n` messages for one user of a new organization, all due at
/// `start`, one second apart; their IDs in queueing order.
fn queue_messages(store: &Store, n: i64, start: DateTime<Utc>) -> Vec<i64> {
    store
        .sync_orgs(&[org("acme", "acme.test", "HQ")], start)
        .unwrap();
    store
        .unscoped_in("acme", |s| {
            let user = s.insert_user(&new_user("bob@acme.test", "Bob"), start)?;
            (0..n)
                .map(|i| {
                    s.queue(
                        &Outgoing {
                            kind: OutboxKind::Invite,
                            user_id: user,
                            visit_id: None,
                            recipient: "bob@acme.test".into(),
                            subject: format!("message {i}"),
                            text: String::new(),
                            html: String::new(),
                            not_before: start + chrono::TimeDelta::seconds(i - n),
                        },
                        start,
                    )
                })
                .collect()
        })
        .unwrap()
        .unwrap()
}
