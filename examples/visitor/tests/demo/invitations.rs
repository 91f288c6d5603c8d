//! Invitations: the policy of an organization (at once, delayed, never),
//! who is never invited, the admin's form, and SCIM creation.

use std::sync::Arc;

use chrono::TimeDelta;
use samlsp_visitor::notify::{Invitation, Worker, invite_user, invite_users};
use samlsp_visitor::store::InvitePolicy;

use super::outbox::{Outbox, StepClock, report};
use super::reception::{acme_desk, outbox_rows};
use super::*;

fn provisioned(state: &AppState, org: &str, email: &str, source: &str) -> i64 {
    in_org(state, org, |s| {
        s.insert_user(
            &NewUser {
                email: email.into(),
                given_name: String::new(),
                family_name: String::new(),
                display_name: email.split('@').next().unwrap().into(),
                role: "host".into(),
                source: source.into(),
                external_id: None,
            },
            Utc::now(),
        )
    })
}

#[actix_web::test]
async fn invitations_follow_the_organizations_policy() {
    let clock = StepClock::new();
    let state = AppState::build(config(), Some(clock.clock())).unwrap();
    let mail = Arc::new(Outbox::default());
    let worker = Worker::new(state.store.clone(), mail.clone(), clock.clock());
    let links = state.sign_in_links();
    let url = links.of("acme").to_owned();
    assert_eq!(url, "http://127.0.0.1:8080/saml/login?idp=acme");
    assert_eq!(links.of("nowhere"), "http://127.0.0.1:8080/");
    let now = clock.clock()();
    let invite = |id: i64| {
        let links = links.clone();
        in_org(&state, "acme", move |s| invite_user(s, id, &links, now))
    };

    // At once (the default).
    let ann = provisioned(&state, "acme", "ann@acme.test", "scim");
    assert!(matches!(invite(ann), Invitation::Queued { .. }));
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 0));
    let m = mail.sent.lock().unwrap()[0].clone();
    assert_eq!(m.to, "ann@acme.test");
    assert_eq!(
        m.subject,
        "You can now sign in to Visitors with your Acme Corp account"
    );
    assert!(m.text.contains(&url) && m.html.contains(&url));

    // Just-in-time users signed in themselves: not invited.
    let jit = provisioned(&state, "acme", "jo@acme.test", "jit");
    assert_eq!(invite(jit), Invitation::NotProvisioned);
    assert_eq!(invite(987_654), Invitation::NoSuchUser);
    // Another organization's user is no user here.
    let gus = provisioned(&state, "globex", "gus@globex.test", "scim");
    assert_eq!(invite(gus), Invitation::NoSuchUser);

    // Delayed: queued now, sent from the set time on.
    let until = now + TimeDelta::hours(2);
    in_org(&state, "acme", |s| {
        s.set_invite_policy(InvitePolicy::Delay(until), now)
    });
    let bo = provisioned(&state, "acme", "bo@acme.test", "scim");
    assert_eq!(
        invite(bo),
        Invitation::Queued {
            id: 2,
            not_before: until
        }
    );
    clock.advance(3600);
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0));
    clock.advance(3600);
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 0));

    // Never: nothing queued, and invitations still waiting are cancelled.
    in_org(&state, "acme", |s| {
        s.set_invite_policy(InvitePolicy::Delay(until + TimeDelta::days(1)), now)
    });
    let cy = provisioned(&state, "acme", "cy@acme.test", "manual");
    assert!(matches!(invite(cy), Invitation::Queued { .. }));
    in_org(&state, "acme", |s| {
        s.set_invite_policy(InvitePolicy::Never, now)
    });
    let di = provisioned(&state, "acme", "di@acme.test", "scim");
    assert_eq!(invite(di), Invitation::Disabled);
    clock.advance(7 * 86_400);
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0));
    let cy_state = in_org(&state, "acme", |s| s.invitation(cy)).unwrap();
    assert_eq!(cy_state.status, "cancelled");
    assert_eq!(in_org(&state, "acme", |s| s.invitation(di)), None);
    assert_eq!(mail.sent.lock().unwrap().len(), 2);
    assert_eq!(outbox_rows(&state), 3);
    for (id, status) in [
        (ann, "sent"),
        (cy, "cancelled"),
        (di, "not invited"),
        (jit, "not invited"),
    ] {
        let shown =
            samlsp_visitor::pages::invitation_status(&in_org(&state, "acme", |s| s.invitation(id)));
        assert!(shown.starts_with(status), "{id}: {shown}");
    }

    // Many at once (a directory run): one outcome per user, in order.
    in_org(&state, "acme", |s| {
        s.set_invite_policy(InvitePolicy::Now, now)
    });
    let ed = provisioned(&state, "acme", "ed@acme.test", "scim");
    let fay = provisioned(&state, "acme", "fay@acme.test", "manual");
    in_org(&state, "acme", |s| s.set_active(fay, false, now));
    let links2 = links.clone();
    let outcomes = in_org(&state, "acme", move |s| {
        invite_users(s, &[ed, jit, fay, gus], &links2, now)
    });
    assert!(matches!(outcomes[0], Invitation::Queued { .. }));
    assert_eq!(
        outcomes[1..],
        [
            Invitation::NotProvisioned,
            Invitation::Inactive,
            Invitation::NoSuchUser
        ]
    );
}

#[actix_web::test]
async fn admins_set_the_invitation_policy_and_refuse_a_past_time() {
    let (state, app) = demo!();
    let desk = acme_desk(&app, &state).await;
    let post = |form: String| post_form(&app, "/admin/invitations", form, Some(&desk.admin));
    let past = (Utc::now() - TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M");
    let res = post(format!(
        "csrf_token={}&policy=delay&until={past}",
        desk.csrf
    ))
    .await;
    assert_eq!(res.status(), 400);
    let res = post(format!("csrf_token={}&policy=sometimes", desk.csrf)).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        in_org(&state, "acme", |s| s.invite_policy()),
        InvitePolicy::Now
    );
    let future = (Utc::now() + TimeDelta::days(1)).format("%Y-%m-%dT%H:%M");
    let res = post(format!(
        "csrf_token={}&policy=delay&until={future}",
        desk.csrf
    ))
    .await;
    assert_eq!(res.status(), 303);
    assert!(matches!(
        in_org(&state, "acme", |s| s.invite_policy()),
        InvitePolicy::Delay(_)
    ));
    let res = post(format!("csrf_token={}&policy=never", desk.csrf)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        in_org(&state, "acme", |s| s.invite_policy()),
        InvitePolicy::Never
    );
    let policies: i64 = state
        .store
        .unscoped(|c| {
            c.query_row(
                "SELECT count(*) FROM audit_events WHERE action = 'invitation_policy_set'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(policies, 2, "each change audited, the refused ones not");
    let page = body_of(get(&app, "/admin/reception", Some(&desk.admin)).await).await;
    assert!(page.contains("value=\"never\" checked"), "{page}");
    let bob = user_by_email(&state, "bob@acme.test").id;
    let page = body_of(get(&app, &format!("/admin/users/{bob}"), Some(&desk.admin)).await).await;
    assert!(
        page.contains("<dt>Invitation</dt><dd>not invited</dd>"),
        "{page}"
    );
}

#[actix_web::test]
async fn users_created_by_scim_are_invited_as_the_policy_says() {
    use actix_web::http::Method;
    use serde_json::json;

    use super::scim::{scim, token};

    let (state, app) = demo!();
    let t = token(&state, "acme");
    let create = |user: &str, email: Option<&str>, active: bool| {
        let mut body = json!({"userName": user, "name": {"givenName": "Pat", "familyName": "Doe"},
                              "active": active});
        if let Some(e) = email {
            body["emails"] = json!([{"value": e, "type": "work", "primary": true}]);
        }
        body
    };
    let id_of = |v: &serde_json::Value| {
        v["id"]
            .as_str()
            .and_then(|i| i.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("no id: {v}"))
    };

    let (s, _, pat) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        Some(&t),
        Some(&create("pat@acme.test", Some("pat@acme.test"), true)),
    )
    .await;
    assert_eq!(s, 201);
    let pat = id_of(&pat);
    let d = in_org(&state, "acme", |s| s.invitation(pat)).expect("invited");
    assert_eq!(d.status, "pending");
    // Deactivated at creation, or no email from the client: not invited.
    let (_, _, off) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        Some(&t),
        Some(&create("off@acme.test", Some("off@acme.test"), false)),
    )
    .await;
    let (_, _, bare) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        Some(&t),
        Some(&create("bare@acme.test", None, true)),
    )
    .await;
    for v in [&off, &bare] {
        assert_eq!(
            in_org(&state, "acme", |s| s.invitation(id_of(v))),
            None,
            "{v}"
        );
    }
    // Never: a SCIM-created user is not invited.
    in_org(&state, "acme", |s| {
        s.set_invite_policy(InvitePolicy::Never, Utc::now())
    });
    let (_, _, quiet) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        Some(&t),
        Some(&create("quiet@acme.test", Some("quiet@acme.test"), true)),
    )
    .await;
    assert_eq!(
        in_org(&state, "acme", |s| s.invitation(id_of(&quiet))),
        None
    );
    // The message says where to sign in.
    let body: String = state
        .store
        .unscoped(|c| {
            c.query_row(
                "SELECT body_text FROM outbox WHERE kind = 'invite' AND user_id = ?1",
                [pat],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert!(
        body.contains("http://127.0.0.1:8080/saml/login?idp=acme"),
        "{body}"
    );
}
