use samlsp::internal::codes::examples;

use super::*;
use crate::{BindingCookie, Refusal};

/// One value of every variant of this layer's own failures, in the order
/// of [`sign_in_error_codes`].
fn own_examples() -> Vec<SignInError> {
    vec![
        SignInError::UnknownIdp {
            slug: "evil\n<b>".into(),
        },
        SignInError::IdpNotChosen,
        SignInError::IdpUnavailable {
            slug: "acme".into(),
        },
        SignInError::TenantUnavailable,
        SignInError::MalformedRequest("no SAMLResponse"),
        SignInError::IssuerNotInTenant,
        SignInError::Refused(Refusal {
            code: "deactivated",
            title: "Account deactivated".into(),
            message: "Ask your administrator.".into(),
        }),
        SignInError::Mapper("database is locked".into()),
        SignInError::MapperUnavailable("PostgreSQL: connection refused".into()),
        SignInError::Session("cookie too large".into()),
        SignInError::OtherBrowser(BindingCookie::Missing),
        SignInError::Busy { limit: 4 },
        SignInError::ConnectionNotEnabled {
            slug: "wizard".into(),
        },
        SignInError::VerificationAborted,
        SignInError::LogoutRefused {
            status: "urn:oasis:names:tc:SAML:2.0:status:Responder".into(),
        },
    ]
}

fn ctx() -> RemediationContext {
    RemediationContext {
        sp_entity_id: "https://sp.example.org/saml/metadata".into(),
        acs_url: "https://sp.example.org/saml/acs".into(),
        idp_name: Some("Acme Corp".into()),
        idp_entity_id: Some("https://idp.acme.test/realms/acme".into()),
    }
}

#[test]
fn own_codes_match_the_table_in_order() {
    let codes: Vec<&str> = own_examples().iter().map(SignInError::code).collect();
    let table: Vec<&str> = sign_in_error_codes().iter().map(|c| c.code).collect();
    assert_eq!(codes, table);
}

#[test]
fn no_code_is_both_ours_and_the_cores() {
    for c in sign_in_error_codes() {
        assert!(
            samlsp::error_codes().all(|core| core.code != c.code),
            "{} is also a core code",
            c.code
        );
    }
}

/// Every variant, core and ours, has a code from a table and a remediation
/// that is not empty and carries no raw newline or bidirectional override
/// from the message.
#[test]
fn every_variant_has_a_code_and_a_remediation() {
    let all: Vec<SignInError> = examples()
        .into_iter()
        .map(SignInError::Saml)
        .chain(own_examples())
        .collect();
    assert!(all.len() > 150, "{}", all.len());
    for e in &all {
        let code = e.code();
        assert!(
            samlsp::error_codes().any(|c| c.code == code)
                || sign_in_error_codes().iter().any(|c| c.code == code),
            "{code} is in no table"
        );
        for ctx in [ctx(), RemediationContext::default()] {
            let r = e.remediation(&ctx);
            assert!(r.len() > 20, "{code}: {r}");
            assert!(!r.contains('\n') && !r.contains('\u{202e}'), "{code}: {r}");
        }
    }
}

#[test]
fn audience_names_what_was_sent_and_what_to_set() {
    let e = SignInError::Saml(samlsp::Error::Protocol(samlsp::ProtocolError::Audience {
        found: "https://other.example/sp".into(),
    }));
    assert_eq!(e.code(), "audience_mismatch");
    let r = e.remediation(&ctx());
    assert!(r.contains("Audience \"https://other.example/sp\""), "{r}");
    assert!(
        r.contains("our entity ID \"https://sp.example.org/saml/metadata\""),
        "{r}"
    );
    assert!(r.contains("\"Acme Corp\""), "{r}");
}

#[test]
fn destination_names_our_acs_url() {
    let e = SignInError::Saml(samlsp::Error::Protocol(
        samlsp::ProtocolError::Destination {
            found: "https://old.example/acs".into(),
        },
    ));
    let r = e.remediation(&ctx());
    assert!(r.contains("\"https://old.example/acs\""), "{r}");
    assert!(r.contains("\"https://sp.example.org/saml/acs\""), "{r}");
}

#[test]
fn long_values_are_clipped() {
    let e = SignInError::Saml(samlsp::Error::Protocol(samlsp::ProtocolError::Audience {
        found: "x".repeat(1000),
    }));
    let r = e.remediation(&ctx());
    assert!(r.len() < 500, "{}", r.len());
    assert!(r.contains('…'), "{r}");
}
