//! This SP's own private keys: signing (AuthnRequests, metadata) and
//! decryption (EncryptedAssertion). Each key travels with its certificate,
//! which is what SP metadata publishes.
//!
//! `Debug` never prints key material.

use std::fmt;

use chrono::{DateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509NameBuilder};

use crate::dsig::{DSIG_NS, KeyError, SignatureAlgorithm};
use crate::error::{Error, OutboundError};
use crate::xml::c14n::{self, Method};
use crate::xml::{self, Limits};
use crate::xmlwriter::XmlWriter;

/// Minimum RSA size for our own keys (NIST SP 800-131A).
const MIN_RSA_BITS: u32 = 2048;

/// A key type `samlsp keygen` and [`SpKeyPair::generate`] can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA, 2048-bit modulus: signing and encryption.
    Rsa2048,
    /// RSA, 3072-bit modulus (NIST SP 800-57 for use past 2030).
    Rsa3072,
    /// ECDSA on P-256: signing only (XML Encryption key transport is RSA).
    EcP256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rsa,
    Ec { field_bytes: usize },
}

/// A private key of this SP with its X.509 certificate.
#[derive(Clone)]
pub struct SpKeyPair {
    key: PKey<Private>,
    cert: X509,
    cert_der: Vec<u8>,
    kind: Kind,
}

impl fmt::Debug for SpKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpKeyPair")
            .field("kind", &self.kind)
            .field("private_key", &"[redacted]")
            .field("certificate_sha256", &self.certificate_fingerprint())
            .finish()
    }
}

impl SpKeyPair {
    /// From a PEM private key (PKCS#8 or traditional) and its PEM certificate.
    /// Refuses a certificate whose public key is not the private key's, RSA
    /// under 2048 bits and curves other than P-256/P-384.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, KeyError> {
        let key = PKey::private_key_from_pem(key_pem).map_err(|_| KeyError::Decode)?;
        let cert = X509::from_pem(cert_pem).map_err(|_| KeyError::Decode)?;
        Self::from_parts(key, cert)
    }

    fn from_parts(key: PKey<Private>, cert: X509) -> Result<Self, KeyError> {
        let kind = match key.id() {
            Id::RSA => {
                if key.bits() < MIN_RSA_BITS {
                    return Err(KeyError::WeakRsaKey { bits: key.bits() });
                }
                Kind::Rsa
            }
            Id::EC => {
                let ec = key.ec_key().map_err(|_| KeyError::Decode)?;
                match ec.group().curve_name() {
                    Some(Nid::X9_62_PRIME256V1) => Kind::Ec { field_bytes: 32 },
                    Some(Nid::SECP384R1) => Kind::Ec { field_bytes: 48 },
                    _ => return Err(KeyError::UnsupportedCurve),
                }
            }
            _ => return Err(KeyError::UnsupportedKeyType),
        };
        let public = cert.public_key().map_err(|_| KeyError::Decode)?;
        if !key.public_eq(&public) {
            return Err(KeyError::Decode);
        }
        let cert_der = cert.to_der().map_err(|_| KeyError::Decode)?;
        Ok(SpKeyPair {
            key,
            cert,
            cert_der,
            kind,
        })
    }

    /// Generates a key and a self-signed certificate valid from `now` for
    /// `days` days. `subject` is `CN=...,O=...` or `/CN=.../O=...` (attributes
    /// CN, O, OU, L, ST, C, emailAddress). SAML metadata keys are trusted by
    /// pinning, so a self-signed certificate is the norm (SAML V2.0 Metadata
    /// Interoperability Profile §2.5.1).
    pub fn generate(
        algorithm: KeyAlgorithm,
        subject: &str,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let key = match algorithm {
            KeyAlgorithm::Rsa2048 => Rsa::generate(2048).and_then(PKey::from_rsa),
            KeyAlgorithm::Rsa3072 => Rsa::generate(3072).and_then(PKey::from_rsa),
            KeyAlgorithm::EcP256 => EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)
                .and_then(|g| EcKey::generate(&g))
                .and_then(PKey::from_ec_key),
        }
        .map_err(|_| KeyError::Decode)?;
        let cert = self_signed(&key, subject, days, now).map_err(|_| KeyError::Decode)?;
        Self::from_parts(key, cert)
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, PEM.
    pub fn certificate_pem(&self) -> Vec<u8> {
        self.cert.to_pem().unwrap_or_default()
    }

    /// The private key as PKCS#8 PEM. Secret: write it with restrictive
    /// permissions.
    pub fn private_key_pem(&self) -> Vec<u8> {
        self.key.private_key_to_pem_pkcs8().unwrap_or_default()
    }

    /// SHA-256 of the certificate, hex (for logs and key rollover checks).
    pub fn certificate_fingerprint(&self) -> String {
        hash(MessageDigest::sha256(), &self.cert_der)
            .map(|d| d.iter().map(|b| format!("{b:02x}")).collect())
            .unwrap_or_default()
    }

    /// True for an RSA key (required for decryption).
    pub fn is_rsa(&self) -> bool {
        self.kind == Kind::Rsa
    }

    /// The signature algorithm this key signs with: RSA-SHA256, or ECDSA with
    /// the hash matching the curve (SHA-256 for P-256, SHA-384 for P-384).
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        match self.kind {
            Kind::Rsa => SignatureAlgorithm::RsaSha256,
            Kind::Ec { field_bytes: 48 } => SignatureAlgorithm::EcdsaSha384,
            Kind::Ec { .. } => SignatureAlgorithm::EcdsaSha256,
        }
    }

    pub(crate) fn private_key(&self) -> &PKey<Private> {
        &self.key
    }

    /// The certificate (to match a KeyInfo that names this key).
    pub(crate) fn certificate(&self) -> &X509 {
        &self.cert
    }

    /// Signs `data` with [`Self::signature_algorithm`], in the XML-DSig
    /// encoding (ECDSA: `r || s`, XML-DSig 1.1 §6.4.3), which the HTTP-Redirect
    /// binding uses too.
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, OutboundError> {
        let md = match self.signature_algorithm() {
            SignatureAlgorithm::EcdsaSha384 => MessageDigest::sha384(),
            _ => MessageDigest::sha256(),
        };
        let mut signer = Signer::new(md, &self.key).map_err(|_| OutboundError::Signing)?;
        let sig = signer
            .sign_oneshot_to_vec(data)
            .map_err(|_| OutboundError::Signing)?;
        match self.kind {
            Kind::Rsa => Ok(sig),
            Kind::Ec { field_bytes } => {
                let parsed = EcdsaSig::from_der(&sig).map_err(|_| OutboundError::Signing)?;
                let r = parsed
                    .r()
                    .to_vec_padded(field_bytes as i32)
                    .map_err(|_| OutboundError::Signing)?;
                let s = parsed
                    .s()
                    .to_vec_padded(field_bytes as i32)
                    .map_err(|_| OutboundError::Signing)?;
                Ok([r, s].concat())
            }
        }
    }

    /// Adds an enveloped signature (XML-DSig 1.1 §6.6.4, SAML Core §5.4) to
    /// `unsigned`, a document this crate wrote, whose root carries `ID="{id}"`.
    /// The `ds:Signature` is inserted at byte offset `insert_at` (after the
    /// Issuer, SAML Core §5.4.1 / the schemas). Reference `#id`, transforms
    /// enveloped-signature + exclusive C14N, digest SHA-256, C14N exclusive.
    ///
    /// The digest is computed over our own canonical form of the parsed
    /// document, the same code that verifies inbound signatures; xmlsec1
    /// verifies the result in the tests.
    pub(crate) fn sign_enveloped(
        &self,
        unsigned: &str,
        id: &str,
        insert_at: usize,
    ) -> Result<String, Error> {
        let (head, tail) = match (unsigned.get(..insert_at), unsigned.get(insert_at..)) {
            (Some(h), Some(t)) => (h, t),
            _ => return Err(OutboundError::Signing.into()),
        };
        let limits = Limits::metadata();
        let doc = xml::parse(unsigned.as_bytes(), &limits)?;
        let mut canon = Vec::with_capacity(unsigned.len());
        c14n::canonicalize(doc.root(), &Method::exclusive(), None, &mut canon);
        let digest = hash(MessageDigest::sha256(), &canon).map_err(|_| OutboundError::Signing)?;

        let digest = b64(&digest);
        let alg = self.signature_algorithm();
        let signed_info = signed_info_xml(id, &digest, alg, true);
        // Canonicalize SignedInfo as it will stand inside ds:Signature. With
        // exclusive C14N only the visibly used ds prefix is rendered, so the
        // standalone element has the same canonical form.
        let si_doc = xml::parse(signed_info.as_bytes(), &limits)?;
        canon.clear();
        c14n::canonicalize(si_doc.root(), &Method::exclusive(), None, &mut canon);
        let value = self.sign(&canon)?;

        let mut w = XmlWriter::new();
        w.start("ds:Signature").attr("xmlns:ds", DSIG_NS);
        w.raw(&signed_info_xml(id, &digest, alg, false));
        w.text_element("ds:SignatureValue", &[], &b64(&value));
        w.start("ds:KeyInfo")
            .start("ds:X509Data")
            .text_element("ds:X509Certificate", &[], &b64(&self.cert_der))
            .end()
            .end();
        let signature = w.finish();
        Ok([head, signature.as_str(), tail].concat())
    }
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `<ds:SignedInfo>...</ds:SignedInfo>`; standalone (with the `ds`
/// declaration) or to sit inside a `ds:Signature` that declares it.
fn signed_info_xml(
    id: &str,
    digest_b64: &str,
    alg: SignatureAlgorithm,
    standalone: bool,
) -> String {
    let mut w = XmlWriter::new();
    w.start("ds:SignedInfo");
    if standalone {
        w.attr("xmlns:ds", DSIG_NS);
    }
    w.start("ds:CanonicalizationMethod")
        .attr("Algorithm", c14n::EXC_C14N)
        .end();
    w.start("ds:SignatureMethod")
        .attr("Algorithm", alg.uri())
        .end();
    w.start("ds:Reference").attr("URI", &format!("#{id}"));
    w.start("ds:Transforms");
    w.start("ds:Transform")
        .attr(
            "Algorithm",
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        )
        .end();
    w.start("ds:Transform")
        .attr("Algorithm", c14n::EXC_C14N)
        .end();
    w.end();
    w.start("ds:DigestMethod")
        .attr("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256")
        .end();
    w.text_element("ds:DigestValue", &[], digest_b64);
    w.end();
    w.finish()
}

fn self_signed(
    key: &PKey<Private>,
    subject: &str,
    days: u32,
    now: DateTime<Utc>,
) -> Result<X509, openssl::error::ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    let parts = subject
        .split(['/', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let mut any = false;
    for part in parts {
        let Some((k, v)) = part.split_once('=') else {
            return Err(openssl::error::ErrorStack::get());
        };
        let nid = match k.trim() {
            "CN" => Nid::COMMONNAME,
            "O" => Nid::ORGANIZATIONNAME,
            "OU" => Nid::ORGANIZATIONALUNITNAME,
            "L" => Nid::LOCALITYNAME,
            "ST" => Nid::STATEORPROVINCENAME,
            "C" => Nid::COUNTRYNAME,
            "emailAddress" => Nid::PKCS9_EMAILADDRESS,
            _ => return Err(openssl::error::ErrorStack::get()),
        };
        name.append_entry_by_nid(nid, v.trim())?;
        any = true;
    }
    if !any {
        return Err(openssl::error::ErrorStack::get());
    }
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    b.set_serial_number(serial.to_asn1_integer()?.as_ref())?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(key)?;
    let start = now.timestamp();
    let end = start.saturating_add(i64::from(days).saturating_mul(86_400));
    b.set_not_before(Asn1Time::from_unix(start)?.as_ref())?;
    b.set_not_after(Asn1Time::from_unix(end)?.as_ref())?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    let mut usage = KeyUsage::new();
    usage.critical().digital_signature();
    if key.id() == Id::RSA {
        usage.key_encipherment();
    }
    b.append_extension(usage.build()?)?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    b.sign(key, MessageDigest::sha256())?;
    Ok(b.build())
}
