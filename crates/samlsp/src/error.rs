//! The crate's error: one enum, typed sub-enums, stable enough to match on.
//!
//! Messages say what failed and why. They never contain key material, and
//! attacker-supplied strings they quote are truncated.

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::dsig::{DsigError, KeyError};
use crate::ids::InvalidIdentifier;
use crate::xml::XmlError;

/// Everything that can go wrong, by layer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The message is not acceptable XML.
    #[error("XML: {0}")]
    Xml(#[from] XmlError),
    /// A signature did not verify.
    #[error("signature: {0}")]
    Signature(#[from] DsigError),
    /// A SAML protocol or profile rule failed.
    #[error("protocol: {0}")]
    Protocol(#[from] ProtocolError),
    /// The transport encoding (base64, DEFLATE, query string) is wrong.
    #[error("encoding: {0}")]
    Encoding(#[from] EncodingError),
    /// Metadata was refused.
    #[error("metadata: {0}")]
    Metadata(#[from] crate::metadata::MetadataError),
    /// Configuration (a caller bug, not hostile input).
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
}

/// Transport-level problems with a SAML message value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodingError {
    #[error("the value is not base64")]
    NotBase64,
    #[error(
        "the value is DEFLATE-compressed; the HTTP-POST binding carries raw XML (SAML Bindings §3.5.4)"
    )]
    Compressed,
    #[error("the value is empty")]
    Empty,
    #[error("the value is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
}

/// Configuration errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{0}")]
    Identifier(#[from] InvalidIdentifier),
    #[error("key: {0}")]
    Key(#[from] KeyError),
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("{0}")]
    Invalid(&'static str),
}

/// SAML Core / Profiles rules. Each names the rule and carries the values that
/// disagreed (attacker-chosen strings are truncated).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("root element is {{{namespace}}}{name}, not samlp:Response")]
    NotAResponse { namespace: String, name: String },
    #[error("Version {found:?} is not 2.0")]
    Version { found: String },
    #[error("malformed {element}: {reason}")]
    Structure {
        element: &'static str,
        reason: &'static str,
    },
    #[error("Destination {found:?} is not one of this SP's ACS URLs")]
    Destination { found: String },
    #[error("a signed Response must carry Destination (SAML Bindings §3.5.5.2)")]
    MissingDestination,
    #[error("issuer {found:?} is not a configured identity provider")]
    UnknownIssuer { found: String },
    #[error("{element} Issuer {found:?} is not the IdP's entity ID {expected:?}")]
    Issuer {
        element: &'static str,
        expected: String,
        found: String,
    },
    #[error("the Assertion has no Issuer")]
    MissingIssuer,
    #[error("Issuer Format {found:?} is not the entity format (SAML Profiles §4.1.4.2)")]
    IssuerFormat { found: String },
    #[error("status is {code}{}{}", .second_level.as_deref().map(|s| format!(" / {s}")).unwrap_or_default(), .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        code: String,
        second_level: Option<String>,
        message: Option<String>,
    },
    #[error("the Response contains no Assertion")]
    NoAssertion,
    #[error("the Response contains {count} assertions; exactly one is accepted")]
    MultipleAssertions { count: usize },
    #[error("encrypted assertions are not enabled for this SP (no decryption key)")]
    EncryptedAssertionUnsupported,
    #[error("neither the Assertion nor the Response is signed")]
    NotSigned,
    #[error("the Assertion has no Subject")]
    NoSubject,
    #[error("the Subject has no NameID")]
    NoNameId,
    #[error("no bearer SubjectConfirmation (SAML Profiles §4.1.4.2)")]
    NoBearerConfirmation,
    #[error("SubjectConfirmationData Recipient {found:?} is not this SP's ACS URL")]
    Recipient { found: String },
    #[error("SubjectConfirmationData lacks {0} (SAML Profiles §4.1.4.2)")]
    ConfirmationMissing(&'static str),
    #[error("SubjectConfirmationData NotOnOrAfter {not_on_or_after} has passed (now {now})")]
    ConfirmationExpired {
        not_on_or_after: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("a bearer SubjectConfirmationData must not carry NotBefore (SAML Profiles §4.1.4.2)")]
    ConfirmationNotBefore,
    #[error("the assertion is not valid before {not_before} (now {now})")]
    NotYetValid {
        not_before: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("the assertion expired at {not_on_or_after} (now {now})")]
    Expired {
        not_on_or_after: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("the assertion has no AudienceRestriction")]
    NoAudienceRestriction,
    #[error("no Audience equals this SP's entity ID")]
    Audience,
    #[error(
        "condition {name:?} is not understood (SAML Core 2.0 §2.5.1: the assertion is then invalid)"
    )]
    UnknownCondition { name: String },
    #[error("the assertion has no AuthnStatement")]
    NoAuthnStatement,
    #[error("{field} is not a valid xs:dateTime")]
    Timestamp { field: &'static str },
    #[error("a response to request {expected:?} carries InResponseTo {found:?}")]
    InResponseTo {
        expected: String,
        found: Option<String>,
    },
    #[error("InResponseTo {found:?} names no request this SP has pending")]
    UnknownInResponseTo { found: String },
    #[error("unsolicited (IdP-initiated) responses are not allowed for this IdP")]
    UnsolicitedNotAllowed,
    #[error("the assertion {id:?} was already used (replay)")]
    Replay { id: String },
}

/// Keeps attacker-chosen strings in errors short.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(256).collect()
}
