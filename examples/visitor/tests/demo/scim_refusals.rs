//! SCIM refusals: each bad body, path, filter, method and token gets its
//! status and SCIM Error (`status` a string, `scimType`), and writes
//! nothing.

use actix_web::http::Method;
use serde_json::{Value, json};

use super::scim::{scim, token};
use super::*;

/// Each refusal: its status, scimType, and nothing written.
#[actix_web::test]
async fn bad_requests_are_refused_and_write_nothing() {
    let (state, app) = demo!();
    let t = token(&state, "acme");
    let before = user_count(&state);
    let post = |body: Value| {
        let (app, t) = (&app, t.clone());
        async move { scim(app, Method::POST, "/scim/v2/Users", Some(&t), Some(&body)).await }
    };
    for (body, status, scim_type, says) in [
        (
            json!({"name": {"givenName": "No"}}),
            400,
            "invalidValue",
            "userName is required",
        ),
        (
            json!({"userName": 5}),
            400,
            "invalidValue",
            "must be a string",
        ),
        (
            json!({"userName": "x@acme.test", "active": "yes"}),
            400,
            "invalidValue",
            "true or false",
        ),
        (
            json!({"userName": "x@globex.test"}),
            400,
            "invalidValue",
            "verified domains (acme.test)",
        ),
        (
            json!({"userName": "x@acme.test", "emails": [{"value": "x@evil.test"}]}),
            400,
            "invalidValue",
            "verified domains",
        ),
        (
            json!({"userName": "not an email"}),
            400,
            "invalidValue",
            "not an ASCII email",
        ),
        (
            json!({"userName": "x@acme.test", "favouriteColour": "red"}),
            400,
            "invalidPath",
            "no such attribute",
        ),
        (
            json!({"userName": "x@acme.test", "urn:ietf:params:scim:schemas:extension:visitor:2.0:User": {"location": "Globex Campus"}}),
            400,
            "invalidValue",
            "not one of the organization's locations",
        ),
        (
            json!(["not", "an", "object"]),
            400,
            "invalidSyntax",
            "JSON object",
        ),
    ] {
        let (s, _, got) = post(body.clone()).await;
        assert_eq!(s.as_u16(), status, "{body}: {got}");
        assert_eq!(got["scimType"], scim_type, "{body}: {got}");
        assert_eq!(got["status"], status.to_string(), "status is a string");
        assert!(
            got["detail"].as_str().unwrap().contains(says),
            "{body}: {got}"
        );
    }
    // Not JSON at all.
    let req = test::TestRequest::post()
        .uri("/scim/v2/Users")
        .insert_header((header::AUTHORIZATION, format!("Bearer {t}")))
        .set_payload("{\"userName\": ");
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 400);
    // Over the size limit: 413 before parsing.
    let huge = json!({"userName": "x@acme.test", "displayName": "x".repeat(70_000)});
    let (s, _, got) = post(huge).await;
    assert_eq!((s.as_u16(), got["status"].clone()), (413, json!("413")));
    assert_eq!(user_count(&state), before, "nothing written");

    // A PATCH whose last operation fails changes nothing.
    let (_, _, u) = post(json!({"userName": "keep@acme.test", "displayName": "Keep"})).await;
    let path = format!("/scim/v2/Users/{}", u["id"].as_str().unwrap());
    let ops = json!({"Operations": [{"op": "replace", "path": "displayName", "value": "Changed"},
                                    {"op": "replace", "path": "userName", "value": "x@globex.test"}]});
    let (s, _, _) = scim(&app, Method::PATCH, &path, Some(&t), Some(&ops)).await;
    assert_eq!(s, 400);
    let (_, _, now) = scim(&app, Method::GET, &path, Some(&t), None).await;
    assert_eq!(now["displayName"], "Keep");
    // Taken userName, email or externalId: 409 uniqueness, nothing changed.
    let (_, _, other) = post(json!({"userName": "other@acme.test", "externalId": "ext-o"})).await;
    let other_path = format!("/scim/v2/Users/{}", other["id"].as_str().unwrap());
    for (target, value) in [
        (&other_path, json!({"userName": "KEEP@acme.test"})),
        (
            &other_path,
            json!({"emails": [{"value": "keep@acme.test", "type": "work"}]}),
        ),
        (&path, json!({"externalId": "ext-o"})),
    ] {
        let ops = json!({"Operations": [{"op": "replace", "value": value}]});
        let (s, _, got) = scim(&app, Method::PATCH, target, Some(&t), Some(&ops)).await;
        assert_eq!(
            (s.as_u16(), got["scimType"].clone()),
            (409, json!("uniqueness")),
            "{value}: {got}"
        );
    }
    let (_, _, still) = scim(&app, Method::GET, &other_path, Some(&t), None).await;
    assert_eq!(still["userName"], "other@acme.test");
}

#[actix_web::test]
async fn unknown_paths_ids_filters_and_methods() {
    let (state, app) = demo!();
    let t = token(&state, "acme");
    for (method, path, status) in [
        (Method::GET, "/scim/v2/Users/987654", 404),
        (Method::GET, "/scim/v2/Users/abc", 404),
        (Method::PUT, "/scim/v2/Users/0", 404),
        (Method::DELETE, "/scim/v2/Users/-1", 404),
        (Method::GET, "/scim/v2/Groups", 404),
        (Method::GET, "/scim/v2/Schemas/urn:nope", 404),
        (Method::GET, "/scim/v2/ResourceTypes/Group", 404),
        (Method::POST, "/scim/v2/Schemas", 405),
        (Method::DELETE, "/scim/v2/ServiceProviderConfig", 405),
        (Method::PUT, "/scim/v2/ResourceTypes/User", 405),
        (
            Method::GET,
            "/scim/v2/Users?filter=userName+co+%22a%22",
            400,
        ),
        (
            Method::GET,
            "/scim/v2/Users?filter=displayName+eq+%22a%22",
            400,
        ),
        (Method::GET, "/scim/v2/Users?startIndex=one", 400),
    ] {
        let body = (method == Method::PUT).then(|| json!({"userName": "a@acme.test"}));
        let (s, h, got) = scim(&app, method.clone(), path, Some(&t), body.as_ref()).await;
        assert_eq!(s.as_u16(), status, "{method} {path}: {got}");
        assert_eq!(
            got["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{path}"
        );
        assert_eq!(
            h.get(header::CONTENT_TYPE).unwrap(),
            "application/scim+json"
        );
        if path.contains("filter") {
            assert_eq!(got["scimType"], "invalidFilter");
        }
    }
}

#[actix_web::test]
async fn tokens_missing_bad_or_revoked_get_401() {
    let (state, app) = demo!();
    let good = token(&state, "acme");
    let id: i64 = good.split('_').nth(1).unwrap().parse().unwrap();
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let other_id = good.replacen(&format!("_{id}_"), &format!("_{}_", id + 1), 1);
    for t in [
        None,
        Some(""),
        Some("vscim_1_x"),
        Some(tampered.as_str()),
        Some(other_id.as_str()),
    ] {
        for path in [
            "/scim/v2/Users",
            "/scim/v2/ServiceProviderConfig",
            "/scim/v2/nowhere",
        ] {
            let (s, h, got) = scim(&app, Method::GET, path, t, None).await;
            assert_eq!(s, 401, "{t:?} {path}");
            assert!(
                h.get(header::WWW_AUTHENTICATE)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("Bearer")
            );
            assert_eq!(got["status"], "401");
        }
    }
    let (s, _, _) = scim(&app, Method::GET, "/scim/v2/Users", Some(&good), None).await;
    assert_eq!(s, 200);
    assert!(
        state
            .store
            .revoke_scim_token("acme", id, Utc::now())
            .unwrap()
    );
    assert!(
        !state
            .store
            .revoke_scim_token("acme", id, Utc::now())
            .unwrap(),
        "once"
    );
    let (s, _, _) = scim(&app, Method::GET, "/scim/v2/Users", Some(&good), None).await;
    assert_eq!(s, 401, "revoked");
    let stored: Vec<u8> = state
        .store
        .unscoped(|c| {
            c.query_row(
                "SELECT secret_hash FROM scim_tokens WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
        })
        .unwrap();
    let secret = good.rsplit('_').next().unwrap();
    assert_eq!(stored.len(), 32, "a SHA-256, not the secret");
    assert!(!String::from_utf8_lossy(&stored).contains(secret));
}
