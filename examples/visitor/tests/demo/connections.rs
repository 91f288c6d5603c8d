//! SSO connections added in the console: what the page understood from the
//! metadata (by XML and by URL), the values to enter at the IdP and the
//! preset, each refusal (bad metadata, duplicate, wrong preset, no source),
//! and the rule that a connection is enabled only after a successful test
//! ([`test_sign_in`]: the test itself).

use std::sync::Arc;

use samlsp_actix::{FetchFuture, MetadataFetcher};

use super::*;

mod changes;
mod test_sign_in;

/// Serves one document at one URL; any other URL fails.
struct Served(&'static str, String);

impl MetadataFetcher for Served {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            if url == self.0 {
                Ok(self.1.clone().into_bytes())
            } else {
                Err(format!("connection refused: {url}"))
            }
        })
    }
}

const MD_URL: &str = "https://login.example.test/federationmetadata.xml";

fn wizard_idp() -> TestIdp {
    TestIdp {
        entity_id: "https://wizard.acme.test/saml".into(),
        ..TestIdp::acme()
    }
}

/// Posts the console's add form; asserts it was accepted (303 to the
/// connection's page) and returns that page's URL and the connection's id.
async fn add_connection<S>(app: &S, cookie: &str, form: String) -> (String, i64)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = post_form(app, "/admin/connections", form, Some(cookie)).await;
    assert_eq!(res.status(), 303, "connection added");
    let page_url = location(&res);
    let id = page_url.rsplit('/').next().unwrap().parse().unwrap();
    (page_url, id)
}

async fn alice<S>(app: &S) -> (String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let cookie = signed_in(
        app,
        "acme",
        &TestIdp::acme(),
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        ),
    )
    .await;
    let csrf = csrf_of(&body_of(get(app, "/admin/connections", Some(&cookie)).await).await);
    (cookie, csrf)
}

fn add_form(csrf: &str, name: &str, preset: &str, url: &str, xml: &str) -> String {
    let enc = samlsp::internal::binding::url_encode;
    format!(
        "csrf_token={csrf}&name={}&preset={preset}&metadata_url={}&metadata_xml={}",
        enc(name),
        enc(url),
        enc(xml)
    )
}

fn connection_count(state: &AppState) -> i64 {
    state
        .store
        .unscoped(|c| c.query_row("SELECT count(*) FROM connections", [], |r| r.get(0)))
        .unwrap()
}

#[actix_web::test]
async fn added_by_xml_the_page_shows_what_was_understood_and_what_to_enter() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let xml = wizard_idp().metadata_xml(None);
    let (page_url, _) = add_connection(
        &app,
        &cookie,
        add_form(&csrf, "Acme Entra", "entra", "", &xml),
    )
    .await;
    let body = body_of(get(&app, &page_url, Some(&cookie)).await).await;
    for want in [
        "Acme Entra",
        "https://wizard.acme.test/saml",
        "https://idp.acme.test/realms/acme/protocol/saml",
        "HTTP-Redirect",
        "uploaded XML",
        // Our values.
        SP,
        ACS,
        "http://127.0.0.1:8080/saml/slo",
        // The Entra preset: claim URIs, NameID, no AuthnContext.
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "none (the IdP chooses",
        // Disabled until tested.
        "<strong>disabled</strong>",
    ] {
        assert!(body.contains(want), "{want} missing: {body}");
    }
    // The signing certificate's fingerprint: 32 hex pairs.
    let fp = body
        .split("<td><code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert_eq!(fp.len(), 95, "{fp}");
    assert!(
        fp.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
        "{fp}"
    );
    // Listed, disabled; recorded in the audit log.
    let list = body_of(get(&app, "/admin/connections", Some(&cookie)).await).await;
    assert!(list.contains("Acme Entra") && list.contains("disabled until a successful test"));
    let events = in_org(&state, "acme", |s| {
        s.audit_events(
            &store::AuditFilter {
                category: Some("connection".into()),
                ..Default::default()
            },
            10,
        )
    });
    assert_eq!(events[0].action, "connection_added");
}

#[actix_web::test]
async fn added_by_url_the_metadata_is_fetched_and_the_url_kept() {
    let (state, _) = demo!();
    let state = state.with_fetcher(Arc::new(Served(MD_URL, wizard_idp().metadata_xml(None))));
    let settings = session_settings("http://127.0.0.1:8080");
    let app = test::init_service(
        App::new()
            .wrap(settings.middleware(MemorySessionStore::default()))
            .configure(configure(state.clone())),
    )
    .await;
    let (cookie, csrf) = alice(&app).await;
    let (page_url, _) =
        add_connection(&app, &cookie, add_form(&csrf, "Okta", "okta", MD_URL, "")).await;
    let body = body_of(get(&app, &page_url, Some(&cookie)).await).await;
    assert!(
        body.contains(MD_URL) && body.contains("https://wizard.acme.test/saml"),
        "{body}"
    );
    // An unreachable URL: the fetcher's reason, nothing stored.
    let res = post_form(
        &app,
        "/admin/connections",
        add_form(&csrf, "Down", "okta", "https://down.example.test/md", ""),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 400);
    let body = body_of(res).await;
    assert!(
        body.contains("could not be fetched: connection refused"),
        "{body}"
    );
    assert_eq!(connection_count(&state), 1);
}

#[actix_web::test]
async fn unusable_input_is_refused_with_the_reason_and_nothing_stored() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let good = wizard_idp().metadata_xml(None);
    let no_key = std::fs::read_to_string(samlsp_tests::repo_file(
        "testdata/metadata/hostile-no-signing-key.xml",
    ))
    .unwrap();
    for (form, why) in [
        (
            add_form(&csrf, "X", "entra", "", "<html>hi</html>"),
            "not usable SAML 2.0 IdP metadata",
        ),
        (
            add_form(&csrf, "X", "entra", "", &no_key),
            "not usable SAML 2.0 IdP metadata",
        ),
        (
            add_form(&csrf, "X", "entra", "", ""),
            "either the metadata URL or the metadata XML",
        ),
        (
            add_form(&csrf, "X", "entra", "https://a.test/m", &good),
            "either the metadata URL",
        ),
        (
            add_form(&csrf, "X", "entra", "file:///etc/passwd", ""),
            "must be an http:// or https:// URL",
        ),
        // Server-side request forgery: the server's own network is not
        // fetched from (the test config leaves private_metadata_hosts off).
        (
            add_form(
                &csrf,
                "X",
                "entra",
                "http://169.254.169.254/latest/meta-data",
                "",
            ),
            "is a private or local address",
        ),
        (
            add_form(&csrf, "X", "entra", "http://127.0.0.1:8080/md", ""),
            "is a private or local address",
        ),
        (
            add_form(&csrf, "X", "sharepoint", "", &good),
            "choose one of the presets",
        ),
        (add_form(&csrf, "", "entra", "", &good), "enter a name"),
        (
            add_form(
                &csrf,
                "X",
                "entra",
                "",
                "<!DOCTYPE x [<!ENTITY a \"b\">]><x/>",
            ),
            "not usable SAML 2.0 IdP metadata",
        ),
        // The configured connection's IdP, and another organization's.
        (
            add_form(&csrf, "X", "entra", "", &TestIdp::acme().metadata_xml(None)),
            "is already connected to this service",
        ),
        (
            add_form(
                &csrf,
                "X",
                "entra",
                "",
                &TestIdp::globex().metadata_xml(None),
            ),
            "is already connected to this service",
        ),
    ] {
        let res = post_form(&app, "/admin/connections", form, Some(&cookie)).await;
        assert_eq!(res.status(), 400, "{why}");
        let body = body_of(res).await;
        assert!(body.contains(why), "{why}: {body}");
    }
    assert_eq!(connection_count(&state), 0);
    // Without a valid CSRF token: refused.
    let res = post_form(
        &app,
        "/admin/connections",
        add_form("forged", "X", "entra", "", &good),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 403);
    // The same IdP twice in one organization.
    for expect in [303, 400] {
        let res = post_form(
            &app,
            "/admin/connections",
            add_form(&csrf, "Twice", "entra", "", &good),
            Some(&cookie),
        )
        .await;
        assert_eq!(res.status(), expect);
        if expect == 400 {
            assert!(
                body_of(res)
                    .await
                    .contains("has a connection to https://wizard.acme.test/saml already")
            );
        }
    }
    assert_eq!(connection_count(&state), 1);
}

#[actix_web::test]
async fn a_connection_is_enabled_only_after_a_successful_test() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let xml = wizard_idp().metadata_xml(None);
    let (page_url, id) =
        add_connection(&app, &cookie, add_form(&csrf, "Acme", "keycloak", "", &xml)).await;
    let enable = format!("{page_url}/enable");
    let res = post_form(&app, &enable, format!("csrf_token={csrf}"), Some(&cookie)).await;
    assert_eq!(res.status(), 409);
    let body = body_of(res).await;
    assert!(body.contains("connection_untested"), "{body}");
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert_eq!(row.enabled_at, None);
    // The schema refuses it too, whatever the code path.
    let direct = state.store.unscoped(|c| {
        c.execute(
            "UPDATE connections SET enabled_at = '2026-01-01T00:00:00Z' WHERE id = ?1",
            [id],
        )
    });
    assert!(direct.is_err(), "{direct:?}");
    // After a successful test: enabled.
    assert!(in_org(&state, "acme", |s| s.connection_tested(id, Utc::now())));
    let res = post_form(&app, &enable, format!("csrf_token={csrf}"), Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert!(row.enabled_at.is_some());
    let events = in_org(&state, "acme", |s| {
        s.audit_events(
            &store::AuditFilter {
                category: Some("connection".into()),
                ..Default::default()
            },
            10,
        )
    });
    let actions: Vec<_> = events
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str(), e.code.as_deref()))
        .collect();
    assert_eq!(
        actions,
        [
            ("connection_enabled", "ok", None),
            ("connection_enabled", "failed", Some("connection_untested")),
            ("connection_added", "ok", None),
        ]
    );
}
