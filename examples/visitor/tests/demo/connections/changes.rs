//! Console connections changed after they were added: edited (a key
//! rollover keeps an enabled connection enabled, another IdP entity makes
//! it test-only again), refreshed from their URL (what changed is shown;
//! another entity is refused), deleted (after a confirmation page; gone
//! from the SAML layer at once, its sessions ended at their next request,
//! its ID never used again); each in the audit log. And the IdP's own
//! (IdP-initiated) test button through a connection being set up.

use std::sync::Mutex;

use samlsp_visitor::connections::Understood;

use super::*;

/// Serves whatever the test puts in it at [`MD_URL`].
#[derive(Clone)]
struct Switchable(Arc<Mutex<Result<String, String>>>);

impl Switchable {
    fn new(doc: Result<String, String>) -> Self {
        Switchable(Arc::new(Mutex::new(doc)))
    }

    fn serve(&self, doc: Result<String, String>) {
        *self.0.lock().unwrap() = doc;
    }
}

impl MetadataFetcher for Switchable {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            assert_eq!(url, MD_URL);
            self.0.lock().unwrap().clone().map(String::into_bytes)
        })
    }
}

/// The wizard IdP after a key rollover: same entity, Globex's test key.
fn rolled_over() -> TestIdp {
    TestIdp {
        key_file: TestIdp::globex().key_file,
        cert_file: TestIdp::globex().cert_file,
        ..wizard_idp()
    }
}

fn fingerprint(idp: &TestIdp) -> String {
    Understood::read(idp.metadata_xml(None).as_bytes(), Utc::now())
        .unwrap()
        .certificates[0]
        .sha256
        .clone()
}

/// Marks connection `id` tested and enabled, as the console does after a
/// successful test, and loads it so.
fn enable(state: &AppState, id: i64) {
    let row = in_org(state, "acme", |s| {
        s.connection_tested(id, Utc::now())?;
        s.enable_connection(id, Utc::now())?;
        s.connection(id)
    })
    .unwrap();
    state.load_connection("acme", &row);
}

/// A real (SP-initiated) sign-in through connection `id`, answered by
/// `idp`; the ACS status and the session cookie, if any.
async fn real_sign_in<S>(app: &S, id: i64, idp: &TestIdp) -> (u16, Option<String>)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = get(app, &format!("/saml/login?idp=conn-{id}"), None).await;
    if res.status() != 302 {
        return (res.status().as_u16(), None);
    }
    let req = sent_request(&res, "");
    let spec = person("W-wiz", "wiz@acme.test", "Wiz", "Ard", &[]).in_response_to(&req.id);
    let res = post_form(
        app,
        "/saml/acs",
        acs_body(&idp.response(&spec), Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    let cookie = set_cookie(&res, "id").map(|c| cookie_pair(&c));
    (res.status().as_u16(), cookie)
}

fn connection_events(state: &AppState, action: &str) -> Vec<store::AuditRow> {
    in_org(state, "acme", |s| {
        s.audit_events(
            &store::AuditFilter {
                category: Some("connection".into()),
                ..Default::default()
            },
            50,
        )
    })
    .into_iter()
    .filter(|e| e.action == action)
    .collect()
}

#[actix_web::test]
async fn an_edited_rollover_keeps_it_enabled_another_entity_makes_it_test_only() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let (page_url, id) = add_connection(
        &app,
        &cookie,
        add_form(
            &csrf,
            "Wizard",
            "keycloak",
            "",
            &wizard_idp().metadata_xml(None),
        ),
    )
    .await;
    enable(&state, id);
    let edit_url = format!("{page_url}/edit");
    let form =
        |name: &str, preset: &str, url: &str, xml: &str| add_form(&csrf, name, preset, url, xml);
    let page = body_of(get(&app, &edit_url, Some(&cookie)).await).await;
    assert!(page.contains("value=\"Wizard\""), "{page}");

    // A key rollover, pasted: taken at once, still enabled.
    let res = post_form(
        &app,
        &edit_url,
        form(
            "Wizard (rolled)",
            "okta",
            "",
            &rolled_over().metadata_xml(None),
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert_eq!(
        (row.name.as_str(), row.preset.as_str()),
        ("Wizard (rolled)", "okta")
    );
    assert!(row.enabled_at.is_some(), "a rollover keeps it enabled");
    assert_eq!(
        real_sign_in(&app, id, &rolled_over()).await.0,
        303,
        "the new key works"
    );
    assert_eq!(
        real_sign_in(&app, id, &wizard_idp()).await.0,
        400,
        "the old key is gone"
    );
    let [e] = connection_events(&state, "connection_changed")
        .try_into()
        .unwrap();
    assert_eq!(e.detail["certificates_added"], fingerprint(&rolled_over()));
    assert_eq!(e.detail["certificates_removed"], fingerprint(&wizard_idp()));
    assert_eq!(e.detail["back_to_test_only"], "no");
    assert_eq!(
        e.actor.as_deref(),
        Some(format!("user:{}", user_by_email(&state, "alice@acme.test").id).as_str())
    );

    // Refusals: nothing changes.
    for (body, why) in [
        (
            form("X", "okta", MD_URL, &rolled_over().metadata_xml(None)),
            "give either the metadata URL or the metadata XML",
        ),
        (
            form("X", "okta", "", &TestIdp::acme().metadata_xml(None)),
            "is already connected to this service",
        ),
        (form("X", "nope", "", ""), "choose one of the presets"),
        (form("", "okta", "", ""), "enter a name"),
    ] {
        let res = post_form(&app, &edit_url, body, Some(&cookie)).await;
        assert_eq!(res.status(), 400, "{why}");
        let page = body_of(res).await;
        assert!(page.contains(why), "{why}: {page}");
    }
    assert_eq!(
        in_org(&state, "acme", |s| s.connection(id)).unwrap(),
        row,
        "refused edits change nothing"
    );

    // Another IdP entity: an untested connection, test sign-ins only.
    let other = TestIdp {
        entity_id: "https://other.acme.test/saml".into(),
        ..wizard_idp()
    };
    let res = post_form(
        &app,
        &edit_url,
        form("Other", "okta", "", &other.metadata_xml(None)),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert_eq!(row.entity_id, other.entity_id);
    assert_eq!((row.tested_at, row.enabled_at), (None, None));
    assert_eq!(
        real_sign_in(&app, id, &other).await.0,
        403,
        "test sign-ins only"
    );
    let events = connection_events(&state, "connection_changed");
    assert_eq!(events[0].detail["back_to_test_only"], "yes");
}

#[actix_web::test]
async fn refresh_now_shows_what_changed_and_refuses_another_entity() {
    let (state, _) = demo!();
    let served = Switchable::new(Ok(wizard_idp().metadata_xml(None)));
    let state = state.with_fetcher(Arc::new(served.clone()));
    let settings = session_settings("http://127.0.0.1:8080");
    let app = test::init_service(
        App::new()
            .wrap(settings.middleware(MemorySessionStore::default()))
            .configure(configure(state.clone())),
    )
    .await;
    let (cookie, csrf) = alice(&app).await;
    let (page_url, id) =
        add_connection(&app, &cookie, add_form(&csrf, "Wizard", "okta", MD_URL, "")).await;
    enable(&state, id);
    let refresh = || {
        let app = &app;
        let url = format!("{page_url}/refresh");
        let form = format!("csrf_token={csrf}");
        let cookie = cookie.clone();
        async move {
            let res = post_form(app, &url, form, Some(&cookie)).await;
            assert_eq!(res.status(), 200);
            body_of(res).await
        }
    };

    assert!(
        refresh()
            .await
            .contains("the metadata at the URL is unchanged")
    );

    served.serve(Ok(rolled_over().metadata_xml(None)));
    let page = refresh().await;
    assert!(
        page.contains(&format!(
            "Signing certificate added: <code>{}",
            fingerprint(&rolled_over())
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "Signing certificate removed: <code>{}",
            fingerprint(&wizard_idp())
        )),
        "{page}"
    );
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert!(row.enabled_at.is_some());
    assert_eq!(real_sign_in(&app, id, &rolled_over()).await.0, 303);
    let [e] = connection_events(&state, "connection_refreshed")
        .try_into()
        .unwrap();
    assert_eq!(e.detail["certificates_added"], fingerprint(&rolled_over()));

    // Another entity at the URL, then the URL down: refused, the last good
    // copy stays in use, the page says why.
    served.serve(Ok(TestIdp {
        entity_id: "https://elsewhere.test/saml".into(),
        ..wizard_idp()
    }
    .metadata_xml(None)));
    let page = refresh().await;
    assert!(
        page.contains("Not refreshed: the metadata at the URL now describes another IdP"),
        "{page}"
    );
    served.serve(Err("connection refused".into()));
    let page = refresh().await;
    assert!(
        page.contains("Not refreshed: the metadata URL could not be fetched"),
        "{page}"
    );
    assert!(page.contains("Last refresh failure"), "{page}");
    assert_eq!(in_org(&state, "acme", |s| s.connection(id)).unwrap(), row);
    assert_eq!(
        real_sign_in(&app, id, &rolled_over()).await.0,
        303,
        "still in use"
    );
    assert_eq!(connection_events(&state, "connection_refreshed").len(), 1);

    // An uploaded one has nothing to fetch.
    let (_, up) = add_connection(
        &app,
        &cookie,
        add_form(
            &csrf,
            "Uploaded",
            "okta",
            "",
            &TestIdp {
                entity_id: "https://uploaded.acme.test/saml".into(),
                ..wizard_idp()
            }
            .metadata_xml(None),
        ),
    )
    .await;
    let res = post_form(
        &app,
        &format!("/admin/connections/{up}/refresh"),
        format!("csrf_token={csrf}"),
        Some(&cookie),
    )
    .await;
    assert!(body_of(res).await.contains("there is no URL to fetch"));
}

#[actix_web::test]
async fn delete_asks_first_then_ends_sign_ins_and_sessions_through_it() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let (page_url, id) = add_connection(
        &app,
        &cookie,
        add_form(
            &csrf,
            "Wizard",
            "keycloak",
            "",
            &wizard_idp().metadata_xml(None),
        ),
    )
    .await;
    enable(&state, id);
    let (status, wiz) = real_sign_in(&app, id, &wizard_idp()).await;
    assert_eq!(status, 303);
    let wiz = wiz.unwrap();
    assert_eq!(get(&app, "/me", Some(&wiz)).await.status(), 200);

    let page = body_of(get(&app, &format!("{page_url}/delete"), Some(&cookie)).await).await;
    assert!(
        page.contains("Delete the connection <strong>Wizard</strong>"),
        "{page}"
    );
    assert!(page.contains("signed out at their next page"), "{page}");
    // Without the CSRF token: refused, still there.
    let res = post_form(
        &app,
        &format!("{page_url}/delete"),
        String::new(),
        Some(&cookie),
    )
    .await;
    assert_ne!(res.status(), 303);
    assert!(in_org(&state, "acme", |s| s.connection(id)).is_some());

    let res = post_form(
        &app,
        &format!("{page_url}/delete"),
        format!("csrf_token={csrf}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/connections");
    assert!(in_org(&state, "acme", |s| s.connection(id)).is_none());
    assert_eq!(get(&app, &page_url, Some(&cookie)).await.status(), 404);
    let [e] = connection_events(&state, "connection_deleted")
        .try_into()
        .unwrap();
    assert_eq!(e.detail["entity_id"], wizard_idp().entity_id);
    // Gone from the SAML layer, and its session ends at its next request.
    assert_eq!(
        get(&app, &format!("/saml/login?idp=conn-{id}"), None)
            .await
            .status(),
        400
    );
    let res = get(&app, "/me", Some(&wiz)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?notice=deactivated");
    // Alice, signed in through the configured connection, carries on.
    assert_eq!(get(&app, "/me", Some(&cookie)).await.status(), 200);
    // A new connection never gets the deleted one's ID (its slug still
    // names old sessions and audit events).
    let (_, again) = add_connection(
        &app,
        &cookie,
        add_form(
            &csrf,
            "Wizard",
            "keycloak",
            "",
            &wizard_idp().metadata_xml(None),
        ),
    )
    .await;
    assert!(again > id, "{again} reuses {id}");
}

/// The IdP's own test button (an IdP-initiated response) through a
/// connection being set up: a wrong Audience is shown on the page with
/// its code and remediation; a right one is a test report there; neither
/// signs anyone in, and nobody without a session gets anything.
#[actix_web::test]
async fn the_idps_own_test_button_reports_on_the_connection_page() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let (page_url, id) = add_connection(
        &app,
        &cookie,
        add_form(
            &csrf,
            "Wizard",
            "keycloak",
            "",
            &wizard_idp().metadata_xml(None),
        ),
    )
    .await;
    let unsolicited = |audience: &str| {
        let mut spec = person("W-wiz", "wiz@acme.test", "Wiz", "Ard", &[]);
        spec.audience = audience.into();
        acs_body(&wizard_idp().response(&spec), None)
    };
    // Not signed in: refused, nobody made.
    let res = post_form(&app, "/saml/acs", unsolicited(SP), None).await;
    assert_eq!(res.status(), 403);

    // The IdP sends the Audience the admin typed there.
    let res = post_form(&app, "/saml/acs", unsolicited(ACS), Some(&cookie)).await;
    assert_eq!(res.status(), 400);
    let page = body_of(get(&app, &page_url, Some(&cookie)).await).await;
    assert!(
        page.contains("<code id=\"failure-code\">audience_mismatch</code>"),
        "{page}"
    );
    assert!(
        page.contains(&format!("sends Audience &quot;{ACS}&quot;")),
        "{page}"
    );
    assert!(page.contains(&format!("&quot;{SP}&quot;")), "{page}");

    // Fixed at the IdP: the test lands on the page, verified.
    let res = post_form(&app, "/saml/acs", unsolicited(SP), Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), page_url);
    let page = body_of(get(&app, &page_url, Some(&cookie)).await).await;
    assert!(page.contains("Test sign-in succeeded"), "{page}");
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert!(row.tested_at.is_some() && row.enabled_at.is_none());
    assert_eq!(
        user_count(&state),
        1,
        "a test makes nobody (Alice is the only user)"
    );
}

/// Two instances on one database (the cluster): a connection added and
/// enabled through one is taken over by the other at its next
/// comparison, and one deleted through one stops signing people in
/// through the other, whose sessions made through it end.
#[actix_web::test]
async fn another_instance_takes_over_added_and_deleted_connections() {
    let dir = std::env::temp_dir().join(format!("visitor-connsync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cfg = config();
    cfg.server.database = dir.join("v.sqlite3");
    let (a, app_a) = demo!(AppState::build(cfg.clone(), None).unwrap());
    let (b, app_b) = demo!(AppState::build(cfg, None).unwrap());
    let (cookie, csrf) = alice(&app_a).await;
    let (page_url, id) = add_connection(
        &app_a,
        &cookie,
        add_form(
            &csrf,
            "Wizard",
            "keycloak",
            "",
            &wizard_idp().metadata_xml(None),
        ),
    )
    .await;
    enable(&a, id);
    let login = format!("/saml/login?idp=conn-{id}");
    assert_eq!(
        get(&app_b, &login, None).await.status(),
        400,
        "not yet at B"
    );

    let taken = b.sync_connections().unwrap();
    assert_eq!((taken.loaded, taken.unloaded), (1, 0));
    let (status, wiz) = real_sign_in(&app_b, id, &wizard_idp()).await;
    assert_eq!(status, 303, "B signs in through A's connection");
    let wiz = wiz.unwrap();
    assert_eq!(get(&app_b, "/me", Some(&wiz)).await.status(), 200);
    assert_eq!(
        b.sync_connections().unwrap(),
        Default::default(),
        "nothing changed: nothing reloaded"
    );

    let res = post_form(
        &app_a,
        &format!("{page_url}/delete"),
        format!("csrf_token={csrf}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    let gone = b.sync_connections().unwrap();
    assert_eq!((gone.loaded, gone.unloaded), (0, 1));
    assert_eq!(get(&app_b, &login, None).await.status(), 400, "gone at B");
    let res = get(&app_b, "/me", Some(&wiz)).await;
    assert_eq!(res.status(), 303, "B's session through it ends");
    assert_eq!(location(&res), "/?notice=deactivated");
    // A's own change had already been applied at A: nothing to do there.
    assert_eq!(a.sync_connections().unwrap(), Default::default());
    let _ = std::fs::remove_dir_all(&dir);
}
