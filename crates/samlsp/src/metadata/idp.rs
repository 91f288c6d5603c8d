//! IdP metadata in (SAML Metadata 2.0 §2.3–2.4): the entity ID, the signing
//! keys (all of them, for rollover), SSO/SLO endpoints per binding and
//! `WantAuthnRequestsSigned`, read with the same hardened parser.

use chrono::{DateTime, Utc};

use crate::binding::Binding;
use crate::config::IdentityProvider;
use crate::dsig::{AlgorithmPolicy, TrustedKey, TrustedKeys};
use crate::error::{ConfigError, Error, clip};
use crate::ids::{EntityId, Url};
use crate::time::parse_instant;
use crate::xml::{self, ElementRef, Limits};

/// SAML metadata namespace.
pub const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// HTTP-Redirect binding URI.
pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// HTTP-POST binding URI.
pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// Why IdP metadata was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    #[error("root element is not md:EntityDescriptor or md:EntitiesDescriptor")]
    NotMetadata,
    #[error("no EntityDescriptor with an IDPSSODescriptor for SAML 2.0{}", .entity_id.as_deref().map(|e| format!(" and entityID {e:?}")).unwrap_or_default())]
    NoIdp { entity_id: Option<String> },
    #[error("several IdPs in the metadata; name the entity ID to use")]
    Ambiguous,
    #[error("the IdP has no signing key; refusing it (never 'no key, so no check')")]
    NoSigningKey,
    #[error("a signing certificate is not usable: {0}")]
    Key(#[from] crate::dsig::KeyError),
    #[error("endpoint Location {location:?} is not an http(s) URL")]
    BadEndpoint { location: String },
    #[error("the metadata expired at {valid_until} (now {now})")]
    Expired {
        valid_until: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("malformed metadata: {0}")]
    Structure(&'static str),
    #[error("entity ID: {0}")]
    EntityId(#[from] crate::ids::InvalidIdentifier),
    #[error("the metadata is not signed, but a signature from the pinned key is required")]
    Unsigned,
    #[error("the metadata signature did not verify: {0}")]
    Signature(crate::dsig::DsigError),
    #[error("cannot read the metadata source: {reason:?}")]
    Source { reason: String },
}

/// One endpoint: binding and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Binding URI.
    pub binding: String,
    /// Location URL.
    pub location: Url,
}

/// What the IdP's metadata says.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    /// `entityID`.
    pub entity_id: EntityId,
    /// Signing keys (`use="signing"` or no `use`), in document order.
    pub signing_keys: Vec<TrustedKey>,
    /// SingleSignOnService endpoints.
    pub sso: Vec<Endpoint>,
    /// SingleLogoutService endpoints.
    pub slo: Vec<Endpoint>,
    /// `WantAuthnRequestsSigned`.
    pub want_authn_requests_signed: bool,
    /// The earliest `validUntil` on the path to the entity, if any.
    pub valid_until: Option<DateTime<Utc>>,
    /// `cacheDuration` of the entity or its parents, verbatim (xs:duration).
    pub cache_duration: Option<String>,
}

impl IdpMetadata {
    /// Parses metadata and picks the IdP: by `entity_id` when given, else the
    /// only IdP in the document. `now` enforces `validUntil`.
    ///
    /// No signature is checked: use this for metadata whose integrity the
    /// deployment guarantees (a file shipped with the app, a TLS fetch from the
    /// IdP itself). Metadata from an aggregator must go through
    /// [`IdpMetadata::parse_verified`].
    pub fn parse(
        xml_bytes: &[u8],
        entity_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let doc = xml::parse(xml_bytes, &Limits::metadata())?;
        Ok(Self::from_root(doc.root(), entity_id, now)?)
    }

    /// Like [`IdpMetadata::parse`], but the root element (EntityDescriptor or
    /// EntitiesDescriptor) must carry an enveloped signature that verifies
    /// with one of `signing_keys`, the pinned metadata-signing certificate(s)
    /// (SAML Metadata §3.1; SAML V2.0 Metadata Interoperability Profile). The
    /// IdP is then read through the proof, so everything used is signed.
    /// Unsigned metadata is refused, never accepted as "nothing to check".
    pub fn parse_verified(
        xml_bytes: &[u8],
        entity_id: Option<&str>,
        now: DateTime<Utc>,
        signing_keys: &TrustedKeys,
    ) -> Result<Self, Error> {
        let doc = xml::parse(xml_bytes, &Limits::metadata())?;
        let root = doc.root();
        if !root.is(MD_NS, "EntityDescriptor") && !root.is(MD_NS, "EntitiesDescriptor") {
            return Err(MetadataError::NotMetadata.into());
        }
        if root
            .children_named(crate::dsig::DSIG_NS, "Signature")
            .next()
            .is_none()
        {
            return Err(MetadataError::Unsigned.into());
        }
        let signed = crate::dsig::verify(root, signing_keys, &AlgorithmPolicy::strict())
            .map_err(MetadataError::Signature)?;
        Ok(Self::from_root(signed.element(), entity_id, now)?)
    }

    fn from_root(
        root: ElementRef<'_>,
        wanted: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, MetadataError> {
        if !root.is(MD_NS, "EntityDescriptor") && !root.is(MD_NS, "EntitiesDescriptor") {
            return Err(MetadataError::NotMetadata);
        }
        let mut found: Vec<Found<'_>> = Vec::new();
        collect(root, wanted, None, None, &mut found)?;
        if found.len() > 1 {
            return Err(MetadataError::Ambiguous);
        }
        let (entity, idp, valid_until, cache_duration) =
            found.pop().ok_or_else(|| MetadataError::NoIdp {
                entity_id: wanted.map(clip),
            })?;
        if let Some(v) = valid_until {
            if now >= v {
                return Err(MetadataError::Expired {
                    valid_until: v,
                    now,
                });
            }
        }
        let entity_id = EntityId::new(entity.attr("entityID").unwrap_or(""))?;

        let mut signing_keys = Vec::new();
        let mut sso = Vec::new();
        let mut slo = Vec::new();
        for child in idp.children() {
            if !child.is(MD_NS, child.local_name()) {
                continue;
            }
            match child.local_name() {
                "KeyDescriptor" => {
                    let usage = child.attr("use");
                    if usage.is_none() || usage == Some("signing") {
                        for cert in certificates(child)? {
                            signing_keys.push(TrustedKey::from_certificate_der(&cert)?);
                        }
                    }
                }
                "SingleSignOnService" => sso.push(endpoint(child)?),
                "SingleLogoutService" => slo.push(endpoint(child)?),
                _ => {}
            }
        }
        if signing_keys.is_empty() {
            return Err(MetadataError::NoSigningKey);
        }
        Ok(IdpMetadata {
            entity_id,
            signing_keys,
            sso,
            slo,
            want_authn_requests_signed: matches!(
                idp.attr("WantAuthnRequestsSigned"),
                Some("true") | Some("1")
            ),
            valid_until,
            cache_duration,
        })
    }

    /// The trusted IdP this metadata describes: its signing keys, SSO and SLO
    /// endpoints (HTTP-Redirect and HTTP-POST) and `WantAuthnRequestsSigned`.
    /// Unsolicited responses stay off.
    pub fn to_identity_provider(&self) -> Result<IdentityProvider, ConfigError> {
        let keys = TrustedKeys::new(self.signing_keys.clone())?;
        let mut idp = IdentityProvider::new(self.entity_id.clone(), keys)?
            .want_authn_requests_signed(self.want_authn_requests_signed);
        for e in &self.sso {
            if let Some(b) = Binding::from_uri(&e.binding) {
                idp = idp.sso_endpoint(b, e.location.clone());
            }
        }
        for e in &self.slo {
            if let Some(b) = Binding::from_uri(&e.binding) {
                idp = idp.slo_endpoint(b, e.location.clone());
            }
        }
        Ok(idp)
    }

    /// The SSO endpoint for a binding.
    pub fn sso_endpoint(&self, binding: &str) -> Option<&Endpoint> {
        self.sso.iter().find(|e| e.binding == binding)
    }
}

type Found<'d> = (
    ElementRef<'d>,
    ElementRef<'d>,
    Option<DateTime<Utc>>,
    Option<String>,
);

/// Walks (nested) EntitiesDescriptors collecting SAML 2.0 IdP roles.
fn collect<'d>(
    el: ElementRef<'d>,
    wanted: Option<&str>,
    valid_until: Option<DateTime<Utc>>,
    cache: Option<String>,
    out: &mut Vec<Found<'d>>,
) -> Result<(), MetadataError> {
    let own = match el.attr("validUntil") {
        Some(v) => {
            Some(parse_instant(v).ok_or(MetadataError::Structure("validUntil is not a dateTime"))?)
        }
        None => None,
    };
    let valid_until = match (valid_until, own) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let cache = el.attr("cacheDuration").map(str::to_owned).or(cache);
    if el.is(MD_NS, "EntitiesDescriptor") {
        for child in el.children() {
            if child.is(MD_NS, "EntityDescriptor") || child.is(MD_NS, "EntitiesDescriptor") {
                collect(child, wanted, valid_until, cache.clone(), out)?;
            }
        }
        return Ok(());
    }
    let id = el.attr("entityID").unwrap_or("");
    if wanted.is_some_and(|w| w != id) {
        return Ok(());
    }
    for role in el.children_named(MD_NS, "IDPSSODescriptor") {
        let supports = role.attr("protocolSupportEnumeration").unwrap_or("");
        if supports.split_ascii_whitespace().any(|p| p == PROTOCOL) {
            out.push((el, role, valid_until, cache.clone()));
            break;
        }
    }
    Ok(())
}

fn certificates(key_descriptor: ElementRef<'_>) -> Result<Vec<Vec<u8>>, MetadataError> {
    let mut certs = Vec::new();
    for ki in key_descriptor.children_named(crate::dsig::DSIG_NS, "KeyInfo") {
        for data in ki.children_named(crate::dsig::DSIG_NS, "X509Data") {
            for cert in data.children_named(crate::dsig::DSIG_NS, "X509Certificate") {
                let text = cert.text().ok_or(MetadataError::Structure(
                    "X509Certificate has element content",
                ))?;
                let der = crate::util::decode_base64_lenient(&text)
                    .ok_or(MetadataError::Structure("X509Certificate is not base64"))?;
                certs.push(der);
            }
        }
    }
    Ok(certs)
}

fn endpoint(el: ElementRef<'_>) -> Result<Endpoint, MetadataError> {
    let binding = el
        .attr("Binding")
        .ok_or(MetadataError::Structure("endpoint without Binding"))?
        .to_owned();
    let location = el.attr("Location").unwrap_or("");
    let location = Url::new(location.trim()).map_err(|_| MetadataError::BadEndpoint {
        location: clip(location),
    })?;
    Ok(Endpoint { binding, location })
}
