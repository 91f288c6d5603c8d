//! samlsp: a SAML 2.0 service provider core.
//!
//! Layers, bottom up: [`xml`] parses untrusted bytes into one immutable tree;
//! [`xml::c14n`] canonicalizes it; [`dsig`] verifies an enveloped signature on
//! an element of that tree and returns a [`dsig::SignedElement`], the only way
//! to read signed data.
#![forbid(unsafe_code)]

pub mod danger;
pub mod dsig;
pub mod xml;
