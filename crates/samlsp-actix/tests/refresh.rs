//! IdP metadata refresh, in-process with a pinned clock and a fake fetcher:
//! the scheduled refresh (cacheDuration, last good copy, key rollover) and the
//! early fetch after a signature by an unknown key, on its backoff schedule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use common::*;
use samlsp::{EntityId, SpKeyPair, Url};
use samlsp_actix::{
    IdpConfig, IdpOptions, IdpSource, LinkedUser, MapFuture, MemorySessionStore, MetadataFetcher,
    MetadataLocation, RefreshReport, Saml, SpSettings, TenantConfig, UserMapper, VerifiedLogin,
};

const SP: &str = "https://visit.test/saml/metadata";
const ACS: &str = "https://visit.test/saml/acs";
const ACME_URL: &str = "http://127.0.0.1:1/acme/descriptor";
const GLOBEX_URL: &str = "http://127.0.0.1:1/globex/descriptor";

/// Everyone is a user.
struct AnyUser;

impl UserMapper for AnyUser {
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a> {
        Box::pin(async move {
            let nid = login.assertion().name_id().value().to_owned();
            Ok(LinkedUser {
                user_id: nid.clone(),
                display_name: nid,
            })
        })
    }
}

/// Serves metadata per URL from a table the test changes, and records every
/// fetch.
#[derive(Default)]
struct FakeFetcher {
    served: Mutex<HashMap<String, Result<Vec<u8>, String>>>,
    calls: Mutex<Vec<String>>,
}

impl FakeFetcher {
    fn serve(&self, url: &str, r: Result<Vec<u8>, String>) {
        self.served.lock().unwrap().insert(url.into(), r);
    }

    fn calls_to(&self, url: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|u| *u == url)
            .count()
    }
}

impl MetadataFetcher for FakeFetcher {
    fn fetch<'a>(&'a self, url: &'a str) -> samlsp_actix::FetchFuture<'a> {
        self.calls.lock().unwrap().push(url.to_owned());
        let r = self
            .served
            .lock()
            .unwrap()
            .get(url)
            .cloned()
            .unwrap_or_else(|| Err(format!("nothing served at {url}")));
        Box::pin(async move { r })
    }
}

/// A test clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }

    fn advance(&self, seconds: i64) {
        *self.0.lock().unwrap() += chrono::Duration::seconds(seconds);
    }
}

fn metadata_idp(slug: &str, url: &str) -> IdpConfig {
    IdpConfig {
        slug: slug.into(),
        display_name: slug.into(),
        source: IdpSource::Metadata {
            location: MetadataLocation::Url(url.into()),
            entity_id: None,
            pinned: None,
        },
        // IdP-initiated, so a sign-in is one POST (no request to track).
        options: IdpOptions {
            allow_idp_initiated: true,
            ..IdpOptions::default()
        },
    }
}

/// One tenant whose IdPs acme and globex come from URL metadata.
fn metadata_sourced_saml() -> (Saml, TestClock) {
    let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
    let c = clock.clone();
    let saml = Saml::builder(Arc::new(AnyUser))
        .tenant(TenantConfig {
            slug: None,
            sp: SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap()).signing_key(
                SpKeyPair::from_pem(
                    &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.key"),
                    &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.crt"),
                )
                .unwrap(),
            ),
            idps: vec![
                metadata_idp("acme", ACME_URL),
                metadata_idp("globex", GLOBEX_URL),
            ],
        })
        .clock(Arc::new(move || c.now()))
        .build()
        .unwrap();
    (saml, clock)
}

/// Both IdPs loaded from their first metadata (cacheDuration one hour).
async fn loaded() -> (Saml, TestClock, FakeFetcher) {
    let (saml, clock) = metadata_sourced_saml();
    let fetcher = FakeFetcher::default();
    fetcher.serve(
        ACME_URL,
        Ok(TestIdp::acme().metadata_xml(Some("PT1H")).into_bytes()),
    );
    fetcher.serve(
        GLOBEX_URL,
        Ok(TestIdp::globex().metadata_xml(Some("PT1H")).into_bytes()),
    );
    let mut report = saml.refresh(&fetcher).await;
    report.updated.sort();
    assert_eq!(report.updated, vec!["default/acme", "default/globex"]);
    (saml, clock, fetcher)
}

/// "acme" after a key rollover: the 3072-bit key under acme's entity ID and
/// SSO URL, with its metadata.
fn rolled_acme(cache_duration: Option<&str>) -> (TestIdp, Vec<u8>) {
    let rolled = TestIdp {
        entity_id: TestIdp::acme().entity_id,
        ..TestIdp::globex()
    };
    let md = rolled
        .metadata_xml(cache_duration)
        .replace(&TestIdp::globex().sso_url, &TestIdp::acme().sso_url);
    (rolled, md.into_bytes())
}

macro_rules! app {
    ($saml:expr) => {{
        let settings = session_settings("https://visit.test");
        test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(samlsp_actix::configure($saml.clone())),
        )
        .await
    }};
}

/// The ACS body of an IdP-initiated response from `idp` at `now`.
fn response_body(idp: &TestIdp, now: DateTime<Utc>) -> String {
    acs_body(
        &idp.response(&ResponseSpec {
            now,
            ..ResponseSpec::new(SP, ACS, "a@acme.test")
        }),
        None,
    )
}

/// POST a body to the ACS without cookies (IdP-initiated: nothing to bind).
async fn post_acs<S>(app: &S, body: String) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    post_form(app, "/saml/acs", body, None).await
}

/// The failure kind in the log line of a refused POST.
fn refused_kind(log: &LogCapture) -> String {
    let lines = log.lines();
    let line = lines
        .iter()
        .rev()
        .find(|l| l.contains("kind="))
        .unwrap_or_else(|| panic!("no failure line: {lines:#?}"));
    let kind = line.split("kind=").nth(1).unwrap();
    kind.split_whitespace().next().unwrap().to_owned()
}

fn early_fetch_lines(log: &LogCapture) -> Vec<String> {
    log.lines()
        .into_iter()
        .filter(|l| l.contains("message=early IdP metadata fetch"))
        .collect()
}

#[actix_web::test]
async fn scheduled_refresh_loads_keeps_last_good_copy_and_rolls_keys() {
    // Every test of this binary captures the log: tracing caches a callsite's
    // interest globally, and a test without a subscriber would disable it.
    let log = LogCapture::default();
    let _g = log.install();
    let (saml, clock) = metadata_sourced_saml();
    let app = app!(saml);

    // Not loaded yet: unavailable.
    assert!(saml.identity_providers().iter().all(|i| !i.available));
    let fetcher = FakeFetcher::default();
    fetcher.serve(ACME_URL, Err("connection refused".into()));
    let report = saml.refresh(&fetcher).await;
    assert_eq!(report.failed.len(), 2, "{report:?}");
    let status = acme_status(&saml);
    assert!(!status.loaded && status.certificates.is_empty());
    assert_eq!(status.source, "url");
    assert_eq!(status.failures_in_row, 1);
    assert_eq!(
        status.last_failure,
        Some((clock.now(), "connection refused".to_owned()))
    );

    // First good copy (cacheDuration one hour).
    fetcher.serve(
        ACME_URL,
        Ok(TestIdp::acme().metadata_xml(Some("PT1H")).into_bytes()),
    );
    let report = saml.refresh(&fetcher).await;
    assert_eq!(report.updated, vec!["default/acme".to_owned()]);
    assert_eq!(
        post_acs(&app, response_body(&TestIdp::acme(), clock.now()))
            .await
            .status(),
        303
    );
    let status = acme_status(&saml);
    assert!(status.loaded);
    assert_eq!(
        (status.failures_in_row, status.last_success),
        (0, Some(clock.now()))
    );
    assert!(status.rollovers.is_empty(), "a first load is no rollover");
    let [cert] = status.certificates.as_slice() else {
        panic!("{status:?}")
    };
    assert_eq!(cert.sha256.len(), 32 * 3 - 1);
    assert!(
        cert.days_left(clock.now()).is_some_and(|d| d > 30),
        "{cert:?}"
    );

    // Not due before cacheDuration (globex, never loaded, is tried each pass).
    fetcher.serve(ACME_URL, Err("must not be called".into()));
    let before = fetcher.calls_to(ACME_URL);
    saml.refresh(&fetcher).await;
    assert_eq!(fetcher.calls_to(ACME_URL), before);

    // Due, but the IdP is down: the last good copy stays in use.
    clock.advance(61 * 60);
    let report = saml.refresh(&fetcher).await;
    assert!(report.failed.iter().any(|(l, _)| l == "default/acme"));
    assert_eq!(
        post_acs(&app, response_body(&TestIdp::acme(), clock.now()))
            .await
            .status(),
        303
    );

    // Key rollover: after the retry delay the new copy replaces the old one.
    let (rolled, rolled_md) = rolled_acme(None);
    fetcher.serve(ACME_URL, Ok(rolled_md));
    clock.advance(6 * 60);
    let report = saml.refresh(&fetcher).await;
    assert_eq!(report.updated, vec!["default/acme".to_owned()]);
    let status = acme_status(&saml);
    assert_eq!(status.rollovers, vec![clock.now()]);
    assert_ne!(status.certificates[0].sha256, cert.sha256);
    assert_eq!(
        post_acs(&app, response_body(&TestIdp::acme(), clock.now()))
            .await
            .status(),
        400
    );
    assert_eq!(
        post_acs(&app, response_body(&rolled, clock.now()))
            .await
            .status(),
        303
    );
}

fn acme_status(saml: &Saml) -> samlsp_actix::IdpStatus {
    saml.idp_status()
        .into_iter()
        .find(|s| s.slug == "acme")
        .unwrap()
}

/// The IdP starts signing with a new key a little before its metadata shows
/// it: the first early fetch brings nothing new, the next step (10 s later)
/// brings the key, and sign-in works again without waiting for
/// cacheDuration.
#[actix_web::test]
async fn unchanged_metadata_then_the_new_key_on_the_next_step() {
    let log = LogCapture::default();
    let _g = log.install();
    let (saml, clock, fetcher) = loaded().await;
    let app = app!(saml);
    let (rolled, rolled_md) = rolled_acme(Some("PT1H"));

    // Signed by the new key; the descriptor does not show it yet.
    assert_eq!(
        post_acs(&app, response_body(&rolled, clock.now()))
            .await
            .status(),
        400
    );
    assert_eq!(refused_kind(&log), "signature");
    assert_eq!(saml.refresh(&fetcher).await.unchanged, vec!["default/acme"]);
    assert_eq!(fetcher.calls_to(ACME_URL), 2);
    assert!(early_fetch_lines(&log)[0].contains("outcome=Unchanged"));

    // The IdP publishes the key. Five seconds later another response fails:
    // the schedule's first step (10 s) is not over, so no fetch yet.
    fetcher.serve(ACME_URL, Ok(rolled_md));
    clock.advance(5);
    assert_eq!(
        post_acs(&app, response_body(&rolled, clock.now()))
            .await
            .status(),
        400
    );
    assert_eq!(saml.refresh(&fetcher).await, RefreshReport::default());
    assert_eq!(fetcher.calls_to(ACME_URL), 2);

    // At 10 s the pending request is served: the new key arrives.
    clock.advance(5);
    assert_eq!(saml.refresh(&fetcher).await.updated, vec!["default/acme"]);
    assert_eq!(fetcher.calls_to(ACME_URL), 3);
    assert!(early_fetch_lines(&log)[1].contains("outcome=NewKey"));
    assert_eq!(
        post_acs(&app, response_body(&rolled, clock.now()))
            .await
            .status(),
        303
    );
    // Only the IdP the responses named was fetched early.
    assert_eq!(fetcher.calls_to(GLOBEX_URL), 1);
}

/// Anyone can post a response naming a configured Issuer with a signature by
/// their own key: a sustained burst causes at most one fetch per step of the
/// schedule (0, 10, 40, 100, 220, 520, 820 s over 15 minutes), and only of
/// the IdP named.
#[actix_web::test]
async fn a_burst_of_bogus_signatures_fetches_at_most_once_per_step() {
    // Every test of this binary captures the log: tracing caches a callsite's
    // interest globally, and a test without a subscriber would disable it.
    let log = LogCapture::default();
    let _g = log.install();
    let (saml, clock, fetcher) = loaded().await;
    let app = app!(saml);
    let start = clock.now();
    let bogus = response_body(&TestIdp::acme_impostor(), start);
    let mut fetched_at = Vec::new();
    for _ in 0..=450 {
        let before = fetcher.calls_to(ACME_URL);
        assert_eq!(post_acs(&app, bogus.clone()).await.status(), 400);
        saml.refresh(&fetcher).await;
        if fetcher.calls_to(ACME_URL) > before {
            fetched_at.push((clock.now() - start).num_seconds());
        }
        clock.advance(2);
    }
    assert_eq!(fetched_at, vec![0, 10, 40, 100, 220, 520, 820]);
    assert_eq!(fetcher.calls_to(GLOBEX_URL), 1, "globex was never named");
}

/// A fetch that brings a new key starts the schedule over: the next
/// unknown-key failure is served at once, not after the step it had reached.
#[actix_web::test]
async fn the_schedule_resets_after_a_new_key() {
    // Every test of this binary captures the log: tracing caches a callsite's
    // interest globally, and a test without a subscriber would disable it.
    let log = LogCapture::default();
    let _g = log.install();
    let (saml, clock, fetcher) = loaded().await;
    let app = app!(saml);
    let bogus = response_body(&TestIdp::acme_impostor(), clock.now());
    // Three unchanged early fetches: the schedule is at its 60 s step.
    for wait in [10, 30, 60] {
        assert_eq!(post_acs(&app, bogus.clone()).await.status(), 400);
        saml.refresh(&fetcher).await;
        clock.advance(wait);
    }
    assert_eq!(fetcher.calls_to(ACME_URL), 4);

    // The IdP rotates; the next failure fetches at once and gets the key.
    let (rolled, rolled_md) = rolled_acme(Some("PT1H"));
    fetcher.serve(ACME_URL, Ok(rolled_md));
    assert_eq!(
        post_acs(&app, response_body(&rolled, clock.now()))
            .await
            .status(),
        400
    );
    assert_eq!(saml.refresh(&fetcher).await.updated, vec!["default/acme"]);
    assert_eq!(fetcher.calls_to(ACME_URL), 5);

    // One second later another unknown key: fetched at once again (step 0).
    clock.advance(1);
    assert_eq!(post_acs(&app, bogus).await.status(), 400);
    assert_eq!(saml.refresh(&fetcher).await.unchanged, vec!["default/acme"]);
    assert_eq!(fetcher.calls_to(ACME_URL), 6);
}

/// A response signed by a trusted key whose signature value does not verify
/// (tampering, not rotation) fetches nothing.
#[actix_web::test]
async fn a_tampered_signature_by_a_trusted_key_fetches_nothing() {
    let log = LogCapture::default();
    let _g = log.install();
    let (saml, clock, fetcher) = loaded().await;
    let app = app!(saml);
    let xml = TestIdp::acme().response_xml(&ResponseSpec {
        now: clock.now(),
        ..ResponseSpec::new(SP, ACS, "a@acme.test")
    });
    let at = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let flipped = if &xml[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{}{}", &xml[..at], flipped, &xml[at + 1..]);
    let body = acs_body(
        &base64::engine::general_purpose::STANDARD.encode(tampered),
        None,
    );
    assert_eq!(post_acs(&app, body).await.status(), 400);
    assert_eq!(refused_kind(&log), "signature");
    assert!(
        log.lines()
            .iter()
            .any(|l| l.contains("no trusted key verifies the signature value")),
        "{:?}",
        log.lines()
    );
    assert_eq!(saml.refresh(&fetcher).await, RefreshReport::default());
    assert_eq!(fetcher.calls_to(ACME_URL), 1);
    assert!(early_fetch_lines(&log).is_empty());
}
