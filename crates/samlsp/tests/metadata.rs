#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Metadata out (SP: golden files, OASIS schema, xmlsec1-verified signature,
//! keys by use, only the algorithms we decrypt) and in (IdP samples shaped
//! like Keycloak, Entra ID, AD FS, Okta and Shibboleth; federation aggregates
//! with a pinned signing key; hostile metadata refused; the refresh cache).
//!
//! Set `SAMLSP_BLESS=1` to rewrite the golden files after an intended change.

mod common;

use common::{path, read, tmp, xmlsec1_verify};

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use samlsp::internal::xml::parse;
use samlsp::{
    AlgorithmPolicy, Binding, ContactPerson, ContactType, DsigError, EntityId, Error, IdpMetadata,
    Limits, MetadataCache, MetadataError, MetadataOptions, MetadataSource, Organization,
    RequestContext, ServiceProvider, SpKeyPair, SpMetadataBuilder, TrustedKeys, Url, XmlError,
};

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn now() -> DateTime<Utc> {
    t("2026-01-01T00:01:00Z")
}

fn pair(name: &str) -> SpKeyPair {
    SpKeyPair::from_pem(
        &read(&format!("testdata/keys/{name}.key")),
        &read(&format!("testdata/keys/{name}.crt")),
    )
    .unwrap()
}

fn keys(cert: &str) -> TrustedKeys {
    TrustedKeys::from_certificate_pem(&read(&format!("testdata/keys/{cert}.crt"))).unwrap()
}

fn sp() -> ServiceProvider {
    let idp = samlsp::IdentityProvider::from_metadata(
        &IdpMetadata::parse(&read("testdata/metadata/idp-okta.xml"), None, now()).unwrap(),
    )
    .unwrap();
    sp_settings().idp(idp).build().unwrap()
}

/// The SP of [`sp`] without its IdP.
fn sp_settings() -> samlsp::ServiceProviderBuilder {
    ServiceProvider::builder(
        EntityId::new("https://sp.example.org/saml/metadata?t=a&b=<c>").unwrap(),
    )
    .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
    .acs_url(Url::new("https://sp.example.org/saml/acs2").unwrap())
    .signing_key(pair("sp-rsa2048"))
    .next_signing_key(pair("idp-rsa3072"))
    .encryption_key(pair("sp-enc-rsa2048"))
    .name_id_format("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    .slo_url(
        Binding::HttpRedirect,
        Url::new("https://sp.example.org/saml/slo").unwrap(),
    )
    .organization(Organization::new(
        "Example & Co <Ltd>",
        "Example \"Co\"",
        Url::new("https://example.org/").unwrap(),
    ))
    .contact(
        ContactPerson::new(ContactType::Technical)
            .given_name("Ops")
            .email("ops@example.org"),
    )
}

#[test]
fn metadata_before_any_idp_is_what_the_built_sp_publishes() {
    // The web layer serves metadata from the settings while no IdP metadata
    // is loaded yet; it must not differ from what the SP publishes later
    // (the IdP here does not want signed requests, so nothing depends on it).
    let before = sp_settings().metadata(&options()).unwrap();
    assert_eq!(before, sp().metadata(&options()).unwrap());
    assert!(
        sp_settings()
            .metadata(&options().signed(true))
            .unwrap()
            .contains("<ds:Signature")
    );
}

fn options() -> MetadataOptions {
    MetadataOptions::new()
        .valid_until(t("2027-01-01T00:00:00Z"))
        .cache_duration(Duration::hours(6))
}

fn golden(name: &str, actual: &str) {
    let p = path(&format!("testdata/metadata/{name}"));
    if std::env::var_os("SAMLSP_BLESS").is_some() {
        std::fs::write(&p, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (SAMLSP_BLESS=1 writes it)", p.display()));
    assert_eq!(
        actual, expected,
        "{name} changed (SAMLSP_BLESS=1 to accept)"
    );
}

/// xmllint must be present: a missing validator fails the test.
fn xmllint(xml: &str) {
    let file = tmp("md.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(path("testdata/schemas/saml-schema-metadata-2.0.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint is required (scripts/test-deps.sh installs libxml2-utils)");
    assert!(
        out.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sp_metadata_matches_the_golden_file_and_is_deterministic() {
    let xml = sp().metadata(&options()).unwrap();
    assert_eq!(xml, sp().metadata(&options()).unwrap());
    golden("sp-golden.xml", &xml);
    let signed = sp().metadata(&options().signed(true)).unwrap();
    assert_eq!(signed, sp().metadata(&options().signed(true)).unwrap());
    golden("sp-golden-signed.xml", &signed);
}

#[test]
fn sp_metadata_passes_the_oasis_schema() {
    xmllint(&sp().metadata(&options()).unwrap());
    xmllint(&sp().metadata(&options().signed(true)).unwrap());
    xmllint(&sp().metadata(&MetadataOptions::new()).unwrap());
}

#[test]
fn signed_sp_metadata_verifies_with_xmlsec1_and_with_us() {
    let signed = sp().metadata(&options().signed(true)).unwrap();
    xmlsec1_verify(
        signed.as_bytes(),
        "testdata/keys/sp-rsa2048.crt",
        "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
    );
    let doc = parse(signed.as_bytes(), &Limits::metadata()).unwrap();
    samlsp::internal::dsig::verify(doc.root(), &keys("sp-rsa2048"), &AlgorithmPolicy::strict())
        .unwrap();
}

#[test]
fn keys_are_published_by_use_with_only_the_methods_we_decrypt() {
    let xml = sp().metadata(&options()).unwrap();
    let doc = parse(xml.as_bytes(), &Limits::metadata()).unwrap();
    let r = doc.root();
    assert_eq!(
        r.attr("entityID"),
        Some("https://sp.example.org/saml/metadata?t=a&b=<c>")
    );
    let sso = r.children_named(MD, "SPSSODescriptor").next().unwrap();
    assert_eq!(sso.attr("AuthnRequestsSigned"), Some("true"));
    assert_eq!(sso.attr("WantAssertionsSigned"), Some("true"));
    let kds: Vec<_> = sso.children_named(MD, "KeyDescriptor").collect();
    let uses: Vec<_> = kds.iter().map(|k| k.attr("use").unwrap()).collect();
    // Current and next signing keys, then the encryption key.
    assert_eq!(uses, ["signing", "signing", "encryption"]);
    for k in &kds[..2] {
        assert_eq!(k.children_named(MD, "EncryptionMethod").count(), 0);
    }
    let methods: Vec<(String, Option<String>)> = kds[2]
        .children_named(MD, "EncryptionMethod")
        .map(|m| {
            (
                m.attr("Algorithm").unwrap().to_owned(),
                m.children_named(DS, "DigestMethod")
                    .next()
                    .map(|d| d.attr("Algorithm").unwrap().to_owned()),
            )
        })
        .collect();
    let sha256 = Some("http://www.w3.org/2001/04/xmlenc#sha256".to_owned());
    assert_eq!(
        methods,
        [
            (
                "http://www.w3.org/2009/xmlenc11#aes256-gcm".to_owned(),
                None
            ),
            (
                "http://www.w3.org/2009/xmlenc11#aes128-gcm".to_owned(),
                None
            ),
            (
                "http://www.w3.org/2009/xmlenc11#rsa-oaep".to_owned(),
                sha256
            ),
            (
                "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p".to_owned(),
                None
            ),
        ]
    );
    // Each advertised pair decrypts in the interop corpus (strict policy, no
    // Response signature needed).
    let manifest = String::from_utf8(read("testdata/xmlenc/manifest.tsv")).unwrap();
    for block in ["aes256-gcm", "aes128-gcm"] {
        for kt in ["rsa-oaep11-sha256", "rsa-oaep-mgf1p"] {
            let row = manifest
                .lines()
                .find(|l| l.starts_with(&format!("{kt}--{block}--")))
                .unwrap_or_else(|| panic!("no fixture for {kt} / {block}"));
            assert_eq!(row.split('\t').nth(6), Some("ok"), "{row}");
        }
    }
    let acs: Vec<_> = sso
        .children_named(MD, "AssertionConsumerService")
        .map(|a| (a.attr("Location").unwrap(), a.attr("isDefault")))
        .collect();
    assert_eq!(
        acs,
        [
            ("https://sp.example.org/saml/acs", Some("true")),
            ("https://sp.example.org/saml/acs2", None)
        ]
    );
    let org = r.children_named(MD, "Organization").next().unwrap();
    assert_eq!(
        org.children().next().unwrap().text().unwrap(),
        "Example & Co <Ltd>"
    );
}

#[test]
fn metadata_without_keys_says_requests_are_unsigned() {
    let idp = samlsp::IdentityProvider::from_metadata(
        &IdpMetadata::parse(&read("testdata/metadata/idp-okta.xml"), None, now()).unwrap(),
    )
    .unwrap();
    let sp = ServiceProvider::builder(EntityId::new("https://sp.example.org").unwrap())
        .acs_url(Url::new("https://sp.example.org/acs").unwrap())
        .idp(idp)
        .build()
        .unwrap();
    let xml = sp.metadata(&MetadataOptions::new()).unwrap();
    assert!(xml.contains("AuthnRequestsSigned=\"false\""));
    assert!(!xml.contains("KeyDescriptor"));
    xmllint(&xml);
    assert!(matches!(
        sp.metadata(&MetadataOptions::new().signed(true)),
        Err(Error::Config(_))
    ));
}

#[test]
fn the_metadata_builder_serves_the_cli() {
    let xml = SpMetadataBuilder::new(EntityId::new("https://sp.example.org").unwrap())
        .acs_url(Url::new("https://sp.example.org/acs").unwrap())
        .signing_certificate_pem(&read("testdata/keys/sp-rsa2048.crt"))
        .unwrap()
        .encryption_certificate_pem(&read("testdata/keys/sp-enc-rsa2048.crt"))
        .unwrap()
        .to_xml(&MetadataOptions::new())
        .unwrap();
    xmllint(&xml);
    // An EC certificate cannot be an encryption (key transport) certificate.
    assert!(
        SpMetadataBuilder::new(EntityId::new("https://sp.example.org").unwrap())
            .encryption_certificate_pem(&read("testdata/keys/idp-p256.crt"))
            .is_err()
    );
}

// --- IdP metadata in ---------------------------------------------------------

#[test]
fn real_keycloak_descriptor() {
    let md = IdpMetadata::parse(
        &read("testdata/keycloak/captured/acme-descriptor.xml"),
        None,
        now(),
    )
    .unwrap();
    assert_eq!(md.entity_id.as_str(), "http://127.0.0.1:8180/realms/acme");
    assert_eq!(md.signing_keys.len(), 1);
    assert!(md.want_authn_requests_signed);
    let idp = samlsp::IdentityProvider::from_metadata(&md).unwrap();
    assert!(idp.wants_authn_requests_signed());
    assert_eq!(
        idp.sso_for(None).map(|(b, u)| (b, u.as_str().to_owned())),
        Some((
            Binding::HttpRedirect,
            "http://127.0.0.1:8180/realms/acme/protocol/saml".to_owned()
        ))
    );
}

#[test]
fn entra_id_shape_parses_and_verifies() {
    let xml = read("testdata/metadata/idp-entra.xml");
    let md = IdpMetadata::parse_verified(&xml, None, now(), &keys("idp-rsa2048")).unwrap();
    assert!(
        md.entity_id
            .as_str()
            .starts_with("https://sts.windows.net/")
    );
    assert_eq!(md.signing_keys.len(), 1);
    assert_eq!(md.sso.len(), 2);
    assert_eq!(md.slo.len(), 1);
    assert!(!md.want_authn_requests_signed);
}

#[test]
fn adfs_shape_reads_only_signing_keys_of_the_idp_role() {
    let xml = read("testdata/metadata/idp-adfs.xml");
    let md = IdpMetadata::parse_verified(&xml, None, now(), &keys("idp-rsa2048")).unwrap();
    assert_eq!(
        md.entity_id.as_str(),
        "http://adfs.example.com/adfs/services/trust"
    );
    assert_eq!(md.signing_keys.len(), 1);
    assert_eq!(
        md.signing_keys[0].certificate_der(),
        keys("idp-rsa2048").keys()[0].certificate_der()
    );
    assert!(md.sso_endpoint(Binding::HttpPost).is_some());
}

#[test]
fn okta_shape() {
    let md = IdpMetadata::parse(&read("testdata/metadata/idp-okta.xml"), None, now()).unwrap();
    assert_eq!(
        md.entity_id.as_str(),
        "http://www.okta.com/exk1a2b3c4d5e6f7g8h9"
    );
    assert!(!md.want_authn_requests_signed);
    let idp = samlsp::IdentityProvider::from_metadata(&md).unwrap();
    assert_eq!(idp.sso_endpoints().len(), 2);
}

#[test]
fn shibboleth_shape_keeps_keys_without_use_and_skips_other_bindings() {
    let md =
        IdpMetadata::parse(&read("testdata/metadata/idp-shibboleth.xml"), None, now()).unwrap();
    // The KeyDescriptor without use counts as signing (SAML Metadata §2.4.1.1).
    assert_eq!(md.signing_keys.len(), 2);
    // Only the bindings this SP speaks are kept: of four SSO endpoints,
    // Shibboleth 1.0 and POST-SimpleSign are skipped.
    assert_eq!(md.sso.len(), 2);
    let idp = samlsp::IdentityProvider::from_metadata(&md).unwrap();
    let bindings: Vec<_> = idp.sso_endpoints().iter().map(|e| e.binding).collect();
    assert_eq!(bindings, [Binding::HttpPost, Binding::HttpRedirect]);
    assert_eq!(idp.slo_endpoints().len(), 2);
}

#[test]
fn rollover_metadata_trusts_both_keys() {
    let md = IdpMetadata::parse(&read("testdata/metadata/idp-rollover.xml"), None, now()).unwrap();
    assert_eq!(md.signing_keys.len(), 2);
    let sp =
        ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
            .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
            .signing_key(pair("sp-rsa2048"))
            .idp(samlsp::IdentityProvider::from_metadata(&md).unwrap())
            .build()
            .unwrap();
    let a = sp
        .verify_response_xml(
            &read("testdata/responses/valid-assertion-signed.xml"),
            now(),
            RequestContext::Pending {
                request_id: &samlsp::RequestId::new("_req_4fee3b046395c4e751011e97f8900b52")
                    .unwrap(),
                idp: None,
            },
        )
        .unwrap();
    assert_eq!(a.name_id().value(), "alice@example.com");
}

#[test]
fn federation_aggregate_picks_by_entity_id_and_verifies_with_the_pinned_key() {
    let xml = read("testdata/metadata/federation-signed.xml");
    assert_eq!(
        IdpMetadata::parse(&xml, None, now()).map(|_| ()),
        Err(MetadataError::Ambiguous.into())
    );
    let fed_key = keys("idp-rsa3072");
    let md = IdpMetadata::parse_verified(
        &xml,
        Some("https://idp.example.edu/idp/shibboleth"),
        now(),
        &fed_key,
    )
    .unwrap();
    assert_eq!(md.cache_duration.as_deref(), Some("PT2H"));
    assert_eq!(md.valid_until, Some(t("2036-01-01T00:00:00Z")));
    let okta = IdpMetadata::parse_verified(
        &xml,
        Some("http://www.okta.com/exk1a2b3c4d5e6f7g8h9"),
        now(),
        &fed_key,
    )
    .unwrap();
    assert_eq!(okta.cache_duration.as_deref(), Some("PT6H"));
    // An SP entity is not an IdP.
    assert_eq!(
        IdpMetadata::parse(&xml, Some("https://sp.example.net/shibboleth"), now()).map(|_| ()),
        Err(MetadataError::NoIdp {
            entity_id: Some("https://sp.example.net/shibboleth".into())
        }
        .into())
    );
}

#[test]
fn metadata_signature_failures_are_refused() {
    let xml = read("testdata/metadata/federation-signed.xml");
    let id = Some("https://idp.example.org/idp/shibboleth");
    // Signed by someone else.
    assert_eq!(
        IdpMetadata::parse_verified(&xml, id, now(), &keys("idp-rsa2048")).map(|_| ()),
        Err(MetadataError::Signature(DsigError::UntrustedKey).into())
    );
    // An endpoint swapped after signing.
    let tampered = String::from_utf8(xml.clone()).unwrap().replace(
        "https://idp.example.org/idp/profile/SAML2/Redirect/SSO",
        "https://evil.example/sso",
    );
    assert_eq!(
        IdpMetadata::parse_verified(tampered.as_bytes(), id, now(), &keys("idp-rsa3072"))
            .map(|_| ()),
        Err(MetadataError::Signature(DsigError::DigestMismatch).into())
    );
    // Unsigned metadata when a signature is pinned: never "no signature, no check".
    assert_eq!(
        IdpMetadata::parse_verified(
            &read("testdata/metadata/idp-okta.xml"),
            None,
            now(),
            &keys("idp-rsa3072")
        )
        .map(|_| ()),
        Err(MetadataError::Unsigned.into())
    );
    // No pinned keys at all.
    assert_eq!(
        IdpMetadata::parse_verified(&xml, id, now(), &TrustedKeys::default()).map(|_| ()),
        Err(MetadataError::Signature(DsigError::NoTrustedKeys).into())
    );
}

#[test]
fn hostile_metadata_is_refused() {
    let p = |f: &str| IdpMetadata::parse(&read(&format!("testdata/metadata/{f}")), None, now());
    assert!(matches!(
        p("hostile-dtd.xml"),
        Err(Error::Xml(XmlError::DoctypeForbidden { .. }))
    ));
    assert_eq!(
        p("hostile-wrong-namespace.xml").map(|_| ()),
        Err(MetadataError::NotMetadata.into())
    );
    assert!(matches!(
        p("hostile-javascript-url.xml"),
        Err(Error::Metadata(MetadataError::BadEndpoint { location })) if location.starts_with("javascript:")
    ));
    assert_eq!(
        p("hostile-no-signing-key.xml").map(|_| ()),
        Err(MetadataError::NoSigningKey.into())
    );
    assert_eq!(
        p("hostile-expired.xml").map(|_| ()),
        Err(MetadataError::Expired {
            valid_until: t("2020-01-01T00:00:00Z"),
            now: now()
        }
        .into())
    );
}

// --- the refresh cache ---------------------------------------------------------

#[test]
fn cache_keeps_the_last_good_copy_and_schedules_refreshes() {
    let file = tmp("idp.xml");
    std::fs::write(&file, read("testdata/metadata/idp-okta.xml")).unwrap();
    let source = MetadataSource::File(file.clone());
    let mut cache = MetadataCache::new(None, None);
    assert!(cache.needs_refresh(now()));
    assert!(cache.current(now()).is_none());
    cache.refresh_from(&source, now()).unwrap();
    // No cacheDuration: the 4-hour default.
    assert_eq!(cache.next_refresh(), Some(now() + Duration::hours(4)));
    assert!(!cache.needs_refresh(now() + Duration::hours(1)));
    assert!(cache.needs_refresh(now() + Duration::hours(4)));

    // The IdP publishes garbage: the last good copy stays, retry in 5 minutes.
    std::fs::write(&file, b"<html>maintenance</html>").unwrap();
    let later = now() + Duration::hours(4);
    assert!(cache.refresh_from(&source, later).is_err());
    assert!(cache.last_error().is_some());
    assert_eq!(
        cache.current(later).unwrap().entity_id.as_str(),
        "http://www.okta.com/exk1a2b3c4d5e6f7g8h9"
    );
    assert_eq!(cache.next_refresh(), Some(later + Duration::minutes(5)));
    assert_eq!(cache.last_success(), Some(now()));

    // A missing file is the same.
    std::fs::remove_file(&file).unwrap();
    assert!(matches!(
        cache.refresh_from(&source, later),
        Err(Error::Metadata(MetadataError::Source { .. }))
    ));
    assert!(cache.current(later).is_some());
}

#[test]
fn cache_follows_cache_duration_within_bounds_and_expires_with_valid_until() {
    let fed = read("testdata/metadata/federation-signed.xml");
    let mut cache = MetadataCache::new(
        Some("https://idp.example.org/idp/shibboleth"),
        Some(keys("idp-rsa3072")),
    );
    cache.update(&fed, now()).unwrap();
    assert_eq!(cache.next_refresh(), Some(now() + Duration::hours(2)));
    // A copy past validUntil is not served.
    assert!(cache.current(t("2036-01-01T00:00:00Z")).is_none());
    assert!(cache.current(t("2035-12-31T23:59:59Z")).is_some());
    // Pinned: unsigned metadata never replaces the signed copy.
    assert!(
        cache
            .update(&read("testdata/metadata/idp-okta.xml"), now())
            .is_err()
    );
    assert!(cache.current(now()).is_some());

    // cacheDuration PT1S is clamped to 5 minutes; a near validUntil pulls the
    // refresh forward.
    let okta = String::from_utf8(read("testdata/metadata/idp-okta.xml")).unwrap();
    let short = okta.replacen("entityID=", "cacheDuration=\"PT1S\" entityID=", 1);
    let mut c = MetadataCache::new(None, None);
    c.update(short.as_bytes(), now()).unwrap();
    assert_eq!(c.next_refresh(), Some(now() + Duration::minutes(5)));
    let expiring = okta.replacen(
        "entityID=",
        "validUntil=\"2026-01-01T02:01:00Z\" entityID=",
        1,
    );
    c.update(expiring.as_bytes(), now()).unwrap();
    assert_eq!(c.next_refresh(), Some(now() + Duration::hours(1)));
    let source = MetadataSource::Bytes(okta.into_bytes());
    c.refresh_from(&source, now()).unwrap();
}
