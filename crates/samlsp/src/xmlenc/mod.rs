//! XML Encryption 1.1 decryption of `saml:EncryptedAssertion` (SAML Core §2.3.4,
//! §6): an `xenc:EncryptedKey` (RSA-OAEP key transport) unwraps a content key
//! that decrypts an `xenc:EncryptedData` (AES-GCM, or AES-CBC).
//!
//! Accepted, by URI:
//! - key transport: `rsa-oaep-mgf1p` and `xmlenc11#rsa-oaep` with digest SHA-1,
//!   SHA-224, SHA-256, SHA-384 or SHA-512 and MGF1 with any of those;
//!   `rsa-1_5` only with [`DecryptionPolicy::danger_allow_rsa_1_5`];
//! - content: `aes128-gcm`, `aes192-gcm`, `aes256-gcm`; `aes128-cbc`,
//!   `aes192-cbc`, `aes256-cbc` only when the caller says a verified signature
//!   covers the encrypted element (unsigned CBC is a padding and plaintext
//!   oracle: Jager and Somorovsky, "How to Break XML Encryption", CCS 2011);
//!   `tripledes-cbc` additionally needs [`DecryptionPolicy::danger_allow_triple_des`].
//!
//! Everything visible before any decryption (structure, algorithm URIs) is
//! reported precisely; everything after (key unwrap, key length, tag, padding)
//! is the one error [`DecryptionError::Failed`]. RSA PKCS#1 v1.5 uses implicit
//! rejection: a failed unwrap continues with a random key, so it fails exactly
//! like a wrong ciphertext (RFC 3218 §2.3.2).

use base64::Engine;
use openssl::md::{Md, MdRef};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::symm::{Cipher, Crypter, Mode, decrypt_aead};

use crate::dsig::DSIG_NS;
use crate::error::DecryptionError;
use crate::keys::SpKeyPair;
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
/// (current and next) plus headroom. Bounds RSA operations to
/// `MAX_ENCRYPTED_KEYS * MAX_DECRYPTION_KEYS` per message.
pub const MAX_ENCRYPTED_KEYS: usize = 4;

/// Which encryption algorithms are accepted. The default is strict; see the
/// `danger_*` methods.
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

    /// Accepts RSA PKCS#1 v1.5 key transport (`rsa-1_5`).
    ///
    /// # Security Warning
    ///
    /// PKCS#1 v1.5 encryption is the Bleichenbacher oracle (1998; ROBOT, 2017).
    /// Decryption here uses implicit rejection and one error for every failure,
    /// but timing differences may remain. XML Encryption 1.1 §5.4.1 says it
    /// MUST NOT be used for new deployments.
    pub fn danger_allow_rsa_1_5(mut self) -> Self {
        self.allow_rsa_1_5 = true;
        self
    }

    /// Accepts Triple DES CBC content encryption (`tripledes-cbc`), still only
    /// under a covering signature.
    ///
    /// # Security Warning
    ///
    /// 64-bit blocks (Sweet32, CVE-2016-2183); NIST disallowed 3DES for
    /// encryption after 2023 (SP 800-131A Rev. 2).
    pub fn danger_allow_triple_des(mut self) -> Self {
        self.allow_triple_des = true;
        self
    }
}

/// A content-encryption algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockAlgorithm {
    Aes128Gcm,
    Aes192Gcm,
    Aes256Gcm,
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
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
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| structure("CipherValue is not base64"))
}

/// One parsed `xenc:EncryptedKey`.
struct EncryptedKey {
    transport: KeyTransport,
    label: Option<Vec<u8>>,
    value: Vec<u8>,
}

fn read_encrypted_key(
    ek: ElementRef<'_>,
    policy: &DecryptionPolicy,
) -> Result<EncryptedKey, DecryptionError> {
    if ek.has_non_whitespace_text() {
        return Err(structure("character data in EncryptedKey"));
    }
    let mut method = None;
    let mut cipher_data = None;
    for child in ek.children() {
        match (child.namespace(), child.local_name()) {
            (Some(XENC_NS), "EncryptionMethod") if method.is_none() && cipher_data.is_none() => {
                method = Some(child);
            }
            // KeyInfo here names the SP key; every SP key is tried anyway.
            (Some(DSIG_NS), "KeyInfo") if cipher_data.is_none() => {}
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
                let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
                label = Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(&compact)
                        .map_err(|_| structure("OAEPparams is not base64"))?,
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
    Ok(EncryptedKey {
        transport,
        label,
        value: cipher_value(cipher_data)?,
    })
}

/// Decrypts an encrypted element (`saml:EncryptedAssertion`, and later
/// `EncryptedID`/`EncryptedAttribute`: SAML Core §2.2.4 `EncryptedElementType`)
/// with the SP's keys and returns the plaintext XML, to be parsed by the same
/// hardened parser as any message.
///
/// `covered_by_signature` must be true only when a signature that verified
/// *before* this call covers `encrypted` (the Response signature): it is what
/// lets CBC content through.
pub fn decrypt_element(
    encrypted: ElementRef<'_>,
    keys: &[SpKeyPair],
    policy: &DecryptionPolicy,
    covered_by_signature: bool,
) -> Result<Vec<u8>, DecryptionError> {
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
    for ek in &encrypted_keys {
        for key in keys.iter().take(MAX_DECRYPTION_KEYS) {
            if let Some(cek) = unwrap_key(ek, key, block.key_len()) {
                candidates.push(cek);
            }
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
