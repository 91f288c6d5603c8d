//! XML Encryption 1.1 decryption of `saml:EncryptedAssertion` (SAML Core §2.3.4,
//! §6): an `xenc:EncryptedKey` (RSA-OAEP key transport) unwraps a content key
//! that decrypts an `xenc:EncryptedData` (AES-GCM, or AES-CBC).
//!
//! Accepted, by URI:
//! - key transport: `rsa-oaep-mgf1p` and `xmlenc11#rsa-oaep` with digest SHA-1,
//!   SHA-224, SHA-256, SHA-384 or SHA-512 and MGF1 with any of those;
//!   `rsa-1_5` only with [`crate::danger::DangerousDecryption::danger_allow_rsa_1_5`];
//! - content: `aes128-gcm`, `aes192-gcm`, `aes256-gcm`; `aes128-cbc`,
//!   `aes192-cbc`, `aes256-cbc` only when the caller says a verified signature
//!   covers the encrypted element (unsigned CBC is a padding and plaintext
//!   oracle: Jager and Somorovsky, "How to Break XML Encryption", CCS 2011);
//!   `tripledes-cbc` additionally needs [`crate::danger::DangerousDecryption::danger_allow_triple_des`].
//!
//! Which SP key unwraps which `EncryptedKey`: the `ds:KeyInfo` of each
//! EncryptedKey is read for identifiers of the recipient key (XML Encryption
//! §3.5.1, XML Signature §4.5): `X509Certificate`, `X509IssuerSerial` (by
//! serial number: issuer names have several string forms, and the serial
//! only has to choose among this SP's few keys), `X509SKI`, dsig11
//! `X509Digest`, and an `RSAKeyValue` modulus. An EncryptedKey that names a
//! key is tried only with the SP keys it names; one that names none of ours
//! is skipped. When no EncryptedKey names anything checkable (no KeyInfo, or
//! only a `KeyName`, which is free text), each SP key is tried against the
//! *first* EncryptedKey only: trying every key against every EncryptedKey
//! would let an anonymous sender buy
//! [`MAX_ENCRYPTED_KEYS`] x [`MAX_DECRYPTION_KEYS`] RSA private-key
//! operations before any signature is checked, and an IdP that encrypts to
//! several recipients names them. Either way each SP key does at most one
//! RSA operation per encrypted element.
//!
//! Everything visible before any decryption (structure, algorithm URIs) is
//! reported precisely; everything after (key unwrap, key length, tag, padding)
//! is the one error [`DecryptionError::Failed`]. RSA PKCS#1 v1.5 uses implicit
//! rejection: a failed unwrap continues with a random key, so it fails exactly
//! like a wrong ciphertext (RFC 3218 §2.3.2).

use openssl::md::{Md, MdRef};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::symm::{Cipher, Crypter, Mode, decrypt_aead};

use crate::dsig::{DSIG_NS, SignedElement};
use crate::error::DecryptionError;
use crate::keys::SpKeyPair;
use crate::util::decode_base64_lenient;
use crate::xml::ElementRef;

/// XML Encryption 1.0 namespace.
pub const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
/// XML Encryption 1.1 namespace.
pub const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";
/// `EncryptedData/@Type` for an encrypted element.
pub const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";

/// Key transport URIs.
pub const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/// XML Encryption 1.1 RSA-OAEP (digest and MGF as parameters).
pub const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
/// RSA PKCS#1 v1.5 key transport (danger only).
pub const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";

/// Block cipher URIs.
pub const AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
/// AES-192-GCM.
pub const AES192_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes192-gcm";
/// AES-256-GCM.
pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
/// AES-128-CBC.
pub const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
/// AES-192-CBC.
pub const AES192_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes192-cbc";
/// AES-256-CBC.
pub const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
/// Triple DES CBC (danger only).
pub const TRIPLEDES_CBC: &str = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";

const SHA1_URI: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA224_URI: &str = "http://www.w3.org/2001/04/xmldsig-more#sha224";
const SHA256_URI: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA384_URI: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
const SHA512_URI: &str = "http://www.w3.org/2001/04/xmlenc#sha512";

/// Most SP decryption keys tried (current, next, two retired).
pub const MAX_DECRYPTION_KEYS: usize = 4;
/// Most `EncryptedKey` elements read: one per SP key the IdP encrypted to
/// (current and next) plus headroom. RSA operations are bounded separately,
/// by one per SP key (see the module doc).
pub const MAX_ENCRYPTED_KEYS: usize = 4;
/// Most recipient identifiers read from one EncryptedKey's KeyInfo: a
/// certificate chain of three plus its issuer/serial, SKI and digest forms.
/// Each is compared with every SP key, so the count bounds that work.
pub const MAX_KEY_IDENTIFIERS: usize = 8;

/// XML Signature 1.1 namespace (`dsig11:X509Digest`).
const DSIG11_NS: &str = "http://www.w3.org/2009/xmldsig11#";

#[cfg(test)]
thread_local! {
    /// RSA private-key operations done by this thread (tests count them).
    static RSA_OPERATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Which encryption algorithms are accepted. The default is strict; see
/// [`crate::danger::DangerousDecryption`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecryptionPolicy {
    allow_rsa_1_5: bool,
    allow_triple_des: bool,
}

impl DecryptionPolicy {
    /// RSA-OAEP; AES-GCM; AES-CBC under a covering signature.
    pub fn strict() -> Self {
        Self::default()
    }

    /// Behind [`crate::danger::DangerousDecryption::danger_allow_rsa_1_5`].
    pub(crate) fn allowing_rsa_1_5(mut self) -> Self {
        self.allow_rsa_1_5 = true;
        self
    }

    /// Behind [`crate::danger::DangerousDecryption::danger_allow_triple_des`].
    pub(crate) fn allowing_triple_des(mut self) -> Self {
        self.allow_triple_des = true;
        self
    }
}

/// An encrypted element to decrypt, and whether a verified signature covers
/// it. The covered case can only be built from a [`SignedElement`], which
/// only signature verification makes, so no caller can claim a cover it does
/// not hold.
#[derive(Debug, Clone, Copy)]
pub enum Ciphertext<'d> {
    /// Covered by a signature that verified: the signed element itself.
    Signed(SignedElement<'d>),
    /// Not covered by any signature: only authenticated encryption
    /// (AES-GCM) is decrypted.
    Unsigned(ElementRef<'d>),
}

/// A content-encryption algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockAlgorithm {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-192-GCM.
    Aes192Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// AES-128-CBC.
    Aes128Cbc,
    /// AES-192-CBC.
    Aes192Cbc,
    /// AES-256-CBC.
    Aes256Cbc,
    /// Triple DES CBC.
    TripleDesCbc,
}

impl BlockAlgorithm {
    /// From a URI, under `policy`.
    fn from_uri(uri: &str, policy: &DecryptionPolicy) -> Result<Self, DecryptionError> {
        let alg = match uri {
            AES128_GCM => Self::Aes128Gcm,
            AES192_GCM => Self::Aes192Gcm,
            AES256_GCM => Self::Aes256Gcm,
            AES128_CBC => Self::Aes128Cbc,
            AES192_CBC => Self::Aes192Cbc,
            AES256_CBC => Self::Aes256Cbc,
            TRIPLEDES_CBC if policy.allow_triple_des => Self::TripleDesCbc,
            TRIPLEDES_CBC => {
                return Err(DecryptionError::DisabledAlgorithm {
                    uri: uri.to_owned(),
                });
            }
            other => {
                return Err(DecryptionError::UnsupportedAlgorithm {
                    uri: crate::error::clip(other),
                });
            }
        };
        Ok(alg)
    }

    /// True for CBC modes (malleable: only under a signature).
    pub fn is_cbc(self) -> bool {
        !matches!(self, Self::Aes128Gcm | Self::Aes192Gcm | Self::Aes256Gcm)
    }

    fn cipher(self) -> Cipher {
        match self {
            Self::Aes128Gcm => Cipher::aes_128_gcm(),
            Self::Aes192Gcm => Cipher::aes_192_gcm(),
            Self::Aes256Gcm => Cipher::aes_256_gcm(),
            Self::Aes128Cbc => Cipher::aes_128_cbc(),
            Self::Aes192Cbc => Cipher::aes_192_cbc(),
            Self::Aes256Cbc => Cipher::aes_256_cbc(),
            Self::TripleDesCbc => Cipher::des_ede3_cbc(),
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes128Cbc => 16,
            Self::Aes192Gcm | Self::Aes192Cbc | Self::TripleDesCbc => 24,
            Self::Aes256Gcm | Self::Aes256Cbc => 32,
        }
    }
}

/// A key-transport algorithm with its parameters.
#[derive(Clone, Copy)]
enum KeyTransport {
    Oaep {
        digest: &'static MdRef,
        mgf1: &'static MdRef,
    },
    Pkcs1v15,
}

fn digest_of(uri: &str) -> Result<&'static MdRef, DecryptionError> {
    Ok(match uri {
        SHA1_URI => Md::sha1(),
        SHA224_URI => Md::sha224(),
        SHA256_URI => Md::sha256(),
        SHA384_URI => Md::sha384(),
        SHA512_URI => Md::sha512(),
        other => {
            return Err(DecryptionError::UnsupportedAlgorithm {
                uri: crate::error::clip(other),
            });
        }
    })
}

fn mgf_of(uri: &str) -> Result<&'static MdRef, DecryptionError> {
    let suffix = uri
        .strip_prefix("http://www.w3.org/2009/xmlenc11#mgf1")
        .ok_or_else(|| DecryptionError::UnsupportedAlgorithm {
            uri: crate::error::clip(uri),
        })?;
    Ok(match suffix {
        "sha1" => Md::sha1(),
        "sha224" => Md::sha224(),
        "sha256" => Md::sha256(),
        "sha384" => Md::sha384(),
        "sha512" => Md::sha512(),
        _ => {
            return Err(DecryptionError::UnsupportedAlgorithm {
                uri: crate::error::clip(uri),
            });
        }
    })
}

fn structure(reason: &'static str) -> DecryptionError {
    DecryptionError::Structure(reason)
}

fn required_alg<'d>(el: ElementRef<'d>) -> Result<&'d str, DecryptionError> {
    el.attr("Algorithm")
        .ok_or(structure("EncryptionMethod without Algorithm"))
}

fn cipher_value(cipher_data: ElementRef<'_>) -> Result<Vec<u8>, DecryptionError> {
    let mut children = cipher_data.children();
    let value = match (children.next(), children.next()) {
        (Some(v), None) if v.is(XENC_NS, "CipherValue") => v,
        (Some(r), None) if r.is(XENC_NS, "CipherReference") => {
            return Err(structure("CipherReference is not supported"));
        }
        _ => return Err(structure("CipherData must hold one CipherValue")),
    };
    let text = value
        .text()
        .ok_or(structure("CipherValue has element content"))?;
    decode_base64_lenient(&text).ok_or(structure("CipherValue is not base64"))
}

/// One parsed `xenc:EncryptedKey`.
struct EncryptedKey {
    transport: KeyTransport,
    label: Option<Vec<u8>>,
    value: Vec<u8>,
    /// Identifiers of the recipient key from its KeyInfo; empty when it
    /// names nothing checkable.
    recipient: Vec<KeyIdentifier>,
}

/// One way a KeyInfo names the key an EncryptedKey was encrypted to.
#[derive(Clone)]
enum KeyIdentifier {
    /// `X509Certificate`: the certificate, DER.
    Certificate(Vec<u8>),
    /// `X509IssuerSerial`: the serial number, decimal.
    Serial(String),
    /// `X509SKI`: the subject key identifier.
    Ski(Vec<u8>),
    /// `dsig11:X509Digest`: a digest of the certificate.
    Digest(&'static MdRef, Vec<u8>),
    /// `RSAKeyValue`: the modulus, without leading zero octets.
    Modulus(Vec<u8>),
}

impl KeyIdentifier {
    fn matches(&self, key: &SpKeyPair) -> bool {
        let cert = key.certificate();
        match self {
            Self::Certificate(der) => der.as_slice() == key.certificate_der(),
            Self::Serial(dec) => cert
                .serial_number()
                .to_bn()
                .and_then(|bn| bn.to_dec_str())
                .is_ok_and(|s| s.to_string() == *dec),
            Self::Ski(ski) => cert
                .subject_key_id()
                .is_some_and(|id| id.as_slice() == ski.as_slice()),
            Self::Digest(md, value) => openssl::md_ctx::MdCtx::new()
                .and_then(|mut ctx| {
                    ctx.digest_init(md)?;
                    ctx.digest_update(key.certificate_der())?;
                    let mut out = vec![0u8; md.size()];
                    ctx.digest_final(&mut out)?;
                    Ok(out)
                })
                .is_ok_and(|d| d == *value),
            Self::Modulus(n) => key
                .private_key()
                .rsa()
                .is_ok_and(|rsa| rsa.n().to_vec() == *n),
        }
    }
}

fn b64_text(el: ElementRef<'_>, what: &'static str) -> Result<Vec<u8>, DecryptionError> {
    el.text_cow()
        .and_then(|t| decode_base64_lenient(&t))
        .ok_or(structure(what))
}

/// Reads the recipient identifiers of an EncryptedKey's KeyInfo (XML
/// Signature §4.5). Unknown children, `KeyName` and `RetrievalMethod` name
/// nothing checkable and are skipped.
fn read_recipient(key_info: ElementRef<'_>) -> Result<Vec<KeyIdentifier>, DecryptionError> {
    let mut ids = Vec::new();
    let mut push = |id: KeyIdentifier| {
        if ids.len() == MAX_KEY_IDENTIFIERS {
            return Err(structure(
                "too many key identifiers in an EncryptedKey's KeyInfo",
            ));
        }
        ids.push(id);
        Ok(())
    };
    for child in key_info.children() {
        match (child.namespace(), child.local_name()) {
            (Some(DSIG_NS), "X509Data") => {
                for d in child.children() {
                    match (d.namespace(), d.local_name()) {
                        (Some(DSIG_NS), "X509Certificate") => push(KeyIdentifier::Certificate(
                            b64_text(d, "X509Certificate is not base64")?,
                        ))?,
                        (Some(DSIG_NS), "X509SKI") => {
                            push(KeyIdentifier::Ski(b64_text(d, "X509SKI is not base64")?))?
                        }
                        (Some(DSIG_NS), "X509IssuerSerial") => {
                            let serial = d
                                .children_named(DSIG_NS, "X509SerialNumber")
                                .next()
                                .and_then(|n| n.text())
                                .map(|t| t.trim().trim_start_matches('0').to_owned())
                                .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
                                .ok_or(structure("X509SerialNumber is not a decimal integer"))?;
                            let serial = if serial.is_empty() {
                                "0".to_owned()
                            } else {
                                serial
                            };
                            push(KeyIdentifier::Serial(serial))?;
                        }
                        (Some(DSIG11_NS), "X509Digest") => {
                            let md = digest_of(required_alg(d)?)?;
                            push(KeyIdentifier::Digest(
                                md,
                                b64_text(d, "X509Digest is not base64")?,
                            ))?;
                        }
                        _ => {}
                    }
                }
            }
            (Some(DSIG_NS), "KeyValue") => {
                let modulus = child
                    .children_named(DSIG_NS, "RSAKeyValue")
                    .next()
                    .and_then(|r| r.children_named(DSIG_NS, "Modulus").next());
                if let Some(m) = modulus {
                    let n = b64_text(m, "Modulus is not base64")?;
                    let start = n.iter().position(|&b| b != 0).unwrap_or(n.len());
                    push(KeyIdentifier::Modulus(
                        n.get(start..).unwrap_or_default().to_vec(),
                    ))?;
                }
            }
            _ => {}
        }
    }
    Ok(ids)
}

/// Which (EncryptedKey, SP key) pairs to try, by index: each SP key at most
/// once. EncryptedKeys that name keys get the SP keys they name, in document
/// order; when none names anything checkable, every SP key is tried against
/// the first EncryptedKey only (see the module doc).
fn unwrap_plan(encrypted_keys: &[EncryptedKey], keys: &[SpKeyPair]) -> Vec<(usize, usize)> {
    let keys = keys.get(..MAX_DECRYPTION_KEYS).unwrap_or(keys);
    let mut used = [false; MAX_DECRYPTION_KEYS];
    let mut plan = Vec::new();
    let any_named = encrypted_keys.iter().any(|ek| !ek.recipient.is_empty());
    if any_named {
        for (e, ek) in encrypted_keys.iter().enumerate() {
            for (k, key) in keys.iter().enumerate() {
                let free = used.get(k).is_some_and(|u| !u);
                if free && ek.recipient.iter().any(|id| id.matches(key)) {
                    if let Some(u) = used.get_mut(k) {
                        *u = true;
                    }
                    plan.push((e, k));
                }
            }
        }
    } else if !encrypted_keys.is_empty() {
        plan.extend((0..keys.len()).map(|k| (0, k)));
    }
    plan
}

fn read_encrypted_key(
    ek: ElementRef<'_>,
    policy: &DecryptionPolicy,
) -> Result<EncryptedKey, DecryptionError> {
    if ek.has_non_whitespace_text() {
        return Err(structure("character data in EncryptedKey"));
    }
    let mut method = None;
    let mut key_info = None;
    let mut cipher_data = None;
    for child in ek.children() {
        match (child.namespace(), child.local_name()) {
            (Some(XENC_NS), "EncryptionMethod") if method.is_none() && cipher_data.is_none() => {
                method = Some(child);
            }
            // KeyInfo names the SP key the content key was encrypted to.
            (Some(DSIG_NS), "KeyInfo") if key_info.is_none() && cipher_data.is_none() => {
                key_info = Some(child);
            }
            (Some(XENC_NS), "CipherData") if cipher_data.is_none() => cipher_data = Some(child),
            (Some(XENC_NS), "EncryptionProperties" | "ReferenceList" | "CarriedKeyName")
                if cipher_data.is_some() => {}
            _ => return Err(structure("unexpected element in EncryptedKey")),
        }
    }
    let method = method.ok_or(structure("EncryptedKey without EncryptionMethod"))?;
    let cipher_data = cipher_data.ok_or(structure("EncryptedKey without CipherData"))?;
    let uri = required_alg(method)?;
    let mut digest = Md::sha1();
    let mut mgf1 = Md::sha1();
    let mut label = None;
    for p in method.children() {
        match (p.namespace(), p.local_name()) {
            (Some(DSIG_NS), "DigestMethod") => digest = digest_of(required_alg(p)?)?,
            (Some(XENC11_NS), "MGF") if uri == RSA_OAEP => mgf1 = mgf_of(required_alg(p)?)?,
            (Some(XENC_NS), "OAEPparams") => {
                let text = p
                    .text()
                    .ok_or(structure("OAEPparams has element content"))?;
                label = Some(
                    decode_base64_lenient(&text).ok_or(structure("OAEPparams is not base64"))?,
                );
            }
            (Some(XENC_NS), "KeySize") => {}
            _ => {
                return Err(structure(
                    "unexpected parameter of the key transport method",
                ));
            }
        }
    }
    let transport = match uri {
        RSA_OAEP_MGF1P | RSA_OAEP => KeyTransport::Oaep { digest, mgf1 },
        RSA_1_5 if policy.allow_rsa_1_5 => KeyTransport::Pkcs1v15,
        RSA_1_5 => {
            return Err(DecryptionError::DisabledAlgorithm {
                uri: RSA_1_5.to_owned(),
            });
        }
        other => {
            return Err(DecryptionError::UnsupportedAlgorithm {
                uri: crate::error::clip(other),
            });
        }
    };
    let recipient = match key_info {
        Some(ki) => read_recipient(ki)?,
        None => Vec::new(),
    };
    Ok(EncryptedKey {
        transport,
        label,
        value: cipher_value(cipher_data)?,
        recipient,
    })
}

/// Decrypts an encrypted element (`saml:EncryptedAssertion`, and later
/// `EncryptedID`/`EncryptedAttribute`: SAML Core §2.2.4 `EncryptedElementType`)
/// with the SP's keys and returns the plaintext XML, to be parsed by the same
/// hardened parser as any message.
///
/// CBC content is decrypted only from [`Ciphertext::Signed`], which holds the
/// proof that a signature verified *before* this call covers the element (the
/// Response signature): CBC without integrity is a padding oracle (Jager and
/// Somorovsky, "How to Break XML Encryption", 2011).
pub fn decrypt_element(
    ciphertext: Ciphertext<'_>,
    keys: &[SpKeyPair],
    policy: &DecryptionPolicy,
) -> Result<Vec<u8>, DecryptionError> {
    let (encrypted, covered_by_signature) = match ciphertext {
        Ciphertext::Signed(proof) => (proof.element(), true),
        Ciphertext::Unsigned(element) => (element, false),
    };
    if keys.is_empty() {
        return Err(DecryptionError::NoKey);
    }
    // SAML Core §2.2.4: EncryptedData, then EncryptedKey*.
    if encrypted.has_non_whitespace_text() {
        return Err(structure("character data in the encrypted element"));
    }
    let mut children = encrypted.children();
    let data = children
        .next()
        .filter(|c| c.is(XENC_NS, "EncryptedData"))
        .ok_or(structure("the first child must be xenc:EncryptedData"))?;
    let mut key_elements = Vec::new();
    for c in children {
        if !c.is(XENC_NS, "EncryptedKey") {
            return Err(structure("only EncryptedKey may follow EncryptedData"));
        }
        key_elements.push(c);
    }

    // EncryptedData (XML Encryption §3.4): EncryptionMethod?, KeyInfo?,
    // CipherData, EncryptionProperties?.
    if let Some(t) = data.attr("Type") {
        if t != TYPE_ELEMENT {
            return Err(structure("EncryptedData Type is not Element"));
        }
    }
    if data.has_non_whitespace_text() {
        return Err(structure("character data in EncryptedData"));
    }
    let mut method = None;
    let mut key_info = None;
    let mut cipher_data = None;
    for child in data.children() {
        match (child.namespace(), child.local_name()) {
            (Some(XENC_NS), "EncryptionMethod")
                if method.is_none() && key_info.is_none() && cipher_data.is_none() =>
            {
                method = Some(child);
            }
            (Some(DSIG_NS), "KeyInfo") if key_info.is_none() && cipher_data.is_none() => {
                key_info = Some(child);
            }
            (Some(XENC_NS), "CipherData") if cipher_data.is_none() => cipher_data = Some(child),
            (Some(XENC_NS), "EncryptionProperties") if cipher_data.is_some() => {}
            _ => return Err(structure("unexpected element in EncryptedData")),
        }
    }
    let method = method.ok_or(structure("EncryptedData without EncryptionMethod"))?;
    let block = BlockAlgorithm::from_uri(required_alg(method)?, policy)?;
    for p in method.children() {
        if !p.is(XENC_NS, "KeySize") {
            return Err(structure(
                "unexpected parameter of the content encryption method",
            ));
        }
    }
    if block.is_cbc() && !covered_by_signature {
        return Err(DecryptionError::CbcWithoutSignature);
    }
    if let Some(ki) = key_info {
        let mut inner = Vec::new();
        for c in ki.children() {
            match (c.namespace(), c.local_name()) {
                (Some(XENC_NS), "EncryptedKey") => inner.push(c),
                // Pointers to the sibling EncryptedKeys (never dereferenced:
                // the siblings are used as they are) or a name.
                (Some(DSIG_NS), "RetrievalMethod" | "KeyName") => {}
                _ => return Err(structure("unexpected element in EncryptedData KeyInfo")),
            }
        }
        inner.extend(key_elements);
        key_elements = inner;
    }
    if key_elements.is_empty() {
        return Err(structure("no EncryptedKey"));
    }
    if key_elements.len() > MAX_ENCRYPTED_KEYS {
        return Err(structure("too many EncryptedKey elements"));
    }
    let encrypted_keys = key_elements
        .into_iter()
        .map(|ek| read_encrypted_key(ek, policy))
        .collect::<Result<Vec<_>, _>>()?;
    let cipher_data = cipher_data.ok_or(structure("EncryptedData without CipherData"))?;
    let ciphertext = cipher_value(cipher_data)?;

    // From here on every failure is `Failed`.
    let mut candidates = Vec::new();
    for (e, k) in unwrap_plan(&encrypted_keys, keys) {
        let (Some(ek), Some(key)) = (encrypted_keys.get(e), keys.get(k)) else {
            continue;
        };
        if let Some(cek) = unwrap_key(ek, key, block.key_len()) {
            candidates.push(cek);
        }
    }
    for cek in &candidates {
        if let Some(plain) = decrypt_content(block, cek, &ciphertext) {
            return Ok(plain);
        }
    }
    Err(DecryptionError::Failed)
}

/// RSA key transport. OAEP failures yield `None`; PKCS#1 v1.5 failures and
/// wrong lengths yield a random key (implicit rejection), so that the outcome
/// is decided only by the content decryption.
fn unwrap_key(ek: &EncryptedKey, key: &SpKeyPair, want_len: usize) -> Option<Vec<u8>> {
    #[cfg(test)]
    RSA_OPERATIONS.with(|n| n.set(n.get() + 1));
    let pkey = key.private_key();
    let result = (|| -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let mut ctx = PkeyCtx::new(pkey)?;
        ctx.decrypt_init()?;
        match ek.transport {
            KeyTransport::Oaep { digest, mgf1 } => {
                ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
                ctx.set_rsa_oaep_md(digest)?;
                ctx.set_rsa_mgf1_md(mgf1)?;
                if let Some(label) = &ek.label {
                    ctx.set_rsa_oaep_label(label)?;
                }
            }
            KeyTransport::Pkcs1v15 => ctx.set_rsa_padding(Padding::PKCS1)?,
        }
        let mut out = Vec::new();
        ctx.decrypt_to_vec(&ek.value, &mut out)?;
        Ok(out)
    })();
    match (ek.transport, result) {
        (KeyTransport::Oaep { .. }, Ok(k)) if k.len() == want_len => Some(k),
        (KeyTransport::Oaep { .. }, _) => None,
        (KeyTransport::Pkcs1v15, Ok(k)) if k.len() == want_len => Some(k),
        (KeyTransport::Pkcs1v15, _) => {
            let mut random = vec![0u8; want_len];
            openssl::rand::rand_bytes(&mut random).ok()?;
            Some(random)
        }
    }
}

/// GCM (XML Encryption 1.1 §5.2.4): 96-bit IV || ciphertext || 128-bit tag.
/// CBC (§5.2.1): IV || ciphertext, padding whose last octet is its length
/// (the other padding octets are arbitrary, so they are not checked).
fn decrypt_content(block: BlockAlgorithm, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let cipher = block.cipher();
    if !block.is_cbc() {
        const IV: usize = 12;
        const TAG: usize = 16;
        if data.len() < IV + TAG {
            return None;
        }
        let (iv, rest) = data.split_at(IV);
        let (ct, tag) = rest.split_at(rest.len() - TAG);
        return decrypt_aead(cipher, key, Some(iv), &[], ct, tag).ok();
    }
    let bs = cipher.block_size();
    if data.len() < 2 * bs || data.len() % bs != 0 {
        return None;
    }
    let (iv, ct) = data.split_at(bs);
    let mut c = Crypter::new(cipher, Mode::Decrypt, key, Some(iv)).ok()?;
    c.pad(false);
    let mut out = vec![0u8; ct.len() + bs];
    let mut n = c.update(ct, &mut out).ok()?;
    n += c.finalize(out.get_mut(n..)?).ok()?;
    out.truncate(n);
    let pad = usize::from(*out.last()?);
    if pad == 0 || pad > bs || pad > out.len() {
        return None;
    }
    out.truncate(out.len() - pad);
    Some(out)
}

#[cfg(test)]
mod tests {
    //! RSA private-key operations counted per EncryptedAssertion: at most one
    //! per SP key, and only for the pairs KeyInfo names. The response is an
    //! xmlsec-encrypted fixture (testdata/xmlenc) whose EncryptedKey list is
    //! rewritten; the assertion inside is signed, the Response is not, so
    //! the rewrite breaks no signature.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use base64::Engine;

    use super::RSA_OPERATIONS;
    use crate::dsig::TrustedKeys;
    use crate::error::{DecryptionError, Error};
    use crate::{EntityId, IdentityProvider, RequestContext, ServiceProvider, SpKeyPair, Url};

    const FIXTURE: &str = "testdata/xmlenc/rsa-oaep-mgf1p--aes128-gcm--assertion-signed.xml";
    const DS: &str = "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"";

    fn read(rel: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(rel),
        )
        .unwrap()
    }

    fn key(name: &str) -> SpKeyPair {
        SpKeyPair::from_pem(
            &read(&format!("testdata/keys/{name}.key")),
            &read(&format!("testdata/keys/{name}.crt")),
        )
        .unwrap()
    }

    /// An SP with `n` decryption keys; the first (current) is the fixture's
    /// recipient.
    fn sp(n: usize) -> ServiceProvider {
        let keys =
            TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt")).unwrap();
        let idp = IdentityProvider::new(
            EntityId::new("https://idp.example.com/saml2/idp/metadata").unwrap(),
            keys,
        )
        .unwrap();
        let mut b = ServiceProvider::builder(
            EntityId::new("https://sp.example.org/saml/metadata").unwrap(),
        )
        .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
        .idp(idp)
        .encryption_key(key("sp-enc-rsa2048"));
        if n > 1 {
            b = b.next_encryption_key(key("sp-rsa2048"));
        }
        for name in ["attacker-rsa2048", "idp-rsa2048"]
            .iter()
            .take(n.saturating_sub(2))
        {
            b = b.retired_encryption_key(key(name));
        }
        b.build().unwrap()
    }

    /// The fixture with its one EncryptedKey replaced by `eks(real)`.
    fn with_keys(eks: impl Fn(&str) -> String) -> String {
        let xml = String::from_utf8(read(FIXTURE)).unwrap();
        let start = xml.find("<xenc:EncryptedKey>").unwrap();
        let end = xml.find("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
        let real = &xml[start..end];
        format!("{}{}{}", &xml[..start], eks(real), &xml[end..])
    }

    /// `ek` with a KeyInfo holding `inner` after its EncryptionMethod.
    fn named(ek: &str, inner: &str) -> String {
        let at = ek.find("<xenc:CipherData>").unwrap();
        format!(
            "{}<ds:KeyInfo {DS}>{inner}</ds:KeyInfo>{}",
            &ek[..at],
            &ek[at..]
        )
    }

    fn cert_element(name: &str) -> String {
        let cert =
            openssl::x509::X509::from_pem(&read(&format!("testdata/keys/{name}.crt"))).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.to_der().unwrap());
        format!("<ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data>")
    }

    /// Verifies and returns the outcome with the RSA operations it took.
    fn run(sp: &ServiceProvider, xml: &str) -> (Result<String, Error>, usize) {
        RSA_OPERATIONS.with(|n| n.set(0));
        let r = sp.verify_response_xml(
            xml.as_bytes(),
            "2026-01-01T00:01:00Z".parse().unwrap(),
            RequestContext::Pending {
                request_id: &crate::RequestId::new("_req_4fee3b046395c4e751011e97f8900b52")
                    .unwrap(),
                idp: None,
            },
        );
        let ops = RSA_OPERATIONS.with(std::cell::Cell::get);
        (r.map(|a| a.name_id().value().to_owned()), ops)
    }

    fn ok() -> Result<String, Error> {
        Ok("alice@example.com".to_owned())
    }

    #[test]
    fn the_fixture_decrypts_with_one_operation() {
        assert_eq!(run(&sp(1), &with_keys(str::to_owned)), (ok(), 1));
    }

    /// Four unnamed EncryptedKeys and four SP keys: four operations (every
    /// key against the first EncryptedKey), not sixteen.
    #[test]
    fn unnamed_encrypted_keys_cost_one_operation_per_sp_key() {
        let xml = with_keys(|real| real.repeat(4));
        assert_eq!(run(&sp(4), &xml), (ok(), 4));
        assert_eq!(run(&sp(1), &xml), (ok(), 1));
    }

    /// Without names only the first EncryptedKey is tried: one that is not
    /// ours in front of ours makes decryption fail (the documented cost of
    /// the bound; an IdP encrypting to several recipients names them).
    #[test]
    fn unnamed_encrypted_keys_after_the_first_are_not_tried() {
        let xml = with_keys(|real| {
            let other = real.replacen("<xenc:CipherValue>", "<xenc:CipherValue>AAAA", 1);
            format!("{other}{real}")
        });
        assert_eq!(run(&sp(2), &xml), (Err(DecryptionError::Failed.into()), 2));
    }

    /// A first EncryptedKey naming a key that is not ours is skipped; the
    /// second, naming our current key, is tried with that key only.
    #[test]
    fn a_named_encrypted_key_is_tried_only_with_the_named_key() {
        let xml = with_keys(|real| {
            format!(
                "{}{}",
                named(real, &cert_element("idp-p256")),
                named(real, &cert_element("sp-enc-rsa2048"))
            )
        });
        assert_eq!(run(&sp(4), &xml), (ok(), 1));
    }

    #[test]
    fn an_encrypted_key_naming_none_of_our_keys_is_not_tried() {
        let xml = with_keys(|real| named(real, &cert_element("idp-p256")).repeat(4));
        assert_eq!(run(&sp(4), &xml), (Err(DecryptionError::Failed.into()), 0));
    }

    /// Every identifier form names the current key.
    #[test]
    fn issuer_serial_ski_digest_and_modulus_name_a_key() {
        let cert =
            openssl::x509::X509::from_pem(&read("testdata/keys/sp-enc-rsa2048.crt")).unwrap();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let serial = cert.serial_number().to_bn().unwrap().to_dec_str().unwrap();
        let ski = b64(cert.subject_key_id().unwrap().as_slice());
        let digest = b64(&openssl::sha::sha256(&cert.to_der().unwrap()));
        // With a leading zero octet (ASN.1 INTEGER style), which is ignored.
        let mut n = vec![0u8];
        n.extend(cert.public_key().unwrap().rsa().unwrap().n().to_vec());
        let modulus = b64(&n);
        let forms = [
            format!(
                "<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=whatever</ds:X509IssuerName><ds:X509SerialNumber>{serial}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>"
            ),
            format!("<ds:X509Data><ds:X509SKI>{ski}</ds:X509SKI></ds:X509Data>"),
            format!(
                "<ds:X509Data><dsig11:X509Digest xmlns:dsig11=\"http://www.w3.org/2009/xmldsig11#\" Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\">{digest}</dsig11:X509Digest></ds:X509Data>"
            ),
            format!(
                "<ds:KeyValue><ds:RSAKeyValue><ds:Modulus>{modulus}</ds:Modulus><ds:Exponent>AQAB</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>"
            ),
        ];
        for inner in forms {
            let xml = with_keys(|real| named(real, &inner));
            assert_eq!(run(&sp(4), &xml), (ok(), 1), "{inner}");
        }
    }

    /// A KeyName is free text: it names nothing checkable, so the unnamed
    /// rule applies.
    #[test]
    fn a_key_name_alone_names_nothing() {
        let xml = with_keys(|real| named(real, "<ds:KeyName>sp-enc</ds:KeyName>").repeat(3));
        assert_eq!(run(&sp(2), &xml), (ok(), 2));
    }

    #[test]
    fn encrypted_keys_are_capped() {
        let xml = with_keys(|real| real.repeat(super::MAX_ENCRYPTED_KEYS + 1));
        assert_eq!(
            run(&sp(1), &xml),
            (
                Err(DecryptionError::Structure("too many EncryptedKey elements").into()),
                0
            )
        );
    }

    #[test]
    fn key_identifiers_are_capped() {
        let many = cert_element("sp-enc-rsa2048").repeat(super::MAX_KEY_IDENTIFIERS + 1);
        let xml = with_keys(|real| named(real, &many));
        assert_eq!(
            run(&sp(1), &xml),
            (
                Err(DecryptionError::Structure(
                    "too many key identifiers in an EncryptedKey's KeyInfo"
                )
                .into()),
                0
            )
        );
    }
}
