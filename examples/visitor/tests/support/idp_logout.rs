//! An identity provider's LogoutRequest to the demo, for the tests: the
//! library configured as that IdP (its test key), sending a signed
//! HTTP-POST LogoutRequest to the demo's SLO URL.

use chrono::Utc;
use samlsp::{
    Binding, EntityId, IdentityProvider, LogoutSubject, OsRandom, OutboundMessage, ServiceProvider,
    SpKeyPair, TrustedKeys, Url,
};

use super::common::{NAMEID_PERSISTENT, TestIdp};

/// The demo's SP entity ID and SLO URL in the tests.
pub const SP: &str = "http://127.0.0.1:8080/saml/metadata";
pub const SLO: &str = "http://127.0.0.1:8080/saml/slo";

/// `idp`'s side of the protocol: the library configured as that IdP,
/// signing with its test key, sending to the demo's SLO URL.
fn idp_side(idp: &TestIdp) -> ServiceProvider {
    let demo = IdentityProvider::new(
        EntityId::new(SP).unwrap(),
        TrustedKeys::from_certificate_pem(&samlsp_tests::read_repo_file(
            "testdata/keys/sp-rsa2048.crt",
        ))
        .unwrap(),
    )
    .unwrap()
    .slo_endpoint(Binding::HttpPost, Url::new(SLO).unwrap());
    ServiceProvider::builder(EntityId::new(&idp.entity_id).unwrap())
        .acs_url(Url::new(format!("{}/unused", idp.entity_id)).unwrap())
        .slo_url(Binding::HttpPost, Url::new(&idp.sso_url).unwrap())
        .signing_key(
            SpKeyPair::from_pem(
                &samlsp_tests::read_repo_file(idp.key_file),
                &samlsp_tests::read_repo_file(idp.cert_file),
            )
            .unwrap(),
        )
        .idp(demo)
        .build()
        .unwrap()
}

/// A LogoutRequest from `idp` naming `name_id` (persistent; every session
/// of it), as the form body its back-channel would POST.
pub fn logout_body(idp: &TestIdp, name_id: &str) -> String {
    let p = idp_side(idp)
        .logout_request(
            &EntityId::new(SP).unwrap(),
            &LogoutSubject::new(name_id, Some(NAMEID_PERSISTENT.into())),
            Some(Binding::HttpPost),
            None,
            Utc::now(),
            &OsRandom,
        )
        .unwrap();
    let OutboundMessage::Post(form) = p.message() else {
        panic!("POST binding")
    };
    form.fields()
        .iter()
        .map(|(k, v)| format!("{k}={}", samlsp::internal::binding::url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}
