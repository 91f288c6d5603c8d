#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

const ENTRA: &[u8] = include_bytes!("../../../../testdata/metadata/idp-entra.xml");
const OKTA: &[u8] = include_bytes!("../../../../testdata/metadata/idp-okta.xml");

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn entra_metadata_is_understood() {
    let u = Understood::read(ENTRA, now()).unwrap();
    assert_eq!(
        u.entity_id,
        "https://sts.windows.net/3c5c8a2e-7f41-4d55-9a9e-0c2f3b1d7e64/"
    );
    let bindings: Vec<_> = u.sso.iter().map(|e| e.binding).collect();
    assert_eq!(bindings, ["HTTP-Redirect", "HTTP-POST"]);
    assert_eq!(u.slo.len(), 1);
    assert_eq!(
        u.slo[0].location,
        "https://login.microsoftonline.com/3c5c8a2e-7f41-4d55-9a9e-0c2f3b1d7e64/saml2"
    );
    assert!(!u.certificates.is_empty());
    for c in &u.certificates {
        // 32 bytes as upper-case hex pairs joined by ':'.
        assert_eq!(c.sha256.len(), 95, "{c:?}");
        assert!(c.not_after.is_some(), "{c:?}");
    }
    assert!(!u.want_authn_requests_signed);
}

#[test]
fn okta_metadata_says_it_does_not_want_signed_requests() {
    let u = Understood::read(OKTA, now()).unwrap();
    assert_eq!(u.entity_id, "http://www.okta.com/exk1a2b3c4d5e6f7g8h9");
    assert!(!u.want_authn_requests_signed);
    let signed = String::from_utf8(OKTA.to_vec()).unwrap().replace(
        "WantAuthnRequestsSigned=\"false\"",
        "WantAuthnRequestsSigned=\"true\"",
    );
    assert!(
        Understood::read(signed.as_bytes(), now())
            .unwrap()
            .want_authn_requests_signed
    );
}

#[test]
fn hostile_and_unusable_metadata_is_refused_with_the_reason() {
    for (name, xml) in [
        (
            "dtd",
            &include_bytes!("../../../../testdata/metadata/hostile-dtd.xml")[..],
        ),
        (
            "no key",
            &include_bytes!("../../../../testdata/metadata/hostile-no-signing-key.xml")[..],
        ),
        (
            "expired",
            &include_bytes!("../../../../testdata/metadata/hostile-expired.xml")[..],
        ),
        (
            "wrong ns",
            &include_bytes!("../../../../testdata/metadata/hostile-wrong-namespace.xml")[..],
        ),
        ("not xml", b"<html>hello</html>"),
        ("empty", b""),
    ] {
        let e = Understood::read(xml, now()).unwrap_err();
        assert!(matches!(e, ConnectionError::Metadata(_)), "{name}: {e:?}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn oversized_metadata_is_refused_before_parsing() {
    let big = vec![b' '; MAX_METADATA_BYTES + 1];
    assert_eq!(
        Understood::read(&big, now()),
        Err(ConnectionError::TooLarge)
    );
}

#[test]
fn urls_and_names_are_checked() {
    assert_eq!(
        check_url(" https://idp.example.test/md ").unwrap(),
        "https://idp.example.test/md"
    );
    for bad in [
        "ftp://x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://a b",
        "",
    ] {
        assert_eq!(check_url(bad), Err(ConnectionError::BadUrl), "{bad}");
    }
    assert_eq!(
        check_url(&format!("https://x/{}", "a".repeat(MAX_URL_BYTES))),
        Err(ConnectionError::BadUrl)
    );
    assert_eq!(check_name("  Acme Entra ").unwrap(), "Acme Entra");
    for bad in ["", "   ", "a\nb", &"x".repeat(MAX_NAME_CHARS + 1)] {
        assert_eq!(check_name(bad), Err(ConnectionError::BadName), "{bad:?}");
    }
}
