//! samlsp: a SAML 2.0 service provider core.
//!
//! Untrusted bytes are parsed by a hardened XML parser into one immutable
//! tree; an enveloped signature is verified over an element of that tree and
//! yields a proof, the only way to read signed data; every SAML rule is
//! applied on top and the result is an [`Assertion`], which only that path
//! can build.
//!
//! What an application uses:
//! - configure: [`ServiceProvider::builder`], [`IdentityProvider`] (by hand
//!   or [`IdentityProvider::from_metadata`]), [`SpKeyPair`], [`TrustedKeys`];
//! - send the user to the IdP: [`ServiceProvider::authn_request`] builds a
//!   [`PreparedAuthnRequest`]; its [`PendingRequest`] goes into a
//!   [`RequestStore`];
//! - receive the answer: [`ServiceProvider::consume_response`] takes the
//!   pending request, verifies the response and records the assertion ID in
//!   a [`ReplayCache`], returning a [`Login`];
//! - single logout: [`ServiceProvider::logout_request`] out,
//!   [`ServiceProvider::receive_logout`] in (a [`VerifiedLogoutRequest`] or
//!   [`VerifiedLogoutResponse`]), local sessions found through a
//!   [`SessionRegistry`];
//! - publish metadata ([`ServiceProvider::metadata`]) and follow the IdP's
//!   ([`MetadataCache`]);
//! - relax a default, knowingly: [`danger`].
//!
//! ```no_run
//! use samlsp::{
//!     EntityId, IdentityProvider, MemoryReplayCache, MemoryRequestStore, OsRandom,
//!     RequestStore, ServiceProvider, TrustedKeys, Url,
//! };
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let idp_id = EntityId::new("https://idp.example.com")?;
//! let keys = TrustedKeys::from_certificate_pem(&std::fs::read("idp.pem")?)?;
//! let idp = IdentityProvider::new(idp_id.clone(), keys)?
//!     .sso_endpoint(samlsp::Binding::HttpRedirect, Url::new("https://idp.example.com/sso")?);
//! let sp = ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata")?)
//!     .acs_url(Url::new("https://sp.example.org/saml/acs")?)
//!     .idp(idp)
//!     .build()?;
//! let requests = MemoryRequestStore::default();
//! let replay = MemoryReplayCache::default();
//!
//! // Login: remember the request, send the browser to the IdP.
//! let now = chrono::Utc::now();
//! let prepared = sp.authn_request(&idp_id)?.build(now, &OsRandom)?;
//! let (pending, message) = prepared.into_parts();
//! requests.insert(pending, now)?;
//! # let _ = message;
//!
//! // ACS: the posted SAMLResponse and RelayState.
//! # let (saml_response, relay_state) = ("", Some(""));
//! let login = sp.consume_response(saml_response, relay_state, chrono::Utc::now(), &requests, &replay)?;
//! println!("{}", login.assertion().name_id().value());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod assertion;
mod binding;
mod codes;
pub mod danger;
mod dsig;
mod error;
mod expiring;
mod ids;
mod keys;
mod metadata;
mod session_registry;
mod slo;
mod sp;
mod sync;
mod time;
mod tracking;
mod util;
mod xml;
mod xmlenc;
mod xmlwriter;

pub use assertion::{Assertion, Attribute, NameId};
pub use binding::{Binding, PostForm};
pub use codes::{ErrorCode, error_codes};
pub use dsig::{AlgorithmPolicy, SignatureAlgorithm, TrustedKey, TrustedKeys};
pub use error::{
    BindingError, ConfigError, DecryptionError, DsigError, EncodingError, Error, InvalidIdentifier,
    KeyError, MetadataError, OutboundError, ProtocolError, TrackingError, XmlError,
};
pub use ids::{EntityId, RequestId, Url};
pub use keys::{KeyAlgorithm, SpKeyPair};
pub use metadata::{
    ContactPerson, ContactType, Endpoint, IdpMetadata, MetadataCache, MetadataOptions,
    MetadataSource, Organization, SpMetadataBuilder,
};
pub use session_registry::{
    LocalSessionId, MemorySessionRegistry, SessionRegistry, SessionSubject,
};
pub use slo::{
    LogoutError, LogoutReply, LogoutStatus, LogoutSubject, PreparedLogoutRequest, ReceivedLogout,
    SloMessage, VerifiedLogoutRequest, VerifiedLogoutResponse,
};
pub use sp::{
    AuthnContextComparison, AuthnRequestBuilder, IdentityProvider, Login, OsRandom,
    OutboundMessage, PreparedAuthnRequest, RandomSource, RequestContext, RequestedAuthnContext,
    ServiceProvider, ServiceProviderBuilder,
};
pub use time::ClockSkew;
pub use tracking::{
    BrowserBinding, MemoryReplayCache, MemoryRequestStore, PendingRequest, RelayStateToken,
    ReplayCache, ReplayCheck, RequestKind, RequestStore,
};
pub use xml::Limits;
pub use xmlenc::DecryptionPolicy;

/// The building blocks under the public API, for this workspace's fuzz
/// targets, benches, cross-crate tests, command-line tool and web
/// integration. Not part of the API: anything here may change in any
/// release.
#[doc(hidden)]
pub mod internal {
    /// SAML assertion reading.
    pub mod assertion {
        pub use crate::assertion::*;
    }
    /// HTTP bindings: deflate, query strings, forms.
    pub mod codes {
        pub use crate::codes::examples;
    }
    pub mod binding {
        pub use crate::binding::*;
    }
    /// XML Signature verification.
    pub mod dsig {
        pub use crate::dsig::*;
    }
    /// SP keys.
    pub mod keys {
        pub use crate::keys::*;
    }
    /// Metadata in and out.
    pub mod metadata {
        pub use crate::metadata::*;
    }
    /// The service provider's operations.
    pub mod sp {
        pub use crate::sp::*;
    }
    /// Session registry keys from plain values, for the tests of registry
    /// implementations (a shared store's, the in-memory one's). In an
    /// application a subject comes only from verified data
    /// ([`crate::SessionSubject::of`], [`crate::VerifiedLogoutRequest::subject`]).
    pub mod session_registry {
        /// The subject `name_id` (with `format`) at `idp`.
        pub fn subject(
            idp: &crate::EntityId,
            name_id: &str,
            format: Option<&str>,
        ) -> crate::SessionSubject {
            crate::session_registry::SessionSubject::new(idp.clone(), name_id, format)
        }
    }
    /// The map with expiring entries behind every bounded store.
    pub mod expiring {
        pub use crate::expiring::*;
    }
    /// Lock helpers that survive poisoning.
    pub mod sync {
        pub use crate::sync::*;
    }
    /// Time formats.
    pub mod time {
        pub use crate::time::*;
    }
    /// Request tracking and replay.
    pub mod tracking {
        pub use crate::tracking::*;
    }
    /// The hardened XML parser and canonicalization.
    pub mod xml {
        pub use crate::xml::*;
    }
    /// XML Encryption.
    pub mod xmlenc {
        pub use crate::xmlenc::*;
    }
    /// Escaping XML writer.
    pub mod xmlwriter {
        pub use crate::xmlwriter::*;
    }
}

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
