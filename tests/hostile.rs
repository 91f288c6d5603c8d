//! The hostile-input suite: every attack and every protocol check
//! failing alone, each a named test asserting the exact error. Fixtures and
//! their generator are in `testdata/responses/` (see its README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use samlsp::DsigError;
use samlsp::XmlError;
use samlsp::{EncodingError, Error, ProtocolError};
use samlsp_tests::corpus;

const MANIFEST: &str = "testdata/responses/manifest.json";
const REQUEST: &str = "_req_4fee3b046395c4e751011e97f8900b52";
const OTHER_REQUEST: &str = "_req_0b7c9e2d51a84f36a9d0c1e2f3a4b5c6";
const ASSERTION_ID: &str = "_assert_4b2e8d6f0a1c3e5b7d9f2a4c6e8b0d1f";
const IDP: &str = "https://idp.example.com/saml2/idp/metadata";
const AUD_WRONG: &str = "https://sp.other.example/saml/metadata";
const AUD_EMPTY: &str = "";
const AUD_SUFFIX: &str = "https://sp.example.org/saml/metadata/evil";

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
    audience_wrong: "audience-wrong" => ProtocolError::Audience { found: AUD_WRONG.into() };
    audience_empty: "audience-empty" => ProtocolError::Audience { found: AUD_EMPTY.into() };
    audience_with_suffix: "audience-suffix" => ProtocolError::Audience { found: AUD_SUFFIX.into() };
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
    xsw1_signed_copy_inside_signature: "xsw1" => ProtocolError::MisplacedMessage { element: "Response", parent: "Signature".into() };
    xsw2_signed_copy_beside_signature: "xsw2" => ProtocolError::Structure { element: "Response", reason: "unexpected child element" };
    xsw3_forged_assertion_first: "xsw3" => ProtocolError::MultipleAssertions { count: 2 };
    xsw4_signed_assertion_nested_in_forged: "xsw4" => ProtocolError::MisplacedMessage { element: "Assertion", parent: "Assertion".into() };
    xsw5_unsigned_copy_appended: "xsw5" => ProtocolError::MultipleAssertions { count: 2 };
    xsw6_copy_inside_signature: "xsw6" => ProtocolError::MisplacedMessage { element: "Assertion", parent: "Signature".into() };
    xsw7_forged_twin_in_extensions: "xsw7" => ProtocolError::Structure { element: "Response", reason: "unexpected child element" };
    xsw8_original_in_object: "xsw8" => ProtocolError::MisplacedMessage { element: "Assertion", parent: "Object".into() };
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
    assertion_in_advice: "assertion-in-advice" => ProtocolError::MisplacedMessage { element: "Assertion", parent: "Advice".into() };
    retrieval_method_in_key_info: "retrieval-method" => DsigError::UnsupportedKeyInfo { element: "RetrievalMethod".into() };
    digest_value_comment: "digestvalue-comment" => DsigError::DigestMismatch;
    wrapped_signed_info: "wrapped-signedinfo" => ProtocolError::Structure { element: "Response", reason: "unexpected child element" };
    signature_in_object: "signature-in-object" => ProtocolError::MisplacedMessage { element: "Assertion", parent: "Object".into() };
    cross_document_signature: "cross-document" => ProtocolError::NotSigned;
    nothing_signed: "unsigned-response-unsigned-assertion" => ProtocolError::NotSigned;
    encrypted_but_unsigned: "encrypted-unsigned" => ProtocolError::NotSigned;
}

rejects_matching! {
    xpointer_reference: "xpointer-uri" => Error::Signature(DsigError::ReferenceUri { .. }),
    reference_to_the_response: "reference-to-other-element" => Error::Signature(DsigError::ReferenceUri { .. }),
    signed_info_smuggled_in_status_detail: "signedinfo-in-statusdetail" => Error::Signature(DsigError::ReferenceUri { .. }),
}

// --- One assertion per document (SAML Core 2.0 §3.3.3, §2.3.3) --------------
//
// Each case starts from the good response, takes its assertion's signature
// off, makes one change and signs the assertion again with the test IdP key:
// the signature is valid, only the placement or order is wrong.

const VALID: &str = "testdata/responses/valid-assertion-signed.xml";
const EVIL_ID: &str = "_evil_assertion_ID";

/// The good response with the assertion's `ds:Signature` replaced by the
/// signer's marker.
fn unsigned_template() -> String {
    let xml = String::from_utf8(samlsp_tests::read_repo_file(VALID)).unwrap();
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    format!("{}<!--SIG:{ASSERTION_ID}-->{}", &xml[..start], &xml[end..])
}

/// An unsigned forged twin of the assertion: another ID, admin's NameID.
fn forged_assertion() -> String {
    let xml = unsigned_template();
    let start = xml.find("<saml:Assertion ").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    xml[start..end]
        .replace(&format!("<!--SIG:{ASSERTION_ID}-->"), "")
        .replace(ASSERTION_ID, EVIL_ID)
        .replace("alice@example.com", "admin@example.com")
}

/// Applies `edit` to the unsigned template, signs the assertion (with
/// `opts`) and verifies the result with the good response's settings.
fn resigned_with(
    edit: impl Fn(String) -> String,
    opts: samlsp_tests::signer::SignOptions,
) -> Result<samlsp::Assertion, Error> {
    use samlsp_tests::signer::{SigningKey, sign};
    let key = SigningKey::from_repo_pem("testdata/keys/idp-rsa2048.key");
    let xml = sign(&edit(unsigned_template()), ASSERTION_ID, &key, &opts);
    let case = corpus::case(MANIFEST, "valid-assertion-signed");
    let sp = corpus::service_provider(&case).unwrap();
    sp.verify_response_xml(
        xml.as_bytes(),
        t("2026-01-01T00:01:00Z"),
        samlsp::RequestContext::Pending {
            request_id: &samlsp::RequestId::new(REQUEST).unwrap(),
            idp: None,
        },
    )
}

fn resigned(edit: impl Fn(String) -> String) -> Result<samlsp::Assertion, Error> {
    resigned_with(edit, samlsp_tests::signer::SignOptions::default())
}

fn misplaced(element: &'static str, parent: &str) -> Result<samlsp::Assertion, Error> {
    Err(ProtocolError::MisplacedMessage {
        element,
        parent: parent.into(),
    }
    .into())
}

const STATUS: &str = "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>";

#[test]
fn resigned_template_is_accepted() {
    let a = resigned(|x| x).unwrap();
    assert_eq!(a.name_id().value(), "alice@example.com");
}

/// SAML Raider XSW7 with a qualified `samlp:Extensions` (which may hold any
/// foreign element, so schema validation lets it through).
#[test]
fn assertion_in_extensions_is_refused() {
    let r = resigned(|x| {
        x.replacen(
            STATUS,
            &format!(
                "<samlp:Extensions>{}</samlp:Extensions>{STATUS}",
                forged_assertion()
            ),
            1,
        )
    });
    assert_eq!(r, misplaced("Assertion", "Extensions"));
}

#[test]
fn assertion_in_status_detail_is_refused() {
    let r = resigned(|x| {
        x.replacen(
            "</samlp:Status>",
            &format!(
                "<samlp:StatusDetail>{}</samlp:StatusDetail></samlp:Status>",
                forged_assertion()
            ),
            1,
        )
    });
    assert_eq!(r, misplaced("Assertion", "StatusDetail"));
}

#[test]
fn assertion_in_signature_object_is_refused() {
    let opts = samlsp_tests::signer::SignOptions {
        extra_in_signature: format!("<ds:Object>{}</ds:Object>", forged_assertion()),
        ..Default::default()
    };
    assert_eq!(resigned_with(|x| x, opts), misplaced("Assertion", "Object"));
}

/// The assertion's signature covers the twin in Advice: still refused.
#[test]
fn assertion_in_signed_advice_is_refused() {
    let r = resigned(|x| {
        x.replacen(
            "</saml:Conditions>",
            &format!(
                "</saml:Conditions><saml:Advice>{}</saml:Advice>",
                forged_assertion()
            ),
            1,
        )
    });
    assert_eq!(r, misplaced("Assertion", "Advice"));
}

#[test]
fn encrypted_assertion_in_extensions_is_refused() {
    let r = resigned(|x| {
        x.replacen(
            STATUS,
            &format!("<samlp:Extensions><saml:EncryptedAssertion/></samlp:Extensions>{STATUS}"),
            1,
        )
    });
    assert_eq!(r, misplaced("EncryptedAssertion", "Extensions"));
}

/// A whole second Response inside a signed attribute value.
#[test]
fn nested_response_is_refused() {
    let r = resigned(|x| {
        let inner = format!(
            "<samlp:Response ID=\"_evil_response_ID\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">{STATUS}{}</samlp:Response>",
            forged_assertion()
        );
        x.replacen(
            ">Alice</saml:AttributeValue>",
            &format!(">{inner}</saml:AttributeValue>"),
            1,
        )
    });
    assert_eq!(r, misplaced("Response", "AttributeValue"));
}

#[test]
fn logout_request_in_extensions_is_refused() {
    let r = resigned(|x| {
        x.replacen(
            STATUS,
            &format!("<samlp:Extensions><samlp:LogoutRequest/></samlp:Extensions>{STATUS}"),
            1,
        )
    });
    assert_eq!(r, misplaced("LogoutRequest", "Extensions"));
}

#[test]
fn extensions_after_status_is_refused() {
    let r = resigned(|x| x.replacen(STATUS, &format!("{STATUS}<samlp:Extensions/>"), 1));
    assert_eq!(
        r,
        Err(ProtocolError::Structure {
            element: "Response",
            reason: "children out of schema order"
        }
        .into())
    );
}

#[test]
fn assertion_children_out_of_order_are_refused() {
    let r = resigned(|x| {
        let start = x.find("<saml:Conditions ").unwrap();
        let end = x.find("</saml:Conditions>").unwrap() + "</saml:Conditions>".len();
        let conditions = x[start..end].to_owned();
        let without = format!("{}{}", &x[..start], &x[end..]);
        without.replacen("<saml:Subject>", &format!("{conditions}<saml:Subject>"), 1)
    });
    assert_eq!(
        r,
        Err(ProtocolError::Structure {
            element: "Assertion",
            reason: "children out of schema order"
        }
        .into())
    );
}

// --- Assertion lifetime bounds the replay window ------------------------------

/// Issued in 1990, valid until 9999: its replay-cache entry would never
/// expire. Refused by the default 2-hour maximum lifetime.
#[test]
fn assertion_issued_1990_valid_to_9999_is_refused() {
    let r = resigned(|x| {
        x.replace("2026-01-01T00:00:00Z", "1990-01-01T00:00:00Z")
            .replace("2025-12-31T23:59:00Z", "1990-01-01T00:00:00Z")
            .replace("2026-01-01T00:05:00Z", "9999-12-31T23:59:59Z")
    });
    assert_eq!(
        r,
        Err(ProtocolError::LifetimeTooLong {
            issue_instant: t("1990-01-01T00:00:00Z"),
            not_on_or_after: t("9999-12-31T23:59:59Z"),
            max_seconds: 7200,
        }
        .into())
    );
}

/// An assertion from the future would dodge the lifetime bound.
#[test]
fn assertion_issued_in_the_future_is_refused() {
    let r = resigned(|x| {
        x.replacen(
            &format!("ID=\"{ASSERTION_ID}\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\""),
            &format!("ID=\"{ASSERTION_ID}\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:03:00Z\""),
            1,
        )
    });
    assert_eq!(
        r,
        Err(ProtocolError::IssuedInFuture {
            issue_instant: t("2026-01-01T00:03:00Z"),
            now: t("2026-01-01T00:01:00Z"),
        }
        .into())
    );
}

// --- Attacker strings in errors are escaped ---------------------------------

/// A newline in StatusMessage (or StatusCode) cannot start a new line in the
/// error's Display, the text the HTTP layer logs.
#[test]
fn newline_in_status_message_cannot_forge_a_log_line() {
    let forged = "denied\n2026-01-01T00:00:00Z INFO signed in user=admin";
    let r = resigned(|x| {
        x.replacen(
            STATUS,
            &format!(
                "<samlp:Status><samlp:StatusCode Value=\"urn:x&#10;INFO forged\"/><samlp:StatusMessage>{forged}</samlp:StatusMessage></samlp:Status>"
            ),
            1,
        )
    });
    let err = r.unwrap_err();
    assert_eq!(
        err,
        ProtocolError::Status {
            code: "urn:x\nINFO forged".into(),
            second_level: None,
            message: Some(forged.into()),
        }
        .into()
    );
    let shown = err.to_string();
    assert!(!shown.contains('\n') && !shown.contains('\r'), "{shown}");
    assert_eq!(
        shown,
        "protocol: status is \"urn:x\\nINFO forged\": \"denied\\n2026-01-01T00:00:00Z INFO signed in user=admin\""
    );
}

/// Element names quoted in errors are escaped too (a root in another
/// namespace).
#[test]
fn root_element_names_are_quoted() {
    let err = run("root-wrong-namespace").unwrap_err();
    assert_eq!(
        err.to_string(),
        "protocol: root element \"Response\" in namespace \"urn:evil\" is not samlp:Response"
    );
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
