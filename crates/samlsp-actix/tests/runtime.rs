//! Connections added, changed and removed while serving, and test
//! sign-ins: a connection that takes test sign-ins only refuses real ones
//! (SP- and IdP-initiated) with `connection_not_enabled`; a test runs the
//! real flow, verifies, and leaves a report instead of a session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpResponse, test, web};
use common::*;
use samlsp::{EntityId, SpKeyPair, Url};
use samlsp_actix::{
    IdpConfig, IdpOptions, IdpSource, LinkedUser, MapFuture, MemorySessionStore, Saml, SetupError,
    SignInError, SignedIn, SpSettings, TenantConfig, TestedLogin, UserMapper, VerifiedLogin,
};

const SP: &str = "https://visit.test/saml/metadata";
const ACS: &str = "https://visit.test/saml/acs";

#[derive(Default)]
struct Mapper(Mutex<Vec<String>>);

impl UserMapper for Mapper {
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a> {
        Box::pin(async move {
            let nid = login.assertion().name_id().value().to_owned();
            self.0.lock().unwrap().push(nid.clone());
            Ok(LinkedUser {
                user_id: nid.clone(),
                display_name: nid,
            })
        })
    }
}

fn idp_config(idp: &TestIdp, slug: &str, options: IdpOptions) -> IdpConfig {
    IdpConfig {
        slug: slug.into(),
        display_name: format!("{slug} corp"),
        source: IdpSource::Static(idp.identity_provider()),
        options,
    }
}

fn saml(mapper: Arc<Mapper>) -> Saml {
    let key = SpKeyPair::from_pem(
        &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.key"),
        &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.crt"),
    )
    .unwrap();
    Saml::builder(mapper)
        .tenant(TenantConfig {
            slug: None,
            sp: SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap())
                .signing_key(key),
            idps: vec![idp_config(&TestIdp::acme(), "acme", IdpOptions::default())],
        })
        .build()
        .unwrap()
}

async fn me(user: SignedIn) -> HttpResponse {
    HttpResponse::Ok().body(user.user_id().to_owned())
}

async fn tested(session: actix_session::Session) -> HttpResponse {
    match TestedLogin::take(&session) {
        Some(t) => HttpResponse::Ok().body(format!(
            "{}|{}|{}|{:?}",
            t.idp_slug(),
            t.idp_entity_id(),
            t.name_id(),
            t.attributes()
        )),
        None => HttpResponse::NotFound().finish(),
    }
}

macro_rules! app {
    ($saml:expr) => {{
        let settings = session_settings("https://visit.test");
        test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(samlsp_actix::configure($saml.clone()))
                .route("/me", web::get().to(me))
                .route("/tested", web::get().to(tested)),
        )
        .await
    }};
}

async fn login<S>(app: &S, query: &str) -> (u16, Option<SentRequest>)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = get(app, &format!("/saml/login?{query}"), None).await;
    let status = res.status().as_u16();
    if status != 302 {
        return (status, None);
    }
    let headers = res.headers().clone();
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    let view = test::TestRequest::default().to_srv_response({
        let mut r = HttpResponse::build(actix_web::http::StatusCode::FOUND);
        for (k, v) in headers.iter() {
            r.insert_header((k.clone(), v.clone()));
        }
        r.finish()
    });
    (status, Some(sent_request(&view, &body)))
}

fn wizard() -> TestIdp {
    TestIdp {
        entity_id: "https://wizard.test/saml".into(),
        ..TestIdp::acme()
    }
}

async fn post_response<S>(app: &S, req: Option<&SentRequest>, name_id: &str) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut spec = ResponseSpec::new(SP, ACS, name_id).person(name_id, "Wiz", "Ard", &["staff"]);
    if let Some(r) = req {
        spec = spec.in_response_to(&r.id);
    }
    let r = wizard().response(&spec);
    post_form(
        app,
        "/saml/acs",
        acs_body(&r, req.map(|r| r.relay_state.as_str())),
        req.and_then(SentRequest::cookie).as_deref(),
    )
    .await
}

#[actix_web::test]
async fn a_test_only_connection_added_at_runtime_takes_tests_and_refuses_real_sign_ins() {
    let log = LogCapture::default();
    let _g = log.install();
    let mapper = Arc::new(Mapper::default());
    let saml = saml(mapper.clone());
    let app = app!(saml);
    // Not there yet.
    assert_eq!(login(&app, "idp=wizard").await.0, 400);

    let test_only = IdpOptions {
        test_only: true,
        allow_idp_initiated: true,
        ..IdpOptions::default()
    };
    saml.put_idp(None, idp_config(&wizard(), "wizard", test_only))
        .unwrap();
    assert!(
        saml.identity_providers()
            .iter()
            .any(|i| i.slug == "wizard" && i.available)
    );

    // A real sign-in is refused at the login link...
    assert_eq!(login(&app, "idp=wizard").await.0, 403);
    assert!(
        log.lines()
            .iter()
            .any(|l| l.contains("connection_not_enabled"))
    );
    // ... and IdP-initiated.
    let res = post_response(&app, None, "eve@wizard.test").await;
    assert_eq!(res.status(), 403);

    // A test: verified, reported, no mapping, no signed-in session.
    let (_, req) = login(&app, "idp=wizard&test=1&return_to=/tested").await;
    let res = post_response(&app, req.as_ref(), "wiz@wizard.test").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/tested");
    let cookie = cookie_pair(&set_cookie(&res, "id").expect("the report's session"));
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_ne!(res.status(), 200, "a test does not sign in");
    let res = get(&app, "/tested", Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(
        body.starts_with("wizard|https://wizard.test/saml|wiz@wizard.test|"),
        "{body}"
    );
    assert!(
        body.contains("wiz@wizard.test") && body.contains("staff"),
        "{body}"
    );
    // Shown once.
    assert_eq!(get(&app, "/tested", Some(&cookie)).await.status(), 404);
    assert!(
        mapper.0.lock().unwrap().is_empty(),
        "no user mapping for tests"
    );

    // Enabled: real sign-ins go through.
    saml.put_idp(None, idp_config(&wizard(), "wizard", IdpOptions::default()))
        .unwrap();
    let (_, req) = login(&app, "idp=wizard").await;
    let res = post_response(&app, req.as_ref(), "wiz@wizard.test").await;
    assert_eq!(res.status(), 303);
    assert_eq!(mapper.0.lock().unwrap().as_slice(), ["wiz@wizard.test"]);

    // Removed: gone from the next request on.
    assert_eq!(saml.remove_idp(None, "wizard"), Ok(true));
    assert_eq!(saml.remove_idp(None, "wizard"), Ok(false));
    assert_eq!(login(&app, "idp=wizard").await.0, 400);
    // The configured one still works.
    assert_eq!(login(&app, "idp=acme").await.0, 302);
}

#[actix_web::test]
async fn runtime_changes_are_checked() {
    let saml = saml(Arc::new(Mapper::default()));
    assert_eq!(
        saml.put_idp(
            None,
            idp_config(&wizard(), "no spaces", IdpOptions::default())
        ),
        Err(SetupError::InvalidSlug("no spaces".into()))
    );
    assert_eq!(
        saml.put_idp(
            Some("nope"),
            idp_config(&wizard(), "w", IdpOptions::default())
        ),
        Err(SetupError::NoSuchTenant("nope".into()))
    );
    assert_eq!(
        saml.remove_idp(Some("nope"), "acme"),
        Err(SetupError::NoSuchTenant("nope".into()))
    );
    // Two IdPs with one entity ID: refused by the core, and nothing changed.
    let before = saml.identity_providers();
    let twin = saml.put_idp(
        None,
        idp_config(&TestIdp::acme(), "twin", IdpOptions::default()),
    );
    assert!(matches!(twin, Err(SetupError::Core { .. })), "{twin:?}");
    assert_eq!(saml.identity_providers(), before);
    let e = SignInError::ConnectionNotEnabled { slug: "w".into() };
    assert_eq!(e.code(), "connection_not_enabled");
    assert!(
        samlsp_actix::sign_in_error_codes()
            .iter()
            .any(|c| c.code == "connection_not_enabled")
    );
}

/// `idp_initiated_test_landing`: the IdP's own test button (an
/// IdP-initiated response) through a connection being set up is a test,
/// but only into a browser signed in here, landing where the option says;
/// a wrong one fails on its own check (not as unsolicited); an enabled
/// connection without `allow_idp_initiated` refuses it as before.
#[actix_web::test]
async fn idp_initiated_tests_reach_only_a_signed_in_browser() {
    let log = LogCapture::default();
    let _g = log.install();
    let mapper = Arc::new(Mapper::default());
    let saml = saml(mapper.clone());
    let app = app!(saml);
    let options = IdpOptions {
        test_only: true,
        idp_initiated_test_landing: Some("/tested".into()),
        ..IdpOptions::default()
    };
    saml.put_idp(None, idp_config(&wizard(), "wizard", options.clone()))
        .unwrap();
    let unsolicited = |name_id: &str, audience: &str| {
        let spec = ResponseSpec::new(audience, ACS, name_id).person(name_id, "Wiz", "Ard", &[]);
        acs_body(&wizard().response(&spec), Some("/evil"))
    };

    // Not signed in here: refused like any real sign-in, no report.
    let res = post_form(&app, "/saml/acs", unsolicited("w1", SP), None).await;
    assert_eq!(res.status(), 403);
    assert!(
        log.lines()
            .iter()
            .any(|l| l.contains("connection_not_enabled"))
    );

    // Signed in here (through another connection): a test.
    let (_, req) = login(&app, "idp=acme").await;
    let req = req.unwrap();
    let r = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "admin@acme.test").in_response_to(&req.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    let admin = cookie_pair(&set_cookie(&res, "id").unwrap());
    mapper.0.lock().unwrap().clear();

    // The wrong Audience fails as that, not as "unsolicited".
    log.clear();
    let res = post_form(
        &app,
        "/saml/acs",
        unsolicited("w2", "https://elsewhere.test/sp"),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(
        log.lines().iter().any(|l| l.contains("audience_mismatch")),
        "{:?}",
        log.lines()
    );

    let res = post_form(&app, "/saml/acs", unsolicited("w3", SP), Some(&admin)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/tested",
        "the option's path, not the RelayState"
    );
    let body = String::from_utf8(
        test::read_body(get(&app, "/tested", Some(&admin)).await)
            .await
            .to_vec(),
    )
    .unwrap();
    assert!(
        body.starts_with("wizard|https://wizard.test/saml|w3|"),
        "{body}"
    );
    assert!(mapper.0.lock().unwrap().is_empty(), "no user mapping");
    let me = get(&app, "/me", Some(&admin)).await;
    assert_eq!(
        String::from_utf8(test::read_body(me).await.to_vec()).unwrap(),
        "admin@acme.test",
        "the browser's own session is untouched"
    );

    // Enabled (no allow_idp_initiated): IdP-initiated is refused again.
    log.clear();
    let enabled = IdpOptions {
        test_only: false,
        ..options
    };
    saml.put_idp(None, idp_config(&wizard(), "wizard", enabled))
        .unwrap();
    let res = post_form(&app, "/saml/acs", unsolicited("w4", SP), Some(&admin)).await;
    assert_eq!(res.status(), 400);
    assert!(
        log.lines()
            .iter()
            .any(|l| l.contains("unsolicited_not_allowed"))
    );
}
