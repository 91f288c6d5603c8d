//! Relaxations of the secure defaults, fenced and named.
//!
//! # Security Warning
//!
//! Everything here weakens what a signature proves. Use it only for an IdP that
//! cannot be upgraded, for as short a time as possible, and never as a default.

use crate::dsig::AlgorithmPolicy;
use crate::dsig::algorithms_secret::Secret;

impl AlgorithmPolicy {
    /// Accepts `rsa-sha1`, `ecdsa-sha1` signatures and SHA-1 digests.
    ///
    /// # Security Warning
    ///
    /// SHA-1 has practical chosen-prefix collisions (Leurent & Peyrin, 2020).
    /// An attacker who can get the IdP to sign a chosen document may obtain a
    /// signature valid for another.
    pub fn danger_allow_sha1(mut self) -> Self {
        self.allow_sha1 = true;
        self
    }

    /// Accepts HMAC signatures (`hmac-sha256`, and `hmac-sha1` when SHA-1 is
    /// also allowed) keyed with this shared secret. `HMACOutputLength`
    /// truncation stays refused (CVE-2009-0217).
    ///
    /// # Security Warning
    ///
    /// Anyone holding the secret can forge assertions; SAML's model is that
    /// only the IdP can sign. The secret never comes from the message.
    pub fn danger_hmac_secret(mut self, secret: Vec<u8>) -> Self {
        self.hmac_secret = Some(Secret::new(secret));
        self
    }
}

impl crate::config::ServiceProviderBuilder {
    /// Accepts assertions however long the IdP says they are valid: no
    /// maximum lifetime (see
    /// [`ServiceProviderBuilder::max_assertion_lifetime`](crate::ServiceProviderBuilder::max_assertion_lifetime)).
    ///
    /// # Security Warning
    ///
    /// A replay cache must keep each ID until the assertion's NotOnOrAfter, so
    /// an IdP (or whoever holds its key) issuing assertions valid for years
    /// pins entries for years and can fill the cache, and a leaked assertion
    /// stays usable against every instance whose cache forgot it. For fixed
    /// test inputs, or an IdP that cannot be fixed, only.
    pub fn danger_accept_any_assertion_lifetime(self) -> Self {
        self.unbounded_assertion_lifetime()
    }
}
