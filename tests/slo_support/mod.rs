//! Shared by the Single Logout suites: an SP and an IdP (the same library
//! configured the other way round, signing with the IdP's test key), a
//! hand-written LogoutRequest / LogoutResponse signed by the test signer,
//! and HTTP-Redirect queries signed by `openssl dgst` with lower-case
//! percent-encoding, as Entra ID and ADFS write them.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;
use std::sync::atomic::{AtomicU8, Ordering};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use samlsp::internal::time::format_instant;
use samlsp::{
    Binding, EntityId, IdentityProvider, LogoutSubject, MemoryRequestStore, OutboundError,
    OutboundMessage, RandomSource, RequestKind, RequestStore, ServiceProvider, SpKeyPair,
    TrustedKeys, Url,
};
use samlsp_tests::signer::{SignOptions, SigningKey, sign};

fn read(rel: &str) -> Vec<u8> {
    samlsp_tests::read_repo_file(rel)
}

fn path(rel: &str) -> std::path::PathBuf {
    samlsp_tests::repo_file(rel)
}

/// A fresh file path in a directory of its own.
pub fn tmp(name: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "samlsp-slo-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

pub const SP: &str = "https://sp.example.org/saml/metadata";
pub const SP_SLO: &str = "https://sp.example.org/saml/slo";
pub const IDP: &str = "https://idp.example.com/realms/a";
pub const IDP_SLO: &str = "https://idp.example.com/realms/a/protocol/saml";
pub const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

pub fn now() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// Bytes 0, 1, 2, ... (wrapping) on each call.
#[derive(Default)]
pub struct Counter(AtomicU8);

impl RandomSource for Counter {
    fn fill(&self, buf: &mut [u8]) -> Result<(), OutboundError> {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

pub fn key(name: &str) -> SpKeyPair {
    SpKeyPair::from_pem(
        &read(&format!("testdata/keys/{name}.key")),
        &read(&format!("testdata/keys/{name}.crt")),
    )
    .unwrap()
}

fn trusted(name: &str) -> TrustedKeys {
    TrustedKeys::from_certificate_pem(&read(&format!("testdata/keys/{name}.crt"))).unwrap()
}

/// The IdP as our SP trusts it: Redirect and POST SLO endpoints.
pub fn idp_config(entity: &str, cert: &str, slo: bool) -> IdentityProvider {
    let mut i = IdentityProvider::new(EntityId::new(entity).unwrap(), trusted(cert))
        .unwrap()
        .sso_endpoint(Binding::HttpRedirect, Url::new(IDP_SLO).unwrap());
    if slo {
        i = i
            .slo_endpoint(Binding::HttpRedirect, Url::new(IDP_SLO).unwrap())
            .slo_endpoint(Binding::HttpPost, Url::new(IDP_SLO).unwrap());
    }
    i
}

/// Our SP: signs with `sp-rsa2048`, SLO at [`SP_SLO`], trusts the IdP
/// (`idp-rsa2048`) and a second one with the same NameIDs (`idp-rsa3072`).
pub fn sp() -> ServiceProvider {
    ServiceProvider::builder(EntityId::new(SP).unwrap())
        .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
        .slo_url(Binding::HttpRedirect, Url::new(SP_SLO).unwrap())
        .slo_url(Binding::HttpPost, Url::new(SP_SLO).unwrap())
        .signing_key(key("sp-rsa2048"))
        .idp(idp_config(IDP, "idp-rsa2048", true))
        .idp(idp_config(
            "https://other-idp.example.com",
            "idp-rsa3072",
            true,
        ))
        .build()
        .unwrap()
}

/// The IdP, as this library configured the other way round: its entity
/// ID, its key, and our SP as the party it sends logout messages to.
pub fn idp_side() -> ServiceProvider {
    let our_sp = IdentityProvider::new(EntityId::new(SP).unwrap(), trusted("sp-rsa2048"))
        .unwrap()
        .slo_endpoint(Binding::HttpRedirect, Url::new(SP_SLO).unwrap())
        .slo_endpoint(Binding::HttpPost, Url::new(SP_SLO).unwrap());
    ServiceProvider::builder(EntityId::new(IDP).unwrap())
        .acs_url(Url::new("https://idp.example.com/unused").unwrap())
        .slo_url(Binding::HttpRedirect, Url::new(IDP_SLO).unwrap())
        .slo_url(Binding::HttpPost, Url::new(IDP_SLO).unwrap())
        .signing_key(key("idp-rsa2048"))
        .idp(our_sp)
        .build()
        .unwrap()
}

/// The query string of a URL.
pub fn query(url: &str) -> &str {
    url.split_once('?').unwrap().1
}

/// A hand-written LogoutRequest; `None` leaves an attribute out.
#[derive(Clone)]
pub struct Req {
    pub id: String,
    pub issuer: Option<String>,
    pub destination: Option<String>,
    pub issue_instant: DateTime<Utc>,
    pub not_on_or_after: Option<DateTime<Utc>>,
    pub subject: String,
    pub session_indexes: Vec<String>,
    pub root: &'static str,
}

impl Req {
    pub fn new(id: &str) -> Self {
        Req {
            id: id.into(),
            issuer: Some(IDP.into()),
            destination: Some(SP_SLO.into()),
            issue_instant: now() - Duration::seconds(5),
            not_on_or_after: Some(now() + Duration::seconds(60)),
            subject: format!("<saml:NameID Format=\"{EMAIL}\">alice@acme.test</saml:NameID>"),
            session_indexes: vec!["idx-1".into()],
            root: "LogoutRequest",
        }
    }

    pub fn xml(&self, signed: bool) -> String {
        let mut x = format!(
            "<samlp:{root} xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
             ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{ii}\"",
            root = self.root,
            id = self.id,
            ii = format_instant(self.issue_instant)
        );
        if let Some(d) = &self.destination {
            x.push_str(&format!(" Destination=\"{d}\""));
        }
        if let Some(t) = self.not_on_or_after {
            x.push_str(&format!(" NotOnOrAfter=\"{}\"", format_instant(t)));
        }
        x.push('>');
        if let Some(i) = &self.issuer {
            x.push_str(&format!("<saml:Issuer>{i}</saml:Issuer>"));
        }
        if signed {
            x.push_str(&format!("<!--SIG:{}-->", self.id));
        }
        x.push_str(&self.subject);
        for s in &self.session_indexes {
            x.push_str(&format!("<samlp:SessionIndex>{s}</samlp:SessionIndex>"));
        }
        x.push_str(&format!("</samlp:{}>", self.root));
        x
    }
}

/// A hand-written LogoutResponse to `in_response_to`.
pub fn response_xml(
    id: &str,
    in_response_to: &str,
    issuer: &str,
    status: &str,
    signed: bool,
) -> String {
    format!(
        "<samlp:LogoutResponse xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
         ID=\"{id}\" InResponseTo=\"{in_response_to}\" Version=\"2.0\" IssueInstant=\"{ii}\" \
         Destination=\"{SP_SLO}\"><saml:Issuer>{issuer}</saml:Issuer>{sig}\
         <samlp:Status>{status}</samlp:Status></samlp:LogoutResponse>",
        ii = format_instant(now() - Duration::seconds(2)),
        sig = if signed {
            format!("<!--SIG:{id}-->")
        } else {
            String::new()
        },
    )
}

/// `<samlp:StatusCode>` markup for a top-level code and an optional second.
pub fn status(code: &str, second: Option<&str>) -> String {
    let p = "urn:oasis:names:tc:SAML:2.0:status:";
    match second {
        Some(s) => format!(
            "<samlp:StatusCode Value=\"{p}{code}\"><samlp:StatusCode Value=\"{p}{s}\"/></samlp:StatusCode>"
        ),
        None => format!("<samlp:StatusCode Value=\"{p}{code}\"/>"),
    }
}

/// Signs the element with `ID=id` with a test key (enveloped).
pub fn signed(xml: &str, id: &str, key_name: &str) -> String {
    sign(
        xml,
        id,
        &SigningKey::from_repo_pem(&format!("testdata/keys/{key_name}.key")),
        &SignOptions::default(),
    )
}

/// Base64 of XML, as an HTTP-POST form value.
pub fn b64(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// Percent-encoding with lower-case hex (`%2f`), as Entra ID and ADFS do.
pub fn lower(s: &str) -> String {
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
        .collect()
}

/// An HTTP-Redirect query for `xml` (`SAMLRequest` or `SAMLResponse`),
/// encoded with lower-case hex and signed by `openssl dgst` with a test
/// key, like an independent IdP.
pub fn redirect_query(param: &str, xml: &str, relay_state: Option<&str>, key_name: &str) -> String {
    let deflated = samlsp::internal::binding::deflate(xml.as_bytes());
    let mut q = format!("{param}={}", lower(&b64_bytes(&deflated)));
    if let Some(rs) = relay_state {
        q.push_str(&format!("&RelayState={}", lower(rs)));
    }
    q.push_str(&format!(
        "&SigAlg={}",
        lower("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    ));
    let data = tmp("octets.txt");
    std::fs::write(&data, &q).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(path(&format!("testdata/keys/{key_name}.key")))
        .arg(&data)
        .output()
        .expect("openssl is required");
    assert!(out.status.success());
    q.push_str(&format!("&Signature={}", lower(&b64_bytes(&out.stdout))));
    q
}

fn b64_bytes(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The subject of Alice's sign-in, as the SP's session keeps it.
pub fn subject() -> LogoutSubject {
    LogoutSubject::new("alice@acme.test", Some(EMAIL.into()))
        .qualifiers(
            Some("https://idp.example.com/realms/a".into()),
            Some(SP.into()),
        )
        .session_index(Some("idx-7".into()))
}

pub fn idp() -> EntityId {
    EntityId::new(IDP).unwrap()
}

/// Starts a logout with `binding`; the pending request is in `store`.
pub fn start(binding: Binding, store: &MemoryRequestStore) -> (OutboundMessage, String, String) {
    let p = sp()
        .logout_request(
            &idp(),
            &subject(),
            Some(binding),
            Some("/bye"),
            now(),
            &Counter::default(),
        )
        .unwrap();
    assert_eq!(p.binding(), binding);
    assert_eq!(p.pending().kind(), RequestKind::Logout);
    let relay_state = p.pending().relay_state().as_str().to_owned();
    let xml = p.xml().to_owned();
    let (pending, message) = p.into_parts();
    store.insert(pending, now()).unwrap();
    (message, relay_state, xml)
}
