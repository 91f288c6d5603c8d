//! The verification procedure (XML-DSig 1.1 §3.2, restricted to the SAML profile
//! of SAML Core 2.0 §5.4).
//!
//! XML-DSig 1.1 §3.2 lists reference validation (digest) before signature
//! validation, but allows either order: a signature is valid only if both pass.
//! We check `SignatureValue` first. Canonicalizing and digesting the referenced
//! element is the expensive step (it is most of the message, and its cost grows
//! with its size and namespace shape), and before the signature is checked
//! everything in the message is the sender's choice. `SignedInfo`, in contrast,
//! is a few hundred bytes whose shape is checked element by element before it
//! is canonicalized. So an unauthenticated sender can make us do only cheap,
//! bounded work: read the signature's structure, canonicalize `SignedInfo`, and
//! run one public-key verification per trusted key of the right type. Only a
//! message whose `SignedInfo` a trusted key signed gets the reference digest,
//! and then only to detect tampering after signing.

use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::md::MdRef;
use openssl::md_ctx::MdCtx;
use openssl::memcmp;
use openssl::pkey::{PKey, PKeyRef, Public};
use openssl::sign::Signer;

use super::algorithms::{ENVELOPED, truncate};
use super::keys::KeyKind;
use super::{
    AlgorithmPolicy, DSIG_NS, DigestAlgorithm, DsigError, SignatureAlgorithm, SignedElement,
    TrustedKeys,
};
use crate::xml::c14n::{self, C14N_10, EXC_C14N, Method};
use crate::xml::{ElementChildren, ElementRef};

/// Most transforms a Reference may list: enveloped-signature and one C14N.
const MAX_TRANSFORMS: usize = 2;

/// Verifies the enveloped signature of `element` and returns proof.
///
/// Steps, in order (each failure is a distinct [`DsigError`]):
/// 1. exactly one `ds:Signature` child, strictly shaped;
/// 2. algorithms allowed by `policy`;
/// 3. exactly one `Reference`, URI `#` + the element's `ID`, that ID unique in
///    the whole document;
/// 4. transforms enveloped-signature then optionally one C14N;
/// 5. `SignatureValue` over the canonicalized `SignedInfo` verifies with one of
///    `keys` (never a key from the message);
/// 6. the digest of the canonicalized element equals `DigestValue`.
///
/// Step 5 comes before step 6 so that the large element is canonicalized only
/// for a trusted signer (see the module documentation).
pub fn verify<'d>(
    element: ElementRef<'d>,
    keys: &TrustedKeys,
    policy: &AlgorithmPolicy,
) -> Result<SignedElement<'d>, DsigError> {
    // 1. The signature: exactly one, a direct child (SAML Core 2.0 §5.4.1:
    // enveloped, referencing its parent).
    let mut sigs = element.children_named(DSIG_NS, "Signature");
    let signature = sigs.next().ok_or(DsigError::NoSignature)?;
    let extra = sigs.count();
    if extra > 0 {
        return Err(DsigError::MultipleSignatures { count: extra + 1 });
    }
    let parts = SignatureParts::read(signature)?;
    let signed_info = parts.signed_info;

    // 2. Algorithms.
    let c14n_method = canonicalization_method(parts.c14n)?;
    let sig_alg = SignatureAlgorithm::from_uri(required_attr(parts.sig_method, "Algorithm")?)?;
    if let Some(child) = parts.sig_method.children().next() {
        if child.is(DSIG_NS, "HMACOutputLength") {
            return Err(DsigError::HmacOutputLength);
        }
        return Err(DsigError::Structure {
            reason: "unexpected child of SignatureMethod",
        });
    }
    policy.check_signature(sig_alg)?;
    let reference = parts.reference;
    let digest_alg =
        DigestAlgorithm::from_uri(required_attr(reference.digest_method, "Algorithm")?)?;
    policy.check_digest(digest_alg)?;

    // 3. The reference must name this element by its unique ID.
    let id = element.attr("ID").ok_or(DsigError::MissingId)?;
    let found_uri = reference.element.attr("URI").unwrap_or("");
    if found_uri.strip_prefix('#') != Some(id) || id.is_empty() {
        return Err(DsigError::ReferenceUri {
            expected: truncate(&format!("#{id}")),
            found: truncate(found_uri),
        });
    }
    check_id_unique(element, id)?;

    // 4. Transforms.
    let ref_method = reference_c14n(reference.transforms)?;
    let expected_digest = decode_base64(reference.digest_value, "DigestValue")?;

    // 5. Signature value over the canonical SignedInfo: the small, strictly
    // shaped part, checked with a trusted key before the large one is touched.
    // Sized for the digest's staging block below, which reuses it.
    let mut buf = Vec::with_capacity(DIGEST_BLOCK);
    let mut scratch = c14n::Scratch::default();
    c14n::canonicalize_with(&mut scratch, signed_info, &c14n_method, None, &mut buf);
    let signature_value = decode_base64(parts.signature_value, "SignatureValue")?;
    let key_index = check_signature_value(
        sig_alg,
        &buf,
        &signature_value,
        keys,
        policy,
        parts.key_info,
    )?;

    // 6. Digest of the element without its signature, canonicalized straight
    // into the digest context.
    buf.clear();
    let mut sink = DigestSink::new(digest_alg, buf).ok_or(DsigError::DigestMismatch)?;
    c14n::canonicalize_with(
        &mut scratch,
        element,
        &ref_method,
        Some(signature),
        &mut sink,
    );
    let mut digest = [0u8; MAX_DIGEST];
    let digest = sink.finish(&mut digest).ok_or(DsigError::DigestMismatch)?;
    if expected_digest.len() != digest.len() || !memcmp::eq(&expected_digest, digest) {
        return Err(DsigError::DigestMismatch);
    }

    Ok(SignedElement {
        element,
        signature: signature.node_id(),
        algorithm: sig_alg,
        digest: digest_alg,
        key_index,
    })
}

/// Bytes staged before one digest update. C14N writes many short pieces (a
/// `<`, a name, `="`); one update per piece would cost more than the hashing
/// itself. A fixed block keeps updates to one per 4 KiB without ever holding
/// the canonical form of the element.
const DIGEST_BLOCK: usize = 4096;

/// Largest digest of the reference (SHA-512).
const MAX_DIGEST: usize = 64;

/// A digest context fed by C14N (see [`c14n::Sink`]).
struct DigestSink {
    ctx: MdCtx,
    /// Staged bytes, never more than [`DIGEST_BLOCK`] (the capacity it is
    /// given, so staging never reallocates).
    block: Vec<u8>,
    failed: bool,
}

impl DigestSink {
    fn new(alg: DigestAlgorithm, block: Vec<u8>) -> Option<Self> {
        let mut ctx = MdCtx::new().ok()?;
        ctx.digest_init(alg.md()).ok()?;
        Some(DigestSink {
            ctx,
            block,
            failed: false,
        })
    }

    fn update(&mut self, bytes: &[u8]) {
        if self.ctx.digest_update(bytes).is_err() {
            self.failed = true;
        }
    }

    fn flush(&mut self) {
        if self.ctx.digest_update(&self.block).is_err() {
            self.failed = true;
        }
        self.block.clear();
    }

    /// The digest, written to the start of `out`, or `None` if OpenSSL
    /// failed at any point.
    fn finish(mut self, out: &mut [u8; MAX_DIGEST]) -> Option<&[u8]> {
        self.flush();
        let out = out.get_mut(..self.ctx.size())?;
        let n = self.ctx.digest_final(out).ok()?;
        (!self.failed && n == out.len()).then_some(&*out)
    }
}

impl c14n::Sink for DigestSink {
    fn put(&mut self, bytes: &[u8]) {
        if self.block.len() + bytes.len() > DIGEST_BLOCK {
            self.flush();
            if bytes.len() > DIGEST_BLOCK {
                self.update(bytes);
                return;
            }
        }
        self.block.extend_from_slice(bytes);
    }

    fn byte(&mut self, b: u8) {
        if self.block.len() >= DIGEST_BLOCK {
            self.flush();
        }
        self.block.push(b);
    }
}

struct ReferenceParts<'d> {
    element: ElementRef<'d>,
    transforms: Option<ElementRef<'d>>,
    digest_method: ElementRef<'d>,
    digest_value: ElementRef<'d>,
}

struct SignatureParts<'d> {
    signed_info: ElementRef<'d>,
    c14n: ElementRef<'d>,
    sig_method: ElementRef<'d>,
    reference: ReferenceParts<'d>,
    signature_value: ElementRef<'d>,
    key_info: Option<ElementRef<'d>>,
}

/// Reads children in schema order, refusing anything else: every element in the
/// signature is either understood or an error.
struct Sequence<'d> {
    children: std::iter::Peekable<ElementChildren<'d>>,
}

impl<'d> Sequence<'d> {
    fn of(parent: ElementRef<'d>) -> Result<Self, DsigError> {
        if parent.has_non_whitespace_text() {
            return Err(DsigError::Structure {
                reason: "character data where only elements are allowed",
            });
        }
        Ok(Sequence {
            children: parent.element_children().peekable(),
        })
    }

    fn required(&mut self, local: &str, reason: &'static str) -> Result<ElementRef<'d>, DsigError> {
        self.optional(local).ok_or(DsigError::Structure { reason })
    }

    fn optional(&mut self, local: &str) -> Option<ElementRef<'d>> {
        match self.children.peek() {
            Some(c) if c.is(DSIG_NS, local) => self.children.next(),
            _ => None,
        }
    }

    fn remaining(&mut self) -> Option<ElementRef<'d>> {
        self.children.next()
    }
}

impl<'d> SignatureParts<'d> {
    fn read(signature: ElementRef<'d>) -> Result<Self, DsigError> {
        let mut seq = Sequence::of(signature)?;
        let signed_info = seq.required("SignedInfo", "Signature must start with SignedInfo")?;
        let signature_value =
            seq.required("SignatureValue", "SignatureValue must follow SignedInfo")?;
        let key_info = seq.optional("KeyInfo");
        if let Some(extra) = seq.remaining() {
            return Err(DsigError::Structure {
                reason: if extra.is(DSIG_NS, "Object") {
                    "ds:Object is not allowed in a SAML signature"
                } else {
                    "unexpected element in Signature"
                },
            });
        }

        let mut si = Sequence::of(signed_info)?;
        let c14n = si.required(
            "CanonicalizationMethod",
            "SignedInfo lacks CanonicalizationMethod",
        )?;
        let sig_method = si.required("SignatureMethod", "SignedInfo lacks SignatureMethod")?;
        let mut first_reference = None;
        let mut references = 0;
        while let Some(r) = si.optional("Reference") {
            first_reference.get_or_insert(r);
            references += 1;
        }
        if si.remaining().is_some() {
            return Err(DsigError::Structure {
                reason: "unexpected element in SignedInfo",
            });
        }
        let reference = match (first_reference, references) {
            (Some(one), 1) => one,
            _ => return Err(DsigError::ReferenceCount { count: references }),
        };

        let mut rs = Sequence::of(reference)?;
        let transforms = rs.optional("Transforms");
        let digest_method = rs.required("DigestMethod", "Reference lacks DigestMethod")?;
        let digest_value = rs.required("DigestValue", "Reference lacks DigestValue")?;
        if rs.remaining().is_some() {
            return Err(DsigError::Structure {
                reason: "unexpected element in Reference",
            });
        }
        if digest_method.children().next().is_some() {
            return Err(DsigError::Structure {
                reason: "unexpected child of DigestMethod",
            });
        }

        Ok(SignatureParts {
            signed_info,
            c14n,
            sig_method,
            reference: ReferenceParts {
                element: reference,
                transforms,
                digest_method,
                digest_value,
            },
            signature_value,
            key_info,
        })
    }
}

fn required_attr<'d>(el: ElementRef<'d>, name: &str) -> Result<&'d str, DsigError> {
    el.attr(name).ok_or(DsigError::Structure {
        reason: "Algorithm attribute missing",
    })
}

/// `CanonicalizationMethod` or a C14N `Transform`: exclusive (with an optional
/// InclusiveNamespaces child) or C14N 1.0; nothing else, comments variants
/// included.
fn c14n_of(el: ElementRef<'_>, uri: &str) -> Option<Result<Method, DsigError>> {
    match uri {
        EXC_C14N => {
            let mut prefixes = None;
            for child in el.children() {
                if child.is(EXC_C14N, "InclusiveNamespaces") && prefixes.is_none() {
                    // An empty element (Exc-C14N §3 schema): nothing in
                    // SignedInfo may grow what is canonicalized before the
                    // signature is checked.
                    if child.children().next().is_some() {
                        return Some(Err(DsigError::Structure {
                            reason: "InclusiveNamespaces must be empty",
                        }));
                    }
                    prefixes = Some(child.attr("PrefixList").unwrap_or(""));
                } else {
                    return Some(Err(DsigError::Structure {
                        reason: "unexpected child of a canonicalization method",
                    }));
                }
            }
            let list = prefixes.unwrap_or("");
            Some(check_prefix_list(el, list).map(|()| Method::exclusive_with_prefix_list(list)))
        }
        C14N_10 => {
            if el.children().next().is_some() {
                return Some(Err(DsigError::Structure {
                    reason: "unexpected child of a canonicalization method",
                }));
            }
            Some(Ok(Method::Inclusive))
        }
        _ => None,
    }
}

/// Bounds an `InclusiveNamespaces/@PrefixList` by the limits its document was
/// parsed under, before anything is canonicalized with it.
fn check_prefix_list(el: ElementRef<'_>, list: &str) -> Result<(), DsigError> {
    let limits = &el.document().limits;
    if list.len() > limits.max_prefix_list_bytes {
        return Err(DsigError::PrefixListTooLong {
            bytes: list.len(),
            limit: limits.max_prefix_list_bytes,
        });
    }
    let count = list.split_ascii_whitespace().count();
    if count > limits.max_prefix_list_names {
        return Err(DsigError::PrefixListTooManyNames {
            count,
            limit: limits.max_prefix_list_names,
        });
    }
    Ok(())
}

fn canonicalization_method(el: ElementRef<'_>) -> Result<Method, DsigError> {
    let uri = required_attr(el, "Algorithm")?;
    c14n_of(el, uri).unwrap_or_else(|| {
        Err(DsigError::UnsupportedCanonicalization {
            algorithm: truncate(uri),
        })
    })
}

/// The C14N the reference digest uses: after enveloped-signature, the listed
/// C14N, or C14N 1.0 when none is listed (XML-DSig §4.4.3.2: a node-set becomes
/// octets by C14N 1.0).
fn reference_c14n(transforms: Option<ElementRef<'_>>) -> Result<Method, DsigError> {
    let Some(transforms) = transforms else {
        return Err(DsigError::TransformChain {
            reason: "the enveloped-signature transform is missing",
        });
    };
    let mut seq = Sequence::of(transforms)?;
    let mut list = [None; MAX_TRANSFORMS];
    let mut count = 0;
    while let Some(t) = seq.optional("Transform") {
        // Unknown algorithms are reported as what they are (XSLT, XPath, ...)
        // before the chain's length or order is judged.
        let uri = required_attr(t, "Algorithm")?;
        if uri != ENVELOPED && uri != EXC_C14N && uri != C14N_10 {
            return Err(DsigError::UnsupportedTransform {
                algorithm: truncate(uri),
            });
        }
        let Some(slot) = list.get_mut(count) else {
            return Err(DsigError::TransformChain {
                reason: "more than two transforms",
            });
        };
        *slot = Some(t);
        count += 1;
    }
    if seq.remaining().is_some() {
        return Err(DsigError::Structure {
            reason: "unexpected element in Transforms",
        });
    }
    match list {
        [None, _] => Err(DsigError::TransformChain {
            reason: "the enveloped-signature transform is missing",
        }),
        [Some(env), rest] => {
            if env.attr("Algorithm") != Some(ENVELOPED) {
                return Err(DsigError::TransformChain {
                    reason: "the first transform must be enveloped-signature",
                });
            }
            if env.children().next().is_some() {
                return Err(DsigError::Structure {
                    reason: "unexpected child of the enveloped-signature transform",
                });
            }
            match rest {
                None => Ok(Method::Inclusive),
                Some(c) => {
                    let uri = required_attr(c, "Algorithm")?;
                    c14n_of(c, uri).unwrap_or(Err(DsigError::TransformChain {
                        reason: "the second transform must be a canonicalization",
                    }))
                }
            }
        }
    }
}

/// ID attributes SAML and its neighbours use. A second element carrying the
/// referenced value in any of them is refused, so no ID lookup anywhere (ours,
/// an XPath in the application, another library) can land on a different
/// element than the one verified.
fn check_id_unique(element: ElementRef<'_>, id: &str) -> Result<(), DsigError> {
    let doc = element.document();
    let mut seen = 0usize;
    // Every attribute of the document, in one pass over its arena.
    for (ns, local, value) in doc.all_attributes() {
        let id_like = matches!(local, "ID" | "Id" | "id")
            && (ns.is_none() || local == "Id" || ns == Some(crate::xml::XML_NS));
        if id_like && value == id {
            seen += 1;
        }
    }
    if seen != 1 {
        return Err(DsigError::DuplicateId { id: truncate(id) });
    }
    Ok(())
}

fn decode_base64(el: ElementRef<'_>, field: &'static str) -> Result<Vec<u8>, DsigError> {
    let text = el.text_cow().ok_or(DsigError::Structure {
        reason: "element content where base64 text is expected",
    })?;
    match crate::util::decode_base64_lenient(&text) {
        Some(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err(DsigError::Base64 { field }),
    }
}

/// Certificates named in KeyInfo, used only to try the matching trusted key
/// first. Anything in KeyInfo that would make us fetch or trust a key
/// (RetrievalMethod, KeyInfoReference, EncryptedKey, ...) is refused outright.
fn key_hints(key_info: Option<ElementRef<'_>>, decode: bool) -> Result<Vec<Vec<u8>>, DsigError> {
    let mut hints = Vec::new();
    let Some(ki) = key_info else {
        return Ok(hints);
    };
    for child in ki.children() {
        if child.is(DSIG_NS, "X509Data") {
            for x in child.children() {
                if decode && x.is(DSIG_NS, "X509Certificate") && hints.len() < 4 {
                    if let Ok(der) = decode_base64(x, "X509Certificate") {
                        hints.push(der);
                    }
                }
            }
        } else if child.is(DSIG_NS, "KeyName") || child.is(DSIG_NS, "KeyValue") {
            // Informational at most; never used as a key.
        } else {
            return Err(DsigError::UnsupportedKeyInfo {
                element: truncate(child.local_name()),
            });
        }
    }
    Ok(hints)
}

fn check_signature_value(
    alg: SignatureAlgorithm,
    signed_info: &[u8],
    value: &[u8],
    keys: &TrustedKeys,
    policy: &AlgorithmPolicy,
    key_info: Option<ElementRef<'_>>,
) -> Result<usize, DsigError> {
    // KeyInfo is validated always (a RetrievalMethod is refused even when it
    // would not be followed), decoded only when it can choose among keys.
    let hints = key_hints(key_info, keys.keys.len() > 1)?;
    if alg.is_hmac() {
        let secret = policy
            .hmac_secret
            .as_ref()
            .ok_or(DsigError::DisabledAlgorithm {
                algorithm: alg.uri().to_owned(),
            })?;
        let key = PKey::hmac(secret.expose()).map_err(|_| DsigError::SignatureInvalid)?;
        let mut signer =
            Signer::new(alg.message_digest(), &key).map_err(|_| DsigError::SignatureInvalid)?;
        let mac = signer
            .sign_oneshot_to_vec(signed_info)
            .map_err(|_| DsigError::SignatureInvalid)?;
        if mac.len() == value.len() && memcmp::eq(&mac, value) {
            return Ok(0);
        }
        return Err(DsigError::SignatureInvalid);
    }
    if keys.is_empty() {
        return Err(DsigError::NoTrustedKeys);
    }
    let wants_rsa = alg_is_rsa(alg);
    let is_candidate = |k: &super::TrustedKey| matches!(k.kind, KeyKind::Rsa) == wants_rsa;
    if !keys.keys.iter().any(is_candidate) {
        return Err(DsigError::NoKeyForAlgorithm);
    }
    // A hinted key that is trusted is tried first; the others follow, so a
    // stale or extra certificate in KeyInfo cannot block a genuine signature.
    let hinted = |k: &super::TrustedKey| {
        k.cert_der
            .as_deref()
            .is_some_and(|der| hints.iter().any(|h| h.as_slice() == der))
    };
    for first_pass in [true, false] {
        for (i, key) in keys.keys.iter().enumerate() {
            if is_candidate(key)
                && hinted(key) == first_pass
                && verify_with_key(alg, key, signed_info, value)
            {
                return Ok(i);
            }
        }
    }
    // Failure path only: tell "signed by a key we do not know" (an IdP that
    // rotated its key, or a forged certificate) from "a trusted key's
    // signature that does not verify" (tampering). The first is what makes an
    // integration fetch the IdP's metadata early; the second must not.
    let hints = if hints.is_empty() {
        key_hints(key_info, true)?
    } else {
        hints
    };
    let names_trusted_key = hints.iter().any(|h| {
        keys.keys
            .iter()
            .any(|k| k.cert_der.as_deref() == Some(h.as_slice()))
    });
    if !hints.is_empty() && !names_trusted_key {
        return Err(DsigError::UntrustedKey);
    }
    Err(DsigError::SignatureInvalid)
}

fn alg_is_rsa(alg: SignatureAlgorithm) -> bool {
    matches!(
        alg,
        SignatureAlgorithm::RsaSha256
            | SignatureAlgorithm::RsaSha384
            | SignatureAlgorithm::RsaSha512
            | SignatureAlgorithm::RsaSha1
    )
}

/// Checks one signature value with one trusted key (XML-DSig signatures and
/// HTTP-Redirect query signatures alike); a key type that does not match the
/// algorithm simply does not verify.
pub(crate) fn verify_with_key(
    alg: SignatureAlgorithm,
    key: &super::TrustedKey,
    data: &[u8],
    value: &[u8],
) -> bool {
    let md = alg.md();
    if matches!(key.kind, KeyKind::Rsa) != alg_is_rsa(alg) {
        return false;
    }
    match key.kind {
        KeyKind::Rsa => key
            .contexts
            .verify(alg, &key.public, data, value)
            .unwrap_or_else(|| verify_oneshot(md, &key.public, data, value)),
        KeyKind::Ec { field_bytes } => {
            // XML-DSig 1.1 §6.4.3: the value is r || s, each the field size.
            if value.len() != 2 * field_bytes {
                return false;
            }
            let (r, s) = value.split_at(field_bytes);
            let der = BigNum::from_slice(r)
                .and_then(|r| BigNum::from_slice(s).map(|s| (r, s)))
                .and_then(|(r, s)| EcdsaSig::from_private_components(r, s))
                .and_then(|sig| sig.to_der());
            let Ok(der) = der else { return false };
            verify_oneshot(md, &key.public, data, &der)
        }
    }
}

/// One `EVP_DigestVerify` with the digest fetched once ([`SignatureAlgorithm::md`]).
fn verify_oneshot(md: &MdRef, key: &PKeyRef<Public>, data: &[u8], signature: &[u8]) -> bool {
    let Ok(mut ctx) = MdCtx::new() else {
        return false;
    };
    if ctx.digest_verify_init(Some(md), key).is_err() {
        return false;
    }
    ctx.digest_verify(data, signature).unwrap_or(false)
}
