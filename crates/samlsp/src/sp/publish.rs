//! This SP's metadata, filled from its configuration.

use super::ServiceProvider;
use crate::error::Error;
use crate::metadata::{MetadataOptions, SpMetadataBuilder};

impl ServiceProvider {
    /// This SP's metadata: an `md:EntityDescriptor` with one
    /// `md:SPSSODescriptor`: signing keys (current, next), encryption keys
    /// (current, next), SLO endpoints, NameIDFormat, the ACS URLs,
    /// Organization and contacts. `AuthnRequestsSigned` is true when this SP
    /// signs its requests.
    pub fn metadata(&self, options: &MetadataOptions) -> Result<String, Error> {
        let sp = &self.inner;
        let mut b = SpMetadataBuilder::new(sp.entity_id.clone());
        b.acs_urls = sp.acs_urls.clone();
        b.signing_certs = sp
            .signing_key
            .iter()
            .chain(sp.next_signing_key.iter())
            .map(|k| k.certificate_der().to_vec())
            .collect();
        b.encryption_certs = sp
            .encryption_key
            .iter()
            .chain(sp.next_encryption_key.iter())
            .map(|k| k.certificate_der().to_vec())
            .collect();
        b.slo = sp.slo.clone();
        b.name_id_format = sp.name_id_format.clone();
        b.authn_requests_signed = sp.signing_key.is_some()
            && (sp.sign_authn_requests || sp.idps.values().any(|i| i.want_authn_requests_signed));
        b.organization = sp.organization.clone();
        b.contacts = sp.contacts.clone();
        b.signer = sp.signing_key.clone();
        b.to_xml(options)
    }
}
