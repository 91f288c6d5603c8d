//! The sign-in observer: every outcome reaches it, attributed to the right
//! connection on the right evidence, with a code and a remediation, and
//! without the SAML message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use actix_web::{App, test};
use common::*;
use samlsp::{EntityId, Url};
use samlsp_actix::{
    Attribution, FailedSignIn, IdpConfig, IdpOptions, IdpSource, LinkedUser, MapFuture,
    MemorySessionStore, ObserveFuture, Saml, SignInObserver, SpSettings, SucceededSignIn,
    TenantConfig, UserMapper, VerifiedLogin,
};

const SP: &str = "https://visit.test/saml/metadata";
const ACS: &str = "https://visit.test/saml/acs";

struct Mapper;

impl UserMapper for Mapper {
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a> {
        Box::pin(async move {
            let nid = login.assertion().name_id().value().to_owned();
            Ok(LinkedUser {
                user_id: format!("u:{nid}"),
                display_name: nid,
            })
        })
    }
}

#[derive(Default)]
struct Recorder {
    failed: Mutex<Vec<FailedSignIn>>,
    succeeded: Mutex<Vec<SucceededSignIn>>,
}

impl SignInObserver for Recorder {
    fn failed<'a>(&'a self, f: &'a FailedSignIn) -> ObserveFuture<'a> {
        Box::pin(async move { self.failed.lock().unwrap().push(f.clone()) })
    }
    fn succeeded<'a>(&'a self, s: &'a SucceededSignIn) -> ObserveFuture<'a> {
        Box::pin(async move { self.succeeded.lock().unwrap().push(s.clone()) })
    }
}

fn saml(observer: Arc<Recorder>) -> Saml {
    let idp = |t: &TestIdp, slug: &str, unsolicited: bool| IdpConfig {
        slug: slug.into(),
        display_name: format!("{slug} corp"),
        source: IdpSource::Static(t.identity_provider()),
        options: IdpOptions {
            allow_idp_initiated: unsolicited,
            ..IdpOptions::default()
        },
    };
    Saml::builder(Arc::new(Mapper))
        .tenant(TenantConfig {
            slug: None,
            sp: SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap()),
            idps: vec![
                idp(&TestIdp::acme(), "acme", false),
                idp(&TestIdp::globex(), "globex", false),
            ],
        })
        .observer(observer)
        .build()
        .unwrap()
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

#[actix_web::test]
async fn wrong_audience_is_attributed_to_the_pending_request_with_a_remediation() {
    let rec = Arc::new(Recorder::default());
    let app = app!(saml(rec.clone()));
    let res = get(&app, "/saml/login?idp=acme", None).await;
    let req = sent_request(&res, "");
    let r = TestIdp::acme().response(
        &ResponseSpec::new("https://other.test/sp", ACS, "alice@acme.test").in_response_to(&req.id),
    );
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 400);
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    let reference = page_reference(&body);
    assert!(!body.contains("audience"), "the page says nothing: {body}");

    let failed = rec.failed.lock().unwrap();
    let [f] = failed.as_slice() else {
        panic!("{failed:?}")
    };
    assert_eq!(f.correlation_id(), reference);
    assert_eq!(f.code(), "audience_mismatch");
    assert_eq!(f.route(), "acs");
    assert_eq!(f.tenant(), None);
    assert_eq!(f.connection(), Some(("acme", Attribution::PendingRequest)));
    assert!(f.verification().is_some());
    assert!(
        f.remediation()
            .contains("sends Audience \"https://other.test/sp\""),
        "{}",
        f.remediation()
    );
    assert!(
        f.remediation().contains(&format!("{SP:?}")),
        "{}",
        f.remediation()
    );
    // Never the message itself.
    assert!(!f.reason().contains(&r[..40]) && !f.remediation().contains("<"));
    assert!(rec.succeeded.lock().unwrap().is_empty());
}

#[actix_web::test]
async fn success_is_reported_with_the_user_and_connection() {
    let rec = Arc::new(Recorder::default());
    let app = app!(saml(rec.clone()));
    let res = get(&app, "/saml/login?idp=globex", None).await;
    let req = sent_request(&res, "");
    let r = TestIdp::globex().response(&ResponseSpec::new(SP, ACS, "g-1").in_response_to(&req.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    let ok = rec.succeeded.lock().unwrap();
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].connection(), "globex");
    assert_eq!(ok[0].user_id(), "u:g-1");
    assert!(!ok[0].idp_initiated());
    assert!(rec.failed.lock().unwrap().is_empty());
}

#[actix_web::test]
async fn unsolicited_response_is_attributed_to_the_claimed_issuer_only() {
    let rec = Arc::new(Recorder::default());
    let app = app!(saml(rec.clone()));
    let r = TestIdp::globex().response(&ResponseSpec::new(SP, ACS, "g-1"));
    let res = post_form(&app, "/saml/acs", acs_body(&r, None), None).await;
    assert_eq!(res.status(), 400);
    let failed = rec.failed.lock().unwrap();
    assert_eq!(failed[0].code(), "unsolicited_not_allowed");
    assert_eq!(
        failed[0].connection(),
        Some(("globex", Attribution::ClaimedIssuer))
    );
}

#[actix_web::test]
async fn garbage_is_attributed_to_no_connection() {
    let rec = Arc::new(Recorder::default());
    let app = app!(saml(rec.clone()));
    let res = post_form(&app, "/saml/acs", "SAMLResponse=%21%21".to_owned(), None).await;
    assert_eq!(res.status(), 400);
    let failed = rec.failed.lock().unwrap();
    assert_eq!(failed[0].code(), "encoding_not_base64");
    assert_eq!(failed[0].connection(), None);
}

#[actix_web::test]
async fn login_link_failures_are_reported() {
    let rec = Arc::new(Recorder::default());
    let app = app!(saml(rec.clone()));
    let res = get(&app, "/saml/login?idp=nope%0A", None).await;
    assert_eq!(res.status(), 400);
    let failed = rec.failed.lock().unwrap();
    assert_eq!(failed[0].code(), "unknown_idp");
    assert_eq!(failed[0].route(), "login");
    assert!(!failed[0].remediation().contains('\n'));
}
