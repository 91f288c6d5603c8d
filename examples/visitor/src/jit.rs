//! Just-in-time users: what the assertion says (mapped per IdP), the
//! linking policy, and the [`UserMapper`] that runs the store transaction.
//!
//! Account-takeover defences (against JIT-linking identity attacks): the
//! link key is (IdP, NameID, format), never the email alone;
//! an email links an existing account only when its domain is one the IdP is
//! configured as authoritative for, compared exactly (no subdomains) on
//! ASCII-lower-cased text; emails with anything but ASCII are refused, so
//! Cyrillic or full-width look-alikes cannot match; transient NameIDs are
//! refused as keys; a domain another IdP is authoritative for cannot be used
//! to create an account from this one.

use std::sync::Arc;

use samlsp::Assertion;
use samlsp_actix::{LinkedUser, MapError, MapFuture, Refusal, UserMapper, VerifiedLogin};

use crate::config::{AttributeNames, Config};
use crate::store::{self, Store};

/// NameID format `transient` (SAML Core §8.3.8).
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// NameID format `unspecified`, used when the IdP names none.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// NameID format `emailAddress`.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Why an asserted email cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    /// No email attribute (nor an email NameID).
    Missing,
    /// Not an ASCII `local@domain.tld` address.
    Invalid,
    /// Contains non-ASCII characters (look-alikes cannot be told apart).
    NonAscii,
}

/// A usable email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// As the IdP sent it (trimmed).
    pub as_received: String,
    /// Lower-cased: the uniqueness key.
    pub normalized: String,
    /// The domain, lower-cased.
    pub domain: String,
}

/// True for an ASCII DNS name with at least two labels: letters, digits and
/// inner hyphens, 1–63 characters each.
pub fn is_valid_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// Parses an email strictly (ASCII only; see the module docs).
pub fn parse_email(value: &str) -> Result<Email, EmailProblem> {
    let v = value.trim();
    if v.is_empty() {
        return Err(EmailProblem::Missing);
    }
    if !v.is_ascii() {
        return Err(EmailProblem::NonAscii);
    }
    let (local, domain) = v.split_once('@').ok_or(EmailProblem::Invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
    let domain = domain.to_ascii_lowercase();
    if !local_ok || !is_valid_domain(&domain) || v.len() > 254 {
        return Err(EmailProblem::Invalid);
    }
    Ok(Email {
        as_received: v.to_owned(),
        normalized: v.to_ascii_lowercase(),
        domain,
    })
}

/// What the assertion says about the person, mapped with the IdP's
/// attribute names.
#[derive(Debug, Clone)]
pub struct Asserted {
    pub idp_entity_id: String,
    pub name_id: String,
    pub name_id_format: String,
    pub email: Result<Email, EmailProblem>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
    /// Every attribute received, as JSON (for the "me" page).
    pub attributes_json: String,
}

/// Longest name accepted from an IdP (longer ones are cut).
const MAX_NAME_CHARS: usize = 200;

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
            idp_entity_id: a.issuer().to_string(),
            name_id: a.name_id().value().to_owned(),
            name_id_format: format,
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

/// The linking rules of one IdP.
#[derive(Debug, Clone, Default)]
pub struct LinkPolicy {
    pub jit_create: bool,
    pub authoritative_domains: Vec<String>,
    /// Domains other IdPs are authoritative for.
    pub other_idps_domains: Vec<String>,
    pub default_location: Option<String>,
    pub admin_group: Option<String>,
}

impl LinkPolicy {
    /// Exact, ASCII-case-insensitive match (both sides are lower-cased ASCII).
    pub fn is_authoritative(&self, domain: &str) -> bool {
        self.authoritative_domains.iter().any(|d| d == domain)
    }

    /// Another IdP vouches for this domain.
    pub fn claimed_by_other_idp(&self, domain: &str) -> bool {
        self.other_idps_domains.iter().any(|d| d == domain)
    }

    /// Member of the admin group.
    pub fn is_admin(&self, groups: &[String]) -> bool {
        self.admin_group.as_deref().is_some_and(|g| {
            groups
                .iter()
                .any(|x| x == g || x.trim_start_matches('/') == g)
        })
    }
}

/// Why a sign-in was refused by the linking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// The account is deactivated.
    Deactivated,
    /// An account with this email exists and this IdP is not authoritative
    /// for its domain.
    ForeignDomain,
    /// No account, and JIT creation is off for this IdP.
    NotProvisioned,
    /// The email is missing or unusable.
    UnusableEmail(EmailProblem),
    /// The NameID is transient.
    TransientNameId,
    /// The email's domain belongs to another IdP.
    DomainOfAnotherIdp,
}

impl LinkRefusal {
    /// The page the person sees.
    pub fn to_refusal(self, company: &str) -> Refusal {
        let (code, title, message) = match self {
            LinkRefusal::Deactivated => (
                "deactivated",
                "Your account is deactivated",
                "Your account in this visitor app has been deactivated. If you think this \
                 is a mistake, contact your administrator."
                    .to_owned(),
            ),
            LinkRefusal::ForeignDomain => (
                "foreign_domain",
                "This account cannot be linked",
                format!(
                    "An account with your email address already exists, but {company} is not \
                     allowed to sign in to it. Sign in with the company that manages your \
                     email address, or ask an administrator to link the accounts."
                ),
            ),
            LinkRefusal::NotProvisioned => (
                "not_provisioned",
                "No account for you yet",
                format!(
                    "{company} confirmed who you are, but this visitor app has no account for \
                     you and does not create accounts automatically for {company}. Ask your \
                     administrator to add you."
                ),
            ),
            LinkRefusal::UnusableEmail(p) => (
                "unusable_email",
                "Your email address cannot be used",
                match p {
                    EmailProblem::Missing => format!(
                        "{company} did not send an email address for you, and this app needs \
                         one. Ask your administrator to release the email attribute."
                    ),
                    EmailProblem::Invalid | EmailProblem::NonAscii => format!(
                        "{company} sent an email address this app does not accept (only plain \
                         ASCII addresses are). Ask your administrator for help."
                    ),
                },
            ),
            LinkRefusal::TransientNameId => (
                "transient_name_id",
                "Sign-in is not set up correctly",
                format!(
                    "{company} sends a one-time identifier, which cannot identify you from one \
                     visit to the next. Ask your administrator to configure a persistent or \
                     email NameID."
                ),
            ),
            LinkRefusal::DomainOfAnotherIdp => (
                "domain_of_another_idp",
                "Use your own company's sign-in",
                format!(
                    "Your email address belongs to a company that has its own sign-in here. \
                     Use that button instead of {company}."
                ),
            ),
        };
        Refusal {
            code,
            title: title.to_owned(),
            message,
        }
    }
}

/// Per IdP slug: attribute names and linking policy.
#[derive(Debug, Clone)]
struct IdpRules {
    slug: String,
    names: AttributeNames,
    policy: LinkPolicy,
}

/// The app's [`UserMapper`].
#[derive(Clone)]
pub struct JitMapper {
    store: Store,
    rules: Arc<Vec<IdpRules>>,
    clock: samlsp_actix::Clock,
}

impl JitMapper {
    /// Rules from the configuration.
    pub fn new(config: &Config, store: Store, clock: samlsp_actix::Clock) -> Self {
        let rules = config
            .idps
            .iter()
            .map(|i| IdpRules {
                slug: i.slug.clone(),
                names: i.attribute_names(),
                policy: LinkPolicy {
                    jit_create: i.jit_create,
                    authoritative_domains: i.authoritative_domains.clone(),
                    other_idps_domains: config
                        .idps
                        .iter()
                        .filter(|o| o.slug != i.slug)
                        .flat_map(|o| o.authoritative_domains.iter().cloned())
                        .collect(),
                    default_location: i.default_location.clone(),
                    admin_group: i.admin_group.clone(),
                },
            })
            .collect();
        JitMapper {
            store,
            rules: Arc::new(rules),
            clock,
        }
    }
}

impl std::fmt::Debug for JitMapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitMapper")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl UserMapper for JitMapper {
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a> {
        Box::pin(async move {
            let Some(rules) = self.rules.iter().find(|r| r.slug == login.idp_slug()) else {
                return Err(MapError::Internal(format!(
                    "no rules for IdP {}",
                    login.idp_slug()
                )));
            };
            let asserted = Asserted::from_assertion(login.assertion(), &rules.names);
            let policy = rules.policy.clone();
            let now = (self.clock)();
            let outcome = self
                .store
                .run(move |c| store::sign_in(c, &asserted, &policy, now))
                .await
                .map_err(|e| MapError::Internal(e.to_string()))?;
            match outcome {
                Ok((user, resolution)) => {
                    tracing::info!(user_id = user.id, ?resolution, "user resolved");
                    Ok(LinkedUser {
                        user_id: user.id.to_string(),
                        display_name: user.display_name,
                    })
                }
                Err(refusal) => Err(MapError::Refused(refusal.to_refusal(login.idp_name()))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emails() {
        let e = parse_email(" Alice.B+x@Acme.TEST ").unwrap();
        assert_eq!(e.normalized, "alice.b+x@acme.test");
        assert_eq!(e.domain, "acme.test");
        assert_eq!(e.as_received, "Alice.B+x@Acme.TEST");
        for (bad, why) in [
            ("", EmailProblem::Missing),
            ("alice", EmailProblem::Invalid),
            ("alice@acme", EmailProblem::Invalid),
            ("a@b@acme.test", EmailProblem::Invalid),
            ("alice@-acme.test", EmailProblem::Invalid),
            ("al ice@acme.test", EmailProblem::Invalid),
            ("alice@acme.test.", EmailProblem::Invalid),
            (".alice@acme.test", EmailProblem::Invalid),
            // Cyrillic а (U+0430) in the domain and the local part.
            ("alice@\u{430}cme.test", EmailProblem::NonAscii),
            ("\u{430}lice@acme.test", EmailProblem::NonAscii),
            // Full-width @.
            ("alice\u{ff20}acme.test", EmailProblem::NonAscii),
        ] {
            assert_eq!(parse_email(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn authority_is_exact() {
        let p = LinkPolicy {
            authoritative_domains: vec!["acme.test".into()],
            admin_group: Some("visitor-admins".into()),
            ..LinkPolicy::default()
        };
        assert!(p.is_authoritative("acme.test"));
        assert!(!p.is_authoritative("evil.acme.test"));
        assert!(!p.is_authoritative("acme.test.evil"));
        assert!(!p.is_authoritative("xacme.test"));
        assert!(p.is_admin(&["staff".into(), "/visitor-admins".into()]));
        assert!(!p.is_admin(&["visitor-admins-x".into()]));
    }
}
