//! samlsp: a SAML 2.0 service provider core.
//!
//! Layers, bottom up: [`xml`] parses untrusted bytes into one immutable tree;
//! [`xml::c14n`] canonicalizes it; [`dsig`] verifies an enveloped signature on
//! an element of that tree and returns a [`dsig::SignedElement`], the only way
//! to read signed data; [`ServiceProvider::verify_response`] applies every SAML
//! rule and returns an [`Assertion`], which only that path can build.
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
pub mod config;
pub mod danger;
pub mod dsig;
pub mod error;
pub mod ids;
pub mod metadata;
pub mod response;
pub mod time;
pub mod xml;

pub use assertion::{Assertion, Attribute, NameId};
pub use config::{IdentityProvider, ServiceProvider, ServiceProviderBuilder};
pub use error::{ConfigError, EncodingError, Error, ProtocolError};
pub use ids::{EntityId, RequestId, Url};
pub use response::RequestContext;
pub use time::ClockSkew;
