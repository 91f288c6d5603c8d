//! Notices to an organization's admins through the outbox, on an injected
//! clock: one mail 30 days and one 7 days before an IdP signing certificate
//! expires, never twice (not after a restart either); a console
//! connection's failing metadata refresh, at most once a day; the
//! organization's notification address instead of its admins once set;
//! nothing to an organization without anyone to tell.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta};
use samlsp_actix::{Clock, FetchFuture, MetadataFetcher};
use samlsp_visitor::notify::notices::sweep;
use samlsp_visitor::notify::{Email, Notifier, NotifyError, Worker};
use samlsp_visitor::store::NewConnection;

use super::*;

/// The test IdP certificates' end of validity (testdata/keys/*.crt).
const NOT_AFTER: &str = "2126-10-29T14:15:51Z";
const MD_URL: &str = "https://idp.acme.test/federationmetadata.xml";

#[derive(Clone)]
struct Moving(Arc<Mutex<DateTime<Utc>>>);

impl Moving {
    fn days_before_expiry(days: i64) -> Self {
        let end = DateTime::parse_from_rfc3339(NOT_AFTER).unwrap().to_utc();
        Moving(Arc::new(Mutex::new(end - TimeDelta::days(days))))
    }
    fn clock(&self) -> Clock {
        let c = self.0.clone();
        Arc::new(move || *c.lock().unwrap())
    }
    fn advance(&self, d: TimeDelta) {
        *self.0.lock().unwrap() += d;
    }
}

#[derive(Debug, Default)]
struct Sent(Mutex<Vec<Email>>);

impl Notifier for Sent {
    fn send(&self, m: &Email) -> Result<(), NotifyError> {
        self.0.lock().unwrap().push(m.clone());
        Ok(())
    }
}

impl Sent {
    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .into_iter()
            .map(|m| (m.to, m.subject))
            .collect()
    }
}

/// Nothing answers at the connection's URL.
struct Down;

impl MetadataFetcher for Down {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move { Err(format!("connection refused: {url}")) })
    }
}

/// Acme's admins: Alice and Ada (admins at its default location), Bob (a
/// host).
fn acme_people(state: &AppState) {
    let now = Utc::now();
    in_org(state, "acme", |s| {
        let hq = s.default_location_id()?.unwrap();
        for (email, role) in [
            ("alice@acme.test", "admin"),
            ("ada@acme.test", "admin"),
            ("bob@acme.test", "host"),
        ] {
            let id = s.insert_user(
                &NewUser {
                    email: email.into(),
                    given_name: String::new(),
                    family_name: String::new(),
                    display_name: email.into(),
                    role: role.into(),
                    source: "manual".into(),
                    external_id: None,
                },
                now,
            )?;
            s.set_default_location(id, hq)?;
            s.set_location_role(id, hq, role)?;
        }
        Ok(())
    });
}

#[actix_web::test]
async fn certificate_and_refresh_notices_go_once_to_the_right_people() {
    let dir = std::env::temp_dir().join(format!("visitor-notices-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cfg = config();
    cfg.server.database = dir.join("v.sqlite3");
    let time = Moving::days_before_expiry(40);
    let state = AppState::build(cfg.clone(), Some(time.clock()))
        .unwrap()
        .with_fetcher(Arc::new(Down));
    acme_people(&state);
    // A console connection added by URL (Acme's IdP key, another entity).
    let wizard = TestIdp {
        entity_id: "https://wizard.acme.test/saml".into(),
        ..TestIdp::acme()
    };
    let row = in_org(&state, "acme", |s| {
        let id = s
            .add_connection(
                &NewConnection {
                    name: "Wizard".into(),
                    preset: "okta".into(),
                    metadata_url: Some(MD_URL.into()),
                    metadata_xml: wizard.metadata_xml(None),
                    entity_id: wizard.entity_id.clone(),
                },
                time.clock()(),
            )?
            .unwrap();
        s.connection(id)
    })
    .unwrap();
    state.load_connection("acme", &row);
    let sent = Arc::new(Sent::default());
    let worker = Worker::new(state.store.clone(), sent.clone(), time.clock());
    let deliver = || async { worker.run_once().await.unwrap().sent };

    // 40 days left, just added: nothing.
    let swept = sweep(&state).await.unwrap();
    assert_eq!((swept.refreshed, swept.queued), (0, 0));
    // 30 days left: Acme's two admins hear of each certificate (its
    // configured connection's and the console one's), and of the console
    // connection's daily refresh, which fails. Globex and Initech have no
    // admin yet, so nothing of theirs is claimed either.
    time.advance(TimeDelta::days(10));
    let swept = sweep(&state).await.unwrap();
    assert_eq!(deliver().await, 6);
    let mails = sent.take();
    assert_eq!((swept.refreshed, swept.queued), (1, 6), "{mails:?}");
    for who in ["alice@acme.test", "ada@acme.test"] {
        for subject in [
            "SSO connection Acme Corp: its IdP signing certificate expires in 30 days",
            "SSO connection Wizard: its IdP signing certificate expires in 30 days",
            "SSO connection Wizard: its metadata cannot be refreshed",
        ] {
            let want = (who.to_owned(), subject.to_owned());
            assert!(mails.contains(&want), "{want:?} not in {mails:?}");
        }
    }
    let state_row = in_org(&state, "acme", |s| s.connection_refresh_state(row.id)).unwrap();
    assert!(
        state_row
            .refresh_error
            .as_deref()
            .is_some_and(|e| e.contains("connection refused")),
        "{state_row:?}"
    );
    assert_eq!(sweep(&state).await.unwrap().queued, 0, "once");

    // A restart (a new process on the same database) sends nothing again.
    let restarted = AppState::build(cfg.clone(), Some(time.clock()))
        .unwrap()
        .with_fetcher(Arc::new(Down));
    assert_eq!(sweep(&restarted).await.unwrap().queued, 0);

    // The organization's own address, from now on, instead of its admins.
    in_org(&state, "acme", |s| {
        s.set_notice_address(Some("sso-alerts@acme.test"), time.clock()())
    });
    // The failing refresh is retried every hour, and noticed at most once
    // a day.
    for _ in 0..23 {
        time.advance(TimeDelta::hours(1));
        let swept = sweep(&state).await.unwrap();
        assert_eq!((swept.refreshed, swept.queued), (1, 0));
    }
    time.advance(TimeDelta::hours(1));
    assert_eq!(sweep(&state).await.unwrap().queued, 1);
    assert_eq!(deliver().await, 1);
    assert_eq!(
        sent.take(),
        [(
            "sso-alerts@acme.test".to_owned(),
            "SSO connection Wizard: its metadata cannot be refreshed".to_owned()
        )]
    );

    // 7 days left: the second notice per certificate, to the address.
    let now = time.clock()();
    let end = DateTime::parse_from_rfc3339(NOT_AFTER).unwrap().to_utc();
    time.advance(end - TimeDelta::days(7) - now);
    let swept = sweep(&state).await.unwrap();
    // Two certificate notices, and the refresh still failing a day on.
    assert_eq!(swept.queued, 3);
    assert_eq!(deliver().await, 3);
    let mails = sent.take();
    for name in ["Acme Corp", "Wizard"] {
        let want = (
            "sso-alerts@acme.test".to_owned(),
            format!("SSO connection {name}: its IdP signing certificate expires in 7 days"),
        );
        assert!(mails.contains(&want), "{want:?} not in {mails:?}");
    }
    // After expiry nothing more about these certificates.
    time.advance(TimeDelta::days(10));
    let swept = sweep(&state).await.unwrap();
    assert_eq!(swept.queued, 1, "only the daily refresh failure");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The address is set on the console's health page (an admin action in
/// the audit log); a malformed one is refused; empty means the admins.
#[actix_web::test]
async fn the_notification_address_is_set_on_the_console() {
    let (state, app) = demo!();
    let alice = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        ),
    )
    .await;
    let page = body_of(get(&app, "/admin/health", Some(&alice)).await).await;
    assert!(
        page.contains("to the organization&#x27;s admins (alice@acme.test)")
            || page.contains("to the organization's admins (alice@acme.test)"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let set = |address: &str| format!("csrf_token={csrf}&address={address}");
    let res = post_form(
        &app,
        "/admin/health/notices",
        set("not an address"),
        Some(&alice),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(in_org(&state, "acme", |s| s.notice_address()), None);
    let res = post_form(
        &app,
        "/admin/health/notices",
        set("sso-alerts%40acme.test"),
        Some(&alice),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        body_of(res)
            .await
            .contains("value=\"sso-alerts@acme.test\"")
    );
    assert_eq!(
        in_org(&state, "acme", |s| s.notice_address()).as_deref(),
        Some("sso-alerts@acme.test")
    );
    let events = in_org(&state, "acme", |s| {
        s.audit_events(&store::AuditFilter::default(), 10)
    });
    assert!(
        events
            .iter()
            .any(|e| e.action == "notice_address_set"
                && e.detail["address"] == "sso-alerts@acme.test")
    );
    let res = post_form(&app, "/admin/health/notices", set(""), Some(&alice)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(in_org(&state, "acme", |s| s.notice_address()), None);
    assert_eq!(in_org(&state, "globex", |s| s.notice_address()), None);
}
