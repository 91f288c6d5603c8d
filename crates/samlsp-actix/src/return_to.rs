//! Where the browser goes after sign-in: a path on this site, never a URL.
//!
//! RelayState is attacker-controlled in two ways: the `return_to` parameter of
//! `/saml/login` is in a link anyone can craft, and an IdP-initiated RelayState
//! is whatever the person who built the IdP link chose. Redirecting to it
//! unchecked is the open redirect of GitLab CVE-2023-1965 and omniauth-saml
//! #240. [`ReturnTo::parse`] accepts only an absolute path on this origin.

use std::fmt;

/// Longest accepted return path. Paths in this app are short; 1 KiB leaves
/// room for a query string without letting a link carry a document.
pub const MAX_RETURN_TO_BYTES: usize = 1024;

/// A path on this site, safe to put in a `Location` header: starts with a
/// single `/`, printable ASCII only, no backslash, no dot segments, and the
/// same holds after one round of percent-decoding.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReturnTo(String);

impl ReturnTo {
    /// The site root.
    pub fn root() -> Self {
        ReturnTo("/".to_owned())
    }

    /// Parses an untrusted value. `None` for anything that is not a plain
    /// absolute path on this origin:
    /// - `https://evil`, `https:evil`, `javascript:…` (no leading `/`);
    /// - `//evil`, `/\evil`, `\\evil` (scheme-relative, or made so by
    ///   browsers that read `\` as `/`);
    /// - control characters (CR/LF header injection), spaces, non-ASCII
    ///   (Unicode look-alikes of `/` and `.`), quotes and angle brackets;
    /// - dot segments (`/../`), and any of the above hidden behind
    ///   percent-encoding (`/%2F%2Fevil`, `/%5Cevil`, `/%0d%0a…`).
    pub fn parse(value: &str) -> Option<Self> {
        if value.is_empty() || value.len() > MAX_RETURN_TO_BYTES {
            return None;
        }
        if !is_safe_path(value) {
            return None;
        }
        let decoded = samlsp::internal::binding::percent_decode(value)?;
        if !is_safe_decoded(&decoded) {
            return None;
        }
        Some(ReturnTo(value.to_owned()))
    }

    /// Parses, falling back to `default` (and logging at debug level what
    /// was refused: the value is attacker-chosen, so only its length).
    pub fn parse_or(value: Option<&str>, default: &ReturnTo) -> ReturnTo {
        match value {
            None => default.clone(),
            Some(v) => ReturnTo::parse(v).unwrap_or_else(|| {
                tracing::debug!(
                    len = v.len(),
                    "return path refused (not a path on this site)"
                );
                default.clone()
            }),
        }
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ReturnTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReturnTo({:?})", self.0)
    }
}

impl fmt::Display for ReturnTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_safe_path(p: &str) -> bool {
    let bytes = p.as_bytes();
    // Exactly one leading slash: "//host" and "/\host" are scheme-relative
    // URLs in browsers (WHATWG URL treats '\' as '/' for special schemes).
    if bytes.first() != Some(&b'/') || matches!(bytes.get(1), Some(b'/') | Some(b'\\')) {
        return false;
    }
    // Printable ASCII without space, backslash, quotes, angle brackets or
    // backtick. Non-ASCII is refused outright: a real link percent-encodes it,
    // and look-alikes (U+2215 DIVISION SLASH, fullwidth solidus) are exactly
    // what a normaliser somewhere may turn into '/'.
    if !bytes.iter().all(|&b| {
        (0x21..0x7f).contains(&b) && !matches!(b, b'\\' | b'"' | b'\'' | b'<' | b'>' | b'`')
    }) {
        return false;
    }
    // No dot segments in the path part.
    let path = p.split(['?', '#']).next().unwrap_or("");
    !path.split('/').any(|seg| seg == "." || seg == "..")
}

/// The decoded form may hold anything a percent-escape legitimately
/// carries (spaces, non-ASCII), but not what would turn the value into
/// another origin or another header: a second leading slash, a backslash,
/// control characters (C0, DEL, C1), dot segments.
fn is_safe_decoded(p: &str) -> bool {
    if !p.starts_with('/') || p.starts_with("//") || p.contains('\\') {
        return false;
    }
    if p.chars().any(char::is_control) {
        return false;
    }
    let path = p.split(['?', '#']).next().unwrap_or("");
    !path.split('/').any(|seg| seg == "." || seg == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_paths_on_this_site() {
        for ok in [
            "/",
            "/hosts",
            "/hosts?q=ann&page=2",
            "/visits#today",
            "/a/b/c",
            "/caf%C3%A9",
            "/search?q=a%20b",
        ] {
            assert_eq!(
                ReturnTo::parse(ok).map(|r| r.0),
                Some(ok.to_owned()),
                "{ok}"
            );
        }
    }

    /// Open-redirect attempts through the return address (absolute and
    /// scheme-relative URLs, backslashes, control characters, userinfo
    /// tricks) and their percent-encoded variants.
    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "https://evil.example",
            "http://evil.example/",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "https:evil.example",
            "https://sp.example.com.evil.example",
            "https://sp.example.com@evil.example",
            "javascript:alert(1)",
            "%2F%2Fevil",
            "/%2F%2Fevil",
            "/%2f/evil",
            "/%5Cevil",
            "/%5cevil",
            "/\r\nLocation: https://evil",
            "/%0d%0aSet-Cookie:x=1",
            "/a\tb",
            "/a b",
            "/\u{0000}",
            "/\u{007f}",
            "/\u{2215}\u{2215}evil",
            "/\u{ff0f}evil",
            "/../admin",
            "/a/./b",
            "/%2e%2e/admin",
            "/\"onmouseover=alert(1)",
            "/<script>",
            "/%zz",
            "/%C3",
            "evil.example",
            "?next=//evil",
        ] {
            assert_eq!(ReturnTo::parse(bad), None, "{bad:?}");
        }
        let long = format!("/{}", "a".repeat(MAX_RETURN_TO_BYTES));
        assert_eq!(ReturnTo::parse(&long), None);
    }

    #[test]
    fn fallback() {
        let d = ReturnTo::root();
        assert_eq!(ReturnTo::parse_or(Some("//evil"), &d), d);
        assert_eq!(ReturnTo::parse_or(None, &d), d);
        assert_eq!(ReturnTo::parse_or(Some("/me"), &d).as_str(), "/me");
    }
}
