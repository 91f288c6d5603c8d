//! This SP's metadata, filled from its configuration: one function decides
//! what is published, for a built [`ServiceProvider`] and for a
//! [`ServiceProviderBuilder`] (metadata to hand an IdP administrator before
//! any IdP is configured). The XML itself is written by
//! [`SpMetadataBuilder`].

use super::idp::IdentityProvider;
use super::{ServiceProvider, ServiceProviderBuilder};
use crate::error::Error;
use crate::ids::{EntityId, Url};
use crate::keys::SpKeyPair;
use crate::metadata::{ContactPerson, Endpoint, MetadataOptions, Organization, SpMetadataBuilder};

/// What an SP publishes, borrowed from either form of its configuration.
struct Published<'a> {
    entity_id: &'a EntityId,
    acs_urls: &'a [Url],
    signing: [Option<&'a SpKeyPair>; 2],
    encryption: [Option<&'a SpKeyPair>; 2],
    slo: &'a [Endpoint],
    name_id_format: Option<&'a String>,
    sign_authn_requests: bool,
    organization: Option<&'a Organization>,
    contacts: &'a [ContactPerson],
}

impl Published<'_> {
    fn to_xml<'i>(
        &self,
        mut idps: impl Iterator<Item = &'i IdentityProvider>,
        options: &MetadataOptions,
    ) -> Result<String, Error> {
        let [signing, _] = self.signing;
        let mut b = SpMetadataBuilder::new(self.entity_id.clone());
        b.acs_urls = self.acs_urls.to_vec();
        b.signing_certs = self
            .signing
            .iter()
            .flatten()
            .map(|k| k.certificate_der().to_vec())
            .collect();
        b.encryption_certs = self
            .encryption
            .iter()
            .flatten()
            .map(|k| k.certificate_der().to_vec())
            .collect();
        b.slo = self.slo.to_vec();
        b.name_id_format = self.name_id_format.cloned();
        // As `ServiceProvider::signs_authn_requests_to`, for any IdP.
        b.authn_requests_signed = signing.is_some()
            && (self.sign_authn_requests || idps.any(|i| i.want_authn_requests_signed));
        b.organization = self.organization.cloned();
        b.contacts = self.contacts.to_vec();
        b.signer = signing.cloned();
        b.to_xml(options)
    }
}

impl ServiceProvider {
    /// This SP's metadata: an `md:EntityDescriptor` with one
    /// `md:SPSSODescriptor`: signing keys (current, next), encryption keys
    /// (current, next), SLO endpoints, NameIDFormat, the ACS URLs,
    /// Organization and contacts. `AuthnRequestsSigned` is true when this SP
    /// signs its requests.
    pub fn metadata(&self, options: &MetadataOptions) -> Result<String, Error> {
        let sp = &self.inner;
        Published {
            entity_id: &sp.entity_id,
            acs_urls: &sp.acs_urls,
            signing: [sp.signing_key.as_ref(), sp.next_signing_key.as_ref()],
            encryption: [sp.encryption_key.as_ref(), sp.next_encryption_key.as_ref()],
            slo: &sp.slo,
            name_id_format: sp.name_id_format.as_ref(),
            sign_authn_requests: sp.sign_authn_requests,
            organization: sp.organization.as_ref(),
            contacts: &sp.contacts,
        }
        .to_xml(sp.idps.values(), options)
    }
}

impl ServiceProviderBuilder {
    /// The metadata the SP built from this configuration would publish
    /// ([`ServiceProvider::metadata`]), available before it can be built:
    /// with no IdP configured yet, or while the IdPs' metadata is still
    /// being fetched. Needs at least one ACS URL.
    pub fn metadata(&self, options: &MetadataOptions) -> Result<String, Error> {
        Published {
            entity_id: &self.entity_id,
            acs_urls: &self.acs_urls,
            signing: [self.signing_key.as_ref(), self.next_signing_key.as_ref()],
            encryption: [
                self.encryption_key.as_ref(),
                self.next_encryption_key.as_ref(),
            ],
            slo: &self.slo,
            name_id_format: self.name_id_format.as_ref(),
            sign_authn_requests: self.sign_authn_requests,
            organization: self.organization.as_ref(),
            contacts: &self.contacts,
        }
        .to_xml(self.idps.iter(), options)
    }
}
