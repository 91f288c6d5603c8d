//! This service provider: its configuration ([`ServiceProvider`], built once
//! by [`ServiceProviderBuilder`], which refuses half-configured states, then
//! immutable and cheap to share) and everything it does, each in a file of
//! its own: [`authn_request`] builds AuthnRequests, `verify` checks a
//! Response, `consume` is the whole ACS step with request tracking and replay,
//! `publish` writes its metadata. The identity providers it trusts are data
//! ([`IdentityProvider`]).

pub mod authn_request;
mod consume;
mod idp;
mod publish;
pub(crate) mod verify;

pub use authn_request::{
    AuthnContextComparison, AuthnRequestBuilder, OsRandom, OutboundMessage, PreparedAuthnRequest,
    RandomSource, RequestedAuthnContext,
};
pub use consume::Login;
pub use idp::IdentityProvider;
pub use verify::{RequestContext, decode_post_value};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;

use crate::binding::Binding;
use crate::dsig::AlgorithmPolicy;
use crate::error::ConfigError;
use crate::ids::{EntityId, Url};
use crate::keys::SpKeyPair;
use crate::metadata::Endpoint;
use crate::metadata::{ContactPerson, Organization};
use crate::time::ClockSkew;
use crate::xml::Limits;
use crate::xmlenc::DecryptionPolicy;

#[derive(Debug)]
pub(crate) struct SpInner {
    pub(crate) entity_id: EntityId,
    pub(crate) acs_urls: Vec<Url>,
    pub(crate) idps: BTreeMap<EntityId, IdentityProvider>,
    pub(crate) clock_skew: ClockSkew,
    pub(crate) policy: AlgorithmPolicy,
    pub(crate) limits: Limits,
    pub(crate) signing_key: Option<SpKeyPair>,
    pub(crate) next_signing_key: Option<SpKeyPair>,
    pub(crate) encryption_key: Option<SpKeyPair>,
    pub(crate) next_encryption_key: Option<SpKeyPair>,
    /// Current, next and retired encryption keys, in the order tried.
    pub(crate) decryption_keys: Vec<SpKeyPair>,
    pub(crate) decryption_policy: DecryptionPolicy,
    pub(crate) name_id_format: Option<String>,
    pub(crate) sign_authn_requests: bool,
    pub(crate) slo: Vec<Endpoint>,
    pub(crate) organization: Option<Organization>,
    pub(crate) contacts: Vec<ContactPerson>,
    pub(crate) request_lifetime: Duration,
    pub(crate) max_assertion_lifetime: Duration,
}

/// This service provider: immutable once built, cheap to clone and share
/// across threads.
#[derive(Debug, Clone)]
pub struct ServiceProvider {
    pub(crate) inner: Arc<SpInner>,
}

impl ServiceProvider {
    /// Starts a builder.
    pub fn builder(entity_id: EntityId) -> ServiceProviderBuilder {
        ServiceProviderBuilder {
            entity_id,
            acs_urls: Vec::new(),
            idps: Vec::new(),
            clock_skew: ClockSkew::default(),
            policy: AlgorithmPolicy::strict(),
            limits: Limits::default(),
            signing_key: None,
            next_signing_key: None,
            encryption_key: None,
            next_encryption_key: None,
            retired_encryption_keys: Vec::new(),
            decryption_policy: DecryptionPolicy::strict(),
            name_id_format: None,
            sign_authn_requests: true,
            slo: Vec::new(),
            organization: None,
            contacts: Vec::new(),
            request_lifetime: Duration::minutes(DEFAULT_REQUEST_LIFETIME_MINUTES),
            max_assertion_lifetime: Duration::minutes(DEFAULT_MAX_ASSERTION_LIFETIME_MINUTES),
        }
    }

    /// The SP's entity ID (the Audience it requires).
    pub fn entity_id(&self) -> &EntityId {
        &self.inner.entity_id
    }

    /// The ACS URLs (the first is the default).
    pub fn acs_urls(&self) -> &[Url] {
        &self.inner.acs_urls
    }

    /// A configured IdP by entity ID.
    pub fn idp(&self, entity_id: &EntityId) -> Option<&IdentityProvider> {
        self.inner.idps.get(entity_id)
    }

    /// A configured IdP by the entity ID a message claims (not yet
    /// verified): a lookup key only.
    pub(crate) fn idp_claimed(&self, entity_id: &str) -> Option<&IdentityProvider> {
        self.inner.idps.get(entity_id)
    }

    /// All configured IdPs.
    pub fn idps(&self) -> impl Iterator<Item = &IdentityProvider> {
        self.inner.idps.values()
    }

    /// The clock skew.
    pub fn clock_skew(&self) -> ClockSkew {
        self.inner.clock_skew
    }

    /// The XML limits applied to inbound messages (and to inflated
    /// HTTP-Redirect messages).
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The algorithm policy for signatures.
    pub fn algorithm_policy(&self) -> &AlgorithmPolicy {
        &self.inner.policy
    }

    /// The signing key, when configured.
    pub fn signing_key(&self) -> Option<&SpKeyPair> {
        self.inner.signing_key.as_ref()
    }

    /// True when a decryption key is configured.
    pub fn can_decrypt(&self) -> bool {
        !self.inner.decryption_keys.is_empty()
    }

    /// How long an AuthnRequest stays pending.
    pub fn request_lifetime(&self) -> Duration {
        self.inner.request_lifetime
    }

    /// The longest accepted assertion lifetime (IssueInstant to effective
    /// NotOnOrAfter); see [`ServiceProviderBuilder::max_assertion_lifetime`].
    pub fn max_assertion_lifetime(&self) -> Duration {
        self.inner.max_assertion_lifetime
    }

    /// Whether AuthnRequests to `idp` are signed: always when the IdP wants
    /// them signed, else when a signing key is configured and request signing
    /// is on (the default).
    pub fn signs_authn_requests_to(&self, idp: &IdentityProvider) -> bool {
        self.inner.signing_key.is_some()
            && (idp.want_authn_requests_signed || self.inner.sign_authn_requests)
    }
}

/// Default time an AuthnRequest stays pending: 30 minutes covers a login with
/// password reset or MFA enrolment at the IdP, and keeps the request store
/// small.
pub const DEFAULT_REQUEST_LIFETIME_MINUTES: i64 = 30;

/// Default longest accepted assertion lifetime, from the Assertion's
/// IssueInstant to its effective NotOnOrAfter (the earlier of Conditions and
/// the bearer SubjectConfirmationData): 2 hours. What the common IdPs issue
/// by default:
/// - Microsoft Entra ID: SAML tokens live 1 hour; Conditions NotOnOrAfter is
///   the configured lifetime plus a 5-minute clock-skew allowance
///   (learn.microsoft.com, "Configurable token lifetimes in the Microsoft
///   identity platform", SAML tokens), so about 65 minutes;
/// - AD FS: relying-party `TokenLifetime` defaults to 60 minutes;
/// - Okta: 5 minutes;
/// - Keycloak: Conditions 60 s (access code lifespan), bearer
///   SubjectConfirmationData 300 s (access token lifespan).
///
/// Twice the longest of these leaves room for an IdP whose clock runs ahead
/// and for a lifetime raised a little by an administrator, while bounding
/// how long the replay cache must remember an ID.
pub const DEFAULT_MAX_ASSERTION_LIFETIME_MINUTES: i64 = 120;

/// Builder for [`ServiceProvider`].
#[derive(Debug)]
pub struct ServiceProviderBuilder {
    entity_id: EntityId,
    acs_urls: Vec<Url>,
    idps: Vec<IdentityProvider>,
    clock_skew: ClockSkew,
    policy: AlgorithmPolicy,
    limits: Limits,
    signing_key: Option<SpKeyPair>,
    next_signing_key: Option<SpKeyPair>,
    encryption_key: Option<SpKeyPair>,
    next_encryption_key: Option<SpKeyPair>,
    retired_encryption_keys: Vec<SpKeyPair>,
    decryption_policy: DecryptionPolicy,
    name_id_format: Option<String>,
    sign_authn_requests: bool,
    slo: Vec<Endpoint>,
    organization: Option<Organization>,
    contacts: Vec<ContactPerson>,
    request_lifetime: Duration,
    max_assertion_lifetime: Duration,
}

impl ServiceProviderBuilder {
    /// The key that signs AuthnRequests (and metadata, on request); its
    /// certificate is published as `KeyDescriptor use="signing"`.
    pub fn signing_key(mut self, key: SpKeyPair) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The signing key that will replace the current one: published in
    /// metadata now so IdPs trust it before it is used.
    pub fn next_signing_key(mut self, key: SpKeyPair) -> Self {
        self.next_signing_key = Some(key);
        self
    }

    /// The RSA key IdPs encrypt assertions to; published as
    /// `KeyDescriptor use="encryption"` and used to decrypt.
    pub fn encryption_key(mut self, key: SpKeyPair) -> Self {
        self.encryption_key = Some(key);
        self
    }

    /// The next encryption key: published in metadata and already accepted
    /// for decryption (an IdP may switch as soon as it refreshes metadata).
    pub fn next_encryption_key(mut self, key: SpKeyPair) -> Self {
        self.next_encryption_key = Some(key);
        self
    }

    /// A previous encryption key, no longer published but still accepted for
    /// decryption while IdPs catch up.
    pub fn retired_encryption_key(mut self, key: SpKeyPair) -> Self {
        self.retired_encryption_keys.push(key);
        self
    }

    /// Which encryption algorithms are accepted (default strict).
    pub fn decryption_policy(mut self, policy: DecryptionPolicy) -> Self {
        self.decryption_policy = policy;
        self
    }

    /// The NameID format requested in AuthnRequests and listed in metadata.
    pub fn name_id_format(mut self, format: impl Into<String>) -> Self {
        self.name_id_format = Some(format.into());
        self
    }

    /// Signs AuthnRequests when a signing key is configured (default true).
    /// An IdP that wants signed requests always gets them.
    pub fn sign_authn_requests(mut self, sign: bool) -> Self {
        self.sign_authn_requests = sign;
        self
    }

    /// Adds a SingleLogoutService endpoint of this SP (published in metadata).
    pub fn slo_url(mut self, binding: Binding, url: Url) -> Self {
        self.slo.push(Endpoint {
            binding,
            location: url,
        });
        self
    }

    /// The organization published in metadata.
    pub fn organization(mut self, organization: Organization) -> Self {
        self.organization = Some(organization);
        self
    }

    /// Adds a contact published in metadata.
    pub fn contact(mut self, contact: ContactPerson) -> Self {
        self.contacts.push(contact);
        self
    }

    /// How long an AuthnRequest stays pending (default 30 minutes, clamped to
    /// 1 minute .. 24 hours).
    pub fn request_lifetime(mut self, lifetime: Duration) -> Self {
        self.request_lifetime = lifetime.clamp(Duration::minutes(1), Duration::hours(24));
        self
    }

    /// The longest assertion lifetime accepted, from the Assertion's
    /// IssueInstant to its effective NotOnOrAfter (default 2 hours, see
    /// [`DEFAULT_MAX_ASSERTION_LIFETIME_MINUTES`]; clamped to 1 minute .. 24
    /// hours). A longer-lived assertion is refused
    /// ([`crate::ProtocolError::LifetimeTooLong`]), so that every replay-cache
    /// entry expires within this bound plus the skew.
    pub fn max_assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_assertion_lifetime = lifetime.clamp(Duration::minutes(1), Duration::hours(24));
        self
    }

    /// No maximum lifetime: behind `danger_accept_any_assertion_lifetime`.
    pub(crate) fn unbounded_assertion_lifetime(mut self) -> Self {
        self.max_assertion_lifetime = Duration::MAX;
        self
    }

    /// Adds an Assertion Consumer Service URL (HTTP-POST).
    pub fn acs_url(mut self, url: Url) -> Self {
        self.acs_urls.push(url);
        self
    }

    /// Adds a trusted IdP.
    pub fn idp(mut self, idp: IdentityProvider) -> Self {
        self.idps.push(idp);
        self
    }

    /// Sets the clock skew (default 60 s).
    pub fn clock_skew(mut self, skew: ClockSkew) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Sets the algorithm policy (default strict).
    pub fn algorithm_policy(mut self, policy: AlgorithmPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the XML limits for inbound messages.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Builds, refusing a configuration without an ACS URL or an IdP, with
    /// two IdPs under one entity ID, with a "next" key but no current one, or
    /// with a non-RSA encryption key.
    pub fn build(self) -> Result<ServiceProvider, ConfigError> {
        if self.acs_urls.is_empty() {
            return Err(ConfigError::Missing("ACS URL"));
        }
        if self.idps.is_empty() {
            return Err(ConfigError::Missing("identity provider"));
        }
        let mut idps = BTreeMap::new();
        for idp in self.idps {
            // An IdP that wants signed AuthnRequests while no signing key is
            // configured is not refused here: such an SP can still verify
            // responses (offline `samlsp verify`, IdP-initiated login). Sending
            // it an AuthnRequest fails with `ConfigError::SigningKeyRequired`.
            if idps.insert(idp.entity_id.clone(), idp).is_some() {
                return Err(ConfigError::Invalid("two IdPs share one entity ID"));
            }
        }
        if self.next_signing_key.is_some() && self.signing_key.is_none() {
            return Err(ConfigError::Missing(
                "signing key (a next signing key is set)",
            ));
        }
        if self.next_encryption_key.is_some() && self.encryption_key.is_none() {
            return Err(ConfigError::Missing(
                "encryption key (a next encryption key is set)",
            ));
        }
        let mut decryption_keys = Vec::new();
        decryption_keys.extend(self.encryption_key.iter().cloned());
        decryption_keys.extend(self.next_encryption_key.iter().cloned());
        decryption_keys.extend(self.retired_encryption_keys);
        if decryption_keys.iter().any(|k| !k.is_rsa()) {
            return Err(ConfigError::EncryptionKeyNotRsa);
        }
        if decryption_keys.len() > crate::xmlenc::MAX_DECRYPTION_KEYS {
            return Err(ConfigError::Invalid("more than 4 decryption keys"));
        }
        Ok(ServiceProvider {
            inner: Arc::new(SpInner {
                entity_id: self.entity_id,
                acs_urls: self.acs_urls,
                idps,
                clock_skew: self.clock_skew,
                policy: self.policy,
                limits: self.limits,
                signing_key: self.signing_key,
                next_signing_key: self.next_signing_key,
                encryption_key: self.encryption_key,
                next_encryption_key: self.next_encryption_key,
                decryption_keys,
                decryption_policy: self.decryption_policy,
                name_id_format: self.name_id_format,
                sign_authn_requests: self.sign_authn_requests,
                slo: self.slo,
                organization: self.organization,
                contacts: self.contacts,
                request_lifetime: self.request_lifetime,
                max_assertion_lifetime: self.max_assertion_lifetime,
            }),
        })
    }
}
