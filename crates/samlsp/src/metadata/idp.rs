//! IdP metadata in (SAML Metadata 2.0 §2.3–2.4): the entity ID, the signing
//! keys (all of them, for rollover), SSO/SLO endpoints per binding and
//! `WantAuthnRequestsSigned`, read with the same hardened parser.

use chrono::{DateTime, Utc};

use crate::binding::Binding;
use crate::dsig::{AlgorithmPolicy, TrustedKey, TrustedKeys};
use crate::error::{Error, MetadataError, clip};
use crate::ids::{EntityId, Url};
use crate::time::parse_instant;
use crate::xml::{self, ElementRef, Limits};

/// SAML metadata namespace.
pub const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// One endpoint: binding and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The binding.
    pub binding: Binding,
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
                "SingleSignOnService" => sso.extend(endpoint(child)?),
                "SingleLogoutService" => slo.extend(endpoint(child)?),
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

    /// The SSO endpoint for a binding.
    pub fn sso_endpoint(&self, binding: Binding) -> Option<&Endpoint> {
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

/// An endpoint of a binding this SP speaks (HTTP-Redirect, HTTP-POST);
/// `None` for the others (SOAP, Artifact, ...), which it never uses.
fn endpoint(el: ElementRef<'_>) -> Result<Option<Endpoint>, MetadataError> {
    let binding = el
        .attr("Binding")
        .ok_or(MetadataError::Structure("endpoint without Binding"))?;
    let Some(binding) = Binding::from_uri(binding) else {
        return Ok(None);
    };
    let location = el.attr("Location").unwrap_or("");
    let location = Url::new(location.trim()).map_err(|_| MetadataError::BadEndpoint {
        location: clip(location),
    })?;
    Ok(Some(Endpoint { binding, location }))
}
