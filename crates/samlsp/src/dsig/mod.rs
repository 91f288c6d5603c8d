//! XML Signature verification of one enveloped signature, returning proof.
//!
//! `verify` takes the element the caller is about to trust, checks the single
//! `ds:Signature` that is its direct child against keys the caller supplies, and
//! returns a [`SignedElement`]: a handle into the *same* tree that later code
//! reads signed data through. Because the handle is to the element the caller
//! named, and the reference must point at that element's own unique `ID`, no
//! signature-wrapping arrangement can make "the element verified" and "the
//! element read" differ.
//!
//! The profile accepted is deliberately narrow (SAML Core 2.0 §5.4, XML-DSig
//! 1.1): one `Reference` whose URI is `#` + the element's ID; transforms
//! enveloped-signature then optionally exclusive C14N (or C14N 1.0); digests
//! SHA-256/384/512; signatures RSA PKCS#1 v1.5 (>= 2048-bit keys) or ECDSA on
//! P-256/P-384 with SHA-256/384/512. SHA-1 and HMAC need an explicit
//! [`crate::danger`] opt-in. Keys come only from [`TrustedKeys`]; a certificate
//! in `KeyInfo` is at most a hint to pick among them.

mod algorithms;
pub(crate) use algorithms::zeroizing as algorithms_secret;
mod error;
mod keys;
mod rsa_contexts;
mod verify;

pub use algorithms::{AlgorithmPolicy, DigestAlgorithm, SignatureAlgorithm};
pub use error::{DsigError, KeyError};
pub use keys::{TrustedKey, TrustedKeys};
pub use verify::verify;
pub(crate) use verify::verify_with_key;

use crate::xml::{ElementRef, NodeId};

/// XML-DSig namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Proof that an element's enveloped signature verified with a trusted key.
///
/// Only `verify` builds one. It borrows the parsed document, so the data read
/// through it comes from the very tree that was canonicalized and digested.
#[derive(Debug, Clone, Copy)]
pub struct SignedElement<'d> {
    element: ElementRef<'d>,
    signature: NodeId,
    algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
    key_index: usize,
}

impl<'d> SignedElement<'d> {
    /// The signed element. Everything reachable from it downward is covered by
    /// the signature, except the `ds:Signature` element itself.
    pub fn element(&self) -> ElementRef<'d> {
        self.element
    }

    /// Signature algorithm that verified.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// Digest algorithm of the reference.
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }

    /// Index, in the [`TrustedKeys`] passed to `verify`, of the key that verified.
    pub fn key_index(&self) -> usize {
        self.key_index
    }

    /// Carries this proof, held for an encrypted element (`EncryptedAssertion`),
    /// to the root of the document decrypted from it. The signature covered
    /// the ciphertext, the algorithms and the wrapped key, and decryption is a
    /// function of those and the SP's keys, so the plaintext is what the signer
    /// sent. Only response verification calls this, right after decrypting
    /// the very element this proof is for.
    pub(crate) fn carry_to_decrypted<'e>(
        &self,
        decrypted_root: ElementRef<'e>,
    ) -> SignedElement<'e> {
        SignedElement {
            element: decrypted_root,
            // The signature is in the outer document: no node of the
            // decrypted one is it (documents are far smaller than 2^32 nodes).
            signature: NodeId(u32::MAX),
            algorithm: self.algorithm,
            digest: self.digest,
            key_index: self.key_index,
        }
    }

    /// Narrows the proof to a descendant element: it is covered by the same
    /// signature as long as it is inside the signed element and not inside the
    /// signature itself (which the enveloped transform removed from the digest).
    pub fn narrow(&self, inner: ElementRef<'d>) -> Option<SignedElement<'d>> {
        let doc = self.element.document();
        if !std::ptr::eq(doc, inner.document())
            || !doc.is_within(inner.node_id(), self.element.node_id())
            || doc.is_within(inner.node_id(), self.signature)
        {
            return None;
        }
        Some(SignedElement {
            element: inner,
            ..*self
        })
    }
}
