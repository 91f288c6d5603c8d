//! The app on PostgreSQL while PostgreSQL is stopped: pages, forms, the
//! kiosk, SCIM and sign-in answer 503 with `Retry-After` (never a 500) and
//! write nothing; once it is started again the same app works, without a
//! restart.

use actix_web::http::{Method, StatusCode, header};

use super::reception::{acme_desk, open_kiosk};
use super::scim::{scim, token};
use super::*;

fn retry_after(res: &ServiceResponse) -> Option<String> {
    res.headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn visits(state: &AppState) -> i64 {
    state
        .store
        .unscoped(|c| c.query_row("SELECT count(*) FROM visits", [], |r| r.get(0)))
        .unwrap()
}

#[actix_web::test]
async fn a_stopped_database_is_a_503_and_the_app_recovers_by_itself() {
    let server = test_postgres::TestPostgres::start("http");
    let mut cfg = config();
    cfg.server.database_url = Some(store::PgUrl::parse(&server.url("postgres")).unwrap());
    let (state, app) = demo!(AppState::build(cfg, None).unwrap());
    let desk = acme_desk(&app, &state).await;
    let (kiosk, _) = open_kiosk(&app, &desk.token, "bob").await;
    let bearer = token(&state, "acme");
    let bob = user_by_email(&state, "bob@acme.test").id;
    let date = Utc::now().date_naive() + chrono::Duration::days(3);
    let visit_form = format!(
        "csrf_token={}&visitor_name=Vera&visitor_email=v%40x.test&host_id={bob}&date={date}",
        desk.csrf
    );
    let users_before = user_count(&state);

    server.stop();
    // A page of a signed-in admin.
    let res = get(&app, "/me", Some(&desk.admin)).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry_after(&res).as_deref(), Some("10"));
    assert!(body_of(res).await.contains("Temporarily unavailable"));
    // A form: refused, and nothing of it is written.
    let res = post_form(&app, "/visits", visit_form.clone(), Some(&desk.admin)).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The kiosk.
    let res = get(&app, "/kiosk?q=bob", Some(&kiosk)).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after(&res).is_some());
    // SCIM: an RFC 7644 §3.12 error with the status, and Retry-After.
    let (status, headers, body) =
        scim(&app, Method::GET, "/scim/v2/Users", Some(&bearer), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "503");
    assert!(headers.contains_key(header::RETRY_AFTER));
    // A sign-in: the library's "temporarily unavailable" page, no session.
    let res = sign_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-cy", "cy@acme.test", "Cy", "Acme", &[]),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(set_cookie(&res, "id").is_none());
    assert!(retry_after(&res).is_some());
    assert!(body_of(res).await.contains(samlsp_actix::UNAVAILABLE_TITLE));

    server.start_again();
    // The same app, the same sessions: it works again, and nothing of the
    // refused requests was written.
    assert_eq!(visits(&state), 0);
    assert_eq!(user_count(&state), users_before);
    assert_eq!(get(&app, "/me", Some(&desk.admin)).await.status(), 200);
    let res = post_form(&app, "/visits", visit_form, Some(&desk.admin)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(visits(&state), 1);
    assert_eq!(get(&app, "/kiosk?q=bob", Some(&kiosk)).await.status(), 200);
    let (status, _, _) = scim(&app, Method::GET, "/scim/v2/Users", Some(&bearer), None).await;
    assert_eq!(status, StatusCode::OK);
    signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-cy", "cy@acme.test", "Cy", "Acme", &[]),
    )
    .await;
    assert_eq!(user_count(&state), users_before + 1);
}
