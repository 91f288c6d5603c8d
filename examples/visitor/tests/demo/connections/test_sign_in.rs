//! Test sign-ins through a console connection: the real flow, a failure
//! linked to its remediation, a success that marks the connection tested
//! without signing anyone in, enabling without a restart, and another
//! organization's test that marks nothing.

use super::*;

/// Posts `wizard_idp()`'s response to `req` with `cookie` (and the
/// request's binding cookie).
async fn answer<S>(app: &S, req: &SentRequest, spec: ResponseSpec, cookie: &str) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let r = wizard_idp().response(&spec.in_response_to(&req.id));
    post_form(
        app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie_with(Some(cookie)).as_deref(),
    )
    .await
}

#[actix_web::test]
async fn test_sign_in_runs_the_real_flow_then_the_connection_is_enabled_without_restart() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let xml = wizard_idp().metadata_xml(None);
    let (page_url, id) = add_connection(
        &app,
        &cookie,
        add_form(&csrf, "Acme Wizard", "keycloak", "", &xml),
    )
    .await;
    let slug = format!("conn-{id}");
    let wiz = || person("W-wiz", "wiz@acme.test", "Wiz", "Ard", &[]);

    // Loaded at once, for tests only: not on the sign-in page, and a real
    // sign-in is refused with a named error.
    let home = body_of(get(&app, "/", None).await).await;
    assert!(!home.contains("Acme Wizard"), "{home}");
    let res = get(&app, &format!("/saml/login?idp={slug}"), None).await;
    assert_eq!(res.status(), 403);

    // A failing test (the IdP sends another audience): the page names the
    // failure and links its trace.
    let req = start_login(&app, &format!("idp={slug}&test=1&return_to={page_url}")).await;
    let mut bad = wiz();
    bad.audience = "https://elsewhere.test/sp".into();
    let res = answer(&app, &req, bad, &cookie).await;
    assert_eq!(res.status(), 400);
    let body = body_of(get(&app, &page_url, Some(&cookie)).await).await;
    assert!(
        body.contains("Last failed sign-in through this connection"),
        "{body}"
    );
    assert!(body.contains("audience"), "{body}");
    assert!(!body.contains("Test sign-in succeeded"));

    // A successful test: back on the page with the verified NameID and the
    // mapped attributes; nobody signed in; the connection is tested.
    let req = start_login(&app, &format!("idp={slug}&test=1&return_to={page_url}")).await;
    let res = answer(&app, &req, wiz(), &cookie).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), page_url);
    let body = body_of(get(&app, &page_url, Some(&cookie)).await).await;
    for want in [
        "Test sign-in succeeded",
        "W-wiz",
        "wiz@acme.test",
        "firstName",
        "Ard",
    ] {
        assert!(body.contains(want), "{want}: {body}");
    }
    let users = state
        .store
        .unscoped(|c| {
            c.query_row(
                "SELECT count(*) FROM users WHERE email_normalized = 'wiz@acme.test'",
                [],
                |r| r.get::<i64>(0),
            )
        })
        .unwrap();
    assert_eq!(users, 0, "a test creates no user");
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert!(row.tested_at.is_some() && row.enabled_at.is_none());

    // Enabled: real sign-ins through it work, in Acme, without a restart.
    let res = post_form(
        &app,
        &format!("{page_url}/enable"),
        format!("csrf_token={csrf}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    let req = start_login(&app, &format!("idp={slug}")).await;
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(
            &wizard_idp().response(&wiz().in_response_to(&req.id)),
            Some(&req.relay_state),
        ),
        req.cookie().as_deref(),
    )
    .await;
    assert_eq!(res.status(), 303);
    let me = cookie_pair(&set_cookie(&res, "id").unwrap());
    let page = body_of(get(&app, "/me", Some(&me)).await).await;
    assert!(
        page.contains("Wiz Ard") && page.contains("Acme Corp"),
        "{page}"
    );
    let home = body_of(get(&app, "/", None).await).await;
    assert!(home.contains("Acme Wizard"), "{home}");

    // After a restart (a new app on the same store), it is loaded again.
    let again = state.store.all_connections().unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, "acme");
}

/// Another organization's admin can run the library's test flow through
/// Acme's connection (the login link is public), but the report marks
/// nothing: Acme's connection page is 404 for them and stays untested.
#[actix_web::test]
async fn another_organizations_test_sign_in_marks_nothing() {
    let (state, app) = demo!();
    let (cookie, csrf) = alice(&app).await;
    let xml = wizard_idp().metadata_xml(None);
    let (page_url, id) = add_connection(
        &app,
        &cookie,
        add_form(&csrf, "Acme Wizard", "keycloak", "", &xml),
    )
    .await;
    let gina = signed_in(
        &app,
        "globex",
        &TestIdp::globex(),
        person(
            "G-gina",
            "gina@globex.test",
            "Gina",
            "Globex",
            &["visitor-admins"],
        ),
    )
    .await;
    let req = start_login(&app, &format!("idp=conn-{id}&test=1&return_to={page_url}")).await;
    let res = answer(
        &app,
        &req,
        person("W-wiz", "wiz@acme.test", "Wiz", "Ard", &[]),
        &gina,
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = get(&app, &page_url, Some(&gina)).await;
    assert_eq!(res.status(), 404);
    let row = in_org(&state, "acme", |s| s.connection(id)).unwrap();
    assert_eq!(row.tested_at, None);
    let res = post_form(
        &app,
        &format!("{page_url}/enable"),
        format!(
            "csrf_token={}",
            csrf_of(&body_of(get(&app, "/me", Some(&gina)).await).await)
        ),
        Some(&gina),
    )
    .await;
    assert_eq!(res.status(), 404);
    // Alice's page, in her own browser, has no report either.
    let body = body_of(get(&app, &page_url, Some(&cookie)).await).await;
    assert!(!body.contains("Test sign-in succeeded"), "{body}");
}
