//! Input = raw Response XML (not base64). Runs the full SP check with the bench
//! settings (testdata/bench/README.md), then `dsig::verify` on every element.
#![no_main]
use samlsp::danger::{DangerousServiceProvider as _};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use samlsp::internal::dsig::{AlgorithmPolicy, TrustedKeys, verify};
use samlsp::internal::xml::{Limits, parse};
use samlsp::{EntityId, IdentityProvider, RequestContext, ServiceProvider, Url};

const IDP_CERT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/bench/idp-cert.pem"
));

static KEYS: LazyLock<TrustedKeys> =
    LazyLock::new(|| TrustedKeys::from_certificate_pem(IDP_CERT).expect("bench cert"));

static SP: LazyLock<ServiceProvider> = LazyLock::new(|| {
    let idp = IdentityProvider::new(
        EntityId::new("https://idp.example.com/saml2/idp/metadata").expect("idp id"),
        KEYS.clone(),
    )
    .expect("idp");
    ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").expect("sp id"))
        .acs_url(Url::new("https://sp.example.org/saml/acs").expect("acs"))
        .idp(idp)
        // The bench inputs are valid until 2099; keep every later rule reachable.
        .danger_accept_any_assertion_lifetime()
        .build()
        .expect("sp")
});

static NOW: LazyLock<chrono::DateTime<chrono::Utc>> = LazyLock::new(|| {
    chrono::DateTime::parse_from_rfc3339("2026-11-22T13:31:00Z")
        .expect("now")
        .to_utc()
});

fuzz_target!(|data: &[u8]| {
    let ctx = RequestContext::Pending {
        request_id: &samlsp::RequestId::new("ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685").unwrap(),
        idp: None,
    };
    let _ = SP.verify_response_xml(data, *NOW, ctx);

    let Ok(doc) = parse(data, &Limits::default()) else {
        return;
    };
    let policy = AlgorithmPolicy::strict();
    for el in doc.elements() {
        let _ = verify(el, &KEYS, &policy);
    }
});
