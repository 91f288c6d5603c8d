//! Configuration: one TOML file, then environment overrides, checked while
//! it is read. Every value has a type that only holds valid values
//! ([`values`], [`Domain`], enums), and the rules that span several values
//! (a default location must exist, one domain has one organization, every
//! connection names an organization) run as the last step of deserializing,
//! so a [`Config`] is valid by construction.
//!
//! Organizations (`[[org]]`) are the tenants: slug, name, verified email
//! domains, locations and default location. Connections (`[[idp]]`) are
//! the SAML IdPs; each belongs to one organization (`org = "<slug>"`) and
//! keeps its own URLs (`/saml/…`, or `/t/<idp slug>/saml/…` with `own_sp`).
//!
//! Relative paths in the file are relative to the file's directory.
//!
//! Environment (each optional):
//! - `VISITOR_CONFIG`: the file (default `visitor.toml` in the working
//!   directory; `--config PATH` on the command line wins);
//! - `VISITOR_BIND`, `VISITOR_PUBLIC_URL`, `VISITOR_DATABASE`, `VISITOR_LOG`;
//! - `VISITOR_SESSION_KEY`: base64 of at least 64 random bytes
//!   (`openssl rand -base64 64`);
//! - `VISITOR_IDP_<SLUG>_METADATA_URL` (slug upper-cased, `-` as `_`).

mod source;
pub mod values;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Deserialize;

pub use values::{LogFilter, PublicUrl, RequestBinding, SessionKey};

use crate::linking::{AttributeNames, AttributeProfile, Domain};

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {reason}")]
    Read {
        /// File.
        path: String,
        /// Why.
        reason: String,
    },
    /// The TOML is invalid, or a value is wrong.
    #[error("{path}: {reason}")]
    Parse {
        /// File.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// This service provider.
    pub sp: SpConfig,
    /// The companies (tenants), at least one.
    pub orgs: Vec<OrgConfig>,
    /// SSO connections, each of one organization (at least one).
    pub idps: Vec<IdpSettings>,
}

/// The file as written, before the rules that span several values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: ServerConfig,
    #[serde(default)]
    sp: SpConfig,
    #[serde(default, rename = "org")]
    orgs: Vec<OrgConfig>,
    #[serde(default, rename = "idp")]
    idps: Vec<IdpSettings>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    #[serde(default = "default_bind")]
    pub bind: String,
    /// The URL browsers use. `https://` turns on `Secure` cookies.
    pub public_url: PublicUrl,
    /// SQLite file (`:memory:` for tests).
    pub database: PathBuf,
    /// Session cookie key (prefer `VISITOR_SESSION_KEY`).
    #[serde(default)]
    pub session_key: Option<SessionKey>,
    /// What to log.
    #[serde(default)]
    pub log: LogFilter,
    /// Application name shown in pages.
    #[serde(default = "default_title")]
    pub title: String,
}

fn default_bind() -> String {
    "127.0.0.1:8080".into()
}
fn default_title() -> String {
    "Visitors".into()
}

/// A PEM private key and its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    /// PEM private key.
    pub key: PathBuf,
    /// PEM certificate.
    pub cert: PathBuf,
}

/// `[sp]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "RawSp")]
pub struct SpConfig {
    /// Entity ID (default `<public_url>/saml/metadata`).
    pub entity_id: Option<String>,
    /// Signs AuthnRequests.
    pub signing: Option<KeyFiles>,
    /// IdPs encrypt assertions to it (RSA).
    pub encryption: Option<KeyFiles>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSp {
    entity_id: Option<String>,
    signing_key: Option<PathBuf>,
    signing_cert: Option<PathBuf>,
    encryption_key: Option<PathBuf>,
    encryption_cert: Option<PathBuf>,
}

fn key_files(
    key: Option<PathBuf>,
    cert: Option<PathBuf>,
    what: &str,
) -> Result<Option<KeyFiles>, String> {
    match (key, cert) {
        (None, None) => Ok(None),
        (Some(key), Some(cert)) => Ok(Some(KeyFiles { key, cert })),
        _ => Err(format!(
            "sp: set both {what}_key and {what}_cert, or neither"
        )),
    }
}

impl TryFrom<RawSp> for SpConfig {
    type Error = String;
    fn try_from(r: RawSp) -> Result<Self, String> {
        Ok(SpConfig {
            entity_id: r.entity_id,
            signing: key_files(r.signing_key, r.signing_cert, "signing")?,
            encryption: key_files(r.encryption_key, r.encryption_cert, "encryption")?,
        })
    }
}

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

impl TryFrom<RawConfig> for Config {
    type Error = String;
    fn try_from(r: RawConfig) -> Result<Self, String> {
        if r.orgs.is_empty() {
            return Err("no [[org]] configured".into());
        }
        if r.idps.is_empty() {
            return Err("no [[idp]] configured".into());
        }
        let mut slugs = HashSet::new();
        for o in &r.orgs {
            if !slugs.insert(o.slug.as_str()) {
                return Err(format!("org {:?} is configured twice", o.slug));
            }
            if o.locations.is_empty() {
                return Err(format!("org {:?}: no locations", o.slug));
            }
            let mut names = HashSet::new();
            for l in &o.locations {
                if !names.insert(l.as_str()) {
                    return Err(format!("org {:?}: location {l:?} listed twice", o.slug));
                }
            }
            if let Some(d) = &o.default_location
                && !names.contains(d.as_str())
            {
                return Err(format!(
                    "org {:?}: default_location {d:?} is not one of its locations",
                    o.slug
                ));
            }
        }
        if r.orgs.iter().filter(|o| o.adopt_default).count() > 1 {
            return Err("adopt_default is set on more than one [[org]]".into());
        }
        for i in &r.idps {
            if !slugs.contains(i.org.as_str()) {
                return Err(format!(
                    "idp {:?}: org {:?} is not an [[org]]",
                    i.slug, i.org
                ));
            }
        }
        // One domain, one organization: two vouching for one domain would
        // let either take over the other's accounts. (The database's
        // org_domains primary key says the same.)
        let mut seen: HashMap<&Domain, &str> = HashMap::new();
        for o in &r.orgs {
            for d in &o.domains {
                if let Some(other) = seen.insert(d, o.slug.as_str())
                    && other != o.slug
                {
                    return Err(format!(
                        "domain \"{d}\" is verified for both {other:?} and {:?}",
                        o.slug
                    ));
                }
            }
        }
        Ok(Config {
            server: r.server,
            sp: r.sp,
            orgs: r.orgs,
            idps: r.idps,
        })
    }
}

impl Config {
    /// The organization of a connection (an IdP slug).
    pub fn org_of(&self, idp_slug: &str) -> Option<&OrgConfig> {
        let idp = self.idps.iter().find(|i| i.slug == idp_slug)?;
        self.orgs.iter().find(|o| o.slug == idp.org)
    }

    /// The SP entity ID of the shared SP.
    pub fn sp_entity_id(&self) -> String {
        self.sp
            .entity_id
            .clone()
            .unwrap_or_else(|| format!("{}/saml/metadata", self.server.public_url))
    }
}
