use thiserror::Error;

/// Why a signature was not accepted. Each rejection rule has its own variant so
/// that callers and tests can match on the exact reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DsigError {
    /// The element carries no ds:Signature.
    #[error("the element carries no ds:Signature")]
    NoSignature,
    /// The element carries `count` ds:Signature children; exactly one is allowed.
    #[error("the element carries {count} ds:Signature children; exactly one is allowed")]
    MultipleSignatures {
        /// How many there were.
        count: usize,
    },
    /// The signed element has no ID attribute.
    #[error("the signed element has no ID attribute")]
    MissingId,
    /// ID `id` appears on more than one element.
    #[error("ID {id:?} appears on more than one element")]
    DuplicateId {
        /// The ID (clipped).
        id: String,
    },
    /// Malformed signature: `reason`.
    #[error("malformed signature: {reason}")]
    Structure {
        /// Why, in words.
        reason: &'static str,
    },
    /// Canonicalization method `algorithm` is not supported.
    #[error("canonicalization method {algorithm:?} is not supported")]
    UnsupportedCanonicalization {
        /// The algorithm URI (clipped).
        algorithm: String,
    },
    /// Signature algorithm `algorithm` is not supported.
    #[error("signature algorithm {algorithm:?} is not supported")]
    UnsupportedSignatureAlgorithm {
        /// The algorithm URI (clipped).
        algorithm: String,
    },
    /// Digest algorithm `algorithm` is not supported.
    #[error("digest algorithm {algorithm:?} is not supported")]
    UnsupportedDigestAlgorithm {
        /// The algorithm URI (clipped).
        algorithm: String,
    },
    /// Algorithm `algorithm` is disabled by policy (SHA-1 and HMAC need a danger opt-in)
    #[error("algorithm {algorithm:?} is disabled by policy (SHA-1 and HMAC need a danger opt-in)")]
    DisabledAlgorithm {
        /// The algorithm URI (clipped).
        algorithm: String,
    },
    /// HMACOutputLength (signature truncation) is not accepted.
    #[error("HMACOutputLength (signature truncation) is not accepted")]
    HmacOutputLength,
    /// SignedInfo has `count` References; exactly one is allowed.
    #[error("SignedInfo has {count} References; exactly one is allowed")]
    ReferenceCount {
        /// How many there were.
        count: usize,
    },
    /// Reference URI `found` does not point at the signed element (expected `expected`)
    #[error("Reference URI {found:?} does not point at the signed element (expected {expected:?})")]
    ReferenceUri {
        /// What was required.
        expected: String,
        /// What the message carried (clipped).
        found: String,
    },
    /// Transform `algorithm` is not allowed.
    #[error("transform {algorithm:?} is not allowed")]
    UnsupportedTransform {
        /// The algorithm URI (clipped).
        algorithm: String,
    },
    #[error(
        "transforms must be enveloped-signature, then optionally one canonicalization: {reason}"
    )]
    /// Transform chain.
    TransformChain {
        /// Why, in words.
        reason: &'static str,
    },
    /// InclusiveNamespaces PrefixList is `bytes` bytes, over the limit of `limit`.
    #[error("InclusiveNamespaces PrefixList is {bytes} bytes, over the limit of {limit}")]
    PrefixListTooLong {
        /// The size, in bytes.
        bytes: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// InclusiveNamespaces PrefixList names `count` prefixes, over the limit of `limit`.
    #[error("InclusiveNamespaces PrefixList names {count} prefixes, over the limit of {limit}")]
    PrefixListTooManyNames {
        /// How many there were.
        count: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// KeyInfo child `element` is not accepted (keys come only from configuration)
    #[error("KeyInfo child {element:?} is not accepted (keys come only from configuration)")]
    UnsupportedKeyInfo {
        /// The element concerned.
        element: String,
    },
    /// `field` is not valid base64.
    #[error("{field} is not valid base64")]
    Base64 {
        /// Which field.
        field: &'static str,
    },
    /// Digest of the signed element does not match its DigestValue.
    #[error("digest of the signed element does not match its DigestValue")]
    DigestMismatch,
    /// No trusted key verifies the signature value.
    #[error("no trusted key verifies the signature value")]
    SignatureInvalid,
    /// The signature does not verify with any trusted key, and its KeyInfo
    /// names only certificates that are not trusted: the IdP may have rotated
    /// its signing key (refresh its metadata), or the certificate is forged.
    #[error(
        "signed with a key that is not trusted (KeyInfo names a certificate none of the \
         trusted keys match)"
    )]
    UntrustedKey,
    /// No trusted key of the type the signature algorithm needs.
    #[error("no trusted key of the type the signature algorithm needs")]
    NoKeyForAlgorithm,
    /// No trusted keys configured; refusing to verify (never 'no key, so no check')
    #[error("no trusted keys configured; refusing to verify (never 'no key, so no check')")]
    NoTrustedKeys,
}

/// Why a key or certificate cannot be trusted for verification.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Certificate or key could not be decoded.
    #[error("certificate or key could not be decoded")]
    Decode,
    /// RSA key of `bits` bits is below the 2048-bit minimum.
    #[error("RSA key of {bits} bits is below the 2048-bit minimum")]
    WeakRsaKey {
        /// The key size, in bits.
        bits: u32,
    },
    /// Elliptic curve is not P-256 or P-384.
    #[error("elliptic curve is not P-256 or P-384")]
    UnsupportedCurve,
    /// Key type is neither RSA nor EC.
    #[error("key type is neither RSA nor EC")]
    UnsupportedKeyType,
    /// More than `limit` trusted keys.
    #[error("more than {limit} trusted keys")]
    TooManyKeys {
        /// The limit that was exceeded.
        limit: usize,
    },
}
