//! SCIM and SAML share one user store: a provisioned user signs in and is
//! linked, a just-in-time user is adopted by the provisioning client, and
//! deprovisioning refuses sign-in and ends existing sessions at once.

use actix_web::http::Method;
use serde_json::{Value, json};

use super::scim::{Clocked, app_of, scim, token};
use super::*;

async fn create<S>(app: &S, t: &str, body: Value) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let (s, _, got) = scim(app, Method::POST, "/scim/v2/Users", Some(t), Some(&body)).await;
    assert_eq!(s, 201, "{got}");
    got
}

async fn set_active<S>(app: &S, t: &str, id: &str, active: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let ops = json!({"Operations": [{"op": "Replace", "path": "active", "value": active}]});
    let path = format!("/scim/v2/Users/{id}");
    let (s, _, got) = scim(app, Method::PATCH, &path, Some(t), Some(&ops)).await;
    assert_eq!(s, 200, "{got}");
    got
}

#[actix_web::test]
async fn provisioned_user_signs_in_and_is_linked() {
    let (state, app) = demo!();
    let t = token(&state, "acme");
    let made = create(
        &app,
        &t,
        json!({
            "userName": "dana@acme.test", "displayName": "Dana Provisioned",
            "urn:ietf:params:scim:schemas:extension:visitor:2.0:User": {"location": "acme hq"}
        }),
    )
    .await;
    assert_eq!(
        made["urn:ietf:params:scim:schemas:extension:visitor:2.0:User"]["location"],
        ACME_HQ
    );
    let before = user_count(&state);
    let cookie = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-dana", "dana@acme.test", "Dana", "D", &[]),
    )
    .await;
    assert_eq!(user_count(&state), before, "linked, not created");
    let dana = user_by_email(&state, "dana@acme.test");
    assert_eq!(
        (dana.id.to_string(), dana.source.as_str()),
        (made["id"].as_str().unwrap().to_owned(), "scim")
    );
    assert_eq!(dana.default_location.as_deref(), Some(ACME_HQ));
    let me = body_of(get(&app, "/me", Some(&cookie)).await).await;
    assert!(me.contains("Dana"), "{me}");
    // A pre-registered host is in the directory before their first sign-in.
    create(
        &app,
        &t,
        json!({"userName": "erin@acme.test", "displayName": "Erin Early"}),
    )
    .await;
    let hosts = body_of(get(&app, "/hosts", Some(&cookie)).await).await;
    assert!(hosts.contains("Erin Early"), "{hosts}");
}

#[actix_web::test]
async fn just_in_time_user_is_adopted_not_duplicated() {
    let (state, app) = demo!();
    signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-finn", "finn@acme.test", "Finn", "F", &[]),
    )
    .await;
    let t = token(&state, "acme");
    let path = "/scim/v2/Users?filter=userName+eq+%22Finn%40Acme.test%22";
    let (_, _, found) = scim(&app, Method::GET, path, Some(&t), None).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let id = found["Resources"][0]["id"].as_str().unwrap().to_owned();
    let (s, _, got) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        Some(&t),
        Some(&json!({"userName": "finn@acme.test"})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), got["scimType"].clone()),
        (409, json!("uniqueness"))
    );
    let ops = json!({"Operations": [{"op": "add", "path": "externalId", "value": "entra-finn"}]});
    let (s, _, got) = scim(
        &app,
        Method::PATCH,
        &format!("/scim/v2/Users/{id}"),
        Some(&t),
        Some(&ops),
    )
    .await;
    assert_eq!(
        (s.as_u16(), got["externalId"].clone()),
        (200, json!("entra-finn"))
    );
}

/// The demo of the issue: deactivation through SCIM while signed in.
#[actix_web::test]
async fn deprovisioning_ends_sessions_and_refuses_sign_in_until_restored() {
    let clocked = Clocked::new();
    let state = clocked.state.clone();
    let app = app_of!(state);
    let acme = TestIdp::acme();
    let gil = || person("A-gil", "gil@acme.test", "Gil", "G", &[]);
    let cookie = signed_in(&app, "acme", &acme, gil()).await;
    let other = signed_in(
        &app,
        "acme",
        &acme,
        person("A-hal", "hal@acme.test", "Hal", "H", &[]),
    )
    .await;
    assert_eq!(get(&app, "/me", Some(&cookie)).await.status(), 200);
    let t = token(&state, "acme");
    let (_, _, found) = scim(
        &app,
        Method::GET,
        "/scim/v2/Users?filter=userName+eq+%22gil%40acme.test%22",
        Some(&t),
        None,
    )
    .await;
    let id = found["Resources"][0]["id"].as_str().unwrap().to_owned();

    clocked.advance(5);
    set_active(&app, &t, &id, "False").await;
    // The very next request of the signed-in browser is signed out.
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "/?notice=deactivated".to_owned())
    );
    let res = sign_in(&app, "acme", &acme, gil(), None).await;
    assert_eq!(res.status(), 403);
    assert!(set_cookie(&res, "id").is_none(), "no session");
    assert!(body_of(res).await.contains("Your account is deactivated"));
    let hosts = body_of(get(&app, "/hosts", Some(&other)).await).await;
    assert!(
        !hosts.contains("gil@acme.test"),
        "not a host while inactive"
    );

    clocked.advance(5);
    set_active(&app, &t, &id, "True").await;
    let again = signed_in(&app, "acme", &acme, gil()).await;
    assert_eq!(
        get(&app, "/me", Some(&again)).await.status(),
        200,
        "restored"
    );
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(res.status(), 303, "the session from before stays ended");
    let hosts = body_of(get(&app, "/hosts", Some(&other)).await).await;
    assert!(hosts.contains("gil@acme.test"));

    // Okta's path-less deactivation and a PUT with active false do the same.
    for body in [
        json!({"Operations": [{"op": "replace", "value": {"active": false}}]}),
        json!({"userName": "gil@acme.test", "active": false}),
    ] {
        clocked.advance(5);
        let s = signed_in(&app, "acme", &acme, gil()).await;
        let method = if body.get("Operations").is_some() {
            Method::PATCH
        } else {
            Method::PUT
        };
        let (st, _, got) = scim(
            &app,
            method,
            &format!("/scim/v2/Users/{id}"),
            Some(&t),
            Some(&body),
        )
        .await;
        assert_eq!(
            (st.as_u16(), got["active"].clone()),
            (200, json!(false)),
            "{got}"
        );
        assert_eq!(get(&app, "/me", Some(&s)).await.status(), 303, "{body}");
        clocked.advance(5);
        set_active(&app, &t, &id, "true").await;
    }
}

#[actix_web::test]
async fn delete_refuses_sign_in_even_with_jit_until_provisioned_again() {
    let (state, app) = demo!();
    // Acme creates accounts at sign-in: a deleted person must not come back that way.
    let t = token(&state, "acme");
    let made = create(&app, &t, json!({"userName": "ivy@acme.test"})).await;
    let ivy = || person("A-ivy", "ivy@acme.test", "Ivy", "I", &[]);
    let cookie = signed_in(&app, "acme", &TestIdp::acme(), ivy()).await;
    let path = format!("/scim/v2/Users/{}", made["id"].as_str().unwrap());
    let (s, _, _) = scim(&app, Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(s, 204);
    assert_eq!(
        get(&app, "/me", Some(&cookie)).await.status(),
        303,
        "session ended"
    );
    let before = user_count(&state);
    let res = sign_in(&app, "acme", &TestIdp::acme(), ivy(), None).await;
    assert_eq!(res.status(), 403, "refused, not created again just in time");
    assert!(body_of(res).await.contains("No account for you yet"));
    assert_eq!(user_count(&state), before);
    // Provisioned again: the same identity signs in to the new account.
    let again = create(&app, &t, json!({"userName": "ivy@acme.test"})).await;
    assert_ne!(again["id"], made["id"]);
    let cookie = signed_in(&app, "acme", &TestIdp::acme(), ivy()).await;
    assert_eq!(get(&app, "/me", Some(&cookie)).await.status(), 200);
    let ivy_now = user_by_email(&state, "ivy@acme.test");
    assert_eq!(ivy_now.id.to_string(), again["id"].as_str().unwrap());
}
