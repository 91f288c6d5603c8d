//! One value of every error variant, for tests that must cover them all
//! (codes, remediation texts, redaction). Checked against [`super::error_codes`]
//! by this crate's tests: a variant added without an example fails them.

use chrono::{DateTime, Utc};

use crate::dsig::{DsigError, KeyError};
use crate::error::{
    BindingError, ConfigError, DecryptionError, EncodingError, Error, MetadataError, OutboundError,
    ProtocolError, TrackingError,
};
use crate::ids::InvalidIdentifier;
use crate::slo::LogoutError;
use crate::xml::XmlError;

/// Attacker-style text: control characters, markup and a newline, to show
/// that whoever renders an error escapes it.
const HOSTILE: &str = "<script>x</script>\n\u{202e}forged";

fn s() -> String {
    HOSTILE.to_owned()
}

/// One error of every variant (wrappers once each), in the order of
/// [`super::error_codes`].
pub fn examples() -> Vec<Error> {
    let t: DateTime<Utc> = DateTime::UNIX_EPOCH;
    let ident = InvalidIdentifier {
        kind: "entity ID",
        reason: "not absolute",
    };
    let x = |e: XmlError| Error::Xml(e);
    let d = |e: DsigError| Error::Signature(e);
    let p = |e: ProtocolError| Error::Protocol(e);
    let mut out = vec![
        x(XmlError::InputTooLarge { size: 2, limit: 1 }),
        x(XmlError::InvalidUtf8 { offset: 1 }),
        x(XmlError::UnsupportedEncoding { encoding: s() }),
        x(XmlError::UnsupportedVersion { version: s() }),
        x(XmlError::DoctypeForbidden { offset: 1 }),
        x(XmlError::UnknownEntity { name: s() }),
        x(XmlError::InvalidCharacterReference { reference: s() }),
        x(XmlError::InvalidCharacter { code: 1, offset: 1 }),
        x(XmlError::Truncated),
        x(XmlError::NoRoot),
        x(XmlError::MismatchedEndTag {
            expected: "a".into(),
            found: s(),
        }),
        x(XmlError::UnmatchedEndTag { name: s() }),
        x(XmlError::MultipleRoots { offset: 1 }),
        x(XmlError::ContentAfterRoot { offset: 1 }),
        x(XmlError::DuplicateAttribute { name: s() }),
        x(XmlError::UndeclaredPrefix { prefix: s() }),
        x(XmlError::InvalidNamespaceDeclaration { reason: "xmlns" }),
        x(XmlError::RelativeNamespaceUri { uri: s() }),
        x(XmlError::InvalidName { name: s() }),
        x(XmlError::ReservedPiTarget { target: s() }),
        x(XmlError::TooDeep { limit: 1 }),
        x(XmlError::TooManyElements { limit: 1 }),
        x(XmlError::TooManyNamespacesInScope { limit: 1 }),
        x(XmlError::TooManyAttributes { limit: 1 }),
        x(XmlError::TextTooLong { limit: 1 }),
        x(XmlError::Malformed {
            offset: 1,
            reason: s(),
        }),
        d(DsigError::NoSignature),
        d(DsigError::MultipleSignatures { count: 2 }),
        d(DsigError::MissingId),
        d(DsigError::DuplicateId { id: s() }),
        d(DsigError::Structure {
            reason: "no SignedInfo",
        }),
        d(DsigError::UnsupportedCanonicalization { algorithm: s() }),
        d(DsigError::UnsupportedSignatureAlgorithm { algorithm: s() }),
        d(DsigError::UnsupportedDigestAlgorithm { algorithm: s() }),
        d(DsigError::DisabledAlgorithm { algorithm: s() }),
        d(DsigError::HmacOutputLength),
        d(DsigError::ReferenceCount { count: 2 }),
        d(DsigError::ReferenceUri {
            expected: "#a".into(),
            found: s(),
        }),
        d(DsigError::UnsupportedTransform { algorithm: s() }),
        d(DsigError::TransformChain { reason: "order" }),
        d(DsigError::PrefixListTooLong { bytes: 2, limit: 1 }),
        d(DsigError::PrefixListTooManyNames { count: 2, limit: 1 }),
        d(DsigError::UnsupportedKeyInfo { element: s() }),
        d(DsigError::Base64 {
            field: "SignatureValue",
        }),
        d(DsigError::DigestMismatch),
        d(DsigError::SignatureInvalid),
        d(DsigError::UntrustedKey),
        d(DsigError::NoKeyForAlgorithm),
        d(DsigError::NoTrustedKeys),
        p(ProtocolError::NotAResponse {
            namespace: s(),
            name: s(),
        }),
        p(ProtocolError::Version { found: s() }),
        p(ProtocolError::Structure {
            element: "Status",
            reason: "missing",
        }),
        p(ProtocolError::Destination { found: s() }),
        p(ProtocolError::MissingDestination),
        p(ProtocolError::UnknownIssuer { found: s() }),
        p(ProtocolError::Issuer {
            element: "Assertion",
            expected: "https://idp.example.com".into(),
            found: s(),
        }),
        p(ProtocolError::MissingIssuer),
        p(ProtocolError::IssuerFormat { found: s() }),
        p(ProtocolError::Status {
            code: s(),
            second_level: Some(s()),
            message: Some(s()),
        }),
        p(ProtocolError::MisplacedMessage {
            element: "Assertion",
            parent: s(),
        }),
        p(ProtocolError::NoAssertion),
        p(ProtocolError::MultipleAssertions { count: 2 }),
        p(ProtocolError::EncryptedAssertionUnsupported),
        p(ProtocolError::NotSigned),
        p(ProtocolError::NoSubject),
        p(ProtocolError::NoNameId),
        p(ProtocolError::NoBearerConfirmation),
        p(ProtocolError::Recipient { found: s() }),
        p(ProtocolError::ConfirmationMissing("Recipient")),
        p(ProtocolError::ConfirmationExpired {
            not_on_or_after: t,
            now: t,
        }),
        p(ProtocolError::ConfirmationNotBefore),
        p(ProtocolError::NotYetValid {
            not_before: t,
            now: t,
        }),
        p(ProtocolError::Expired {
            not_on_or_after: t,
            now: t,
        }),
        p(ProtocolError::LifetimeTooLong {
            issue_instant: t,
            not_on_or_after: t,
            max_seconds: 1,
        }),
        p(ProtocolError::IssuedInFuture {
            issue_instant: t,
            now: t,
        }),
        p(ProtocolError::NoAudienceRestriction),
        p(ProtocolError::Audience { found: s() }),
        p(ProtocolError::UnknownCondition { name: s() }),
        p(ProtocolError::NoAuthnStatement),
        p(ProtocolError::Timestamp {
            field: "IssueInstant",
        }),
        p(ProtocolError::InResponseTo {
            expected: "_r".into(),
            found: Some(s()),
        }),
        p(ProtocolError::UnknownInResponseTo { found: s() }),
        p(ProtocolError::UnsolicitedNotAllowed),
        p(ProtocolError::ForceAuthnNotHonoured {
            authn_instant: t,
            requested_at: t,
        }),
        p(ProtocolError::Replay { id: s() }),
        p(ProtocolError::NotAnAuthnRequest),
    ];
    out.extend(
        [
            EncodingError::NotBase64,
            EncodingError::Compressed,
            EncodingError::Empty,
            EncodingError::TooLarge { size: 2, limit: 1 },
            EncodingError::Inflate,
            EncodingError::InflatedTooLarge { limit: 1 },
        ]
        .map(Error::Encoding),
    );
    out.extend(
        [
            BindingError::MissingParameter("SAMLRequest"),
            BindingError::DuplicateParameter("RelayState"),
            BindingError::RequestAndResponse,
            BindingError::PercentEncoding("Signature"),
            BindingError::QueryTooLarge { size: 2, limit: 1 },
            BindingError::IncompleteSignature,
            BindingError::Unsigned,
            BindingError::UnsupportedSigAlg { found: s() },
            BindingError::DisabledSigAlg { found: s() },
            BindingError::SignatureEncoding,
            BindingError::SignatureInvalid,
            BindingError::NoTrustedKeys,
            BindingError::RelayStateTooLong { size: 81 },
        ]
        .map(Error::Binding),
    );
    out.extend(
        [
            DecryptionError::NoKey,
            DecryptionError::Structure("no CipherData"),
            DecryptionError::UnsupportedAlgorithm { uri: s() },
            DecryptionError::DisabledAlgorithm { uri: s() },
            DecryptionError::CbcWithoutSignature,
            DecryptionError::Failed,
        ]
        .map(Error::Decryption),
    );
    out.extend(
        [
            MetadataError::NotMetadata,
            MetadataError::NoIdp {
                entity_id: Some(s()),
            },
            MetadataError::Ambiguous,
            MetadataError::NoSigningKey,
            MetadataError::Key(KeyError::WeakRsaKey { bits: 1024 }),
            MetadataError::BadEndpoint { location: s() },
            MetadataError::Expired {
                valid_until: t,
                now: t,
            },
            MetadataError::Structure("no entityID"),
            MetadataError::EntityId(ident.clone()),
            MetadataError::Unsigned,
            MetadataError::Signature(DsigError::SignatureInvalid),
            MetadataError::Source { reason: s() },
        ]
        .map(Error::Metadata),
    );
    out.extend(
        [
            ConfigError::Identifier(ident),
            ConfigError::Key(KeyError::Decode),
            ConfigError::Missing("acs_url"),
            ConfigError::Invalid("two default ACS URLs"),
            ConfigError::SigningKeyRequired { entity_id: s() },
            ConfigError::EncryptionKeyNotRsa,
        ]
        .map(Error::Config),
    );
    out.extend(
        [
            TrackingError::Full {
                store: "request store",
                capacity: 1,
            },
            TrackingError::IdpQuotaFull { quota: 1 },
            TrackingError::Duplicate,
            TrackingError::Unavailable { reason: s() },
            TrackingError::Corrupt,
        ]
        .map(Error::Tracking),
    );
    out.extend(
        [
            OutboundError::Random,
            OutboundError::Signing,
            OutboundError::UnknownIdp { entity_id: s() },
            OutboundError::NoSsoEndpoint,
            OutboundError::UnknownAcsUrl(s()),
            OutboundError::RelayStateTooLong { size: 81 },
        ]
        .map(Error::Outbound),
    );
    out.extend(
        [
            LogoutError::NotALogoutMessage {
                expected: "LogoutRequest",
                namespace: s(),
                name: s(),
            },
            LogoutError::Structure {
                element: "LogoutRequest",
                reason: "no NameID",
            },
            LogoutError::MissingIssuer,
            LogoutError::UnknownIssuer { found: s() },
            LogoutError::Unsigned,
            LogoutError::MissingDestination,
            LogoutError::Destination { found: s() },
            LogoutError::Timestamp {
                field: "IssueInstant",
            },
            LogoutError::IssuedInFuture {
                issue_instant: t,
                now: t,
            },
            LogoutError::TooOld {
                issue_instant: t,
                now: t,
            },
            LogoutError::Expired {
                not_on_or_after: t,
                now: t,
            },
            LogoutError::UnsupportedIdentifier("EncryptedID"),
            LogoutError::Replay { id: s() },
            LogoutError::UnknownRequest,
            LogoutError::NotALogoutRequest,
            LogoutError::InResponseTo {
                expected: "_r".into(),
                found: Some(s()),
            },
            LogoutError::UnknownPrincipal,
            LogoutError::NoIdpEndpoint,
            LogoutError::NoSpEndpoint,
            LogoutError::SigningKeyRequired,
        ]
        .map(Error::Logout),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::examples;
    use crate::error_codes;

    /// Every documented code comes from exactly one example, in order, and
    /// codes are unique: an enum variant without an example (or a table row
    /// without a variant) fails here.
    #[test]
    fn every_variant_has_one_unique_code() {
        let from_examples: Vec<&str> = examples().iter().map(crate::Error::code).collect();
        let table: Vec<&str> = error_codes().map(|c| c.code).collect();
        assert_eq!(from_examples, table);
        let mut sorted = table.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), table.len(), "duplicate codes");
        for c in error_codes() {
            assert!(
                !c.code.is_empty()
                    && c.code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{} is not snake_case",
                c.code
            );
            assert!(!c.summary.is_empty(), "{}", c.code);
        }
    }

    /// Messages quote attacker text escaped: no raw newline, markup or
    /// bidirectional override survives in the Display of any error.
    #[test]
    fn messages_escape_hostile_text() {
        for e in examples() {
            let m = e.to_string();
            assert!(!m.contains('\n'), "{}: {m}", e.code());
            assert!(!m.contains('\u{202e}'), "{}: {m}", e.code());
        }
    }
}
