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
