//! Test IdPs that sign responses with the repository's test keys, and
//! helpers to drive the routes in-process (shared with the demo app's
//! tests through `#[path]`).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::{Arc, Mutex};

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::test;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use samlsp::TrustedKeys;
use samlsp::internal::binding::{Binding, RedirectMessage, url_encode};
use samlsp::{EntityId, IdentityProvider, Url};
use samlsp_tests::signer::{SignOptions, SigningKey, sign};

pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/// A test identity provider: entity ID, SSO URL and a signing key from
/// `testdata/keys`.
pub struct TestIdp {
    pub entity_id: String,
    pub sso_url: String,
    pub key_file: &'static str,
    pub cert_file: &'static str,
}

impl TestIdp {
    /// "Acme": signs with `idp-rsa2048`.
    pub fn acme() -> Self {
        TestIdp {
            entity_id: "https://idp.acme.test/realms/acme".into(),
            sso_url: "https://idp.acme.test/realms/acme/protocol/saml".into(),
            key_file: "testdata/keys/idp-rsa2048.key",
            cert_file: "testdata/keys/idp-rsa2048.crt",
        }
    }

    /// "Globex": signs with `idp-rsa3072`.
    pub fn globex() -> Self {
        TestIdp {
            entity_id: "https://idp.globex.test/realms/globex".into(),
            sso_url: "https://idp.globex.test/realms/globex/protocol/saml".into(),
            key_file: "testdata/keys/idp-rsa3072.key",
            cert_file: "testdata/keys/idp-rsa3072.crt",
        }
    }

    /// Someone claiming to be Acme, with their own key.
    pub fn acme_impostor() -> Self {
        TestIdp {
            key_file: "testdata/keys/attacker-rsa2048.key",
            cert_file: "testdata/keys/attacker-rsa2048.crt",
            ..TestIdp::acme()
        }
    }

    pub fn cert_pem(&self) -> Vec<u8> {
        samlsp_tests::read_repo_file(self.cert_file)
    }

    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_repo_pem(self.key_file)
    }

    /// The IdP as the core configures it (Redirect and POST SSO endpoints).
    pub fn identity_provider(&self) -> IdentityProvider {
        IdentityProvider::new(
            EntityId::new(&self.entity_id).unwrap(),
            TrustedKeys::from_certificate_pem(&self.cert_pem()).unwrap(),
        )
        .unwrap()
        .sso_endpoint(Binding::HttpRedirect, Url::new(&self.sso_url).unwrap())
        .sso_endpoint(Binding::HttpPost, Url::new(&self.sso_url).unwrap())
    }

    /// IdP metadata for this IdP (as Keycloak's descriptor shapes it).
    pub fn metadata_xml(&self, cache_duration: Option<&str>) -> String {
        let pem = String::from_utf8(self.cert_pem()).unwrap();
        let b64: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("");
        let cache = cache_duration
            .map(|c| format!(" cacheDuration=\"{c}\""))
            .unwrap_or_default();
        format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
             xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{e}\"{cache}>\
             <md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" \
             protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
             <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}\
             </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
             <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{s}\"/>\
             <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{s}\"/>\
             </md:IDPSSODescriptor></md:EntityDescriptor>",
            e = self.entity_id,
            s = self.sso_url,
        )
    }

    /// A signed response (Assertion signed), base64 as the browser posts it.
    pub fn response(&self, r: &ResponseSpec) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.response_xml(r))
    }

    pub fn response_xml(&self, r: &ResponseSpec) -> String {
        let now = r.now;
        let t = samlsp::internal::time::format_instant;
        let irt = r
            .in_response_to
            .as_deref()
            .map(|i| format!(" InResponseTo=\"{}\"", esc(i)))
            .unwrap_or_default();
        let aid = r.assertion_id.clone().unwrap_or_else(|| random_id("_a"));
        let rid = random_id("_r");
        let issuer = r.issuer.clone().unwrap_or_else(|| self.entity_id.clone());
        let session_limit = r
            .session_not_on_or_after
            .map(|s| format!(" SessionNotOnOrAfter=\"{}\"", t(s)))
            .unwrap_or_default();
        let mut attrs = String::new();
        for (name, values) in &r.attributes {
            attrs.push_str(&format!(
                "<saml:Attribute Name=\"{}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">",
                esc(name)
            ));
            for v in values {
                attrs.push_str(&format!(
                    "<saml:AttributeValue>{}</saml:AttributeValue>",
                    esc(v)
                ));
            }
            attrs.push_str("</saml:Attribute>");
        }
        let xml = format!(
            "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
             xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{rid}\" Version=\"2.0\" \
             IssueInstant=\"{now}\" Destination=\"{acs}\"{irt}>\
             <saml:Issuer>{issuer}</saml:Issuer>\
             <samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
             <saml:Assertion ID=\"{aid}\" Version=\"2.0\" IssueInstant=\"{now}\">\
             <saml:Issuer>{issuer}</saml:Issuer><!--SIG:{aid}-->\
             <saml:Subject><saml:NameID Format=\"{fmt}\">{nid}</saml:NameID>\
             <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
             <saml:SubjectConfirmationData{irt} NotOnOrAfter=\"{exp}\" Recipient=\"{acs}\"/>\
             </saml:SubjectConfirmation></saml:Subject>\
             <saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{exp}\"><saml:AudienceRestriction>\
             <saml:Audience>{aud}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
             <saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"sess-{aid}\"{session_limit}>\
             <saml:AuthnContext><saml:AuthnContextClassRef>\
             urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport\
             </saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
             <saml:AttributeStatement>{attrs}</saml:AttributeStatement>\
             </saml:Assertion></samlp:Response>",
            now = t(now),
            nb = t(now - Duration::seconds(2)),
            exp = t(now + Duration::minutes(5)),
            acs = esc(&r.acs_url),
            aud = esc(&r.audience),
            issuer = esc(&issuer),
            fmt = esc(&r.name_id_format),
            nid = esc(&r.name_id),
        );
        // Its certificate in KeyInfo, as Keycloak, Entra ID, Okta and ADFS send it.
        sign(
            &xml,
            &aid,
            &self.signing_key(),
            &SignOptions {
                key_info_cert: Some(self.cert_pem()),
                ..SignOptions::default()
            },
        )
    }
}

/// What goes into a test response.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    pub in_response_to: Option<String>,
    pub name_id: String,
    pub name_id_format: String,
    pub attributes: Vec<(String, Vec<String>)>,
    pub acs_url: String,
    pub audience: String,
    pub assertion_id: Option<String>,
    pub issuer: Option<String>,
    pub now: DateTime<Utc>,
    pub session_not_on_or_after: Option<DateTime<Utc>>,
}

impl ResponseSpec {
    pub fn new(sp_entity_id: &str, acs_url: &str, name_id: &str) -> Self {
        ResponseSpec {
            in_response_to: None,
            name_id: name_id.into(),
            name_id_format: NAMEID_EMAIL.into(),
            attributes: Vec::new(),
            acs_url: acs_url.into(),
            audience: sp_entity_id.into(),
            assertion_id: None,
            issuer: None,
            now: Utc::now(),
            session_not_on_or_after: None,
        }
    }

    pub fn in_response_to(mut self, id: &str) -> Self {
        self.in_response_to = Some(id.into());
        self
    }

    pub fn format(mut self, f: &str) -> Self {
        self.name_id_format = f.into();
        self
    }

    pub fn attr(mut self, name: &str, values: &[&str]) -> Self {
        self.attributes.push((
            name.into(),
            values.iter().map(|v| (*v).to_owned()).collect(),
        ));
        self
    }

    pub fn assertion_id(mut self, id: &str) -> Self {
        self.assertion_id = Some(id.into());
        self
    }

    /// Keycloak-shaped attributes.
    pub fn person(self, email: &str, first: &str, last: &str, groups: &[&str]) -> Self {
        let s = self
            .attr("email", &[email])
            .attr("firstName", &[first])
            .attr("lastName", &[last]);
        if groups.is_empty() {
            s
        } else {
            s.attr("groups", groups)
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn random_id(prefix: &str) -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).unwrap();
    format!(
        "{prefix}{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}

/// An AuthnRequest as it left the SP.
#[derive(Debug)]
pub struct SentRequest {
    pub id: String,
    pub relay_state: String,
    pub destination: String,
    pub signed: bool,
    pub xml: String,
    /// The login's browser-binding cookie (`name=value`), as the browser
    /// sends it back.
    pub binding_cookie: Option<String>,
}

impl SentRequest {
    /// The Cookie header a browser that started this login sends to the
    /// ACS, with `other` cookies (a session) added.
    pub fn cookie_with(&self, other: Option<&str>) -> Option<String> {
        match (self.binding_cookie.as_deref(), other) {
            (Some(b), Some(o)) => Some(format!("{o}; {b}")),
            (Some(b), None) => Some(b.to_owned()),
            (None, o) => o.map(str::to_owned),
        }
    }

    /// The Cookie header of the browser that started this login.
    pub fn cookie(&self) -> Option<String> {
        self.cookie_with(None)
    }
}

/// The `name=value` of the first Set-Cookie whose name starts with `prefix`.
pub fn set_cookie_prefixed(res: &ServiceResponse, prefix: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(prefix))
        .map(str::to_owned)
}

/// Reads the AuthnRequest from a `/saml/login` answer (302 for Redirect,
/// 200 with a form for POST).
pub fn sent_request(res: &ServiceResponse, body: &str) -> SentRequest {
    let binding_cookie = set_cookie_prefixed(res, "__Host-samlsp-").map(|c| cookie_pair(&c));
    if res.status() == 302 {
        let loc = location(res);
        let msg = RedirectMessage::decode_url(&loc, 1 << 20).unwrap();
        let xml = String::from_utf8(msg.unverified_xml().to_vec()).unwrap();
        SentRequest {
            id: attr_value(&xml, "ID"),
            relay_state: msg.unverified_relay_state().unwrap().to_owned(),
            destination: loc.split('?').next().unwrap().to_owned(),
            signed: msg.is_signed(),
            xml,
            binding_cookie,
        }
    } else {
        assert_eq!(res.status(), 200, "login answered {}", res.status());
        let field = |name: &str| {
            let start = body
                .find(&format!("name=\"{name}\" value=\""))
                .unwrap_or_else(|| panic!("no {name} in {body}"))
                + name.len()
                + 15;
            let end = start + body[start..].find('"').unwrap();
            body[start..end]
                .replace("&amp;", "&")
                .replace("&#x2B;", "+")
        };
        let xml = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(field("SAMLRequest"))
                .unwrap(),
        )
        .unwrap();
        let action_start = body.find("action=\"").unwrap() + 8;
        let action_end = action_start + body[action_start..].find('"').unwrap();
        SentRequest {
            id: attr_value(&xml, "ID"),
            relay_state: field("RelayState"),
            destination: body[action_start..action_end].to_owned(),
            signed: xml.contains("SignatureValue"),
            xml,
            binding_cookie,
        }
    }
}

fn attr_value(xml: &str, name: &str) -> String {
    let needle = format!(" {name}=\"");
    let start = xml.find(&needle).unwrap() + needle.len();
    let end = start + xml[start..].find('"').unwrap();
    xml[start..end].to_owned()
}

/// Session settings for an app under test at `site`, with one fixed test
/// key everywhere (two apps of one test share their sessions).
pub fn session_settings(site: &str) -> samlsp_actix::SessionSettings {
    samlsp_actix::SessionSettings::for_site(
        samlsp_actix::SessionSecret::from_bytes(&(0u8..64).collect::<Vec<_>>()).unwrap(),
        site,
    )
}

pub fn location(res: &ServiceResponse) -> String {
    res.headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("no Location on {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The `name=value` of a Set-Cookie for `name` (empty value: deleted).
pub fn set_cookie(res: &ServiceResponse, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The cookie pair (`name=value`) from a Set-Cookie header.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// An ACS form body.
pub fn acs_body(saml_response: &str, relay_state: Option<&str>) -> String {
    let mut b = format!("SAMLResponse={}", url_encode(saml_response));
    if let Some(rs) = relay_state {
        b.push_str(&format!("&RelayState={}", url_encode(rs)));
    }
    b
}

/// Captures `tracing` events of the current thread as text lines.
#[derive(Clone, Default)]
pub struct LogCapture(pub Arc<Mutex<Vec<String>>>);

impl LogCapture {
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        use tracing_subscriber::layer::SubscriberExt;
        let sub = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::set_default(sub)
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The log line with `correlation_id=<id>`.
    pub fn failure(&self, correlation_id: &str) -> String {
        let needle = format!("correlation_id={correlation_id}");
        self.lines()
            .into_iter()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("no log line with {needle}: {:#?}", self.lines()))
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

struct Visitor<'a>(&'a mut String);

impl tracing::field::Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogCapture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut line = format!("{}", event.metadata().level());
        event.record(&mut Visitor(&mut line));
        self.0.lock().unwrap().push(line);
    }
}

/// The correlation ID printed on a failure page.
pub fn page_reference(body: &str) -> String {
    let start = body
        .find("Reference: <code>")
        .expect("a reference on the page")
        + 17;
    let end = start + body[start..].find('<').unwrap();
    body[start..end].to_owned()
}

/// GET `path`, with a `Cookie` header when given.
pub async fn get<S>(app: &S, path: &str, cookie: Option<&str>) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::get().uri(path);
    if let Some(c) = cookie {
        req = req.insert_header((header::COOKIE, c));
    }
    test::call_service(app, req.to_request()).await
}

/// POST a form body to `path`, with a `Cookie` header when given.
pub async fn post_form<S>(
    app: &S,
    path: &str,
    body: String,
    cookie: Option<&str>,
) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::post()
        .uri(path)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body);
    if let Some(c) = cookie {
        req = req.insert_header((header::COOKIE, c));
    }
    test::call_service(app, req.to_request()).await
}
