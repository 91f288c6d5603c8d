#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Replays inputs found by the fuzz targets in `fuzz/` (cargo-fuzz), so plain
//! `cargo test` keeps checking them. Each file `tests/fuzz_regressions/<target>-<n>.bin`
//! goes through the same code path as `fuzz/fuzz_targets/<target>.rs`:
//!
//! - `parse`: parse with default limits; on success canonicalize the document
//!   (exclusive and inclusive) and every element (exclusive).
//! - `c14n`: input is `<PrefixList>\n<document>`; canonicalize every element with
//!   Exc-C14N + that list and with C14N 1.0; the root's output must re-parse and
//!   canonicalize to the same bytes (idempotence).
//! - `verify`: `verify_response_xml` with the bench settings, then `dsig::verify`
//!   on every element.
//! - `resign`: every `<!--SIG:id-->` marker signed with the test IdP key, then
//!   `verify_response_xml` with the hostile corpus settings (the code is
//!   `fuzz/common/resign.rs`, shared with the target).
//!
//! Every file is run (a failure in one does not hide the others); the test fails
//! listing each file that panicked.
use samlsp::danger::DangerousServiceProvider as _;
use std::path::{Path, PathBuf};

use samlsp::internal::dsig::{AlgorithmPolicy, TrustedKeys, verify};
use samlsp::internal::xml::c14n::{Method, canonicalize, canonicalize_document};
use samlsp::internal::xml::{Limits, parse};
use samlsp::{EntityId, IdentityProvider, RequestContext, ServiceProvider, Url};

#[path = "../../../fuzz/common/resign.rs"]
mod resign;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions")
}

/// Runs `f` on every `<target>-*.bin` file; fails listing those that panicked.
fn replay(target: &str, f: impl Fn(&[u8])) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("{target}-")) && name.ends_with(".bin")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no {target}-*.bin regression inputs");
    let mut failed = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&data))).is_err() {
            failed.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(failed.is_empty(), "{target}: failing inputs: {failed:?}");
}

fn parse_target(data: &[u8]) {
    let Ok(doc) = parse(data, &Limits::default()) else {
        return;
    };
    let mut out = Vec::new();
    canonicalize_document(&doc, &Method::exclusive(), &mut out);
    out.clear();
    canonicalize_document(&doc, &Method::Inclusive, &mut out);
    let exclusive = Method::exclusive();
    for el in doc.elements() {
        out.clear();
        canonicalize(el, &exclusive, None, &mut out);
    }
}

/// Canonical output may legitimately exceed the default limits (Exc-C14N repeats
/// namespace declarations on every element that uses them), so it is re-parsed
/// with these.
fn roomy() -> Limits {
    Limits {
        max_input_bytes: usize::MAX,
        max_attributes: usize::MAX,
        max_text_bytes: usize::MAX,
        max_namespaces_in_scope: usize::MAX,
        ..Limits::default()
    }
}

fn c14n_target(data: &[u8]) {
    let (list, xml) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let Ok(list) = std::str::from_utf8(list) else {
        return;
    };
    let Ok(doc) = parse(xml, &Limits::default()) else {
        return;
    };
    let exclusive = Method::exclusive_with_prefix_list(list);
    let mut out = Vec::new();
    for el in doc.elements() {
        out.clear();
        canonicalize(el, &exclusive, None, &mut out);
        out.clear();
        canonicalize(el, &Method::Inclusive, None, &mut out);
    }
    for method in [exclusive, Method::Inclusive] {
        let mut first = Vec::new();
        canonicalize(doc.root(), &method, None, &mut first);
        let again = parse(&first, &roomy()).unwrap_or_else(|e| {
            panic!(
                "{method:?} output does not re-parse: {e}\n{}",
                String::from_utf8_lossy(&first)
            )
        });
        let mut second = Vec::new();
        canonicalize(again.root(), &method, None, &mut second);
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second),
            "{method:?} not idempotent"
        );
    }
}

#[test]
fn parse_regressions() {
    replay("parse", parse_target);
}

#[test]
fn c14n_regressions() {
    replay("c14n", c14n_target);
}

#[test]
fn verify_regressions() {
    let pem = std::fs::read(dir().join("bench-idp-cert.pem")).unwrap();
    let keys = TrustedKeys::from_certificate_pem(&pem).unwrap();
    let idp = IdentityProvider::new(
        EntityId::new("https://idp.example.com/saml2/idp/metadata").unwrap(),
        keys.clone(),
    )
    .unwrap();
    let sp =
        ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
            .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
            .idp(idp)
            .danger_accept_any_assertion_lifetime()
            .build()
            .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T13:31:00Z")
        .unwrap()
        .to_utc();
    let policy = AlgorithmPolicy::strict();
    replay("verify", |data| {
        let ctx = RequestContext::Pending {
            request_id: &samlsp::RequestId::new(
                "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685",
            )
            .unwrap(),
            idp: None,
        };
        let _ = sp.verify_response_xml(data, now, ctx);
        let Ok(doc) = parse(data, &Limits::default()) else {
            return;
        };
        for el in doc.elements() {
            let _ = verify(el, &keys, &policy);
        }
    });
}

#[test]
fn resign_regressions() {
    let key = resign::idp_key();
    let sp = resign::service_provider();
    replay("resign", |data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        resign::exercise(&sp, resign::resign(text, &key).as_bytes());
    });
}

/// The re-signer makes signatures the verifier accepts: the target's seeds
/// (assertion signed, Response and assertion signed, Response signed) pass
/// every check, so mutations of them reach the rules after the signature;
/// so do the two encrypted seeds (no marker: an xmlsec-encrypted assertion,
/// its EncryptedKey unnamed, then named by certificate).
#[test]
fn resign_seeds_verify() {
    let key = resign::idp_key();
    let sp = resign::service_provider();
    for n in [1, 2, 3, 8, 9] {
        let text = std::fs::read_to_string(dir().join(format!("resign-{n}.bin"))).unwrap();
        let signed = resign::resign(&text, &key);
        assert!(!signed.contains("<!--SIG:"), "resign-{n}: a marker is left");
        let a = sp
            .verify_response_xml(
                signed.as_bytes(),
                resign::now(),
                RequestContext::Pending {
                    request_id: &samlsp::RequestId::new(resign::REQUEST).unwrap(),
                    idp: None,
                },
            )
            .unwrap_or_else(|e| panic!("resign-{n}: {e}"));
        assert_eq!(a.name_id().value(), "alice@example.com");
    }
}
