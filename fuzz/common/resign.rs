//! Re-signing for the `resign` fuzz target, shared with its regression replay
//! (`crates/samlsp/tests/fuzz_regressions.rs` includes this file by path).
//!
//! The input is Response XML in which `<!--SIG:id-->` comments mark where an
//! enveloped signature over the element with `ID="id"` goes (comments are
//! outside the canonical form, so the digest is computed on the document as
//! given). Every marker is replaced by a valid ECDSA P-256 / SHA-256 /
//! Exc-C14N signature made with the test IdP key, so a mutated input still
//! passes the signature check and the fuzzer reaches every SAML rule after it.
//! P-256 rather than RSA-2048: signing and verifying together cost several
//! times less, so more executions per second; the verifier treats both the
//! same way after the signature check.
#![allow(dead_code)]

use base64::Engine;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use samlsp::SpKeyPair;
use samlsp::internal::dsig::{DSIG_NS, TrustedKey, TrustedKeys};
use samlsp::internal::tracking::{MemoryReplayCache, ReplayCache, ReplayCheck};
use samlsp::internal::xml::c14n::{Method, canonicalize};
use samlsp::internal::xml::{Limits, parse};
use samlsp::{ClockSkew, EntityId, IdentityProvider, RequestContext, ServiceProvider, Url};

/// The test IdP's P-256 key and certificate (`testdata/keys/gen.sh`).
pub const IDP_KEY_PEM: &[u8] = include_bytes!("../../testdata/keys/idp-p256.key");
pub const IDP_CERT_PEM: &[u8] = include_bytes!("../../testdata/keys/idp-p256.crt");
/// The RSA IdP certificate: it signed the assertions inside the encrypted
/// seeds (testdata/xmlenc), which are not re-signed (they are ciphertext).
const IDP_RSA_CERT_PEM: &[u8] = include_bytes!("../../testdata/keys/idp-rsa2048.crt");
/// The SP's encryption key, which the encrypted seeds are encrypted to.
const SP_ENC_KEY_PEM: &[u8] = include_bytes!("../../testdata/keys/sp-enc-rsa2048.key");
const SP_ENC_CERT_PEM: &[u8] = include_bytes!("../../testdata/keys/sp-enc-rsa2048.crt");

/// The settings of the hostile corpus (`testdata/responses/README.md`).
pub const IDP: &str = "https://idp.example.com/saml2/idp/metadata";
pub const REQUEST: &str = "_req_4fee3b046395c4e751011e97f8900b52";
pub const NOW: &str = "2026-01-01T00:01:00Z";

/// Most markers signed per input (Response and Assertion).
const MAX_MARKERS: usize = 2;

pub fn idp_key() -> PKey<Private> {
    PKey::private_key_from_pem(IDP_KEY_PEM).expect("test IdP key")
}

pub fn service_provider() -> ServiceProvider {
    let keys = TrustedKeys::new(vec![
        TrustedKey::from_certificate_pem(IDP_CERT_PEM).expect("test IdP cert"),
        TrustedKey::from_certificate_pem(IDP_RSA_CERT_PEM).expect("test IdP RSA cert"),
    ])
    .expect("keys");
    let idp = IdentityProvider::new(EntityId::new(IDP).expect("idp id"), keys).expect("idp");
    let enc = SpKeyPair::from_pem(SP_ENC_KEY_PEM, SP_ENC_CERT_PEM).expect("SP encryption key");
    ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").expect("sp"))
        .acs_url(Url::new("https://sp.example.org/saml/acs").expect("acs"))
        .idp(idp)
        .encryption_key(enc)
        .clock_skew(ClockSkew::seconds(60))
        .build()
        .expect("sp")
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(NOW)
        .expect("now")
        .to_utc()
}

/// The IDs named by markers, in document order.
fn marker_ids(xml: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<!--SIG:") {
        rest = &rest[start + 8..];
        let Some(end) = rest.find("-->") else { break };
        ids.push(rest[..end].to_owned());
        rest = &rest[end + 3..];
        if ids.len() == MAX_MARKERS {
            break;
        }
    }
    ids
}

/// Signs every marked element, the last marker first (an Assertion inside a
/// Response is signed before the Response that covers its signature). A
/// marker whose document does not parse or whose ID is not found is left as
/// it is.
pub fn resign(xml: &str, key: &PKey<Private>) -> String {
    let mut xml = xml.to_owned();
    for id in marker_ids(&xml).iter().rev() {
        if let Some(signed) = sign_one(&xml, id, key) {
            xml = signed;
        }
    }
    xml
}

fn sign_one(xml: &str, id: &str, key: &PKey<Private>) -> Option<String> {
    const PLACEHOLDER: &str = "RESIGN_SIGNATURE_VALUE";
    let b64 = &base64::engine::general_purpose::STANDARD;
    let marker = format!("<!--SIG:{id}-->");
    let doc = parse(xml.as_bytes(), &Limits::default()).ok()?;
    let el = doc.elements().find(|e| e.attr("ID") == Some(id))?;
    let mut canon = Vec::new();
    canonicalize(el, &Method::exclusive(), None, &mut canon);
    let digest = openssl::sha::sha256(&canon);
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{DSIG_NS}\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256\"/>\
<ds:Reference URI=\"#{id}\"><ds:Transforms>\
<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\
<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
<ds:DigestValue>{}</ds:DigestValue></ds:Reference></ds:SignedInfo>\
<ds:SignatureValue>{PLACEHOLDER}</ds:SignatureValue></ds:Signature>",
        b64.encode(digest)
    );
    let with_placeholder = xml.replacen(&marker, &signature, 1);
    let doc = parse(with_placeholder.as_bytes(), &Limits::default()).ok()?;
    let sig = doc.elements().find(|e| {
        e.is(DSIG_NS, "Signature")
            && e.children_named(DSIG_NS, "SignatureValue")
                .any(|v| v.text().as_deref() == Some(PLACEHOLDER))
    })?;
    let signed_info = sig.children_named(DSIG_NS, "SignedInfo").next()?;
    let mut si = Vec::new();
    canonicalize(signed_info, &Method::exclusive(), None, &mut si);
    let mut signer = Signer::new(MessageDigest::sha256(), key).ok()?;
    let der = signer.sign_oneshot_to_vec(&si).ok()?;
    // XML-DSig ECDSA values are r || s, each the size of the group order
    // (RFC 4051 §3.3).
    let sig = EcdsaSig::from_der(&der).ok()?;
    let mut raw = sig.r().to_vec_padded(32).ok()?;
    raw.extend(sig.s().to_vec_padded(32).ok()?);
    Some(with_placeholder.replacen(PLACEHOLDER, &b64.encode(raw), 1))
}

/// One fuzz execution after re-signing: the full response check; when it
/// accepts, the replay cache must refuse the same assertion a second time.
pub fn exercise(sp: &ServiceProvider, xml: &[u8]) {
    let ctx = RequestContext::Pending {
        request_id: &samlsp::RequestId::new(REQUEST).unwrap(),
        idp: None,
    };
    let now = now();
    if let Ok(a) = sp.verify_response_xml(xml, now, ctx) {
        assert!(
            !a.name_id().value().trim().is_empty(),
            "empty NameID accepted"
        );
        let cache = MemoryReplayCache::new(4);
        let until = a.not_on_or_after() + sp.clock_skew().duration();
        let first = cache.check_and_insert(a.issuer(), a.id(), until, now);
        let second = cache.check_and_insert(a.issuer(), a.id(), until, now);
        assert_eq!(first, Ok(ReplayCheck::FirstUse));
        assert_eq!(second, Ok(ReplayCheck::Replay));
    }
}
