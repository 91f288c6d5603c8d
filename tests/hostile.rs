//! The hostile-input suite (issue 3 §4): every attack and every protocol check
//! failing alone, each a named test asserting the exact error. Fixtures and
//! their generator are in `testdata/responses/` (see its README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use samlsp::dsig::DsigError;
use samlsp::xml::XmlError;
use samlsp::{EncodingError, Error, ProtocolError};
use samlsp_tests::corpus;

const MANIFEST: &str = "testdata/responses/manifest.json";
const REQUEST: &str = "_req_4fee3b046395c4e751011e97f8900b52";
const OTHER_REQUEST: &str = "_req_0b7c9e2d51a84f36a9d0c1e2f3a4b5c6";
const ASSERTION_ID: &str = "_assert_4b2e8d6f0a1c3e5b7d9f2a4c6e8b0d1f";
const IDP: &str = "https://idp.example.com/saml2/idp/metadata";

fn run(name: &str) -> Result<samlsp::Assertion, Error> {
    corpus::run(&corpus::case(MANIFEST, name))
}

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    samlsp_tests::instant(s)
}

macro_rules! rejects {
    ($($test:ident: $case:literal => $err:expr;)*) => {$(
        #[test]
        fn $test() {
            assert_eq!(run($case).map(|a| a.name_id().value().to_owned()), Err($err.into()));
        }
    )*};
}

macro_rules! rejects_matching {
    ($($test:ident: $case:literal => $pat:pat,)*) => {$(
        #[test]
        fn $test() {
            let r = run($case);
            assert!(matches!(r, Err($pat)), "{}: {:?}", $case, r.map(|a| a.name_id().value().to_owned()));
        }
    )*};
}

fn accepts(name: &str, name_id: &str) -> samlsp::Assertion {
    let a = run(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(a.name_id().value(), name_id, "{name}");
    assert_eq!(a.issuer().as_str(), IDP);
    a
}

// --- Valid baselines -------------------------------------------------------

#[test]
fn accepts_assertion_signed_with_every_field() {
    let a = accepts("valid-assertion-signed", "alice@example.com");
    assert_eq!(a.id(), ASSERTION_ID);
    assert_eq!(
        a.name_id().format(),
        Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
    );
    assert_eq!(a.session_index(), Some("_session_1"));
    assert_eq!(a.session_not_on_or_after(), Some(t("2026-01-01T08:00:00Z")));
    assert_eq!(a.not_on_or_after(), t("2026-01-01T00:05:00Z"));
    assert_eq!(
        a.attribute("groups").unwrap().values(),
        ["users", "engineering"]
    );
    assert_eq!(
        a.attribute("email").unwrap().values(),
        ["alice@example.com"]
    );
    assert_eq!(a.attribute("firstName").unwrap().values(), ["Alice"]);
    assert_eq!(a.attribute("lastName").unwrap().values(), ["Example"]);
}

#[test]
fn accepts_signed_assertion_inside_encrypted_assertion() {
    let a = accepts("valid-encrypted-assertion", "alice@example.com");
    assert_eq!(
        a.attribute("groups").unwrap().values(),
        ["users", "engineering"]
    );
}

#[test]
fn accepts_response_signed() {
    accepts("valid-response-signed", "alice@example.com");
}

#[test]
fn accepts_both_signed() {
    accepts("valid-both-signed", "alice@example.com");
}

#[test]
fn accepts_unsolicited_when_allowed() {
    accepts("valid-unsolicited", "alice@example.com");
}

#[test]
fn accepts_ecdsa_p256() {
    accepts("valid-ecdsa-p256", "alice@example.com");
}

#[test]
fn accepts_default_namespace_assertion() {
    accepts("valid-default-ns", "alice@example.com");
}

#[test]
fn accepts_odd_prefixes() {
    accepts("valid-odd-prefixes", "alice@example.com");
}

#[test]
fn accepts_not_before_within_skew() {
    accepts("conditions-within-skew", "alice@example.com");
}

#[test]
fn accepts_not_on_or_after_within_skew() {
    accepts("conditions-notonorafter-within-skew", "alice@example.com");
}

// --- Comment and CDATA injection: the full value, never a truncated one -----

#[test]
fn comment_in_name_id_does_not_truncate() {
    accepts("comment-in-nameid", "victim@example.com.evil.com");
}

#[test]
fn cdata_split_name_id_reads_the_whole_value() {
    accepts("cdata-split-nameid", "victim@example.com.evil.com");
}

#[test]
fn comment_in_attribute_does_not_truncate() {
    let a = run("comment-in-attribute").unwrap();
    let case = corpus::case(MANIFEST, "comment-in-attribute");
    let expected = case.entry["expect_attributes"].as_object().unwrap();
    for (name, values) in expected {
        let values: Vec<String> = values
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            a.attribute(name).unwrap().values(),
            values.as_slice(),
            "{name}"
        );
    }
}

// --- The mutation table: one protocol check failing alone -------------------

rejects! {
    destination_wrong: "destination-wrong" => ProtocolError::Destination { found: "https://sp.other.example/saml/acs".into() };
    destination_prefix_extended: "destination-prefix-extended" => ProtocolError::Destination { found: "https://sp.example.org/saml/acs/evil".into() };
    destination_missing_on_signed_response: "destination-missing-response-signed" => ProtocolError::MissingDestination;
    response_issuer_unknown: "issuer-response-wrong" => ProtocolError::UnknownIssuer { found: "https://evil.example.com/idp".into() };
    assertion_issuer_wrong: "issuer-assertion-wrong" => ProtocolError::Issuer { element: "Assertion", expected: IDP.into(), found: "https://evil.example.com/idp".into() };
    assertion_issuer_missing: "issuer-assertion-missing" => ProtocolError::MissingIssuer;
    status_requester: "status-requester" => ProtocolError::Status {
        code: "urn:oasis:names:tc:SAML:2.0:status:Requester".into(),
        second_level: Some("urn:oasis:names:tc:SAML:2.0:status:RequestDenied".into()),
        message: Some("Access denied by policy".into()),
    };
    version_1_1: "version-1-1" => ProtocolError::Version { found: "1.1".into() };
    root_in_wrong_namespace: "root-wrong-namespace" => ProtocolError::NotAResponse { namespace: "urn:evil".into(), name: "Response".into() };
    not_before_in_future: "conditions-notbefore-future" => ProtocolError::NotYetValid { not_before: t("2026-01-01T00:03:00Z"), now: t("2026-01-01T00:01:00Z") };
    not_on_or_after_past: "conditions-notonorafter-past" => ProtocolError::Expired { not_on_or_after: t("2025-12-31T23:59:30Z"), now: t("2026-01-01T00:01:00Z") };
    audience_restriction_missing: "audience-restriction-missing" => ProtocolError::NoAudienceRestriction;
    audience_wrong: "audience-wrong" => ProtocolError::Audience;
    audience_empty: "audience-empty" => ProtocolError::Audience;
    audience_with_suffix: "audience-suffix" => ProtocolError::Audience;
    holder_of_key_only: "subjectconfirmation-holder-of-key" => ProtocolError::NoBearerConfirmation;
    recipient_wrong: "scd-recipient-wrong" => ProtocolError::Recipient { found: "https://sp.other.example/saml/acs".into() };
    recipient_with_extra_query: "scd-recipient-extra-query" => ProtocolError::Recipient { found: "https://sp.example.org/saml/acs?tenant=evil".into() };
    confirmation_expired: "scd-notonorafter-past" => ProtocolError::ConfirmationExpired { not_on_or_after: t("2025-12-31T23:59:30Z"), now: t("2026-01-01T00:01:00Z") };
    confirmation_not_before: "scd-notbefore-present" => ProtocolError::ConfirmationNotBefore;
    confirmation_in_response_to_mismatch: "scd-inresponseto-mismatch" => ProtocolError::InResponseTo { expected: REQUEST.into(), found: Some(OTHER_REQUEST.into()) };
    response_to_another_request: "inresponseto-other-request" => ProtocolError::InResponseTo { expected: REQUEST.into(), found: Some(OTHER_REQUEST.into()) };
    authn_statement_missing: "authnstatement-missing" => ProtocolError::NoAuthnStatement;
    two_status_elements: "status-two-elements" => ProtocolError::Structure { element: "Response", reason: "more than one Status" };
    name_id_in_foreign_namespace: "nameid-foreign-namespace" => ProtocolError::Structure { element: "Subject", reason: "unexpected child element" };
    unsolicited_while_a_request_is_pending: "unsolicited-not-allowed" => ProtocolError::InResponseTo { expected: REQUEST.into(), found: None };
    response_for_a_request_never_sent: "no-pending-request" => ProtocolError::UnknownInResponseTo { found: REQUEST.into() };
}

// --- Signature wrapping (XSW1-9) and signature attacks ----------------------

rejects! {
    xsw1_signed_copy_inside_signature: "xsw1" => DsigError::Structure { reason: "unexpected element in Signature" };
    xsw2_signed_copy_beside_signature: "xsw2" => ProtocolError::Structure { element: "Response", reason: "unexpected child element" };
    xsw3_forged_assertion_first: "xsw3" => ProtocolError::MultipleAssertions { count: 2 };
    xsw4_signed_assertion_nested_in_forged: "xsw4" => ProtocolError::NotSigned;
    xsw5_unsigned_copy_appended: "xsw5" => ProtocolError::MultipleAssertions { count: 2 };
    xsw6_copy_inside_signature: "xsw6" => DsigError::Structure { reason: "unexpected element in Signature" };
    xsw7_forged_twin_in_extensions: "xsw7" => ProtocolError::Structure { element: "Response", reason: "unexpected child element" };
    xsw8_original_in_object: "xsw8" => DsigError::Structure { reason: "ds:Object is not allowed in a SAML signature" };
    xsw9_two_signed_infos: "xsw9-two-signedinfo" => DsigError::Structure { reason: "unexpected element in Signature" };
    signature_stripped: "signature-stripped" => ProtocolError::NotSigned;
    signature_empty: "signature-empty" => DsigError::Structure { reason: "Signature must start with SignedInfo" };
    signature_in_foreign_namespace: "signature-foreign-namespace" => ProtocolError::NotSigned;
    // The DigestValue is inside SignedInfo, so the SignedInfo signature fails
    // first: it is checked before any digest is computed.
    digest_tampered: "digest-tampered" => DsigError::SignatureInvalid;
    signature_value_tampered: "signature-value-tampered" => DsigError::SignatureInvalid;
    name_id_tampered_after_signing: "nameid-tampered-after-signing" => DsigError::DigestMismatch;
    certificate_faking: "cert-faking" => DsigError::UntrustedKey;
    attacker_key_value_only: "keyvalue-only-attacker" => DsigError::SignatureInvalid;
    untrusted_signing_certificate: "untrusted-signing-cert" => DsigError::UntrustedKey;
    rsa_sha1_downgrade: "rsa-sha1" => DsigError::DisabledAlgorithm { algorithm: "http://www.w3.org/2000/09/xmldsig#rsa-sha1".into() };
    sha1_digest_downgrade: "digest-sha1" => DsigError::DisabledAlgorithm { algorithm: "http://www.w3.org/2000/09/xmldsig#sha1".into() };
    hmac_with_certificate_as_key: "hmac-sha1" => DsigError::DisabledAlgorithm { algorithm: "http://www.w3.org/2000/09/xmldsig#hmac-sha1".into() };
    hmac_truncation: "hmac-truncated" => DsigError::HmacOutputLength;
    xpath_transform: "xpath-transform" => DsigError::UnsupportedTransform { algorithm: "http://www.w3.org/TR/1999/REC-xpath-19991116".into() };
    xslt_transform: "xslt-transform" => DsigError::UnsupportedTransform { algorithm: "http://www.w3.org/TR/1999/REC-xslt-19991116".into() };
    three_transforms: "three-transforms" => DsigError::TransformChain { reason: "more than two transforms" };
    duplicate_id: "duplicate-id" => DsigError::DuplicateId { id: ASSERTION_ID.into() };
    two_assertions: "two-assertions" => ProtocolError::MultipleAssertions { count: 2 };
    id_case_confusion: "id-case-confusion" => ProtocolError::MultipleAssertions { count: 2 };
    assertion_in_advice: "assertion-in-advice" => ProtocolError::NotSigned;
    retrieval_method_in_key_info: "retrieval-method" => DsigError::UnsupportedKeyInfo { element: "RetrievalMethod".into() };
    digest_value_comment: "digestvalue-comment" => DsigError::DigestMismatch;
    wrapped_signed_info: "wrapped-signedinfo" => ProtocolError::Structure { element: "Response", reason: "unexpected child element" };
    signature_in_object: "signature-in-object" => DsigError::Structure { reason: "ds:Object is not allowed in a SAML signature" };
    cross_document_signature: "cross-document" => ProtocolError::NotSigned;
    nothing_signed: "unsigned-response-unsigned-assertion" => ProtocolError::NotSigned;
    encrypted_but_unsigned: "encrypted-unsigned" => ProtocolError::NotSigned;
}

rejects_matching! {
    xpointer_reference: "xpointer-uri" => Error::Signature(DsigError::ReferenceUri { .. }),
    reference_to_the_response: "reference-to-other-element" => Error::Signature(DsigError::ReferenceUri { .. }),
    signed_info_smuggled_in_status_detail: "signedinfo-in-statusdetail" => Error::Signature(DsigError::ReferenceUri { .. }),
}

// --- XML-level attacks and malformed input -----------------------------------

rejects_matching! {
    dtd_external_entity: "dtd-xxe" => Error::Xml(XmlError::DoctypeForbidden { .. }),
    dtd_internal_subset: "dtd-internal-subset" => Error::Xml(XmlError::DoctypeForbidden { .. }),
    billion_laughs: "billion-laughs" => Error::Xml(XmlError::DoctypeForbidden { .. }),
    dtd_attlist_declares_ids: "dtd-attlist-id" => Error::Xml(XmlError::DoctypeForbidden { .. }),
    multiple_roots: "multiple-roots" => Error::Xml(XmlError::MultipleRoots { .. }),
    garbage: "garbage" => Error::Xml(XmlError::InvalidUtf8 { .. }),
    utf16: "utf16" => Error::Xml(XmlError::InvalidUtf8 { offset: 0 }),
    invalid_utf8: "invalid-utf8" => Error::Xml(XmlError::InvalidUtf8 { .. }),
    content_after_root: "content-after-root" => Error::Xml(XmlError::ContentAfterRoot { .. }),
}

rejects! {
    truncated: "truncated" => XmlError::Truncated;
    deep_nesting: "deep-nesting" => XmlError::TooDeep { limit: 64 };
    many_attributes: "many-attributes" => XmlError::TooManyAttributes { limit: 64 };
    oversized: "oversized" => XmlError::InputTooLarge { size: 3_150_631, limit: 1_048_576 };
    deflated_post_value: "deflated" => EncodingError::Compressed;
    undeclared_prefix: "undeclared-prefix" => XmlError::UndeclaredPrefix { prefix: "x".into() };
    duplicate_attribute: "duplicate-attribute" => XmlError::DuplicateAttribute { name: "Format".into() };
    unknown_entity: "unknown-entity" => XmlError::UnknownEntity { name: "foo".into() };
}

/// Every corpus entry has an outcome that agrees with its manifest: a new
/// fixture cannot be added without the suite judging it.
#[test]
fn every_corpus_entry_meets_its_expectation() {
    let cases = corpus::load(MANIFEST);
    assert!(cases.len() >= 90, "corpus shrank to {}", cases.len());
    for c in cases {
        let r = corpus::run(&c);
        if c.expect() == "ok" {
            let a = r.unwrap_or_else(|e| panic!("{} should verify: {e}", c.name));
            if let Some(n) = c.expect_name_id() {
                assert_eq!(a.name_id().value(), n, "{}", c.name);
            }
        } else {
            assert!(r.is_err(), "{} was accepted", c.name);
        }
    }
}
