//! The allow-listed algorithms, by URI (XML-DSig 1.1 §6, RFC 6931).

use std::sync::OnceLock;

use openssl::hash::MessageDigest;
use openssl::md::{Md, MdRef};

use super::DsigError;

/// A signature algorithm this crate can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-256.
    RsaSha256,
    /// RSA PKCS#1 v1.5 with SHA-384.
    RsaSha384,
    /// RSA PKCS#1 v1.5 with SHA-512.
    RsaSha512,
    /// ECDSA with SHA-256.
    EcdsaSha256,
    /// ECDSA with SHA-384.
    EcdsaSha384,
    /// ECDSA with SHA-512.
    EcdsaSha512,
    /// Only under [`crate::danger`].
    RsaSha1,
    /// Only under [`crate::danger`].
    EcdsaSha1,
    /// Only under [`crate::danger`], with a configured secret.
    HmacSha256,
    /// Only under [`crate::danger`], with a configured secret.
    HmacSha1,
}

pub(crate) const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub(crate) const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
pub(crate) const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
pub(crate) const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
pub(crate) const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
pub(crate) const ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
pub(crate) const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub(crate) const ECDSA_SHA1: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1";
pub(crate) const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
pub(crate) const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";

pub(crate) const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub(crate) const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
pub(crate) const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
pub(crate) const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

pub(crate) const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

impl SignatureAlgorithm {
    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha256 => RSA_SHA256,
            Self::RsaSha384 => RSA_SHA384,
            Self::RsaSha512 => RSA_SHA512,
            Self::EcdsaSha256 => ECDSA_SHA256,
            Self::EcdsaSha384 => ECDSA_SHA384,
            Self::EcdsaSha512 => ECDSA_SHA512,
            Self::RsaSha1 => RSA_SHA1,
            Self::EcdsaSha1 => ECDSA_SHA1,
            Self::HmacSha256 => HMAC_SHA256,
            Self::HmacSha1 => HMAC_SHA1,
        }
    }

    pub(crate) fn from_uri(uri: &str) -> Result<Self, DsigError> {
        Ok(match uri {
            RSA_SHA256 => Self::RsaSha256,
            RSA_SHA384 => Self::RsaSha384,
            RSA_SHA512 => Self::RsaSha512,
            ECDSA_SHA256 => Self::EcdsaSha256,
            ECDSA_SHA384 => Self::EcdsaSha384,
            ECDSA_SHA512 => Self::EcdsaSha512,
            RSA_SHA1 => Self::RsaSha1,
            ECDSA_SHA1 => Self::EcdsaSha1,
            HMAC_SHA1 => Self::HmacSha1,
            HMAC_SHA256 => Self::HmacSha256,
            other => {
                return Err(DsigError::UnsupportedSignatureAlgorithm {
                    algorithm: truncate(other),
                });
            }
        })
    }

    pub(crate) fn message_digest(self) -> MessageDigest {
        match self {
            Self::RsaSha256 | Self::EcdsaSha256 | Self::HmacSha256 => MessageDigest::sha256(),
            Self::RsaSha384 | Self::EcdsaSha384 => MessageDigest::sha384(),
            Self::RsaSha512 | Self::EcdsaSha512 => MessageDigest::sha512(),
            Self::RsaSha1 | Self::EcdsaSha1 | Self::HmacSha1 => MessageDigest::sha1(),
        }
    }

    pub(crate) fn is_sha1(self) -> bool {
        matches!(self, Self::RsaSha1 | Self::EcdsaSha1 | Self::HmacSha1)
    }

    pub(crate) fn is_hmac(self) -> bool {
        matches!(self, Self::HmacSha1 | Self::HmacSha256)
    }
}

/// A reference digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// Only under [`crate::danger`].
    Sha1,
}

impl DigestAlgorithm {
    /// The algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha256 => SHA256,
            Self::Sha384 => SHA384,
            Self::Sha512 => SHA512,
            Self::Sha1 => SHA1,
        }
    }

    pub(crate) fn from_uri(uri: &str) -> Result<Self, DsigError> {
        Ok(match uri {
            SHA256 => Self::Sha256,
            SHA384 => Self::Sha384,
            SHA512 => Self::Sha512,
            SHA1 => Self::Sha1,
            other => {
                return Err(DsigError::UnsupportedDigestAlgorithm {
                    algorithm: truncate(other),
                });
            }
        })
    }

    /// The OpenSSL digest, fetched from the provider once per process.
    pub(crate) fn md(self) -> &'static MdRef {
        match self {
            Self::Sha256 => fetched(&MD_SHA256, "SHA2-256", Md::sha256),
            Self::Sha384 => fetched(&MD_SHA384, "SHA2-384", Md::sha384),
            Self::Sha512 => fetched(&MD_SHA512, "SHA2-512", Md::sha512),
            Self::Sha1 => fetched(&MD_SHA1, "SHA1", Md::sha1),
        }
    }
}

impl SignatureAlgorithm {
    /// [`DigestAlgorithm::md`] of the algorithm's digest.
    pub(crate) fn md(self) -> &'static MdRef {
        match self {
            Self::RsaSha256 | Self::EcdsaSha256 | Self::HmacSha256 => DigestAlgorithm::Sha256.md(),
            Self::RsaSha384 | Self::EcdsaSha384 => DigestAlgorithm::Sha384.md(),
            Self::RsaSha512 | Self::EcdsaSha512 => DigestAlgorithm::Sha512.md(),
            Self::RsaSha1 | Self::EcdsaSha1 | Self::HmacSha1 => DigestAlgorithm::Sha1.md(),
        }
    }
}

// OpenSSL 3 looks a digest up in its provider store ("implicit fetch") each
// time a context is initialized with the legacy `EVP_sha256()` object; an
// explicitly fetched `EVP_MD` skips that lookup (OpenSSL 3.0 migration guide,
// "Fetching algorithms"). The fetched objects are immutable and thread-safe.
static MD_SHA256: OnceLock<Option<Md>> = OnceLock::new();
static MD_SHA384: OnceLock<Option<Md>> = OnceLock::new();
static MD_SHA512: OnceLock<Option<Md>> = OnceLock::new();
static MD_SHA1: OnceLock<Option<Md>> = OnceLock::new();

/// The fetched digest, or the legacy object if the fetch failed (it then
/// works as before, with the implicit fetch).
fn fetched(
    cell: &'static OnceLock<Option<Md>>,
    name: &str,
    legacy: fn() -> &'static MdRef,
) -> &'static MdRef {
    match cell.get_or_init(|| Md::fetch(None, name, None).ok()) {
        Some(md) => md,
        None => legacy(),
    }
}

/// Which algorithms verification accepts. The default is strict: SHA-256 and
/// up, RSA or ECDSA; see [`crate::danger`] for the relaxations.
#[derive(Clone, Default)]
pub struct AlgorithmPolicy {
    pub(crate) allow_sha1: bool,
    pub(crate) hmac_secret: Option<zeroizing::Secret>,
}

impl std::fmt::Debug for AlgorithmPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlgorithmPolicy")
            .field("allow_sha1", &self.allow_sha1)
            .field(
                "hmac_secret",
                &self.hmac_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl AlgorithmPolicy {
    /// The strict default.
    pub fn strict() -> Self {
        Self::default()
    }

    pub(crate) fn check_signature(&self, alg: SignatureAlgorithm) -> Result<(), DsigError> {
        let disabled =
            (alg.is_sha1() && !self.allow_sha1) || (alg.is_hmac() && self.hmac_secret.is_none());
        if disabled {
            return Err(DsigError::DisabledAlgorithm {
                algorithm: alg.uri().to_owned(),
            });
        }
        Ok(())
    }

    pub(crate) fn check_digest(&self, alg: DigestAlgorithm) -> Result<(), DsigError> {
        if alg == DigestAlgorithm::Sha1 && !self.allow_sha1 {
            return Err(DsigError::DisabledAlgorithm {
                algorithm: alg.uri().to_owned(),
            });
        }
        Ok(())
    }
}

pub(crate) mod zeroizing {
    /// A secret that is wiped when dropped and never printed.
    #[derive(Clone)]
    pub struct Secret(Vec<u8>);

    impl Secret {
        pub fn new(bytes: Vec<u8>) -> Self {
            Secret(bytes)
        }
        pub fn expose(&self) -> &[u8] {
            &self.0
        }
    }

    impl Drop for Secret {
        fn drop(&mut self) {
            for b in self.0.iter_mut() {
                // Volatile-free best effort; openssl_cleanse would need unsafe-free FFI.
                *b = 0;
            }
            std::hint::black_box(&self.0);
        }
    }
}

/// Algorithm URIs in errors are attacker-chosen: keep them short.
pub(crate) fn truncate(s: &str) -> String {
    s.chars().take(128).collect()
}
