#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! EncryptedAssertion interop: responses encrypted by python-xmlsec and the
//! xmlsec1 command for every key-transport x block-cipher pair
//! (testdata/xmlenc/gen.py, manifest.tsv), under the strict and the danger
//! policy; and the rules around decryption (signature coverage, one error for
//! every decryption failure, the same hardened parser for the plaintext).

use chrono::{DateTime, Utc};
use samlsp::TrustedKeys;
use samlsp::XmlError;
use samlsp::danger::DangerousDecryption as _;
use samlsp::{
    DecryptionError, DecryptionPolicy, EntityId, Error, IdentityProvider, ProtocolError,
    RequestContext, ServiceProvider, SpKeyPair, Url,
};

const IDP: &str = "https://idp.example.com/saml2/idp/metadata";
const REQ: &str = "_req_4fee3b046395c4e751011e97f8900b52";

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> Vec<u8> {
    let p = root().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn key(name: &str) -> SpKeyPair {
    SpKeyPair::from_pem(
        &read(&format!("testdata/keys/{name}.key")),
        &read(&format!("testdata/keys/{name}.crt")),
    )
    .unwrap()
}

fn now() -> DateTime<Utc> {
    "2026-01-01T00:01:00Z".parse().unwrap()
}

fn sp_with(policy: DecryptionPolicy, next: bool) -> ServiceProvider {
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt")).unwrap();
    let idp = IdentityProvider::new(EntityId::new(IDP).unwrap(), keys).unwrap();
    let mut b =
        ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
            .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
            .idp(idp)
            .encryption_key(key("sp-enc-rsa2048"))
            .decryption_policy(policy);
    if next {
        b = b.next_encryption_key(key("sp-rsa2048"));
    }
    b.build().unwrap()
}

fn pending() -> RequestContext<'static> {
    static ID: std::sync::LazyLock<samlsp::RequestId> =
        std::sync::LazyLock::new(|| samlsp::RequestId::new(REQ).unwrap());
    RequestContext::Pending {
        request_id: &ID,
        idp: None,
    }
}

fn verify(sp: &ServiceProvider, xml: &[u8]) -> Result<samlsp::Assertion, Error> {
    sp.verify_response_xml(xml, now(), pending())
}

fn expected(code: &str) -> Result<&'static str, Error> {
    match code {
        "ok" => Ok("alice@example.com"),
        "failed" => Err(DecryptionError::Failed.into()),
        "cbc-without-signature" => Err(DecryptionError::CbcWithoutSignature.into()),
        "disabled-rsa-1_5" => Err(DecryptionError::DisabledAlgorithm {
            uri: "http://www.w3.org/2001/04/xmlenc#rsa-1_5".into(),
        }
        .into()),
        "disabled-tripledes" => Err(DecryptionError::DisabledAlgorithm {
            uri: "http://www.w3.org/2001/04/xmlenc#tripledes-cbc".into(),
        }
        .into()),
        "doctype" => Err(XmlError::DoctypeForbidden { offset: 0 }.into()),
        other => panic!("unknown expectation {other}"),
    }
}

struct Case {
    name: String,
    tool: String,
    key_transport: String,
    block: String,
    strict: String,
    danger: String,
}

fn manifest() -> Vec<Case> {
    let text = String::from_utf8(read("testdata/xmlenc/manifest.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 8, "{l}");
            Case {
                name: f[0].into(),
                tool: f[1].into(),
                key_transport: f[2].into(),
                block: f[3].into(),
                strict: f[6].into(),
                danger: f[7].into(),
            }
        })
        .collect()
}

fn normalize(r: Result<samlsp::Assertion, Error>) -> Result<String, Error> {
    match r {
        Ok(a) => Ok(a.name_id().value().to_owned()),
        // The DTD offset depends on the plaintext; the kind is what matters.
        Err(Error::Xml(XmlError::DoctypeForbidden { .. })) => {
            Err(XmlError::DoctypeForbidden { offset: 0 }.into())
        }
        Err(e) => Err(e),
    }
}

#[test]
fn every_algorithm_pair_from_xmlsec_meets_its_expectation() {
    let cases = manifest();
    assert!(cases.len() >= 45, "corpus shrank to {}", cases.len());
    let strict = sp_with(DecryptionPolicy::strict(), true);
    let danger = sp_with(
        DecryptionPolicy::strict()
            .danger_allow_rsa_1_5()
            .danger_allow_triple_des(),
        true,
    );
    let mut pairs_ok = std::collections::BTreeSet::new();
    for c in &cases {
        let xml = read(&format!("testdata/xmlenc/{}.xml", c.name));
        for (sp, want, policy) in [
            (&strict, &c.strict, "strict"),
            (&danger, &c.danger, "danger"),
        ] {
            let got = normalize(verify(sp, &xml));
            let want = expected(want).map(str::to_owned);
            assert_eq!(got, want, "{} under the {policy} policy", c.name);
            if got.is_ok() {
                pairs_ok.insert((c.key_transport.clone(), c.block.clone(), c.tool.clone()));
            }
        }
    }
    // Every supported pair decrypted at least once.
    for kt in [
        "rsa-oaep-mgf1p",
        "rsa-oaep-mgf1p-sha256",
        "rsa-oaep11-sha256-mgf1sha256",
        "rsa-oaep11-sha1",
        "rsa-oaep11-sha256",
        "rsa-1_5",
    ] {
        for block in [
            "aes128-gcm",
            "aes192-gcm",
            "aes256-gcm",
            "aes128-cbc",
            "aes192-cbc",
            "aes256-cbc",
            "tripledes-cbc",
        ] {
            assert!(
                pairs_ok.contains(&(kt.into(), block.into(), "python-xmlsec".into())),
                "{kt} / {block} never decrypted"
            );
        }
    }
    assert!(pairs_ok.iter().any(|(_, _, t)| t == "xmlsec1"));
}

#[test]
fn rsa_1_5_is_refused_by_default_even_under_a_response_signature() {
    let xml = read("testdata/xmlenc/rsa-1_5--aes256-gcm--response-signed.xml");
    assert_eq!(
        normalize(verify(&sp_with(DecryptionPolicy::strict(), false), &xml)),
        Err(DecryptionError::DisabledAlgorithm {
            uri: "http://www.w3.org/2001/04/xmlenc#rsa-1_5".into()
        }
        .into())
    );
}

#[test]
fn cbc_under_an_assertion_signature_only_is_refused_before_decrypting() {
    // The inner signature cannot stop a padding oracle: it is checked after
    // decryption. Only a Response signature over the ciphertext can.
    let xml = read("testdata/xmlenc/rsa-oaep-mgf1p--aes256-cbc--assertion-signed.xml");
    assert_eq!(
        normalize(verify(&sp_with(DecryptionPolicy::strict(), false), &xml)),
        Err(DecryptionError::CbcWithoutSignature.into())
    );
}

#[test]
fn next_key_decrypts_only_when_configured() {
    let xml = read("testdata/xmlenc/next-key--aes256-gcm--assertion-signed.xml");
    assert!(verify(&sp_with(DecryptionPolicy::strict(), true), &xml).is_ok());
    assert_eq!(
        normalize(verify(&sp_with(DecryptionPolicy::strict(), false), &xml)),
        Err(DecryptionError::Failed.into())
    );
}

fn gcm_fixture() -> String {
    String::from_utf8(read(
        "testdata/xmlenc/rsa-oaep-mgf1p--aes128-gcm--assertion-signed.xml",
    ))
    .unwrap()
}

/// The CipherValue texts in document order: [0] the wrapped key, [1] the content.
fn cipher_values(xml: &str) -> Vec<(usize, usize)> {
    let open = "<xenc:CipherValue>";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = xml[from..].find(open) {
        let start = from + i + open.len();
        let end = start + xml[start..].find("</xenc:CipherValue>").unwrap();
        out.push((start, end));
        from = end;
    }
    out
}

fn flip_base64(xml: &str, span: (usize, usize), at_end: bool) -> String {
    use base64::Engine;
    let text: String = xml[span.0..span.1]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap();
    let i = if at_end { raw.len() - 1 } else { raw.len() / 2 };
    raw[i] ^= 0x01;
    let b = base64::engine::general_purpose::STANDARD.encode(raw);
    format!("{}{}{}", &xml[..span.0], b, &xml[span.1..])
}

#[test]
fn every_decryption_failure_is_the_same_error() {
    let sp = sp_with(DecryptionPolicy::strict(), false);
    let xml = gcm_fixture();
    let spans = cipher_values(&xml);
    assert_eq!(spans.len(), 2);
    let wrong_key = read("testdata/xmlenc/attacker-key--aes128-gcm--assertion-signed.xml");
    let cases = [
        ("wrapped key flipped", flip_base64(&xml, spans[0], false)),
        ("ciphertext flipped", flip_base64(&xml, spans[1], false)),
        ("tag flipped", flip_base64(&xml, spans[1], true)),
        (
            "encrypted to another key",
            String::from_utf8(wrong_key).unwrap(),
        ),
        (
            "ciphertext truncated",
            format!("{}AAAA{}", &xml[..spans[1].0], &xml[spans[1].1..]),
        ),
    ];
    for (what, doc) in cases {
        assert_eq!(
            verify(&sp, doc.as_bytes()).map(|_| ()),
            Err(Error::Decryption(DecryptionError::Failed)),
            "{what}"
        );
    }
}

#[test]
fn the_plaintext_goes_through_the_hardened_parser() {
    let xml = read("testdata/xmlenc/doctype-plaintext--aes128-gcm.xml");
    assert!(matches!(
        verify(&sp_with(DecryptionPolicy::strict(), false), &xml),
        Err(Error::Xml(XmlError::DoctypeForbidden { .. }))
    ));
}

#[test]
fn encrypted_is_not_signed() {
    // Anyone can encrypt to the SP's public key (CVE-2024-9487 class).
    let xml = read("testdata/responses/encrypted-unsigned.xml");
    assert_eq!(
        verify(&sp_with(DecryptionPolicy::strict(), false), &xml).map(|_| ()),
        Err(ProtocolError::NotSigned.into())
    );
    let good = read("testdata/responses/valid-encrypted-assertion.xml");
    let a = verify(&sp_with(DecryptionPolicy::strict(), false), &good).unwrap();
    assert_eq!(a.name_id().value(), "alice@example.com");
}

#[test]
fn without_a_decryption_key_the_refusal_is_explicit() {
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt")).unwrap();
    let sp =
        ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
            .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
            .idp(IdentityProvider::new(EntityId::new(IDP).unwrap(), keys).unwrap())
            .build()
            .unwrap();
    assert_eq!(
        verify(&sp, gcm_fixture().as_bytes()).map(|_| ()),
        Err(ProtocolError::EncryptedAssertionUnsupported.into())
    );
}

#[test]
fn unsupported_algorithms_are_named() {
    let sp = sp_with(DecryptionPolicy::strict(), false);
    let xml = gcm_fixture();
    let swap = |old: &str, new: &str| xml.replacen(old, new, 1);
    assert_eq!(
        verify(
            &sp,
            swap(
                "http://www.w3.org/2009/xmlenc11#aes128-gcm",
                "http://www.w3.org/2001/04/xmlenc#kw-aes128"
            )
            .as_bytes()
        )
        .map(|_| ()),
        Err(DecryptionError::UnsupportedAlgorithm {
            uri: "http://www.w3.org/2001/04/xmlenc#kw-aes128".into()
        }
        .into())
    );
    assert_eq!(
        verify(
            &sp,
            swap(
                "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
            )
            .as_bytes()
        )
        .map(|_| ()),
        Err(DecryptionError::UnsupportedAlgorithm {
            uri: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256".into()
        }
        .into())
    );
    // CipherReference would make the SP fetch a URL.
    let cipher_ref = {
        let spans = cipher_values(&xml);
        let (s, e) = spans[1];
        let open = s - "<xenc:CipherValue>".len();
        let close = e + "</xenc:CipherValue>".len();
        format!(
            "{}<xenc:CipherReference URI=\"https://attacker.example/c\"/>{}",
            &xml[..open],
            &xml[close..]
        )
    };
    assert_eq!(
        verify(&sp, cipher_ref.as_bytes()).map(|_| ()),
        Err(DecryptionError::Structure("CipherReference is not supported").into())
    );
}

#[test]
fn an_encrypted_and_a_plain_assertion_together_are_refused() {
    let sp = sp_with(DecryptionPolicy::strict(), false);
    let xml = gcm_fixture();
    let doubled = xml.replacen(
        "</samlp:Response>",
        "<saml:Assertion ID=\"x\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\"/></samlp:Response>",
        1,
    );
    assert_eq!(
        verify(&sp, doubled.as_bytes()).map(|_| ()),
        Err(ProtocolError::MultipleAssertions { count: 2 }.into())
    );
}

/// Responses captured from a real Keycloak 26.7.5 (testdata/keycloak/captured,
/// with provenance in its README): decrypted with the SP key they were
/// encrypted to, checked against the sidecar.
fn keycloak(name: &str) -> Result<samlsp::Assertion, Error> {
    let sidecar: String =
        String::from_utf8(read(&format!("testdata/keycloak/captured/{name}.json"))).unwrap();
    let field = |key: &str| {
        let start = sidecar.find(&format!("\"{key}\": \"")).unwrap() + key.len() + 5;
        let end = start + sidecar[start..].find('"').unwrap();
        sidecar[start..end].to_owned()
    };
    let cert = field("idp_signing_cert_pem").replace("\\n", "\n");
    let keys = TrustedKeys::from_certificate_pem(cert.as_bytes()).unwrap();
    let idp = IdentityProvider::new(EntityId::new(field("idp_entity_id")).unwrap(), keys).unwrap();
    let sp = ServiceProvider::builder(EntityId::new(field("client_entity_id")).unwrap())
        .acs_url(Url::new(field("acs_url")).unwrap())
        .idp(idp)
        .encryption_key(key("sp-enc-rsa2048"))
        .build()
        .unwrap();
    let now: DateTime<Utc> = field("now").parse().unwrap();
    let value = String::from_utf8(read(&format!("testdata/keycloak/captured/{name}.b64"))).unwrap();
    let request_id = field("in_response_to");
    sp.verify_response(
        &value,
        now,
        RequestContext::Pending {
            request_id: &samlsp::RequestId::new(&request_id).unwrap(),
            idp: None,
        },
    )
}

#[test]
fn keycloak_aes256_gcm_with_rsa_oaep_sha256_mgf1_sha256_decrypts() {
    let a = keycloak("acme-encrypted").unwrap();
    assert_eq!(a.name_id().value(), "alice@acme.test");
    assert_eq!(a.attribute("email").unwrap().values(), ["alice@acme.test"]);
}

#[test]
fn keycloak_aes128_cbc_under_a_response_signature_decrypts() {
    let a = keycloak("acme-encrypted-cbc").unwrap();
    assert_eq!(a.name_id().value(), "bob");
}
