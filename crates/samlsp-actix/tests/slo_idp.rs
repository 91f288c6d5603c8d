//! Single Logout started by the IdP, through the routes, in-process: a
//! LogoutRequest ends the sessions it names without any cookie and no other;
//! every refusal ends nothing; a Redirect signature is verified over the
//! query string as received.
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
async fn an_idp_logout_ends_the_named_session_without_its_cookie_and_no_other() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    let alice2 = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a2").await;
    let bob = sign_in(&app, &TestIdp::acme(), "acme", "bob@acme.test", "_b1").await;

    // Server to server (Keycloak's back-channel logout): no cookie at all.
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("alice@acme.test", Some("sess-_a1")),
        None,
    )
    .await;
    let xml = answered_status(res).await;
    assert!(xml.contains("status:Success"), "{xml}");
    assert!(!signed_in(&app, &alice).await, "ended at its next request");
    assert!(
        signed_in(&app, &alice2).await,
        "another IdP session of hers"
    );
    assert!(signed_in(&app, &bob).await, "another person");

    // Without SessionIndex: every session of that NameID at that IdP.
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("alice@acme.test", None),
        None,
    )
    .await;
    assert!(answered_status(res).await.contains("status:Success"));
    assert!(!signed_in(&app, &alice2).await);
    assert!(signed_in(&app, &bob).await);
    let all = log.lines().join("\n");
    assert!(
        all.contains("IdP-initiated logout: sessions ended"),
        "{all}"
    );
}

#[actix_web::test]
async fn refused_idp_logouts_end_nothing() {
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let bob = sign_in(&app, &TestIdp::acme(), "acme", "bob@acme.test", "_b1").await;

    // A NameID never signed in here: answered UnknownPrincipal, logged.
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("mallory@acme.test", None),
        None,
    )
    .await;
    let xml = answered_status(res).await;
    assert!(xml.contains("status:UnknownPrincipal"), "{xml}");
    assert!(log.lines().join("\n").contains("kind=unknown_principal"));

    // Replayed: the fixed page, nothing ended.
    let body = idp_logout_body("bob@acme.test", Some("sess-other"));
    let _ = post_form(&app, "/saml/slo", body.clone(), None).await;
    log.clear();
    let res = post_form(&app, "/saml/slo", body, None).await;
    assert_refused(res, &log, "replay").await;

    // Unsigned: the same request with its signature cut out.
    let signed_body = idp_logout_body("bob@acme.test", None);
    let value = samlsp::internal::binding::url_decode(
        signed_body
            .split_once("SAMLRequest=")
            .unwrap()
            .1
            .split('&')
            .next()
            .unwrap(),
    )
    .unwrap();
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap(),
    )
    .unwrap();
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
    let body = format!(
        "SAMLRequest={}",
        samlsp::internal::binding::url_encode(
            &base64::engine::general_purpose::STANDARD.encode(unsigned)
        )
    );
    log.clear();
    let res = post_form(&app, "/saml/slo", body, None).await;
    assert_refused(res, &log, "not_signed").await;

    assert!(signed_in(&app, &bob).await, "bob was never logged out");
}

#[actix_web::test]
async fn a_redirect_logout_request_is_verified_over_the_query_as_received() {
    // Every case captures the log, so no callsite is first reached with no
    // subscriber alive (tracing would then cache it as disabled).
    let _log = LogCapture::default();
    let _g = _log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    // Acme's Redirect LogoutRequest, re-encoded in lower case and signed over those
    // octets, as an IdP that writes `%2f` does.
    let subject = LogoutSubject::new("alice@acme.test", Some(NAMEID_EMAIL.into()));
    let p = acme_side()
        .logout_request(
            &EntityId::new(SP).unwrap(),
            &subject,
            Some(Binding::HttpRedirect),
            None,
            Utc::now(),
            &OsRandom,
        )
        .unwrap();
    let OutboundMessage::Redirect { url } = p.message() else {
        panic!()
    };
    let query = url.split_once('?').unwrap().1;
    let value = |name: &str| {
        let raw = query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap();
        samlsp::internal::binding::url_decode(raw).unwrap()
    };
    let mut q = format!(
        "SAMLRequest={}&RelayState={}&SigAlg={}",
        lower(&value("SAMLRequest")),
        lower(&value("RelayState")),
        lower("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    );
    assert!(q.contains("%2f") || q.contains("%2b"), "{q}");
    let key = openssl::pkey::PKey::private_key_from_pem(&samlsp_tests::read_repo_file(
        "testdata/keys/idp-rsa2048.key",
    ))
    .unwrap();
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    let sig = signer.sign_oneshot_to_vec(q.as_bytes()).unwrap();
    q.push_str(&format!(
        "&Signature={}",
        lower(&base64::engine::general_purpose::STANDARD.encode(sig))
    ));

    // Re-encoded in upper case, the same values are other octets: refused, nothing ended.
    let res = get(
        &app,
        &format!(
            "/saml/slo?{}",
            q.replace("%2f", "%2F").replace("%2b", "%2B")
        ),
        None,
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(signed_in(&app, &alice).await);

    let res = get(&app, &format!("/saml/slo?{q}"), None).await;
    assert_eq!(
        res.status(),
        302,
        "answered with a LogoutResponse by Redirect"
    );
    assert!(location(&res).contains("SAMLResponse="));
    assert!(!signed_in(&app, &alice).await);
}

/// The `frame-ancestors` directive of a response's Content-Security-Policy.
fn frame_ancestors(res: &actix_web::dev::ServiceResponse) -> String {
    let csp = res
        .headers()
        .get(actix_web::http::header::CONTENT_SECURITY_POLICY)
        .expect("a CSP")
        .to_str()
        .unwrap()
        .to_owned();
    csp.split(';')
        .map(str::trim)
        .find(|d| d.starts_with("frame-ancestors "))
        .unwrap_or_else(|| panic!("no frame-ancestors in {csp}"))
        .to_owned()
}

#[actix_web::test]
async fn the_post_answer_may_be_framed_by_the_idp_and_no_one_else() {
    // An IdP that runs each SP's logout in a hidden frame of its logout page
    // (front-channel iframe logout) must see our answer come back there.
    let log = LogCapture::default();
    let _g = log.install();
    let saml = saml(clock());
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("alice@acme.test", Some("sess-_a1")),
        None,
    )
    .await;
    assert_eq!(
        frame_ancestors(&res),
        "frame-ancestors https://idp.acme.test"
    );
    assert!(answered_status(res).await.contains("status:Success"));
    assert!(!signed_in(&app, &alice).await);

    // A refused LogoutRequest gets our error page, which no one may frame.
    let bob = sign_in(&app, &TestIdp::acme(), "acme", "bob@acme.test", "_b1").await;
    let body = idp_logout_body("bob@acme.test", Some("sess-_b1"));
    let tampered = body.replacen("SAMLRequest=P", "SAMLRequest=Q", 1);
    assert_ne!(body, tampered);
    let res = post_form(&app, "/saml/slo", tampered, None).await;
    assert_eq!(res.status(), 400);
    assert_eq!(frame_ancestors(&res), "frame-ancestors 'none'");
    assert!(signed_in(&app, &bob).await);
}
