//! `samlsp verify` keeps its documented contract: exit 0 with one JSON
//! object, exit 1 with the reason on stderr, exit 2 for usage errors, and
//! never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

const SP: &str = "https://sp.example.org/saml/metadata";
const ACS: &str = "https://sp.example.org/saml/acs";
const REQUEST: &str = "_req_4fee3b046395c4e751011e97f8900b52";
const NOW: &str = "2026-01-01T00:01:00Z";

fn repo(rel: &str) -> String {
    format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn samlsp(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_samlsp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn verify(extra: &[&str], response: &str, stdin: Option<&[u8]>) -> Output {
    let md = repo("testdata/cli/idp-metadata.xml");
    let mut args = vec![
        "verify",
        "--idp-metadata",
        &md,
        "--sp-entity-id",
        SP,
        "--acs-url",
        ACS,
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    args.push(response);
    samlsp(&args, stdin)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn accepts_a_base64_response_and_prints_the_identity_as_json() {
    let out = verify(
        &["--request-id", REQUEST],
        &repo("testdata/cli/valid-assertion-signed.b64"),
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["issuer"], "https://idp.example.com/saml2/idp/metadata");
    assert_eq!(json["name_id"], "alice@example.com");
    assert_eq!(
        json["name_id_format"],
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );
    assert_eq!(json["session_index"], "_session_1");
    assert_eq!(
        json["attributes"]["groups"],
        serde_json::json!(["users", "engineering"])
    );
    assert_eq!(
        json["attributes"]["email"],
        serde_json::json!(["alice@example.com"])
    );
    // One JSON object, one line.
    assert_eq!(
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .lines()
            .count(),
        1
    );
}

#[test]
fn accepts_raw_xml_from_stdin() {
    let xml = std::fs::read(repo("testdata/responses/valid-assertion-signed.xml")).unwrap();
    let out = verify(&["--request-id", REQUEST], "-", Some(&xml));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn rejects_with_exit_1_and_the_reason() {
    let out = verify(
        &["--request-id", REQUEST],
        &repo("testdata/responses/audience-wrong.xml"),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Audience"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn unsolicited_needs_the_flag() {
    let file = repo("testdata/responses/valid-unsolicited.xml");
    let out = verify(&[], &file, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unsolicited"), "{}", stderr(&out));
    let out = verify(&["--allow-unsolicited"], &file, None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_response_to_a_request_is_refused_without_that_request() {
    let out = verify(
        &["--allow-unsolicited"],
        &repo("testdata/responses/valid-assertion-signed.xml"),
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no request"), "{}", stderr(&out));
}

#[test]
fn clock_option_decides_expiry() {
    let file = repo("testdata/responses/valid-assertion-signed.xml");
    let md = repo("testdata/cli/idp-metadata.xml");
    let base = [
        "verify",
        "--idp-metadata",
        &md,
        "--sp-entity-id",
        SP,
        "--acs-url",
        ACS,
        "--request-id",
        REQUEST,
    ];
    let late = [&base[..], &["--now", "2026-01-01T00:05:30Z", &file]].concat();
    assert_eq!(
        samlsp(&late, None).status.code(),
        Some(0),
        "within the default 60 s skew"
    );
    let strict = [
        &base[..],
        &["--now", "2026-01-01T00:05:30Z", "--clock-skew", "0", &file],
    ]
    .concat();
    let out = samlsp(&strict, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("expired") || stderr(&out).contains("passed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    let file = repo("testdata/responses/valid-assertion-signed.xml");
    assert_eq!(samlsp(&["verify"], None).status.code(), Some(2));
    assert_eq!(samlsp(&["frobnicate"], None).status.code(), Some(2));
    assert_eq!(
        verify(&["--now", "yesterday"], &file, None).status.code(),
        Some(2)
    );
    assert_eq!(
        verify(&["--clock-skew", "-5"], &file, None).status.code(),
        Some(2)
    );
    let missing = verify(&[], "/nonexistent/response", None);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn metadata_without_a_signing_key_is_a_configuration_error() {
    let md = repo("testdata/cli/idp-metadata-no-key.xml");
    let file = repo("testdata/responses/valid-assertion-signed.xml");
    let out = samlsp(
        &[
            "verify",
            "--idp-metadata",
            &md,
            "--sp-entity-id",
            SP,
            "--acs-url",
            ACS,
            "--now",
            NOW,
            &file,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no signing key"), "{}", stderr(&out));
}

#[test]
fn hostile_and_garbage_inputs_never_panic() {
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\x00\x01\x02\xff".to_vec(),
        b"not base64 at all !!!".to_vec(),
        b"PD94bWw=".to_vec(),
        b"<".to_vec(),
        "<a>".repeat(100_000).into_bytes(),
    ];
    for name in [
        "xsw1",
        "billion-laughs",
        "deep-nesting",
        "oversized",
        "truncated",
        "deflated.b64",
    ] {
        let file = if name.ends_with(".b64") {
            name.to_owned()
        } else {
            format!("{name}.xml")
        };
        inputs.push(std::fs::read(repo(&format!("testdata/responses/{file}"))).unwrap());
    }
    for input in inputs {
        let out = verify(&["--request-id", REQUEST], "-", Some(&input));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}
