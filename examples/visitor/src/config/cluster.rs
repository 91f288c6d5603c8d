//! The values that let several instances share one deployment: the Redis
//! that holds their login state and sessions, its key namespace, and the
//! name an instance gives itself in a response header.

use std::fmt;

use serde::Deserialize;

/// A `redis://` (or `unix://`) URL. It may hold a password, so `Debug` and
/// every error show only its scheme.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RedisUrl(String);

impl TryFrom<String> for RedisUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        if ["redis://", "unix://"]
            .iter()
            .any(|p| lower.starts_with(p) && lower.len() > p.len())
        {
            Ok(RedisUrl(s))
        } else {
            Err("redis_url: not a redis:// or unix:// URL".into())
        }
    }
}

impl RedisUrl {
    /// The URL, for the client only: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedisUrl([redacted])")
    }
}

/// The Redis key namespace of this deployment (default `visitor`): every
/// instance of one deployment uses the same, two deployments sharing a
/// Redis use two.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RedisNamespace(samlsp_redis::Namespace);

impl TryFrom<String> for RedisNamespace {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        samlsp_redis::Namespace::new(&s)
            .map(RedisNamespace)
            .map_err(|e| format!("redis_namespace {s:?}: {e}"))
    }
}

impl Default for RedisNamespace {
    fn default() -> Self {
        RedisNamespace::try_from("visitor".to_owned()).unwrap_or_else(|_| unreachable_namespace())
    }
}

#[allow(clippy::panic)]
fn unreachable_namespace() -> RedisNamespace {
    panic!("the default namespace is valid")
}

impl RedisNamespace {
    /// The checked namespace.
    pub fn namespace(&self) -> &samlsp_redis::Namespace {
        &self.0
    }
}

/// This instance's name, sent in the `X-Visitor-Instance` response header
/// so that one can see which instance behind a load balancer answered:
/// 1 to 32 ASCII letters, digits, `-`, `_` or `.`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct InstanceName(String);

impl TryFrom<String> for InstanceName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(InstanceName(s))
        } else {
            Err(format!(
                "instance {s:?}: 1 to 32 ASCII letters, digits, '-', '_' or '.'"
            ))
        }
    }
}

impl InstanceName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls_are_checked_and_never_shown() {
        let u = RedisUrl::try_from("redis://:s3cret@10.0.0.1:6379/2".to_owned());
        assert!(
            u.as_ref()
                .is_ok_and(|u| !format!("{u:?}").contains("s3cret"))
        );
        for bad in ["http://x", "redis://", "s3cret", ""] {
            let e = RedisUrl::try_from(bad.to_owned()).err();
            assert!(
                e.as_deref() == Some("redis_url: not a redis:// or unix:// URL"),
                "{bad:?}: {e:?}"
            );
        }
    }

    #[test]
    fn namespaces_and_instance_names() {
        assert_eq!(RedisNamespace::default().namespace().as_str(), "visitor");
        assert!(RedisNamespace::try_from("a:b".to_owned()).is_err());
        assert!(InstanceName::try_from("a-1".to_owned()).is_ok());
        for bad in ["", "a b", "x\r\nSet-Cookie: y", &"a".repeat(33)] {
            assert!(InstanceName::try_from(bad.to_owned()).is_err(), "{bad:?}");
        }
    }
}
