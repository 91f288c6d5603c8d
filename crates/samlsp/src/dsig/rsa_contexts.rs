//! Initialized RSA verification contexts kept per trusted key, so a verification
//! does not build and initialize an `EVP_PKEY_CTX` every time.
//!
//! Why: `EVP_DigestVerifyInit` allocates a key context, looks up the RSA
//! signature implementation in the provider and sets padding and digest on it:
//! about a tenth of the whole public-key operation for RSA-2048. An initialized
//! `EVP_PKEY_CTX` can verify any number of digests (`EVP_PKEY_verify`), so the
//! digest is computed apart (SHA-256 of the canonical `SignedInfo`) and the
//! kept context checks the PKCS#1 v1.5 signature over it (RFC 8017 §8.2.2).
//! Copying one context per call (`EVP_PKEY_CTX_dup`) would need `unsafe` FFI,
//! which this crate forbids.
//!
//! A context needs exclusive access while it verifies, and one
//! `ServiceProvider` verifies on many threads at once. Each key holds a small
//! lock-free queue (`crossbeam_queue::ArrayQueue`) per digest: a verification
//! takes a context out (or builds one when the queue is empty) and puts it back
//! afterwards (or drops it when the queue is full). No thread waits for
//! another; the queue bounds how many contexts a key keeps, whatever the
//! number of threads.

use std::fmt;

use crossbeam_queue::ArrayQueue;
use openssl::md::MdRef;
use openssl::md_ctx::MdCtx;
use openssl::pkey::{PKeyRef, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;

use super::SignatureAlgorithm;

/// Contexts kept per key and digest: one per thread that verifies at the
/// same moment, up to this many (more threads build theirs and drop them).
const KEPT_PER_DIGEST: usize = 8;

/// Largest digest among the RSA algorithms (SHA-512).
const MAX_DIGEST: usize = 64;

/// A key context ready for `EVP_PKEY_verify` with one digest, and the digest
/// context that hashes the signed octets for it.
struct Ready {
    key: PkeyCtx<Public>,
    hash: MdCtx,
}

/// The kept contexts of one RSA key, one queue per digest algorithm.
pub(crate) struct RsaContexts {
    queues: [ArrayQueue<Ready>; 4],
}

impl fmt::Debug for RsaContexts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaContexts")
            .field(
                "kept",
                &self.queues.iter().map(ArrayQueue::len).sum::<usize>(),
            )
            .finish()
    }
}

impl RsaContexts {
    pub(crate) fn new() -> Self {
        RsaContexts {
            queues: std::array::from_fn(|_| ArrayQueue::new(KEPT_PER_DIGEST)),
        }
    }

    /// RSA PKCS#1 v1.5 verification of `signature` over `data` with `key`,
    /// the key these contexts belong to (the `TrustedKey` holding them; it is
    /// read only to build a new context). `None` when OpenSSL could not set a context up (the caller then falls
    /// back to a one-shot verification); otherwise whether the signature holds.
    pub(crate) fn verify(
        &self,
        alg: SignatureAlgorithm,
        key: &PKeyRef<Public>,
        data: &[u8],
        signature: &[u8],
    ) -> Option<bool> {
        let slot = match alg {
            SignatureAlgorithm::RsaSha256 => 0,
            SignatureAlgorithm::RsaSha384 => 1,
            SignatureAlgorithm::RsaSha512 => 2,
            SignatureAlgorithm::RsaSha1 => 3,
            _ => return None,
        };
        let queue = self.queues.get(slot)?;
        let md = alg.md();
        let mut ready = match queue.pop() {
            Some(ready) => ready,
            None => Ready::new(key, md)?,
        };
        let mut digest = [0u8; MAX_DIGEST];
        let len = ready.digest(md, data, &mut digest)?;
        // A signature that does not verify is an error in OpenSSL's terms
        // (the padding check raises one): it answers "not valid". The context
        // is kept either way: `EVP_PKEY_verify` keeps no state from one call to
        // the next in an RSA context (its working buffer is rewritten), which
        // the tests check by verifying genuine signatures after failures.
        let valid = ready
            .key
            .verify(digest.get(..len)?, signature)
            .unwrap_or(false);
        // Full queue: more threads verified at once than contexts are kept;
        // this one is dropped.
        let _ = queue.push(ready);
        Some(valid)
    }
}

impl Ready {
    fn new(key: &PKeyRef<Public>, md: &MdRef) -> Option<Self> {
        let mut ctx = PkeyCtx::new(key).ok()?;
        ctx.verify_init().ok()?;
        ctx.set_rsa_padding(Padding::PKCS1).ok()?;
        ctx.set_signature_md(md).ok()?;
        Some(Ready {
            key: ctx,
            hash: MdCtx::new().ok()?,
        })
    }

    /// The digest of `data` into `out`; its length.
    fn digest(&mut self, md: &MdRef, data: &[u8], out: &mut [u8; MAX_DIGEST]) -> Option<usize> {
        let len = md.size();
        let out = out.get_mut(..len)?;
        self.hash.digest_init(md).ok()?;
        self.hash.digest_update(data).ok()?;
        let written = self.hash.digest_final(out).ok()?;
        (written == len).then_some(len)
    }
}

#[cfg(test)]
mod tests {
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::sign::Signer;

    use super::*;

    const KEY: &[u8] = include_bytes!("../../../../testdata/keys/idp-rsa2048.key");
    const ATTACKER: &[u8] = include_bytes!("../../../../testdata/keys/attacker-rsa2048.key");
    const DATA: &[u8] =
        b"<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"></ds:SignedInfo>";

    fn private(pem: &[u8]) -> PKey<Private> {
        PKey::private_key_from_pem(pem).expect("test key")
    }

    fn public(key: &PKey<Private>) -> PKey<Public> {
        PKey::public_key_from_der(&key.public_key_to_der().expect("der")).expect("public")
    }

    fn sign(key: &PKey<Private>, md: MessageDigest, data: &[u8]) -> Vec<u8> {
        let mut signer = Signer::new(md, key).expect("signer");
        signer.sign_oneshot_to_vec(data).expect("sign")
    }

    fn kept(c: &RsaContexts) -> usize {
        c.queues.iter().map(ArrayQueue::len).sum()
    }

    #[test]
    fn verifies_with_a_kept_context_for_each_digest() {
        let key = private(KEY);
        let contexts = RsaContexts::new();
        for (alg, md) in [
            (SignatureAlgorithm::RsaSha256, MessageDigest::sha256()),
            (SignatureAlgorithm::RsaSha384, MessageDigest::sha384()),
            (SignatureAlgorithm::RsaSha512, MessageDigest::sha512()),
            (SignatureAlgorithm::RsaSha1, MessageDigest::sha1()),
        ] {
            let sig = sign(&key, md, DATA);
            // The first call builds the context, the second reuses it.
            for _ in 0..2 {
                assert_eq!(contexts.verify(alg, &public(&key), DATA, &sig), Some(true));
            }
        }
        assert_eq!(kept(&contexts), 4, "one context per digest is kept");
    }

    #[test]
    fn rejects_tampering_and_keeps_working_afterwards() {
        let key = private(KEY);
        let public = public(&key);
        let contexts = RsaContexts::new();
        let alg = SignatureAlgorithm::RsaSha256;
        let sig = sign(&key, MessageDigest::sha256(), DATA);
        let mut flipped = sig.clone();
        if let Some(b) = flipped.get_mut(100) {
            *b ^= 1;
        }
        let mut data = DATA.to_vec();
        data.push(b' ');
        let other = sign(&private(ATTACKER), MessageDigest::sha256(), DATA);
        let sha512 = sign(&key, MessageDigest::sha512(), DATA);
        let refused: [(&[u8], &[u8]); 6] = [
            (DATA, &flipped),
            (&data, &sig),
            (DATA, &other),
            (DATA, &sha512), // right key, other digest in the DigestInfo
            (DATA, sig.get(..255).unwrap_or_default()),
            (DATA, &[]),
        ];
        for (data, sig) in refused {
            assert_eq!(contexts.verify(alg, &public, data, sig), Some(false));
            assert_eq!(contexts.verify(alg, &public, DATA, DATA), Some(false));
        }
        // Whatever failed before, a genuine signature still verifies, with the
        // same context: one was built, and kept through every failure.
        assert_eq!(contexts.verify(alg, &public, DATA, &sig), Some(true));
        assert_eq!(kept(&contexts), 1);
    }

    #[test]
    fn leaves_other_algorithms_to_the_caller() {
        let key = private(KEY);
        let contexts = RsaContexts::new();
        let sig = sign(&key, MessageDigest::sha256(), DATA);
        let alg = SignatureAlgorithm::EcdsaSha256;
        assert_eq!(contexts.verify(alg, &public(&key), DATA, &sig), None);
    }

    #[test]
    fn threads_share_the_contexts_and_the_count_kept_is_bounded() {
        let key = private(KEY);
        let public = public(&key);
        let contexts = RsaContexts::new();
        let sig = sign(&key, MessageDigest::sha256(), DATA);
        let bad = sign(&private(ATTACKER), MessageDigest::sha256(), DATA);
        std::thread::scope(|s| {
            for t in 0..16 {
                let (contexts, public, sig, bad) = (&contexts, &public, &sig, &bad);
                s.spawn(move || {
                    for i in 0..50 {
                        let genuine = (i + t) % 3 != 0;
                        let value = if genuine { sig } else { bad };
                        let alg = SignatureAlgorithm::RsaSha256;
                        assert_eq!(contexts.verify(alg, public, DATA, value), Some(genuine));
                    }
                });
            }
        });
        let kept = kept(&contexts);
        assert!(
            (1..=KEPT_PER_DIGEST).contains(&kept),
            "{kept} contexts kept"
        );
    }
}
