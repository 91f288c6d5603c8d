//! SSO connections an organization's admin sets up alone, in the console:
//! from the IdP's metadata (a URL we fetch, or the XML uploaded), what was
//! understood from it ([`Understood`]), the values to enter at the IdP
//! ([`OurValues`]) and the product's defaults ([`presets`]).
//!
//! Why the console shows what it understood rather than only "saved": the
//! usual setup mistake is metadata of the wrong entity (a test tenant, an
//! aggregate) or a certificate about to expire, and both are visible at a
//! glance in the entity ID, endpoints and fingerprints.
//!
//! A connection is stored disabled and takes real sign-ins only after one
//! successful test sign-in (the store's schema refuses an enabled,
//! untested row).
//!
//! Metadata is read with the library's hardened parser (size, depth and
//! count limits, no DTD). It is not signature-checked: the admin vouches
//! for it by uploading it or naming the IdP's own URL, as with any
//! IdP-provided metadata fetched over TLS.

pub mod egress;
pub mod pages;
pub mod presets;
pub mod refresh;
pub mod registry;

use chrono::{DateTime, Utc};
use samlsp::{Binding, IdentityProvider, IdpMetadata};
use samlsp_actix::CertificateStatus;

/// Largest metadata accepted, in bytes: an IdP's own descriptor is a few
/// KB (Entra's, with two certificates, about 6 KB); an aggregate is not
/// one connection.
pub const MAX_METADATA_BYTES: usize = 128 * 1024;
/// Longest metadata URL, in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest connection name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Why a connection could not be added. The texts are shown to the admin
/// (escaped by the page); none holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// Neither a URL nor XML, or both.
    #[error("give either the metadata URL or the metadata XML")]
    NoSource,
    /// Not an `http(s)://` URL, or too long.
    #[error("the metadata URL must be an http:// or https:// URL of at most {MAX_URL_BYTES} bytes")]
    BadUrl,
    /// Empty, too long or with control characters.
    #[error("enter a name of 1 to {MAX_NAME_CHARS} characters")]
    BadName,
    /// Not a preset's key.
    #[error("choose one of the presets")]
    UnknownPreset,
    /// Over [`MAX_METADATA_BYTES`].
    #[error(
        "the metadata is larger than {MAX_METADATA_BYTES} bytes; is it an aggregate? Give the IdP's own metadata"
    )]
    TooLarge,
    /// The URL could not be fetched.
    #[error("the metadata URL could not be fetched: {0}")]
    Fetch(String),
    /// Not usable SAML 2.0 IdP metadata.
    #[error("this is not usable SAML 2.0 IdP metadata: {0}")]
    Metadata(String),
    /// Another connection of this service (configured, or another
    /// organization's) has this entity ID: one IdP entity is one
    /// connection, so a response is never ambiguous.
    #[error(
        "the IdP {0} is already connected to this service; an IdP can be connected once (ask the operator)"
    )]
    Taken(String),
    /// The organization has a connection to this entity already.
    #[error("your organization has a connection to {0} already")]
    Duplicate(String),
    /// The URL's host is (or resolves to) a loopback, private or link-local
    /// address, which this server does not fetch from (see [`egress`]).
    #[error(
        "the metadata URL's host {0} is a private or local address, which this service does not fetch from; upload the metadata XML instead"
    )]
    PrivateHost(String),
}

/// One endpoint, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointLine {
    /// `HTTP-Redirect` or `HTTP-POST`.
    pub binding: &'static str,
    /// Location.
    pub location: String,
}

/// What the metadata says, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Understood {
    /// The IdP's entity ID.
    pub entity_id: String,
    /// SingleSignOnService endpoints (bindings we support).
    pub sso: Vec<EndpointLine>,
    /// SingleLogoutService endpoints.
    pub slo: Vec<EndpointLine>,
    /// Signing certificates with fingerprint and expiry.
    pub certificates: Vec<CertificateStatus>,
    /// Whether the IdP wants signed AuthnRequests.
    pub want_authn_requests_signed: bool,
    /// The metadata's `validUntil`.
    pub valid_until: Option<DateTime<Utc>>,
}

fn binding_name(b: Binding) -> &'static str {
    match b {
        Binding::HttpRedirect => "HTTP-Redirect",
        Binding::HttpPost => "HTTP-POST",
    }
}

impl Understood {
    /// Reads IdP metadata (SAML Metadata 2.0 §2.4.3): exactly one IdP, with
    /// a signing key and an SSO endpoint the library can use (the same
    /// checks as loading it for sign-in).
    pub fn read(xml: &[u8], now: DateTime<Utc>) -> Result<Self, ConnectionError> {
        if xml.len() > MAX_METADATA_BYTES {
            return Err(ConnectionError::TooLarge);
        }
        let md = IdpMetadata::parse(xml, None, now)
            .map_err(|e| ConnectionError::Metadata(e.to_string()))?;
        IdentityProvider::from_metadata(&md)
            .map_err(|e| ConnectionError::Metadata(e.to_string()))?;
        let lines = |eps: &[samlsp::Endpoint]| {
            eps.iter()
                .map(|e| EndpointLine {
                    binding: binding_name(e.binding),
                    location: e.location.to_string(),
                })
                .collect()
        };
        Ok(Understood {
            entity_id: md.entity_id.to_string(),
            sso: lines(&md.sso),
            slo: lines(&md.slo),
            certificates: md
                .signing_keys
                .iter()
                .filter_map(|k| k.certificate_der())
                .filter_map(CertificateStatus::from_der)
                .collect(),
            want_authn_requests_signed: md.want_authn_requests_signed,
            valid_until: md.valid_until,
        })
    }
}

/// What the admin enters at the IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurValues {
    /// Our entity ID (the IdP's "Identifier", "Audience URI", "Client ID").
    pub entity_id: String,
    /// Assertion Consumer Service URL (HTTP-POST).
    pub acs: String,
    /// Single Logout URL (both bindings).
    pub slo: String,
    /// Our metadata, for IdPs that import it.
    pub metadata_url: String,
    /// Our signing certificate (PEM) and its fingerprint, when we sign.
    pub certificate: Option<(String, CertificateStatus)>,
}

/// A metadata URL as accepted: `http(s)://`, short, no whitespace.
pub fn check_url(url: &str) -> Result<String, ConnectionError> {
    let url = url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok
        || url.len() > MAX_URL_BYTES
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ConnectionError::BadUrl);
    }
    Ok(url.to_owned())
}

/// A connection name as accepted: trimmed, 1 to [`MAX_NAME_CHARS`]
/// characters, no control characters.
pub fn check_name(name: &str) -> Result<String, ConnectionError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ConnectionError::BadName);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests;
