#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The LogoutResponse to our LogoutRequest: the IdP's status reported,
//! the pending request taken once, and every way a response is refused
//! (wrong InResponseTo, unsigned, another IdP's key or Issuer, no pending
//! request, an AuthnRequest's RelayState), each with its named error.

mod slo_support;

use samlsp::{
    Binding, Error, LogoutError, LogoutStatus, MemoryReplayCache, MemoryRequestStore,
    ProtocolError, ReceivedLogout, RequestStore, SloMessage,
};
use slo_support::*;

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
