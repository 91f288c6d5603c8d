//! The demo app end to end, in-process: sign-in (SP- and IdP-initiated)
//! through signed test responses, just-in-time creation and linking with
//! every refusal, sessions, CSRF, the host directory and visitor
//! pre-registration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../../crates/samlsp-actix/tests/common/mod.rs"]
mod common;

use std::path::Path;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpResponse, test};
use chrono::Utc;
use common::*;
use samlsp_actix::{MemorySessionStore, SessionSecret, SessionSettings};
use samlsp_visitor::config::Config;
use samlsp_visitor::store::{self, NewUser};
use samlsp_visitor::{AppState, configure};

const SP: &str = "http://127.0.0.1:8080/saml/metadata";
const ACS: &str = "http://127.0.0.1:8080/saml/acs";
const ACME_HQ: &str = "Acme HQ";
const GLOBEX_CAMPUS: &str = "Globex Campus";

fn initech() -> TestIdp {
    TestIdp {
        entity_id: "https://idp.initech.test/saml".into(),
        sso_url: "https://idp.initech.test/saml/sso".into(),
        ..TestIdp::acme()
    }
}

fn config() -> Config {
    let toml = format!(
        r#"
[server]
public_url = "http://127.0.0.1:8080"
database = ":memory:"
title = "Visitors"

[sp]
signing_key = "{signing_key}"
signing_cert = "{signing_cert}"

[[location]]
name = "{ACME_HQ}"
[[location]]
name = "{GLOBEX_CAMPUS}"

[[idp]]
slug = "acme"
name = "Acme Corp"
metadata_xml = '''{acme}'''
binding = "redirect"
authoritative_domains = ["acme.test"]
default_location = "{ACME_HQ}"
admin_group = "visitor-admins"

[[idp]]
slug = "globex"
name = "Globex"
metadata_xml = '''{globex}'''
binding = "post"
allow_idp_initiated = true
authoritative_domains = ["globex.test"]
default_location = "{GLOBEX_CAMPUS}"
admin_group = "visitor-admins"

[[idp]]
slug = "initech"
name = "Initech"
metadata_xml = '''{initech}'''
jit_create = false
authoritative_domains = ["initech.test"]
default_location = "{ACME_HQ}"
"#,
        acme = TestIdp::acme().metadata_xml(None),
        globex = TestIdp::globex().metadata_xml(None),
        initech = initech().metadata_xml(None),
        signing_key = samlsp_tests::repo_file("testdata/keys/sp-rsa2048.key").display(),
        signing_cert = samlsp_tests::repo_file("testdata/keys/sp-rsa2048.crt").display(),
    );
    Config::from_toml(&toml, Path::new("."), "test").unwrap()
}

macro_rules! demo {
    () => {{
        let state = AppState::build(config(), None).unwrap();
        let settings = SessionSettings::for_site(
            SessionSecret::from_bytes(&(7u8..71).collect::<Vec<_>>()).unwrap(),
            "http://127.0.0.1:8080",
        );
        let app = test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(configure(state.clone())),
        )
        .await;
        (state, app)
    }};
}

async fn body_of(res: ServiceResponse) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

async fn get<S>(app: &S, path: &str, cookie: Option<&str>) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::get().uri(path);
    if let Some(c) = cookie {
        req = req.insert_header((header::COOKIE, c));
    }
    test::call_service(app, req.to_request()).await
}

async fn post<S>(app: &S, path: &str, body: String, cookie: Option<&str>) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::post()
        .uri(path)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body);
    if let Some(c) = cookie {
        req = req.insert_header((header::COOKIE, c));
    }
    test::call_service(app, req.to_request()).await
}

async fn start_login<S>(app: &S, query: &str) -> SentRequest
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = get(app, &format!("/saml/login?{query}"), None).await;
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

/// SP-initiated sign-in at `idp` with a response built from `spec`;
/// returns the ACS answer.
async fn sign_in<S>(
    app: &S,
    slug: &str,
    idp: &TestIdp,
    spec: ResponseSpec,
    cookie: Option<&str>,
) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = start_login(app, &format!("idp={slug}")).await;
    let r = idp.response(&spec.in_response_to(&req.id));
    post(
        app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        cookie,
    )
    .await
}

fn person(name_id: &str, email: &str, first: &str, last: &str, groups: &[&str]) -> ResponseSpec {
    ResponseSpec::new(SP, ACS, name_id)
        .format(NAMEID_PERSISTENT)
        .person(email, first, last, groups)
}

/// Signs in and returns the session cookie pair.
async fn signed_in<S>(app: &S, slug: &str, idp: &TestIdp, spec: ResponseSpec) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = sign_in(app, slug, idp, spec, None).await;
    assert_eq!(res.status(), 303, "sign-in failed");
    cookie_pair(&set_cookie(&res, "id").expect("session cookie"))
}

fn csrf_of(page: &str) -> String {
    let needle = "name=\"csrf_token\" value=\"";
    let start = page.find(needle).expect("a CSRF field") + needle.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

/// The refusal page: status 403, the title, and the log line's code.
async fn assert_refused(res: ServiceResponse, log: &LogCapture, code: &str, title: &str) {
    assert_eq!(res.status(), 403);
    assert!(
        set_cookie(&res, "id").is_none(),
        "no session for a refused sign-in"
    );
    let body = body_of(res).await;
    assert!(body.contains(title), "{body}");
    let line = log.failure(&page_reference(&body));
    assert!(
        line.contains("kind=refused") && line.contains(code),
        "{line}"
    );
}

fn user_count(state: &AppState) -> i64 {
    state
        .store
        .with(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
        .unwrap()
}

fn manual_user(state: &AppState, email: &str, name: &str, location: &str) -> i64 {
    state
        .store
        .with(|c| {
            store::insert_user(
                c,
                &NewUser {
                    email: email.into(),
                    given_name: String::new(),
                    family_name: String::new(),
                    display_name: name.into(),
                    role: "host".into(),
                    default_location: Some(location.into()),
                    source: "manual".into(),
                    external_id: None,
                },
                Utc::now(),
            )
        })
        .unwrap()
}

fn user_by_email(state: &AppState, email: &str) -> store::User {
    state
        .store
        .with(|c| store::user_by_email(c, email))
        .unwrap()
        .unwrap_or_else(|| panic!("no user {email}"))
}

#[actix_web::test]
async fn sign_in_page_has_one_button_per_company() {
    let (_state, app) = demo!();
    let res = get(&app, "/", None).await;
    assert_eq!(res.status(), 200);
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let body = body_of(res).await;
    for (slug, name) in [
        ("acme", "Acme Corp"),
        ("globex", "Globex"),
        ("initech", "Initech"),
    ] {
        assert!(
            body.contains(&format!(
                "<a class=\"button\" href=\"/saml/login?idp={slug}\">Sign in with {name}</a>"
            )),
            "{body}"
        );
    }
    assert!(body.contains("<html lang=\"en\">") && body.contains("href=\"#main\""));
    assert!(
        !body.contains("http://") || !body.contains("<script"),
        "no external assets"
    );

    let body = body_of(get(&app, "/?return_to=/hosts%3Fq%3Dx", None).await).await;
    assert!(
        body.contains("idp=acme&amp;return_to=%2Fhosts%3Fq%3Dx"),
        "{body}"
    );
    let body = body_of(get(&app, "/?return_to=//evil.example", None).await).await;
    assert!(!body.contains("return_to"), "{body}");
    let css = get(&app, "/static/app.css", None).await;
    assert_eq!(css.status(), 200);
    let health = get(&app, "/healthz", None).await;
    assert_eq!(health.status(), 200, "every IdP loaded");
}

#[actix_web::test]
async fn sp_initiated_sign_in_creates_users_just_in_time() {
    let (state, app) = demo!();
    let acme = TestIdp::acme();

    let res = sign_in(
        &app,
        "acme",
        &acme,
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Tester",
            &["staff", "visitor-admins"],
        ),
        None,
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/me", "the app's default after sign-in");
    let set = set_cookie(&res, "id").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain-http site: no Secure flag ({set})"
    );
    let cookie = cookie_pair(&set);
    let alice = user_by_email(&state, "alice@acme.test");
    assert_eq!(alice.source, "jit");
    assert_eq!(alice.role, "admin", "member of the admin group");
    assert_eq!(alice.display_name, "Alice Tester");
    assert_eq!(alice.default_location.as_deref(), Some(ACME_HQ));
    assert!(alice.active && alice.last_login_at.is_some());
    let locations = state
        .store
        .with(|c| store::user_locations(c, alice.id))
        .unwrap();
    assert_eq!(
        locations,
        vec![
            (ACME_HQ.to_owned(), "admin".to_owned()),
            (GLOBEX_CAMPUS.to_owned(), "host".to_owned())
        ],
        "access to all locations, admin only at the default one"
    );
    let ids = state
        .store
        .with(|c| store::identities_of(c, alice.id))
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].idp_entity_id, acme.entity_id);
    assert_eq!(ids[0].name_id, "A-alice");
    assert_eq!(ids[0].name_id_format, NAMEID_PERSISTENT);

    let me = body_of(get(&app, "/me", Some(&cookie)).await).await;
    assert!(
        me.contains("Alice Tester") && me.contains("alice@acme.test"),
        "{me}"
    );
    assert!(me.contains("admin at the default location"), "{me}");
    assert!(
        me.contains("Attributes received") && me.contains("<code>firstName</code>"),
        "{me}"
    );
    assert!(me.contains("visitor-admins"), "{me}");
    assert!(me.contains("Acme Corp"), "signed in with");

    signed_in(
        &app,
        "acme",
        &acme,
        person("A-bob", "bob@acme.test", "Bob", "Builder", &["staff"]),
    )
    .await;
    let bob = user_by_email(&state, "bob@acme.test");
    assert_eq!(bob.role, "host");

    // Both appear in the host directory; the search narrows it.
    let hosts = body_of(get(&app, "/hosts", Some(&cookie)).await).await;
    assert!(
        hosts.contains("<td>Alice Tester</td>") && hosts.contains("<td>Bob Builder</td>"),
        "{hosts}"
    );
    let hosts = body_of(get(&app, "/hosts?q=BUILD", Some(&cookie)).await).await;
    assert!(
        !hosts.contains("<td>Alice Tester</td>") && hosts.contains("<td>Bob Builder</td>"),
        "{hosts}"
    );
    assert!(hosts.contains("1 host matching"), "{hosts}");
}

#[actix_web::test]
async fn idp_initiated_sign_in_from_an_idp_that_allows_it() {
    let (state, app) = demo!();
    let r = TestIdp::globex().response(&person(
        "G-gina",
        "gina@globex.test",
        "Gina",
        "Globex",
        &["visitor-admins"],
    ));
    let res = post(&app, "/saml/acs", acs_body(&r, Some("/")), None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    let cookie = cookie_pair(&set_cookie(&res, "id").unwrap());
    let res = get(&app, "/", Some(&cookie)).await;
    assert_eq!(location(&res), "/me", "signed-in visitors go to their page");
    let gina = user_by_email(&state, "gina@globex.test");
    assert_eq!(gina.role, "admin");
    assert_eq!(gina.default_location.as_deref(), Some(GLOBEX_CAMPUS));

    // Acme is not configured for it.
    let log = LogCapture::default();
    let _g = log.install();
    let r = TestIdp::acme().response(&person("A-x", "x@acme.test", "X", "Y", &[]));
    let res = post(&app, "/saml/acs", acs_body(&r, Some("/")), None).await;
    assert_eq!(res.status(), 400);
    let body = body_of(res).await;
    let line = log.failure(&page_reference(&body));
    assert!(line.contains("kind=unsolicited_not_allowed"), "{line}");
    assert_eq!(user_count(&state), 1);
}

#[actix_web::test]
async fn jit_links_an_existing_account_by_authoritative_domain() {
    let (state, app) = demo!();
    let id = manual_user(&state, "Alice@Acme.test", "Alice (manual)", ACME_HQ);

    // Case differs in the assertion; the domain is Acme's.
    let cookie = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-777", "ALICE@acme.TEST", "Alice", "Linked", &[]),
    )
    .await;
    assert_eq!(user_count(&state), 1, "linked, not created");
    let ids = state.store.with(|c| store::identities_of(c, id)).unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].name_id, "A-777");
    let me = body_of(get(&app, "/me", Some(&cookie)).await).await;
    assert!(me.contains("Alice Linked"), "profile refreshed: {me}");
    let u = state
        .store
        .with(|c| store::user_by_id(c, id))
        .unwrap()
        .unwrap();
    assert_eq!(u.source, "manual");
    assert_eq!(
        u.role, "host",
        "roles of manual accounts are managed by hand"
    );

    // Next time the NameID alone finds the account, whatever the email says.
    signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-777", "alice.new@acme.test", "Alice", "Renamed", &[]),
    )
    .await;
    let u = state
        .store
        .with(|c| store::user_by_id(c, id))
        .unwrap()
        .unwrap();
    assert_eq!(u.display_name, "Alice Renamed");
    assert_eq!(u.email, "alice.new@acme.test");
    assert_eq!(user_count(&state), 1);
}

#[actix_web::test]
async fn linking_refused_for_a_foreign_domain_and_look_alikes() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let dana = manual_user(&state, "dana@acme.test", "Dana", ACME_HQ);

    // Globex vouches for dana@acme.test: not its domain.
    let res = sign_in(
        &app,
        "globex",
        &TestIdp::globex(),
        person(
            "G-dana",
            "dana@acme.test",
            "Dana",
            "Imposter",
            &["visitor-admins"],
        ),
        None,
    )
    .await;
    assert_refused(res, &log, "foreign_domain", "This account cannot be linked").await;
    assert!(
        state
            .store
            .with(|c| store::identities_of(c, dana))
            .unwrap()
            .is_empty()
    );
    let u = state
        .store
        .with(|c| store::user_by_id(c, dana))
        .unwrap()
        .unwrap();
    assert_eq!(u.display_name, "Dana", "profile untouched");

    // A Cyrillic "а" in the domain never matches acme.test.
    let res = sign_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-dana2", "dana@\u{430}cme.test", "Dana", "X", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "unusable_email", "cannot be used").await;

    // Globex cannot create an account in Acme's domain either.
    let res = sign_in(
        &app,
        "globex",
        &TestIdp::globex(),
        person("G-eve", "eve@acme.test", "Eve", "X", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "domain_of_another_idp", "Use your own company").await;

    // A subdomain is not the domain.
    manual_user(&state, "sub@eu.acme.test", "Sub", ACME_HQ);
    let res = sign_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-sub", "sub@eu.acme.test", "Sub", "X", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "foreign_domain", "This account cannot be linked").await;
    assert_eq!(user_count(&state), 2);
}

#[actix_web::test]
async fn no_account_when_jit_creation_is_off() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let res = sign_in(
        &app,
        "initech",
        &initech(),
        person("I-1", "peter@initech.test", "Peter", "Gibbons", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "not_provisioned", "No account for you yet").await;
    assert_eq!(user_count(&state), 0);

    // An account made by hand is linked (Initech is authoritative).
    manual_user(&state, "peter@initech.test", "Peter", ACME_HQ);
    signed_in(
        &app,
        "initech",
        &initech(),
        person("I-1", "peter@initech.test", "Peter", "Gibbons", &[]),
    )
    .await;
}

#[actix_web::test]
async fn deactivated_user_refused_and_session_ended() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let acme = TestIdp::acme();
    let spec = || person("A-carol", "carol@acme.test", "Carol", "C", &[]);
    let cookie = signed_in(&app, "acme", &acme, spec()).await;
    let carol = user_by_email(&state, "carol@acme.test");
    state
        .store
        .with(|c| store::set_active(c, carol.id, false))
        .unwrap();

    // Known identity, deactivated.
    let res = sign_in(&app, "acme", &acme, spec(), None).await;
    assert_refused(res, &log, "deactivated", "Your account is deactivated").await;

    // Found by email (new NameID), deactivated.
    let res = sign_in(
        &app,
        "acme",
        &acme,
        person("A-carol-2", "carol@acme.test", "Carol", "C", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "deactivated", "Your account is deactivated").await;

    // The session from before is ended at its next request.
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?notice=deactivated");
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(location(&res), "/?return_to=%2Fme", "session gone");
    // Deactivated users are not hosts.
    manual_user(&state, "zed@acme.test", "Zed", ACME_HQ);
    let z = signed_in(
        &app,
        "acme",
        &acme,
        person("A-zed", "zed@acme.test", "Zed", "Z", &[]),
    )
    .await;
    let hosts = body_of(get(&app, "/hosts", Some(&z)).await).await;
    assert!(!hosts.contains("carol@acme.test"), "{hosts}");
}

#[actix_web::test]
async fn transient_name_id_refused() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let res = sign_in(
        &app,
        "acme",
        &TestIdp::acme(),
        ResponseSpec::new(SP, ACS, "G-0b7e")
            .format(NAMEID_TRANSIENT)
            .person("tom@acme.test", "Tom", "T", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "transient_name_id", "not set up correctly").await;
    assert_eq!(user_count(&state), 0);
}

#[actix_web::test]
async fn session_renewed_on_sign_in() {
    let (_state, app) = demo!();
    let acme = TestIdp::acme();
    let first = signed_in(
        &app,
        "acme",
        &acme,
        person("A-1", "one@acme.test", "One", "A", &[]),
    )
    .await;
    let token_first = csrf_of(&body_of(get(&app, "/me", Some(&first)).await).await);

    // A second sign-in in the same browser.
    let res = sign_in(
        &app,
        "acme",
        &acme,
        person("A-2", "two@acme.test", "Two", "B", &[]),
        Some(&first),
    )
    .await;
    assert_eq!(res.status(), 303);
    let second = cookie_pair(&set_cookie(&res, "id").unwrap());
    assert_ne!(second, first, "new session ID");
    let res = get(&app, "/me", Some(&first)).await;
    assert_eq!(res.status(), 303, "the previous session ID is retired");
    let page = body_of(get(&app, "/me", Some(&second)).await).await;
    assert!(page.contains("Two B"), "{page}");
    let token_second = csrf_of(&page);
    assert_ne!(token_second, token_first, "fresh CSRF token");
    // The old token does not work in the new session.
    let res = post(
        &app,
        "/visits",
        format!("csrf_token={token_first}&visitor_name=V&visitor_email=v%40x.test&host_id=1&date=2999-01-01"),
        Some(&second),
    )
    .await;
    assert_eq!(res.status(), 403);
}

#[actix_web::test]
async fn session_purged_on_sign_out() {
    let (_state, app) = demo!();
    let cookie = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-1", "one@acme.test", "One", "A", &[]),
    )
    .await;
    let token = csrf_of(&body_of(get(&app, "/me", Some(&cookie)).await).await);
    let res = post(
        &app,
        "/logout",
        format!("csrf_token={token}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?notice=signed_out");
    let removal = set_cookie(&res, "id").expect("cookie removed");
    assert!(
        removal.contains("Max-Age=0") || removal.starts_with("id=;"),
        "{removal}"
    );
    // Replaying the old cookie gets nothing.
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?return_to=%2Fme");
    let page = body_of(get(&app, "/?notice=signed_out", None).await).await;
    assert!(page.contains("You are signed out."));
}

#[actix_web::test]
async fn csrf_refused() {
    let (state, app) = demo!();
    let cookie = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-1", "one@acme.test", "One", "A", &[]),
    )
    .await;
    let host = user_by_email(&state, "one@acme.test").id;
    let form = |token: &str| {
        format!(
            "{token}visitor_name=Mallory&visitor_email=m%40x.test&host_id={host}&date=2999-01-01"
        )
    };
    for (token, why) in [("", "missing"), ("csrf_token=AAAA&", "wrong")] {
        let res = post(&app, "/visits", form(token), Some(&cookie)).await;
        assert_eq!(res.status(), 403, "{why}");
        assert!(body_of(res).await.contains("This form has expired"));
    }
    let visits: i64 = state
        .store
        .with(|c| Ok(c.query_row("SELECT count(*) FROM visits", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(visits, 0);
    // Sign-out without a token is refused too: still signed in after.
    let res = post(&app, "/logout", String::new(), Some(&cookie)).await;
    assert_eq!(res.status(), 403);
    assert_eq!(get(&app, "/me", Some(&cookie)).await.status(), 200);
}

#[actix_web::test]
async fn visitors_are_pre_registered_and_listed() {
    let (state, app) = demo!();
    let cookie = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-1", "host@acme.test", "Hannah", "Host", &[]),
    )
    .await;
    let host = user_by_email(&state, "host@acme.test").id;
    let page = body_of(get(&app, "/visits", Some(&cookie)).await).await;
    assert!(page.contains("No visitors expected."));
    assert!(
        page.contains("<label for=\"visitor_name\">"),
        "labelled fields"
    );
    let token = csrf_of(&page);
    let today = Utc::now().date_naive();
    let date = (today + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();

    let res = post(
        &app,
        "/visits",
        format!(
            "csrf_token={token}&visitor_name=%3Cb%3EVera%3C%2Fb%3E+Visitor&\
             visitor_email=vera%40example.test&host_id={host}&date={date}"
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/visits?registered=1");
    let page = body_of(get(&app, "/visits?registered=1", Some(&cookie)).await).await;
    assert!(page.contains("Visitor pre-registered."));
    assert!(
        page.contains("&lt;b&gt;Vera&lt;/b&gt; Visitor"),
        "escaped: {page}"
    );
    assert!(page.contains(&date) && page.contains("Hannah Host") && page.contains(ACME_HQ));

    // Refused inputs come back with the reasons, nothing stored.
    let yesterday = (today - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let res = post(
        &app,
        "/visits",
        format!(
            "csrf_token={token}&visitor_name=&visitor_email=nope&host_id=999999&date={yesterday}"
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 400);
    let page = body_of(res).await;
    assert!(page.contains("Enter the visitor&#39;s name"), "{page}");
    assert!(page.contains("email address"), "{page}");
    assert!(page.contains("in the past"), "{page}");
    let res = post(
        &app,
        "/visits",
        format!(
            "csrf_token={token}&visitor_name=Al&visitor_email=a%40b.test&host_id=999999&date={date}"
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(body_of(res).await.contains("That host is not available"));
}

#[actix_web::test]
async fn role_follows_the_admin_group_for_jit_users() {
    let (state, app) = demo!();
    let acme = TestIdp::acme();
    signed_in(
        &app,
        "acme",
        &acme,
        person("A-r", "r@acme.test", "R", "One", &["visitor-admins"]),
    )
    .await;
    assert_eq!(user_by_email(&state, "r@acme.test").role, "admin");
    signed_in(
        &app,
        "acme",
        &acme,
        person("A-r", "r@acme.test", "R", "Two", &["staff"]),
    )
    .await;
    let u = user_by_email(&state, "r@acme.test");
    assert_eq!(u.role, "host");
    assert_eq!(u.display_name, "R Two");
    let locations = state
        .store
        .with(|c| store::user_locations(c, u.id))
        .unwrap();
    assert!(locations.iter().all(|(_, r)| r == "host"), "{locations:?}");
}
