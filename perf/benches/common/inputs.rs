//! The reference inputs of `testdata/bench/` and samlsp's side of the comparison, without
//! samael: shared by the criterion benches (through `mod.rs`) and the plain bench programs
//! (`icount`, `threads`), which must build without samael's C libraries.

#![allow(dead_code)] // each bench uses a different subset

use samlsp::danger::DangerousServiceProvider as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

/// Settings from `testdata/bench/README.md`.
pub const IDP_ENTITY_ID: &str = "https://idp.example.com/saml2/idp/metadata";
pub const SP_ENTITY_ID: &str = "https://sp.example.org/saml/metadata";
pub const ACS_URL: &str = "https://sp.example.org/saml/acs";
pub const REQUEST_ID: &str = "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685";
pub const EXPECTED_NAME_ID: &str = "jane.doe@example.com";

/// The reference inputs: `testdata/bench/` of this repository, or `$SAMLSP_BENCH_DIR` to measure
/// other files laid out the same way.
pub fn bench_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SAMLSP_BENCH_DIR") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("idp-cert.pem").is_file(),
            "SAMLSP_BENCH_DIR={} has no idp-cert.pem",
            dir.display()
        );
        return dir;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/bench")
}

pub fn read_input(name: &str) -> String {
    let path = bench_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.trim().to_owned()
}

pub fn idp_cert_pem() -> Vec<u8> {
    let path = bench_dir().join("idp-cert.pem");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The IssueInstant of the reference files (2026-11-22T13:30:49Z), read from the input itself.
pub fn issue_instant(b64: &str) -> DateTime<Utc> {
    let xml = String::from_utf8(STANDARD.decode(b64).expect("base64")).expect("utf-8");
    let key = "IssueInstant=\"";
    let start = xml.find(key).expect("IssueInstant") + key.len();
    let end = start + xml[start..].find('"').expect("closing quote");
    DateTime::parse_from_rfc3339(&xml[start..end])
        .expect("IssueInstant is xs:dateTime")
        .with_timezone(&Utc)
}

/// The real signature of `resp-assertion-signed.b64`: (canonical SignedInfo bytes, signature
/// bytes, IdP public key). The canonical form (exclusive C14N, no InclusiveNamespaces) of this
/// SignedInfo is the element as written plus the `ds` namespace declaration it visibly uses,
/// with empty-element tags expanded; verification below proves the reconstruction exact.
pub fn real_signed_info() -> (Vec<u8>, Vec<u8>, openssl::pkey::PKey<openssl::pkey::Public>) {
    let b64 = read_input("resp-assertion-signed.b64");
    let xml = String::from_utf8(STANDARD.decode(b64).expect("base64")).expect("utf-8");

    let si_start = xml.find("<ds:SignedInfo>").expect("SignedInfo");
    let si_end = xml.find("</ds:SignedInfo>").expect("/SignedInfo") + "</ds:SignedInfo>".len();
    let signed_info = &xml[si_start..si_end];
    assert!(
        !signed_info.contains(['\n', '\r', '\t', '&']),
        "SignedInfo layout changed; the simple canonicalisation below no longer applies"
    );
    let mut c14n = signed_info.replacen(
        "<ds:SignedInfo>",
        r#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
        1,
    );
    // Expand `<ds:X attr="..."/>` into `<ds:X attr="..."></ds:X>`.
    while let Some(close) = c14n.find("/>") {
        let open = c14n[..close].rfind('<').expect("start of empty element");
        let name_end = open + c14n[open..].find([' ', '/']).expect("element name");
        let name = c14n[open + 1..name_end].to_owned();
        c14n.replace_range(close..close + 2, &format!("></{name}>"));
    }

    let sv_key = "<ds:SignatureValue>";
    let sv_start = xml.find(sv_key).expect("SignatureValue") + sv_key.len();
    let sv_end = sv_start
        + xml[sv_start..]
            .find("</ds:SignatureValue>")
            .expect("/SignatureValue");
    let sv: String = xml[sv_start..sv_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let signature = STANDARD.decode(sv).expect("SignatureValue base64");

    let cert = openssl::x509::X509::from_pem(&idp_cert_pem()).expect("idp-cert.pem");
    let key = cert.public_key().expect("public key");
    assert_eq!(key.bits(), 2048);
    (c14n.into_bytes(), signature, key)
}

/// What the floor bench times: SHA-256 over the canonical SignedInfo + RSA PKCS#1 v1.5 verify.
#[inline]
pub fn openssl_verify(
    data: &[u8],
    signature: &[u8],
    key: &openssl::pkey::PKeyRef<openssl::pkey::Public>,
) -> bool {
    let mut verifier = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), key)
        .expect("verifier");
    verifier.update(data).expect("update");
    verifier.verify(signature).expect("verify")
}

/// samlsp configured with the same settings as samael above.
pub fn samlsp_sp() -> samlsp::ServiceProvider {
    let keys = samlsp::TrustedKeys::from_certificate_pem(&idp_cert_pem()).expect("IdP cert");
    let idp = samlsp::IdentityProvider::new(
        samlsp::EntityId::new(IDP_ENTITY_ID).expect("entity ID"),
        keys,
    )
    .expect("IdP");
    samlsp::ServiceProvider::builder(samlsp::EntityId::new(SP_ENTITY_ID).expect("SP entity ID"))
        .acs_url(samlsp::Url::new(ACS_URL).expect("ACS URL"))
        .idp(idp)
        // The reference inputs are valid until 2099.
        .danger_accept_any_assertion_lifetime()
        .build()
        .expect("SP")
}

/// The `now` samlsp verifies at: inside every input's validity window.
pub fn samlsp_now(b64: &str) -> DateTime<Utc> {
    issue_instant(b64) + chrono::Duration::seconds(10)
}

/// Full verification, base64 value to `Assertion`.
pub fn samlsp_verify(
    sp: &samlsp::ServiceProvider,
    b64: &str,
    now: DateTime<Utc>,
) -> samlsp::Assertion {
    let ctx = samlsp::RequestContext::Pending {
        request_id: &samlsp::RequestId::new(REQUEST_ID).unwrap(),
        idp: None,
    };
    sp.verify_response(b64, now, ctx)
        .expect("samlsp verifies the reference input")
}

/// Checks samlsp's answer before timing.
pub fn check_samlsp(sp: &samlsp::ServiceProvider, b64: &str, what: &str) {
    let a = samlsp_verify(sp, b64, samlsp_now(b64));
    assert_eq!(a.name_id().value(), EXPECTED_NAME_ID, "{what}");
    assert_eq!(a.issuer().as_str(), IDP_ENTITY_ID, "{what}");
}

/// The signature layer alone: parse the decoded XML, then C14N, digest and
/// signature verification of the Assertion.
pub fn samlsp_dsig(xml: &[u8], keys: &samlsp::TrustedKeys) -> bool {
    let doc = samlsp::internal::xml::parse(xml, &samlsp::Limits::default()).expect("parse");
    let assertion = doc
        .root()
        .children_named("urn:oasis:names:tc:SAML:2.0:assertion", "Assertion")
        .next()
        .expect("assertion");
    samlsp::internal::dsig::verify(assertion, keys, &samlsp::AlgorithmPolicy::strict()).is_ok()
}

/// Decoded XML of an input.
pub fn decoded(b64: &str) -> Vec<u8> {
    use base64::Engine;
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .expect("base64")
}
