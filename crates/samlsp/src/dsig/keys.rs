//! Trusted verification keys: the only keys a signature can be checked against.

use std::fmt;
use std::sync::Arc;

use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::x509::X509;

use super::KeyError;
use super::rsa_contexts::RsaContexts;

/// Upper bound on trusted keys per IdP. Rollover needs two or three; the bound
/// caps the work of trying each key when `KeyInfo` gives no usable hint.
pub const MAX_TRUSTED_KEYS: usize = 16;

/// Minimum RSA modulus (NIST SP 800-131A: 2048 bits since 2014).
pub const MIN_RSA_BITS: u32 = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa,
    /// EC with the byte length of one coordinate (32 for P-256, 48 for P-384).
    Ec {
        field_bytes: usize,
    },
}

/// One trusted public key, optionally with the certificate it came from.
#[derive(Clone)]
pub struct TrustedKey {
    pub(crate) public: PKey<Public>,
    pub(crate) kind: KeyKind,
    pub(crate) cert_der: Option<Vec<u8>>,
    /// Initialized verification contexts of this key (RSA only), shared by
    /// its clones: the same key.
    pub(crate) contexts: Arc<RsaContexts>,
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKey")
            .field("kind", &self.kind)
            .field("has_certificate", &self.cert_der.is_some())
            .finish()
    }
}

impl TrustedKey {
    /// From a PEM certificate. Only its public key is used; validity dates and
    /// chains are irrelevant for SAML metadata keys (SAML V2.0 Metadata
    /// Interoperability Profile §2.6.1).
    pub fn from_certificate_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let cert = X509::from_pem(pem).map_err(|_| KeyError::Decode)?;
        Self::from_x509(&cert)
    }

    /// From a DER certificate (the content of `ds:X509Certificate`).
    pub fn from_certificate_der(der: &[u8]) -> Result<Self, KeyError> {
        let cert = X509::from_der(der).map_err(|_| KeyError::Decode)?;
        Self::from_x509(&cert)
    }

    /// From a PEM `SubjectPublicKeyInfo` public key.
    pub fn from_public_key_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let public = PKey::public_key_from_pem(pem).map_err(|_| KeyError::Decode)?;
        let kind = classify(&public)?;
        Ok(TrustedKey {
            public,
            kind,
            cert_der: None,
            contexts: Arc::new(RsaContexts::new()),
        })
    }

    fn from_x509(cert: &X509) -> Result<Self, KeyError> {
        let public = cert.public_key().map_err(|_| KeyError::Decode)?;
        let kind = classify(&public)?;
        let der = cert.to_der().map_err(|_| KeyError::Decode)?;
        Ok(TrustedKey {
            public,
            kind,
            cert_der: Some(der),
            contexts: Arc::new(RsaContexts::new()),
        })
    }

    /// DER of the certificate, when the key came from one.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.cert_der.as_deref()
    }
}

fn classify(key: &PKey<Public>) -> Result<KeyKind, KeyError> {
    match key.id() {
        Id::RSA => {
            let bits = key.bits();
            if bits < MIN_RSA_BITS {
                return Err(KeyError::WeakRsaKey { bits });
            }
            Ok(KeyKind::Rsa)
        }
        Id::EC => {
            let ec = key.ec_key().map_err(|_| KeyError::Decode)?;
            match ec.group().curve_name() {
                Some(Nid::X9_62_PRIME256V1) => Ok(KeyKind::Ec { field_bytes: 32 }),
                Some(Nid::SECP384R1) => Ok(KeyKind::Ec { field_bytes: 48 }),
                _ => Err(KeyError::UnsupportedCurve),
            }
        }
        _ => Err(KeyError::UnsupportedKeyType),
    }
}

/// The set of keys a signature may verify with (one IdP's signing keys).
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    pub(crate) keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// A set of keys (at most 16, `MAX_TRUSTED_KEYS`).
    pub fn new(keys: Vec<TrustedKey>) -> Result<Self, KeyError> {
        if keys.len() > MAX_TRUSTED_KEYS {
            return Err(KeyError::TooManyKeys {
                limit: MAX_TRUSTED_KEYS,
            });
        }
        Ok(TrustedKeys { keys })
    }

    /// One PEM certificate.
    pub fn from_certificate_pem(pem: &[u8]) -> Result<Self, KeyError> {
        Self::new(vec![TrustedKey::from_certificate_pem(pem)?])
    }

    /// The keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// True when empty (verification then always fails).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
