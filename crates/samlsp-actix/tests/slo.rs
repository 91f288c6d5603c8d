//! Single Logout through the routes, in-process, SP-initiated: "Sign out" ends the local
//! session first and sends a signed LogoutRequest to the IdP; the IdP's
//! LogoutResponse lands on the signed-out page with the outcome; an IdP's
//! LogoutRequest ends the named sessions without any cookie, leaves every
//! other session alone, and every refusal ends nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
#[macro_use]
mod slo_support;

use common::*;
use slo_support::*;

#[actix_web::test]
async fn sign_out_ends_the_local_session_then_the_idps() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    assert!(signed_in(&app, &alice).await);

    let res = post_form(&app, "/logout", String::new(), Some(&alice)).await;
    // Not a 302: a redirect after a form post is checked against the
    // submitting page's CSP form-action, which would stop the browser.
    assert_eq!(res.status(), 200);
    let refresh = res
        .headers()
        .get(actix_web::http::header::REFRESH)
        .expect("a Refresh header")
        .to_str()
        .unwrap()
        .to_owned();
    let to_idp = refresh.strip_prefix("0;url=").expect("0;url=").to_owned();
    let csp = res
        .headers()
        .get(actix_web::http::header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let body = String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap();
    assert!(
        body.contains(&format!("href=\"{}\"", samlsp_actix::html::escape(&to_idp))),
        "{body}"
    );
    assert!(
        to_idp.starts_with(&format!("{}?SAMLRequest=", TestIdp::acme().sso_url)),
        "{to_idp}"
    );
    // Ended here before the IdP answers (it may never).
    assert!(!signed_in(&app, &alice).await);

    // The IdP verifies our request, then answers.
    let acme = acme_side();
    let query = to_idp.split_once('?').unwrap().1;
    let now = Utc::now();
    let samlsp::ReceivedLogout::Request(request) = acme
        .receive_logout(
            samlsp::SloMessage::Redirect { query },
            now,
            &samlsp::MemoryRequestStore::default(),
            &samlsp::MemoryReplayCache::default(),
        )
        .unwrap()
    else {
        panic!("not a LogoutRequest")
    };
    assert_eq!(request.name_id().value(), "alice@acme.test");
    assert_eq!(request.name_id().format(), Some(NAMEID_EMAIL));
    assert_eq!(request.session_indexes(), ["sess-_a1".to_owned()]);
    let OutboundMessage::Redirect { url } = acme
        .logout_response(&request, samlsp::LogoutReply::Success, now, &OsRandom)
        .unwrap()
    else {
        panic!("answered by Redirect")
    };
    let path = format!("/saml/slo?{}", url.split_once('?').unwrap().1);
    let res = get(&app, &path, None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?logout=idp");

    // The pending logout was taken: the same answer again is refused.
    log.clear();
    let res = get(&app, &path, None).await;
    assert_eq!(location(&res), "/?logout=idp_failed");
    let all = log.lines().join("\n");
    assert!(all.contains("kind=unknown_logout_request"), "{all}");
}

#[actix_web::test]
async fn sign_out_is_local_when_the_idp_has_no_single_logout() {
    // Every case captures the log, so no callsite is first reached with no
    // subscriber alive (tracing would then cache it as disabled).
    let _log = LogCapture::default();
    let _g = _log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let gina = sign_in(
        &app,
        &TestIdp::globex(),
        "globex",
        "gina@globex.test",
        "_g1",
    )
    .await;
    let res = post_form(&app, "/logout", String::new(), Some(&gina)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?logout=local");
    assert!(!signed_in(&app, &gina).await);
}

#[actix_web::test]
async fn session_not_on_or_after_caps_the_local_session() {
    // Every case captures the log, so no callsite is first reached with no
    // subscriber alive (tracing would then cache it as disabled).
    let _log = LogCapture::default();
    let _g = _log.install();
    let clock = clock();
    let saml = saml(clock.clone());
    let app = app!(saml);
    let acme = TestIdp::acme();
    let start = *clock.lock().unwrap();
    let req = start_login(&app, "acme").await;
    let mut spec = ResponseSpec::new(SP, ACS, "alice@acme.test").in_response_to(&req.id);
    spec.session_not_on_or_after = Some(start + Duration::minutes(10));
    let r = acme.response(&spec);
    let res = post_form(
        &app,
        "/saml/acs",
        acs_body(&r, Some(&req.relay_state)),
        req.cookie().as_deref(),
    )
    .await;
    let alice = cookie_pair(&set_cookie(&res, "id").unwrap());
    *clock.lock().unwrap() = start + Duration::minutes(9);
    assert!(signed_in(&app, &alice).await);
    *clock.lock().unwrap() = start + Duration::minutes(10);
    assert!(
        !signed_in(&app, &alice).await,
        "the IdP's cap, not our 8 hours"
    );
}

#[actix_web::test]
async fn metadata_publishes_the_slo_url_for_both_bindings() {
    // Every case captures the log, so no callsite is first reached with no
    // subscriber alive (tracing would then cache it as disabled).
    let _log = LogCapture::default();
    let _g = _log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let res = get(&app, "/saml/metadata", None).await;
    let md = body_of(res).await;
    for b in ["HTTP-Redirect", "HTTP-POST"] {
        assert!(
            md.contains(&format!(
                "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:{b}\" Location=\"{SLO}\""
            )),
            "{md}"
        );
    }
}
