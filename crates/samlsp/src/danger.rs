//! Relaxations of the secure defaults, fenced and named.
//!
//! # Security Warning
//!
//! Everything here weakens what a signature proves. Use it only for an IdP that
//! cannot be upgraded, for as short a time as possible, and never as a default.
//!
//! Each relaxation is a method of an extension trait defined here, so that a
//! caller must import this module by name to reach it:
//!
//! ```
//! use samlsp::AlgorithmPolicy;
//! use samlsp::danger::DangerousAlgorithms as _;
//!
//! let policy = AlgorithmPolicy::strict().danger_allow_sha1();
//! # let _ = policy;
//! ```

use crate::dsig::AlgorithmPolicy;
use crate::dsig::algorithms_secret::Secret;
use crate::sp::ServiceProviderBuilder;
use crate::xmlenc::DecryptionPolicy;

/// Relaxations of [`AlgorithmPolicy`]: SHA-1 and HMAC signatures.
pub trait DangerousAlgorithms: Sized + private::Sealed {
    /// Accepts `rsa-sha1`, `ecdsa-sha1` signatures and SHA-1 digests.
    ///
    /// # Security Warning
    ///
    /// SHA-1 has practical chosen-prefix collisions (Leurent & Peyrin, 2020).
    /// An attacker who can get the IdP to sign a chosen document may obtain a
    /// signature valid for another.
    fn danger_allow_sha1(self) -> Self;

    /// Accepts HMAC signatures (`hmac-sha256`, and `hmac-sha1` when SHA-1 is
    /// also allowed) keyed with this shared secret. `HMACOutputLength`
    /// truncation stays refused (CVE-2009-0217).
    ///
    /// # Security Warning
    ///
    /// Anyone holding the secret can forge assertions; SAML's model is that
    /// only the IdP can sign. The secret never comes from the message.
    fn danger_hmac_secret(self, secret: Vec<u8>) -> Self;
}

impl DangerousAlgorithms for AlgorithmPolicy {
    fn danger_allow_sha1(mut self) -> Self {
        self.allow_sha1 = true;
        self
    }

    fn danger_hmac_secret(mut self, secret: Vec<u8>) -> Self {
        self.hmac_secret = Some(Secret::new(secret));
        self
    }
}

/// Relaxations of [`DecryptionPolicy`]: legacy encryption algorithms.
pub trait DangerousDecryption: Sized + private::Sealed {
    /// Accepts RSA PKCS#1 v1.5 key transport (`rsa-1_5`).
    ///
    /// # Security Warning
    ///
    /// PKCS#1 v1.5 encryption is the Bleichenbacher oracle (1998; ROBOT, 2017).
    /// Decryption here uses implicit rejection and one error for every failure,
    /// but timing differences may remain. XML Encryption 1.1 §5.4.1 says it
    /// MUST NOT be used for new deployments.
    fn danger_allow_rsa_1_5(self) -> Self;

    /// Accepts Triple DES CBC content encryption (`tripledes-cbc`), still only
    /// under a covering signature.
    ///
    /// # Security Warning
    ///
    /// 64-bit blocks (Sweet32, CVE-2016-2183); NIST disallowed 3DES for
    /// encryption after 2023 (SP 800-131A Rev. 2).
    fn danger_allow_triple_des(self) -> Self;
}

impl DangerousDecryption for DecryptionPolicy {
    fn danger_allow_rsa_1_5(self) -> Self {
        self.allowing_rsa_1_5()
    }

    fn danger_allow_triple_des(self) -> Self {
        self.allowing_triple_des()
    }
}

/// Relaxations of [`ServiceProviderBuilder`]: unbounded assertion lifetime.
pub trait DangerousServiceProvider: Sized + private::Sealed {
    /// Accepts assertions however long the IdP says they are valid: no
    /// maximum lifetime (see
    /// [`ServiceProviderBuilder::max_assertion_lifetime`]).
    ///
    /// # Security Warning
    ///
    /// A replay cache must keep each ID until the assertion's NotOnOrAfter, so
    /// an IdP (or whoever holds its key) issuing assertions valid for years
    /// pins entries for years and can fill the cache, and a leaked assertion
    /// stays usable against every instance whose cache forgot it. For fixed
    /// test inputs, or an IdP that cannot be fixed, only.
    fn danger_accept_any_assertion_lifetime(self) -> Self;
}

impl DangerousServiceProvider for ServiceProviderBuilder {
    fn danger_accept_any_assertion_lifetime(self) -> Self {
        self.unbounded_assertion_lifetime()
    }
}

mod private {
    /// Only this crate's types take the relaxations.
    pub trait Sealed {}
    impl Sealed for super::AlgorithmPolicy {}
    impl Sealed for super::DecryptionPolicy {}
    impl Sealed for super::ServiceProviderBuilder {}
}
