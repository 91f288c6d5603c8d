//! A test IdP signer: enveloped XML signatures over an element named by ID.
//!
//! The document marks where the `ds:Signature` goes with the comment
//! `<!--SIG:id-->` (comments are outside the canonical form, so the digest can
//! be computed on the document as given). Options let tests build malformed
//! signatures on purpose.

use base64::Engine;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use samlsp::internal::xml::c14n::{self, Method};
use samlsp::internal::xml::{Limits, parse};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How to sign.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// SignatureMethod algorithm URI.
    pub signature_method: String,
    /// DigestMethod algorithm URI.
    pub digest_method: String,
    /// CanonicalizationMethod algorithm URI.
    pub c14n_method: String,
    /// Transforms listed in the Reference (URIs, with optional inner XML).
    pub transforms: Vec<String>,
    /// The Reference URI; `None` means `#` + the ID.
    pub reference_uri: Option<String>,
    /// Certificate PEM put in KeyInfo.
    pub key_info_cert: Option<Vec<u8>>,
    /// Extra XML appended inside ds:Signature after KeyInfo.
    pub extra_in_signature: String,
    /// Extra XML inside SignedInfo after the Reference.
    pub extra_in_signed_info: String,
    /// Extra XML inside SignatureMethod.
    pub extra_in_signature_method: String,
    /// Extra XML inside KeyInfo.
    pub extra_in_key_info: String,
    /// Prefix for the dsig namespace ("" for a default namespace declaration).
    pub prefix: String,
}

/// RSA with SHA-256 (RFC 6931 §2.3.2).
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RSA with SHA-1 (XML-DSig 1.1 §6.4.2; refused by the strict policy).
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
/// ECDSA with SHA-256 (RFC 6931 §2.3.6).
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// HMAC with SHA-256 (RFC 6931 §2.2.2; never accepted by the SP).
pub const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
/// HMAC with SHA-1 (XML-DSig 1.1 §6.3.1; never accepted by the SP).
pub const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
/// SHA-256 digest (XML-Enc 1.1 §5.7.2).
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// SHA-1 digest (XML-DSig 1.1 §6.2.1).
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
/// Exclusive C14N without comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Inclusive C14N 1.0 without comments.
pub const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The enveloped-signature transform (XML-DSig 1.1 §6.6.4).
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            signature_method: RSA_SHA256.into(),
            digest_method: SHA256.into(),
            c14n_method: EXC_C14N.into(),
            transforms: vec![ENVELOPED.into(), EXC_C14N.into()],
            reference_uri: None,
            key_info_cert: None,
            extra_in_signature: String::new(),
            extra_in_signed_info: String::new(),
            extra_in_signature_method: String::new(),
            extra_in_key_info: String::new(),
            prefix: "ds".into(),
        }
    }
}

/// The key that signs.
pub enum SigningKey {
    /// An RSA or EC private key.
    Pkey(PKey<Private>),
    /// An HMAC key (for signatures a verifier must refuse).
    Hmac(Vec<u8>),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// From a PEM private key file under the repository root.
    pub fn from_repo_pem(rel: &str) -> Self {
        SigningKey::Pkey(PKey::private_key_from_pem(&crate::read_repo_file(rel)).unwrap())
    }
}

fn md_for(uri: &str) -> MessageDigest {
    if uri.ends_with("sha1") {
        MessageDigest::sha1()
    } else if uri.ends_with("sha384") {
        MessageDigest::sha384()
    } else if uri.ends_with("sha512") {
        MessageDigest::sha512()
    } else {
        MessageDigest::sha256()
    }
}

/// Signs the element with `ID="id"` in `xml`, replacing `<!--SIG:id-->`.
pub fn sign(xml: &str, id: &str, key: &SigningKey, opts: &SignOptions) -> String {
    let marker = format!("<!--SIG:{id}-->");
    assert!(xml.contains(&marker), "no {marker} in the document");
    let doc = parse(xml.as_bytes(), &Limits::default()).unwrap();
    let el = doc
        .elements()
        .find(|e| e.attr("ID") == Some(id))
        .unwrap_or_else(|| panic!("no element with ID {id}"));
    let method = match opts.transforms.get(1).map(String::as_str) {
        Some(C14N_10) | None => Method::Inclusive,
        _ => Method::exclusive(),
    };
    let mut canon = Vec::new();
    c14n::canonicalize(el, &method, None, &mut canon);
    let digest = hash(md_for(&opts.digest_method), &canon).unwrap();

    let p = if opts.prefix.is_empty() {
        String::new()
    } else {
        format!("{}:", opts.prefix)
    };
    let xmlns = if opts.prefix.is_empty() {
        "xmlns=\"http://www.w3.org/2000/09/xmldsig#\"".to_string()
    } else {
        format!(
            "xmlns:{}=\"http://www.w3.org/2000/09/xmldsig#\"",
            opts.prefix
        )
    };
    let transforms: String = opts
        .transforms
        .iter()
        .map(|t| format!("<{p}Transform Algorithm=\"{t}\"/>"))
        .collect();
    let uri = opts
        .reference_uri
        .clone()
        .unwrap_or_else(|| format!("#{id}"));
    let signed_info = format!(
        "<{p}SignedInfo><{p}CanonicalizationMethod Algorithm=\"{c}\"/><{p}SignatureMethod Algorithm=\"{s}\">{sm}</{p}SignatureMethod><{p}Reference URI=\"{uri}\"><{p}Transforms>{transforms}</{p}Transforms><{p}DigestMethod Algorithm=\"{d}\"/><{p}DigestValue>{dv}</{p}DigestValue></{p}Reference>{extra}</{p}SignedInfo>",
        c = opts.c14n_method,
        s = opts.signature_method,
        sm = opts.extra_in_signature_method,
        d = opts.digest_method,
        dv = B64.encode(digest),
        extra = opts.extra_in_signed_info,
    );
    // SignedInfo is canonicalized in place, in the final document (inclusive
    // C14N takes namespaces from every ancestor).
    let key_info = match &opts.key_info_cert {
        Some(pem) => {
            let cert = openssl::x509::X509::from_pem(pem).unwrap();
            format!(
                "<{p}KeyInfo><{p}X509Data><{p}X509Certificate>{}</{p}X509Certificate></{p}X509Data>{}</{p}KeyInfo>",
                B64.encode(cert.to_der().unwrap()),
                opts.extra_in_key_info
            )
        }
        None if !opts.extra_in_key_info.is_empty() => {
            format!("<{p}KeyInfo>{}</{p}KeyInfo>", opts.extra_in_key_info)
        }
        None => String::new(),
    };
    const PLACEHOLDER: &str = "SIGNATURE_VALUE_PLACEHOLDER";
    let signature = format!(
        "<{p}Signature {xmlns}>{signed_info}<{p}SignatureValue>{PLACEHOLDER}</{p}SignatureValue>{key_info}{}</{p}Signature>",
        opts.extra_in_signature
    );
    let with_placeholder = xml.replacen(&marker, &signature, 1);
    let fdoc = parse(with_placeholder.as_bytes(), &Limits::default()).unwrap();
    let dv = B64.encode(digest);
    let si = fdoc
        .elements()
        .find(|e| {
            e.is(DSIG, "SignedInfo")
                && e.descendants()
                    .any(|d| d.is(DSIG, "DigestValue") && d.text().as_deref() == Some(dv.as_str()))
        })
        .expect("inserted SignedInfo");
    let si_method = if opts.c14n_method == C14N_10 {
        Method::Inclusive
    } else {
        Method::exclusive()
    };
    let mut si_canon = Vec::new();
    c14n::canonicalize(si, &si_method, None, &mut si_canon);
    let sig_value = match key {
        SigningKey::Pkey(k) => {
            let mut signer = Signer::new(md_for(&opts.signature_method), k).unwrap();
            let der = signer.sign_oneshot_to_vec(&si_canon).unwrap();
            if k.id() == openssl::pkey::Id::EC {
                let sig = openssl::ecdsa::EcdsaSig::from_der(&der).unwrap();
                let n = (k.bits() as usize).div_ceil(8);
                let mut raw = sig.r().to_vec_padded(n as i32).unwrap();
                raw.extend(sig.s().to_vec_padded(n as i32).unwrap());
                raw
            } else {
                der
            }
        }
        SigningKey::Hmac(secret) => {
            let k = PKey::hmac(secret).unwrap();
            let mut signer = Signer::new(md_for(&opts.signature_method), &k).unwrap();
            signer.sign_oneshot_to_vec(&si_canon).unwrap()
        }
    };
    with_placeholder.replacen(PLACEHOLDER, &B64.encode(sig_value), 1)
}

/// Removes any unused `<!--SIG:...-->` markers.
pub fn strip_markers(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<!--SIG:") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("-->")
            .map(|e| start + e + 3)
            .unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
