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
//! - `VISITOR_BIND`, `VISITOR_PUBLIC_URL`, `VISITOR_DATABASE`, `VISITOR_LOG`,
//!   `VISITOR_METRICS_BIND` (the internal `/metrics` listener);
//! - `VISITOR_SESSION_KEY`: base64 of at least 64 random bytes
//!   (`openssl rand -base64 64`);
//! - `VISITOR_IDP_<SLUG>_METADATA_URL` (slug upper-cased, `-` as `_`);
//! - `VISITOR_SMTP_*` and `VISITOR_MAIL_FROM`: the `[mail]` section.
//! - `VISITOR_REDIS_URL`: share login state and sessions with the other
//!   instances through this Redis (unset: both stay in this process);
//!   `VISITOR_REDIS_NAMESPACE` (default `visitor`), `VISITOR_INSTANCE`
//!   (the `X-Visitor-Instance` response header).

mod cluster;
mod directory;
mod mail;
mod source;
mod tenants;
pub mod values;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Deserialize;

pub use cluster::{InstanceName, RedisNamespace, RedisUrl};
pub use directory::{
    DEFAULT_MAX_DEACTIVATE_PERCENT, LdapAttributes, LdapSettings, LdapTransport, PasswordSource,
    SyncSettings,
};
pub use mail::{MailConfig, SmtpPassword, SmtpTls};
pub use tenants::{IdpSettings, MetadataSource, OrgConfig};
pub use values::{LogFilter, PublicUrl, RequestBinding, SessionKey};

use crate::linking::Domain;

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
    /// Outgoing mail, when configured.
    pub mail: Option<MailConfig>,
    /// What the audit log keeps.
    pub audit: crate::audit::AuditPolicy,
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
    #[serde(default)]
    mail: Option<MailConfig>,
    #[serde(default)]
    audit: crate::audit::AuditPolicy,
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
    /// SQLite file (`:memory:` for tests); unused when `database_url` is set.
    pub database: PathBuf,
    /// PostgreSQL instead of the SQLite file, for several instances behind
    /// a load balancer (prefer `VISITOR_DATABASE_URL`: it may hold a
    /// password, and is never shown).
    #[serde(default)]
    pub database_url: Option<crate::store::PgUrl>,
    /// PostgreSQL connections of this instance at most.
    #[serde(default = "default_pool_size")]
    pub database_pool_size: u16,
    /// Longest PostgreSQL statement (and wait for an organization's lock),
    /// in seconds.
    #[serde(default = "default_statement_timeout")]
    pub database_statement_timeout_secs: u16,
    /// Session cookie key (prefer `VISITOR_SESSION_KEY`).
    #[serde(default)]
    pub session_key: Option<SessionKey>,
    /// What to log.
    #[serde(default)]
    pub log: LogFilter,
    /// Application name shown in pages.
    #[serde(default = "default_title")]
    pub title: String,
    /// Redis shared by the instances of this deployment (pending logins,
    /// used assertions, sessions); prefer `VISITOR_REDIS_URL`. Unset: all
    /// of it stays in this process's memory.
    #[serde(default)]
    pub redis_url: Option<RedisUrl>,
    /// Key namespace in that Redis.
    #[serde(default)]
    pub redis_namespace: RedisNamespace,
    /// This instance's name, in the `X-Visitor-Instance` header.
    #[serde(default)]
    pub instance: Option<InstanceName>,
    /// Where `GET /metrics` (Prometheus) listens: an internal address, not
    /// the public site's; loopback unless the operator says otherwise.
    /// Unset: no metrics listener.
    #[serde(default)]
    pub metrics_bind: Option<String>,
    /// Whether an admin's connection may be added from a metadata URL on a
    /// loopback, private or link-local address. Off by default (the server
    /// would otherwise fetch its own network for anyone who can type a URL);
    /// on where the IdP runs on the same machine or network.
    #[serde(default)]
    pub private_metadata_hosts: bool,
}

fn default_pool_size() -> u16 {
    10
}
fn default_statement_timeout() -> u16 {
    15
}

impl ServerConfig {
    /// The PostgreSQL pool's settings (the connect timeout is the URL's
    /// `connect_timeout`, 5 seconds when it has none).
    pub fn postgres_options(&self) -> crate::store::PgOptions {
        crate::store::PgOptions {
            pool_size: usize::from(self.database_pool_size.max(1)),
            statement_timeout: std::time::Duration::from_secs(u64::from(
                self.database_statement_timeout_secs.max(1),
            )),
            ..Default::default()
        }
    }
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

impl TryFrom<RawConfig> for Config {
    type Error = String;
    fn try_from(r: RawConfig) -> Result<Self, String> {
        if r.orgs.is_empty() {
            return Err("no [[org]] configured".into());
        }
        if r.idps.is_empty() {
            return Err("no [[idp]] configured".into());
        }
        if r.audit.retention_days == 0
            || r.audit.max_events_per_org == 0
            || r.audit.max_unverified_events_per_org == 0
        {
            return Err("audit: retention_days, max_events_per_org and \
                        max_unverified_events_per_org must be at least 1"
                .into());
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
            // Connections added in the console are named conn-<id>.
            if i.slug.starts_with(crate::connections::registry::PREFIX) {
                return Err(format!(
                    "idp {:?}: slugs starting with {:?} are kept for console connections",
                    i.slug,
                    crate::connections::registry::PREFIX
                ));
            }
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
            mail: r.mail,
            audit: r.audit,
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
