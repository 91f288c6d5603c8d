//! SCIM routes, walked from the table `configure` mounts
//! ([`samlsp_visitor::scim::routes`]): organization B's token never reads,
//! finds, changes or deletes organization A's users, and an A user's ID
//! answers exactly as an ID that never existed.

use actix_web::http::Method;
use samlsp_visitor::scim::routes as scim_routes;
use serde_json::{Value, json};

use super::super::scim::{scim, token};
use super::*;

/// The same body with every `id` value and ID in a path blanked (404s name
/// the ID asked for).
fn blank_ids(v: &Value, ids: &[String]) -> String {
    let mut t = v.to_string();
    for id in ids {
        t = t.replace(&format!("\\\"{id}\\\""), "\\\"ID\\\"");
    }
    t
}

on_both_backends!(
    no_scim_route_reaches_another_organization,
    no_scim_route_reaches_another_organization_on_postgres,
    no_scim_route_reaches_another_organization_with
);

async fn no_scim_route_reaches_another_organization_with(config: Config) {
    let (state, app) = demo!(AppState::build(config, None).unwrap());
    let (a, b) = (token(&state, "acme"), token(&state, "globex"));
    let ann = json!({
        "userName": "ann.scim@acme.test", "externalId": "acme-ext-1", "displayName": "Ann Acmescim",
        "emails": [{"value": "ann.work@acme.test", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:visitor:2.0:User": {"location": ACME_HQ}
    });
    let (s, _, ann) = scim(&app, Method::POST, "/scim/v2/Users", Some(&a), Some(&ann)).await;
    assert_eq!(s, 201);
    signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-bo", "bo@acme.test", "Bo", "Acmejit", &[]),
    )
    .await;
    let bo = user_by_email(&state, "bo@acme.test").id.to_string();
    let (s, _, _) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        Some(&b),
        Some(&json!({"userName": "gus@globex.test"})),
    )
    .await;
    assert_eq!(s, 201);
    let a_ids = [ann["id"].as_str().unwrap().to_owned(), bo];
    let markers = [
        "ann.scim@acme.test",
        "ann.work@acme.test",
        "acme-ext-1",
        "Ann Acmescim",
        ACME_HQ,
        "bo@acme.test",
        "Acmejit",
    ];
    let before = org_rows(&state, "acme");
    let no_markers = |where_: &str, body: &Value| {
        let text = body.to_string();
        for m in markers {
            assert!(!text.contains(m), "{where_}: shows {m:?}: {text}");
        }
    };

    let mut exercised = 0;
    for r in scim_routes() {
        let methods = match &r.method {
            Some(m) => vec![m.clone()],
            None => vec![Method::POST, Method::PUT, Method::PATCH, Method::DELETE],
        };
        for method in methods {
            let body = r.sample_body.map(|t| {
                serde_json::from_str::<Value>(&t.replace("{user}", "ann.scim@acme.test")).unwrap()
            });
            let where_ = format!("{method} {} with globex's token", r.path);
            if r.path == "/Users/{id}" {
                let never = scim(
                    &app,
                    method.clone(),
                    "/scim/v2/Users/987654",
                    Some(&b),
                    body.as_ref(),
                )
                .await;
                for id in &a_ids {
                    let path = format!("/scim/v2/Users/{id}");
                    let got = scim(&app, method.clone(), &path, Some(&b), body.as_ref()).await;
                    assert_eq!(got.0, 404, "{where_}: {}", got.2);
                    assert_eq!(
                        blank_ids(&got.2, &a_ids),
                        blank_ids(&never.2, &["987654".to_owned()]),
                        "{where_}: as for an ID that never existed"
                    );
                }
            } else {
                let path = format!(
                    "/scim/v2{}",
                    r.path
                        .replace("/ResourceTypes/{id}", "/ResourceTypes/User")
                        .replace(
                            "/Schemas/{id}",
                            "/Schemas/urn:ietf:params:scim:schemas:extension:visitor:2.0:User"
                        )
                );
                let (s, _, got) = scim(&app, method.clone(), &path, Some(&b), body.as_ref()).await;
                assert_ne!(
                    s, 409,
                    "{where_}: a 409 would say the userName exists elsewhere"
                );
                if r.path == "/Users" && method == Method::POST {
                    // The refusal echoes what globex sent, nothing of acme's.
                    assert!(
                        got["detail"]
                            .as_str()
                            .unwrap()
                            .contains("verified domains (globex.test)"),
                        "{got}"
                    );
                } else {
                    no_markers(&where_, &got);
                }
            }
            exercised += 1;
        }
    }
    assert!(exercised >= 13, "{exercised}");
    for filter in [
        "userName eq \"ann.scim@acme.test\"",
        "externalId eq \"acme-ext-1\"",
        &format!("id eq \"{}\"", a_ids[0]),
        &format!("id eq \"{}\"", a_ids[1]),
        "emails[type eq \"work\"].value eq \"ann.work@acme.test\"",
        "emails.value eq \"bo@acme.test\"",
    ] {
        let body = json!({"filter": filter});
        let (_, _, got) = scim(
            &app,
            Method::POST,
            "/scim/v2/Users/.search",
            Some(&b),
            Some(&body),
        )
        .await;
        assert_eq!(got["totalResults"], 0, "{filter}: {got}");
    }
    let (_, _, all) = scim(&app, Method::GET, "/scim/v2/Users", Some(&b), None).await;
    assert_eq!(all["totalResults"], 1, "globex's own user only: {all}");
    assert_eq!(org_rows(&state, "acme"), before, "acme unchanged");
    // And acme's own token still sees its users.
    let (_, _, mine) = scim(&app, Method::GET, "/scim/v2/Users", Some(&a), None).await;
    assert_eq!(mine["totalResults"], 2);
}
