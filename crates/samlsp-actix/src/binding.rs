//! Logins bound to the browser that started them (against login CSRF).
//!
//! The RelayState token finds the pending request, but it travels through the
//! IdP and anyone who started a login holds one: an attacker can start a
//! login in their own browser, keep the IdP's response, and make a victim's
//! browser post it to the ACS, signing the victim in as the attacker. So
//! `/saml/login` also gives the browser a random secret in a cookie and stores
//! its hash with the request ([`samlsp::BrowserBinding`]); the ACS compares
//! the cookie the posting browser presents with the stored hash *before* the
//! request is taken, so a post from another browser is refused and the real
//! user's pending request stays usable.
//!
//! One cookie per RelayState (`__Host-samlsp-<12 characters of the
//! RelayState's SHA-256>`), so several logins started in one browser (two
//! tabs) each keep their own. Its attributes, and why:
//! - `__Host-` prefix, `Secure`, `Path=/`, no `Domain` (RFC 6265bis §4.1.3.2):
//!   a sibling subdomain or a plain-HTTP page cannot plant or overwrite it,
//!   which is what the attacker would need to do;
//! - `SameSite=None`: the IdP's HTTP-POST to the ACS is a cross-site
//!   navigation, which would not carry a `Lax` or `Strict` cookie;
//! - `HttpOnly`, and `Max-Age` the lifetime of the pending request.
//!
//! `Secure` means the site must be served over HTTPS; browsers also accept
//! secure cookies from `http://localhost` and `http://127.0.0.1`, which are
//! secure contexts, so a local development setup works.
//!
//! IdP-initiated (unsolicited) responses have no pending request and so no
//! binding: accept them only from IdPs configured to allow it.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use samlsp::{BrowserBinding, RandomSource};

/// Random bytes in the cookie: 256 bits (at least the 128 bits
/// [`BrowserBinding::MIN_SECRET_BYTES`] asks for).
const SECRET_BYTES: usize = 32;

/// Characters of the RelayState's hash in the cookie name: 72 bits, so two
/// logins in flight in one browser never share a name, and the name does
/// not carry the RelayState (a bearer token while the request is pending).
const NAME_HASH_CHARS: usize = 12;

const PREFIX: &str = "__Host-samlsp-";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// The binding cookie's name for a RelayState token.
pub(crate) fn cookie_name(relay_state: &str) -> String {
    let hash = b64().encode(openssl::sha::sha256(relay_state.as_bytes()));
    format!("{PREFIX}{}", hash.get(..NAME_HASH_CHARS).unwrap_or(&hash))
}

/// A new secret for a login: the binding to store with the request and the
/// cookie value to give the browser.
pub(crate) fn new_secret(
    rng: &dyn RandomSource,
) -> Result<(BrowserBinding, String), samlsp::OutboundError> {
    let mut secret = [0u8; SECRET_BYTES];
    rng.fill(&mut secret)?;
    // SECRET_BYTES >= MIN_SECRET_BYTES, so this never refuses.
    let binding = BrowserBinding::from_secret(&secret).ok_or(samlsp::OutboundError::Random)?;
    Ok((binding, b64().encode(secret)))
}

/// The cookie `/saml/login` sets.
pub(crate) fn cookie(relay_state: &str, value: String, max_age_seconds: i64) -> Cookie<'static> {
    Cookie::build(cookie_name(relay_state), value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::None)
        .max_age(actix_web::cookie::time::Duration::seconds(
            max_age_seconds.max(1),
        ))
        .finish()
}

/// The cookie that deletes the binding cookie once its request is answered.
pub(crate) fn removal(relay_state: &str) -> Cookie<'static> {
    let mut c = cookie(relay_state, String::new(), 1);
    c.make_removal();
    c
}

/// What the posting browser presented for this RelayState.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingCookie {
    /// No binding cookie for this RelayState.
    Missing,
    /// A cookie whose secret is not the one the request was bound to.
    Different,
}

impl std::fmt::Display for BindingCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BindingCookie::Missing => "no binding cookie",
            BindingCookie::Different => "a binding cookie from another login",
        })
    }
}

/// Checks that the browser posting to the ACS holds the secret `binding`
/// was made from. A request without a binding (stored by something other
/// than this crate) is refused too: every login this crate starts is bound.
pub(crate) fn check(
    req: &HttpRequest,
    relay_state: &str,
    binding: Option<&BrowserBinding>,
) -> Result<(), BindingCookie> {
    let Some(c) = req.cookie(&cookie_name(relay_state)) else {
        return Err(BindingCookie::Missing);
    };
    let secret = b64()
        .decode(c.value().as_bytes())
        .map_err(|_| BindingCookie::Different)?;
    match binding {
        Some(b) if b.matches(&secret) => Ok(()),
        _ => Err(BindingCookie::Different),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_host_prefixed_and_hide_the_relay_state() {
        let n = cookie_name("FBUWFxgZGhscHR4fICEiIyQlJic");
        assert!(n.starts_with("__Host-samlsp-"), "{n}");
        assert_eq!(n.len(), PREFIX.len() + NAME_HASH_CHARS);
        assert!(!n.contains("FBUWFxgZ"), "{n}");
        assert_ne!(n, cookie_name("FBUWFxgZGhscHR4fICEiIyQlJiX"));
    }
}
