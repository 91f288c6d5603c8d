//! Directory sync at scale, timed step by step (wall clock, median of
//! `RUNS` runs, each on a fresh database where it writes):
//! - plan, first run: 50,000 directory records against an empty
//!   organization (all creates), then the apply of that plan (one
//!   transaction: users and their location rows);
//! - plan, steady state: the same 50,000 against the 50,000 stored (all
//!   unchanged: the daily run of a quiet directory), a dry run;
//! - plan and apply of a day with changes: 1 % renamed, 1 % moved, 1 %
//!   disabled, 1 % gone, 1 % new;
//! - a spreadsheet preview: a 10,000-row CSV read and planned.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use samlsp_visitor::config::OrgConfig;
use samlsp_visitor::directory::{
    Action, OrgView, Plan, Policy, Record, Role, SourceKind, plan, read_sheet,
};
use samlsp_visitor::linking::Domain;
use samlsp_visitor::store::{Store, SyncSnapshot};

const PEOPLE: usize = 50_000;
const SHEET_ROWS: usize = 10_000;
const RUNS: usize = 5;
const SITES: [&str; 4] = ["HQ", "Lab", "Plant", "Depot"];

fn org() -> OrgConfig {
    OrgConfig {
        slug: "acme".into(),
        name: "Acme".into(),
        domains: vec![Domain::parse("acme.test").unwrap()],
        locations: SITES.iter().map(|s| (*s).to_owned()).collect(),
        default_location: None,
        adopt_default: false,
        sync: Default::default(),
        ldap: None,
        scim_any_email_domain: false,
    }
}

fn record(i: usize) -> Record {
    Record {
        origin: format!("uid=p{i},ou=People,dc=acme,dc=test"),
        external_id: Some(format!("0000{i:08}-0000-4000-8000-000000000000")),
        email: format!("person{i}@acme.test"),
        given_name: format!("Given{i}"),
        family_name: format!("Family{}", i % 997),
        display_name: format!("Given{i} Family{}", i % 997),
        location: Some(SITES[i % SITES.len()].to_owned()),
        role: Some(if i % 100 == 0 { Role::Admin } else { Role::Host }),
        enabled: true,
        action: Action::Upsert,
    }
}

fn directory() -> Vec<Record> {
    (0..PEOPLE).map(record).collect()
}

/// The next day: 1 % renamed (new mail), 1 % moved, 1 % disabled, 1 % gone, 1 % new.
fn next_day() -> Vec<Record> {
    let mut out = Vec::with_capacity(PEOPLE + PEOPLE / 100);
    for i in 0..PEOPLE {
        let mut r = record(i);
        match i % 100 {
            1 => r.email = format!("person{i}.renamed@acme.test"),
            2 => r.location = Some(SITES[(i + 1) % SITES.len()].to_owned()),
            3 => r.enabled = false,
            4 => continue,
            _ => {}
        }
        out.push(r);
    }
    out.extend((PEOPLE..PEOPLE + PEOPLE / 100).map(record));
    out
}

struct Db {
    store: Store,
    path: PathBuf,
}

impl Drop for Db {
    fn drop(&mut self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.path.display()));
        }
    }
}

fn fresh_db(n: usize) -> Db {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-db");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("sync-{}-{n}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&path).unwrap();
    store.sync_orgs(&[org()], Utc::now()).unwrap();
    Db { store, path }
}

#[allow(clippy::disallowed_methods)]
fn snapshot(store: &Store) -> SyncSnapshot {
    store
        .unscoped_in("acme", |s| s.sync_snapshot())
        .unwrap()
        .unwrap()
}

fn plan_for(records: Vec<Record>, snap: &SyncSnapshot, policy: Policy) -> Plan {
    plan(
        records,
        &OrgView {
            domains: &snap.domains,
            locations: &snap.locations,
            users: &snap.users,
        },
        &policy,
    )
}

#[allow(clippy::disallowed_methods)]
fn apply(store: &Store, p: &Plan, source: SourceKind) {
    store
        .unscoped_in("acme", |s| s.apply_plan(p, source, Utc::now()))
        .unwrap()
        .unwrap();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn report(what: &str, runs: Vec<Duration>) {
    let (min, max) = (*runs.iter().min().unwrap(), *runs.iter().max().unwrap());
    println!(
        "{what:<58} median {:>9.1} ms  (min {:.1}, max {:.1}, {} runs)",
        median(runs.clone()).as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        runs.len()
    );
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn main() {
    // `cargo bench` passes --bench; nothing to parse.
    let (mut plan_new, mut apply_new, mut snap_t, mut plan_same, mut plan_day, mut apply_day) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for n in 0..RUNS {
        let db = fresh_db(n);
        let empty = snapshot(&db.store);
        let (p, t) = time(|| plan_for(directory(), &empty, Policy::directory()));
        assert_eq!(p.creates.len(), PEOPLE);
        plan_new.push(t);
        let ((), t) = time(|| apply(&db.store, &p, SourceKind::Ldap));
        apply_new.push(t);

        let (snap, t) = time(|| snapshot(&db.store));
        assert_eq!(snap.users.len(), PEOPLE);
        snap_t.push(t);
        let (p, t) = time(|| plan_for(directory(), &snap, Policy::directory()));
        assert!(p.is_empty() && p.unchanged == PEOPLE);
        plan_same.push(t);

        let (p, t) = time(|| {
            let snap = snapshot(&db.store);
            plan_for(next_day(), &snap, Policy::directory())
        });
        assert_eq!(p.creates.len(), PEOPLE / 100);
        assert_eq!(p.deactivations.len(), 2 * PEOPLE / 100);
        assert_eq!(p.updates.len(), 2 * PEOPLE / 100);
        plan_day.push(t);
        let ((), t) = time(|| apply(&db.store, &p, SourceKind::Ldap));
        apply_day.push(t);
    }
    println!("directory sync, {PEOPLE} people, 4 locations; wall time per step");
    report("plan, first run (50,000 creates)", plan_new);
    report("apply, first run (one transaction)", apply_new);
    report("read the organization (50,000 users)", snap_t);
    report("plan, nothing changed (dry run)", plan_same);
    report("read + plan, a day with 5 % changes (dry run)", plan_day);
    report("apply, a day with 5 % changes", apply_day);

    // A spreadsheet preview: read a 10,000-row CSV (half the rows rename
    // someone) and plan it against 50,000 people kept by uploads.
    let db = fresh_db(99);
    let p = plan_for(directory(), &snapshot(&db.store), Policy::spreadsheet());
    apply(&db.store, &p, SourceKind::Upload);
    let mut csv = String::from("\u{feff}email,first name,last name,display name,location,role,action\r\n");
    for i in 0..SHEET_ROWS {
        let r = record(i * 3);
        csv.push_str(&format!(
            "{},{}{},{},,{},host,\r\n",
            r.email,
            r.given_name,
            if i % 2 == 0 { "-renamed" } else { "" },
            r.family_name,
            r.location.unwrap_or_default()
        ));
    }
    let mut preview = vec![];
    for _ in 0..RUNS {
        let (p, t) = time(|| {
            let sheet = read_sheet(csv.as_bytes()).unwrap();
            let snap = snapshot(&db.store);
            plan_for(sheet.records, &snap, Policy::spreadsheet())
        });
        assert_eq!(p.updates.len(), SHEET_ROWS / 2);
        assert!(p.errors.is_empty());
        preview.push(t);
    }
    report("spreadsheet preview: read 10,000-row CSV + plan", preview);
}
