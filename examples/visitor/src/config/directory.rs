//! `[org.sync]` and `[org.ldap]`: how an organization's people are kept
//! in step with its directory (see [`crate::directory`]).
//!
//! ```toml
//! [org.sync]
//! max_deactivate_percent = 20     # guard rail, for the directory and uploads
//!
//! [org.ldap]
//! url = "ldaps://dc1.acme.example"   # or ldap:// (then StartTLS, always)
//! ca_file = "acme-ca.pem"            # optional: trust this CA (else the system's)
//! bind_dn = "CN=visitor-sync,OU=Service Accounts,DC=acme,DC=example"
//! password_file = "/run/secrets/acme-ldap"   # or password_env = "ACME_LDAP_PASSWORD"
//! base_dn = "OU=People,DC=acme,DC=example"
//! filter = "(&(objectCategory=person)(objectClass=user))"
//! ```
//!
//! The bind password is read from its file or variable at each run (so it
//! can be rotated without a restart) and never logged or shown.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Default guard rail: a run may deactivate at most this share of the
/// organization's active users without an override.
pub const DEFAULT_MAX_DEACTIVATE_PERCENT: u8 = 20;

/// `[org.sync]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// Guard rail, percent of the active users (0–100).
    #[serde(default = "default_percent", deserialize_with = "percent")]
    pub max_deactivate_percent: u8,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            max_deactivate_percent: DEFAULT_MAX_DEACTIVATE_PERCENT,
        }
    }
}

fn default_percent() -> u8 {
    DEFAULT_MAX_DEACTIVATE_PERCENT
}

fn percent<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = u8::deserialize(d)?;
    if v > 100 {
        return Err(serde::de::Error::custom(
            "max_deactivate_percent must be 0 to 100",
        ));
    }
    Ok(v)
}

/// How the connection is protected. There is no cleartext mode: the bind
/// password and the people's data cross it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LdapTransport {
    /// `ldap://`, upgraded with StartTLS (RFC 4513 §3) before the bind.
    StartTls,
    /// `ldaps://`, TLS from the first byte.
    Ldaps,
}

/// Where the bind password is read from at each run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// A file (its first line; trailing newline dropped).
    File(PathBuf),
    /// An environment variable.
    Env(String),
}

/// The attributes read from each entry (names as the directory spells them).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapAttributes {
    /// Email.
    pub mail: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Name shown.
    pub display_name: String,
    /// Site (`physicalDeliveryOfficeName` in AD, `l` elsewhere).
    pub location: String,
    /// Group membership, for `admin_group`.
    pub groups: String,
    /// A stable ID that survives a change of email: `entryUUID`
    /// (OpenLDAP, RFC 4530), `objectGUID` (AD, binary: read as hex).
    pub id: String,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        LdapAttributes {
            mail: "mail".into(),
            given_name: "givenName".into(),
            family_name: "sn".into(),
            display_name: "displayName".into(),
            location: "physicalDeliveryOfficeName".into(),
            groups: "memberOf".into(),
            id: "entryUUID".into(),
        }
    }
}

/// `[org.ldap]`: a directory to pull the organization's people from.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawLdap")]
pub struct LdapSettings {
    /// `host:port` (port defaulted from the scheme).
    pub address: String,
    /// The URL as configured.
    pub url: String,
    /// StartTLS or ldaps.
    pub transport: LdapTransport,
    /// Extra CA to trust (PEM); else the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Bind DN.
    pub bind_dn: String,
    /// Where the password is.
    pub password: PasswordSource,
    /// Search base.
    pub base_dn: String,
    /// Search filter (RFC 4515).
    pub filter: String,
    /// Attribute names.
    pub attributes: LdapAttributes,
    /// DN of the group whose members are admins (at the default location).
    pub admin_group: Option<String>,
    /// An attribute that marks a disabled account, besides AD's
    /// `userAccountControl` bit 2 (always honoured).
    pub disabled_attribute: Option<String>,
    /// Values of `disabled_attribute` that mean disabled (any value, when empty).
    pub disabled_values: Vec<String>,
    /// Entries per page (RFC 2696).
    pub page_size: i32,
    /// Most entries read in one run (a bound on memory and work).
    pub max_entries: usize,
    /// Time for each network step (connect, bind, one page).
    pub timeout: Duration,
    /// How often the scheduler runs it.
    pub interval: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLdap {
    url: String,
    ca_file: Option<PathBuf>,
    bind_dn: String,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
    base_dn: String,
    #[serde(default = "default_filter")]
    filter: String,
    #[serde(default)]
    attributes: LdapAttributes,
    admin_group: Option<String>,
    disabled_attribute: Option<String>,
    #[serde(default)]
    disabled_values: Vec<String>,
    #[serde(default = "default_page_size")]
    page_size: i32,
    #[serde(default = "default_max_entries")]
    max_entries: usize,
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
    #[serde(default = "default_interval")]
    interval_minutes: u64,
}

fn default_filter() -> String {
    "(objectClass=inetOrgPerson)".into()
}
/// AD's default MaxPageSize is 1000; half keeps each page small.
fn default_page_size() -> i32 {
    500
}
/// The largest organization the benchmark measures, twice over.
fn default_max_entries() -> usize {
    100_000
}
fn default_timeout() -> u64 {
    30
}
/// Once a day, as the seeds' directory integrations do.
fn default_interval() -> u64 {
    24 * 60
}

impl TryFrom<RawLdap> for LdapSettings {
    type Error = String;
    fn try_from(r: RawLdap) -> Result<Self, String> {
        let lower = r.url.to_ascii_lowercase();
        let (transport, rest, port) = if let Some(rest) = lower.strip_prefix("ldaps://") {
            (LdapTransport::Ldaps, rest, 636)
        } else if let Some(rest) = lower.strip_prefix("ldap://") {
            (LdapTransport::StartTls, rest, 389)
        } else {
            return Err(format!("ldap url {:?}: use ldap:// or ldaps://", r.url));
        };
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains(['/', '?', '@', ' ']) {
            return Err(format!(
                "ldap url {:?}: give only scheme, host and port",
                r.url
            ));
        }
        let address = if host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host.to_owned()
        } else {
            format!("{host}:{port}")
        };
        let password = match (r.password_file, r.password_env) {
            (Some(f), None) => PasswordSource::File(f),
            (None, Some(v)) => PasswordSource::Env(v),
            _ => return Err("ldap: set exactly one of password_file, password_env".into()),
        };
        if !(1..=10_000).contains(&r.page_size) {
            return Err("ldap: page_size must be 1 to 10000".into());
        }
        if r.max_entries == 0 || r.max_entries > 1_000_000 {
            return Err("ldap: max_entries must be 1 to 1000000".into());
        }
        if r.timeout_seconds == 0 || r.timeout_seconds > 600 {
            return Err("ldap: timeout_seconds must be 1 to 600".into());
        }
        if r.interval_minutes < 5 {
            return Err("ldap: interval_minutes must be at least 5".into());
        }
        for (what, v) in [("bind_dn", &r.bind_dn), ("base_dn", &r.base_dn)] {
            if v.trim().is_empty() {
                return Err(format!("ldap: {what} is empty"));
            }
        }
        if !(r.filter.starts_with('(') && r.filter.ends_with(')')) {
            return Err(format!(
                "ldap: filter {:?} must be in parentheses (RFC 4515)",
                r.filter
            ));
        }
        Ok(LdapSettings {
            address,
            url: r.url,
            transport,
            ca_file: r.ca_file,
            bind_dn: r.bind_dn,
            password,
            base_dn: r.base_dn,
            filter: r.filter,
            attributes: r.attributes,
            admin_group: r.admin_group,
            disabled_attribute: r.disabled_attribute,
            disabled_values: r.disabled_values,
            page_size: r.page_size,
            max_entries: r.max_entries,
            timeout: Duration::from_secs(r.timeout_seconds),
            interval: Duration::from_secs(r.interval_minutes * 60),
        })
    }
}
