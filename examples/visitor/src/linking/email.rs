//! Email addresses and domain names, parsed strictly.
//!
//! Only ASCII is accepted: an email links accounts, and Unicode look-alikes
//! (Cyrillic `а`, full-width `＠`) cannot be told apart from the real thing
//! by a person reading a page. Internationalized domains are written in
//! their `xn--` form (RFC 5891 §4.4), which is ASCII.

use std::fmt;

use serde::Deserialize;

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

/// An ASCII DNS name with at least two labels, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Domain(String);

/// The text given is not an ASCII domain name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ASCII domain name (write IDNs in their xn-- form)")]
pub struct InvalidDomain(pub String);

impl Domain {
    /// Trims and lower-cases `text`, then checks it: letters, digits and
    /// inner hyphens, 1–63 characters a label, 253 in all (RFC 1035 §2.3.4).
    pub fn parse(text: &str) -> Result<Self, InvalidDomain> {
        let d = text.trim().to_ascii_lowercase();
        let labels: Vec<&str> = d.split('.').collect();
        let ok = d.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if ok {
            Ok(Domain(d))
        } else {
            Err(InvalidDomain(text.to_owned()))
        }
    }

    /// The lower-cased name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Domain {
    type Error = InvalidDomain;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Domain::parse(&s)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A usable email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// As the IdP sent it (trimmed).
    pub as_received: String,
    /// Lower-cased: the uniqueness key.
    pub normalized: String,
    /// The domain, lower-cased.
    pub domain: Domain,
}

/// Longest address (RFC 5321 §4.5.3.1.3: a 256-octet path less its brackets).
const MAX_EMAIL: usize = 254;
/// Longest local part (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL: usize = 64;

/// Parses an email strictly: ASCII only, a dot-atom local part
/// (RFC 5322 §3.2.3, no quoted strings) and a [`Domain`].
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
        && local.len() <= MAX_LOCAL
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
    // Domain::parse trims; an address with inner blanks must not pass.
    if !local_ok || v.len() > MAX_EMAIL || domain.trim() != domain {
        return Err(EmailProblem::Invalid);
    }
    let domain = Domain::parse(domain).map_err(|_| EmailProblem::Invalid)?;
    Ok(Email {
        as_received: v.to_owned(),
        normalized: v.to_ascii_lowercase(),
        domain,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn emails() {
        let e = parse_email(" Alice.B+x@Acme.TEST ").unwrap();
        assert_eq!(e.normalized, "alice.b+x@acme.test");
        assert_eq!(e.domain.as_str(), "acme.test");
        assert_eq!(e.as_received, "Alice.B+x@Acme.TEST");
        for (bad, why) in [
            ("", EmailProblem::Missing),
            ("alice", EmailProblem::Invalid),
            ("alice@acme", EmailProblem::Invalid),
            ("a@b@acme.test", EmailProblem::Invalid),
            ("alice@-acme.test", EmailProblem::Invalid),
            ("al ice@acme.test", EmailProblem::Invalid),
            ("alice@ acme.test", EmailProblem::Invalid),
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
    fn domains() {
        assert_eq!(Domain::parse(" Acme.TEST ").unwrap().as_str(), "acme.test");
        assert_eq!(
            Domain::parse("xn--80ak6aa92e.com").unwrap().as_str(),
            "xn--80ak6aa92e.com"
        );
        for bad in ["acme", "\u{430}cme.test", "-acme.test", "acme..test", ""] {
            assert_eq!(Domain::parse(bad), Err(InvalidDomain(bad.to_owned())));
        }
    }
}
