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
    /// A Single Logout message was refused, or one could not be made.
    #[error("single logout: {0}")]
    Logout(#[from] crate::slo::LogoutError),
}

/// Problems with the parameters of an HTTP-Redirect (or HTTP-POST) binding
/// message (SAML Bindings §3.4, §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BindingError {
    /// A required parameter (named) is missing from the query string.
    #[error("the query string has no {0} parameter")]
    MissingParameter(&'static str),
    /// A parameter (named) appears more than once.
    #[error("the parameter {0} appears more than once")]
    DuplicateParameter(&'static str),
    /// Both SAMLRequest and SAMLResponse are present.
    #[error("both SAMLRequest and SAMLResponse are present")]
    RequestAndResponse,
    /// A parameter (named) is not valid percent-encoding or UTF-8.
    #[error("the parameter {0} is not valid percent-encoding or UTF-8")]
    PercentEncoding(&'static str),
    /// The query string is `size` bytes, over the limit of `limit`.
    #[error("the query string is {size} bytes, over the limit of {limit}")]
    QueryTooLarge {
        /// The size, in bytes.
        size: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// Signature is present without SigAlg, or SigAlg without Signature.
    #[error("Signature is present without SigAlg, or SigAlg without Signature")]
    IncompleteSignature,
    /// The message is not signed, but a signature is required.
    #[error("the message is not signed, but a signature is required")]
    Unsigned,
    /// SigAlg `found` is not supported.
    #[error("SigAlg {found:?} is not supported")]
    UnsupportedSigAlg {
        /// What the message carried (clipped).
        found: String,
    },
    /// SigAlg `found` is disabled by policy (SHA-1 needs a danger opt-in)
    #[error("SigAlg {found:?} is disabled by policy (SHA-1 needs a danger opt-in)")]
    DisabledSigAlg {
        /// What the message carried (clipped).
        found: String,
    },
    /// The Signature parameter is not base64.
    #[error("the Signature parameter is not base64")]
    SignatureEncoding,
    /// No trusted key verifies the query-string signature (SAML Bindings §3.4.4.1)
    #[error("no trusted key verifies the query-string signature (SAML Bindings §3.4.4.1)")]
    SignatureInvalid,
    /// No trusted keys; refusing to verify (never 'no key, so no check')
    #[error("no trusted keys; refusing to verify (never 'no key, so no check')")]
    NoTrustedKeys,
    /// RelayState is `size` bytes; SAML Bindings §3.4.3 allows at most 80.
    #[error("RelayState is {size} bytes; SAML Bindings §3.4.3 allows at most 80")]
    RelayStateTooLong {
        /// The size, in bytes.
        size: usize,
    },
}

/// Why an EncryptedAssertion was refused (XML Encryption 1.1, SAML Core §2.3.4,
/// §6). Everything that goes wrong once decryption has started is the single
/// variant [`DecryptionError::Failed`], so that no padding, key-unwrap or
/// plaintext-format oracle exists (Bleichenbacher 1998, Manger 2001, Jager and
/// Somorovsky 2011).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecryptionError {
    /// This SP has no decryption key.
    #[error("this SP has no decryption key")]
    NoKey,
    /// The encrypted element does not have the required structure (what is wrong).
    #[error("malformed encrypted element: {0}")]
    Structure(&'static str),
    /// Encryption algorithm `uri` is not supported.
    #[error("encryption algorithm {uri:?} is not supported")]
    UnsupportedAlgorithm {
        /// The URI (clipped).
        uri: String,
    },
    /// Encryption algorithm `uri` is disabled by policy (it needs a danger opt-in)
    #[error("encryption algorithm {uri:?} is disabled by policy (it needs a danger opt-in)")]
    DisabledAlgorithm {
        /// The URI (clipped).
        uri: String,
    },
    #[error(
        "CBC-encrypted content is accepted only when the Response signature covers the \
         EncryptedAssertion (unsigned CBC is a padding oracle); sign the Response or use AES-GCM"
    )]
    /// CBC-encrypted content without a Response signature over the
    /// EncryptedAssertion (unsigned CBC is a padding oracle).
    CbcWithoutSignature,
    /// Decryption failed.
    #[error("decryption failed")]
    Failed,
}

/// Failures of a [`crate::tracking::RequestStore`] or
/// [`crate::tracking::ReplayCache`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrackingError {
    /// The `store` is full (`capacity` live entries)
    #[error("the {store} is full ({capacity} live entries)")]
    Full {
        /// Which store.
        store: &'static str,
        /// Its capacity.
        capacity: usize,
    },
    #[error(
        "this IdP already holds its quota of {quota} live replay-cache entries; \
         other IdPs are unaffected"
    )]
    /// This IdP holds its quota of live replay-cache entries; other IdPs are
    /// unaffected.
    IdpQuotaFull {
        /// The quota per IdP.
        quota: usize,
    },
    /// An entry with this key already exists.
    #[error("an entry with this key already exists")]
    Duplicate,
    /// The store is unavailable: `reason`.
    #[error("the store is unavailable: {reason:?}")]
    Unavailable {
        /// Why, in words.
        reason: String,
    },
    /// A stored entry is corrupt.
    #[error("a stored entry is corrupt")]
    Corrupt,
}

/// Failures while building an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// The random number generator failed.
    #[error("the random number generator failed")]
    Random,
    /// Signing failed.
    #[error("signing failed")]
    Signing,
    /// Identity provider `entity_id` is not configured.
    #[error("identity provider {entity_id:?} is not configured")]
    UnknownIdp {
        /// The entity ID.
        entity_id: String,
    },
    /// The IdP has no SingleSignOnService endpoint for HTTP-Redirect or HTTP-POST.
    #[error("the IdP has no SingleSignOnService endpoint for HTTP-Redirect or HTTP-POST")]
    NoSsoEndpoint,
    /// The inner error is not one of this SP's ACS URLs.
    #[error("{0:?} is not one of this SP's ACS URLs")]
    UnknownAcsUrl(String),
    /// RelayState is `size` bytes; SAML Bindings §3.4.3 allows at most 80.
    #[error("RelayState is {size} bytes; SAML Bindings §3.4.3 allows at most 80")]
    RelayStateTooLong {
        /// The size, in bytes.
        size: usize,
    },
}

/// Transport-level problems with a SAML message value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// The value is not base64.
    #[error("the value is not base64")]
    NotBase64,
    #[error(
        "the value is DEFLATE-compressed; the HTTP-POST binding carries raw XML (SAML Bindings §3.5.4)"
    )]
    /// Compressed.
    Compressed,
    /// The value is empty.
    #[error("the value is empty")]
    Empty,
    /// The value is `size` bytes, over the limit of `limit`.
    #[error("the value is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// The size, in bytes.
        size: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The value is not a complete raw DEFLATE stream (SAML Bindings §3.4.4.1)
    #[error("the value is not a complete raw DEFLATE stream (SAML Bindings §3.4.4.1)")]
    Inflate,
    /// The value inflates to more than `limit` bytes (a DEFLATE bomb?)
    #[error("the value inflates to more than {limit} bytes (a DEFLATE bomb?)")]
    InflatedTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// Configuration errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An identifier or URL is malformed.
    #[error("{0}")]
    Identifier(#[from] InvalidIdentifier),
    /// A key is unusable.
    #[error("key: {0}")]
    Key(#[from] KeyError),
    /// A required setting (named) is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// The settings contradict each other (how).
    #[error("{0}")]
    Invalid(&'static str),
    /// The IdP `entity_id` wants signed AuthnRequests but this SP has no signing key.
    #[error("the IdP {entity_id:?} wants signed AuthnRequests but this SP has no signing key")]
    SigningKeyRequired {
        /// The entity ID.
        entity_id: String,
    },
    /// An encryption key must be RSA (key transport is RSA-OAEP)
    #[error("an encryption key must be RSA (key transport is RSA-OAEP)")]
    EncryptionKeyNotRsa,
}

/// SAML Core / Profiles rules. Each names the rule and carries the values that
/// disagreed (attacker-chosen strings are truncated).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Root element `name` in namespace `namespace` is not samlp:Response.
    #[error("root element {name:?} in namespace {namespace:?} is not samlp:Response")]
    NotAResponse {
        /// The namespace URI found (clipped).
        namespace: String,
        /// The name (clipped).
        name: String,
    },
    /// Version `found` is not 2.0.
    #[error("Version {found:?} is not 2.0")]
    Version {
        /// What the message carried (clipped).
        found: String,
    },
    /// Malformed `element`: `reason`.
    #[error("malformed {element}: {reason}")]
    Structure {
        /// The element concerned.
        element: &'static str,
        /// Why, in words.
        reason: &'static str,
    },
    /// Destination `found` is not one of this SP's ACS URLs.
    #[error("Destination {found:?} is not one of this SP's ACS URLs")]
    Destination {
        /// What the message carried (clipped).
        found: String,
    },
    /// A signed Response must carry Destination (SAML Bindings §3.5.5.2)
    #[error("a signed Response must carry Destination (SAML Bindings §3.5.5.2)")]
    MissingDestination,
    /// Issuer `found` is not a configured identity provider.
    #[error("issuer {found:?} is not a configured identity provider")]
    UnknownIssuer {
        /// What the message carried (clipped).
        found: String,
    },
    /// `element` Issuer `found` is not the IdP's entity ID `expected`.
    #[error("{element} Issuer {found:?} is not the IdP's entity ID {expected:?}")]
    Issuer {
        /// The element concerned.
        element: &'static str,
        /// What was required.
        expected: String,
        /// What the message carried (clipped).
        found: String,
    },
    /// The Assertion has no Issuer.
    #[error("the Assertion has no Issuer")]
    MissingIssuer,
    /// Issuer Format `found` is not the entity format (SAML Profiles §4.1.4.2)
    #[error("Issuer Format {found:?} is not the entity format (SAML Profiles §4.1.4.2)")]
    IssuerFormat {
        /// What the message carried (clipped).
        found: String,
    },
    /// Status is `code`…….
    #[error("status is {code:?}{}{}", .second_level.as_deref().map(|s| format!(" / {s:?}")).unwrap_or_default(), .message.as_deref().map(|m| format!(": {m:?}")).unwrap_or_default())]
    Status {
        /// The code point.
        code: String,
        /// The second-level status code, if any.
        second_level: Option<String>,
        /// The status message, if any (clipped).
        message: Option<String>,
    },
    #[error(
        "{element} inside {parent:?}: an assertion or protocol message is accepted only as a \
         direct child of the Response (SAML Core 2.0 §3.3.3)"
    )]
    /// Misplaced message.
    MisplacedMessage {
        /// `Assertion`, `EncryptedAssertion` or the protocol message's name.
        element: &'static str,
        /// Local name of the element that holds it (clipped).
        parent: String,
    },
    /// The Response contains no Assertion.
    #[error("the Response contains no Assertion")]
    NoAssertion,
    /// The Response contains `count` assertions; exactly one is accepted.
    #[error("the Response contains {count} assertions; exactly one is accepted")]
    MultipleAssertions {
        /// How many there were.
        count: usize,
    },
    /// Encrypted assertions are not enabled for this SP (no decryption key)
    #[error("encrypted assertions are not enabled for this SP (no decryption key)")]
    EncryptedAssertionUnsupported,
    /// Neither the Assertion nor the Response is signed.
    #[error("neither the Assertion nor the Response is signed")]
    NotSigned,
    /// The Assertion has no Subject.
    #[error("the Assertion has no Subject")]
    NoSubject,
    /// The Subject has no NameID.
    #[error("the Subject has no NameID")]
    NoNameId,
    /// No bearer SubjectConfirmation (SAML Profiles §4.1.4.2)
    #[error("no bearer SubjectConfirmation (SAML Profiles §4.1.4.2)")]
    NoBearerConfirmation,
    /// SubjectConfirmationData Recipient `found` is not this SP's ACS URL.
    #[error("SubjectConfirmationData Recipient {found:?} is not this SP's ACS URL")]
    Recipient {
        /// What the message carried (clipped).
        found: String,
    },
    /// SubjectConfirmationData lacks a required attribute (named; SAML
    /// Profiles §4.1.4.2).
    #[error("SubjectConfirmationData lacks {0} (SAML Profiles §4.1.4.2)")]
    ConfirmationMissing(&'static str),
    /// SubjectConfirmationData NotOnOrAfter `not_on_or_after` has passed (now `now`)
    #[error("SubjectConfirmationData NotOnOrAfter {not_on_or_after} has passed (now {now})")]
    ConfirmationExpired {
        /// The NotOnOrAfter instant.
        not_on_or_after: DateTime<Utc>,
        /// The time of the check.
        now: DateTime<Utc>,
    },
    /// A bearer SubjectConfirmationData must not carry NotBefore (SAML Profiles §4.1.4.2)
    #[error("a bearer SubjectConfirmationData must not carry NotBefore (SAML Profiles §4.1.4.2)")]
    ConfirmationNotBefore,
    /// The assertion is not valid before `not_before` (now `now`)
    #[error("the assertion is not valid before {not_before} (now {now})")]
    NotYetValid {
        /// The NotBefore instant.
        not_before: DateTime<Utc>,
        /// The time of the check.
        now: DateTime<Utc>,
    },
    /// The assertion expired at `not_on_or_after` (now `now`)
    #[error("the assertion expired at {not_on_or_after} (now {now})")]
    Expired {
        /// The NotOnOrAfter instant.
        not_on_or_after: DateTime<Utc>,
        /// The time of the check.
        now: DateTime<Utc>,
    },
    #[error(
        "the assertion is valid from {issue_instant} to {not_on_or_after}, longer than the \
         {max_seconds} s this SP accepts"
    )]
    /// Lifetime too long.
    LifetimeTooLong {
        /// The IssueInstant.
        issue_instant: DateTime<Utc>,
        /// The NotOnOrAfter instant.
        not_on_or_after: DateTime<Utc>,
        /// The longest accepted lifetime, in seconds.
        max_seconds: i64,
    },
    /// The assertion was issued at `issue_instant`, in the future (now `now`)
    #[error("the assertion was issued at {issue_instant}, in the future (now {now})")]
    IssuedInFuture {
        /// The IssueInstant.
        issue_instant: DateTime<Utc>,
        /// The time of the check.
        now: DateTime<Utc>,
    },
    /// The assertion has no AudienceRestriction.
    #[error("the assertion has no AudienceRestriction")]
    NoAudienceRestriction,
    /// No Audience of an AudienceRestriction equals this SP's entity ID;
    /// `found` is the first Audience it lists (empty when none).
    #[error("no Audience equals this SP's entity ID (the first is {found:?})")]
    Audience {
        /// The first Audience of the restriction that failed (clipped).
        found: String,
    },
    #[error(
        "condition {name:?} is not understood (SAML Core 2.0 §2.5.1: the assertion is then invalid)"
    )]
    /// Unknown condition.
    UnknownCondition {
        /// The name (clipped).
        name: String,
    },
    /// The assertion has no AuthnStatement.
    #[error("the assertion has no AuthnStatement")]
    NoAuthnStatement,
    /// `field` is not a valid xs:dateTime.
    #[error("{field} is not a valid xs:dateTime")]
    Timestamp {
        /// Which field.
        field: &'static str,
    },
    /// A response to request `expected` carries InResponseTo `found`.
    #[error("a response to request {expected:?} carries InResponseTo {found:?}")]
    InResponseTo {
        /// What was required.
        expected: String,
        /// What the message carried (clipped).
        found: Option<String>,
    },
    /// InResponseTo `found` names no request this SP has pending.
    #[error("InResponseTo {found:?} names no request this SP has pending")]
    UnknownInResponseTo {
        /// What the message carried (clipped).
        found: String,
    },
    /// Unsolicited (IdP-initiated) responses are not allowed for this IdP.
    #[error("unsolicited (IdP-initiated) responses are not allowed for this IdP")]
    UnsolicitedNotAllowed,
    #[error(
        "the request asked for fresh authentication (ForceAuthn) at {requested_at}, but the \
         IdP reports an authentication at {authn_instant} (SAML Core §3.4.1)"
    )]
    /// Force authn not honoured.
    ForceAuthnNotHonoured {
        /// The AuthnInstant the IdP reported.
        authn_instant: DateTime<Utc>,
        /// When the request was issued.
        requested_at: DateTime<Utc>,
    },
    /// The assertion `id` was already used (replay)
    #[error("the assertion {id:?} was already used (replay)")]
    Replay {
        /// The ID (clipped).
        id: String,
    },
    /// The RelayState names a pending LogoutRequest, not an AuthnRequest:
    /// a Response never answers it.
    #[error("the RelayState names a pending LogoutRequest, not an AuthnRequest")]
    NotAnAuthnRequest,
}

/// Why IdP metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// Root element is not md:EntityDescriptor or md:EntitiesDescriptor.
    #[error("root element is not md:EntityDescriptor or md:EntitiesDescriptor")]
    NotMetadata,
    /// No EntityDescriptor with an IDPSSODescriptor for SAML 2.0….
    #[error("no EntityDescriptor with an IDPSSODescriptor for SAML 2.0{}", .entity_id.as_deref().map(|e| format!(" and entityID {e:?}")).unwrap_or_default())]
    NoIdp {
        /// The entity ID.
        entity_id: Option<String>,
    },
    /// Several IdPs in the metadata; name the entity ID to use.
    #[error("several IdPs in the metadata; name the entity ID to use")]
    Ambiguous,
    /// The IdP has no signing key; refusing it (never 'no key, so no check')
    #[error("the IdP has no signing key; refusing it (never 'no key, so no check')")]
    NoSigningKey,
    /// A signing certificate is not usable.
    #[error("a signing certificate is not usable: {0}")]
    Key(#[from] crate::dsig::KeyError),
    /// Endpoint Location `location` is not an http(s) URL.
    #[error("endpoint Location {location:?} is not an http(s) URL")]
    BadEndpoint {
        /// The Location value (clipped).
        location: String,
    },
    /// The metadata expired at `valid_until` (now `now`)
    #[error("the metadata expired at {valid_until} (now {now})")]
    Expired {
        /// The validUntil instant.
        valid_until: DateTime<Utc>,
        /// The time of the check.
        now: DateTime<Utc>,
    },
    /// The metadata does not have the required structure (what is wrong).
    #[error("malformed metadata: {0}")]
    Structure(&'static str),
    /// The entity ID is malformed.
    #[error("entity ID: {0}")]
    EntityId(#[from] crate::ids::InvalidIdentifier),
    /// The metadata is not signed, but a signature from the pinned key is required.
    #[error("the metadata is not signed, but a signature from the pinned key is required")]
    Unsigned,
    /// The metadata signature did not verify.
    #[error("the metadata signature did not verify: {0}")]
    Signature(crate::dsig::DsigError),
    /// Cannot read the metadata source: `reason`.
    #[error("cannot read the metadata source: {reason:?}")]
    Source {
        /// Why, in words.
        reason: String,
    },
}

/// Keeps attacker-chosen strings in errors short: the first 256 characters
/// (never cutting one). The one helper for such strings; a message that shows
/// the result formats it with `{:?}` (see the module doc).
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(256).collect()
}
