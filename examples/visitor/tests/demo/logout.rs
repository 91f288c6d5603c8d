//! Single Logout and tenancy: an identity provider's LogoutRequest ends
//! only sessions it started. Another organization's IdP, signing correctly
//! with its own key, cannot end (or learn of) a session of this one, even
//! naming the same NameID.

use super::idp_logout::logout_body;
use super::*;

#[actix_web::test]
async fn an_idp_logout_ends_only_its_own_organizations_sessions() {
    let log = LogCapture::default();
    let _g = log.install();
    let (_state, app) = demo!();
    // The same NameID value at both companies.
    let alice = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("P-1", "alice@acme.test", "Alice", "A", &[]),
    )
    .await;
    let gina = signed_in(
        &app,
        "globex",
        &TestIdp::globex(),
        person("P-1", "gina@globex.test", "Gina", "G", &[]),
    )
    .await;
    let me = |cookie: String| {
        let app = &app;
        async move { get(app, "/me", Some(&cookie)).await.status().as_u16() }
    };

    // Globex's IdP names "P-1": at Globex that is Gina, whose session
    // ends; Alice, Acme's "P-1", is another person and stays signed in.
    let res = post_form(
        &app,
        "/saml/slo",
        logout_body(&TestIdp::globex(), "P-1"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(me(gina.clone()).await, 303, "Globex's own session ended");
    assert_eq!(me(alice.clone()).await, 200, "Acme's session untouched");

    // Again: nothing of Globex's left, and nothing of Acme's is reachable.
    log.clear();
    let res = post_form(
        &app,
        "/saml/slo",
        logout_body(&TestIdp::globex(), "P-1"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(log.lines().join("\n").contains("kind=unknown_principal"));
    assert_eq!(me(alice.clone()).await, 200);

    // Acme's IdP ends Acme's session.
    let res = post_form(
        &app,
        "/saml/slo",
        logout_body(&TestIdp::acme(), "P-1"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(me(alice).await, 303);
}

/// Failed sign-out steps are in the organization's audit log: a verified
/// LogoutRequest naming nobody, in its IdP's organization; a broken one
/// brought by a signed-in browser, in that browser's organization, marked
/// unverified (its own, smaller cap); nothing in anyone else's.
#[actix_web::test]
async fn failed_sign_outs_are_in_their_organizations_audit_log() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let alice = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-alice", "alice@acme.test", "Alice", "A", &[]),
    )
    .await;
    let failures = |org: &str| {
        in_org(&state, org, |s| {
            s.audit_events(
                &store::AuditFilter {
                    category: Some("sign_in".into()),
                    outcome: Some("failed".into()),
                    ..Default::default()
                },
                10,
            )
        })
    };

    let res = post_form(
        &app,
        "/saml/slo",
        logout_body(&TestIdp::globex(), "G-nobody"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let globex = failures("globex");
    let [f] = globex.as_slice() else {
        panic!("{globex:?}")
    };
    assert_eq!(f.action, "sign_out_failed");
    assert_eq!(f.code.as_deref(), Some("logout_unknown_principal"));
    assert_eq!(f.connection.as_deref(), Some("globex"));
    assert_eq!(f.detail["step"], "idp_request");
    assert_eq!(f.detail["attribution"], "verified");
    assert!(f.detail["remediation"].as_str().unwrap().len() > 20);
    assert!(failures("acme").is_empty());

    // A broken LogoutRequest (its signature does not verify), brought by
    // Alice's browser: Acme's, unverified; her session stays.
    let broken =
        logout_body(&TestIdp::acme(), "A-alice").replacen("SAMLRequest=P", "SAMLRequest=Q", 1);
    let res = post_form(&app, "/saml/slo", broken, Some(&alice)).await;
    assert_eq!(res.status(), 400);
    let acme = failures("acme");
    let [f] = acme.as_slice() else {
        panic!("{acme:?}")
    };
    assert_eq!(f.action, "sign_out_failed");
    assert_eq!(f.detail["attribution"], "session");
    let unverified: i64 = state
        .store
        .unscoped(|c| {
            c.query_row(
                "SELECT count(*) FROM audit_events WHERE action = 'sign_out_failed' \
                 AND unverified = 1",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(unverified, 1);
    assert_eq!(get(&app, "/me", Some(&alice)).await.status(), 200);
    assert_eq!(failures("globex").len(), 1, "nothing more in Globex's");
}
