#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The SP side end to end: configuration from IdP metadata, several IdPs
//! (tenants), an AuthnRequest, the response consumed against the request
//! store and replay cache, and the verify API keeping its contract.

use std::sync::atomic::{AtomicU8, Ordering};

use base64::Engine;
use chrono::{DateTime, Utc};
use samlsp::IdpMetadata;
use samlsp::KeyAlgorithm;
use samlsp::internal::binding::RedirectMessage;
use samlsp::internal::dsig::{AlgorithmPolicy, KeyError, TrustedKeys};
use samlsp::{
    ConfigError, EntityId, IdentityProvider, MemoryReplayCache, MemoryRequestStore, OutboundError,
    OutboundMessage, ProtocolError, RandomSource, RequestContext, RequestStore, ServiceProvider,
    SpKeyPair, Url,
};

const IDP: &str = "https://idp.example.com/saml2/idp/metadata";
const OKTA: &str = "http://www.okta.com/exk1a2b3c4d5e6f7g8h9";

fn read(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn pair(name: &str) -> SpKeyPair {
    SpKeyPair::from_pem(
        &read(&format!("testdata/keys/{name}.key")),
        &read(&format!("testdata/keys/{name}.crt")),
    )
    .unwrap()
}

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

/// Two tenants from metadata: the test IdP (rollover metadata: two keys,
/// wants signed requests) and an Okta-shaped one.
fn sp() -> ServiceProvider {
    let at = t("2026-01-01T00:00:00Z");
    let main = samlsp::IdentityProvider::from_metadata(
        &IdpMetadata::parse(&read("testdata/metadata/idp-rollover.xml"), None, at).unwrap(),
    )
    .unwrap();
    let okta = samlsp::IdentityProvider::from_metadata(
        &IdpMetadata::parse(&read("testdata/metadata/idp-okta.xml"), None, at).unwrap(),
    )
    .unwrap()
    .allow_unsolicited(true);
    ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
        .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
        .signing_key(pair("sp-rsa2048"))
        .encryption_key(pair("sp-enc-rsa2048"))
        .idp(main)
        .idp(okta)
        .build()
        .unwrap()
}

#[test]
fn login_end_to_end_from_metadata() {
    let sp = sp();
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    let start = t("2026-01-01T00:00:00Z");

    let prepared = sp
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .build(start, &Counter::default())
        .unwrap();
    // The IdP wants signed requests (metadata): the redirect is signed and
    // verifies with the SP certificate, as the IdP would check it.
    let OutboundMessage::Redirect { url } = prepared.message() else {
        panic!("redirect expected")
    };
    assert!(url.starts_with("https://idp.example.com/sso?SAMLRequest="));
    let sp_cert = TrustedKeys::from_certificate_pem(&read("testdata/keys/sp-rsa2048.crt")).unwrap();
    RedirectMessage::decode_url(url, 1 << 20)
        .unwrap()
        .verify(&sp_cert, &AlgorithmPolicy::strict())
        .unwrap();
    store.insert(prepared.pending().clone(), start).unwrap();

    let posted =
        base64::engine::general_purpose::STANDARD.encode(read("testdata/sp/solicited.xml"));
    let login = sp
        .consume_response(
            &posted,
            Some(prepared.pending().relay_state().as_str()),
            t("2026-01-01T00:01:00Z"),
            &store,
            &replay,
        )
        .unwrap();
    assert_eq!(login.assertion().issuer().as_str(), IDP);
    assert_eq!(login.assertion().name_id().value(), "alice@example.com");
    assert_eq!(login.request().unwrap().idp().as_str(), IDP);
}

#[test]
fn verify_response_keeps_its_contract() {
    // The stateless API still works on its own, with the caller's context.
    let sp = sp();
    let xml = read("testdata/sp/solicited.xml");
    let ok = sp.verify_response_xml(
        &xml,
        t("2026-01-01T00:01:00Z"),
        RequestContext::Pending {
            request_id: &samlsp::RequestId::new("_000102030405060708090a0b0c0d0e0f10111213")
                .unwrap(),
            idp: Some(&samlsp::EntityId::new(IDP).unwrap()),
        },
    );
    assert_eq!(ok.unwrap().id(), "_assertion_sp_1");
    let posted = base64::engine::general_purpose::STANDARD.encode(&xml);
    assert!(
        sp.verify_response(
            &posted,
            t("2026-01-01T00:01:00Z"),
            RequestContext::Pending {
                request_id: &samlsp::RequestId::new("_000102030405060708090a0b0c0d0e0f10111213")
                    .unwrap(),
                idp: None,
            },
        )
        .is_ok()
    );
}

#[test]
fn a_response_must_come_from_the_idp_the_request_went_to() {
    let sp = sp();
    let r = sp.verify_response_xml(
        &read("testdata/sp/solicited.xml"),
        t("2026-01-01T00:01:00Z"),
        RequestContext::Pending {
            request_id: &samlsp::RequestId::new("_000102030405060708090a0b0c0d0e0f10111213")
                .unwrap(),
            idp: Some(&samlsp::EntityId::new(OKTA).unwrap()),
        },
    );
    assert_eq!(
        r.map(|_| ()),
        Err(ProtocolError::Issuer {
            element: "Response",
            expected: OKTA.into(),
            found: IDP.into(),
        }
        .into())
    );
}

#[test]
fn tenants_get_their_own_endpoints_and_settings() {
    let sp = sp();
    let at = t("2026-01-01T00:00:00Z");
    let okta = sp
        .authn_request(&samlsp::EntityId::new(OKTA).unwrap())
        .unwrap()
        .build(at, &Counter::default())
        .unwrap();
    let OutboundMessage::Redirect { url } = okta.message() else {
        panic!()
    };
    assert!(url.starts_with("https://example.okta.com/app/"));
    assert_eq!(okta.pending().idp().as_str(), OKTA);
    // Unsolicited is per IdP: allowed for Okta only.
    assert!(
        sp.idp(&samlsp::EntityId::new(OKTA).unwrap())
            .unwrap()
            .allows_unsolicited()
    );
    assert!(
        !sp.idp(&samlsp::EntityId::new(IDP).unwrap())
            .unwrap()
            .allows_unsolicited()
    );
    assert_eq!(
        sp.verify_response_xml(
            &read("testdata/sp/unsolicited.xml"),
            t("2026-01-01T00:01:00Z"),
            RequestContext::Unsolicited
        )
        .map(|_| ()),
        Err(ProtocolError::UnsolicitedNotAllowed.into())
    );
}

#[test]
fn the_sp_is_shareable_and_never_prints_keys() {
    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    assert_send_sync_clone::<ServiceProvider>();
    let sp = sp();
    let debug = format!("{sp:?}");
    assert!(debug.contains("[redacted]"));
    assert!(!debug.contains("PRIVATE KEY"));
    let pem = String::from_utf8(pair("sp-rsa2048").private_key_pem()).unwrap();
    let body: String = pem.lines().nth(1).unwrap().chars().take(32).collect();
    assert!(!debug.contains(&body));
}

#[test]
fn half_configured_sps_cannot_be_built() {
    let idp = || {
        IdentityProvider::new(
            EntityId::new(IDP).unwrap(),
            TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt")).unwrap(),
        )
        .unwrap()
    };
    let base = || {
        ServiceProvider::builder(EntityId::new("https://sp.example.org").unwrap())
            .acs_url(Url::new("https://sp.example.org/acs").unwrap())
            .idp(idp())
    };
    assert_eq!(
        base()
            .next_encryption_key(pair("sp-rsa2048"))
            .build()
            .map(|_| ()),
        Err(ConfigError::Missing(
            "encryption key (a next encryption key is set)"
        ))
    );
    assert_eq!(
        base().encryption_key(pair("idp-p256")).build().map(|_| ()),
        Err(ConfigError::EncryptionKeyNotRsa)
    );
    assert_eq!(
        base().idp(idp()).build().map(|_| ()),
        Err(ConfigError::Invalid("two IdPs share one entity ID"))
    );
    assert_eq!(
        IdentityProvider::new(EntityId::new(IDP).unwrap(), TrustedKeys::default()).map(|_| ()),
        Err(ConfigError::Missing("IdP signing key"))
    );
}

#[test]
fn sp_keys_are_checked_and_generated() {
    // Key and certificate must match.
    assert_eq!(
        SpKeyPair::from_pem(
            &read("testdata/keys/sp-rsa2048.key"),
            &read("testdata/keys/sp-enc-rsa2048.crt")
        )
        .map(|_| ()),
        Err(KeyError::Decode)
    );
    assert_eq!(
        SpKeyPair::from_pem(
            &read("testdata/keys/idp-rsa1024.key"),
            &read("testdata/keys/idp-rsa1024.crt")
        )
        .map(|_| ()),
        Err(KeyError::WeakRsaKey { bits: 1024 })
    );
    let now = t("2026-01-01T00:00:00Z");
    for alg in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcP256] {
        let k = SpKeyPair::generate(alg, "CN=sp.example.org,O=Example", 30, now).unwrap();
        let again = SpKeyPair::from_pem(&k.private_key_pem(), &k.certificate_pem()).unwrap();
        assert_eq!(again.certificate_der(), k.certificate_der());
        let cert = openssl::x509::X509::from_der(k.certificate_der()).unwrap();
        assert_eq!(cert.not_after().to_string(), "Jan 31 00:00:00 2026 GMT");
        let cn = cert
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .next()
            .unwrap()
            .data()
            .to_string()
            .unwrap();
        assert_eq!(cn, "sp.example.org");
        assert!(format!("{k:?}").contains("[redacted]"));
    }
    assert!(SpKeyPair::generate(KeyAlgorithm::Rsa2048, "bogus", 30, now).is_err());
}
