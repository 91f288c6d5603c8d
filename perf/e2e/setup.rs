//! The demo's configuration for the run, and the verification-only figure beside it.

use std::path::{Path, PathBuf};

use chrono::Utc;

/// Writes `visitor.toml` in `dir`: `idps` organizations with one IdP each (the test IdP key), SQLite in `dir`,
/// every store in memory (the demo's defaults). Its path.
pub fn config(dir: &Path, port: u16, idps: usize, cert: &str) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("temporary directory");
    let pem = String::from_utf8(samlsp_tests::read_repo_file(cert)).expect("PEM");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut tenants = String::new();
    for k in 0..idps {
        let metadata = format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
             xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{idp}\">\
             <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
             <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}\
             </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
             <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" \
             Location=\"https://idp{k}.test/saml/sso\"/>\
             </md:IDPSSODescriptor></md:EntityDescriptor>",
            idp = crate::idp::idp_entity(k)
        );
        tenants.push_str(&format!(
            "[[org]]\nslug = \"org{k}\"\nname = \"Org {k}\"\ndomains = [\"org{k}.test\"]\nlocations = [\"HQ\"]\n\n\
             [[idp]]\nslug = \"idp{k}\"\norg = \"org{k}\"\nname = \"IdP {k}\"\nbinding = \"redirect\"\n\
             jit_create = true\nmetadata_xml = '''{metadata}'''\n\n"
        ));
    }
    let path = dir.join("visitor.toml");
    std::fs::write(
        &path,
        format!(
            "[server]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\
             database = \"{db}\"\nlog = \"{log}\"\n\n{tenants}",
            db = dir.join("v.sqlite3").display(),
            log = std::env::var("E2E_DEMO_LOG").unwrap_or_else(|_| "warn".to_owned()),
        ),
    )
    .expect("config");
    path
}

/// CPU time of one `verify_response` on `b64` with the demo's settings (this thread, µs,
/// median of 7 rounds of 200).
pub fn verify_cpu(sp: &str, acs: &str, idp: &str, cert: &str, request_id: &str, b64: &str) -> f64 {
    let keys = samlsp::TrustedKeys::from_certificate_pem(&samlsp_tests::read_repo_file(cert))
        .expect("IdP certificate");
    let idp =
        samlsp::IdentityProvider::new(samlsp::EntityId::new(idp).expect("IdP"), keys).expect("IdP");
    let sp = samlsp::ServiceProvider::builder(samlsp::EntityId::new(sp).expect("SP entity ID"))
        .acs_url(samlsp::Url::new(acs).expect("ACS URL"))
        .idp(idp)
        .build()
        .expect("SP");
    let request_id = samlsp::RequestId::new(request_id).expect("request ID");
    let ctx = samlsp::RequestContext::Pending {
        request_id: &request_id,
        idp: None,
    };
    let now = Utc::now();
    sp.verify_response(b64, now, ctx)
        .expect("the sample response verifies");
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = super::thread_cpu();
            for _ in 0..200 {
                std::hint::black_box(sp.verify_response(std::hint::black_box(b64), now, ctx).ok());
            }
            (super::thread_cpu() - t).as_secs_f64() * 1e6 / 200.0
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds.get(3).copied().unwrap_or(0.0)
}
