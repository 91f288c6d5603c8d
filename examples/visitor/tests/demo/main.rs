//! The demo app end to end, in-process: sign-in (SP- and IdP-initiated)
//! through signed test responses, just-in-time creation and linking with
//! every refusal, sessions, CSRF, the host directory and visitor
//! pre-registration.
//!
//! This file holds the app under test and the helpers that drive it; the
//! cases are in [`signin`] (just-in-time creation, linking, each refusal)
//! [`pages`] (the pages, sessions, CSRF, visitors) and [`logout`] (single
//! logout across organizations).
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
#[path = "../support/postgres.rs"]
mod test_postgres;

use std::path::Path;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpResponse, test};
use chrono::Utc;
use common::*;
use samlsp_actix::MemorySessionStore;
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
    let toml = config_toml();
    let mut config = Config::from_toml(&toml, Path::new("."), "test").unwrap();
    // The whole suite on PostgreSQL: VISITOR_TEST_DATABASE=postgres.
    if std::env::var("VISITOR_TEST_DATABASE").is_ok_and(|v| v == "postgres") {
        on_postgres(&mut config);
    }
    config
}

/// The test configuration's TOML.
fn config_toml() -> String {
    format!(
        r#"
[server]
public_url = "http://127.0.0.1:8080"
database = ":memory:"
title = "Visitors"

[sp]
signing_key = "{signing_key}"
signing_cert = "{signing_cert}"

[[org]]
slug = "acme"
name = "Acme Corp"
domains = ["acme.test"]
locations = ["{ACME_HQ}"]
[[org]]
slug = "globex"
name = "Globex Corporation"
domains = ["globex.test"]
locations = ["{GLOBEX_CAMPUS}"]
[[org]]
slug = "initech"
name = "Initech"
domains = ["initech.test"]
locations = ["Initech Office"]

[[idp]]
slug = "acme"
org = "acme"
name = "Acme Corp"
metadata_xml = '''{acme}'''
binding = "redirect"
admin_group = "visitor-admins"

[[idp]]
slug = "globex"
org = "globex"
name = "Globex"
metadata_xml = '''{globex}'''
binding = "post"
allow_idp_initiated = true
admin_group = "visitor-admins"

[[idp]]
slug = "initech"
org = "initech"
name = "Initech"
metadata_xml = '''{initech}'''
jit_create = false
"#,
        acme = TestIdp::acme().metadata_xml(None),
        globex = TestIdp::globex().metadata_xml(None),
        initech = initech().metadata_xml(None),
        signing_key = samlsp_tests::repo_file("testdata/keys/sp-rsa2048.key").display(),
        signing_cert = samlsp_tests::repo_file("testdata/keys/sp-rsa2048.crt").display(),
    )
}

/// The test configuration on a fresh database of the test PostgreSQL server.
fn postgres_config() -> Config {
    let mut config = config();
    on_postgres(&mut config);
    config
}

fn on_postgres(config: &mut Config) {
    let url = test_postgres::fresh_database_url();
    config.server.database_url = Some(store::PgUrl::parse(&url).unwrap());
}

/// A test on SQLite (`$sqlite`) and on PostgreSQL (`$postgres`): `$body`
/// takes the configuration.
macro_rules! on_both_backends {
    ($sqlite:ident, $postgres:ident, $body:ident) => {
        #[actix_web::test]
        async fn $sqlite() {
            $body(config()).await
        }
        #[actix_web::test]
        async fn $postgres() {
            $body(postgres_config()).await
        }
    };
}

macro_rules! demo {
    () => {
        demo!(AppState::build(config(), None).unwrap())
    };
    ($state:expr) => {{
        let state: AppState = $state;
        let settings = session_settings("http://127.0.0.1:8080");
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
    post_form(
        app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie_with(cookie).as_deref(),
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
        .unscoped(|c| c.query_row("SELECT count(*) FROM users", [], |r| r.get(0)))
        .unwrap()
}

/// Runs `f` in the organization `org` (test set-up and inspection).
fn in_org<T: Send>(
    state: &AppState,
    org: &str,
    f: impl FnOnce(&store::Scoped<'_>) -> Result<T, store::StoreError> + Send,
) -> T {
    state
        .store
        .unscoped_in(org, f)
        .unwrap()
        .expect("no such org")
}

fn manual_user(state: &AppState, org: &str, email: &str, name: &str) -> i64 {
    in_org(state, org, |s| {
        s.insert_user(
            &NewUser {
                email: email.into(),
                given_name: String::new(),
                family_name: String::new(),
                display_name: name.into(),
                role: "host".into(),
                source: "manual".into(),
                external_id: None,
            },
            Utc::now(),
        )
    })
}

/// The one user with this email, whatever their organization.
fn user_by_email(state: &AppState, email: &str) -> store::User {
    let org: String = state
        .store
        .unscoped(|c| {
            c.query_row(
                "SELECT o.slug FROM users u JOIN organizations o ON o.id = u.org_id \
                 WHERE u.email_normalized = ?1",
                [email.to_ascii_lowercase()],
                |r| r.get(0),
            )
        })
        .unwrap_or_else(|e| panic!("no user {email}: {e}"));
    in_org(state, &org, |s| {
        s.user_by_email(&email.to_ascii_lowercase())
    })
    .unwrap_or_else(|| panic!("no user {email}"))
}

/// Makes a kiosk link at `location` as an admin; returns the token's row
/// and the token.
async fn make_kiosk<S>(
    app: &S,
    state: &AppState,
    admin_cookie: &str,
    csrf: &str,
    org: &str,
    location: i64,
) -> (i64, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let form = format!("csrf_token={csrf}&location_id={location}&label=Front+desk");
    let res = post_form(app, "/admin/kiosks", form, Some(admin_cookie)).await;
    assert_eq!(res.status(), 200, "kiosk link made");
    let body = body_of(res).await;
    let start = body.find("token=").expect("a kiosk link") + "token=".len();
    let token = body[start..start + 64].to_owned();
    let id = in_org(state, org, |s| s.kiosks())
        .into_iter()
        .map(|k| k.id)
        .max()
        .unwrap();
    (id, token)
}

mod binary;
mod connections;
mod console;
mod invitations;
mod isolation;
mod logout;
mod notices;
mod outbox;
mod pages;
mod reception;
mod scim;
mod scim_refusals;
mod scim_sessions;
mod signin;
mod unavailable;
mod upload;
