//! Stable error codes: one short `snake_case` string per error variant, for
//! dashboards, failure traces, metrics labels and support conversations.
//!
//! Why codes and not the messages: a message says exactly what failed, with
//! the values that disagreed, and may be reworded; a code names the rule and
//! never changes once released (a new rule gets a new code). Codes are
//! unique across the crate, so a code alone tells which check refused a
//! message.
//!
//! Each enum's mapping is written once, in the [`codes!`] table below, which
//! generates both the `code()` method (an exhaustive `match`: a variant
//! added without a code does not compile) and the list [`error_codes`]
//! returns (from which the README's table is generated and checked).

use crate::dsig::DsigError;
use crate::error::{
    BindingError, ConfigError, DecryptionError, EncodingError, Error, MetadataError, OutboundError,
    ProtocolError, TrackingError,
};
use crate::slo::LogoutError;
use crate::xml::XmlError;

/// One documented error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The code (`audience_mismatch`): stable, unique, `snake_case`.
    pub code: &'static str,
    /// The layer that refuses (`xml`, `signature`, `protocol`, ...).
    pub layer: &'static str,
    /// What it means, in one line.
    pub summary: &'static str,
}

macro_rules! codes {
    ($ty:ident, $layer:literal, { $($pat:pat => $code:literal, $summary:literal;)* }) => {
        impl $ty {
            /// The stable error code of this variant (see
            /// [`crate::error_codes`]).
            pub fn code(&self) -> &'static str {
                match self {
                    $($pat => $code,)*
                }
            }

            const CODES: &'static [ErrorCode] = &[
                $(ErrorCode { code: $code, layer: $layer, summary: $summary },)*
            ];
        }
    };
}

impl Error {
    /// The stable error code of the failure (see [`crate::error_codes`]).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Xml(e) => e.code(),
            Error::Signature(e) => e.code(),
            Error::Protocol(e) => e.code(),
            Error::Encoding(e) => e.code(),
            Error::Metadata(e) => e.code(),
            Error::Config(e) => e.code(),
            Error::Binding(e) => e.code(),
            Error::Decryption(e) => e.code(),
            Error::Tracking(e) => e.code(),
            Error::Outbound(e) => e.code(),
            Error::Logout(e) => e.code(),
        }
    }
}

/// Every error code of this crate, by layer, in declaration order.
pub fn error_codes() -> impl Iterator<Item = &'static ErrorCode> {
    [
        XmlError::CODES,
        DsigError::CODES,
        ProtocolError::CODES,
        EncodingError::CODES,
        BindingError::CODES,
        DecryptionError::CODES,
        MetadataError::CODES,
        ConfigError::CODES,
        TrackingError::CODES,
        OutboundError::CODES,
        LogoutError::CODES,
    ]
    .into_iter()
    .flatten()
}

codes!(XmlError, "xml", {
    Self::InputTooLarge { .. } => "xml_too_large", "the message is larger than the parser accepts";
    Self::InvalidUtf8 { .. } => "xml_invalid_utf8", "the message is not UTF-8";
    Self::UnsupportedEncoding { .. } => "xml_unsupported_encoding", "the XML declaration names an encoding other than UTF-8";
    Self::UnsupportedVersion { .. } => "xml_unsupported_version", "the XML declaration names a version other than 1.0";
    Self::DoctypeForbidden { .. } => "xml_doctype_forbidden", "the message has a DTD (refused: entity expansion, XXE)";
    Self::UnknownEntity { .. } => "xml_unknown_entity", "an entity reference other than the five predefined ones";
    Self::InvalidCharacterReference { .. } => "xml_invalid_character_reference", "a malformed or forbidden character reference";
    Self::InvalidCharacter { .. } => "xml_invalid_character", "a character XML 1.0 forbids";
    Self::Truncated => "xml_truncated", "the document ends before its root element is closed";
    Self::NoRoot => "xml_no_root", "the document has no root element";
    Self::MismatchedEndTag { .. } => "xml_mismatched_end_tag", "an end tag does not match the open element";
    Self::UnmatchedEndTag { .. } => "xml_unmatched_end_tag", "an end tag closes no open element";
    Self::MultipleRoots { .. } => "xml_multiple_roots", "a second root element";
    Self::ContentAfterRoot { .. } => "xml_content_after_root", "character data outside the root element";
    Self::DuplicateAttribute { .. } => "xml_duplicate_attribute", "an attribute appears twice on one element";
    Self::UndeclaredPrefix { .. } => "xml_undeclared_prefix", "a namespace prefix is not declared";
    Self::InvalidNamespaceDeclaration { .. } => "xml_invalid_namespace_declaration", "a namespace declaration XML Namespaces forbids";
    Self::RelativeNamespaceUri { .. } => "xml_relative_namespace_uri", "a relative namespace URI (canonicalization is undefined for it)";
    Self::InvalidName { .. } => "xml_invalid_name", "a name that is not a valid qualified name";
    Self::ReservedPiTarget { .. } => "xml_reserved_pi_target", "a processing instruction with a reserved target";
    Self::TooDeep { .. } => "xml_too_deep", "elements nested deeper than the limit";
    Self::TooManyElements { .. } => "xml_too_many_elements", "more elements than the limit";
    Self::TooManyNamespacesInScope { .. } => "xml_too_many_namespaces", "more namespace declarations in scope than the limit";
    Self::TooManyAttributes { .. } => "xml_too_many_attributes", "more attributes on one element than the limit";
    Self::TextTooLong { .. } => "xml_text_too_long", "a text node or attribute value longer than the limit";
    Self::Malformed { .. } => "xml_malformed", "not well-formed XML";
});

codes!(DsigError, "signature", {
    Self::NoSignature => "signature_missing", "the element that must be signed carries no signature";
    Self::MultipleSignatures { .. } => "signature_multiple", "more than one signature on one element";
    Self::MissingId => "signature_element_without_id", "the signed element has no ID attribute";
    Self::DuplicateId { .. } => "signature_duplicate_id", "an ID appears on more than one element (signature wrapping)";
    Self::Structure { .. } => "signature_malformed", "the signature does not have the required structure";
    Self::UnsupportedCanonicalization { .. } => "signature_unsupported_c14n", "a canonicalization method that is not supported";
    Self::UnsupportedSignatureAlgorithm { .. } => "signature_unsupported_algorithm", "a signature algorithm that is not supported";
    Self::UnsupportedDigestAlgorithm { .. } => "signature_unsupported_digest", "a digest algorithm that is not supported";
    Self::DisabledAlgorithm { .. } => "signature_algorithm_disabled", "an algorithm disabled by policy (SHA-1, HMAC)";
    Self::HmacOutputLength => "signature_hmac_truncation", "a truncated HMAC signature";
    Self::ReferenceCount { .. } => "signature_reference_count", "SignedInfo has other than one Reference";
    Self::ReferenceUri { .. } => "signature_reference_mismatch", "the signature covers another element than the one it sits on";
    Self::UnsupportedTransform { .. } => "signature_unsupported_transform", "a transform that is not allowed";
    Self::TransformChain { .. } => "signature_transform_chain", "transforms other than enveloped-signature and one canonicalization";
    Self::PrefixListTooLong { .. } => "signature_prefix_list_too_long", "an InclusiveNamespaces PrefixList longer than the limit";
    Self::PrefixListTooManyNames { .. } => "signature_prefix_list_too_many", "an InclusiveNamespaces PrefixList with more names than the limit";
    Self::UnsupportedKeyInfo { .. } => "signature_unsupported_key_info", "a KeyInfo child that is not accepted";
    Self::Base64 { .. } => "signature_base64", "a signature field that is not base64";
    Self::DigestMismatch => "signature_digest_mismatch", "the signed element was changed after signing";
    Self::SignatureInvalid => "signature_invalid", "no trusted key verifies the signature";
    Self::UntrustedKey => "signature_untrusted_key", "signed with a certificate the IdP's metadata does not list (key rotation?)";
    Self::NoKeyForAlgorithm => "signature_no_key_for_algorithm", "no trusted key of the type the signature algorithm needs";
    Self::NoTrustedKeys => "signature_no_trusted_keys", "no trusted keys are configured";
});

codes!(ProtocolError, "protocol", {
    Self::NotAResponse { .. } => "not_a_response", "the message is not a samlp:Response";
    Self::Version { .. } => "version_unsupported", "a SAML version other than 2.0";
    Self::Structure { .. } => "protocol_malformed", "an element does not have the structure SAML Core requires";
    Self::Destination { .. } => "destination_mismatch", "the Response's Destination is not our ACS URL";
    Self::MissingDestination => "destination_missing", "a signed Response without Destination";
    Self::UnknownIssuer { .. } => "unknown_issuer", "the Issuer is not a configured IdP";
    Self::Issuer { .. } => "issuer_mismatch", "the Issuer is not the IdP's entity ID";
    Self::MissingIssuer => "issuer_missing", "the Assertion has no Issuer";
    Self::IssuerFormat { .. } => "issuer_format", "an Issuer Format other than entity";
    Self::Status { .. } => "idp_status_error", "the IdP answered with an error status";
    Self::MisplacedMessage { .. } => "misplaced_message", "an assertion or message outside its place (signature wrapping)";
    Self::NoAssertion => "no_assertion", "the Response carries no Assertion";
    Self::MultipleAssertions { .. } => "multiple_assertions", "the Response carries more than one Assertion";
    Self::EncryptedAssertionUnsupported => "encrypted_assertion_unsupported", "an encrypted assertion, and this SP has no decryption key";
    Self::NotSigned => "not_signed", "neither the Assertion nor the Response is signed";
    Self::NoSubject => "no_subject", "the Assertion has no Subject";
    Self::NoNameId => "no_name_id", "the Subject has no NameID";
    Self::NoBearerConfirmation => "no_bearer_confirmation", "no bearer SubjectConfirmation";
    Self::Recipient { .. } => "recipient_mismatch", "the SubjectConfirmationData Recipient is not our ACS URL";
    Self::ConfirmationMissing(_) => "confirmation_incomplete", "SubjectConfirmationData lacks a required attribute";
    Self::ConfirmationExpired { .. } => "confirmation_expired", "the SubjectConfirmationData NotOnOrAfter has passed";
    Self::ConfirmationNotBefore => "confirmation_not_before", "a bearer SubjectConfirmationData with NotBefore";
    Self::NotYetValid { .. } => "not_yet_valid", "the assertion is not valid yet (clock skew?)";
    Self::Expired { .. } => "expired", "the assertion has expired (clock skew, or a delayed post)";
    Self::LifetimeTooLong { .. } => "lifetime_too_long", "the assertion is valid for longer than this SP accepts";
    Self::IssuedInFuture { .. } => "issued_in_future", "the assertion was issued in the future (clock skew?)";
    Self::NoAudienceRestriction => "audience_missing", "the assertion has no AudienceRestriction";
    Self::Audience { .. } => "audience_mismatch", "no Audience is our entity ID";
    Self::UnknownCondition { .. } => "unknown_condition", "a condition this SP does not understand";
    Self::NoAuthnStatement => "no_authn_statement", "the assertion has no AuthnStatement";
    Self::Timestamp { .. } => "timestamp_invalid", "a timestamp that is not a valid xs:dateTime";
    Self::InResponseTo { .. } => "in_response_to_mismatch", "InResponseTo is not the request this browser sent";
    Self::UnknownInResponseTo { .. } => "unknown_in_response_to", "InResponseTo names no pending request (expired, used, or another SP's)";
    Self::UnsolicitedNotAllowed => "unsolicited_not_allowed", "an IdP-initiated response, not enabled for this IdP";
    Self::ForceAuthnNotHonoured { .. } => "force_authn_not_honoured", "fresh authentication was asked for and not done";
    Self::Replay { .. } => "replay", "the assertion was already used";
    Self::NotAnAuthnRequest => "relay_state_names_logout_request", "the RelayState names a pending LogoutRequest, not an AuthnRequest";
});

codes!(EncodingError, "encoding", {
    Self::NotBase64 => "encoding_not_base64", "the SAMLResponse value is not base64";
    Self::Compressed => "encoding_compressed", "a DEFLATE-compressed value on the HTTP-POST binding";
    Self::Empty => "encoding_empty", "an empty value";
    Self::TooLarge { .. } => "encoding_too_large", "the value is larger than the limit";
    Self::Inflate => "encoding_inflate", "not a complete raw DEFLATE stream";
    Self::InflatedTooLarge { .. } => "encoding_inflated_too_large", "the value inflates beyond the limit";
});

codes!(BindingError, "binding", {
    Self::MissingParameter(_) => "binding_missing_parameter", "a required query parameter is missing";
    Self::DuplicateParameter(_) => "binding_duplicate_parameter", "a query parameter appears twice";
    Self::RequestAndResponse => "binding_request_and_response", "both SAMLRequest and SAMLResponse";
    Self::PercentEncoding(_) => "binding_percent_encoding", "a parameter that is not valid percent-encoding or UTF-8";
    Self::QueryTooLarge { .. } => "binding_query_too_large", "the query string is larger than the limit";
    Self::IncompleteSignature => "binding_incomplete_signature", "Signature without SigAlg, or SigAlg without Signature";
    Self::Unsigned => "binding_unsigned", "an unsigned message where a signature is required";
    Self::UnsupportedSigAlg { .. } => "binding_unsupported_sig_alg", "a SigAlg that is not supported";
    Self::DisabledSigAlg { .. } => "binding_sig_alg_disabled", "a SigAlg disabled by policy (SHA-1)";
    Self::SignatureEncoding => "binding_signature_encoding", "the Signature parameter is not base64";
    Self::SignatureInvalid => "binding_signature_invalid", "no trusted key verifies the query-string signature";
    Self::NoTrustedKeys => "binding_no_trusted_keys", "no trusted keys to verify the query-string signature";
    Self::RelayStateTooLong { .. } => "binding_relay_state_too_long", "RelayState longer than 80 bytes";
});

codes!(DecryptionError, "decryption", {
    Self::NoKey => "decryption_no_key", "this SP has no decryption key";
    Self::Structure(_) => "decryption_malformed", "the encrypted element does not have the required structure";
    Self::UnsupportedAlgorithm { .. } => "decryption_unsupported_algorithm", "an encryption algorithm that is not supported";
    Self::DisabledAlgorithm { .. } => "decryption_algorithm_disabled", "an encryption algorithm disabled by policy";
    Self::CbcWithoutSignature => "decryption_cbc_unsigned", "AES-CBC content without a Response signature over it";
    Self::Failed => "decryption_failed", "decryption failed (encrypted to another key, or tampered)";
});

codes!(MetadataError, "metadata", {
    Self::NotMetadata => "metadata_not_metadata", "the document is not SAML metadata";
    Self::NoIdp { .. } => "metadata_no_idp", "no SAML 2.0 IdP (with that entity ID) in the metadata";
    Self::Ambiguous => "metadata_ambiguous", "several IdPs in the metadata and none chosen";
    Self::NoSigningKey => "metadata_no_signing_key", "the IdP's metadata lists no signing key";
    Self::Key(_) => "metadata_key_unusable", "a signing certificate in the metadata is not usable";
    Self::BadEndpoint { .. } => "metadata_bad_endpoint", "an endpoint Location that is not an http(s) URL";
    Self::Expired { .. } => "metadata_expired", "the metadata is past its validUntil";
    Self::Structure(_) => "metadata_malformed", "the metadata does not have the required structure";
    Self::EntityId(_) => "metadata_invalid_entity_id", "the metadata's entity ID is malformed";
    Self::Unsigned => "metadata_unsigned", "the metadata is not signed, but its signing key is pinned";
    Self::Signature(_) => "metadata_signature_invalid", "the metadata signature does not verify";
    Self::Source { .. } => "metadata_source_unreadable", "the metadata file or URL cannot be read";
});

codes!(ConfigError, "config", {
    Self::Identifier(_) => "config_invalid_identifier", "an entity ID or URL in the configuration is malformed";
    Self::Key(_) => "config_key_unusable", "a configured key is not usable";
    Self::Missing(_) => "config_missing", "a required setting is missing";
    Self::Invalid(_) => "config_invalid", "the settings contradict each other";
    Self::SigningKeyRequired { .. } => "config_signing_key_required", "the IdP wants signed requests and this SP has no signing key";
    Self::EncryptionKeyNotRsa => "config_encryption_key_not_rsa", "the encryption key is not RSA";
});

codes!(TrackingError, "tracking", {
    Self::Full { .. } => "tracking_full", "the request store or replay cache is full";
    Self::IdpQuotaFull { .. } => "tracking_idp_quota_full", "this IdP holds its quota of replay-cache entries";
    Self::Duplicate => "tracking_duplicate", "an entry with this key already exists";
    Self::Unavailable { .. } => "tracking_unavailable", "the request store or replay cache is unavailable";
    Self::Corrupt => "tracking_corrupt", "a stored entry is corrupt";
});

codes!(OutboundError, "outbound", {
    Self::Random => "outbound_random_failed", "the random number generator failed";
    Self::Signing => "outbound_signing_failed", "signing the request failed";
    Self::UnknownIdp { .. } => "outbound_unknown_idp", "the IdP is not configured";
    Self::NoSsoEndpoint => "outbound_no_sso_endpoint", "the IdP has no usable SingleSignOnService endpoint";
    Self::UnknownAcsUrl(_) => "outbound_unknown_acs_url", "an ACS URL that is not this SP's";
    Self::RelayStateTooLong { .. } => "outbound_relay_state_too_long", "RelayState longer than 80 bytes";
});

codes!(LogoutError, "logout", {
    Self::NotALogoutMessage { .. } => "logout_not_a_logout_message", "the message is not a LogoutRequest or LogoutResponse";
    Self::Structure { .. } => "logout_malformed", "the logout message does not have the required structure";
    Self::MissingIssuer => "logout_issuer_missing", "the logout message has no Issuer";
    Self::UnknownIssuer { .. } => "logout_unknown_issuer", "the logout message's Issuer is not a configured IdP";
    Self::Unsigned => "logout_not_signed", "the logout message is not signed";
    Self::MissingDestination => "logout_destination_missing", "a signed logout message without Destination";
    Self::Destination { .. } => "logout_destination_mismatch", "the logout message's Destination is not our SingleLogoutService URL";
    Self::Timestamp { .. } => "logout_timestamp_invalid", "a logout timestamp that is not a valid xs:dateTime";
    Self::IssuedInFuture { .. } => "logout_issued_in_future", "the logout message was issued in the future (clock skew?)";
    Self::TooOld { .. } => "logout_too_old", "the logout message was issued too long ago";
    Self::Expired { .. } => "logout_expired", "the LogoutRequest's NotOnOrAfter has passed";
    Self::UnsupportedIdentifier(_) => "logout_unsupported_identifier", "the LogoutRequest names its subject by EncryptedID or BaseID";
    Self::Replay { .. } => "logout_replay", "the LogoutRequest was already accepted";
    Self::UnknownRequest => "logout_unknown_request", "the LogoutResponse answers no pending LogoutRequest";
    Self::NotALogoutRequest => "logout_relay_state_names_authn_request", "the RelayState names a pending AuthnRequest, not a LogoutRequest";
    Self::InResponseTo { .. } => "logout_in_response_to_mismatch", "InResponseTo is not the pending LogoutRequest's ID";
    Self::UnknownPrincipal => "logout_unknown_principal", "no session here belongs to the subject the LogoutRequest names";
    Self::NoIdpEndpoint => "logout_no_idp_endpoint", "the IdP has no usable SingleLogoutService endpoint";
    Self::NoSpEndpoint => "logout_no_sp_endpoint", "this SP has no SingleLogoutService URL";
    Self::SigningKeyRequired => "logout_signing_key_required", "logout messages must be signed and this SP has no signing key";
});

mod examples;
pub use examples::examples;
