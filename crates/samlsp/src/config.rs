//! Configuration of this service provider and the identity providers it trusts.
//!
//! Built once with builders that refuse half-configured states, then immutable
//! and cheap to share (`Arc` inside).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::dsig::{AlgorithmPolicy, TrustedKeys};
use crate::error::ConfigError;
use crate::ids::{EntityId, Url};
use crate::time::ClockSkew;
use crate::xml::Limits;

/// One trusted identity provider (a tenant).
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    pub(crate) entity_id: EntityId,
    pub(crate) keys: TrustedKeys,
    pub(crate) allow_unsolicited: bool,
}

impl IdentityProvider {
    /// An IdP with its entity ID and signing keys. An IdP without keys cannot
    /// be built: there is no "no key, so no check".
    pub fn new(entity_id: EntityId, keys: TrustedKeys) -> Result<Self, ConfigError> {
        if keys.is_empty() {
            return Err(ConfigError::Missing("IdP signing key"));
        }
        Ok(IdentityProvider {
            entity_id,
            keys,
            allow_unsolicited: false,
        })
    }

    /// Accepts IdP-initiated (unsolicited) responses from this IdP. Off by
    /// default: they cannot be bound to a browser session (login CSRF).
    pub fn allow_unsolicited(mut self, allow: bool) -> Self {
        self.allow_unsolicited = allow;
        self
    }

    /// The entity ID.
    pub fn entity_id(&self) -> &EntityId {
        &self.entity_id
    }

    /// The signing keys.
    pub fn keys(&self) -> &TrustedKeys {
        &self.keys
    }

    /// Whether unsolicited responses are accepted.
    pub fn allows_unsolicited(&self) -> bool {
        self.allow_unsolicited
    }
}

#[derive(Debug)]
pub(crate) struct SpInner {
    pub(crate) entity_id: EntityId,
    pub(crate) acs_urls: Vec<Url>,
    pub(crate) idps: BTreeMap<EntityId, IdentityProvider>,
    pub(crate) clock_skew: ClockSkew,
    pub(crate) policy: AlgorithmPolicy,
    pub(crate) limits: Limits,
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
    pub fn idp(&self, entity_id: &str) -> Option<&IdentityProvider> {
        self.inner
            .idps
            .iter()
            .find(|(k, _)| k.as_str() == entity_id)
            .map(|(_, v)| v)
    }

    /// All configured IdPs.
    pub fn idps(&self) -> impl Iterator<Item = &IdentityProvider> {
        self.inner.idps.values()
    }

    /// The clock skew.
    pub fn clock_skew(&self) -> ClockSkew {
        self.inner.clock_skew
    }
}

/// Builder for [`ServiceProvider`].
#[derive(Debug)]
pub struct ServiceProviderBuilder {
    entity_id: EntityId,
    acs_urls: Vec<Url>,
    idps: Vec<IdentityProvider>,
    clock_skew: ClockSkew,
    policy: AlgorithmPolicy,
    limits: Limits,
}

impl ServiceProviderBuilder {
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

    /// Builds, refusing a configuration without an ACS URL or an IdP, or with
    /// two IdPs under one entity ID.
    pub fn build(self) -> Result<ServiceProvider, ConfigError> {
        if self.acs_urls.is_empty() {
            return Err(ConfigError::Missing("ACS URL"));
        }
        if self.idps.is_empty() {
            return Err(ConfigError::Missing("identity provider"));
        }
        let mut idps = BTreeMap::new();
        for idp in self.idps {
            if idps.insert(idp.entity_id.clone(), idp).is_some() {
                return Err(ConfigError::Invalid("two IdPs share one entity ID"));
            }
        }
        Ok(ServiceProvider {
            inner: Arc::new(SpInner {
                entity_id: self.entity_id,
                acs_urls: self.acs_urls,
                idps,
                clock_skew: self.clock_skew,
                policy: self.policy,
                limits: self.limits,
            }),
        })
    }
}
