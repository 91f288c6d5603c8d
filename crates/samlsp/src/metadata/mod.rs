//! SAML 2.0 metadata (SAML Metadata 2.0): IdP metadata in.

pub mod idp;

pub use idp::{Endpoint, HTTP_POST, HTTP_REDIRECT, IdpMetadata, MD_NS, MetadataError};
