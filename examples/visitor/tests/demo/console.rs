//! The admin console's diagnostics: a failed sign-in's trace (code and
//! remediation for the admin, the fixed page for the person), its
//! redaction, the audit log's other events, export, bounds, connection
//! health and the metrics.

use samlsp_visitor::audit::{self, AuditPolicy, Category, Event, Outcome};
use samlsp_visitor::store::AuditFilter;

use super::*;

fn admin(org: &str) -> ResponseSpec {
    match org {
        "acme" => person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        ),
        _ => person(
            "G-gina",
            "gina@globex.test",
            "Gina",
            "Globex",
            &["visitor-admins"],
        ),
    }
}

/// A sign-in at Acme whose assertion names another audience; returns the
/// reference the person was shown.
async fn failed_sign_in<S>(app: &S, audience: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut spec = person("A-zed", "zed@acme.test", "Zed", "Secretattr", &[]);
    spec.audience = audience.into();
    let res = sign_in(app, "acme", &TestIdp::acme(), spec, None).await;
    assert_eq!(res.status(), 400);
    let body = body_of(res).await;
    // The person sees the fixed page and the reference, nothing else.
    assert!(body.contains(samlsp_actix::FAILED_TEXT), "{body}");
    assert!(!body.contains("udience") && !body.contains("audience_mismatch"));
    page_reference(&body)
}

/// The trace of `reference` as the admin's console shows it.
async fn trace_page<S>(app: &S, cookie: &str, reference: &str) -> (u16, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let list = body_of(
        get(
            app,
            &format!("/admin/audit?correlation_id={reference}"),
            Some(cookie),
        )
        .await,
    )
    .await;
    // The row's link: /admin/audit/<digits>.
    let Some(at) = list
        .match_indices("href=\"/admin/audit/")
        .map(|(i, _)| i + "href=\"".len())
        .find(|i| list[i + "/admin/audit/".len()..].starts_with(|c: char| c.is_ascii_digit()))
    else {
        return (404, list);
    };
    let rest = &list[at..];
    let href = &rest[..rest.find('"').unwrap()];
    let res = get(app, href, Some(cookie)).await;
    (res.status().as_u16(), body_of(res).await)
}

#[actix_web::test]
async fn a_failed_sign_in_shows_its_code_and_remediation_to_its_admins_only() {
    let (state, app) = demo!();
    let acme = signed_in(&app, "acme", &TestIdp::acme(), admin("acme")).await;
    let globex = signed_in(&app, "globex", &TestIdp::globex(), admin("globex")).await;
    let reference = failed_sign_in(&app, "https://evil.test/<script>x</script>\n").await;

    let (status, page) = trace_page(&app, &acme, &reference).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<code id=\"code\">audience_mismatch</code>"),
        "{page}"
    );
    assert!(page.contains("sends Audience"), "{page}");
    assert!(
        page.contains(&format!("our entity ID &quot;{SP}&quot;")),
        "{page}"
    );
    assert!(page.contains("pending_request"), "{page}");
    // Escaped: the audience's markup and newline are text.
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    assert!(page.contains("\\n"), "{page}");
    // Never the person's attributes.
    assert!(!page.contains("Secretattr") && !page.contains("zed@acme.test"));

    // Globex's admin finds nothing, by reference or by ID.
    let (status, page) = trace_page(&app, &globex, &reference).await;
    assert_eq!(status, 404, "{page}");
    let id = in_org(&state, "acme", |s| {
        let f = AuditFilter {
            correlation_id: Some(reference.clone()),
            ..AuditFilter::default()
        };
        Ok(s.audit_events(&f, 1)?[0].id)
    });
    let res = get(&app, &format!("/admin/audit/{id}"), Some(&globex)).await;
    assert_eq!(res.status(), 404);
}

#[actix_web::test]
async fn jit_creation_admin_actions_and_sign_ins_are_logged_and_exported() {
    let (state, app) = demo!();
    let acme = signed_in(&app, "acme", &TestIdp::acme(), admin("acme")).await;
    signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-bob", "bob@acme.test", "Bob", "Acme", &[]),
    )
    .await;
    let bob = user_by_email(&state, "bob@acme.test").id;
    let csrf = csrf_of(&body_of(get(&app, "/me", Some(&acme)).await).await);
    let res = post_form(
        &app,
        &format!("/admin/users/{bob}/active"),
        format!("csrf_token={csrf}&active=0"),
        Some(&acme),
    )
    .await;
    assert_eq!(res.status(), 303);

    let rows = in_org(&state, "acme", |s| {
        s.audit_events(&AuditFilter::default(), 50)
    });
    let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user_created",
            "signed_in",
            "user_created",
            "signed_in",
            "user_deactivated"
        ]
    );
    assert_eq!(
        rows[0].actor.as_deref(),
        Some(&*format!(
            "user:{}",
            user_by_email(&state, "alice@acme.test").id
        ))
    );
    assert_eq!(rows[0].detail["user_id"], bob.to_string());

    let res = get(
        &app,
        "/admin/audit/export?format=csv&category=admin",
        Some(&acme),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/csv; charset=utf-8"
    );
    let csv = body_of(res).await;
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("\"user_deactivated\""), "{csv}");
    let res = get(
        &app,
        "/admin/audit/export?format=jsonl&outcome=ok",
        Some(&acme),
    )
    .await;
    let jsonl = body_of(res).await;
    assert_eq!(jsonl.lines().count(), 5, "{jsonl}");
    for line in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["at"].is_string());
    }
    // A filter value the log cannot hold is refused, not searched.
    let res = get(&app, "/admin/audit?code=%27%20OR%201%3D1", Some(&acme)).await;
    assert_eq!(res.status(), 400);
    let res = get(&app, "/admin/audit/export?format=xml", Some(&acme)).await;
    assert_eq!(res.status(), 400);
}

#[actix_web::test]
async fn details_are_clipped_and_secrets_redacted() {
    let (state, _app) = demo!();
    let now = Utc::now();
    let e = Event::new(now, Category::Token, "token_created", Outcome::Ok)
        .actor("user:1\nforged line")
        .detail("api_token", "s3cr3t-value")
        .detail("Password", "hunter2")
        .detail("note", "x".repeat(5000));
    let rows = in_org(&state, "acme", |s| {
        audit::record(s, &e)?;
        s.audit_events(&AuditFilter::default(), 1)
    });
    let r = &rows[0];
    assert_eq!(r.actor.as_deref(), Some("user:1\u{fffd}forged line"));
    assert_eq!(r.detail["api_token"], "[redacted]");
    assert_eq!(r.detail["Password"], "[redacted]");
    assert_eq!(
        r.detail["note"].as_str().unwrap().chars().count(),
        audit::MAX_DETAIL_CHARS
    );
    let stored = serde_json::to_string(r).unwrap();
    assert!(!stored.contains("s3cr3t") && !stored.contains("hunter2"));
}

#[actix_web::test]
async fn the_log_is_bounded_by_count_and_age() {
    let (state, _app) = demo!();
    let t0 = Utc::now();
    state.store.set_audit_cap(3).unwrap();
    let event = |days: i64, n: usize| {
        Event::new(
            t0 + chrono::Duration::days(days),
            Category::Admin,
            "role_set",
            Outcome::Ok,
        )
        .detail("n", n.to_string())
    };
    // The cap holds at every insert, per organization.
    in_org(&state, "acme", |s| {
        for n in 0..5 {
            audit::record(s, &event(0, n))?;
        }
        Ok(())
    });
    in_org(&state, "globex", |s| {
        audit::record(s, &event(10, 9)).map(|_| ())
    });
    let acme = in_org(&state, "acme", |s| {
        s.audit_events(&AuditFilter::default(), 10)
    });
    let kept: Vec<&str> = acme
        .iter()
        .map(|r| r.detail["n"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["4", "3", "2"]);

    // Retention, on the clock given: 30 days after t0, acme's (day 0) go,
    // globex's (day 10) stay.
    let policy = AuditPolicy {
        retention_days: 25,
        max_events_per_org: 3,
        max_unverified_events_per_org: 2,
        prune_every_seconds: 60,
    };
    let deleted = audit::prune(&state.store, &policy, t0 + chrono::Duration::days(30)).unwrap();
    assert_eq!(deleted, 3);
    let left = |org| in_org(&state, org, |s| s.audit_events(&AuditFilter::default(), 10)).len();
    assert_eq!((left("acme"), left("globex")), (0, 1));
}

/// Failures anyone can attribute to an organization (a response naming
/// its IdP as Issuer, unverified) have their own, smaller cap: a flood of
/// them pushes out only earlier ones, never the verified events.
#[actix_web::test]
async fn unverified_failures_cannot_push_verified_events_out() {
    let (state, app) = demo!();
    state.store.set_audit_cap(5).unwrap();
    state.store.set_unverified_audit_cap(3).unwrap();
    // Verified: Alice's sign-in and four admin actions.
    signed_in(&app, "acme", &TestIdp::acme(), admin("acme")).await;
    in_org(&state, "acme", |s| {
        for n in 0..4 {
            audit::record(
                s,
                &Event::new(Utc::now(), Category::Admin, "role_set", Outcome::Ok)
                    .detail("n", n.to_string()),
            )?;
        }
        Ok(())
    });
    // A flood of unsolicited responses signed by nobody we trust, naming
    // Acme's IdP: each is a failure trace attributed by the claimed Issuer.
    let forger = TestIdp {
        key_file: "testdata/keys/sp-rsa2048.key",
        cert_file: "testdata/keys/sp-rsa2048.crt",
        ..TestIdp::acme()
    };
    for n in 0..20 {
        let r = forger.response(&person(&format!("X-{n}"), "x@acme.test", "X", "Y", &[]));
        let res = post_form(&app, "/saml/acs", acs_body(&r, None), None).await;
        assert_eq!(res.status(), 400);
    }
    let rows = in_org(&state, "acme", |s| {
        s.audit_events(&AuditFilter::default(), 100)
    });
    let claimed = rows
        .iter()
        .filter(|r| r.detail["attribution"] == "claimed_issuer")
        .count();
    assert_eq!(claimed, 3, "the unverified cap");
    assert_eq!(
        rows.iter().filter(|r| r.action == "role_set").count(),
        4,
        "every admin action kept"
    );
    assert!(
        rows.iter().any(|r| r.action == "signed_in"),
        "the sign-in kept"
    );
    let unverified: i64 = state
        .store
        .unscoped(|c| {
            c.query_row(
                "SELECT count(*) FROM audit_events WHERE unverified = 1",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(unverified, 3);

    // Verified events keep their own cap, whatever the unverified do.
    in_org(&state, "acme", |s| {
        audit::record(
            s,
            &Event::new(Utc::now(), Category::Admin, "role_set", Outcome::Ok).detail("n", "4"),
        )
    });
    let rows = in_org(&state, "acme", |s| {
        s.audit_events(&AuditFilter::default(), 100)
    });
    assert_eq!(rows.len(), 5 + 3);
    assert!(
        !rows.iter().any(|r| r.action == "signed_in"),
        "the oldest verified went"
    );
}

#[actix_web::test]
async fn health_shows_the_organizations_connections_and_certificates() {
    let (_state, app) = demo!();
    let acme = signed_in(&app, "acme", &TestIdp::acme(), admin("acme")).await;
    let res = get(&app, "/admin/health", Some(&acme)).await;
    assert_eq!(res.status(), 200);
    let page = body_of(res).await;
    assert!(page.contains("<code>acme</code>"), "{page}");
    assert!(!page.contains("<code>globex</code>"), "{page}");
    assert!(page.contains("metadata loaded"), "{page}");
    // A SHA-256 fingerprint and an expiry line.
    assert!(page.matches(':').count() > 31, "{page}");
    assert!(page.contains("days"), "{page}");
}

#[actix_web::test]
async fn metrics_count_sign_ins_by_outcome_and_code() {
    let (state, app) = demo!();
    signed_in(&app, "acme", &TestIdp::acme(), admin("acme")).await;
    failed_sign_in(&app, "https://other.test/sp").await;
    state.metrics.operation("scim_user_create", true);
    let text = state.metrics.render();
    assert!(
        text.contains("visitor_operations_total{kind=\"scim_user_create\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("visitor_sign_ins_total{outcome=\"ok\",code=\"none\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("visitor_sign_ins_total{outcome=\"failed\",code=\"audience_mismatch\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("visitor_verification_seconds_count{outcome=\"failed\"} 1"),
        "{text}"
    );
    assert!(text.contains("visitor_store_errors_total 0"), "{text}");
    assert!(
        text.contains("visitor_audit_writes_total{outcome=\"ok\"}"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

#[actix_web::test]
async fn the_metrics_listener_serves_the_exposition() {
    let (state, _app) = demo!();
    let app = test::init_service(
        App::new()
            .app_data(actix_web::web::Data::new(state.metrics.clone()))
            .route(
                "/metrics",
                actix_web::web::get().to(samlsp_visitor::metrics::serve),
            ),
    )
    .await;
    let res = get(&app, "/metrics", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        samlsp_visitor::metrics::CONTENT_TYPE
    );
    let text = body_of(res).await;
    assert!(
        text.contains("# TYPE visitor_store_errors counter"),
        "{text}"
    );
}

#[actix_web::test]
async fn scim_changes_are_logged_in_their_organization() {
    use actix_web::http::Method;
    use serde_json::json;

    use super::scim::{scim, token};

    let (state, app) = demo!();
    let t = token(&state, "acme");
    let (s, _, made) = scim(
        &app,
        Method::POST,
        "/scim/v2/Users",
        Some(&t),
        Some(&json!({"userName": "dana@acme.test", "displayName": "Dana"})),
    )
    .await;
    assert_eq!(s, 201, "{made}");
    let path = format!("/scim/v2/Users/{}", made["id"].as_str().unwrap());
    let off = json!({"Operations": [{"op": "Replace", "path": "active", "value": false}]});
    let (s, _, got) = scim(&app, Method::PATCH, &path, Some(&t), Some(&off)).await;
    assert_eq!(s, 200, "{got}");
    let (s, _, _) = scim(&app, Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(s, 204);
    // A refused request records nothing.
    let (s, _, _) = scim(&app, Method::DELETE, &path, Some(&t), None).await;
    assert_eq!(s, 404);

    let f = AuditFilter {
        category: Some("provisioning".into()),
        ..AuditFilter::default()
    };
    let rows = in_org(&state, "acme", |s| s.audit_events(&f, 10));
    let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "scim_user_created",
            "scim_user_deactivated",
            "scim_user_deleted"
        ]
    );
    assert!(rows.iter().all(|r| r.actor.as_deref() == Some("scim")));
    assert!(in_org(&state, "globex", |s| s.audit_events(&f, 10)).is_empty());
    let text = state.metrics.render();
    assert!(
        text.contains("visitor_operations_total{kind=\"scim_user_delete\",outcome=\"failed\"} 1"),
        "{text}"
    );
}
