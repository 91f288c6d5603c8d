//! SCIM provisioning in-process: the Entra ID and Okta request sequences
//! replayed from fixtures (`scim_fixtures/`), paging, every refusal, the
//! interplay with SAML sign-in (linking, adoption of just-in-time users,
//! deprovisioning that ends sessions), and the tokens.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

/// A demo whose clock the test moves (seconds added to the real time).
pub(super) struct Clocked {
    pub state: AppState,
    offset: Arc<AtomicI64>,
}

impl Clocked {
    pub fn new() -> Self {
        let offset = Arc::new(AtomicI64::new(0));
        let o = offset.clone();
        let clock: samlsp_actix::Clock =
            Arc::new(move || Utc::now() + chrono::Duration::seconds(o.load(Ordering::SeqCst)));
        let state = AppState::build(config(), Some(clock)).unwrap();
        Clocked { state, offset }
    }

    /// Moves the clock `secs` seconds on.
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }
}

macro_rules! app_of {
    ($state:expr) => {{
        let settings = session_settings("http://127.0.0.1:8080");
        test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(configure($state.clone())),
        )
        .await
    }};
}
pub(super) use app_of;

/// A new token of organization `org`.
pub(super) fn token(state: &AppState, org: &str) -> String {
    state
        .store
        .create_scim_token(org, "test", Utc::now(), &samlsp::OsRandom)
        .unwrap()
        .unwrap()
        .1
}

/// One SCIM request: status, headers, JSON body (`Null` when empty).
pub(super) async fn scim<S>(
    app: &S,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, actix_web::http::header::HeaderMap, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::default().method(method).uri(path);
    if let Some(t) = token {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    }
    if let Some(b) = body {
        req = req
            .insert_header((header::CONTENT_TYPE, "application/scim+json"))
            .set_payload(b.to_string());
    }
    let res = test::call_service(app, req.to_request()).await;
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = test::read_body(res).await;
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: not JSON ({e})"))
    };
    (status, headers, json)
}

/// `expected` is contained in `actual`: objects by member, arrays element
/// by element (same length).
fn assert_subset(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}: no {k:?} in {actual}"));
                assert_subset(v, got, &format!("{at}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{at}: {actual}");
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                assert_subset(x, y, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(expected, actual, "{at}"),
    }
}

/// Replays a fixture against organization acme.
async fn replay(file: &str) {
    let (state, app) = demo!();
    let t = token(&state, "acme");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/demo/scim_fixtures")
            .join(file),
    )
    .unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let mut id = String::from("none");
    let guid = format!("{:x}", Utc::now().timestamp_nanos_opt().unwrap_or(7));
    for (n, step) in fixture["steps"].as_array().unwrap().iter().enumerate() {
        let current = id.clone();
        let fill = |s: &str| s.replace("{id}", &current).replace("{guid}", &guid);
        let filled = |v: &Value| -> Value { serde_json::from_str(&fill(&v.to_string())).unwrap() };
        let method = Method::from_bytes(step["method"].as_str().unwrap().as_bytes()).unwrap();
        let path = fill(step["path"].as_str().unwrap());
        let at = format!("{file} step {n} ({method} {path})");
        let body = step.get("body").map(filled);
        let (status, headers, got) = scim(&app, method, &path, Some(&t), body.as_ref()).await;
        assert_eq!(
            status.as_u16(),
            step["status"].as_u64().unwrap() as u16,
            "{at}: {got}"
        );
        if step.get("save_id").is_some() {
            id = got["id"].as_str().unwrap().to_owned();
            assert_eq!(
                headers.get(header::LOCATION).unwrap().to_str().unwrap(),
                got["meta"]["location"].as_str().unwrap(),
                "{at}: Location = meta.location"
            );
        }
        if let Some(e) = step.get("expect") {
            let e = e.to_string().replace("{id}", &id);
            assert_subset(&serde_json::from_str(&e).unwrap(), &got, &at);
        }
        for gone in step
            .get("absent")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            assert!(
                got.get(gone.as_str().unwrap()).is_none(),
                "{at}: {gone} returned"
            );
        }
        if status != StatusCode::NO_CONTENT {
            assert_eq!(
                headers.get(header::CONTENT_TYPE).unwrap(),
                "application/scim+json",
                "{at}"
            );
        }
        if let Some(v) = got.pointer("/meta/version") {
            assert_eq!(
                headers.get(header::ETAG).unwrap().to_str().unwrap(),
                v,
                "{at}"
            );
        }
    }
}

#[actix_web::test]
async fn entra_id_sequence() {
    replay("entra.json").await;
}

#[actix_web::test]
async fn okta_sequence() {
    replay("okta.json").await;
}

#[actix_web::test]
async fn okta_import_pages_in_a_stable_order() {
    let (state, app) = demo!();
    let t = token(&state, "acme");
    for i in 0..5 {
        let body = json!({"userName": format!("p{i}@acme.test"), "active": i != 2});
        let (s, _, _) = scim(&app, Method::POST, "/scim/v2/Users", Some(&t), Some(&body)).await;
        assert_eq!(s, 201);
    }
    let page = |q: &'static str| {
        let app = &app;
        let t = t.clone();
        async move {
            scim(
                app,
                Method::GET,
                &format!("/scim/v2/Users?{q}"),
                Some(&t),
                None,
            )
            .await
            .2
        }
    };
    let names = |v: &Value| -> Vec<String> {
        v["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = page("startIndex=1&count=2").await;
    assert_eq!(
        (first["totalResults"].clone(), first["itemsPerPage"].clone()),
        (json!(5), json!(2))
    );
    assert_eq!(names(&first), ["p0@acme.test", "p1@acme.test"]);
    let second = page("startIndex=3&count=2").await;
    assert_eq!(
        names(&second),
        ["p2@acme.test", "p3@acme.test"],
        "inactive users are listed too"
    );
    assert_eq!(second["startIndex"], 3);
    let last = page("startIndex=5&count=100").await;
    assert_eq!(names(&last), ["p4@acme.test"]);
    let below = page("startIndex=0&count=1").await;
    assert_eq!(
        (names(&below), below["startIndex"].clone()),
        (vec!["p0@acme.test".to_owned()], json!(1))
    );
    let totals = page("count=0").await;
    assert_eq!(
        (totals["totalResults"].clone(), totals["Resources"].clone()),
        (json!(5), json!([]))
    );
    let negative = page("count=-3").await;
    assert_eq!(negative["itemsPerPage"], 0);
    let past = page("startIndex=99").await;
    assert_eq!(
        (past["totalResults"].clone(), past["Resources"].clone()),
        (json!(5), json!([]))
    );
}

#[actix_web::test]
async fn discovery_publishes_only_what_is_kept() {
    let (state, app) = demo!();
    let t = token(&state, "globex");
    let (_, _, spc) = scim(
        &app,
        Method::GET,
        "/scim/v2/ServiceProviderConfig",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(
        (
            spc["patch"]["supported"].clone(),
            spc["filter"]["maxResults"].clone()
        ),
        (json!(true), json!(200))
    );
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let (_, _, schemas) = scim(&app, Method::GET, "/scim/v2/Schemas", Some(&t), None).await;
    let text = schemas.to_string();
    assert!(
        !text.contains("password") && !text.contains("\"groups\""),
        "{text}"
    );
    assert!(
        text.contains(GLOBEX_CAMPUS) && !text.contains(ACME_HQ),
        "locations of the caller's organization only"
    );
    let (_, _, types) = scim(&app, Method::GET, "/scim/v2/ResourceTypes", Some(&t), None).await;
    assert_eq!(types["totalResults"], 1);
}

#[::core::prelude::v1::test]
fn scim_token_command_creates_lists_and_revokes() {
    use samlsp_visitor::scim::cli::{TokenAction, TokenCliError, run};
    let dir = std::env::temp_dir().join(format!("visitor-scim-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = config();
    c.server.database = dir.join("v.sqlite3");
    let now = Utc::now();
    let call = |org: &str, action: TokenAction| {
        let mut out = Vec::new();
        run(&c, org, &action, now, &samlsp::OsRandom, &mut out)
            .map(|()| String::from_utf8(out).unwrap())
    };
    let token = call(
        "acme",
        TokenAction::Create {
            label: "Entra ID".into(),
        },
    )
    .unwrap();
    let token = token.trim();
    assert!(
        token.starts_with("vscim_1_") && token.len() == "vscim_1_".len() + 64,
        "{token}"
    );
    let list = call("acme", TokenAction::List).unwrap();
    assert!(
        list.starts_with("1\t") && list.contains("Entra ID\tactive"),
        "{list}"
    );
    assert!(
        !list.contains(token.rsplit('_').next().unwrap()),
        "never the secret"
    );
    assert_eq!(
        call("globex", TokenAction::List).unwrap(),
        "",
        "another organization's list"
    );
    assert!(matches!(
        call("globex", TokenAction::Revoke(1)),
        Err(TokenCliError::UnknownToken { .. })
    ));
    call("acme", TokenAction::Revoke(1)).unwrap();
    assert!(call("acme", TokenAction::List).unwrap().contains("revoked"));
    assert!(matches!(
        call("acme", TokenAction::Revoke(1)),
        Err(TokenCliError::UnknownToken { .. })
    ));
    assert!(matches!(
        call("nope", TokenAction::List),
        Err(TokenCliError::UnknownOrg(_))
    ));
    // Creation and revocation are in Acme's audit log (by the operator,
    // never the secret), and in no one else's; a refused revocation is not.
    let store = samlsp_visitor::store::Store::connect(&c.server).unwrap();
    let events = |org: &str| {
        store
            .unscoped_in(org, |s| {
                s.audit_events(
                    &store::AuditFilter {
                        category: Some("token".into()),
                        ..Default::default()
                    },
                    10,
                )
            })
            .unwrap()
            .unwrap()
    };
    let acme = events("acme");
    let actions: Vec<&str> = acme.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["scim_token_revoked", "scim_token_created"]);
    for e in &acme {
        assert_eq!(e.actor.as_deref(), Some("operator"));
        assert_eq!(e.detail["scim_credential"], "1");
        assert!(
            !e.detail
                .to_string()
                .contains(token.rsplit('_').next().unwrap())
        );
    }
    assert_eq!(acme[1].detail["label"], "Entra ID");
    assert!(events("globex").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
