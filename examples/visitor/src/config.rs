//! Configuration: one TOML file, then environment overrides.
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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    /// The TOML is invalid.
    #[error("{path}: {reason}")]
    Parse {
        /// File.
        path: String,
        /// Why.
        reason: String,
    },
    /// A value is wrong.
    #[error("{0}")]
    Invalid(String),
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// This service provider.
    #[serde(default)]
    pub sp: SpConfig,
    /// Sites visitors come to.
    #[serde(default, rename = "location")]
    pub locations: Vec<LocationConfig>,
    /// Companies whose people sign in.
    #[serde(default, rename = "idp")]
    pub idps: Vec<IdpSettings>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    #[serde(default = "default_bind")]
    pub bind: String,
    /// The URL browsers use (no trailing slash). `https://` turns on
    /// `Secure` cookies.
    pub public_url: String,
    /// SQLite file (`:memory:` for tests).
    pub database: PathBuf,
    /// Base64 session cookie key (prefer `VISITOR_SESSION_KEY`).
    #[serde(default)]
    pub session_key: Option<String>,
    /// Log level: error, warn, info, debug, trace.
    #[serde(default = "default_log")]
    pub log: String,
    /// Application name shown in pages.
    #[serde(default = "default_title")]
    pub title: String,
}

fn default_bind() -> String {
    "127.0.0.1:8080".into()
}
fn default_log() -> String {
    "info".into()
}
fn default_title() -> String {
    "Visitors".into()
}

/// `[sp]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpConfig {
    /// Entity ID (default `<public_url>/saml/metadata`).
    #[serde(default)]
    pub entity_id: Option<String>,
    /// PEM private key that signs AuthnRequests.
    #[serde(default)]
    pub signing_key: Option<PathBuf>,
    /// Its certificate.
    #[serde(default)]
    pub signing_cert: Option<PathBuf>,
    /// PEM RSA key IdPs encrypt assertions to.
    #[serde(default)]
    pub encryption_key: Option<PathBuf>,
    /// Its certificate.
    #[serde(default)]
    pub encryption_cert: Option<PathBuf>,
}

/// `[[location]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
    /// Name (unique).
    pub name: String,
}

/// Which attribute names carry what; each a list of candidates, matched
/// against the attribute `Name` and then `FriendlyName`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AttributeNames {
    /// Email.
    #[serde(default)]
    pub email: Vec<String>,
    /// Given name.
    #[serde(default)]
    pub given_name: Vec<String>,
    /// Family name.
    #[serde(default)]
    pub family_name: Vec<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Vec<String>,
    /// Groups (multi-valued).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Attribute-name defaults for well-known IdPs.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AttributeProfile {
    /// Keycloak user-property mappers (`email`, `firstName`, `lastName`,
    /// group mapper `groups`) and the X.500 OIDs of its built-in mappers.
    #[default]
    Keycloak,
    /// Microsoft Entra ID claim URIs.
    Entra,
    /// Okta's usual attribute statements.
    Okta,
}

const X500_EMAIL: &str = "urn:oid:0.9.2342.19200300.100.1.3";
const PKCS9_EMAIL: &str = "urn:oid:1.2.840.113549.1.9.1";
const X500_GIVEN: &str = "urn:oid:2.5.4.42";
const X500_SURNAME: &str = "urn:oid:2.5.4.4";
const X500_DISPLAY: &str = "urn:oid:2.16.840.1.113730.3.1.241";

impl AttributeProfile {
    /// The default names.
    pub fn names(self) -> AttributeNames {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match self {
            AttributeProfile::Keycloak => AttributeNames {
                email: v(&["email", PKCS9_EMAIL, X500_EMAIL]),
                given_name: v(&["firstName", "givenName", X500_GIVEN]),
                family_name: v(&["lastName", "surname", X500_SURNAME]),
                display_name: v(&["displayName", X500_DISPLAY]),
                groups: v(&["groups", "memberOf"]),
            },
            AttributeProfile::Entra => AttributeNames {
                email: v(&[
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                ]),
                given_name: v(&["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"]),
                family_name: v(&["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"]),
                display_name: v(&["http://schemas.microsoft.com/identity/claims/displayname"]),
                groups: v(&[
                    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
                    "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
                ]),
            },
            AttributeProfile::Okta => AttributeNames {
                email: v(&["email", "user.email", X500_EMAIL]),
                given_name: v(&["firstName", "user.firstName", X500_GIVEN]),
                family_name: v(&["lastName", "user.lastName", X500_SURNAME]),
                display_name: v(&["displayName", "user.displayName"]),
                groups: v(&["groups", "memberOf"]),
            },
        }
    }
}

/// `[[idp]]`: one company.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpSettings {
    /// Short name in URLs.
    pub slug: String,
    /// Button label.
    pub name: String,
    /// Metadata URL (refreshed in the background).
    #[serde(default)]
    pub metadata_url: Option<String>,
    /// Metadata file.
    #[serde(default)]
    pub metadata_file: Option<PathBuf>,
    /// Metadata inline (tests).
    #[serde(default)]
    pub metadata_xml: Option<String>,
    /// Entity ID to pick from the metadata.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// `redirect` (default) or `post`.
    #[serde(default)]
    pub binding: Option<String>,
    /// Accept IdP-initiated sign-in from this IdP.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Override the metadata's WantAuthnRequestsSigned.
    #[serde(default)]
    pub want_signed_requests: Option<bool>,
    /// NameID format to request.
    #[serde(default)]
    pub name_id_format: Option<String>,
    /// Serve this IdP from its own SP (`/t/<slug>/saml/…`, entity ID
    /// `<public_url>/t/<slug>/saml/metadata`) instead of the shared one.
    #[serde(default)]
    pub own_sp: bool,
    /// Create users on first sign-in.
    #[serde(default = "yes")]
    pub jit_create: bool,
    /// Email domains this IdP speaks for: an existing account with such an
    /// address may be linked to a person from this IdP.
    #[serde(default)]
    pub authoritative_domains: Vec<String>,
    /// Location new users get as default (and admin rights at, for the
    /// admin group).
    #[serde(default)]
    pub default_location: Option<String>,
    /// Group (attribute value) whose members are admins.
    #[serde(default)]
    pub admin_group: Option<String>,
    /// Attribute-name defaults.
    #[serde(default)]
    pub attribute_profile: AttributeProfile,
    /// Per-field overrides of the profile.
    #[serde(default)]
    pub attributes: AttributeNames,
}

fn yes() -> bool {
    true
}

impl IdpSettings {
    /// The profile's names with this IdP's overrides.
    pub fn attribute_names(&self) -> AttributeNames {
        let mut n = self.attribute_profile.names();
        let o = &self.attributes;
        for (dst, src) in [
            (&mut n.email, &o.email),
            (&mut n.given_name, &o.given_name),
            (&mut n.family_name, &o.family_name),
            (&mut n.display_name, &o.display_name),
            (&mut n.groups, &o.groups),
        ] {
            if !src.is_empty() {
                dst.clone_from(src);
            }
        }
        n
    }
}

impl Config {
    /// Parses TOML text; relative paths are resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path, origin: &str) -> Result<Self, ConfigError> {
        let mut c: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_owned(),
            reason: e.to_string(),
        })?;
        c.resolve_paths(base_dir);
        Ok(c)
    }

    /// Reads the file, applies the environment, validates.
    pub fn load(path: &Path, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut c = Config::from_toml(&text, base, &path.display().to_string())?;
        c.apply_env(env);
        c.validate()?;
        Ok(c)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && p.as_os_str() != ":memory:" {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.server.database);
        for p in [
            &mut self.sp.signing_key,
            &mut self.sp.signing_cert,
            &mut self.sp.encryption_key,
            &mut self.sp.encryption_cert,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
        for i in &mut self.idps {
            if let Some(p) = &mut i.metadata_file {
                fix(p);
            }
        }
    }

    /// Applies `VISITOR_*` overrides.
    pub fn apply_env(&mut self, env: &HashMap<String, String>) {
        if let Some(v) = env.get("VISITOR_BIND") {
            self.server.bind.clone_from(v);
        }
        if let Some(v) = env.get("VISITOR_PUBLIC_URL") {
            self.server.public_url.clone_from(v);
        }
        if let Some(v) = env.get("VISITOR_DATABASE") {
            self.server.database = PathBuf::from(v);
        }
        if let Some(v) = env.get("VISITOR_SESSION_KEY") {
            self.server.session_key = Some(v.clone());
        }
        if let Some(v) = env.get("VISITOR_LOG") {
            self.server.log.clone_from(v);
        }
        for i in &mut self.idps {
            let key = format!(
                "VISITOR_IDP_{}_METADATA_URL",
                i.slug.to_ascii_uppercase().replace('-', "_")
            );
            if let Some(v) = env.get(&key) {
                i.metadata_url = Some(v.clone());
                i.metadata_file = None;
                i.metadata_xml = None;
            }
        }
    }

    /// Checks what serde cannot.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        self.server.public_url = self.server.public_url.trim_end_matches('/').to_owned();
        let lower = self.server.public_url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return bad(format!(
                "server.public_url {:?} is not an http(s) URL",
                self.server.public_url
            ));
        }
        if self.idps.is_empty() {
            return bad("no [[idp]] configured".into());
        }
        let names: Vec<&str> = self.locations.iter().map(|l| l.name.as_str()).collect();
        for i in &mut self.idps {
            let sources = [
                i.metadata_url.is_some(),
                i.metadata_file.is_some(),
                i.metadata_xml.is_some(),
            ];
            if sources.iter().filter(|s| **s).count() != 1 {
                return bad(format!(
                    "idp {:?}: set exactly one of metadata_url, metadata_file, metadata_xml",
                    i.slug
                ));
            }
            if let Some(b) = &i.binding {
                if b != "redirect" && b != "post" {
                    return bad(format!(
                        "idp {:?}: binding must be redirect or post",
                        i.slug
                    ));
                }
            }
            if let Some(l) = &i.default_location {
                if !names.contains(&l.as_str()) {
                    return bad(format!(
                        "idp {:?}: default_location {l:?} is not a [[location]]",
                        i.slug
                    ));
                }
            }
            for d in &mut i.authoritative_domains {
                let lowered = d.trim().to_ascii_lowercase();
                if !crate::jit::is_valid_domain(&lowered) {
                    return bad(format!(
                        "idp {:?}: authoritative domain {d:?} is not an ASCII domain name \
                         (write IDNs in their xn-- form)",
                        i.slug
                    ));
                }
                *d = lowered;
            }
        }
        // One domain, one authority: two IdPs vouching for one domain would
        // let either take over the other's accounts.
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for i in &self.idps {
            for d in &i.authoritative_domains {
                if let Some(other) = seen.insert(d.as_str(), i.slug.as_str()) {
                    if other != i.slug {
                        return bad(format!(
                            "domain {d:?} is authoritative for both {other:?} and {:?}",
                            i.slug
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The SP entity ID of the shared SP.
    pub fn sp_entity_id(&self) -> String {
        self.sp
            .entity_id
            .clone()
            .unwrap_or_else(|| format!("{}/saml/metadata", self.server.public_url))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    const MIN: &str = r#"
[server]
public_url = "http://127.0.0.1:8080/"
database = "data/v.sqlite3"

[[location]]
name = "HQ"

[[idp]]
slug = "acme-corp"
name = "Acme"
metadata_file = "acme.xml"
authoritative_domains = ["Acme.TEST"]
default_location = "HQ"
[idp.attributes]
email = ["mail"]
"#;

    #[test]
    fn parses_resolves_and_overrides() {
        let mut c = Config::from_toml(MIN, Path::new("/etc/visitor"), "t").unwrap();
        let env: HashMap<String, String> = [
            ("VISITOR_BIND", "0.0.0.0:9000"),
            ("VISITOR_IDP_ACME_CORP_METADATA_URL", "https://idp/x"),
            ("VISITOR_SESSION_KEY", "k"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        c.apply_env(&env);
        c.validate().unwrap();
        assert_eq!(c.server.bind, "0.0.0.0:9000");
        assert_eq!(c.server.public_url, "http://127.0.0.1:8080");
        assert_eq!(
            c.server.database,
            PathBuf::from("/etc/visitor/data/v.sqlite3")
        );
        assert_eq!(c.idps[0].metadata_url.as_deref(), Some("https://idp/x"));
        assert_eq!(c.idps[0].metadata_file, None);
        assert_eq!(
            c.idps[0].authoritative_domains,
            vec!["acme.test".to_owned()]
        );
        assert_eq!(c.sp_entity_id(), "http://127.0.0.1:8080/saml/metadata");
        let names = c.idps[0].attribute_names();
        assert_eq!(names.email, vec!["mail".to_owned()]);
        assert_eq!(names.given_name[0], "firstName");
        assert!(c.idps[0].jit_create);
    }

    #[test]
    fn refuses_mistakes() {
        let mut c = Config::from_toml(MIN, Path::new("."), "t").unwrap();
        c.idps[0].default_location = Some("Nowhere".into());
        assert!(c.validate().is_err());

        let mut c = Config::from_toml(MIN, Path::new("."), "t").unwrap();
        c.idps[0].authoritative_domains = vec!["аcme.test".into()];
        assert!(c.validate().is_err(), "non-ASCII domain");

        let mut c = Config::from_toml(MIN, Path::new("."), "t").unwrap();
        let mut other = c.idps[0].clone();
        other.slug = "other".into();
        c.idps.push(other);
        assert!(c.validate().is_err(), "one domain, two authorities");

        assert!(Config::from_toml("[server]\nbogus = 1", Path::new("."), "t").is_err());
    }

    #[test]
    fn sample_config_for_keycloak_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("visitor.toml");
        let c = Config::load(&path, &HashMap::new()).unwrap();
        assert_eq!(c.idps.len(), 2);
        assert!(c.sp.signing_key.as_ref().unwrap().exists());
        assert!(c.sp.encryption_key.as_ref().unwrap().exists());
    }
}
