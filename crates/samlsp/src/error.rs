//! The crate's error: one enum, typed sub-enums, stable enough to match on.
//!
//! Messages say what failed and why. They never contain key material.
//! Attacker-supplied strings they quote are truncated by `clip` when stored
//! and always formatted with `{:?}`: quoted, with newlines, control and
//! bidirectional-formatting characters escaped, so a `StatusMessage` holding
//! a newline cannot start a forged line in a log that prints the error.

use chrono::{DateTime, Utc};
use thiserror::Error;

pub use crate::dsig::{DsigError, KeyError};
pub use crate::ids::InvalidIdentifier;
pub use crate::xml::XmlError;

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
    Metadata(#[from] MetadataError),
    /// Configuration (a caller bug, not hostile input).
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// An HTTP binding's parameters are wrong (query string, SigAlg, Signature).
    #[error("binding: {0}")]
    Binding(#[from] BindingError),
    /// An EncryptedAssertion could not be decrypted or is not acceptable.
    #[error("decryption: {0}")]
    Decryption(#[from] DecryptionError),
    /// The request store or replay cache refused or failed.
    #[error("tracking: {0}")]
    Tracking(#[from] TrackingError),
    /// Building an outgoing message failed (randomness, signing, endpoint).
    #[error("outbound message: {0}")]
    Outbound(#[from] OutboundError),
}

/// Problems with the parameters of an HTTP-Redirect (or HTTP-POST) binding
/// message (SAML Bindings §3.4, §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BindingError {
    #[error("the query string has no {0} parameter")]
    MissingParameter(&'static str),
    #[error("the parameter {0} appears more than once")]
    DuplicateParameter(&'static str),
    #[error("both SAMLRequest and SAMLResponse are present")]
    RequestAndResponse,
    #[error("the parameter {0} is not valid percent-encoding or UTF-8")]
    PercentEncoding(&'static str),
    #[error("the query string is {size} bytes, over the limit of {limit}")]
    QueryTooLarge { size: usize, limit: usize },
    #[error("Signature is present without SigAlg, or SigAlg without Signature")]
    IncompleteSignature,
    #[error("the message is not signed, but a signature is required")]
    Unsigned,
    #[error("SigAlg {found:?} is not supported")]
    UnsupportedSigAlg { found: String },
    #[error("SigAlg {found:?} is disabled by policy (SHA-1 needs a danger opt-in)")]
    DisabledSigAlg { found: String },
    #[error("the Signature parameter is not base64")]
    SignatureEncoding,
    #[error("no trusted key verifies the query-string signature (SAML Bindings §3.4.4.1)")]
    SignatureInvalid,
    #[error("no trusted keys; refusing to verify (never 'no key, so no check')")]
    NoTrustedKeys,
    #[error("RelayState is {size} bytes; SAML Bindings §3.4.3 allows at most 80")]
    RelayStateTooLong { size: usize },
}

/// Why an EncryptedAssertion was refused (XML Encryption 1.1, SAML Core §2.3.4,
/// §6). Everything that goes wrong once decryption has started is the single
/// variant [`DecryptionError::Failed`], so that no padding, key-unwrap or
/// plaintext-format oracle exists (Bleichenbacher 1998, Manger 2001, Jager and
/// Somorovsky 2011).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecryptionError {
    #[error("this SP has no decryption key")]
    NoKey,
    #[error("malformed encrypted element: {0}")]
    Structure(&'static str),
    #[error("encryption algorithm {uri:?} is not supported")]
    UnsupportedAlgorithm { uri: String },
    #[error("encryption algorithm {uri:?} is disabled by policy (it needs a danger opt-in)")]
    DisabledAlgorithm { uri: String },
    #[error(
        "CBC-encrypted content is accepted only when the Response signature covers the \
         EncryptedAssertion (unsigned CBC is a padding oracle); sign the Response or use AES-GCM"
    )]
    CbcWithoutSignature,
    #[error("decryption failed")]
    Failed,
}

/// Failures of a [`crate::tracking::RequestStore`] or
/// [`crate::tracking::ReplayCache`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrackingError {
    #[error("the {store} is full ({capacity} live entries)")]
    Full {
        store: &'static str,
        capacity: usize,
    },
    #[error(
        "this IdP already holds its quota of {quota} live replay-cache entries; \
         other IdPs are unaffected"
    )]
    IdpQuotaFull { quota: usize },
    #[error("an entry with this key already exists")]
    Duplicate,
    #[error("the store is unavailable: {reason:?}")]
    Unavailable { reason: String },
    #[error("a stored entry is corrupt")]
    Corrupt,
}

/// Failures while building an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OutboundError {
    #[error("the random number generator failed")]
    Random,
    #[error("signing failed")]
    Signing,
    #[error("identity provider {entity_id:?} is not configured")]
    UnknownIdp { entity_id: String },
    #[error("the IdP has no SingleSignOnService endpoint for HTTP-Redirect or HTTP-POST")]
    NoSsoEndpoint,
    #[error("{0:?} is not one of this SP's ACS URLs")]
    UnknownAcsUrl(String),
    #[error("RelayState is {size} bytes; SAML Bindings §3.4.3 allows at most 80")]
    RelayStateTooLong { size: usize },
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
    #[error("the value is not a complete raw DEFLATE stream (SAML Bindings §3.4.4.1)")]
    Inflate,
    #[error("the value inflates to more than {limit} bytes (a DEFLATE bomb?)")]
    InflatedTooLarge { limit: usize },
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
    #[error("the IdP {entity_id:?} wants signed AuthnRequests but this SP has no signing key")]
    SigningKeyRequired { entity_id: String },
    #[error("an encryption key must be RSA (key transport is RSA-OAEP)")]
    EncryptionKeyNotRsa,
}

/// SAML Core / Profiles rules. Each names the rule and carries the values that
/// disagreed (attacker-chosen strings are truncated).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("root element {name:?} in namespace {namespace:?} is not samlp:Response")]
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
    #[error("status is {code:?}{}{}", .second_level.as_deref().map(|s| format!(" / {s:?}")).unwrap_or_default(), .message.as_deref().map(|m| format!(": {m:?}")).unwrap_or_default())]
    Status {
        code: String,
        second_level: Option<String>,
        message: Option<String>,
    },
    #[error(
        "{element} inside {parent:?}: an assertion or protocol message is accepted only as a \
         direct child of the Response (SAML Core 2.0 §3.3.3)"
    )]
    MisplacedMessage {
        /// `Assertion`, `EncryptedAssertion` or the protocol message's name.
        element: &'static str,
        /// Local name of the element that holds it (clipped).
        parent: String,
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
    #[error(
        "the assertion is valid from {issue_instant} to {not_on_or_after}, longer than the \
         {max_seconds} s this SP accepts"
    )]
    LifetimeTooLong {
        issue_instant: DateTime<Utc>,
        not_on_or_after: DateTime<Utc>,
        max_seconds: i64,
    },
    #[error("the assertion was issued at {issue_instant}, in the future (now {now})")]
    IssuedInFuture {
        issue_instant: DateTime<Utc>,
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
    #[error(
        "the request asked for fresh authentication (ForceAuthn) at {requested_at}, but the \
         IdP reports an authentication at {authn_instant} (SAML Core §3.4.1)"
    )]
    ForceAuthnNotHonoured {
        authn_instant: DateTime<Utc>,
        requested_at: DateTime<Utc>,
    },
    #[error("the assertion {id:?} was already used (replay)")]
    Replay { id: String },
}

/// Why IdP metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    #[error("root element is not md:EntityDescriptor or md:EntitiesDescriptor")]
    NotMetadata,
    #[error("no EntityDescriptor with an IDPSSODescriptor for SAML 2.0{}", .entity_id.as_deref().map(|e| format!(" and entityID {e:?}")).unwrap_or_default())]
    NoIdp { entity_id: Option<String> },
    #[error("several IdPs in the metadata; name the entity ID to use")]
    Ambiguous,
    #[error("the IdP has no signing key; refusing it (never 'no key, so no check')")]
    NoSigningKey,
    #[error("a signing certificate is not usable: {0}")]
    Key(#[from] crate::dsig::KeyError),
    #[error("endpoint Location {location:?} is not an http(s) URL")]
    BadEndpoint { location: String },
    #[error("the metadata expired at {valid_until} (now {now})")]
    Expired {
        valid_until: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("malformed metadata: {0}")]
    Structure(&'static str),
    #[error("entity ID: {0}")]
    EntityId(#[from] crate::ids::InvalidIdentifier),
    #[error("the metadata is not signed, but a signature from the pinned key is required")]
    Unsigned,
    #[error("the metadata signature did not verify: {0}")]
    Signature(crate::dsig::DsigError),
    #[error("cannot read the metadata source: {reason:?}")]
    Source { reason: String },
}

/// Keeps attacker-chosen strings in errors short: the first 256 characters
/// (never cutting one). The one helper for such strings; a message that shows
/// the result formats it with `{:?}` (see the module doc).
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(256).collect()
}
