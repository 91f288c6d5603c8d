//! Directory sync against a real OpenLDAP (Debian slapd), started by
//! `scripts/ldap/start.sh` with fresh data (200 people of acme.test in two
//! OUs, StartTLS and ldaps on a generated certificate, paging required:
//! the sync account may read at most 50 entries without it). The steps
//! build on each other, so they are one test:
//! first sync; a changed mail, a moved person, a disabled account, a
//! deleted and a new entry reconciled by the next run; ldaps; an empty
//! result refused by the guard rail; a wrong bind password, and a server
//! certificate not trusted, failing and changing nothing; the scheduler's
//! first run.
//!
//! Ports: `SAMLSP_LDAP_PORT` (3389) and `SAMLSP_LDAPS_PORT` (6636).
//! A directory that cannot start fails the test: nothing is skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use ldap3::{LdapConnAsync, LdapConnSettings, Mod};
use samlsp_visitor::config::OrgConfig;
use samlsp_visitor::directory::{Field, RunOptions, Runner};
use samlsp_visitor::store::{Outcome, Store, Trigger, User};

const BASE: &str = "dc=acme,dc=test";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn env_port(var: &str, default: u16) -> u16 {
    std::env::var(var)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default)
}

/// The directory, stopped when the test ends (pass or fail).
struct Slapd {
    dir: PathBuf,
    port: u16,
    sport: u16,
}

impl Slapd {
    fn start() -> Slapd {
        let port = env_port("SAMLSP_LDAP_PORT", 3389);
        let sport = env_port("SAMLSP_LDAPS_PORT", 6636);
        let dir = repo().join(format!("target/ldap-test-{port}"));
        let out = Command::new(repo().join("scripts/ldap/start.sh"))
            .env("SAMLSP_LDAP_PORT", port.to_string())
            .env("SAMLSP_LDAPS_PORT", sport.to_string())
            .env("SAMLSP_LDAP_DIR", &dir)
            .output()
            .expect("scripts/ldap/start.sh runs");
        assert!(
            out.status.success(),
            "scripts/ldap/start.sh failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Slapd { dir, port, sport }
    }

    fn org(&self, url: &str, password_file: &Path, filter: &str) -> OrgConfig {
        let toml = format!(
            r#"
slug = "acme"
name = "Acme Corp"
domains = ["acme.test"]
locations = ["Acme HQ, Springfield"]

[ldap]
url = "{url}"
ca_file = "{ca}"
bind_dn = "cn=visitor-sync,ou=Services,{BASE}"
password_file = "{pw}"
base_dn = "ou=People,{BASE}"
filter = "{filter}"
admin_group = "cn=visitor-admins,ou=Groups,{BASE}"
page_size = 40
timeout_seconds = 10
[ldap.attributes]
location = "l"
"#,
            ca = self.dir.join("ca.crt").display(),
            pw = password_file.display(),
        );
        toml::from_str(&toml).expect("org config")
    }

    fn starttls(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/ldap/stop.sh"))
            .env("SAMLSP_LDAP_PORT", self.port.to_string())
            .env("SAMLSP_LDAP_DIR", &self.dir)
            .output();
    }
}

fn users(store: &Store) -> Vec<User> {
    store.unscoped_in("acme", |s| s.users()).unwrap().unwrap()
}

fn by_email<'a>(users: &'a [User], email: &str) -> &'a User {
    users
        .iter()
        .find(|u| u.email == email)
        .unwrap_or_else(|| panic!("{email} not found"))
}

fn set<'a>(v: &[&'a str]) -> HashSet<&'a str> {
    v.iter().copied().collect()
}

/// Changes the directory as its administrator would.
async fn change_directory(d: &Slapd) {
    let pem = std::fs::read(d.dir.join("ca.crt")).unwrap();
    let tls = native_tls::TlsConnector::builder()
        .add_root_certificate(native_tls::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let settings = LdapConnSettings::new()
        .set_connector(tls)
        .set_starttls(true);
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &d.starttls())
        .await
        .unwrap();
    ldap3::drive!(conn);
    let pw = std::fs::read_to_string(d.dir.join("admin.password")).unwrap();
    ldap.simple_bind(&format!("cn=admin,{BASE}"), pw.trim())
        .await
        .unwrap()
        .success()
        .unwrap();
    let dn = |uid: &str, ou: &str| format!("uid={uid},ou={ou},ou=People,{BASE}");
    let replace = |attr: &'static str, v: &'static str| vec![Mod::Replace(attr, set(&[v]))];
    ldap.modify(
        &dn("person002", "Engineering"),
        replace("mail", "person002.renamed@acme.test"),
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.modify(
        &dn("person003", "Engineering"),
        replace("l", "Acme Lab, Shelbyville"),
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.modify(
        &dn("person004", "Engineering"),
        replace("userAccountControl", "514"),
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.delete(&dn("person005", "Engineering"))
        .await
        .unwrap()
        .success()
        .unwrap();
    ldap.add(
        &dn("person201", "Sales"),
        vec![
            ("objectClass", set(&["inetOrgPerson", "adAccountLite"])),
            ("uid", set(&["person201"])),
            ("cn", set(&["Nia New"])),
            ("givenName", set(&["Nia"])),
            ("sn", set(&["New"])),
            ("mail", set(&["person201@acme.test"])),
            ("l", set(&["Acme Lab, Shelbyville"])),
            ("userAccountControl", set(&["512"])),
        ],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let _ = ldap.unbind().await;
}

#[actix_web::test]
async fn a_real_directory_is_reconciled_run_after_run() {
    let d = Slapd::start();
    let store = Store::open(Path::new(":memory:")).unwrap();
    let good_pw = d.dir.join("sync.password");
    let org = d.org(&d.starttls(), &good_pw, "(objectClass=inetOrgPerson)");
    store
        .sync_orgs(std::slice::from_ref(&org), chrono::Utc::now())
        .unwrap();
    let runner = Runner::new(store.clone(), Arc::new(chrono::Utc::now));
    let run = |org: OrgConfig, options: RunOptions| {
        let runner = runner.clone();
        async move { runner.ldap(&org, Trigger::Command, options).await.unwrap() }
    };

    // 1. First sync (StartTLS, 6 pages of 40): 201 entries; person200 is
    //    disabled (not created), the contractor is outside acme.test.
    let r = run(org.clone(), RunOptions::default()).await;
    assert_eq!(r.outcome, Outcome::Applied, "{}", r.message);
    assert_eq!(r.records, 201);
    assert_eq!(r.plan.creates.len(), 199);
    assert_eq!(
        r.plan.new_locations,
        vec!["Acme Lab, Shelbyville".to_owned()]
    );
    assert_eq!(r.plan.errors.len(), 1);
    assert!(r.plan.errors[0].origin.starts_with("uid=contractor01,"));
    assert!(r.plan.errors[0].reason.contains("partner.test"));
    let all = users(&store);
    assert_eq!(all.len(), 199);
    assert!(all.iter().all(|u| u.source == "ldap" && u.active));
    assert_eq!(by_email(&all, "person001@acme.test").role, "admin");
    assert_eq!(by_email(&all, "person002@acme.test").role, "host");
    assert_eq!(
        by_email(&all, "person150@acme.test")
            .default_location
            .as_deref(),
        Some("Acme Lab, Shelbyville")
    );
    let person002 = by_email(&all, "person002@acme.test").id;

    // 2. A second run with no change changes nothing.
    let r = run(org.clone(), RunOptions::default()).await;
    assert!(r.plan.is_empty(), "{:?}", r.plan);
    assert_eq!(r.plan.unchanged, 200);

    // 3. The directory changes; the next run follows.
    change_directory(&d).await;
    let r = run(org.clone(), RunOptions::default()).await;
    assert_eq!(r.outcome, Outcome::Applied, "{}", r.message);
    let mut fields: Vec<(String, Field)> = r
        .plan
        .updates
        .iter()
        .flat_map(|u| u.changes.iter().map(|c| (u.email.clone(), c.field)))
        .collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        fields,
        vec![
            ("person002@acme.test".to_owned(), Field::Email),
            ("person003@acme.test".to_owned(), Field::Location),
        ]
    );
    let mut gone: Vec<&str> = r
        .plan
        .deactivations
        .iter()
        .map(|t| t.email.as_str())
        .collect();
    gone.sort_unstable();
    assert_eq!(gone, vec!["person004@acme.test", "person005@acme.test"]);
    assert_eq!(r.plan.creates.len(), 1);
    assert_eq!(r.plan.creates[0].email, "person201@acme.test");
    let all = users(&store);
    let renamed = by_email(&all, "person002.renamed@acme.test");
    assert_eq!(renamed.id, person002, "the same account follows the entry");
    assert_eq!(
        by_email(&all, "person003@acme.test")
            .default_location
            .as_deref(),
        Some("Acme Lab, Shelbyville")
    );
    for gone in ["person004@acme.test", "person005@acme.test"] {
        let u = by_email(&all, gone);
        assert!(!u.active && u.sessions_not_before.is_some(), "{gone}");
    }
    assert!(by_email(&all, "person201@acme.test").active);

    // 4. ldaps:// reads the same directory (a dry run: nothing to do).
    let ldaps = d.org(
        &format!("ldaps://127.0.0.1:{}", d.sport),
        &good_pw,
        "(objectClass=inetOrgPerson)",
    );
    let r = run(
        ldaps,
        RunOptions {
            dry_run: true,
            ..RunOptions::default()
        },
    )
    .await;
    assert_eq!(r.outcome, Outcome::DryRun, "{}", r.message);
    assert!(r.plan.is_empty() && r.records == 201);

    // 5. An empty result would deactivate everyone: refused, nothing changed.
    let before = users(&store);
    let empty = d.org(&d.starttls(), &good_pw, "(uid=nobody-at-all)");
    let r = run(empty, RunOptions::default()).await;
    assert_eq!(r.outcome, Outcome::Refused);
    assert_eq!(r.plan.deactivations.len(), 198);
    assert!(
        r.message.contains("above the limit of 20 %"),
        "{}",
        r.message
    );
    assert_eq!(users(&store), before);

    // 6. A wrong bind password fails clearly, changes nothing, and is kept
    //    in the history (without the password).
    let wrong = d.dir.join("wrong.password");
    std::fs::write(&wrong, "not-the-password\n").unwrap();
    let r = run(
        d.org(&d.starttls(), &wrong, "(objectClass=inetOrgPerson)"),
        RunOptions::default(),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(
        r.message
            .contains("bind as cn=visitor-sync,ou=Services,dc=acme,dc=test refused")
            && r.message.contains("rc=49"),
        "{}",
        r.message
    );
    assert!(!r.message.contains("not-the-password"));
    assert_eq!(users(&store), before);

    // 7. A certificate the client does not trust (no ca_file: the system's
    //    roots) stops the run before the bind.
    let mut untrusted = d.org(&d.starttls(), &good_pw, "(objectClass=inetOrgPerson)");
    untrusted.ldap.as_mut().unwrap().ca_file = None;
    let r = run(untrusted, RunOptions::default()).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(
        r.message.starts_with("cannot connect to ldap://127.0.0.1:"),
        "{}",
        r.message
    );
    assert_eq!(users(&store), before);

    // 8. The history has every run, newest first.
    let runs = store
        .unscoped_in("acme", |s| s.sync_runs(10))
        .unwrap()
        .unwrap();
    let outcomes: Vec<&str> = runs.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        vec![
            "failed", "failed", "refused", "dry_run", "applied", "applied", "applied"
        ]
    );
    assert_eq!(
        (runs[4].created, runs[4].deactivated, runs[4].updated),
        (1, 2, 2)
    );
    assert!(runs[1].message.contains("refused") && runs[1].trigger == "command");
    assert!(runs[0].message.starts_with("cannot connect"));

    // 9. The scheduler: an organization never synced is pulled at once, by
    //    the scheduler (waited for with a deadline, not a fixed sleep): the
    //    directory as changed above, 201 entries of which 2 are disabled and
    //    1 outside acme.test.
    let fresh = Store::open(Path::new(":memory:")).unwrap();
    fresh
        .sync_orgs(std::slice::from_ref(&org), chrono::Utc::now())
        .unwrap();
    let clock: samlsp_actix::Clock = Arc::new(chrono::Utc::now);
    samlsp_visitor::directory::spawn_scheduler(
        Runner::new(fresh.clone(), clock.clone()),
        fresh.clone(),
        std::slice::from_ref(&org),
        clock,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let run = loop {
        let runs = fresh
            .unscoped_in("acme", |s| s.sync_runs(1))
            .unwrap()
            .unwrap();
        if let Some(r) = runs.into_iter().next() {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduler did not run"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (run.trigger.as_str(), run.outcome.as_str(), run.created),
        ("schedule", "applied", 198)
    );
}
