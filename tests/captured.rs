//! Responses captured from other implementations' public test suites (see
//! `testdata/captured/PROVENANCE.md`), each with its IdP key and a pinned clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use samlsp::internal::dsig::{DsigError, KeyError};
use samlsp::{ConfigError, Error};
use samlsp_tests::corpus;

const MANIFEST: &str = "testdata/captured/manifest.json";

fn run(name: &str) -> Result<samlsp::Assertion, Error> {
    corpus::run(&corpus::case(MANIFEST, name))
}

fn run_allowing_sha1(name: &str) -> Result<samlsp::Assertion, Error> {
    let mut case = corpus::case(MANIFEST, name);
    case.entry["allow_sha1"] = serde_json::Value::Bool(true);
    corpus::run(&case)
}

const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";

#[test]
fn google_response_verifies() {
    let a = run("crewjam-google").unwrap();
    assert_eq!(a.name_id().value(), "ross@octolabs.io");
}

#[test]
fn onelogin_sha1_response_is_refused_by_default() {
    assert_eq!(
        run("crewjam-onelogin").map(|_| ()),
        Err(Error::Signature(DsigError::DisabledAlgorithm {
            algorithm: RSA_SHA1.into()
        }))
    );
}

#[test]
fn onelogin_sha1_response_verifies_under_danger() {
    // Proves the refusal above is the policy, not a failure to verify.
    let a = run_allowing_sha1("crewjam-onelogin").unwrap();
    assert!(!a.name_id().value().is_empty());
}

#[test]
fn secureworks_sha1_response_is_refused_by_default() {
    assert_eq!(
        run("crewjam-secureworks-rsakeyvalue").map(|_| ()),
        Err(Error::Signature(DsigError::DisabledAlgorithm {
            algorithm: RSA_SHA1.into()
        }))
    );
}

#[test]
fn python3_saml_and_ruby_saml_1024_bit_keys_are_not_trusted() {
    for name in [
        "python3-saml-valid-response",
        "python3-saml-signed-assertion",
        "ruby-saml-adfs-sha256",
        "ruby-saml-aes128gcm-encrypted-signed-assertion",
    ] {
        assert_eq!(
            run(name).map(|_| ()),
            Err(Error::Config(ConfigError::Key(KeyError::WeakRsaKey {
                bits: 1024
            }))),
            "{name}"
        );
    }
}

#[test]
fn okta_encrypted_responses_need_a_1024_bit_sp_key_we_refuse_to_use() {
    // crewjam's Okta captures are encrypted to a 1024-bit SP key: samlsp will
    // not load it as a decryption key (the same floor as for signing keys).
    for name in [
        "crewjam-okta-signed-response-encrypted-assertion",
        "crewjam-okta-encrypted-signed-assertion",
        "crewjam-okta-encrypted-assertion-both-signed",
    ] {
        assert_eq!(
            run(name).map(|_| ()),
            Err(Error::Config(ConfigError::Key(KeyError::WeakRsaKey {
                bits: 1024
            }))),
            "{name}"
        );
    }
}
