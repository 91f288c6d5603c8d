//! Key names. Every key starts with `samlsp:<namespace>:`, the namespace
//! naming one deployment (production, staging, one customer's install), so
//! several deployments can share a Redis without seeing each other's
//! entries; then the kind of entry:
//!
//! - `req:<RelayState token>`: a pending AuthnRequest. The token is the
//!   core's random 160-bit base64url value (it cannot hold `:`), so it is
//!   used as is.
//! - `replay:<sha256(issuer)>:<sha256(assertion ID)>`: a used assertion, per
//!   IdP (in the demo one IdP belongs to one organization, so this is also
//!   per organization). Both parts are hashed: entity IDs and assertion IDs
//!   may hold `:` (so `a:b`+`c` and `a`+`b:c` must not meet) and have no
//!   useful length bound; a hash makes every key the same short length.

use std::fmt;

use samlsp::{EntityId, RelayStateToken};

/// Longest namespace accepted.
pub const MAX_NAMESPACE_BYTES: usize = 64;

/// The deployment's key prefix: 1 to 64 ASCII letters, digits, `-`, `_`
/// or `.`.
#[derive(Clone, PartialEq, Eq)]
pub struct Namespace(String);

/// The namespace text is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a redis namespace is 1 to {MAX_NAMESPACE_BYTES} ASCII letters, digits, '-', '_' or '.'")]
pub struct InvalidNamespace;

impl Namespace {
    /// Checks and wraps `s`.
    pub fn new(s: &str) -> Result<Self, InvalidNamespace> {
        let ok = !s.is_empty()
            && s.len() <= MAX_NAMESPACE_BYTES
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Namespace(s.to_owned()))
        } else {
            Err(InvalidNamespace)
        }
    }

    /// The namespace as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn request_key(&self, token: &RelayStateToken) -> String {
        format!("samlsp:{}:req:{}", self.0, token.as_str())
    }

    pub(crate) fn replay_key(&self, issuer: &EntityId, assertion_id: &str) -> String {
        format!(
            "samlsp:{}:replay:{}:{}",
            self.0,
            hex(&openssl::sha::sha256(issuer.as_str().as_bytes())),
            hex(&openssl::sha::sha256(assertion_id.as_bytes()))
        )
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Namespace({:?})", self.0)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn namespaces() {
        assert!(Namespace::new("prod-eu_1.a").is_ok());
        let long = "a".repeat(MAX_NAMESPACE_BYTES + 1);
        for bad in ["", "a:b", "a b", "ü", "a*", long.as_str()] {
            assert_eq!(Namespace::new(bad), Err(InvalidNamespace), "{bad:?}");
        }
    }

    #[test]
    fn replay_keys_do_not_collide_across_the_separator() {
        let ns = Namespace::new("t").unwrap();
        let a = ns.replay_key(&EntityId::new("urn:a:b").unwrap(), "c");
        let b = ns.replay_key(&EntityId::new("urn:a").unwrap(), "b:c");
        assert_ne!(a, b);
        assert!(a.starts_with("samlsp:t:replay:"));
        assert_eq!(a.len(), "samlsp:t:replay:".len() + 64 + 1 + 64);
    }

    #[test]
    fn deployments_do_not_share_keys() {
        let token = RelayStateToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let a = Namespace::new("a").unwrap().request_key(&token);
        let b = Namespace::new("b").unwrap().request_key(&token);
        assert_ne!(a, b);
    }
}
