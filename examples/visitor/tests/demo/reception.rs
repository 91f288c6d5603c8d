//! The reception kiosk: its token, what it shows, who it offers, check-in,
//! rate limits. Notifications and invitations are in [`super::outbox`].

use samlsp_visitor::app::ReceptionLimits;
use samlsp_visitor::reception::RateLimiter;
use samlsp_visitor::routes::KIOSK_COOKIE;

use super::*;

/// Acme with Alice (admin), Bob (host) and a kiosk at Acme HQ.
pub(super) struct Desk {
    pub admin: String,
    pub csrf: String,
    pub location: i64,
    pub token: String,
}

pub(super) async fn acme_desk<S>(app: &S, state: &AppState) -> Desk
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let idp = TestIdp::acme();
    let admin = signed_in(
        app,
        "acme",
        &idp,
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        ),
    )
    .await;
    signed_in(
        app,
        "acme",
        &idp,
        person("A-bob", "bob@acme.test", "Bob", "Acme", &[]),
    )
    .await;
    let csrf = csrf_of(&body_of(get(app, "/me", Some(&admin)).await).await);
    let location = in_org(state, "acme", |s| s.locations())[0].id;
    let (_, token) = make_kiosk(app, state, &admin, &csrf, "acme", location).await;
    Desk {
        admin,
        csrf,
        location,
        token,
    }
}

/// Opens the kiosk link on a fresh device: its cookies and the CSRF token
/// of the check-in form (shown once a search for `host` finds someone).
pub(super) async fn open_kiosk<S>(app: &S, token: &str, host: &str) -> (String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = get(app, &format!("/kiosk/start?token={token}"), None).await;
    assert_eq!(location(&res), "/kiosk");
    let set = set_cookie(&res, KIOSK_COOKIE).expect("kiosk cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/kiosk"),
        "{set}"
    );
    let kiosk = cookie_pair(&set);
    let res = get(app, "/kiosk", Some(&kiosk)).await;
    assert_eq!(res.status(), 200);
    let session = cookie_pair(&set_cookie(&res, "id").expect("a session for CSRF"));
    let cookies = format!("{kiosk}; {session}");
    let body = body_of(get(app, &format!("/kiosk?q={host}"), Some(&cookies)).await).await;
    assert!(body.contains("Welcome to Acme HQ") || body.contains("Welcome to Globex"));
    // The app's name leads back to the kiosk, not to the sign-in page.
    assert!(body.contains("class=\"brand\" href=\"/kiosk\""), "{body}");
    (cookies, csrf_of(&body))
}

#[actix_web::test]
async fn a_kiosk_offers_active_hosts_of_its_location_by_name_only() {
    let (state, app) = demo!();
    let desk = acme_desk(&app, &state).await;
    let (kiosk, _) = open_kiosk(&app, &desk.token, "bob").await;
    let page = body_of(get(&app, "/kiosk?q=bob", Some(&kiosk)).await).await;
    assert!(page.contains("Bob Acme"), "{page}");
    assert!(!page.contains("bob@acme.test"), "no emails: {page}");
    // Searching by email finds nobody: names only.
    let page = body_of(get(&app, "/kiosk?q=acme.test", Some(&kiosk)).await).await;
    assert!(page.contains("No host found"), "{page}");
    // One letter is not a search.
    let page = body_of(get(&app, "/kiosk?q=b", Some(&kiosk)).await).await;
    assert!(page.contains("at least two letters") && !page.contains("Bob Acme"));
    // At most ten names, however many match.
    for i in 0..14 {
        manual_user(
            &state,
            "acme",
            &format!("m{i}@acme.test"),
            &format!("Mia {i:02}"),
        );
    }
    let page = body_of(get(&app, "/kiosk?q=mia", Some(&kiosk)).await).await;
    assert_eq!(page.matches("name=\"host_id\"").count(), 10, "{page}");
    // A deactivated host disappears at once.
    let bob = user_by_email(&state, "bob@acme.test").id;
    in_org(&state, "acme", |s| s.set_active(bob, false, Utc::now()));
    let page = body_of(get(&app, "/kiosk?q=bob", Some(&kiosk)).await).await;
    assert!(!page.contains("Bob Acme"), "{page}");
    // A host without access to the kiosk's location is not offered: a new
    // location, where no one has access yet.
    let annex = in_org(&state, "acme", |s| s.add_location("Annex", Utc::now())).unwrap();
    let (_, token) = make_kiosk(&app, &state, &desk.admin, &desk.csrf, "acme", annex).await;
    let annex_kiosk = format!("{KIOSK_COOKIE}={token}");
    let page = body_of(get(&app, "/kiosk?q=alice", Some(&annex_kiosk)).await).await;
    assert!(
        page.contains("Welcome to Annex") && !page.contains("Alice Acme"),
        "{page}"
    );
}

#[actix_web::test]
async fn no_token_a_bad_or_revoked_token_opens_nothing() {
    let (state, app) = demo!();
    let desk = acme_desk(&app, &state).await;
    for cookie in [
        None,
        Some(format!("{KIOSK_COOKIE}=nope")),
        Some(format!("{KIOSK_COOKIE}={}", "a".repeat(64))),
    ] {
        let res = get(&app, "/kiosk?q=bob", cookie.as_deref()).await;
        assert_eq!(res.status(), 403);
        assert!(!body_of(res).await.contains("Bob"));
    }
    let res = get(
        &app,
        &format!("/kiosk/start?token={}", "b".repeat(64)),
        None,
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(set_cookie(&res, KIOSK_COOKIE).is_none());

    let (kiosk, _) = open_kiosk(&app, &desk.token, "bob").await;
    let id = in_org(&state, "acme", |s| s.kiosks())[0].id;
    let form = format!("csrf_token={}", desk.csrf);
    let res = post_form(
        &app,
        &format!("/admin/kiosks/{id}/revoke"),
        form,
        Some(&desk.admin),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        get(&app, "/kiosk", Some(&kiosk)).await.status(),
        403,
        "revoked at once"
    );
    // Both are in the organization's audit log, without the token.
    let events: Vec<(String, String)> = state
        .store
        .unscoped(|c| {
            c.query_map(
                "SELECT action, detail FROM audit_events \
                 WHERE action LIKE 'kiosk_link_%' ORDER BY id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["kiosk_link_made", "kiosk_link_revoked"]);
    assert!(events.iter().all(|(_, d)| !d.contains(&desk.token)));
    // The database holds the token's hash, never the token.
    let stored: Vec<u8> = state
        .store
        .unscoped(|c| c.query_row("SELECT token_hash FROM kiosk_tokens", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&desk.token));
}

#[actix_web::test]
async fn kiosk_tokens_come_from_the_injected_generator() {
    let state = AppState::build(config(), None)
        .unwrap()
        .with_random(std::sync::Arc::new(|b: &mut [u8]| {
            b.fill(0x5a);
            Ok(())
        }));
    let (state, app) = demo!(state);
    let desk = acme_desk(&app, &state).await;
    assert_eq!(desk.token, "5a".repeat(32));
    let stored: Vec<u8> = state
        .store
        .unscoped(|c| c.query_row("SELECT token_hash FROM kiosk_tokens", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(stored, openssl::sha::sha256("5a".repeat(32).as_bytes()));
    // A generator that fails makes no token.
    let state = AppState::build(config(), None)
        .unwrap()
        .with_random(std::sync::Arc::new(|_: &mut [u8]| Err("no entropy".into())));
    let (state, app) = demo!(state);
    let idp = TestIdp::acme();
    let admin = signed_in(
        &app,
        "acme",
        &idp,
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        ),
    )
    .await;
    let csrf = csrf_of(&body_of(get(&app, "/me", Some(&admin)).await).await);
    let location = in_org(&state, "acme", |s| s.locations())[0].id;
    let form = format!("csrf_token={csrf}&location_id={location}&label=Desk");
    let res = post_form(&app, "/admin/kiosks", form, Some(&admin)).await;
    assert_eq!(res.status(), 500);
    assert!(in_org(&state, "acme", |s| s.kiosks()).is_empty());
}

#[actix_web::test]
async fn another_organizations_kiosk_sees_and_checks_in_nothing_here() {
    let (state, app) = demo!();
    let acme = acme_desk(&app, &state).await;
    let today = Utc::now().date_naive();
    let bob = user_by_email(&state, "bob@acme.test").id;
    let form = format!(
        "csrf_token={}&visitor_name=Ada+Acmevisitor&visitor_email=ada%40v.test&host_id={bob}&date={today}",
        acme.csrf
    );
    assert_eq!(
        post_form(&app, "/visits", form, Some(&acme.admin))
            .await
            .status(),
        303
    );
    let visit = in_org(&state, "acme", |s| s.expected_visits(today))[0].id;

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
    let gcsrf = csrf_of(&body_of(get(&app, "/me", Some(&gina)).await).await);
    let campus = in_org(&state, "globex", |s| s.locations())[0].id;
    let (_, token) = make_kiosk(&app, &state, &gina, &gcsrf, "globex", campus).await;
    let (globex, csrf) = open_kiosk(&app, &token, "gina").await;
    for q in ["q=bob", "q=acme", "who=ada%40v.test", "who=Ada+Acmevisitor"] {
        let page = body_of(get(&app, &format!("/kiosk?{q}"), Some(&globex)).await).await;
        // (The page repeats the search text; nothing else of Acme.)
        assert!(
            !page.contains("Bob Acme") && !page.contains("visiting") && !page.contains("host_id"),
            "{q}: {page}"
        );
    }
    let res = post_form(
        &app,
        &format!("/kiosk/visits/{visit}/check-in"),
        format!("csrf_token={csrf}&company=X"),
        Some(&globex),
    )
    .await;
    assert_eq!(res.status(), 404);
    let walk_in = format!("csrf_token={csrf}&name=Eve&email=e%40v.test&company=&host_id={bob}");
    assert_eq!(
        post_form(&app, "/kiosk/check-in", walk_in, Some(&globex))
            .await
            .status(),
        404
    );
    let v = in_org(&state, "acme", |s| s.visit(visit)).unwrap();
    assert_eq!(v.checked_in_at, None);
    assert_eq!(
        in_org(&state, "acme", |s| s.expected_visits(today)).len(),
        1
    );
}

#[actix_web::test]
async fn a_visitor_finds_their_visit_and_checks_in_once() {
    let (state, app) = demo!();
    let desk = acme_desk(&app, &state).await;
    let today = Utc::now().date_naive();
    let bob = user_by_email(&state, "bob@acme.test").id;
    let form = format!(
        "csrf_token={}&visitor_name=Ada+Lovelace&visitor_email=ada%40v.test&host_id={bob}&date={today}",
        desk.csrf
    );
    assert_eq!(
        post_form(&app, "/visits", form, Some(&desk.admin))
            .await
            .status(),
        303
    );
    let (kiosk, csrf) = open_kiosk(&app, &desk.token, "bob").await;
    // Partial names find nothing: a visitor gives their own full name or address.
    let page = body_of(get(&app, "/kiosk?who=ada", Some(&kiosk)).await).await;
    assert!(page.contains("No visit found"), "{page}");
    let page = body_of(get(&app, "/kiosk?who=ADA%40v.test", Some(&kiosk)).await).await;
    assert!(
        page.contains("Ada Lovelace") && page.contains("visiting Bob Acme"),
        "{page}"
    );
    let visit = in_org(&state, "acme", |s| s.expected_visits(today))[0].id;
    let path = format!("/kiosk/visits/{visit}/check-in");
    let form = format!("csrf_token={csrf}&company=Analytical+Engines");
    let res = post_form(&app, &path, form.clone(), Some(&kiosk)).await;
    assert_eq!(res.status(), 200);
    assert!(
        body_of(res)
            .await
            .contains("We are letting Bob Acme know you are here")
    );
    let v = in_org(&state, "acme", |s| s.visit(visit)).unwrap();
    assert!(v.checked_in_at.is_some());
    assert_eq!(v.visitor_company, "Analytical Engines");
    // Again: still checked in, no second message.
    assert_eq!(
        post_form(&app, &path, form, Some(&kiosk)).await.status(),
        200
    );
    assert_eq!(outbox_rows(&state), 1);
    // Without the CSRF token: refused.
    let res = post_form(&app, &path, "company=X".into(), Some(&kiosk)).await;
    assert_eq!(res.status(), 403);
    // The admin sees today's visitors per location, checked in.
    let page = body_of(get(&app, "/admin/reception", Some(&desk.admin)).await).await;
    assert!(
        page.contains("Ada Lovelace")
            && page.contains("Analytical Engines")
            && page.contains("checked in at"),
        "{page}"
    );
    // The host sees it on the visitors page.
    let page = body_of(get(&app, "/visits", Some(&desk.admin)).await).await;
    assert!(
        page.contains("checked in at") && page.contains("notifying the host"),
        "{page}"
    );
}

#[actix_web::test]
async fn a_name_with_a_line_break_is_refused_and_nothing_is_queued() {
    let (state, app) = demo!();
    let desk = acme_desk(&app, &state).await;
    let (kiosk, csrf) = open_kiosk(&app, &desk.token, "bob").await;
    let bob = user_by_email(&state, "bob@acme.test").id;
    for (name, email) in [
        ("Eve%0D%0ABcc%3A+all%40acme.test", "e%40v.test"),
        ("Eve", "e%40v.test%0D%0ABcc%3A+all%40acme.test"),
    ] {
        let form = format!("csrf_token={csrf}&name={name}&email={email}&company=&host_id={bob}");
        let res = post_form(&app, "/kiosk/check-in", form, Some(&kiosk)).await;
        assert_eq!(res.status(), 400);
    }
    assert_eq!(outbox_rows(&state), 0);
    let form = format!("csrf_token={csrf}&name=Eve+Walker&email=e%40v.test&company=&host_id={bob}");
    assert_eq!(
        post_form(&app, "/kiosk/check-in", form, Some(&kiosk))
            .await
            .status(),
        200
    );
    assert_eq!(outbox_rows(&state), 1);
    let _ = desk.location;
}

#[actix_web::test]
async fn kiosks_and_token_attempts_are_rate_limited() {
    let state = AppState::build(config(), None)
        .unwrap()
        .with_limits(ReceptionLimits {
            per_kiosk: RateLimiter::new(5, 3600),
            token_attempts: RateLimiter::new(3, 3600),
        });
    let (state, app) = demo!(state);
    let desk = acme_desk(&app, &state).await;
    let (kiosk, _) = open_kiosk(&app, &desk.token, "bob").await; // 3 requests
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(
                get(&app, "/kiosk?q=bo", Some(&kiosk))
                    .await
                    .status()
                    .as_u16(),
            );
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429, 429]);
    let bad = format!("{KIOSK_COOKIE}={}", "c".repeat(64));
    let mut v = Vec::new();
    for _ in 0..4 {
        v.push(get(&app, "/kiosk", Some(&bad)).await.status().as_u16());
    }
    assert_eq!(v, [403, 403, 403, 429]);
}

/// Rows in the outbox, whatever their organization.
pub(super) fn outbox_rows(state: &AppState) -> i64 {
    state
        .store
        .unscoped(|c| c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)))
        .unwrap()
}

#[actix_web::test]
async fn a_host_deprovisioned_by_scim_disappears_from_the_kiosk_at_once() {
    use actix_web::http::Method;

    use super::scim::{scim, token};

    let (state, app) = demo!();
    let desk = acme_desk(&app, &state).await;
    let (kiosk, _) = open_kiosk(&app, &desk.token, "bob").await;
    let bob = user_by_email(&state, "bob@acme.test").id;
    let t = token(&state, "acme");
    let (s, _, _) = scim(
        &app,
        Method::DELETE,
        &format!("/scim/v2/Users/{bob}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let page = body_of(get(&app, "/kiosk?q=bob", Some(&kiosk)).await).await;
    assert!(
        !page.contains("Bob Acme") && page.contains("No host found"),
        "{page}"
    );
}
