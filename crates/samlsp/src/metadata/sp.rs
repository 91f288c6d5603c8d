//! SP metadata out (SAML Metadata 2.0 §2.3.2 EntityDescriptor, §2.4.4
//! SPSSODescriptor): what an IdP administrator imports.
//!
//! The output is deterministic for a given configuration and options (a golden
//! file test pins it), written through the escaping [`XmlWriter`], and
//! optionally signed with the SP signing key.
//!
//! Keys are published by use (§2.4.1.1): the signing certificate(s) with
//! `use="signing"`, the encryption certificate(s) with `use="encryption"` and
//! only the `EncryptionMethod`s this SP decrypts without conditions: AES-GCM
//! content and RSA-OAEP key transport. AES-CBC is decrypted only when the
//! Response signature covers the EncryptedAssertion, so it is not offered; RSA
//! 1.5 and 3DES never are.

use chrono::{DateTime, Duration, Utc};
use openssl::hash::{MessageDigest, hash};

use openssl::x509::X509;

use super::{Endpoint, MD_NS};
use crate::binding::{Binding, HTTP_POST};
use crate::dsig::{DSIG_NS, KeyError};
use crate::error::{ConfigError, Error, OutboundError};
use crate::ids::{EntityId, Url};
use crate::keys::{SpKeyPair, b64};
use crate::time::format_instant;
use crate::xmlenc;
use crate::xmlwriter::XmlWriter;

const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// `md:Organization` (SAML Metadata §2.3.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    name: String,
    display_name: String,
    url: Url,
    lang: String,
}

impl Organization {
    /// Name, display name and URL, in English (`xml:lang="en"`).
    pub fn new(name: impl Into<String>, display_name: impl Into<String>, url: Url) -> Self {
        Organization {
            name: name.into(),
            display_name: display_name.into(),
            url,
            lang: "en".to_owned(),
        }
    }

    /// Sets `xml:lang` of the three values.
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = lang.into();
        self
    }
}

/// `contactType` (SAML Metadata §2.3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactType {
    /// `technical`.
    Technical,
    /// `support`.
    Support,
    /// `administrative`.
    Administrative,
    /// `billing`.
    Billing,
    /// `other`.
    Other,
}

impl ContactType {
    fn as_str(self) -> &'static str {
        match self {
            ContactType::Technical => "technical",
            ContactType::Support => "support",
            ContactType::Administrative => "administrative",
            ContactType::Billing => "billing",
            ContactType::Other => "other",
        }
    }
}

/// `md:ContactPerson` (SAML Metadata §2.3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPerson {
    kind: ContactType,
    company: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    emails: Vec<String>,
}

impl ContactPerson {
    /// A contact of this type.
    pub fn new(kind: ContactType) -> Self {
        ContactPerson {
            kind,
            company: None,
            given_name: None,
            surname: None,
            emails: Vec::new(),
        }
    }
    /// `Company`.
    pub fn company(mut self, v: impl Into<String>) -> Self {
        self.company = Some(v.into());
        self
    }
    /// `GivenName`.
    pub fn given_name(mut self, v: impl Into<String>) -> Self {
        self.given_name = Some(v.into());
        self
    }
    /// `SurName`.
    pub fn surname(mut self, v: impl Into<String>) -> Self {
        self.surname = Some(v.into());
        self
    }
    /// Adds an `EmailAddress` (`mailto:` is added when missing).
    pub fn email(mut self, v: impl Into<String>) -> Self {
        let v = v.into();
        self.emails.push(if v.starts_with("mailto:") {
            v
        } else {
            format!("mailto:{v}")
        });
        self
    }
}

/// Options for [`ServiceProvider::metadata`](crate::ServiceProvider::metadata). The default is unsigned, with no
/// `validUntil` and no `cacheDuration`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataOptions {
    valid_until: Option<DateTime<Utc>>,
    cache_duration: Option<Duration>,
    sign: bool,
}

impl MetadataOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    /// `validUntil` (an input, so output stays deterministic).
    pub fn valid_until(mut self, t: DateTime<Utc>) -> Self {
        self.valid_until = Some(t);
        self
    }
    /// `cacheDuration` (whole seconds are written).
    pub fn cache_duration(mut self, d: Duration) -> Self {
        self.cache_duration = Some(d);
        self
    }
    /// Signs the EntityDescriptor with the SP signing key (enveloped,
    /// RSA-SHA256 or ECDSA, exclusive C14N). RSA signatures are
    /// deterministic; ECDSA ones are not.
    pub fn signed(mut self, sign: bool) -> Self {
        self.sign = sign;
        self
    }
}

/// Formats a duration as `xs:duration` (`P1DT6H`, `PT30M`, `PT0S`), in whole
/// seconds.
pub(crate) fn format_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if h > 0 || m > 0 || s > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

fn key_info(w: &mut XmlWriter, cert_der: &[u8]) {
    w.start("ds:KeyInfo")
        .start("ds:X509Data")
        .text_element("ds:X509Certificate", &[], &b64(cert_der))
        .end()
        .end();
}

fn encryption_methods(w: &mut XmlWriter) {
    for alg in [xmlenc::AES256_GCM, xmlenc::AES128_GCM] {
        w.start("md:EncryptionMethod").attr("Algorithm", alg).end();
    }
    w.start("md:EncryptionMethod")
        .attr("Algorithm", xmlenc::RSA_OAEP)
        .start("ds:DigestMethod")
        .attr("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256")
        .end()
        .end();
    w.start("md:EncryptionMethod")
        .attr("Algorithm", xmlenc::RSA_OAEP_MGF1P)
        .end();
}

/// SP metadata from parts, for when there is no full [`ServiceProvider`](crate::ServiceProvider)
/// (the `samlsp metadata` command: certificates without private keys).
/// [`ServiceProvider::metadata`](crate::ServiceProvider::metadata) fills one from its configuration.
#[derive(Debug, Clone)]
pub struct SpMetadataBuilder {
    pub(crate) entity_id: EntityId,
    pub(crate) acs_urls: Vec<Url>,
    pub(crate) signing_certs: Vec<Vec<u8>>,
    pub(crate) encryption_certs: Vec<Vec<u8>>,
    pub(crate) slo: Vec<Endpoint>,
    pub(crate) name_id_format: Option<String>,
    pub(crate) authn_requests_signed: bool,
    pub(crate) organization: Option<Organization>,
    pub(crate) contacts: Vec<ContactPerson>,
    pub(crate) signer: Option<SpKeyPair>,
}

fn cert_der_from_pem(pem: &[u8]) -> Result<Vec<u8>, KeyError> {
    X509::from_pem(pem)
        .and_then(|c| c.to_der())
        .map_err(|_| KeyError::Decode)
}

impl SpMetadataBuilder {
    /// Metadata for `entity_id`.
    pub fn new(entity_id: EntityId) -> Self {
        SpMetadataBuilder {
            entity_id,
            acs_urls: Vec::new(),
            signing_certs: Vec::new(),
            encryption_certs: Vec::new(),
            slo: Vec::new(),
            name_id_format: None,
            authn_requests_signed: false,
            organization: None,
            contacts: Vec::new(),
            signer: None,
        }
    }
    /// Adds an HTTP-POST AssertionConsumerService (the first is the default).
    pub fn acs_url(mut self, url: Url) -> Self {
        self.acs_urls.push(url);
        self
    }
    /// Publishes a signing certificate (PEM); sets `AuthnRequestsSigned`.
    pub fn signing_certificate_pem(mut self, pem: &[u8]) -> Result<Self, KeyError> {
        self.signing_certs.push(cert_der_from_pem(pem)?);
        self.authn_requests_signed = true;
        Ok(self)
    }
    /// Publishes an encryption certificate (PEM, RSA).
    pub fn encryption_certificate_pem(mut self, pem: &[u8]) -> Result<Self, KeyError> {
        let cert = X509::from_pem(pem).map_err(|_| KeyError::Decode)?;
        let key = cert.public_key().map_err(|_| KeyError::Decode)?;
        if key.id() != openssl::pkey::Id::RSA {
            return Err(KeyError::UnsupportedKeyType);
        }
        self.encryption_certs
            .push(cert.to_der().map_err(|_| KeyError::Decode)?);
        Ok(self)
    }
    /// Adds a SingleLogoutService.
    pub fn slo_url(mut self, binding: Binding, url: Url) -> Self {
        self.slo.push(Endpoint {
            binding,
            location: url,
        });
        self
    }
    /// Lists a NameIDFormat.
    pub fn name_id_format(mut self, format: impl Into<String>) -> Self {
        self.name_id_format = Some(format.into());
        self
    }
    /// Overrides `AuthnRequestsSigned`.
    pub fn authn_requests_signed(mut self, signed: bool) -> Self {
        self.authn_requests_signed = signed;
        self
    }
    /// The organization.
    pub fn organization(mut self, organization: Organization) -> Self {
        self.organization = Some(organization);
        self
    }
    /// Adds a contact.
    pub fn contact(mut self, contact: ContactPerson) -> Self {
        self.contacts.push(contact);
        self
    }
    /// Signs the metadata with this key (see [`MetadataOptions::signed`]).
    pub fn sign_with(mut self, key: SpKeyPair) -> Self {
        self.signer = Some(key);
        self
    }

    /// Writes the metadata. `options.signed` needs a key from
    /// [`SpMetadataBuilder::sign_with`].
    pub fn to_xml(&self, options: &MetadataOptions) -> Result<String, Error> {
        if self.acs_urls.is_empty() {
            return Err(ConfigError::Missing("ACS URL").into());
        }
        let signing_key = match (options.sign, &self.signer) {
            (true, Some(k)) => Some(k),
            (true, None) => return Err(ConfigError::Missing("signing key").into()),
            (false, _) => None,
        };
        // A stable ID derived from the entity ID: the signature needs one,
        // and the output must not change from run to run.
        let id = match signing_key {
            Some(_) => {
                let digest = hash(MessageDigest::sha256(), self.entity_id.as_str().as_bytes())
                    .map_err(|_| OutboundError::Signing)?;
                let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
                Some(format!("_{hex}"))
            }
            None => None,
        };

        let mut w = XmlWriter::pretty();
        w.start("md:EntityDescriptor")
            .attr("xmlns:md", MD_NS)
            .attr("xmlns:ds", DSIG_NS)
            .attr("entityID", self.entity_id.as_str())
            .attr_opt("ID", id.as_deref());
        if let Some(t) = options.valid_until {
            w.attr("validUntil", &format_instant(t));
        }
        if let Some(d) = options.cache_duration {
            w.attr("cacheDuration", &format_duration(d));
        }
        let signature_at = w.position();

        // SAML Metadata §2.4.4: SSODescriptorType children, then ACS.
        w.start("md:SPSSODescriptor")
            .attr(
                "AuthnRequestsSigned",
                if self.authn_requests_signed {
                    "true"
                } else {
                    "false"
                },
            )
            .attr("WantAssertionsSigned", "true")
            .attr("protocolSupportEnumeration", PROTOCOL);
        for cert in &self.signing_certs {
            w.start("md:KeyDescriptor").attr("use", "signing");
            key_info(&mut w, cert);
            w.end();
        }
        for cert in &self.encryption_certs {
            w.start("md:KeyDescriptor").attr("use", "encryption");
            key_info(&mut w, cert);
            encryption_methods(&mut w);
            w.end();
        }
        for slo in &self.slo {
            w.start("md:SingleLogoutService")
                .attr("Binding", slo.binding.uri())
                .attr("Location", slo.location.as_str())
                .end();
        }
        if let Some(f) = &self.name_id_format {
            w.text_element("md:NameIDFormat", &[], f);
        }
        for (i, acs) in self.acs_urls.iter().enumerate() {
            w.start("md:AssertionConsumerService")
                .attr("Binding", HTTP_POST)
                .attr("Location", acs.as_str())
                .attr("index", &i.to_string());
            if i == 0 {
                w.attr("isDefault", "true");
            }
            w.end();
        }
        w.end();

        if let Some(org) = &self.organization {
            let lang = [("xml:lang", org.lang.as_str())];
            w.start("md:Organization");
            w.text_element("md:OrganizationName", &lang, &org.name);
            w.text_element("md:OrganizationDisplayName", &lang, &org.display_name);
            w.text_element("md:OrganizationURL", &lang, org.url.as_str());
            w.end();
        }
        for c in &self.contacts {
            w.start("md:ContactPerson")
                .attr("contactType", c.kind.as_str());
            if let Some(v) = &c.company {
                w.text_element("md:Company", &[], v);
            }
            if let Some(v) = &c.given_name {
                w.text_element("md:GivenName", &[], v);
            }
            if let Some(v) = &c.surname {
                w.text_element("md:SurName", &[], v);
            }
            for e in &c.emails {
                w.text_element("md:EmailAddress", &[], e);
            }
            w.end();
        }
        let xml = w.finish();
        match (signing_key, id) {
            (Some(key), Some(id)) => key.sign_enveloped(&xml, &id, signature_at),
            _ => Ok(xml),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::hours(6)), "PT6H");
        assert_eq!(format_duration(Duration::days(2)), "P2D");
        assert_eq!(format_duration(Duration::seconds(90_061)), "P1DT1H1M1S");
        assert_eq!(format_duration(Duration::zero()), "PT0S");
        assert_eq!(format_duration(Duration::minutes(30)), "PT30M");
        for d in [
            Duration::hours(6),
            Duration::days(2),
            Duration::seconds(90_061),
        ] {
            assert_eq!(super::super::parse_duration(&format_duration(d)), Some(d));
        }
    }
}
