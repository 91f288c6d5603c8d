#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! SP-initiated Single Logout: our signed LogoutRequest (checked by
//! `openssl dgst` over the query octets and by `xmlsec1` on the enveloped
//! signature, and verified by the IdP side), the pending request taken
//! once by the LogoutResponse, and every way a LogoutResponse is refused.

mod slo_support;

use std::process::Command;

use samlsp::{
    Binding, EntityId, Error, LogoutError, LogoutReply, LogoutStatus, LogoutSubject,
    MemoryReplayCache, MemoryRequestStore, OutboundMessage, ProtocolError, ReceivedLogout,
    RequestKind, RequestStore, ServiceProvider, SloMessage, Url,
};
use slo_support::*;

fn subject() -> LogoutSubject {
    LogoutSubject::new("alice@acme.test", Some(EMAIL.into()))
        .qualifiers(
            Some("https://idp.example.com/realms/a".into()),
            Some(SP.into()),
        )
        .session_index(Some("idx-7".into()))
}

fn idp() -> EntityId {
    EntityId::new(IDP).unwrap()
}

/// Starts a logout with `binding`; the pending request is in `store`.
fn start(binding: Binding, store: &MemoryRequestStore) -> (OutboundMessage, String, String) {
    let p = sp()
        .logout_request(
            &idp(),
            &subject(),
            Some(binding),
            Some("/bye"),
            now(),
            &Counter::default(),
        )
        .unwrap();
    assert_eq!(p.binding(), binding);
    assert_eq!(p.pending().kind(), RequestKind::Logout);
    let relay_state = p.pending().relay_state().as_str().to_owned();
    let xml = p.xml().to_owned();
    let (pending, message) = p.into_parts();
    store.insert(pending, now()).unwrap();
    (message, relay_state, xml)
}

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

/// A hand-signed LogoutResponse to a fresh pending request, posted back.
fn answer_with(xml_for: impl Fn(&str) -> String, key: &str) -> Result<ReceivedLogout, Error> {
    let store = MemoryRequestStore::default();
    let p = sp()
        .logout_request(
            &idp(),
            &subject(),
            Some(Binding::HttpPost),
            None,
            now(),
            &Counter::default(),
        )
        .unwrap();
    let (id, rs) = (
        p.pending().id().to_string(),
        p.pending().relay_state().as_str().to_owned(),
    );
    store.insert(p.pending().clone(), now()).unwrap();
    let xml = xml_for(&id);
    let xml = if xml.contains("<!--SIG:") {
        signed(&xml, "_resp", key)
    } else {
        xml
    };
    let value = b64(&xml);
    sp().receive_logout(
        SloMessage::PostResponse {
            saml_response: &value,
            relay_state: Some(&rs),
        },
        now(),
        &store,
        &MemoryReplayCache::default(),
    )
}

fn status_of(r: Result<ReceivedLogout, Error>) -> LogoutStatus {
    match r.unwrap() {
        ReceivedLogout::Response(r) => r.status().clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_idps_status_is_reported() {
    let with = |code: &str, second: Option<&str>| {
        status_of(answer_with(
            |irt| response_xml("_resp", irt, IDP, &status(code, second), true),
            "idp-rsa2048",
        ))
    };
    assert_eq!(with("Success", None), LogoutStatus::Success);
    assert_eq!(
        with("Success", Some("PartialLogout")),
        LogoutStatus::PartialLogout
    );
    assert_eq!(
        with("Responder", Some("UnknownPrincipal")),
        LogoutStatus::Failed {
            code: "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
            second_level: Some("urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal".into()),
        }
    );
}

#[test]
fn logout_responses_are_refused_with_named_errors() {
    let ok = status("Success", None);
    assert_eq!(
        answer_with(
            |_| response_xml("_resp", "_other", IDP, &ok, true),
            "idp-rsa2048"
        )
        .map(|_| ()),
        Err(LogoutError::InResponseTo {
            expected: "_000102030405060708090a0b0c0d0e0f10111213".into(),
            found: Some("_other".into()),
        }
        .into())
    );
    assert_eq!(
        answer_with(
            |irt| response_xml("_resp", irt, IDP, &ok, false),
            "idp-rsa2048"
        )
        .map(|_| ()),
        Err(LogoutError::Unsigned.into())
    );
    // Signed by another IdP we trust, claiming to be it: the request went
    // to this IdP, so only its key counts.
    assert!(matches!(
        answer_with(
            |irt| response_xml("_resp", irt, IDP, &ok, true),
            "idp-rsa3072"
        ),
        Err(Error::Signature(_))
    ));
    assert!(matches!(
        answer_with(
            |irt| response_xml("_resp", irt, "https://other-idp.example.com", &ok, true),
            "idp-rsa3072"
        ),
        Err(Error::Protocol(ProtocolError::Issuer { .. }))
    ));
}

#[test]
fn a_logout_response_to_a_request_never_sent_is_refused() {
    let xml = signed(
        &response_xml("_resp", "_never", IDP, &status("Success", None), true),
        "_resp",
        "idp-rsa2048",
    );
    let value = b64(&xml);
    let store = MemoryRequestStore::default();
    for relay_state in [
        None,
        Some("not-a-token"),
        Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        assert_eq!(
            sp().receive_logout(
                SloMessage::PostResponse {
                    saml_response: &value,
                    relay_state,
                },
                now(),
                &store,
                &MemoryReplayCache::default(),
            ),
            Err(LogoutError::UnknownRequest.into()),
            "{relay_state:?}"
        );
    }
}

#[test]
fn logins_and_logouts_do_not_answer_each_others_requests() {
    let store = MemoryRequestStore::default();
    // A LogoutResponse naming a pending AuthnRequest's RelayState.
    let login = sp()
        .authn_request(&idp())
        .unwrap()
        .build(now(), &Counter::default())
        .unwrap();
    store.insert(login.pending().clone(), now()).unwrap();
    let xml = signed(
        &response_xml(
            "_resp",
            login.pending().id().as_str(),
            IDP,
            &status("Success", None),
            true,
        ),
        "_resp",
        "idp-rsa2048",
    );
    let value = b64(&xml);
    assert_eq!(
        sp().receive_logout(
            SloMessage::PostResponse {
                saml_response: &value,
                relay_state: Some(login.pending().relay_state().as_str()),
            },
            now(),
            &store,
            &MemoryReplayCache::default(),
        ),
        Err(LogoutError::NotALogoutRequest.into())
    );
    // A login Response posted with a pending logout's RelayState.
    let (_, relay_state, _) = start(Binding::HttpRedirect, &store);
    assert_eq!(
        sp().consume_response(
            &b64("<x/>"),
            Some(&relay_state),
            now(),
            &store,
            &MemoryReplayCache::default()
        ),
        Err(ProtocolError::NotAnAuthnRequest.into())
    );
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
