//! Connections added and removed while serving: an application that lets
//! its customers set up their own IdP (an admin console) adds it here, and
//! it is used from the next request on, without a restart.
//!
//! A tenant's IdP list sits behind a lock that requests only hold while
//! taking a snapshot of it (a list of `Arc`s); verification works on the
//! snapshot and on the SP built from it, so no lock is held across it. A
//! change rebuilds the tenant's SP (one rebuild at a time per tenant) and
//! is undone when the core refuses the new list.

use std::sync::Arc;

use samlsp::internal::sync::{lock, read, write};

use crate::Saml;
use crate::config::{IdpConfig, valid_slug};
use crate::saml::{IdpState, SetupError, TenantState};

impl Saml {
    fn tenant_state(&self, tenant: Option<&str>) -> Result<&TenantState, SetupError> {
        self.inner
            .tenants
            .iter()
            .find(|t| t.config.slug.as_deref() == tenant)
            .ok_or_else(|| SetupError::NoSuchTenant(tenant.unwrap_or("default").to_owned()))
    }

    /// Adds an IdP to a running tenant (`None`: the default one), or
    /// replaces the one with the same slug (new options, new metadata).
    /// Static, file and inline metadata are loaded now; URL metadata at the
    /// refresher's next pass (or [`Saml::refresh`]).
    pub fn put_idp(&self, tenant: Option<&str>, idp: IdpConfig) -> Result<(), SetupError> {
        let t = self.tenant_state(tenant)?;
        if !valid_slug(&idp.slug) {
            return Err(SetupError::InvalidSlug(idp.slug));
        }
        let state = Arc::new(IdpState::new(idp, self.now()));
        let _one_at_a_time = lock(&t.rebuilding);
        let before = read(&t.idps);
        let mut after = before.clone();
        match after
            .iter_mut()
            .find(|i| i.config.slug == state.config.slug)
        {
            Some(slot) => *slot = state,
            None => after.push(state),
        }
        self.apply(t, before, after)
    }

    /// Removes an IdP from a running tenant; `Ok(false)` when it has none
    /// of that slug. Its sign-ins in flight fail (issuer not in tenant).
    pub fn remove_idp(&self, tenant: Option<&str>, slug: &str) -> Result<bool, SetupError> {
        let t = self.tenant_state(tenant)?;
        let _one_at_a_time = lock(&t.rebuilding);
        let before = read(&t.idps);
        let after: Vec<_> = before
            .iter()
            .filter(|i| i.config.slug != slug)
            .cloned()
            .collect();
        if after.len() == before.len() {
            return Ok(false);
        }
        self.apply(t, before, after).map(|()| true)
    }

    /// Writes the new list and rebuilds; the caller holds `rebuilding`.
    fn apply(
        &self,
        t: &TenantState,
        before: Vec<Arc<IdpState>>,
        after: Vec<Arc<IdpState>>,
    ) -> Result<(), SetupError> {
        write(&t.idps, after);
        t.rebuild_locked().map_err(|error| {
            write(&t.idps, before);
            SetupError::Core {
                tenant: t.label().to_owned(),
                error,
            }
        })
    }
}
