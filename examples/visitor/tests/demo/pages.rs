//! The pages, sessions, CSRF and visitor pre-registration.

use super::*;

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
    let res = post_form(
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
    let res = post_form(
        &app,
        "/logout",
        format!("csrf_token={token}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 303);
    // The test IdPs publish no SingleLogoutService: local only, and the
    // page says the company sign-in goes on.
    assert_eq!(location(&res), "/?logout=local");
    let removal = set_cookie(&res, "id").expect("cookie removed");
    assert!(
        removal.contains("Max-Age=0") || removal.starts_with("id=;"),
        "{removal}"
    );
    // Replaying the old cookie gets nothing.
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?return_to=%2Fme");
    let page = body_of(get(&app, "/?logout=local", None).await).await;
    assert!(page.contains("You are signed out here."), "{page}");
    assert!(page.contains("does not offer single"), "{page}");
    let page = body_of(get(&app, "/?logout=idp", None).await).await;
    assert!(page.contains("here and at your company"), "{page}");
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
        let res = post_form(&app, "/visits", form(token), Some(&cookie)).await;
        assert_eq!(res.status(), 403, "{why}");
        assert!(body_of(res).await.contains("This form has expired"));
    }
    let visits: i64 = state
        .store
        .unscoped(|c| c.query_row("SELECT count(*) FROM visits", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(visits, 0);
    // Sign-out without a token is refused too: still signed in after.
    let res = post_form(&app, "/logout", String::new(), Some(&cookie)).await;
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

    let res = post_form(
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
    let res = post_form(
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
    let res = post_form(
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
