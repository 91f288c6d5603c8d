#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! AuthnRequest over HTTP-Redirect and HTTP-POST, checked by independent
//! tools: `openssl dgst -verify` over the query octets (SAML Bindings
//! §3.4.4.1), `xmlsec1 --verify` on the enveloped signature, `xmllint
//! --schema` with the OASIS protocol schema. Inbound redirect decoding: bounded
//! inflate and signatures over the query *as received*.

mod common;

use common::{path, read, tmp, xmlsec1_verify};

use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};

use chrono::{DateTime, Utc};
use samlsp::internal::binding::{MessageKind, PostForm, RedirectMessage, url_decode};
use samlsp::internal::dsig::{AlgorithmPolicy, TrustedKeys};
use samlsp::internal::sp::authn_request::{AuthnContextComparison, RequestedAuthnContext};
use samlsp::internal::xml::{Limits, parse};
use samlsp::{
    Binding, BindingError, ConfigError, EncodingError, EntityId, Error, IdentityProvider,
    OutboundError, OutboundMessage, RandomSource, ServiceProvider, SpKeyPair, Url,
};

const SSO: &str = "https://idp.example.com/sso?tenant=a&x='y'";
const IDP: &str = "https://idp.example.com/saml2/idp/metadata";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

fn now() -> DateTime<Utc> {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

/// Bytes 0, 1, 2, ... on each call.
#[derive(Default)]
struct Counter(AtomicU8);

impl RandomSource for Counter {
    fn fill(&self, buf: &mut [u8]) -> Result<(), OutboundError> {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

fn sp_key() -> SpKeyPair {
    SpKeyPair::from_pem(
        &read("testdata/keys/sp-rsa2048.key"),
        &read("testdata/keys/sp-rsa2048.crt"),
    )
    .unwrap()
}

fn idp(bindings: &[Binding]) -> IdentityProvider {
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt")).unwrap();
    let mut idp = IdentityProvider::new(EntityId::new(IDP).unwrap(), keys).unwrap();
    for b in bindings {
        idp = idp.sso_endpoint(*b, Url::new(SSO).unwrap());
    }
    idp
}

fn sp(signing: bool, bindings: &[Binding]) -> ServiceProvider {
    let mut b = ServiceProvider::builder(
        EntityId::new("https://sp.example.org/saml/metadata?a=1&b=<c>").unwrap(),
    )
    .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
    .acs_url(Url::new("https://sp.example.org/saml/acs2").unwrap())
    .name_id_format("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
    .idp(idp(bindings));
    if signing {
        b = b.signing_key(sp_key());
    }
    b.build().unwrap()
}

fn redirect_url(sp: &ServiceProvider) -> (String, samlsp::PendingRequest, String) {
    let p = sp
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .force_authn(true)
        .build(now(), &Counter::default())
        .unwrap();
    let OutboundMessage::Redirect { url } = p.message().clone() else {
        panic!("not a redirect")
    };
    (url, p.pending().clone(), p.xml().to_owned())
}

/// The query part of our URL after the IdP endpoint's own parameters.
fn saml_query(url: &str) -> &str {
    let i = url.find("SAMLRequest=").unwrap();
    &url[i..]
}

#[test]
fn request_carries_every_required_field() {
    let (_, pending, xml) = redirect_url(&sp(true, &[Binding::HttpRedirect]));
    let doc = parse(xml.as_bytes(), &Limits::default()).unwrap();
    let r = doc.root();
    assert!(r.is(SAMLP, "AuthnRequest"));
    let id = r.attr("ID").unwrap();
    assert_eq!(id, pending.id().as_str());
    // 160 random bits, hex, behind an underscore (an NCName).
    assert_eq!(id, "_000102030405060708090a0b0c0d0e0f10111213");
    assert_eq!(r.attr("Version"), Some("2.0"));
    assert_eq!(r.attr("IssueInstant"), Some("2026-01-01T00:00:00Z"));
    assert_eq!(r.attr("Destination"), Some(SSO));
    assert_eq!(
        r.attr("AssertionConsumerServiceURL"),
        Some("https://sp.example.org/saml/acs")
    );
    assert_eq!(
        r.attr("ProtocolBinding"),
        Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    );
    assert_eq!(r.attr("ForceAuthn"), Some("true"));
    let issuer = r.children().next().unwrap();
    assert_eq!(
        issuer.text().unwrap(),
        "https://sp.example.org/saml/metadata?a=1&b=<c>"
    );
    let policy = r.children_named(SAMLP, "NameIDPolicy").next().unwrap();
    assert_eq!(
        policy.attr("Format"),
        Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
    );
    assert_eq!(policy.attr("AllowCreate"), Some("true"));
    assert_eq!(
        pending.relay_state().as_str(),
        "FBUWFxgZGhscHR4fICEiIyQlJic"
    );
    assert_eq!(pending.idp().as_str(), IDP);
    assert_eq!(pending.issued_at(), now());
    assert_eq!(pending.expires_at(), now() + chrono::Duration::minutes(30));
    // The Redirect binding's XML carries no signature (Bindings §3.4.4.1).
    assert!(!xml.contains("Signature"));
}

#[test]
fn ids_and_relay_states_from_the_os_rng_differ_and_are_long() {
    let sp = sp(false, &[Binding::HttpRedirect]);
    let a = sp
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .build(now(), &samlsp::OsRandom)
        .unwrap();
    let b = sp
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .build(now(), &samlsp::OsRandom)
        .unwrap();
    assert_ne!(a.pending().id(), b.pending().id());
    assert_ne!(a.pending().relay_state(), b.pending().relay_state());
    assert_eq!(a.pending().id().as_str().len(), 41);
    assert!(a.pending().relay_state().as_str().len() >= 27);
    assert!(format!("{:?}", a.pending()).contains("[redacted]"));
}

#[test]
fn redirect_signature_verifies_with_openssl_over_the_query_octets() {
    let (url, pending, _) = redirect_url(&sp(true, &[Binding::HttpRedirect]));
    assert!(url.starts_with("https://idp.example.com/sso?tenant=a&x='y'&SAMLRequest="));
    let query = saml_query(&url);
    let (signed, sig) = query.split_once("&Signature=").unwrap();
    assert!(signed.contains(&format!(
        "&RelayState={}&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256",
        pending.relay_state().as_str()
    )));
    let data = tmp("octets.txt");
    std::fs::write(&data, signed).unwrap();
    let sig_file = tmp("sig.bin");
    use base64::Engine;
    std::fs::write(
        &sig_file,
        base64::engine::general_purpose::STANDARD
            .decode(url_decode(sig).unwrap())
            .unwrap(),
    )
    .unwrap();
    let pubkey = tmp("pub.pem");
    let out = Command::new("openssl")
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(path("testdata/keys/sp-rsa2048.crt"))
        .output()
        .expect("openssl is required");
    std::fs::write(&pubkey, out.stdout).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&pubkey)
        .arg("-signature")
        .arg(&sig_file)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Verified OK");
}

#[test]
fn our_redirect_decodes_and_verifies_with_the_sp_certificate() {
    let (url, pending, xml) = redirect_url(&sp(true, &[Binding::HttpRedirect]));
    let msg = RedirectMessage::decode_url(&url, 64 * 1024).unwrap();
    assert_eq!(msg.kind(), MessageKind::Request);
    assert_eq!(msg.unverified_xml(), xml.as_bytes());
    assert_eq!(
        msg.unverified_relay_state(),
        Some(pending.relay_state().as_str())
    );
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/sp-rsa2048.crt")).unwrap();
    let v = msg.verify(&keys, &AlgorithmPolicy::strict()).unwrap();
    assert_eq!(v.xml(), xml.as_bytes());
    // Another key does not verify it.
    let other = TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt")).unwrap();
    let msg = RedirectMessage::decode_url(&url, 64 * 1024).unwrap();
    assert_eq!(
        msg.verify(&other, &AlgorithmPolicy::strict()),
        Err(BindingError::SignatureInvalid.into())
    );
}

/// A signer that percent-encodes with lowercase hex, as some IdPs do.
fn lowercase_signed_query(key: &SpKeyPair, relay_state: &str) -> String {
    let xml = b"<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_l\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\"/>";
    use base64::Engine;
    let b64 =
        base64::engine::general_purpose::STANDARD.encode(samlsp::internal::binding::deflate(xml));
    let lower = |s: &str| {
        samlsp::internal::binding::url_encode(s)
            .split('%')
            .enumerate()
            .map(|(i, p)| {
                if i == 0 {
                    p.to_owned()
                } else {
                    format!("%{}{}", p[..2].to_ascii_lowercase(), &p[2..])
                }
            })
            .collect::<String>()
    };
    let mut q = format!(
        "SAMLRequest={}&RelayState={}&SigAlg={}",
        lower(&b64),
        lower(relay_state),
        lower("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    );
    // Sign with openssl, like an independent IdP would.
    let data = tmp("lower.txt");
    std::fs::write(&data, &q).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(path("testdata/keys/sp-rsa2048.key"))
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let _ = key;
    q.push_str("&Signature=");
    q.push_str(&lower(
        &base64::engine::general_purpose::STANDARD.encode(out.stdout),
    ));
    q
}

#[test]
fn inbound_signature_is_checked_over_the_query_as_received() {
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/sp-rsa2048.crt")).unwrap();
    let q = lowercase_signed_query(&sp_key(), "https://app.example/return?x=1");
    assert!(q.contains("%2f") && q.contains("%3a"));
    let msg = RedirectMessage::decode(&format!("other=1&{q}&more=2"), 64 * 1024).unwrap();
    let v = msg.verify(&keys, &AlgorithmPolicy::strict()).unwrap();
    assert_eq!(v.relay_state(), Some("https://app.example/return?x=1"));

    // Re-encoded (uppercase hex): the same decoded values, other octets.
    let upper = q.replace("%2f", "%2F");
    let msg = RedirectMessage::decode(&upper, 64 * 1024).unwrap();
    assert_eq!(
        msg.verify(&keys, &AlgorithmPolicy::strict()),
        Err(BindingError::SignatureInvalid.into())
    );
    // Parameter order does not matter (Bindings §3.4.4.1 fixes the signed order).
    let (head, sig) = q.split_once("&Signature=").unwrap();
    let parts: Vec<&str> = head.split('&').collect();
    let reordered = format!("Signature={sig}&{}&{}&{}", parts[2], parts[0], parts[1]);
    let msg = RedirectMessage::decode(&reordered, 64 * 1024).unwrap();
    assert!(msg.verify(&keys, &AlgorithmPolicy::strict()).is_ok());
    // A tampered RelayState does not verify.
    let tampered = q.replace("app.example", "evil.example");
    let msg = RedirectMessage::decode(&tampered, 64 * 1024).unwrap();
    assert_eq!(
        msg.verify(&keys, &AlgorithmPolicy::strict()),
        Err(BindingError::SignatureInvalid.into())
    );
}

#[test]
fn malformed_redirects_are_refused_without_panicking() {
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/sp-rsa2048.crt")).unwrap();
    let q = lowercase_signed_query(&sp_key(), "rs");
    let strict = AlgorithmPolicy::strict();
    let (head, _) = q.split_once("&Signature=").unwrap();
    // Unsigned.
    let (unsigned, _) = head.split_once("&SigAlg=").unwrap();
    assert_eq!(
        RedirectMessage::decode(unsigned, 1 << 16)
            .unwrap()
            .verify(&keys, &strict),
        Err(BindingError::Unsigned.into())
    );
    // SigAlg without Signature.
    assert_eq!(
        RedirectMessage::decode(head, 1 << 16),
        Err(BindingError::IncompleteSignature.into())
    );
    // Duplicates.
    assert_eq!(
        RedirectMessage::decode(&format!("{q}&RelayState=x"), 1 << 16),
        Err(BindingError::DuplicateParameter("RelayState").into())
    );
    // No message.
    assert_eq!(
        RedirectMessage::decode("RelayState=x", 1 << 16),
        Err(BindingError::MissingParameter("SAMLRequest or SAMLResponse").into())
    );
    // Unknown and disabled algorithms.
    let with_alg = |alg: &str| {
        q.replace(
            "http%3a%2f%2fwww.w3.org%2f2001%2f04%2fxmldsig-more%23rsa-sha256",
            &samlsp::internal::binding::url_encode(alg),
        )
    };
    assert_eq!(
        RedirectMessage::decode(&with_alg("urn:nope"), 1 << 16)
            .unwrap()
            .verify(&keys, &strict),
        Err(BindingError::UnsupportedSigAlg {
            found: "urn:nope".into()
        }
        .into())
    );
    assert_eq!(
        RedirectMessage::decode(
            &with_alg("http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
            1 << 16
        )
        .unwrap()
        .verify(&keys, &strict),
        Err(BindingError::DisabledSigAlg {
            found: "http://www.w3.org/2000/09/xmldsig#rsa-sha1".into()
        }
        .into())
    );
    // Bad percent-encoding and bad base64.
    assert_eq!(
        RedirectMessage::decode("SAMLRequest=%zz", 1 << 16),
        Err(BindingError::PercentEncoding("SAMLRequest").into())
    );
    assert_eq!(
        RedirectMessage::decode("SAMLRequest=!!!", 1 << 16),
        Err(EncodingError::NotBase64.into())
    );
    assert_eq!(
        RedirectMessage::decode("SAMLRequest=AAAA", 1 << 16),
        Err(EncodingError::Inflate.into())
    );
}

#[test]
fn a_deflate_bomb_fails_fast() {
    use base64::Engine;
    let bomb = samlsp::internal::binding::deflate(&vec![b'<'; 8 * 1024 * 1024]);
    let q = format!(
        "SAMLResponse={}",
        samlsp::internal::binding::url_encode(
            &base64::engine::general_purpose::STANDARD.encode(&bomb)
        )
    );
    let t = std::time::Instant::now();
    assert_eq!(
        RedirectMessage::decode(&q, 256 * 1024),
        Err(EncodingError::InflatedTooLarge { limit: 256 * 1024 }.into())
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
}

fn post(sp: &ServiceProvider) -> (samlsp::PreparedAuthnRequest, PostForm) {
    let p = sp
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .binding(Binding::HttpPost)
        .is_passive(true)
        .requested_authn_context(RequestedAuthnContext::new(
            AuthnContextComparison::Minimum,
            ["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"],
        ))
        .build(now(), &Counter::default())
        .unwrap();
    let OutboundMessage::Post(form) = p.message().clone() else {
        panic!("not a POST")
    };
    (p, form)
}

#[test]
fn post_signature_verifies_with_xmlsec1_and_with_our_verifier() {
    let sp = sp(true, &[Binding::HttpRedirect, Binding::HttpPost]);
    let (p, form) = post(&sp);
    assert_eq!(p.binding(), Binding::HttpPost);
    let (name, value) = &form.fields()[0];
    assert_eq!(*name, "SAMLRequest");
    use base64::Engine;
    let xml = base64::engine::general_purpose::STANDARD
        .decode(value)
        .unwrap();
    assert_eq!(xml, p.xml().as_bytes());

    xmlsec1_verify(
        &xml,
        "testdata/keys/sp-rsa2048.crt",
        "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest",
    );

    let doc = parse(&xml, &Limits::default()).unwrap();
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/sp-rsa2048.crt")).unwrap();
    let signed =
        samlsp::internal::dsig::verify(doc.root(), &keys, &AlgorithmPolicy::strict()).unwrap();
    assert!(signed.element().is(SAMLP, "AuthnRequest"));
    // Signature right after Issuer (SAML Core §3.2.1 schema order).
    let names: Vec<&str> = doc.root().children().map(|c| c.local_name()).collect();
    assert_eq!(
        names,
        [
            "Issuer",
            "Signature",
            "NameIDPolicy",
            "RequestedAuthnContext"
        ]
    );
}

#[test]
fn post_form_escapes_everything_and_works_without_script() {
    let sp = sp(false, &[Binding::HttpPost]);
    let (p, form) = post(&sp);
    let html = form.to_html();
    assert!(html.contains("action=\"https://idp.example.com/sso?tenant=a&amp;x=&#39;y&#39;\""));
    assert!(html.contains(&format!(
        "name=\"RelayState\" value=\"{}\"",
        p.pending().relay_state().as_str()
    )));
    assert!(html.contains("<noscript>"));
    assert!(html.contains("<button type=\"submit\">"));
    assert_eq!(html.matches("<script").count(), 1);
    // A hostile nonce is escaped too.
    let html = form.to_html_with_nonce("\"><script>alert(1)</script>");
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("nonce=\"&quot;&gt;&lt;script&gt;"));
    // The CSP hash matches the script.
    let digest = openssl::sha::sha256(PostForm::SCRIPT.as_bytes());
    use base64::Engine;
    assert_eq!(
        PostForm::SCRIPT_CSP_HASH,
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    );
}

/// xmllint must be present: a missing validator fails, it never skips.
fn xmllint_validate(xml: &[u8], schema: &str) {
    let file = tmp("doc.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(path(&format!("testdata/schemas/{schema}")))
        .arg(&file)
        .output()
        .expect("xmllint is required (scripts/test-deps.sh installs libxml2-utils)");
    assert!(
        out.status.success(),
        "schema validation failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(xml)
    );
}

#[test]
fn requests_pass_the_oasis_protocol_schema() {
    let signed = sp(true, &[Binding::HttpRedirect, Binding::HttpPost]);
    let (p, _) = post(&signed);
    xmllint_validate(p.xml().as_bytes(), "saml-schema-protocol-2.0.xsd");
    let (_, _, xml) = redirect_url(&signed);
    xmllint_validate(xml.as_bytes(), "saml-schema-protocol-2.0.xsd");
    let plain = sp(false, &[Binding::HttpPost]);
    let p = plain
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .allow_create(false)
        .acs_url(Url::new("https://sp.example.org/saml/acs2").unwrap())
        .build(now(), &Counter::default())
        .unwrap();
    assert!(
        p.xml()
            .contains("AssertionConsumerServiceURL=\"https://sp.example.org/saml/acs2\"")
    );
    xmllint_validate(p.xml().as_bytes(), "saml-schema-protocol-2.0.xsd");
}

#[test]
fn schema_validation_catches_a_broken_request() {
    // The validator really validates: a request missing its Version fails.
    let (_, _, xml) = redirect_url(&sp(false, &[Binding::HttpRedirect]));
    let broken = xml.replace(" Version=\"2.0\"", "");
    let file = tmp("broken.xml");
    std::fs::write(&file, broken).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(path("testdata/schemas/saml-schema-protocol-2.0.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint is required");
    assert!(!out.status.success());
}

#[test]
fn configuration_errors_are_named() {
    let sp_ = sp(false, &[]);
    assert_eq!(
        sp_.authn_request(&samlsp::EntityId::new("https://other.example").unwrap())
            .map(|_| ()),
        Err(OutboundError::UnknownIdp {
            entity_id: "https://other.example".into()
        }
        .into())
    );
    assert_eq!(
        sp_.authn_request(&samlsp::EntityId::new(IDP).unwrap())
            .unwrap()
            .build(now(), &Counter::default())
            .map(|_| ()),
        Err(OutboundError::NoSsoEndpoint.into())
    );
    let sp_ = sp(false, &[Binding::HttpRedirect]);
    assert_eq!(
        sp_.authn_request(&samlsp::EntityId::new(IDP).unwrap())
            .unwrap()
            .acs_url(Url::new("https://evil.example/acs").unwrap())
            .build(now(), &Counter::default())
            .map(|_| ()),
        Err(OutboundError::UnknownAcsUrl("https://evil.example/acs".into()).into())
    );
    // An IdP that wants signed requests needs an SP signing key to be sent
    // one; the SP itself still builds (it can verify responses).
    let verify_only = ServiceProvider::builder(EntityId::new("https://sp.example.org").unwrap())
        .acs_url(Url::new("https://sp.example.org/acs").unwrap())
        .idp(idp(&[Binding::HttpRedirect]).want_authn_requests_signed(true))
        .build()
        .unwrap();
    assert_eq!(
        verify_only
            .authn_request(&samlsp::EntityId::new(IDP).unwrap())
            .map(|_| ()),
        Err(ConfigError::SigningKeyRequired {
            entity_id: IDP.into()
        }
        .into())
    );
    // A failing RNG is an error, not a weak ID.
    struct Broken;
    impl RandomSource for Broken {
        fn fill(&self, _: &mut [u8]) -> Result<(), OutboundError> {
            Err(OutboundError::Random)
        }
    }
    assert_eq!(
        sp_.authn_request(&samlsp::EntityId::new(IDP).unwrap())
            .unwrap()
            .build(now(), &Broken)
            .map(|_| ()),
        Err(Error::Outbound(OutboundError::Random))
    );
}

#[test]
fn unsigned_when_no_key_and_signed_when_the_idp_wants_it() {
    let (url, _, _) = redirect_url(&sp(false, &[Binding::HttpRedirect]));
    assert!(!url.contains("Signature="));
    let signer = ServiceProvider::builder(EntityId::new("https://sp.example.org").unwrap())
        .acs_url(Url::new("https://sp.example.org/acs").unwrap())
        .signing_key(sp_key())
        .sign_authn_requests(false)
        .idp(idp(&[Binding::HttpRedirect]).want_authn_requests_signed(true))
        .build()
        .unwrap();
    let (url, _, _) = redirect_url(&signer);
    assert!(url.contains("&Signature="));
}
