use thiserror::Error;

/// Why a signature was not accepted. Each rejection rule has its own variant so
/// that callers and tests can match on the exact reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DsigError {
    #[error("the element carries no ds:Signature")]
    NoSignature,
    #[error("the element carries {count} ds:Signature children; exactly one is allowed")]
    MultipleSignatures { count: usize },
    #[error("the signed element has no ID attribute")]
    MissingId,
    #[error("ID {id:?} appears on more than one element")]
    DuplicateId { id: String },
    #[error("malformed signature: {reason}")]
    Structure { reason: &'static str },
    #[error("canonicalization method {algorithm:?} is not supported")]
    UnsupportedCanonicalization { algorithm: String },
    #[error("signature algorithm {algorithm:?} is not supported")]
    UnsupportedSignatureAlgorithm { algorithm: String },
    #[error("digest algorithm {algorithm:?} is not supported")]
    UnsupportedDigestAlgorithm { algorithm: String },
    #[error("algorithm {algorithm:?} is disabled by policy (SHA-1 and HMAC need a danger opt-in)")]
    DisabledAlgorithm { algorithm: String },
    #[error("HMACOutputLength (signature truncation) is not accepted")]
    HmacOutputLength,
    #[error("SignedInfo has {count} References; exactly one is allowed")]
    ReferenceCount { count: usize },
    #[error("Reference URI {found:?} does not point at the signed element (expected {expected:?})")]
    ReferenceUri { expected: String, found: String },
    #[error("transform {algorithm:?} is not allowed")]
    UnsupportedTransform { algorithm: String },
    #[error(
        "transforms must be enveloped-signature, then optionally one canonicalization: {reason}"
    )]
    TransformChain { reason: &'static str },
    #[error("InclusiveNamespaces PrefixList is {bytes} bytes, over the limit of {limit}")]
    PrefixListTooLong { bytes: usize, limit: usize },
    #[error("InclusiveNamespaces PrefixList names {count} prefixes, over the limit of {limit}")]
    PrefixListTooManyNames { count: usize, limit: usize },
    #[error("KeyInfo child {element:?} is not accepted (keys come only from configuration)")]
    UnsupportedKeyInfo { element: String },
    #[error("{field} is not valid base64")]
    Base64 { field: &'static str },
    #[error("digest of the signed element does not match its DigestValue")]
    DigestMismatch,
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
    #[error("no trusted key of the type the signature algorithm needs")]
    NoKeyForAlgorithm,
    #[error("no trusted keys configured; refusing to verify (never 'no key, so no check')")]
    NoTrustedKeys,
}

/// Why a key or certificate cannot be trusted for verification.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("certificate or key could not be decoded")]
    Decode,
    #[error("RSA key of {bits} bits is below the 2048-bit minimum")]
    WeakRsaKey { bits: u32 },
    #[error("elliptic curve is not P-256 or P-384")]
    UnsupportedCurve,
    #[error("key type is neither RSA nor EC")]
    UnsupportedKeyType,
    #[error("more than {limit} trusted keys")]
    TooManyKeys { limit: usize },
}
