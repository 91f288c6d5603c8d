//! Signatures made by the `xmlsec1` command (libxmlsec1, an independent
//! implementation) verify with samlsp for every supported algorithm and for
//! prefixed, unprefixed and oddly prefixed documents; the ones the policy
//! refuses are refused with their exact error. Fixtures: `testdata/dsig/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use samlsp::internal::dsig::{AlgorithmPolicy, DsigError, TrustedKeys, verify};
use samlsp::internal::xml::{Limits, parse};
use samlsp_tests::read_repo_file;
use serde_json::Value;

fn manifest() -> Vec<Value> {
    serde_json::from_slice::<Value>(&read_repo_file("testdata/dsig/manifest.json"))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn check(entry: &Value) -> Result<(), DsigError> {
    let file = entry["file"].as_str().unwrap();
    let xml = read_repo_file(&format!("testdata/dsig/{file}"));
    let doc = parse(&xml, &Limits::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let id = entry["signed_element_id"].as_str().unwrap();
    let el = doc
        .elements()
        .find(|e| e.attr("ID") == Some(id))
        .expect("signed element");
    let keys =
        TrustedKeys::from_certificate_pem(&read_repo_file(entry["trusted_cert"].as_str().unwrap()))
            .unwrap();
    verify(el, &keys, &AlgorithmPolicy::strict()).map(|_| ())
}

#[test]
fn every_xmlsec1_signature_of_a_supported_algorithm_verifies() {
    let mut ok = 0;
    for entry in manifest().iter().filter(|e| e["expect"] == "ok") {
        check(entry).unwrap_or_else(|e| panic!("{}: {e}", entry["file"]));
        ok += 1;
    }
    assert!(ok >= 40, "only {ok} accepted fixtures");
}

#[test]
fn every_signature_method_and_prefix_style_is_covered() {
    let m = manifest();
    for method in [
        "rsa-sha256",
        "rsa-sha384",
        "rsa-sha512",
        "ecdsa-sha256",
        "ecdsa-sha384",
        "ecdsa-sha512",
    ] {
        assert!(
            m.iter().any(|e| e["expect"] == "ok"
                && e["signature_method"].as_str().unwrap().ends_with(method)),
            "{method}"
        );
    }
    for prefix in ["ds", "", "sig"] {
        assert!(
            m.iter()
                .any(|e| e["expect"] == "ok" && e["ds_prefix"] == prefix),
            "prefix {prefix:?}"
        );
    }
}

fn reject(file: &str) -> DsigError {
    let entry = manifest().into_iter().find(|e| e["file"] == file).unwrap();
    check(&entry).expect_err(file)
}

#[test]
fn xmlsec1_rsa_sha1_is_refused() {
    assert!(matches!(
        reject("reject-rsa-sha1.xml"),
        DsigError::DisabledAlgorithm { .. }
    ));
}

#[test]
fn xmlsec1_sha1_digest_is_refused() {
    assert_eq!(
        reject("reject-rsa-sha256-digest-sha1.xml"),
        DsigError::DisabledAlgorithm {
            algorithm: "http://www.w3.org/2000/09/xmldsig#sha1".into()
        }
    );
}

#[test]
fn xmlsec1_hmac_is_refused() {
    assert!(matches!(
        reject("reject-hmac-sha1.xml"),
        DsigError::DisabledAlgorithm { .. }
    ));
    assert!(matches!(
        reject("reject-hmac-sha256-idp-cert-key.xml"),
        DsigError::DisabledAlgorithm { .. }
    ));
}

#[test]
fn xmlsec1_signature_by_an_untrusted_key_is_refused() {
    assert_eq!(reject("reject-attacker-key.xml"), DsigError::UntrustedKey);
}

#[test]
fn xmlsec1_signature_by_a_1024_bit_key_cannot_even_be_trusted() {
    let entry = manifest()
        .into_iter()
        .find(|e| e["file"] == "reject-rsa1024.xml")
        .unwrap();
    let cert = read_repo_file(entry["trusted_cert"].as_str().unwrap());
    assert_eq!(
        TrustedKeys::from_certificate_pem(&cert).unwrap_err(),
        samlsp::KeyError::WeakRsaKey { bits: 1024 }
    );
}
