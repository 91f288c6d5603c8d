//! What a verified assertion says about the person, read with the IdP's
//! attribute names.

use samlsp::Assertion;

use super::attributes::AttributeNames;
use super::email::{Email, EmailProblem, parse_email};
use crate::store::IdentityKey;

/// NameID format `transient` (SAML Core 2.0 §8.3.8).
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// NameID format `unspecified` (SAML Core 2.0 §8.3.1), used when the IdP names none.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// NameID format `emailAddress` (SAML Core 2.0 §8.3.2).
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Longest name accepted from an IdP (longer ones are cut): a display
/// name, not a document; keeps pages and rows small.
const MAX_NAME_CHARS: usize = 200;

/// What the assertion says about the person, mapped with the IdP's
/// attribute names.
#[derive(Debug, Clone)]
pub struct Asserted {
    /// Who, at which IdP.
    pub key: IdentityKey,
    /// The email attribute (or an email NameID), parsed.
    pub email: Result<Email, EmailProblem>,
    /// Given name, cleaned.
    pub given_name: Option<String>,
    /// Family name, cleaned.
    pub family_name: Option<String>,
    /// Display name, cleaned.
    pub display_name: Option<String>,
    /// Every value of the group attributes.
    pub groups: Vec<String>,
    /// Every attribute received, as JSON (for the "me" page).
    pub attributes_json: String,
}

fn clean(s: &str) -> Option<String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    (!t.is_empty()).then_some(t)
}

fn first_value<'a>(a: &'a Assertion, names: &[String]) -> Option<&'a str> {
    for n in names {
        let found = a
            .attributes()
            .iter()
            .find(|x| x.name() == n)
            .or_else(|| a.attributes().iter().find(|x| x.friendly_name() == Some(n)));
        if let Some(v) = found.and_then(|x| x.values().first()) {
            return Some(v);
        }
    }
    None
}

fn all_values(a: &Assertion, names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for n in names {
        for x in a
            .attributes()
            .iter()
            .filter(|x| x.name() == n || x.friendly_name() == Some(n))
        {
            out.extend(x.values().iter().cloned());
        }
    }
    out
}

impl Asserted {
    /// Maps a verified assertion.
    pub fn from_assertion(a: &Assertion, names: &AttributeNames) -> Self {
        let format = a
            .name_id()
            .format()
            .unwrap_or(NAMEID_UNSPECIFIED)
            .to_owned();
        let email = match first_value(a, &names.email) {
            Some(e) => parse_email(e),
            // An emailAddress NameID is an email too.
            None if format == NAMEID_EMAIL => parse_email(a.name_id().value()),
            None => Err(EmailProblem::Missing),
        };
        let attrs: Vec<serde_json::Value> = a
            .attributes()
            .iter()
            .map(|x| {
                serde_json::json!({
                    "name": x.name(),
                    "friendly_name": x.friendly_name(),
                    "values": x.values(),
                })
            })
            .collect();
        Asserted {
            key: IdentityKey {
                idp_entity_id: a.issuer().to_string(),
                name_id: a.name_id().value().to_owned(),
                name_id_format: format,
            },
            email,
            given_name: first_value(a, &names.given_name).and_then(clean),
            family_name: first_value(a, &names.family_name).and_then(clean),
            display_name: first_value(a, &names.display_name).and_then(clean),
            groups: all_values(a, &names.groups),
            attributes_json: serde_json::Value::Array(attrs).to_string(),
        }
    }

    /// Display name, else "given family", else the email.
    pub fn display_name_or(&self, email: &str) -> String {
        if let Some(d) = &self.display_name {
            return d.clone();
        }
        let full = format!(
            "{} {}",
            self.given_name.as_deref().unwrap_or(""),
            self.family_name.as_deref().unwrap_or("")
        );
        let full = full.trim();
        if full.is_empty() {
            email.to_owned()
        } else {
            full.to_owned()
        }
    }
}
