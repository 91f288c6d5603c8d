#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! IdP-initiated Single Logout: the LogoutRequest an IdP sends, verified
//! (SAML Core 2.0 §3.7.1, SAML Profiles §4.4.4.1, SAML Bindings §3.4.4.1,
//! §3.5.4) or refused with a named error; the sessions it ends found
//! through the session registry.

mod slo_support;

use chrono::Duration;
use samlsp::{
    BindingError, DsigError, Error, LocalSessionId, LogoutError, MemoryReplayCache,
    MemoryRequestStore, MemorySessionRegistry, ReceivedLogout, SessionRegistry, SloMessage,
    VerifiedLogoutRequest,
};
use slo_support::*;

fn receive(msg: SloMessage<'_>, replay: &MemoryReplayCache) -> Result<ReceivedLogout, Error> {
    sp().receive_logout(msg, now(), &MemoryRequestStore::default(), replay)
}

fn post(xml: &str) -> Result<ReceivedLogout, Error> {
    let value = b64(xml);
    receive(
        SloMessage::PostRequest {
            saml_request: &value,
            relay_state: Some("idp-state"),
        },
        &MemoryReplayCache::default(),
    )
}

fn verified(r: Result<ReceivedLogout, Error>) -> VerifiedLogoutRequest {
    match r.unwrap() {
        ReceivedLogout::Request(v) => v,
        other => panic!("not a request: {other:?}"),
    }
}

#[test]
fn a_signed_post_logout_request_verifies_and_names_its_subject() {
    let req = Req::new("_r1");
    let xml = signed(&req.xml(true), "_r1", "idp-rsa2048");
    let v = verified(post(&xml));
    assert_eq!(v.id(), "_r1");
    assert_eq!(v.issuer().as_str(), IDP);
    assert_eq!(v.name_id().value(), "alice@acme.test");
    assert_eq!(v.name_id().format(), Some(EMAIL));
    assert_eq!(v.session_indexes(), ["idx-1".to_owned()]);
    assert_eq!(v.relay_state(), Some("idp-state"));
    assert_eq!(v.binding(), samlsp::Binding::HttpPost);
}

#[test]
fn a_replayed_logout_request_is_refused() {
    let xml = signed(&Req::new("_r2").xml(true), "_r2", "idp-rsa2048");
    let value = b64(&xml);
    let replay = MemoryReplayCache::default();
    let msg = SloMessage::PostRequest {
        saml_request: &value,
        relay_state: None,
    };
    assert!(receive(msg, &replay).is_ok());
    assert_eq!(
        receive(msg, &replay),
        Err(LogoutError::Replay { id: "_r2".into() }.into())
    );
}

#[test]
fn a_redirect_signed_over_lower_case_percent_encoding_verifies_as_received() {
    let xml = Req::new("_r3").xml(false);
    let q = redirect_query(
        "SAMLRequest",
        &xml,
        Some("https://idp/x?y=1"),
        "idp-rsa2048",
    );
    assert!(q.contains("%2f") && q.contains("%3a"), "{q}");
    let v = verified(receive(
        SloMessage::Redirect { query: &q },
        &MemoryReplayCache::default(),
    ));
    assert_eq!(v.relay_state(), Some("https://idp/x?y=1"));
    assert_eq!(v.binding(), samlsp::Binding::HttpRedirect);
    // The same values re-encoded in upper case are other octets: refused.
    let upper = q.replace("%2f", "%2F");
    assert_eq!(
        receive(
            SloMessage::Redirect { query: &upper },
            &MemoryReplayCache::default()
        ),
        Err(BindingError::SignatureInvalid.into())
    );
}

#[test]
fn an_unsigned_logout_request_is_refused_in_either_binding() {
    let xml = Req::new("_r4").xml(false);
    assert_eq!(post(&xml), Err(LogoutError::Unsigned.into()));
    let q = redirect_query("SAMLRequest", &xml, None, "idp-rsa2048");
    let (unsigned, _) = q.split_once("&SigAlg=").unwrap();
    assert_eq!(
        receive(
            SloMessage::Redirect { query: unsigned },
            &MemoryReplayCache::default()
        ),
        Err(LogoutError::Unsigned.into())
    );
}

#[test]
fn a_logout_request_signed_by_another_key_is_refused() {
    let xml = signed(&Req::new("_r5").xml(true), "_r5", "attacker-rsa2048");
    assert!(matches!(post(&xml), Err(Error::Signature(_))));
    let q = redirect_query(
        "SAMLRequest",
        &Req::new("_r5").xml(false),
        None,
        "attacker-rsa2048",
    );
    assert_eq!(
        receive(
            SloMessage::Redirect { query: &q },
            &MemoryReplayCache::default()
        ),
        Err(BindingError::SignatureInvalid.into())
    );
}

#[test]
fn a_logout_request_changed_after_signing_is_refused() {
    let xml = signed(&Req::new("_r6").xml(true), "_r6", "idp-rsa2048");
    let changed = xml.replace("alice@acme.test", "bob@acme.test");
    assert_eq!(
        post(&changed),
        Err(Error::Signature(DsigError::DigestMismatch))
    );
}

/// One rule broken at a time, each signed correctly: the named error.
#[test]
fn each_rule_refuses_with_its_own_error() {
    let cases: Vec<(&str, Req, Error)> = vec![
        (
            "for another SP",
            Req {
                destination: Some("https://other-sp.example.org/saml/slo".into()),
                ..Req::new("_c1")
            },
            LogoutError::Destination {
                found: "https://other-sp.example.org/saml/slo".into(),
            }
            .into(),
        ),
        (
            "no Destination",
            Req {
                destination: None,
                ..Req::new("_c2")
            },
            LogoutError::MissingDestination.into(),
        ),
        (
            "unknown issuer",
            Req {
                issuer: Some("https://evil.example".into()),
                ..Req::new("_c3")
            },
            LogoutError::UnknownIssuer {
                found: "https://evil.example".into(),
            }
            .into(),
        ),
        (
            "no issuer",
            Req {
                issuer: None,
                ..Req::new("_c4")
            },
            LogoutError::MissingIssuer.into(),
        ),
        (
            "expired",
            Req {
                not_on_or_after: Some(now() - Duration::seconds(61)),
                ..Req::new("_c5")
            },
            LogoutError::Expired {
                not_on_or_after: now() - Duration::seconds(61),
                now: now(),
            }
            .into(),
        ),
        (
            "too old",
            Req {
                issue_instant: now() - Duration::minutes(12),
                not_on_or_after: None,
                ..Req::new("_c6")
            },
            LogoutError::TooOld {
                issue_instant: now() - Duration::minutes(12),
                now: now(),
            }
            .into(),
        ),
        (
            "from the future",
            Req {
                issue_instant: now() + Duration::minutes(5),
                ..Req::new("_c7")
            },
            LogoutError::IssuedInFuture {
                issue_instant: now() + Duration::minutes(5),
                now: now(),
            }
            .into(),
        ),
        (
            "encrypted subject",
            Req {
                subject: "<saml:EncryptedID><x/></saml:EncryptedID>".into(),
                ..Req::new("_c8")
            },
            LogoutError::UnsupportedIdentifier("EncryptedID").into(),
        ),
        (
            "a LogoutResponse as SAMLRequest",
            Req {
                root: "LogoutResponse",
                ..Req::new("_c9")
            },
            LogoutError::NotALogoutMessage {
                expected: "LogoutRequest",
                namespace: SAMLP.into(),
                name: "LogoutResponse".into(),
            }
            .into(),
        ),
    ];
    for (what, req, expected) in cases {
        let xml = signed(&req.xml(true), &req.id, "idp-rsa2048");
        assert_eq!(post(&xml), Err(expected), "{what}");
    }
}

fn request_from(idp: &str, key: &str, req: Req) -> VerifiedLogoutRequest {
    let req = Req {
        issuer: Some(idp.into()),
        ..req
    };
    verified(post(&signed(&req.xml(true), &req.id, key)))
}

#[test]
fn the_sessions_it_names_are_found_without_a_cookie_and_only_those() {
    const OTHER: &str = "https://other-idp.example.com";
    let registry = MemorySessionRegistry::default();
    let sid = |n: u8| {
        LocalSessionId::parse(&format!("{}{}", "A".repeat(26), char::from(b'A' + n * 4))).unwrap()
    };
    let until = now() + Duration::hours(1);
    let at_idp = request_from(IDP, "idp-rsa2048", Req::new("_s0")).subject();
    let at_other = request_from(OTHER, "idp-rsa3072", Req::new("_s0")).subject();
    assert_ne!(at_idp, at_other);
    registry
        .register(&at_idp, Some("idx-1"), &sid(0), until, now())
        .unwrap();
    registry
        .register(&at_idp, Some("idx-2"), &sid(1), until, now())
        .unwrap();
    // The same NameID at another IdP is another person.
    registry
        .register(&at_other, Some("idx-1"), &sid(2), until, now())
        .unwrap();

    let one = request_from(IDP, "idp-rsa2048", Req::new("_s1"));
    assert_eq!(one.end_sessions(&registry, now()).unwrap(), vec![sid(0)]);
    // Ended once: the same SessionIndex again finds nothing.
    let again = request_from(IDP, "idp-rsa2048", Req::new("_s2"));
    assert_eq!(
        again.end_sessions(&registry, now()),
        Err(LogoutError::UnknownPrincipal.into())
    );
    // Without SessionIndex: every session of the subject at that IdP, and
    // none of the other IdP's.
    let all = request_from(
        IDP,
        "idp-rsa2048",
        Req {
            session_indexes: vec![],
            ..Req::new("_s3")
        },
    );
    assert_eq!(all.end_sessions(&registry, now()).unwrap(), vec![sid(1)]);
    let other = request_from(OTHER, "idp-rsa3072", Req::new("_s4"));
    assert_eq!(other.end_sessions(&registry, now()).unwrap(), vec![sid(2)]);
    // A NameID never signed in ends nothing.
    let stranger = request_from(
        IDP,
        "idp-rsa2048",
        Req {
            subject: "<saml:NameID>mallory@acme.test</saml:NameID>".into(),
            ..Req::new("_s5")
        },
    );
    assert_eq!(
        stranger.end_sessions(&registry, now()),
        Err(LogoutError::UnknownPrincipal.into())
    );
}
