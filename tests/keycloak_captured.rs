//! Real Keycloak 26.7 responses captured by `scripts/keycloak/capture.py`
//! (see `testdata/keycloak/README.md`), verified offline with the IdP read from
//! the realm's own descriptor and the clock pinned inside each validity window.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use samlsp::DsigError;
use samlsp::IdpMetadata;
use samlsp::{Assertion, EntityId, Error, ProtocolError, RequestContext, ServiceProvider, Url};
use samlsp_tests::{instant, read_repo_file};
use serde_json::Value;

const DIR: &str = "testdata/keycloak/captured";

struct Capture {
    meta: Value,
    value: String,
}

fn capture(name: &str) -> Capture {
    Capture {
        meta: serde_json::from_slice(&read_repo_file(&format!("{DIR}/{name}.json"))).unwrap(),
        value: String::from_utf8(read_repo_file(&format!("{DIR}/{name}.b64"))).unwrap(),
    }
}

fn sp_for(c: &Capture, allow_unsolicited: bool) -> ServiceProvider {
    let now = instant(c.meta["now"].as_str().unwrap());
    let descriptor = read_repo_file(&format!(
        "{DIR}/{}",
        c.meta["idp_descriptor"].as_str().unwrap()
    ));
    let md = IdpMetadata::parse(&descriptor, None, now).unwrap();
    assert_eq!(
        md.entity_id.as_str(),
        c.meta["idp_entity_id"].as_str().unwrap()
    );
    let idp = samlsp::IdentityProvider::from_metadata(&md)
        .unwrap()
        .allow_unsolicited(allow_unsolicited);
    ServiceProvider::builder(EntityId::new(c.meta["client_entity_id"].as_str().unwrap()).unwrap())
        .acs_url(Url::new(c.meta["acs_url"].as_str().unwrap()).unwrap())
        .idp(idp)
        .build()
        .unwrap()
}

fn verify(name: &str) -> Result<Assertion, Error> {
    let c = capture(name);
    let sp = sp_for(&c, c.meta["in_response_to"].is_null());
    let now = instant(c.meta["now"].as_str().unwrap());
    let ctx = match c.meta["in_response_to"].as_str() {
        Some(id) => RequestContext::Pending {
            request_id: &samlsp::RequestId::new(id).unwrap(),
            idp: None,
        },
        None => RequestContext::Unsolicited,
    };
    sp.verify_response(&c.value, now, ctx)
}

fn user(name: &str) -> Value {
    let c = capture(name);
    match &c.meta["user"] {
        Value::String(s) => serde_json::from_str(&s.replace('\'', "\"")).unwrap_or(Value::Null),
        v => v.clone(),
    }
}

fn check_attributes(a: &Assertion, name: &str) {
    let u = user(name);
    if let Some(email) = u["email"].as_str() {
        assert_eq!(a.attribute("email").unwrap().values(), [email], "{name}");
    }
    if let Some(first) = u["firstName"].as_str() {
        assert_eq!(
            a.attribute("firstName").unwrap().values(),
            [first],
            "{name}"
        );
    }
    if let Some(groups) = u["groups"].as_array() {
        let mut got: Vec<&str> = a
            .attribute("groups")
            .unwrap()
            .values()
            .iter()
            .map(String::as_str)
            .collect();
        let mut want: Vec<&str> = groups.iter().map(|g| g.as_str().unwrap()).collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn keycloak_assertion_signed() {
    let a = verify("acme-assertion-signed").unwrap();
    assert_eq!(a.name_id().value(), "bob");
    check_attributes(&a, "acme-assertion-signed");
}

#[test]
fn keycloak_response_signed_persistent_name_id() {
    let a = verify("globex-response-signed").unwrap();
    assert_eq!(
        a.name_id().format(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert!(
        a.name_id().value().starts_with("G-"),
        "{}",
        a.name_id().value()
    );
    check_attributes(&a, "globex-response-signed");
}

#[test]
fn keycloak_both_signed() {
    let a = verify("acme-both-signed").unwrap();
    assert_eq!(a.name_id().value(), "alice");
    check_attributes(&a, "acme-both-signed");
}

#[test]
fn keycloak_both_signed_email_name_id() {
    let a = verify("acme-both-signed-email").unwrap();
    assert_eq!(
        a.name_id().format(),
        Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
    );
    assert!(a.name_id().value().contains('@'));
}

#[test]
fn keycloak_transient_name_id() {
    let a = verify("acme-both-signed-transient").unwrap();
    assert_eq!(
        a.name_id().format(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
    );
}

#[test]
fn keycloak_idp_initiated() {
    let a = verify("globex-idp-initiated").unwrap();
    check_attributes(&a, "globex-idp-initiated");
}

#[test]
fn keycloak_idp_initiated_is_refused_when_not_allowed() {
    let c = capture("globex-idp-initiated");
    let sp = sp_for(&c, false);
    let now = instant(c.meta["now"].as_str().unwrap());
    assert_eq!(
        sp.verify_response(&c.value, now, RequestContext::Unsolicited)
            .map(|_| ()),
        Err(ProtocolError::UnsolicitedNotAllowed.into())
    );
}

#[test]
fn keycloak_error_response_carries_its_status() {
    let r = verify("acme-nopassive").map(|_| ());
    match r {
        Err(Error::Protocol(ProtocolError::Status {
            code, second_level, ..
        })) => {
            assert_eq!(code, "urn:oasis:names:tc:SAML:2.0:status:Responder");
            assert_eq!(
                second_level.as_deref(),
                Some("urn:oasis:names:tc:SAML:2.0:status:NoPassive")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn keycloak_unsigned_response_is_refused() {
    assert_eq!(
        verify("acme-unsigned").map(|_| ()),
        Err(ProtocolError::NotSigned.into())
    );
}

#[test]
fn keycloak_response_with_one_byte_changed_is_refused() {
    let c = capture("acme-both-signed");
    let sp = sp_for(&c, false);
    let now = instant(c.meta["now"].as_str().unwrap());
    let ctx = RequestContext::Pending {
        request_id: &samlsp::RequestId::new(c.meta["in_response_to"].as_str().unwrap()).unwrap(),
        idp: None,
    };
    let xml = samlsp::internal::sp::decode_post_value(&c.value, 1 << 20).unwrap();
    let text = String::from_utf8(xml).unwrap();
    let tampered = text.replacen(">alice<", ">alicf<", 1);
    assert_ne!(tampered, text);
    assert_eq!(
        sp.verify_response_xml(tampered.as_bytes(), now, ctx)
            .map(|_| ()),
        Err(DsigError::DigestMismatch.into())
    );
}

#[test]
fn keycloak_response_after_its_validity_is_refused() {
    let c = capture("acme-both-signed");
    let sp = sp_for(&c, false);
    let late = instant(c.meta["now"].as_str().unwrap()) + chrono::Duration::hours(1);
    let ctx = RequestContext::Pending {
        request_id: &samlsp::RequestId::new(c.meta["in_response_to"].as_str().unwrap()).unwrap(),
        idp: None,
    };
    let r = sp.verify_response(&c.value, late, ctx).map(|_| ());
    assert!(
        matches!(
            r,
            Err(Error::Protocol(
                ProtocolError::ConfirmationExpired { .. } | ProtocolError::Expired { .. }
            ))
        ),
        "{r:?}"
    );
}

#[test]
fn keycloak_response_for_a_request_never_sent_is_refused() {
    let c = capture("acme-both-signed");
    let sp = sp_for(&c, true);
    let now = instant(c.meta["now"].as_str().unwrap());
    let r = sp
        .verify_response(&c.value, now, RequestContext::Unsolicited)
        .map(|_| ());
    assert!(
        matches!(
            r,
            Err(Error::Protocol(ProtocolError::UnknownInResponseTo { .. }))
        ),
        "{r:?}"
    );
}

#[test]
fn keycloak_response_posted_to_the_other_realms_sp_is_refused() {
    // acme's response presented to an SP that trusts globex.
    let acme = capture("acme-both-signed");
    let globex = capture("globex-response-signed");
    let sp = sp_for(&globex, false);
    let now = instant(acme.meta["now"].as_str().unwrap());
    let ctx = RequestContext::Pending {
        request_id: &samlsp::RequestId::new(acme.meta["in_response_to"].as_str().unwrap()).unwrap(),
        idp: None,
    };
    let r = sp.verify_response(&acme.value, now, ctx).map(|_| ());
    assert!(
        matches!(r, Err(Error::Protocol(ProtocolError::UnknownIssuer { .. }))),
        "{r:?}"
    );
}
