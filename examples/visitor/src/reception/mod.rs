//! Reception: the kiosk page a visitor uses on a device at the front desk
//! to find their host or their pre-registration and check in.
//!
//! The device holds a kiosk token ([`KioskSecret`]) an organization admin
//! made for one location; there is no user session. The rules here:
//! - the token: 256 random bits (from the injected generator), shown once,
//!   stored as its SHA-256 only, revocable at once;
//! - no enumeration of the staff: a host search needs at least
//!   [`MIN_SEARCH_CHARS`] characters, answers at most [`MAX_HOSTS`] names
//!   and never an email ([`SearchTerm`]);
//! - a bounded rate of requests per kiosk, and of token attempts per
//!   address ([`RateLimiter`]);
//! - what a visitor types is checked like the pre-registration form
//!   ([`visitor_fields`]): bounded, no control characters (so nothing
//!   reaches a mail header or a log line with a line break).

mod limit;

pub use limit::RateLimiter;

/// Fewest characters a host search needs.
pub const MIN_SEARCH_CHARS: usize = 2;
/// Longest search text (a name fits).
pub const MAX_SEARCH_CHARS: usize = 100;
/// Most hosts a search shows: enough to find one, too few to list the staff.
pub const MAX_HOSTS: i64 = 10;
/// Longest visitor name or company (the pre-registration form's limit).
pub const MAX_NAME_CHARS: usize = 100;
/// Longest email address (RFC 5321 §4.5.3.1.3).
pub const MAX_EMAIL: usize = 254;
/// Longest kiosk label.
pub const MAX_LABEL_CHARS: usize = 60;

/// A kiosk token: 32 random bytes, as 64 lower-case hex digits. `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct KioskSecret(String);

impl std::fmt::Debug for KioskSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KioskSecret([redacted])")
    }
}

impl KioskSecret {
    /// A new token from 32 bytes of the injected random generator.
    pub fn from_random(bytes: [u8; 32]) -> Self {
        KioskSecret(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A token as presented by a device; `None` unless it has the shape of
    /// one (so nothing else is hashed or looked up).
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| KioskSecret(s.to_owned()))
    }

    /// The token, to hand to the device once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps.
    pub fn hash(&self) -> [u8; 32] {
        openssl::sha::sha256(self.0.as_bytes())
    }
}

/// A host search's text: trimmed, [`MIN_SEARCH_CHARS`] to
/// [`MAX_SEARCH_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm(String);

impl SearchTerm {
    /// `None` when too short, too long, or not text.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        let n = t.chars().count();
        ((MIN_SEARCH_CHARS..=MAX_SEARCH_CHARS).contains(&n) && !t.chars().any(char::is_control))
            .then(|| SearchTerm(t.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name, company or a label: trimmed, at most `max`
/// characters, no control characters; `required` refuses empty.
pub fn text_field(s: &str, max: usize, required: bool) -> Option<String> {
    let t = s.trim();
    let n = t.chars().count();
    (n <= max && (n > 0 || !required) && !t.chars().any(char::is_control)).then(|| t.to_owned())
}

/// An email address a visitor typed: `local@domain.tld`, no spaces or
/// control characters, at most [`MAX_EMAIL`] bytes.
pub fn email_field(s: &str) -> Option<String> {
    let t = s.trim();
    let ok = t.len() <= MAX_EMAIL
        && t.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && !d.contains('@')
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
        })
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| t.to_owned())
}

/// A walk-in visitor's name, email and company, or what to correct.
pub fn visitor_fields(
    name: &str,
    email: &str,
    company: &str,
) -> Result<(String, String, String), Vec<&'static str>> {
    let name = text_field(name, MAX_NAME_CHARS, true);
    let email = email_field(email);
    let company = text_field(company, MAX_NAME_CHARS, false);
    match (name, email, company) {
        (Some(n), Some(e), Some(c)) => Ok((n, e, c)),
        (n, e, c) => {
            let mut errors = Vec::new();
            if n.is_none() {
                errors.push("Enter your name (up to 100 characters).");
            }
            if e.is_none() {
                errors.push("Enter your email address, like name@example.com.");
            }
            if c.is_none() {
                errors.push("Your company's name is too long (up to 100 characters).");
            }
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_have_one_shape_and_hide() {
        let t = KioskSecret::from_random([0xab; 32]);
        assert_eq!(t.expose().len(), 64);
        assert_eq!(KioskSecret::parse(t.expose()), Some(t.clone()));
        assert!(!format!("{t:?}").contains("abab"));
        for bad in ["", "ab", &"AB".repeat(32), &"g".repeat(64), &"a".repeat(65)] {
            assert_eq!(KioskSecret::parse(bad), None, "{bad}");
        }
        assert_ne!(t.hash(), KioskSecret::from_random([0xac; 32]).hash());
    }

    #[test]
    fn searches_need_two_characters_and_text() {
        assert_eq!(SearchTerm::parse(" Bo ").unwrap().as_str(), "Bo");
        for bad in ["", "b", "  b  ", "b\n", &"x".repeat(101)] {
            assert_eq!(SearchTerm::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn visitor_fields_refuse_each_mistake() {
        assert_eq!(
            visitor_fields(" Ada ", "ada@x.test", ""),
            Ok(("Ada".into(), "ada@x.test".into(), String::new()))
        );
        let e = visitor_fields("Eve\r\nBcc: x@y.test", "e@x.test", "Co").unwrap_err();
        assert_eq!(e, ["Enter your name (up to 100 characters)."]);
        let e = visitor_fields("", "not-an-address", &"c".repeat(101)).unwrap_err();
        assert_eq!(e.len(), 3);
        assert!(email_field("a@b.test\r\nBcc: c@d.test").is_none());
        assert!(email_field("a@b@c.test").is_none());
    }
}
