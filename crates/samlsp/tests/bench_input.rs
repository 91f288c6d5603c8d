#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The shared reference inputs verify (a smoke test of parse + C14N + dsig).
use base64::Engine;
use samlsp::dsig::{AlgorithmPolicy, TrustedKeys, verify};
use samlsp::xml::{Limits, parse};

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn shared(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/bench/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decode(name: &str) -> Vec<u8> {
    let b64: Vec<u8> = shared(name)
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[test]
fn reference_inputs_verify() {
    let keys = TrustedKeys::from_certificate_pem(&shared("idp-cert.pem")).unwrap();
    let policy = AlgorithmPolicy::strict();
    for (file, response_signed, assertion_signed) in [
        ("resp-assertion-signed.b64", false, true),
        ("resp-response-signed.b64", true, false),
        ("resp-both-signed.b64", true, true),
    ] {
        let xml = decode(file);
        let doc = parse(&xml, &Limits::default()).unwrap();
        let root = doc.root();
        assert!(root.is(SAMLP, "Response"));
        let assertion = root.children_named(SAML, "Assertion").next().unwrap();
        assert_eq!(
            verify(assertion, &keys, &policy).is_ok(),
            assertion_signed,
            "{file} assertion"
        );
        assert_eq!(
            verify(root, &keys, &policy).is_ok(),
            response_signed,
            "{file} response"
        );
    }
}
