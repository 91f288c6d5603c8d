//! `[[org]]` and `[[idp]]`: the organizations (tenants) and their SAML
//! connections, each checked on its own while it is read; the rules that
//! span them (unique slugs and domains, every connection's organization
//! exists) run in [`super::Config`]'s conversion.

use std::path::PathBuf;

use serde::Deserialize;

use super::RequestBinding;
use super::directory::{LdapSettings, SyncSettings};
use crate::linking::{AttributeNames, AttributeProfile, Domain};

/// `[[org]]`: one company, a tenant of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgConfig {
    /// Short name (stored; unique).
    pub slug: String,
    /// Name shown.
    pub name: String,
    /// Verified email domains: an asserted email is adopted only in one of
    /// these; no two organizations may list the same one.
    #[serde(default)]
    pub domains: Vec<Domain>,
    /// Its sites (at least one; names unique within the organization).
    pub locations: Vec<String>,
    /// New users' default location, where the admin group makes admins
    /// (default: the first location).
    #[serde(default)]
    pub default_location: Option<String>,
    /// Take over the organization `default` that the organizations
    /// migration made of a single-company database (at most one org).
    #[serde(default)]
    pub adopt_default: bool,
    /// Directory sync settings (`[org.sync]`).
    #[serde(default)]
    pub sync: SyncSettings,
    /// The directory to pull people from (`[org.ldap]`).
    #[serde(default)]
    pub ldap: Option<LdapSettings>,
    /// SCIM users may have any userName and email domain, not only the
    /// verified ones (for conformance testers, which send random values;
    /// never for a real organization).
    #[serde(default)]
    pub scim_any_email_domain: bool,
}

impl OrgConfig {
    /// The default location's name.
    pub fn default_location(&self) -> &str {
        match &self.default_location {
            Some(d) => d,
            // Validation keeps at least one location.
            None => self.locations.first().map_or("", String::as_str),
        }
    }
}

/// Where an IdP's metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataSource {
    /// A URL, refreshed in the background.
    Url(String),
    /// A file.
    File(PathBuf),
    /// Inline XML (tests).
    Xml(String),
}

/// `[[idp]]`: one company.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawIdp")]
pub struct IdpSettings {
    /// Short name in URLs.
    pub slug: String,
    /// The organization's slug.
    pub org: String,
    /// Button label.
    pub name: String,
    /// Its metadata.
    pub metadata: MetadataSource,
    /// Entity ID to pick from the metadata.
    pub entity_id: Option<String>,
    /// AuthnRequest binding (default: the metadata's first).
    pub binding: Option<RequestBinding>,
    /// Accept IdP-initiated sign-in from this IdP.
    pub allow_idp_initiated: bool,
    /// Override the metadata's WantAuthnRequestsSigned.
    pub want_signed_requests: Option<bool>,
    /// NameID format to request.
    pub name_id_format: Option<String>,
    /// Serve this IdP from its own SP (`/t/<slug>/saml/…`, entity ID
    /// `<public_url>/t/<slug>/saml/metadata`) instead of the shared one.
    pub own_sp: bool,
    /// Create users on first sign-in.
    pub jit_create: bool,
    /// Group (attribute value) whose members are admins.
    pub admin_group: Option<String>,
    /// Attribute-name defaults.
    pub attribute_profile: AttributeProfile,
    /// Per-field overrides of the profile.
    pub attributes: AttributeNames,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdp {
    slug: String,
    org: String,
    name: String,
    metadata_url: Option<String>,
    metadata_file: Option<PathBuf>,
    metadata_xml: Option<String>,
    entity_id: Option<String>,
    binding: Option<RequestBinding>,
    #[serde(default)]
    allow_idp_initiated: bool,
    want_signed_requests: Option<bool>,
    name_id_format: Option<String>,
    #[serde(default)]
    own_sp: bool,
    #[serde(default = "yes")]
    jit_create: bool,
    admin_group: Option<String>,
    #[serde(default)]
    attribute_profile: AttributeProfile,
    #[serde(default)]
    attributes: AttributeNames,
}

fn yes() -> bool {
    true
}

impl TryFrom<RawIdp> for IdpSettings {
    type Error = String;
    fn try_from(r: RawIdp) -> Result<Self, String> {
        let metadata = match (r.metadata_url, r.metadata_file, r.metadata_xml) {
            (Some(u), None, None) => MetadataSource::Url(u),
            (None, Some(f), None) => MetadataSource::File(f),
            (None, None, Some(x)) => MetadataSource::Xml(x),
            _ => {
                return Err(format!(
                    "idp {:?}: set exactly one of metadata_url, metadata_file, metadata_xml",
                    r.slug
                ));
            }
        };
        Ok(IdpSettings {
            slug: r.slug,
            org: r.org,
            name: r.name,
            metadata,
            entity_id: r.entity_id,
            binding: r.binding,
            allow_idp_initiated: r.allow_idp_initiated,
            want_signed_requests: r.want_signed_requests,
            name_id_format: r.name_id_format,
            own_sp: r.own_sp,
            jit_create: r.jit_create,
            admin_group: r.admin_group,
            attribute_profile: r.attribute_profile,
            attributes: r.attributes,
        })
    }
}

impl IdpSettings {
    /// The profile's names with this IdP's overrides.
    pub fn attribute_names(&self) -> AttributeNames {
        self.attribute_profile
            .names()
            .overridden_by(&self.attributes)
    }
}
