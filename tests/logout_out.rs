#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! SP-initiated Single Logout: our signed LogoutRequest (checked by
//! `openssl dgst` over the query octets and by `xmlsec1` on the enveloped
//! signature, and verified by the IdP side), the round trips through the
//! IdP's answer, our LogoutResponse, the configuration a logout needs.
//! The refusals of LogoutResponses are in `logout_response.rs`.

mod slo_support;

use std::process::Command;

use samlsp::{
    Binding, EntityId, Error, LogoutError, LogoutReply, LogoutStatus, MemoryReplayCache,
    MemoryRequestStore, OutboundMessage, ReceivedLogout, ServiceProvider, SloMessage, Url,
};
use slo_support::*;

/// The IdP side verifies our request and answers Success.
fn idp_answers(message: &OutboundMessage, reply: LogoutReply) -> OutboundMessage {
    let idp = idp_side();
    let received = match message {
        OutboundMessage::Redirect { url } => idp.receive_logout(
            SloMessage::Redirect { query: query(url) },
            now(),
            &MemoryRequestStore::default(),
            &MemoryReplayCache::default(),
        ),
        OutboundMessage::Post(form) => idp.receive_logout(
            SloMessage::PostRequest {
                saml_request: &form.fields()[0].1,
                relay_state: form.fields().get(1).map(|f| f.1.as_str()),
            },
            now(),
            &MemoryRequestStore::default(),
            &MemoryReplayCache::default(),
        ),
    };
    let ReceivedLogout::Request(v) = received.unwrap() else {
        panic!("not a request")
    };
    // What the IdP reads is what the SP's session had.
    assert_eq!(v.issuer().as_str(), SP);
    assert_eq!(v.name_id().value(), "alice@acme.test");
    assert_eq!(v.name_id().format(), Some(EMAIL));
    assert_eq!(v.name_id().name_qualifier(), Some(IDP));
    assert_eq!(v.name_id().sp_name_qualifier(), Some(SP));
    assert_eq!(v.session_indexes(), ["idx-7".to_owned()]);
    idp.logout_response(&v, reply, now(), &Counter::default())
        .unwrap()
}

fn sp_receives(
    message: &OutboundMessage,
    store: &MemoryRequestStore,
) -> Result<ReceivedLogout, Error> {
    match message {
        OutboundMessage::Redirect { url } => sp().receive_logout(
            SloMessage::Redirect { query: query(url) },
            now(),
            store,
            &MemoryReplayCache::default(),
        ),
        OutboundMessage::Post(form) => sp().receive_logout(
            SloMessage::PostResponse {
                saml_response: &form.fields()[0].1,
                relay_state: form.fields().get(1).map(|f| f.1.as_str()),
            },
            now(),
            store,
            &MemoryReplayCache::default(),
        ),
    }
}

#[test]
fn redirect_round_trip_takes_the_pending_request_once() {
    let store = MemoryRequestStore::default();
    let (request, relay_state, xml) = start(Binding::HttpRedirect, &store);
    let OutboundMessage::Redirect { url } = &request else {
        panic!()
    };
    assert!(url.starts_with(&format!("{IDP_SLO}?SAMLRequest=")));
    assert!(xml.contains(&format!("Destination=\"{IDP_SLO}\"")));
    assert!(xml.contains("NotOnOrAfter=\"2026-03-01T12:05:00Z\""));
    assert!(xml.contains("<samlp:SessionIndex>idx-7</samlp:SessionIndex>"));
    let answer = idp_answers(&request, LogoutReply::Success);
    let OutboundMessage::Redirect { url: back } = &answer else {
        panic!()
    };
    assert!(back.starts_with(&format!("{SP_SLO}?SAMLResponse=")));
    let ReceivedLogout::Response(r) = sp_receives(&answer, &store).unwrap() else {
        panic!("not a response")
    };
    assert_eq!(r.status(), &LogoutStatus::Success);
    assert_eq!(r.issuer().as_str(), IDP);
    assert_eq!(r.request().app_state(), Some("/bye"));
    assert_eq!(r.request().relay_state().as_str(), relay_state);
    // The pending request is gone: the same answer again is refused.
    assert_eq!(
        sp_receives(&answer, &store),
        Err(LogoutError::UnknownRequest.into())
    );
}

#[test]
fn our_redirect_signature_verifies_with_openssl_over_the_query_octets() {
    let (request, _, _) = start(Binding::HttpRedirect, &MemoryRequestStore::default());
    let OutboundMessage::Redirect { url } = request else {
        panic!()
    };
    let (signed_octets, sig) = query(&url).split_once("&Signature=").unwrap();
    use base64::Engine;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(samlsp::internal::binding::url_decode(sig).unwrap())
        .unwrap();
    let (data, sig_file, pubkey) = (tmp("octets"), tmp("sig"), tmp("pub.pem"));
    std::fs::write(&data, signed_octets).unwrap();
    std::fs::write(&sig_file, sig).unwrap();
    let out = Command::new("openssl")
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(samlsp_tests::repo_file("testdata/keys/sp-rsa2048.crt"))
        .output()
        .expect("openssl is required");
    std::fs::write(&pubkey, out.stdout).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&pubkey)
        .arg("-signature")
        .arg(&sig_file)
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Verified OK");
}

#[test]
fn post_round_trip_and_xmlsec1_verifies_the_enveloped_signature() {
    let store = MemoryRequestStore::default();
    let (request, _, xml) = start(Binding::HttpPost, &store);
    let file = tmp("logout-request.xml");
    std::fs::write(&file, &xml).unwrap();
    let out = Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(samlsp_tests::repo_file("testdata/keys/sp-rsa2048.crt"))
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
        ])
        .arg(&file)
        .output()
        .expect("xmlsec1 is required (scripts/test-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = idp_answers(&request, LogoutReply::Success);
    assert!(matches!(answer, OutboundMessage::Post(_)));
    let ReceivedLogout::Response(r) = sp_receives(&answer, &store).unwrap() else {
        panic!()
    };
    assert_eq!(r.status(), &LogoutStatus::Success);
}

#[test]
fn logout_needs_a_signing_key_and_both_endpoints() {
    let unsigned = ServiceProvider::builder(EntityId::new(SP).unwrap())
        .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
        .slo_url(Binding::HttpRedirect, Url::new(SP_SLO).unwrap())
        .idp(idp_config(IDP, "idp-rsa2048", true))
        .build()
        .unwrap();
    let rng = Counter::default();
    assert_eq!(
        unsigned
            .logout_request(&idp(), &subject(), None, None, now(), &rng)
            .map(|_| ()),
        Err(LogoutError::SigningKeyRequired.into())
    );
    let no_idp_slo = ServiceProvider::builder(EntityId::new(SP).unwrap())
        .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
        .slo_url(Binding::HttpRedirect, Url::new(SP_SLO).unwrap())
        .signing_key(key("sp-rsa2048"))
        .idp(idp_config(IDP, "idp-rsa2048", false))
        .build()
        .unwrap();
    assert_eq!(
        no_idp_slo
            .logout_request(&idp(), &subject(), None, None, now(), &rng)
            .map(|_| ()),
        Err(LogoutError::NoIdpEndpoint.into())
    );
    let no_sp_slo = ServiceProvider::builder(EntityId::new(SP).unwrap())
        .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
        .signing_key(key("sp-rsa2048"))
        .idp(idp_config(IDP, "idp-rsa2048", true))
        .build()
        .unwrap();
    assert_eq!(
        no_sp_slo
            .logout_request(&idp(), &subject(), None, None, now(), &rng)
            .map(|_| ()),
        Err(LogoutError::NoSpEndpoint.into())
    );
}

#[test]
fn sp_metadata_advertises_single_logout_for_both_bindings() {
    let md = sp().metadata(&samlsp::MetadataOptions::new()).unwrap();
    for binding in ["HTTP-Redirect", "HTTP-POST"] {
        assert!(
            md.contains(&format!(
                "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:{binding}\" Location=\"{SP_SLO}\"/>"
            )),
            "{md}"
        );
    }
}

#[test]
fn our_logout_response_answers_with_the_status_chosen() {
    let idp_req = Req::new("_q1");
    let xml = signed(&idp_req.xml(true), "_q1", "idp-rsa2048");
    let value = b64(&xml);
    let ReceivedLogout::Request(v) = sp()
        .receive_logout(
            SloMessage::PostRequest {
                saml_request: &value,
                relay_state: Some("keep-me"),
            },
            now(),
            &MemoryRequestStore::default(),
            &MemoryReplayCache::default(),
        )
        .unwrap()
    else {
        panic!()
    };
    let OutboundMessage::Post(form) = sp()
        .logout_response(
            &v,
            LogoutReply::UnknownPrincipal,
            now(),
            &Counter::default(),
        )
        .unwrap()
    else {
        panic!("arrived by POST, answered by POST")
    };
    assert_eq!(form.action(), IDP_SLO);
    assert_eq!(form.fields()[1], ("RelayState", "keep-me".to_owned()));
    use base64::Engine;
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(&form.fields()[0].1)
            .unwrap(),
    )
    .unwrap();
    assert!(xml.contains("InResponseTo=\"_q1\""), "{xml}");
    assert!(xml.contains("status:Requester\"><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal\"/>"), "{xml}");
    assert!(xml.contains("<ds:Signature"), "{xml}");
}
