//! Two instances of the demo app sharing one Redis (and, for now, one
//! SQLite file), in-process against a real redis-server: a login started on
//! one is answered on the other, a response is accepted once across both, a
//! session made on one is valid on the other; with Redis stopped, sign-in
//! is refused with a clear 503 page and a log line (no 500, nothing
//! accepted), and works again once Redis is back, without a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods
)]

#[path = "../../../../crates/samlsp-actix/tests/common/mod.rs"]
mod common;
#[path = "../support/idp_logout.rs"]
mod idp_logout;

use std::path::Path;
use std::time::{Duration, Instant};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpResponse, test};
use common::*;
use samlsp_actix::UNAVAILABLE_TITLE;
use samlsp_tests::redis_server::RedisServer;
use samlsp_visitor::config::Config;
use samlsp_visitor::{AppState, configure, sessions};

const SP: &str = "http://127.0.0.1:8080/saml/metadata";
const ACS: &str = "http://127.0.0.1:8080/saml/acs";

/// The SQLite file the instances of one test share (one per Redis port).
fn db_path(redis: &RedisServer) -> std::path::PathBuf {
    let dir = samlsp_tests::repo_root().join("target/cluster-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}.sqlite3", redis.port()))
}

/// Starts a test with a fresh database (a port can come round again).
fn fresh_db(redis: &RedisServer) {
    let db = db_path(redis);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn config(redis: &RedisServer) -> Config {
    let db = db_path(redis);
    let toml = format!(
        r#"
[server]
public_url = "http://127.0.0.1:8080"
database = "{db}"
redis_url = "{url}"
redis_namespace = "cluster-test"

[sp]
signing_key = "{signing_key}"
signing_cert = "{signing_cert}"

[[org]]
slug = "acme"
name = "Acme Corp"
domains = ["acme.test"]
locations = ["Acme HQ"]
[[org]]
slug = "globex"
name = "Globex Corporation"
domains = ["globex.test"]
locations = ["Globex Campus"]

[[idp]]
slug = "acme"
org = "acme"
name = "Acme Corp"
metadata_xml = '''{acme}'''
binding = "redirect"

[[idp]]
slug = "globex"
org = "globex"
name = "Globex"
metadata_xml = '''{globex}'''
binding = "post"
allow_idp_initiated = true
"#,
        db = db.display(),
        url = redis.url(),
        acme = TestIdp::acme().metadata_xml(None),
        globex = TestIdp::globex().metadata_xml(None),
        signing_key = samlsp_tests::repo_file("testdata/keys/sp-rsa2048.key").display(),
        signing_cert = samlsp_tests::repo_file("testdata/keys/sp-rsa2048.crt").display(),
    );
    Config::from_toml(&toml, Path::new("."), "test").unwrap()
}

/// One instance: its own app state, the deployment's Redis, the shared
/// session key (every instance of a deployment has the same).
macro_rules! instance {
    ($redis:expr) => {{
        let state = AppState::build(config($redis), None).unwrap();
        let settings = session_settings("http://127.0.0.1:8080");
        let store = state
            .session_backend(Duration::from_secs(10))
            .await
            .unwrap();
        test::init_service(
            App::new()
                .wrap(settings.middleware(store))
                .wrap(actix_web::middleware::from_fn(sessions::unavailable_page))
                .configure(configure(state.clone())),
        )
        .await
    }};
}

async fn body_of(res: ServiceResponse) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
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

fn person(name_id: &str, email: &str) -> ResponseSpec {
    ResponseSpec::new(SP, ACS, name_id)
        .format(NAMEID_PERSISTENT)
        .person(email, "Pat", "Doe", &[])
}

#[actix_web::test]
async fn a_login_started_on_one_instance_completes_on_the_other_once() {
    let redis = RedisServer::start();
    fresh_db(&redis);
    let a = instance!(&redis);
    let b = instance!(&redis);

    // Started on A, answered on B.
    let req = start_login(&a, "idp=acme").await;
    let r = TestIdp::acme().response(&person("A-1", "pat@acme.test").in_response_to(&req.id));
    let body = acs_body(&r, Some(&req.relay_state));
    let res = post_form(&b, "/saml/acs", body.clone(), req.cookie().as_deref()).await;
    assert_eq!(res.status(), 303, "{}", body_of(res).await);
    let session = cookie_pair(&set_cookie(&res, "id").expect("a session"));

    // The session made on B is valid on A.
    let me = get(&a, "/me", Some(&session)).await;
    assert_eq!(me.status(), 200);
    assert!(body_of(me).await.contains("pat@acme.test"));

    // The IdP ends that session with a LogoutRequest that reaches B: the
    // session is dead on A too (the registry and its marks are in Redis).
    let res = post_form(
        &b,
        "/saml/slo",
        idp_logout::logout_body(&TestIdp::acme(), "A-1"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let me = get(&a, "/me", Some(&session)).await;
    assert_eq!(
        me.status(),
        303,
        "ended by single logout on the other instance"
    );

    // The same post again, on either instance: the request was taken once.
    for app in [&a, &b] {
        let again = post_form(app, "/saml/acs", body.clone(), req.cookie().as_deref()).await;
        assert_eq!(again.status(), 400);
        assert!(set_cookie(&again, "id").is_none());
    }

    // An IdP-initiated response (no request to take): accepted on A, then
    // refused as a replay on B and on A.
    let log = LogCapture::default();
    let _g = log.install();
    let r = TestIdp::globex().response(&person("G-1", "gil@globex.test"));
    let first = post_form(&a, "/saml/acs", acs_body(&r, Some("/")), None).await;
    assert_eq!(first.status(), 303);
    for app in [&b, &a] {
        let res = post_form(app, "/saml/acs", acs_body(&r, Some("/")), None).await;
        assert_eq!(res.status(), 400);
        let line = log.failure(&page_reference(&body_of(res).await));
        assert!(line.contains("kind=replay"), "{line}");
    }
}

#[actix_web::test]
async fn redis_down_refuses_sign_in_clearly_and_recovers_by_itself() {
    let mut redis = RedisServer::start();
    fresh_db(&redis);
    let a = instance!(&redis);
    let b = instance!(&redis);
    let log = LogCapture::default();
    let _g = log.install();

    // Signed in, and one login pending, before Redis goes away.
    let req = start_login(&a, "idp=acme").await;
    let r = TestIdp::acme().response(&person("A-2", "sam@acme.test").in_response_to(&req.id));
    let res = post_form(
        &a,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    let session = cookie_pair(&set_cookie(&res, "id").unwrap());
    let pending = start_login(&a, "idp=acme").await;
    let pending_response =
        TestIdp::acme().response(&person("A-2", "sam@acme.test").in_response_to(&pending.id));
    let unsolicited = TestIdp::globex().response(&person("G-2", "gus@globex.test"));

    redis.stop();
    let assert_unavailable = |res: &ServiceResponse| {
        assert_eq!(res.status(), 503);
        assert!(res.headers().contains_key("retry-after"));
        assert!(set_cookie(res, "id").is_none(), "no session without Redis");
    };
    // Starting a login: refused, clearly.
    let res = get(&b, "/saml/login?idp=acme", None).await;
    assert_unavailable(&res);
    let page = body_of(res).await;
    assert!(page.contains(UNAVAILABLE_TITLE), "{page}");
    let line = log.failure(&page_reference(&page));
    assert!(
        line.starts_with("ERROR") && line.contains("kind=store_unavailable"),
        "{line}"
    );
    // Answering the pending login, and an IdP-initiated response: refused
    // (neither the request nor the replay check can be done), on both.
    for app in [&a, &b] {
        let res = post_form(
            app,
            "/saml/acs",
            acs_body(&pending_response, Some(&pending.relay_state)),
            pending.cookie().as_deref(),
        )
        .await;
        assert_unavailable(&res);
        let res = post_form(app, "/saml/acs", acs_body(&unsolicited, Some("/")), None).await;
        assert_unavailable(&res);
    }
    // A session that cannot be read is no session: sent to sign in, not 500.
    let me = get(&b, "/me", Some(&session)).await;
    assert!(me.status().is_redirection(), "{}", me.status());

    // Back (empty: this test Redis keeps nothing on disk), and no restart:
    // the IdP-initiated response refused while Redis was down was never
    // accepted, so it is accepted now, once.
    redis.resume();
    // Each instance finds Redis again by itself; until then it answers
    // only "unavailable".
    let res =
        recovered(|| post_form(&b, "/saml/acs", acs_body(&unsolicited, Some("/")), None)).await;
    assert_eq!(res.status(), 303);
    let res =
        recovered(|| post_form(&a, "/saml/acs", acs_body(&unsolicited, Some("/")), None)).await;
    assert_eq!(res.status(), 400, "a replay after recovery too");
    // And an SP-initiated login across the instances again.
    recovered(|| get(&a, "/saml/login?idp=acme", None)).await;
    let req = start_login(&a, "idp=acme").await;
    let r = TestIdp::acme().response(&person("A-2", "sam@acme.test").in_response_to(&req.id));
    let res = post_form(
        &b,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
}

/// Repeats `call` while it answers 503 (the instance has not reconnected
/// yet), for at most 15 s; returns the first other answer.
async fn recovered<F, Fut>(mut call: F) -> ServiceResponse
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ServiceResponse>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = call().await;
        if res.status() != 503 {
            return res;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery after Redis came back"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_session_that_cannot_be_saved_is_a_503_page_not_a_500() {
    use actix_session::SessionExt;
    let mut redis = RedisServer::start();
    let state = AppState::build(config(&redis), None).unwrap();
    let store = state
        .session_backend(Duration::from_secs(10))
        .await
        .unwrap();
    let settings = session_settings("http://127.0.0.1:8080");
    let app = test::init_service(
        App::new()
            .wrap(settings.middleware(store))
            .wrap(actix_web::middleware::from_fn(sessions::unavailable_page))
            .route(
                "/write",
                actix_web::web::get().to(|req: actix_web::HttpRequest| async move {
                    req.get_session().insert("k", "v").unwrap();
                    HttpResponse::Ok().finish()
                }),
            )
            .route(
                "/bad",
                actix_web::web::get().to(|| async {
                    Err::<HttpResponse, _>(actix_web::error::ErrorBadRequest("bad"))
                }),
            ),
    )
    .await;
    // Other failures are not touched.
    assert_eq!(get(&app, "/bad", None).await.status(), 400);
    let ok = get(&app, "/write", None).await;
    assert_eq!(ok.status(), 200);
    assert!(set_cookie(&ok, "id").is_some(), "saved while Redis is up");

    redis.stop();
    // The middleware answers with an error whose response the server sends
    // (the test harness hands the error back instead).
    let err = test::try_call_service(&app, test::TestRequest::get().uri("/write").to_request())
        .await
        .expect_err("the session could not be saved");
    let res = err.error_response();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        !res.headers().contains_key("set-cookie"),
        "no cookie for a session not saved"
    );
    let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Temporarily unavailable"));
}
