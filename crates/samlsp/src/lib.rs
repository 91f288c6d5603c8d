//! samlsp: a SAML 2.0 service provider core.
//!
//! Layers, bottom up: [`xml`] parses untrusted bytes into one immutable tree;
//! [`xml::c14n`] canonicalizes it; [`dsig`] verifies an enveloped signature on
//! an element of that tree and returns a [`dsig::SignedElement`], the only way
//! to read signed data; [`ServiceProvider::verify_response`] applies every SAML
//! rule and returns an [`Assertion`], which only that path can build.
//!
//! The SP side of the protocol sits on top: [`authn_request`] builds
//! AuthnRequests sent by [`binding`] (HTTP-Redirect with the query-string
//! signature, HTTP-POST with an enveloped signature and an escaped form);
//! [`tracking`] keeps pending requests and used assertion IDs, and
//! [`ServiceProvider::consume_response`] is the whole ACS step; [`xmlenc`]
//! decrypts EncryptedAssertions; [`metadata`] writes SP metadata and reads
//! (and refreshes) IdP metadata; [`keys`] holds the SP's private keys.
//!
//! ```no_run
//! use samlsp::{EntityId, IdentityProvider, RequestContext, ServiceProvider, Url};
//! use samlsp::dsig::TrustedKeys;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = TrustedKeys::from_certificate_pem(&std::fs::read("idp.pem")?)?;
//! let idp = IdentityProvider::new(EntityId::new("https://idp.example.com")?, keys)?;
//! let sp = ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata")?)
//!     .acs_url(Url::new("https://sp.example.org/saml/acs")?)
//!     .idp(idp)
//!     .build()?;
//! # let posted_value = "";
//! let assertion = sp.verify_response(
//!     posted_value,
//!     chrono::Utc::now(),
//!     RequestContext::Pending { request_id: "_abc", idp: None },
//! )?;
//! println!("{}", assertion.name_id().value());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod assertion;
pub mod authn_request;
pub mod binding;
pub mod config;
pub mod danger;
pub mod dsig;
pub mod error;
pub mod ids;
pub mod keys;
pub mod metadata;
pub mod response;
pub mod time;
pub mod tracking;
mod util;
pub mod xml;
pub mod xmlenc;
pub mod xmlwriter;

pub use assertion::{Assertion, Attribute, NameId};
pub use authn_request::{OsRandom, OutboundMessage, PreparedAuthnRequest, RandomSource};
pub use binding::Binding;
pub use config::{IdentityProvider, ServiceProvider, ServiceProviderBuilder};
pub use error::{
    BindingError, ConfigError, DecryptionError, EncodingError, Error, OutboundError, ProtocolError,
    TrackingError,
};
pub use ids::{EntityId, RequestId, Url};
pub use keys::SpKeyPair;
pub use response::RequestContext;
pub use time::ClockSkew;
pub use tracking::{
    BrowserBinding, Login, MemoryReplayCache, MemoryRequestStore, PendingRequest, ReplayCache,
    RequestStore,
};
pub use xmlenc::DecryptionPolicy;
