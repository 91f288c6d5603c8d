//! One trusted identity provider: configuration data, built by hand or from
//! its metadata.

use crate::binding::Binding;
use crate::dsig::TrustedKeys;
use crate::error::ConfigError;
use crate::ids::{EntityId, Url};
use crate::metadata::{Endpoint, IdpMetadata};

/// One trusted identity provider (a tenant).
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    pub(crate) entity_id: EntityId,
    pub(crate) keys: TrustedKeys,
    pub(crate) allow_unsolicited: bool,
    pub(crate) sso: Vec<Endpoint>,
    pub(crate) slo: Vec<Endpoint>,
    pub(crate) want_authn_requests_signed: bool,
    pub(crate) binding: Option<Binding>,
    pub(crate) name_id_format: Option<String>,
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
            sso: Vec::new(),
            slo: Vec::new(),
            want_authn_requests_signed: false,
            binding: None,
            name_id_format: None,
        })
    }

    /// Adds a SingleSignOnService endpoint (where AuthnRequests go).
    pub fn sso_endpoint(mut self, binding: Binding, location: Url) -> Self {
        self.sso.push(Endpoint { binding, location });
        self
    }

    /// Adds a SingleLogoutService endpoint.
    pub fn slo_endpoint(mut self, binding: Binding, location: Url) -> Self {
        self.slo.push(Endpoint { binding, location });
        self
    }

    /// The IdP requires signed AuthnRequests (metadata
    /// `WantAuthnRequestsSigned`, SAML Metadata §2.4.3): AuthnRequests to it
    /// are always signed, and refused when the SP has no signing key.
    pub fn want_authn_requests_signed(mut self, want: bool) -> Self {
        self.want_authn_requests_signed = want;
        self
    }

    /// The binding to send AuthnRequests with when the IdP offers several
    /// (default: HTTP-Redirect).
    pub fn preferred_binding(mut self, binding: Binding) -> Self {
        self.binding = Some(binding);
        self
    }

    /// The NameID format to request from this IdP (overrides the SP's).
    pub fn name_id_format(mut self, format: impl Into<String>) -> Self {
        self.name_id_format = Some(format.into());
        self
    }

    /// SingleSignOnService endpoints.
    pub fn sso_endpoints(&self) -> &[Endpoint] {
        &self.sso
    }

    /// SingleLogoutService endpoints.
    pub fn slo_endpoints(&self) -> &[Endpoint] {
        &self.slo
    }

    /// Whether the IdP wants signed AuthnRequests.
    pub fn wants_authn_requests_signed(&self) -> bool {
        self.want_authn_requests_signed
    }

    /// The SSO endpoint to use: the preferred binding when offered, else
    /// HTTP-Redirect, else HTTP-POST.
    pub fn sso_for(&self, preferred: Option<Binding>) -> Option<(Binding, &Url)> {
        let order = [
            preferred.or(self.binding),
            Some(Binding::HttpRedirect),
            Some(Binding::HttpPost),
        ];
        order.into_iter().flatten().find_map(|b| {
            self.sso
                .iter()
                .find(|e| e.binding == b)
                .map(|e| (b, &e.location))
        })
    }

    /// The SLO endpoint to send logout messages to: the preferred binding
    /// when offered, else the IdP's preferred binding, else HTTP-Redirect,
    /// else HTTP-POST.
    pub fn slo_for(&self, preferred: Option<Binding>) -> Option<(Binding, &Url)> {
        let order = [
            preferred,
            self.binding,
            Some(Binding::HttpRedirect),
            Some(Binding::HttpPost),
        ];
        order.into_iter().flatten().find_map(|b| {
            self.slo
                .iter()
                .find(|e| e.binding == b)
                .map(|e| (b, &e.location))
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

    /// The trusted IdP `metadata` describes: its signing keys, SSO and SLO
    /// endpoints (HTTP-Redirect and HTTP-POST) and `WantAuthnRequestsSigned`.
    /// Unsolicited responses stay off.
    pub fn from_metadata(metadata: &IdpMetadata) -> Result<IdentityProvider, ConfigError> {
        let keys = TrustedKeys::new(metadata.signing_keys.clone())?;
        let mut idp = IdentityProvider::new(metadata.entity_id.clone(), keys)?
            .want_authn_requests_signed(metadata.want_authn_requests_signed);
        idp.sso = metadata.sso.clone();
        idp.slo = metadata.slo.clone();
        Ok(idp)
    }
}
