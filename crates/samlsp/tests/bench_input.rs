#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The benchmark reference inputs (`testdata/bench/`) verify (a smoke test of
//! parse + C14N + dsig).
use base64::Engine;
use samlsp::danger::DangerousServiceProvider as _;
use samlsp::internal::dsig::{AlgorithmPolicy, TrustedKeys, verify};
use samlsp::internal::xml::{Limits, parse};

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn bench(name: &str) -> Vec<u8> {
    let path = format!("{}/../../testdata/bench/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decode(name: &str) -> Vec<u8> {
    let b64: Vec<u8> = bench(name)
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[test]
fn reference_inputs_verify() {
    let keys = TrustedKeys::from_certificate_pem(&bench("idp-cert.pem")).unwrap();
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

#[test]
fn reference_inputs_pass_every_protocol_check() {
    use samlsp::{EntityId, IdentityProvider, RequestContext, ServiceProvider, Url};
    let keys = TrustedKeys::from_certificate_pem(&bench("idp-cert.pem")).unwrap();
    let idp = IdentityProvider::new(
        EntityId::new("https://idp.example.com/saml2/idp/metadata").unwrap(),
        keys,
    )
    .unwrap();
    let sp =
        ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
            .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
            .idp(idp)
            // The reference inputs are valid until 2099.
            .danger_accept_any_assertion_lifetime()
            .build()
            .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T13:31:00Z")
        .unwrap()
        .to_utc();
    for file in [
        "resp-assertion-signed.b64",
        "resp-response-signed.b64",
        "resp-both-signed.b64",
    ] {
        let value = String::from_utf8(bench(file)).unwrap();
        let ctx = RequestContext::Pending {
            request_id: &samlsp::RequestId::new(
                "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685",
            )
            .unwrap(),
            idp: None,
        };
        let a = sp
            .verify_response(&value, now, ctx)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            a.issuer().as_str(),
            "https://idp.example.com/saml2/idp/metadata"
        );
        assert!(!a.name_id().value().is_empty());
        assert_eq!(a.attributes().len(), 6, "{file}");
        assert_eq!(
            a.attributes()
                .iter()
                .map(|x| x.values().len())
                .sum::<usize>(),
            9,
            "{file}"
        );
    }
}
