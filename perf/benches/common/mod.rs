//! Common set-up for the `verify` and `alloc` benches: the reference inputs of
//! `testdata/bench/` (see its README.md) and a samael `ServiceProvider` configured with the
//! settings listed there.

#![allow(dead_code)] // each bench uses a different subset

pub mod cpu;

pub mod hostile_inputs;

pub mod inputs;
pub use inputs::*;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, Utc};
use samael::crypto::AllowedSignatureAlgorithm;
use samael::metadata::EntityDescriptor;
use samael::service_provider::{ServiceProvider, ServiceProviderBuilder};

/// (bench function name, file name) for the three reference responses.
pub const INPUTS: [(&str, &str); 3] = [
    ("samael", "resp-assertion-signed.b64"),
    ("samael_response_signed", "resp-response-signed.b64"),
    ("samael_both_signed", "resp-both-signed.b64"),
];

/// IdP metadata (one IDPSSODescriptor, one `use="signing"` KeyDescriptor holding `idp-cert.pem`),
/// parsed with samael's own `FromStr`, as an integrator would load it.
pub fn idp_metadata() -> EntityDescriptor {
    let cert = openssl::x509::X509::from_pem(&idp_cert_pem()).expect("idp-cert.pem");
    let der_b64 = STANDARD.encode(cert.to_der().expect("cert DER"));
    let xml = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP_ENTITY_ID}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/saml2/idp/SSOService"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
    );
    let md: EntityDescriptor = xml.parse().expect("IdP metadata parses");
    assert_eq!(md.entity_id.as_deref(), Some(IDP_ENTITY_ID));
    md
}

/// samael's SP for the reference inputs.
///
/// samael has no injectable clock: it compares `IssueInstant + max_issue_delay` (default 90 s)
/// against `Utc::now()` for the Response and the Assertion. The inputs were issued at
/// 2026-11-22T13:30:49Z, so the delay is widened to "age of the input + 1 day" (what samael's own
/// tests do for their fixed vectors). Everything else keeps its default: Conditions and
/// SubjectConfirmationData are valid until 2099, `max_clock_skew` stays 180 s. The cost of the check
/// does not depend on the value.
pub fn samael_sp(b64_for_clock: &str) -> ServiceProvider {
    let age = Utc::now() - issue_instant(b64_for_clock);
    let max_issue_delay = age.max(Duration::zero()) + Duration::days(1);
    ServiceProviderBuilder::default()
        .idp_metadata(idp_metadata())
        .entity_id(SP_ENTITY_ID.to_owned())
        .acs_url(ACS_URL.to_owned())
        .allowed_signature_algorithms(vec![AllowedSignatureAlgorithm::RsaSha256])
        .max_issue_delay(max_issue_delay)
        .build()
        .expect("ServiceProvider builds")
}

/// One verification, as timed: base64 decode, XML-DSig check, reduction, serde, validation.
#[inline]
pub fn samael_verify(sp: &ServiceProvider, b64: &str) -> samael::schema::Assertion {
    sp.parse_base64_response(b64, Some(&[REQUEST_ID]))
        .expect("samael accepts the reference input")
}

/// Sanity check run before timing: the call succeeds and returns the expected NameID.
pub fn check_samael(sp: &ServiceProvider, b64: &str, what: &str) {
    let assertion = samael_verify(sp, b64);
    let name_id = assertion
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.as_str());
    assert_eq!(name_id, Some(EXPECTED_NAME_ID), "samael on {what}");
    assert_eq!(
        assertion.issuer.value.as_deref(),
        Some(IDP_ENTITY_ID),
        "samael on {what}"
    );
}
