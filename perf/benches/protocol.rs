//! SP-protocol figures: AuthnRequest generation per binding, and
//! IdP metadata parsing of a large federation aggregate.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use samlsp::Binding;
use samlsp::IdpMetadata;
use samlsp::OsRandom;
use samlsp::SpKeyPair;
use samlsp::{EntityId, IdentityProvider, ServiceProvider, Url};

mod common;

fn repo_file(rel: &str) -> Vec<u8> {
    let path = format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sp() -> ServiceProvider {
    let key = SpKeyPair::from_pem(
        &repo_file("testdata/keys/sp-rsa2048.key"),
        &repo_file("testdata/keys/sp-rsa2048.crt"),
    )
    .expect("SP key");
    let keys = samlsp::TrustedKeys::from_certificate_pem(&common::idp_cert_pem()).expect("cert");
    let idp = IdentityProvider::new(EntityId::new(common::IDP_ENTITY_ID).expect("id"), keys)
        .expect("IdP")
        .sso_endpoint(
            Binding::HttpRedirect,
            Url::new("https://idp.example.com/saml2/sso").expect("url"),
        )
        .sso_endpoint(
            Binding::HttpPost,
            Url::new("https://idp.example.com/saml2/sso/post").expect("url"),
        );
    ServiceProvider::builder(EntityId::new(common::SP_ENTITY_ID).expect("id"))
        .acs_url(Url::new(common::ACS_URL).expect("url"))
        .signing_key(key)
        .idp(idp)
        .build()
        .expect("SP")
}

/// A synthetic aggregate shaped like a national federation's: `n` entities,
/// every tenth an IdP, each with a certificate, endpoints and some extensions.
fn federation(n: usize) -> Vec<u8> {
    let cert: String = String::from_utf8(common::idp_cert_pem())
        .expect("pem")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut xml = String::from(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Name=\"bench-federation\">",
    );
    for i in 0..n {
        let role = if i % 10 == 0 {
            "IDPSSODescriptor"
        } else {
            "SPSSODescriptor"
        };
        let endpoint = if i % 10 == 0 {
            format!(
                "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://idp{i}.example.org/sso\"/>"
            )
        } else {
            format!(
                "<md:AssertionConsumerService index=\"0\" Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://sp{i}.example.org/acs\"/>"
            )
        };
        xml.push_str(&format!(
            "<md:EntityDescriptor entityID=\"https://entity{i}.example.org/saml\"><md:{role} protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>{endpoint}</md:{role}><md:Organization><md:OrganizationName xml:lang=\"en\">Org {i}</md:OrganizationName><md:OrganizationDisplayName xml:lang=\"en\">Org {i}</md:OrganizationDisplayName><md:OrganizationURL xml:lang=\"en\">https://org{i}.example.org/</md:OrganizationURL></md:Organization></md:EntityDescriptor>"
        ));
    }
    xml.push_str("</md:EntitiesDescriptor>");
    xml.into_bytes()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let sp = sp();
    let now = chrono::Utc::now();
    {
        let mut group = c.benchmark_group("authn_request");
        group.throughput(Throughput::Elements(1));
        for (name, binding) in [
            ("redirect_signed", Binding::HttpRedirect),
            ("post_signed", Binding::HttpPost),
        ] {
            group.bench_function(name, |b| {
                b.iter(|| {
                    sp.authn_request(&samlsp::EntityId::new(common::IDP_ENTITY_ID).unwrap())
                        .expect("builder")
                        .binding(binding)
                        .build(black_box(now), &OsRandom)
                        .expect("request")
                })
            });
        }
        group.finish();
    }
    {
        let xml = federation(10_000);
        let target = "https://entity5000.example.org/saml";
        let md = IdpMetadata::parse(&xml, Some(target), now).expect("federation parses");
        assert_eq!(md.entity_id.as_str(), target);
        let mut group = c.benchmark_group("metadata");
        group.throughput(Throughput::Bytes(xml.len() as u64));
        group.sample_size(10);
        group.bench_function("parse_federation_10k_entities", |b| {
            b.iter(|| IdpMetadata::parse(black_box(&xml), Some(target), now).expect("parse"))
        });
        group.finish();
        println!(
            "federation aggregate: {} bytes, 10,000 entities (1,000 IdPs)",
            xml.len()
        );
    }
    c.final_summary();
}
