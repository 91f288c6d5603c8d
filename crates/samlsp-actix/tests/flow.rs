//! The SAML routes end to end, in-process: AuthnRequest out, signed
//! response in, session, extractor, and every refusal with its exact reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpResponse, test, web};
use common::*;
use samlsp::{Binding, EntityId, SpKeyPair, Url};
use samlsp_actix::{
    FAILED_TITLE, IdpConfig, IdpOptions, IdpSource, LinkedUser, MapError, MapFuture,
    MemorySessionStore, Refusal, Saml, SignedIn, SpSettings, TenantConfig, UserMapper,
    VerifiedLogin,
};

const SP: &str = "https://visit.test/saml/metadata";
const ACS: &str = "https://visit.test/saml/acs";
const TENANT_SP: &str = "https://visit.test/t/globex/saml/metadata";
const TENANT_ACS: &str = "https://visit.test/t/globex/saml/acs";

/// Maps NameID to user ID; refuses NameID `nobody@acme.test`. Records what
/// it saw.
#[derive(Default)]
struct TestMapper {
    seen: Mutex<Vec<(String, String, bool)>>,
}

impl UserMapper for TestMapper {
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a> {
        Box::pin(async move {
            let nid = login.assertion().name_id().value().to_owned();
            self.seen.lock().unwrap().push((
                login.idp_slug().to_owned(),
                nid.clone(),
                login.idp_initiated(),
            ));
            if nid == "nobody@acme.test" {
                return Err(MapError::Refused(Refusal {
                    code: "not_provisioned",
                    title: "No account".into(),
                    message: "Ask your administrator for access.".into(),
                }));
            }
            Ok(LinkedUser {
                user_id: format!("u:{nid}"),
                display_name: nid,
            })
        })
    }
}

fn sp_key() -> SpKeyPair {
    SpKeyPair::from_pem(
        &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.key"),
        &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.crt"),
    )
    .unwrap()
}

fn idp_config(idp: &TestIdp, slug: &str, options: IdpOptions) -> IdpConfig {
    IdpConfig {
        slug: slug.into(),
        display_name: format!("{slug} corp"),
        source: IdpSource::Static(idp.identity_provider()),
        options,
    }
}

/// Default tenant: acme (Redirect, no IdP-initiated) and globex (POST,
/// IdP-initiated allowed). Tenant `globex`: its own SP with globex.
fn saml(mapper: Arc<TestMapper>) -> Saml {
    Saml::builder(mapper)
        .tenant(TenantConfig {
            slug: None,
            sp: SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap())
                .signing_key(sp_key()),
            idps: vec![
                idp_config(&TestIdp::acme(), "acme", IdpOptions::default()),
                idp_config(
                    &TestIdp::globex(),
                    "globex",
                    IdpOptions {
                        allow_idp_initiated: true,
                        binding: Some(Binding::HttpPost),
                        ..IdpOptions::default()
                    },
                ),
            ],
        })
        .tenant(TenantConfig {
            slug: Some("globex".into()),
            sp: SpSettings::new(
                EntityId::new(TENANT_SP).unwrap(),
                Url::new(TENANT_ACS).unwrap(),
            ),
            idps: vec![idp_config(
                &TestIdp::globex(),
                "globex",
                IdpOptions::default(),
            )],
        })
        .sign_in_path("/signin")
        .build()
        .unwrap()
}

async fn me(user: SignedIn) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{}|{}|{}",
        user.user_id(),
        user.idp_slug(),
        user.name_id()
    ))
}

async fn logout(session: actix_session::Session) -> HttpResponse {
    samlsp_actix::sign_out(&session);
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

async fn mark(session: actix_session::Session) -> HttpResponse {
    session.insert("pre_login_marker", "x").unwrap();
    HttpResponse::Ok().finish()
}

async fn read_mark(session: actix_session::Session) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        "{}",
        session.get::<String>("pre_login_marker").unwrap().is_some()
    ))
}

macro_rules! app {
    ($saml:expr) => {{
        let settings = session_settings("https://visit.test");
        test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(samlsp_actix::configure($saml.clone()))
                .route("/me", web::get().to(me))
                .route("/logout", web::post().to(logout))
                .route("/mark", web::post().to(mark))
                .route("/read-mark", web::get().to(read_mark)),
        )
        .await
    }};
}

async fn body_of(res: ServiceResponse) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

async fn login<S>(app: &S, query: &str) -> SentRequest
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = test::call_service(
        app,
        test::TestRequest::get()
            .uri(&format!("/saml/login?{query}"))
            .to_request(),
    )
    .await;
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

/// Asserts the fixed failure page and returns the matching log line.
async fn assert_failed(res: ServiceResponse, log: &LogCapture, status: u16, kind: &str) -> String {
    assert_eq!(res.status(), status);
    assert!(set_cookie(&res, "id").is_none(), "no session on failure");
    let body = body_of(res).await;
    assert!(body.contains(FAILED_TITLE), "{body}");
    let reference = page_reference(&body);
    let line = log.failure(&reference);
    assert!(line.contains(&format!("kind={kind}")), "{line}");
    // The page says nothing about why.
    assert!(!body.contains(kind) && !body.contains("SAML:"), "{body}");
    line
}

#[actix_web::test]
async fn sp_initiated_redirect_binding_signs_in() {
    let log = LogCapture::default();
    let _g = log.install();
    let mapper = Arc::new(TestMapper::default());
    let saml = saml(mapper.clone());
    let app = app!(saml);
    let idp = TestIdp::acme();

    let req = login(&app, "idp=acme&return_to=/me%3Fx%3D1").await;
    assert_eq!(req.destination, idp.sso_url);
    assert!(req.signed, "AuthnRequest signed with the SP key");
    assert_eq!(req.relay_state.len(), 27, "an opaque token, not the path");
    assert!(
        req.xml
            .contains(&format!("AssertionConsumerServiceURL=\"{ACS}\""))
    );

    let r = idp.response(
        &ResponseSpec::new(SP, ACS, "alice@acme.test")
            .in_response_to(&req.id)
            .person("alice@acme.test", "Alice", "Tester", &["staff"]),
    );
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/me?x=1");
    let cookie = set_cookie(&res, "id").expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");

    let res = get(&app, "/me", Some(&cookie_pair(&cookie))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(body_of(res).await, "u:alice@acme.test|acme|alice@acme.test");
    assert_eq!(
        mapper.seen.lock().unwrap().as_slice(),
        &[("acme".to_owned(), "alice@acme.test".to_owned(), false)]
    );
    // The log has the sign-in, and never the assertion.
    let all = log.lines().join("\n");
    assert!(all.contains("signed in"), "{all}");
    assert!(
        !all.contains("Assertion") && !all.contains(&r[..40]),
        "{all}"
    );
}

#[actix_web::test]
async fn sp_initiated_post_binding_signs_in() {
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let res = get(&app, "/saml/login?idp=globex", None).await;
    assert_eq!(res.status(), 200);
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action https://idp.globex.test;"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    let req = login(&app, "idp=globex").await;
    assert_eq!(req.destination, TestIdp::globex().sso_url);
    assert!(req.signed, "enveloped signature in the POSTed request");

    let r = TestIdp::globex().response(
        &ResponseSpec::new(SP, ACS, "G-1234")
            .format(NAMEID_PERSISTENT)
            .in_response_to(&req.id),
    );
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
}

#[actix_web::test]
async fn idp_initiated_accepted_only_when_configured() {
    let log = LogCapture::default();
    let _g = log.install();
    let mapper = Arc::new(TestMapper::default());
    let saml = saml(mapper.clone());
    let app = app!(saml);

    // globex allows it.
    let r =
        TestIdp::globex().response(&ResponseSpec::new(SP, ACS, "G-9").format(NAMEID_PERSISTENT));
    let res = post_form(&app, "/saml/acs", acs_body(&r, Some("/me")), None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/me");
    assert!(mapper.seen.lock().unwrap()[0].2, "marked IdP-initiated");

    // acme does not.
    let r = TestIdp::acme().response(&ResponseSpec::new(SP, ACS, "alice@acme.test"));
    let res = post_form(&app, "/saml/acs", acs_body(&r, Some("/me")), None).await;
    assert_failed(res, &log, 400, "unsolicited_not_allowed").await;
    assert_eq!(mapper.seen.lock().unwrap().len(), 1, "mapper never ran");
}

#[actix_web::test]
async fn replay_refused() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);

    // SP-initiated: the second post finds no pending request.
    let req = login(&app, "idp=acme").await;
    let r = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "bob@acme.test").in_response_to(&req.id));
    let body = acs_body(&r, Some(&req.relay_state));
    let cookie = req.cookie();
    assert_eq!(
        post_form(&app, "/saml/acs", body.clone(), cookie.as_deref())
            .await
            .status(),
        303
    );
    let res = post_form(&app, "/saml/acs", body, cookie.as_deref()).await;
    assert_failed(res, &log, 400, "in_response_to").await;

    // IdP-initiated: the replay cache catches the second use.
    let r =
        TestIdp::globex().response(&ResponseSpec::new(SP, ACS, "G-1").format(NAMEID_PERSISTENT));
    let body = acs_body(&r, None);
    assert_eq!(
        post_form(&app, "/saml/acs", body.clone(), None)
            .await
            .status(),
        303
    );
    let res = post_form(&app, "/saml/acs", body, None).await;
    let line = assert_failed(res, &log, 400, "replay").await;
    assert!(line.contains("already used"), "{line}");

    // The same assertion ID in a freshly signed Response.
    let spec = ResponseSpec::new(SP, ACS, "G-2")
        .format(NAMEID_PERSISTENT)
        .assertion_id("_fixed-assertion-id");
    let first = TestIdp::globex().response(&spec);
    let second = TestIdp::globex().response(&spec);
    assert_ne!(first, second, "different Response IDs");
    assert_eq!(
        post_form(&app, "/saml/acs", acs_body(&first, None), None)
            .await
            .status(),
        303
    );
    let res = post_form(&app, "/saml/acs", acs_body(&second, None), None).await;
    assert_failed(res, &log, 400, "replay").await;
}

#[actix_web::test]
async fn relay_state_open_redirect_refused() {
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let evil = [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        "/%0d%0aLocation:%20https://evil.example",
        "https://visit.test@evil.example",
    ];
    for e in evil {
        // SP-initiated: return_to is ignored, the default path is used.
        let req = login(
            &app,
            &format!(
                "idp=acme&return_to={}",
                samlsp::internal::binding::url_encode(e)
            ),
        )
        .await;
        let r = TestIdp::acme()
            .response(&ResponseSpec::new(SP, ACS, "a@acme.test").in_response_to(&req.id));
        let res = post_form(
            &app,
            "/saml/acs",
            acs_body(&r, Some(&req.relay_state)),
            req.cookie().as_deref(),
        )
        .await;
        assert_eq!(res.status(), 303, "{e}");
        assert_eq!(location(&res), "/", "{e}");

        // IdP-initiated: the RelayState is not followed.
        let r = TestIdp::globex()
            .response(&ResponseSpec::new(SP, ACS, "G-7").format(NAMEID_PERSISTENT));
        let res = post_form(&app, "/saml/acs", acs_body(&r, Some(e)), None).await;
        assert_eq!(res.status(), 303, "{e}");
        assert_eq!(location(&res), "/", "{e}");
    }
}

#[actix_web::test]
async fn wrong_idp_response_refused() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);

    // Request to acme, answer from globex (validly signed by globex).
    let req = login(&app, "idp=acme").await;
    let r = TestIdp::globex().response(&ResponseSpec::new(SP, ACS, "G-1").in_response_to(&req.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    let line = assert_failed(res, &log, 400, "issuer_mismatch").await;
    assert!(line.contains("idp.globex.test"), "{line}");

    // Claims to be acme, signed with another key.
    let req = login(&app, "idp=acme").await;
    let r = TestIdp::acme_impostor()
        .response(&ResponseSpec::new(SP, ACS, "admin@acme.test").in_response_to(&req.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_failed(res, &log, 400, "signature").await;

    // Globex's tenant does not accept a response meant for the default SP.
    let r =
        TestIdp::globex().response(&ResponseSpec::new(SP, ACS, "G-1").format(NAMEID_PERSISTENT));
    let res = post_form(&app, "/t/globex/saml/acs", acs_body(&r, None), None).await;
    assert_failed(res, &log, 400, "destination").await;
}

#[actix_web::test]
async fn refusal_by_the_app_is_a_clear_page() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let req = login(&app, "idp=acme").await;
    let r = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "nobody@acme.test").in_response_to(&req.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 403);
    let body = body_of(res).await;
    assert!(
        body.contains("No account") && body.contains("Ask your administrator"),
        "{body}"
    );
    let line = log.failure(&page_reference(&body));
    assert!(
        line.contains("kind=refused") && line.contains("not_provisioned"),
        "{line}"
    );
}

#[actix_web::test]
async fn unknown_idp_and_malformed_posts_refused() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let res = get(&app, "/saml/login?idp=initech", None).await;
    assert_failed(res, &log, 400, "unknown_idp").await;
    let res = get(&app, "/saml/login", None).await;
    assert_failed(res, &log, 400, "idp_not_chosen").await;
    let res = post_form(&app, "/saml/acs", "RelayState=x".into(), None).await;
    assert_failed(res, &log, 400, "malformed_request").await;
    let res = post_form(
        &app,
        "/saml/acs",
        "SAMLResponse=a&SAMLResponse=b".into(),
        None,
    )
    .await;
    assert_failed(res, &log, 400, "malformed_request").await;
    let res = post_form(
        &app,
        "/saml/acs",
        "SAMLResponse=bm90IHhtbA%3D%3D".into(),
        None,
    )
    .await;
    assert_failed(res, &log, 400, "xml").await;
}

#[actix_web::test]
async fn session_renewed_on_login_and_purged_on_logout() {
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);

    // An anonymous session with some state.
    let res = test::call_service(&app, test::TestRequest::post().uri("/mark").to_request()).await;
    let anon = cookie_pair(&set_cookie(&res, "id").unwrap());
    assert_eq!(
        body_of(get(&app, "/read-mark", Some(&anon)).await).await,
        "true"
    );

    let req = login(&app, "idp=acme").await;
    let r = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "c@acme.test").in_response_to(&req.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie_with(Some(&anon)).as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    let user = cookie_pair(&set_cookie(&res, "id").unwrap());
    assert_ne!(user, anon, "new session key at sign-in");
    // The old key is dead and the new session carries nothing from before.
    assert_eq!(
        body_of(get(&app, "/read-mark", Some(&anon)).await).await,
        "false"
    );
    assert_eq!(
        body_of(get(&app, "/read-mark", Some(&user)).await).await,
        "false"
    );
    assert_eq!(get(&app, "/me", Some(&user)).await.status(), 200);

    // Logout: cookie removed and the server-side state gone.
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/logout")
            .insert_header((header::COOKIE, user.as_str()))
            .to_request(),
    )
    .await;
    let removal = set_cookie(&res, "id").unwrap();
    assert!(
        removal.starts_with("id=;") || removal.contains("Max-Age=0"),
        "{removal}"
    );
    let res = get(&app, "/me", Some(&user)).await;
    assert_eq!(res.status(), 303, "the old cookie no longer signs in");
    assert_eq!(location(&res), "/signin?return_to=%2Fme");
}

#[actix_web::test]
async fn extractor_redirects_anonymous_visitors() {
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let res = get(&app, "/me?tab=2", None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/signin?return_to=%2Fme%3Ftab%3D2");
    let res = test::call_service(&app, test::TestRequest::post().uri("/me").to_request()).await;
    assert_eq!(res.status(), 404, "only GET is routed");
}

#[actix_web::test]
async fn metadata_per_tenant() {
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let res = get(&app, "/saml/metadata", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/samlmetadata+xml"
    );
    let body = body_of(res).await;
    assert!(body.contains(&format!("entityID=\"{SP}\"")), "{body}");
    assert!(body.contains(&format!("Location=\"{ACS}\"")), "{body}");
    assert!(body.contains("AuthnRequestsSigned=\"true\""), "{body}");
    let body = body_of(get(&app, "/t/globex/saml/metadata", None).await).await;
    assert!(
        body.contains(&format!("entityID=\"{TENANT_SP}\"")),
        "{body}"
    );
    assert!(
        body.contains(&format!("Location=\"{TENANT_ACS}\"")),
        "{body}"
    );

    // The tenant's own login and ACS work with its own SP.
    let res = get(&app, "/t/globex/saml/login", None).await;
    assert_eq!(
        res.status(),
        302,
        "single IdP: no ?idp= needed; Redirect by default"
    );
}

/// The binding cookie `/saml/login` sets: `__Host-` prefixed (so `Secure`,
/// `Path=/` and no `Domain`), `HttpOnly`, `SameSite=None` (the IdP's POST is
/// cross-site), living as long as the pending request, 256 random bits.
#[actix_web::test]
async fn login_sets_a_host_prefixed_binding_cookie() {
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    for query in ["idp=acme", "idp=globex"] {
        let res = get(&app, &format!("/saml/login?{query}"), None).await;
        let c = set_cookie_prefixed(&res, "__Host-samlsp-").expect("a binding cookie");
        let attrs: Vec<&str> = c.split(';').map(str::trim).collect();
        let lifetime = saml
            .service_provider(None)
            .unwrap()
            .request_lifetime()
            .num_seconds();
        for want in [
            "HttpOnly".to_owned(),
            "Secure".to_owned(),
            "SameSite=None".to_owned(),
            "Path=/".to_owned(),
            format!("Max-Age={lifetime}"),
        ] {
            assert!(attrs.contains(&want.as_str()), "{want} missing: {c}");
        }
        assert!(!c.to_ascii_lowercase().contains("domain="), "{c}");
        let value = cookie_pair(&c).split_once('=').unwrap().1.to_owned();
        let secret = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            value.as_bytes(),
        )
        .unwrap();
        assert_eq!(secret.len(), 32);
    }
}

/// A response posted to the ACS without the cookie of the browser that
/// started the login (the victim's browser in a login CSRF) is refused, and
/// the pending request is not used up.
#[actix_web::test]
async fn response_without_the_binding_cookie_refused() {
    let log = LogCapture::default();
    let _g = log.install();
    let mapper = Arc::new(TestMapper::default());
    let saml = saml(mapper.clone());
    let app = app!(saml);
    let req = login(&app, "idp=acme").await;
    let r = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "mallory@acme.test").in_response_to(&req.id));
    let body = acs_body(&r, Some(&req.relay_state));
    let res = post_form(&app, "/saml/acs", body.clone(), None).await;
    let line = assert_failed(res, &log, 400, "browser_mismatch").await;
    assert!(line.contains("no binding cookie"), "{line}");
    // Also with the victim's own session cookie and other logins' cookies.
    let other = login(&app, "idp=acme").await;
    let res = post_form(&app, "/saml/acs", body.clone(), other.cookie().as_deref()).await;
    assert_failed(res, &log, 400, "browser_mismatch").await;
    assert!(mapper.seen.lock().unwrap().is_empty(), "never verified");

    // The browser that started it still signs in with it, and the cookie is
    // then removed.
    let res = post_form(&app, "/saml/acs", body, req.cookie().as_deref()).await;
    assert_eq!(res.status(), 303);
    let name = req
        .binding_cookie
        .as_deref()
        .unwrap()
        .split('=')
        .next()
        .unwrap();
    let removal = set_cookie(&res, name).expect("binding cookie removed");
    assert!(removal.contains("Max-Age=0"), "{removal}");
}

/// Another browser presenting its own secret under the victim's cookie name
/// is refused; the victim's pending request stays usable.
#[actix_web::test]
async fn response_with_another_browsers_cookie_refused_and_victim_request_kept() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let victim = login(&app, "idp=acme").await;
    let attacker = login(&app, "idp=acme").await;
    let victim_cookie = victim.binding_cookie.clone().unwrap();
    let (victim_name, _) = victim_cookie.split_once('=').unwrap();
    let (_, attacker_secret) = attacker
        .binding_cookie
        .as_deref()
        .unwrap()
        .split_once('=')
        .unwrap();
    let forged = format!("{victim_name}={attacker_secret}");

    let r = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "mallory@acme.test").in_response_to(&victim.id));
    let body = acs_body(&r, Some(&victim.relay_state));
    let res = post_form(&app, "/saml/acs", body.clone(), Some(&forged)).await;
    let line = assert_failed(res, &log, 400, "browser_mismatch").await;
    assert!(line.contains("another login"), "{line}");
    let res = post_form(
        &app,
        "/saml/acs",
        body.clone(),
        Some(&format!("{victim_name}=AAAA")),
    )
    .await;
    assert_failed(res, &log, 400, "browser_mismatch").await;

    // The attacker's own response, posted from the victim's browser (which
    // holds only the victim's cookie): refused too.
    let ra = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "mallory@acme.test").in_response_to(&attacker.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&ra, Some(&attacker.relay_state)),
        Some(&victim_cookie),
    )
    .await;
    assert_failed(res, &log, 400, "browser_mismatch").await;

    // The victim's own login still completes.
    let res = post_form(&app, "/saml/acs", body, Some(&victim_cookie)).await;
    assert_eq!(res.status(), 303);
    let user = cookie_pair(&set_cookie(&res, "id").unwrap());
    assert_eq!(
        body_of(get(&app, "/me", Some(&user)).await).await,
        "u:mallory@acme.test|acme|mallory@acme.test"
    );
}

/// Two logins started in one browser (two tabs) each complete, in either
/// order: one cookie per RelayState.
#[actix_web::test]
async fn two_parallel_logins_in_one_browser() {
    let saml = saml(Arc::new(TestMapper::default()));
    let app = app!(saml);
    let first = login(&app, "idp=acme").await;
    let second = login(&app, "idp=globex").await;
    assert_ne!(first.binding_cookie, second.binding_cookie);
    let jar = first.cookie_with(second.cookie().as_deref()).unwrap();

    let r2 = TestIdp::globex().response(
        &ResponseSpec::new(SP, ACS, "G-2")
            .format(NAMEID_PERSISTENT)
            .in_response_to(&second.id),
    );
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r2, Some(&second.relay_state)),
        Some(&jar),
    )
    .await;
    assert_eq!(res.status(), 303);
    let r1 = TestIdp::acme()
        .response(&ResponseSpec::new(SP, ACS, "a@acme.test").in_response_to(&first.id));
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r1, Some(&first.relay_state)),
        Some(&jar),
    )
    .await;
    assert_eq!(res.status(), 303);
}

/// A request store whose next `take` (called by the core inside
/// verification) waits until the test releases it: a verification held in
/// flight without timing assumptions.
struct HoldingStore {
    inner: samlsp::MemoryRequestStore,
    hold: Mutex<
        Option<(
            tokio::sync::oneshot::Sender<()>,
            std::sync::mpsc::Receiver<()>,
        )>,
    >,
}

impl samlsp::RequestStore for HoldingStore {
    fn insert(
        &self,
        request: samlsp::PendingRequest,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), samlsp::TrackingError> {
        self.inner.insert(request, now)
    }
    fn peek(
        &self,
        relay_state: &samlsp::RelayStateToken,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<samlsp::PendingRequest>, samlsp::TrackingError> {
        self.inner.peek(relay_state, now)
    }
    fn take(
        &self,
        relay_state: &samlsp::RelayStateToken,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<samlsp::PendingRequest>, samlsp::TrackingError> {
        let held = self.hold.lock().unwrap().take();
        if let Some((entered, release)) = held {
            let _ = entered.send(());
            // A deadline, not a sleep: the test releases it at once.
            let _ = release.recv_timeout(std::time::Duration::from_secs(60));
        }
        self.inner.take(relay_state, now)
    }
}

/// Verification runs off the worker thread with a bounded number in flight:
/// with the bound at 1 and one verification held, a second response gets
/// 503 with Retry-After at once (its request still pending), and other
/// routes keep answering.
#[actix_web::test]
async fn verification_is_bounded_and_off_the_worker() {
    let log = LogCapture::default();
    let _g = log.install();
    let (entered_tx, entered_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel();
    let store = Arc::new(HoldingStore {
        inner: samlsp::MemoryRequestStore::default(),
        hold: Mutex::new(Some((entered_tx, release_rx))),
    });
    let saml = Saml::builder(Arc::new(TestMapper::default()))
        .tenant(TenantConfig {
            slug: None,
            sp: SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap()),
            idps: vec![idp_config(&TestIdp::acme(), "acme", IdpOptions::default())],
        })
        .request_store(store)
        .max_concurrent_verifications(1)
        .build()
        .unwrap();
    let settings = session_settings("https://visit.test");
    let app = std::rc::Rc::new(
        test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(samlsp_actix::configure(saml.clone()))
                .route("/healthz", web::get().to(|| async { "ok" })),
        )
        .await,
    );
    let round = |who: &str| {
        let who = who.to_owned();
        let app = app.clone();
        async move {
            let req = login(&*app, "").await;
            let r =
                TestIdp::acme().response(&ResponseSpec::new(SP, ACS, &who).in_response_to(&req.id));
            (acs_body(&r, Some(&req.relay_state)), req.cookie().unwrap())
        }
    };
    let (first_body, first_cookie) = round("a@acme.test").await;
    let (second_body, second_cookie) = round("b@acme.test").await;

    let held = {
        let app = app.clone();
        actix_web::rt::spawn(async move {
            post_form(&*app, "/saml/acs", first_body, Some(&first_cookie))
                .await
                .status()
        })
    };
    actix_web::rt::time::timeout(std::time::Duration::from_secs(30), entered_rx)
        .await
        .expect("the first verification started")
        .unwrap();

    let res = post_form(
        &*app,
        "/saml/acs",
        second_body.clone(),
        Some(&second_cookie),
    )
    .await;
    assert_eq!(
        res.headers()
            .get(header::RETRY_AFTER)
            .unwrap()
            .to_str()
            .unwrap(),
        "1"
    );
    let line = assert_failed(res, &log, 503, "busy").await;
    assert!(line.contains("1 at a time"), "{line}");
    assert_eq!(get(&*app, "/healthz", None).await.status(), 200);
    assert_eq!(get(&*app, "/saml/metadata", None).await.status(), 200);

    release_tx.send(()).unwrap();
    assert_eq!(held.await.unwrap(), 303);
    // The refused response's request was still pending: a retry succeeds.
    let res = post_form(&*app, "/saml/acs", second_body, Some(&second_cookie)).await;
    assert_eq!(res.status(), 303);
}
