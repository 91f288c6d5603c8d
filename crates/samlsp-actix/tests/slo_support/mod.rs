//! Shared by the Single Logout suites (`slo.rs`, `slo_idp.rs`): the app with
//! an Acme IdP that has SingleLogoutService endpoints and a Globex one
//! without, Acme's side of the protocol (this library configured as the
//! IdP, with Acme's test key), and the steps a browser takes.
#![allow(
    dead_code,
    unused_imports,
    unused_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub use std::sync::{Arc, Mutex};

use crate::common::*;
pub use actix_web::dev::{Service, ServiceResponse};
pub use actix_web::{App, HttpRequest, HttpResponse, test, web};
pub use base64::Engine;
pub use chrono::{DateTime, Duration, Utc};
pub use samlsp::{
    Binding, EntityId, IdentityProvider, LogoutSubject, OsRandom, OutboundMessage, ServiceProvider,
    SpKeyPair, TrustedKeys, Url,
};
pub use samlsp_actix::{
    IdpConfig, IdpOptions, IdpSource, LinkedUser, MapFuture, MemorySessionStore, Saml,
    SessionSecret, SessionSettings, SignedIn, SpSettings, TenantConfig, UserMapper, VerifiedLogin,
};

pub const SP: &str = "https://visit.test/saml/metadata";
pub const ACS: &str = "https://visit.test/saml/acs";
pub const SLO: &str = "https://visit.test/saml/slo";

pub struct Mapper;

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

pub fn key(name: &str) -> SpKeyPair {
    SpKeyPair::from_pem(
        &samlsp_tests::read_repo_file(&format!("testdata/keys/{name}.key")),
        &samlsp_tests::read_repo_file(&format!("testdata/keys/{name}.crt")),
    )
    .unwrap()
}

/// Acme with SingleLogoutService endpoints (Redirect and POST); Globex
/// without any.
pub fn saml(clock: Arc<Mutex<DateTime<Utc>>>) -> Saml {
    saml_observed(clock, None, None)
}

/// [`saml`], with a sign-in observer and another request store.
pub fn saml_observed(
    clock: Arc<Mutex<DateTime<Utc>>>,
    observer: Option<Arc<dyn samlsp_actix::SignInObserver>>,
    requests: Option<Arc<dyn samlsp::RequestStore>>,
) -> Saml {
    let acme = TestIdp::acme();
    let with_slo = acme
        .identity_provider()
        .slo_endpoint(Binding::HttpRedirect, Url::new(&acme.sso_url).unwrap())
        .slo_endpoint(Binding::HttpPost, Url::new(&acme.sso_url).unwrap());
    let config = |slug: &str, idp: IdentityProvider| IdpConfig {
        slug: slug.into(),
        display_name: slug.into(),
        source: IdpSource::Static(idp),
        options: IdpOptions::default(),
    };
    let mut b = Saml::builder(Arc::new(Mapper))
        .tenant(TenantConfig {
            slug: None,
            sp: SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap())
                .signing_key(key("sp-rsa2048")),
            idps: vec![
                config("acme", with_slo),
                config("globex", TestIdp::globex().identity_provider()),
            ],
        })
        .clock(Arc::new(move || *clock.lock().unwrap()));
    if let Some(o) = observer {
        b = b.observer(o);
    }
    if let Some(r) = requests {
        b = b.request_store(r);
    }
    b.build().unwrap()
}

/// Acme's side of the protocol: this library configured as the IdP, with
/// Acme's key, sending to our SLO URL.
pub fn acme_side() -> ServiceProvider {
    let acme = TestIdp::acme();
    let us = IdentityProvider::new(
        EntityId::new(SP).unwrap(),
        TrustedKeys::from_certificate_pem(&samlsp_tests::read_repo_file(
            "testdata/keys/sp-rsa2048.crt",
        ))
        .unwrap(),
    )
    .unwrap()
    .slo_endpoint(Binding::HttpRedirect, Url::new(SLO).unwrap())
    .slo_endpoint(Binding::HttpPost, Url::new(SLO).unwrap());
    ServiceProvider::builder(EntityId::new(&acme.entity_id).unwrap())
        .acs_url(Url::new("https://idp.acme.test/unused").unwrap())
        .slo_url(Binding::HttpRedirect, Url::new(&acme.sso_url).unwrap())
        .slo_url(Binding::HttpPost, Url::new(&acme.sso_url).unwrap())
        .signing_key(key("idp-rsa2048"))
        .idp(us)
        .build()
        .unwrap()
}

pub async fn me(user: SignedIn) -> HttpResponse {
    HttpResponse::Ok().body(user.user_id().to_owned())
}

pub async fn logout(req: HttpRequest, session: actix_session::Session) -> HttpResponse {
    samlsp_actix::start_logout(&req, &session)
}

#[macro_export]
macro_rules! app {
    ($saml:expr) => {{
        let settings = session_settings("https://visit.test");
        actix_web::test::init_service(
            actix_web::App::new()
                .wrap(settings.middleware(samlsp_actix::MemorySessionStore::default()))
                .configure(samlsp_actix::configure($saml.clone()))
                .route("/me", actix_web::web::get().to(me))
                .route("/logout", actix_web::web::post().to(logout)),
        )
        .await
    }};
}

pub async fn body_of(res: ServiceResponse) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

/// `GET /saml/login?idp=<slug>`: the AuthnRequest as it left.
pub async fn start_login<S>(app: &S, slug: &str) -> SentRequest
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = get(app, &format!("/saml/login?idp={slug}"), None).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = body_of(res).await;
    let view = test::TestRequest::default().to_srv_response({
        let mut r = HttpResponse::build(status);
        for (k, v) in headers.iter() {
            r.insert_header((k.clone(), v.clone()));
        }
        r.finish()
    });
    sent_request(&view, &body)
}

/// Signs `name_id` in at `idp` (SP-initiated); returns the session cookie.
/// The assertion ID is `aid`, so the SessionIndex is `sess-{aid}`.
pub async fn sign_in<S>(app: &S, idp: &TestIdp, slug: &str, name_id: &str, aid: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = start_login(app, slug).await;
    let r = idp.response(
        &ResponseSpec::new(SP, ACS, name_id)
            .in_response_to(&req.id)
            .assertion_id(aid),
    );
    let res = post_form(
        app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    cookie_pair(&set_cookie(&res, "id").unwrap())
}

pub async fn signed_in<S>(app: &S, cookie: &str) -> bool
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = get(app, "/me", Some(cookie)).await;
    match res.status().as_u16() {
        200 => true,
        303 => false,
        s => panic!("/me answered {s}"),
    }
}

pub fn clock() -> Arc<Mutex<DateTime<Utc>>> {
    Arc::new(Mutex::new(Utc::now()))
}

/// A LogoutRequest from Acme for `name_id`, as a form body (POST binding).
pub fn idp_logout_body(name_id: &str, session_index: Option<&str>) -> String {
    let subject = LogoutSubject::new(name_id, Some(NAMEID_EMAIL.into()))
        .session_index(session_index.map(str::to_owned));
    let p = acme_side()
        .logout_request(
            &EntityId::new(SP).unwrap(),
            &subject,
            Some(Binding::HttpPost),
            None,
            Utc::now(),
            &OsRandom,
        )
        .unwrap();
    let OutboundMessage::Post(form) = p.message() else {
        panic!()
    };
    form.fields()
        .iter()
        .map(|(k, v)| format!("{k}={}", samlsp::internal::binding::url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The status codes of the LogoutResponse form we answered with.
pub async fn answered_status(res: ServiceResponse) -> String {
    assert_eq!(res.status(), 200);
    let body = body_of(res).await;
    let start = body.find("name=\"SAMLResponse\" value=\"").unwrap() + 27;
    let value = &body[start..];
    let value = &value[..value.find('"').unwrap()];
    let xml = base64::engine::general_purpose::STANDARD
        .decode(
            value
                .replace("&#x2B;", "+")
                .replace("&#x2F;", "/")
                .replace("&#x3D;", "="),
        )
        .unwrap();
    let xml = String::from_utf8(xml).unwrap();
    assert!(xml.contains("<ds:Signature"), "signed: {xml}");
    xml
}

pub async fn assert_refused(res: ServiceResponse, log: &LogCapture, kind: &str) {
    assert_eq!(res.status(), 400);
    let body = body_of(res).await;
    assert!(body.contains(samlsp_actix::SIGN_OUT_FAILED_TITLE), "{body}");
    let line = log.failure(&page_reference(&body));
    assert!(line.contains(&format!("kind={kind}")), "{line}");
}

/// Percent-encoding with lower-case hex (`%2f`), as Entra ID and ADFS write it.
pub fn lower(s: &str) -> String {
    samlsp::internal::binding::url_encode(s)
        .split('%')
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                p.to_owned()
            } else {
                format!("%{}{}", p[..2].to_ascii_lowercase(), &p[2..])
            }
        })
        .collect()
}
