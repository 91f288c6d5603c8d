//! The IdP's side of a login for the `e2e` program: starting a login at the demo (reading the
//! AuthnRequest out of its redirect) and signing a unique response that answers it.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use samlsp::internal::binding::RedirectMessage;
use samlsp_tests::signer::{SignOptions, SigningKey, sign};

use crate::http::Conn;

/// The entity ID of IdP `k` (all sign with the same test key).
pub fn idp_entity(k: usize) -> String {
    format!("https://idp{k}.test/saml")
}

/// A started login: what the AuthnRequest said and what the browser holds.
pub struct Started {
    /// Which IdP (and organization) the login goes to.
    pub idp: usize,
    pub request_id: String,
    pub sp: String,
    pub acs: String,
    pub relay_state: String,
    pub cookies: String,
}

fn attr_of<'a>(xml: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let start = xml.find(&key).map(|i| i + key.len()).expect(name);
    &xml[start..start + xml[start..].find('"').expect("closing quote")]
}

pub fn start_login(conn: &mut Conn, idp: usize) -> Started {
    let a = conn
        .call("GET", &format!("/saml/login?idp=idp{idp}"), "", "")
        .expect("GET /saml/login");
    assert_eq!(a.status, 302, "GET /saml/login");
    let loc = a.header("location").expect("Location");
    let msg = RedirectMessage::decode_url(loc, 1 << 20).expect("AuthnRequest");
    let xml = std::str::from_utf8(msg.unverified_xml()).expect("UTF-8");
    let issuer_start = xml
        .find("Issuer")
        .and_then(|i| xml[i..].find('>').map(|j| i + j + 1));
    let issuer_start = issuer_start.expect("Issuer");
    let sp = &xml[issuer_start..issuer_start + xml[issuer_start..].find('<').expect("</Issuer>")];
    Started {
        idp,
        request_id: attr_of(xml, "ID").to_owned(),
        sp: sp.to_owned(),
        acs: attr_of(xml, "AssertionConsumerServiceURL").to_owned(),
        relay_state: msg.unverified_relay_state().expect("RelayState").to_owned(),
        cookies: a.cookies().join("; "),
    }
}

/// A unique signed response (Assertion signed, certificate in KeyInfo, Keycloak-shaped
/// attributes) answering `s`, base64 as the browser posts it.
pub fn response(
    s: &Started,
    n: usize,
    user: usize,
    now: DateTime<Utc>,
    key: &SigningKey,
    cert: &[u8],
) -> String {
    let t = samlsp::internal::time::format_instant;
    let (aid, rid) = (format!("_a{n:09}"), format!("_r{n:09}"));
    let email = format!("user{user}@org{}.test", s.idp);
    let issuer = idp_entity(s.idp);
    let attr = |name: &str, value: &str| {
        format!(
            "<saml:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">\
             <saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute>"
        )
    };
    let attrs = [
        attr("email", &email),
        attr("firstName", "User"),
        attr("lastName", &user.to_string()),
        attr("groups", "staff"),
    ]
    .concat();
    let (irt, acs, sp) = (&s.request_id, &s.acs, &s.sp);
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{rid}\" Version=\"2.0\" \
         IssueInstant=\"{now}\" Destination=\"{acs}\" InResponseTo=\"{irt}\">\
         <saml:Issuer>{issuer}</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         <saml:Assertion ID=\"{aid}\" Version=\"2.0\" IssueInstant=\"{now}\">\
         <saml:Issuer>{issuer}</saml:Issuer><!--SIG:{aid}-->\
         <saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">u-{user}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
         <saml:SubjectConfirmationData InResponseTo=\"{irt}\" NotOnOrAfter=\"{exp}\" Recipient=\"{acs}\"/>\
         </saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{exp}\"><saml:AudienceRestriction>\
         <saml:Audience>{sp}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         <saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"sess-{aid}\">\
         <saml:AuthnContext><saml:AuthnContextClassRef>\
         urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport\
         </saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
         <saml:AttributeStatement>{attrs}</saml:AttributeStatement>\
         </saml:Assertion></samlp:Response>",
        now = t(now),
        nb = t(now - chrono::Duration::seconds(5)),
        exp = t(now + chrono::Duration::minutes(10)),
    );
    let options = SignOptions {
        key_info_cert: Some(cert.to_vec()),
        ..SignOptions::default()
    };
    base64::engine::general_purpose::STANDARD.encode(sign(&xml, &aid, key, &options))
}
