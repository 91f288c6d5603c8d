//! samlsp: a SAML 2.0 service provider core.
#![forbid(unsafe_code)]

pub mod xml;
