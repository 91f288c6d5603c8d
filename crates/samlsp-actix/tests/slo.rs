//! Single Logout through the routes, in-process: "Sign out" ends the local
//! session first and sends a signed LogoutRequest to the IdP; the IdP's
//! LogoutResponse lands on the signed-out page with the outcome; an IdP's
//! LogoutRequest ends the named sessions without any cookie, leaves every
//! other session alone, and every refusal ends nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpRequest, HttpResponse, test, web};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use common::*;
use samlsp::{
    Binding, EntityId, IdentityProvider, LogoutSubject, OsRandom, OutboundMessage, ServiceProvider,
    SpKeyPair, TrustedKeys, Url,
};
use samlsp_actix::{
    IdpConfig, IdpOptions, IdpSource, LinkedUser, MapFuture, MemorySessionStore, Saml,
    SessionSecret, SessionSettings, SignedIn, SpSettings, TenantConfig, UserMapper, VerifiedLogin,
};

const SP: &str = "https://visit.test/saml/metadata";
const ACS: &str = "https://visit.test/saml/acs";
const SLO: &str = "https://visit.test/saml/slo";

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

fn key(name: &str) -> SpKeyPair {
    SpKeyPair::from_pem(
        &samlsp_tests::read_repo_file(&format!("testdata/keys/{name}.key")),
        &samlsp_tests::read_repo_file(&format!("testdata/keys/{name}.crt")),
    )
    .unwrap()
}

/// Acme with SingleLogoutService endpoints (Redirect and POST); Globex
/// without any.
fn saml(clock: Arc<Mutex<DateTime<Utc>>>) -> Saml {
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
    Saml::builder(Arc::new(Mapper))
        .tenant(TenantConfig {
            slug: None,
            sp: SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap())
                .signing_key(key("sp-rsa2048")),
            idps: vec![
                config("acme", with_slo),
                config("globex", TestIdp::globex().identity_provider()),
            ],
        })
        .clock(Arc::new(move || *clock.lock().unwrap()))
        .build()
        .unwrap()
}

/// Acme's side of the protocol: this library configured as the IdP, with
/// Acme's key, sending to our SLO URL.
fn acme_side() -> ServiceProvider {
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

async fn me(user: SignedIn) -> HttpResponse {
    HttpResponse::Ok().body(user.user_id().to_owned())
}

async fn logout(req: HttpRequest, session: actix_session::Session) -> HttpResponse {
    samlsp_actix::start_logout(&req, &session)
}

macro_rules! app {
    ($saml:expr) => {{
        let settings = SessionSettings::for_site(
            SessionSecret::from_bytes(&(0u8..64).collect::<Vec<_>>()).unwrap(),
            "https://visit.test",
        );
        test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(samlsp_actix::configure($saml.clone()))
                .route("/me", web::get().to(me))
                .route("/logout", web::post().to(logout)),
        )
        .await
    }};
}

async fn body_of(res: ServiceResponse) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

/// `GET /saml/login?idp=<slug>`: the AuthnRequest as it left.
async fn start_login<S>(app: &S, slug: &str) -> SentRequest
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
async fn sign_in<S>(app: &S, idp: &TestIdp, slug: &str, name_id: &str, aid: &str) -> String
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

async fn signed_in<S>(app: &S, cookie: &str) -> bool
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

fn clock() -> Arc<Mutex<DateTime<Utc>>> {
    Arc::new(Mutex::new(Utc::now()))
}

#[actix_web::test]
async fn sign_out_ends_the_local_session_then_the_idps() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    assert!(signed_in(&app, &alice).await);

    let res = post_form(&app, "/logout", String::new(), Some(&alice)).await;
    assert_eq!(res.status(), 302);
    let to_idp = location(&res);
    assert!(
        to_idp.starts_with(&format!("{}?SAMLRequest=", TestIdp::acme().sso_url)),
        "{to_idp}"
    );
    // Ended here before the IdP answers (it may never).
    assert!(!signed_in(&app, &alice).await);

    // The IdP verifies our request, then answers.
    let acme = acme_side();
    let query = to_idp.split_once('?').unwrap().1;
    let now = Utc::now();
    let samlsp::ReceivedLogout::Request(request) = acme
        .receive_logout(
            samlsp::SloMessage::Redirect { query },
            now,
            &samlsp::MemoryRequestStore::default(),
            &samlsp::MemoryReplayCache::default(),
        )
        .unwrap()
    else {
        panic!("not a LogoutRequest")
    };
    assert_eq!(request.name_id().value(), "alice@acme.test");
    assert_eq!(request.name_id().format(), Some(NAMEID_EMAIL));
    assert_eq!(request.session_indexes(), ["sess-_a1".to_owned()]);
    let OutboundMessage::Redirect { url } = acme
        .logout_response(&request, samlsp::LogoutReply::Success, now, &OsRandom)
        .unwrap()
    else {
        panic!("answered by Redirect")
    };
    let path = format!("/saml/slo?{}", url.split_once('?').unwrap().1);
    let res = get(&app, &path, None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?logout=idp");

    // The pending logout was taken: the same answer again is refused.
    log.clear();
    let res = get(&app, &path, None).await;
    assert_eq!(location(&res), "/?logout=idp_failed");
    let all = log.lines().join("\n");
    assert!(all.contains("kind=unknown_logout_request"), "{all}");
}

#[actix_web::test]
async fn sign_out_is_local_when_the_idp_has_no_single_logout() {
    let saml = saml(clock());
    let app = app!(saml);
    let gina = sign_in(
        &app,
        &TestIdp::globex(),
        "globex",
        "gina@globex.test",
        "_g1",
    )
    .await;
    let res = post_form(&app, "/logout", String::new(), Some(&gina)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?logout=local");
    assert!(!signed_in(&app, &gina).await);
}

/// A LogoutRequest from Acme for `name_id`, as a form body (POST binding).
fn idp_logout_body(name_id: &str, session_index: Option<&str>) -> String {
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
async fn answered_status(res: ServiceResponse) -> String {
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

#[actix_web::test]
async fn an_idp_logout_ends_the_named_session_without_its_cookie_and_no_other() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    let alice2 = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a2").await;
    let bob = sign_in(&app, &TestIdp::acme(), "acme", "bob@acme.test", "_b1").await;

    // Server to server (Keycloak's back-channel logout): no cookie at all.
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("alice@acme.test", Some("sess-_a1")),
        None,
    )
    .await;
    let xml = answered_status(res).await;
    assert!(xml.contains("status:Success"), "{xml}");
    assert!(!signed_in(&app, &alice).await, "ended at its next request");
    assert!(
        signed_in(&app, &alice2).await,
        "another IdP session of hers"
    );
    assert!(signed_in(&app, &bob).await, "another person");

    // Without SessionIndex: every session of that NameID at that IdP.
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("alice@acme.test", None),
        None,
    )
    .await;
    assert!(answered_status(res).await.contains("status:Success"));
    assert!(!signed_in(&app, &alice2).await);
    assert!(signed_in(&app, &bob).await);
    let all = log.lines().join("\n");
    assert!(
        all.contains("IdP-initiated logout: sessions ended"),
        "{all}"
    );
}

#[actix_web::test]
async fn refused_idp_logouts_end_nothing() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let bob = sign_in(&app, &TestIdp::acme(), "acme", "bob@acme.test", "_b1").await;

    // A NameID never signed in here: answered UnknownPrincipal, logged.
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("mallory@acme.test", None),
        None,
    )
    .await;
    let xml = answered_status(res).await;
    assert!(xml.contains("status:UnknownPrincipal"), "{xml}");
    assert!(log.lines().join("\n").contains("kind=unknown_principal"));

    // Replayed: the fixed page, nothing ended.
    let body = idp_logout_body("bob@acme.test", Some("sess-other"));
    let _ = post_form(&app, "/saml/slo", body.clone(), None).await;
    log.clear();
    let res = post_form(&app, "/saml/slo", body, None).await;
    assert_refused(res, &log, "replay").await;

    // Unsigned: the same request with its signature cut out.
    let signed_body = idp_logout_body("bob@acme.test", None);
    let value = samlsp::internal::binding::url_decode(
        signed_body
            .split_once("SAMLRequest=")
            .unwrap()
            .1
            .split('&')
            .next()
            .unwrap(),
    )
    .unwrap();
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap(),
    )
    .unwrap();
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
    let body = format!(
        "SAMLRequest={}",
        samlsp::internal::binding::url_encode(
            &base64::engine::general_purpose::STANDARD.encode(unsigned)
        )
    );
    log.clear();
    let res = post_form(&app, "/saml/slo", body, None).await;
    assert_refused(res, &log, "not_signed").await;

    assert!(signed_in(&app, &bob).await, "bob was never logged out");
}

async fn assert_refused(res: ServiceResponse, log: &LogCapture, kind: &str) {
    assert_eq!(res.status(), 400);
    let body = body_of(res).await;
    assert!(body.contains(samlsp_actix::SIGN_OUT_FAILED_TITLE), "{body}");
    let line = log.failure(&page_reference(&body));
    assert!(line.contains(&format!("kind={kind}")), "{line}");
}

#[actix_web::test]
async fn session_not_on_or_after_caps_the_local_session() {
    let clock = clock();
    let saml = saml(clock.clone());
    let app = app!(saml);
    let acme = TestIdp::acme();
    let start = *clock.lock().unwrap();
    let req = start_login(&app, "acme").await;
    let mut spec = ResponseSpec::new(SP, ACS, "alice@acme.test").in_response_to(&req.id);
    spec.session_not_on_or_after = Some(start + Duration::minutes(10));
    let r = acme.response(&spec);
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    let alice = cookie_pair(&set_cookie(&res, "id").unwrap());
    *clock.lock().unwrap() = start + Duration::minutes(9);
    assert!(signed_in(&app, &alice).await);
    *clock.lock().unwrap() = start + Duration::minutes(10);
    assert!(
        !signed_in(&app, &alice).await,
        "the IdP's cap, not our 8 hours"
    );
}

#[actix_web::test]
async fn metadata_publishes_the_slo_url_for_both_bindings() {
    let saml = saml(clock());
    let app = app!(saml);
    let res = get(&app, "/saml/metadata", None).await;
    let md = body_of(res).await;
    for b in ["HTTP-Redirect", "HTTP-POST"] {
        assert!(
            md.contains(&format!(
                "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:{b}\" Location=\"{SLO}\""
            )),
            "{md}"
        );
    }
}

/// Percent-encoding with lower-case hex (`%2f`), as Entra ID and ADFS write it.
fn lower(s: &str) -> String {
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

#[actix_web::test]
async fn a_redirect_logout_request_is_verified_over_the_query_as_received() {
    let saml = saml(clock());
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    // Acme's Redirect LogoutRequest, re-encoded in lower case and signed over those
    // octets, as an IdP that writes `%2f` does.
    let subject = LogoutSubject::new("alice@acme.test", Some(NAMEID_EMAIL.into()));
    let p = acme_side()
        .logout_request(
            &EntityId::new(SP).unwrap(),
            &subject,
            Some(Binding::HttpRedirect),
            None,
            Utc::now(),
            &OsRandom,
        )
        .unwrap();
    let OutboundMessage::Redirect { url } = p.message() else {
        panic!()
    };
    let query = url.split_once('?').unwrap().1;
    let value = |name: &str| {
        let raw = query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap();
        samlsp::internal::binding::url_decode(raw).unwrap()
    };
    let mut q = format!(
        "SAMLRequest={}&RelayState={}&SigAlg={}",
        lower(&value("SAMLRequest")),
        lower(&value("RelayState")),
        lower("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    );
    assert!(q.contains("%2f") || q.contains("%2b"), "{q}");
    let key = openssl::pkey::PKey::private_key_from_pem(&samlsp_tests::read_repo_file(
        "testdata/keys/idp-rsa2048.key",
    ))
    .unwrap();
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    let sig = signer.sign_oneshot_to_vec(q.as_bytes()).unwrap();
    q.push_str(&format!(
        "&Signature={}",
        lower(&base64::engine::general_purpose::STANDARD.encode(sig))
    ));

    // Re-encoded in upper case, the same values are other octets: refused, nothing ended.
    let res = get(
        &app,
        &format!(
            "/saml/slo?{}",
            q.replace("%2f", "%2F").replace("%2b", "%2B")
        ),
        None,
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(signed_in(&app, &alice).await);

    let res = get(&app, &format!("/saml/slo?{q}"), None).await;
    assert_eq!(
        res.status(),
        302,
        "answered with a LogoutResponse by Redirect"
    );
    assert!(location(&res).contains("SAMLResponse="));
    assert!(!signed_in(&app, &alice).await);
}
