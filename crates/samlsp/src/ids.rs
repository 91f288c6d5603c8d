//! Identifiers as types, parsed once.

use std::fmt;
use std::sync::Arc;

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $repr:ty) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name($repr);

        impl $name {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype!(
    /// A SAML entity ID (SAML Core 2.0 §8.3.6): an absolute URI of at most 1024
    /// characters. Shared, not copied, when cloned: every verified assertion
    /// carries its IdP's.
    EntityId,
    Arc<str>
);
string_newtype!(
    /// An endpoint URL of this SP, compared byte for byte.
    Url,
    String
);
string_newtype!(
    /// The ID of an AuthnRequest this SP sent.
    RequestId,
    String
);

/// Lets a map keyed by entity ID be searched with a claimed (unverified)
/// Issuer string. Equality, order and hash are those of the string, as
/// `Borrow` requires.
impl std::borrow::Borrow<str> for EntityId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// An identifier or URL did not have the required shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct InvalidIdentifier {
    /// What kind of identifier.
    pub kind: &'static str,
    /// Why, in words.
    pub reason: &'static str,
}

impl EntityId {
    /// Validates an entity ID: non-empty, at most 1024 characters (SAML Core
    /// §8.3.6), no whitespace.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidIdentifier> {
        let s = s.into();
        let err = |reason| InvalidIdentifier {
            kind: "entity ID",
            reason,
        };
        if s.is_empty() {
            return Err(err("empty"));
        }
        if s.chars().count() > 1024 {
            return Err(err("longer than 1024 characters"));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(err("contains whitespace"));
        }
        Ok(EntityId(s.into()))
    }
}

impl Url {
    /// Validates an http(s) URL (absolute, no whitespace, no fragment).
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidIdentifier> {
        let s = s.into();
        let err = |reason| InvalidIdentifier {
            kind: "URL",
            reason,
        };
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or(err("not an http(s) URL"))?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(err("no host"));
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
        {
            return Err(err("contains whitespace, quotes or angle brackets"));
        }
        if s.contains('#') {
            return Err(err("contains a fragment"));
        }
        Ok(Url(s))
    }
}

impl RequestId {
    /// Wraps a request ID (an xs:ID: non-empty, no whitespace).
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidIdentifier> {
        let s = s.into();
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            return Err(InvalidIdentifier {
                kind: "request ID",
                reason: "empty or contains whitespace",
            });
        }
        Ok(RequestId(s))
    }
}
