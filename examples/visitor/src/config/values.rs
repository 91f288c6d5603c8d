//! Configuration values that are checked while the file is read: each type
//! can only hold a valid value, so nothing downstream checks again.

use std::fmt;

use samlsp::Binding;
use samlsp_actix::SessionSecret;
use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// The URL browsers use: `http://` or `https://`, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PublicUrl(String);

impl TryFrom<String> for PublicUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let trimmed = s.trim_end_matches('/');
        let lower = trimmed.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() => Ok(PublicUrl(trimmed.to_owned())),
            _ => Err(format!("public_url {s:?} is not an http(s) URL")),
        }
    }
}

impl PublicUrl {
    /// The URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to log: `tracing_subscriber::EnvFilter` directives, such as `info`
/// or `warn,samlsp_actix=debug`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LogFilter(String);

impl TryFrom<String> for LogFilter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        EnvFilter::builder()
            .parse(&s)
            .map(|_| LogFilter(s.clone()))
            .map_err(|e| format!("log {s:?} is not a log filter: {e}"))
    }
}

impl Default for LogFilter {
    fn default() -> Self {
        LogFilter("info".into())
    }
}

impl LogFilter {
    /// The filter for the subscriber.
    pub fn filter(&self) -> EnvFilter {
        // Parsed once already when the configuration was read.
        EnvFilter::builder()
            .parse(&self.0)
            .unwrap_or_else(|_| EnvFilter::new("info"))
    }
}

/// The session cookie key, from base64 of at least 64 bytes. `Debug` shows
/// nothing secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct SessionKey(SessionSecret);

impl TryFrom<String> for SessionKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        // The error says what is wrong with the key, never the key.
        SessionSecret::from_base64(&s)
            .map(SessionKey)
            .map_err(|e| format!("session_key: {e}"))
    }
}

impl SessionKey {
    /// The secret.
    pub fn secret(&self) -> SessionSecret {
        self.0.clone()
    }
}

/// How AuthnRequests go to an IdP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestBinding {
    /// HTTP-Redirect (SAML Bindings 2.0 §3.4).
    Redirect,
    /// HTTP-POST (SAML Bindings 2.0 §3.5).
    Post,
}

impl RequestBinding {
    /// The library's binding.
    pub fn binding(self) -> Binding {
        match self {
            RequestBinding::Redirect => Binding::HttpRedirect,
            RequestBinding::Post => Binding::HttpPost,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn public_url() {
        let u = PublicUrl::try_from("https://v.example/".to_owned()).unwrap();
        assert_eq!(u.as_str(), "https://v.example");
        for bad in ["ftp://v.example", "v.example", "https://", ""] {
            assert_eq!(
                PublicUrl::try_from(bad.to_owned()),
                Err(format!("public_url {bad:?} is not an http(s) URL"))
            );
        }
    }

    #[test]
    fn log_filter() {
        assert!(LogFilter::try_from("warn,samlsp_actix=debug".to_owned()).is_ok());
        let e = LogFilter::try_from("info,x=[".to_owned()).unwrap_err();
        assert!(e.starts_with("log \"info,x=[\" is not a log filter"), "{e}");
    }

    #[test]
    fn session_key_error_does_not_echo_the_key() {
        let e = SessionKey::try_from("c2VjcmV0".to_owned()).unwrap_err();
        assert!(
            e.starts_with("session_key: ") && !e.contains("c2VjcmV0"),
            "{e}"
        );
    }
}
