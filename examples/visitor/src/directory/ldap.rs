//! Reading an organization's people from its LDAP directory (Active
//! Directory, OpenLDAP) with the `ldap3` crate: one TLS connection
//! (StartTLS or ldaps, never cleartext), a simple bind as a service
//! account, and one paged subtree search (RFC 2696), so directories that
//! cap a search's size (AD's MaxPageSize, 1000) are read whole.
//!
//! Each entry becomes a [`Record`] (see [`entry_record`]): email, names,
//! site, admin-group membership, and whether the account is disabled (AD's
//! `userAccountControl` bit 2, ACCOUNTDISABLE, or a configured attribute).
//! Entries are decoded here rather than with `ldap3`'s `SearchEntry`,
//! whose constructor panics on a malformed entry: the server's bytes are
//! input like any other.

use std::time::Duration;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::asn1::{PL, StructureTag};
use ldap3::{LdapConnAsync, LdapConnSettings, ResultEntry, Scope};

use super::record::{Action, Record, Role};
use crate::config::{LdapSettings, LdapTransport, PasswordSource};

/// AD's `userAccountControl` ACCOUNTDISABLE flag ([MS-ADTS] §2.2.16).
const ACCOUNTDISABLE: u64 = 0x2;
/// Longest bind password read (a password, not a file).
const MAX_PASSWORD: usize = 1024;

/// Why a directory could not be read. Never holds the bind password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LdapError {
    /// The password file or variable could not be read, or is empty (an
    /// empty password would make an unauthenticated bind, RFC 4513 §5.1.2).
    #[error("bind password ({source_name}): {reason}")]
    Password {
        /// The file or variable (its name, not its value).
        source_name: String,
        /// Why.
        reason: String,
    },
    /// The CA file could not be used.
    #[error("TLS setup: {0}")]
    Tls(String),
    /// No connection (refused, TLS handshake, StartTLS refused, timeout).
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The configured URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The directory refused the bind (wrong DN or password, locked account).
    #[error("bind as {bind_dn} refused: {reason}")]
    Bind {
        /// The bind DN.
        bind_dn: String,
        /// The server's result code and message.
        reason: String,
    },
    /// The search failed.
    #[error("search under {base_dn} failed: {reason}")]
    Search {
        /// The base.
        base_dn: String,
        /// Why.
        reason: String,
    },
    /// More entries than `max_entries`: nothing is used.
    #[error("the search returned more than {max} entries (max_entries); nothing was used")]
    TooMany {
        /// The limit.
        max: usize,
    },
}

/// What a directory read gave.
#[derive(Debug)]
pub struct Fetched {
    /// One record per entry.
    pub records: Vec<Record>,
}

/// Reads the people `s` selects.
pub async fn fetch(s: &LdapSettings) -> Result<Fetched, LdapError> {
    let password = read_password(&s.password)?;
    let mut tls = native_tls::TlsConnector::builder();
    if let Some(ca) = &s.ca_file {
        let pem =
            std::fs::read(ca).map_err(|e| LdapError::Tls(format!("{}: {e}", ca.display())))?;
        let cert = native_tls::Certificate::from_pem(&pem)
            .map_err(|e| LdapError::Tls(format!("{}: {e}", ca.display())))?;
        tls.add_root_certificate(cert);
    }
    let connector = tls.build().map_err(|e| LdapError::Tls(e.to_string()))?;
    let settings = LdapConnSettings::new()
        .set_conn_timeout(s.timeout)
        .set_connector(connector)
        .set_starttls(s.transport == LdapTransport::StartTls);
    let scheme = match s.transport {
        LdapTransport::StartTls => "ldap",
        LdapTransport::Ldaps => "ldaps",
    };
    let connect_err = |reason: String| LdapError::Connect {
        url: s.url.clone(),
        reason,
    };
    let (conn, mut ldap) = within(
        s.timeout,
        LdapConnAsync::with_settings(settings, &format!("{scheme}://{}", s.address)),
    )
    .await
    .map_err(connect_err)?
    .map_err(|e| connect_err(e.to_string()))?;
    ldap3::drive!(conn);

    let bind_err = |reason: String| LdapError::Bind {
        bind_dn: s.bind_dn.clone(),
        reason,
    };
    within(s.timeout, ldap.simple_bind(&s.bind_dn, &password))
        .await
        .map_err(bind_err)?
        .and_then(|r| r.success())
        .map_err(|e| bind_err(e.to_string()))?;
    drop(password);

    let search_err = |reason: String| LdapError::Search {
        base_dn: s.base_dn.clone(),
        reason,
    };
    let a = &s.attributes;
    let mut attrs: Vec<String> = vec![
        a.mail.clone(),
        a.given_name.clone(),
        a.family_name.clone(),
        a.display_name.clone(),
        a.location.clone(),
        a.groups.clone(),
        a.id.clone(),
        "userAccountControl".into(),
    ];
    if let Some(d) = &s.disabled_attribute {
        attrs.push(d.clone());
    }
    let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(s.page_size)),
    ];
    let mut stream = within(
        s.timeout,
        ldap.with_timeout(s.timeout).streaming_search_with(
            adapters,
            &s.base_dn,
            Scope::Subtree,
            &s.filter,
            attrs,
        ),
    )
    .await
    .map_err(search_err)?
    .map_err(|e| search_err(e.to_string()))?;
    let mut records = Vec::new();
    loop {
        let next = within(s.timeout, stream.next())
            .await
            .map_err(search_err)?
            .map_err(|e| search_err(e.to_string()))?;
        let Some(entry) = next else { break };
        if records.len() == s.max_entries {
            let _ = stream.finish().await;
            let _ = ldap.unbind().await;
            return Err(LdapError::TooMany { max: s.max_entries });
        }
        match decode_entry(entry) {
            Some(e) => records.push(entry_record(&e, s)),
            None => {
                return Err(search_err("the server sent a malformed entry".into()));
            }
        }
    }
    let done = within(s.timeout, stream.finish())
        .await
        .map_err(search_err)?;
    done.success().map_err(|e| search_err(e.to_string()))?;
    let _ = ldap.unbind().await;
    Ok(Fetched { records })
}

/// `f`, or an error after `limit`.
async fn within<T>(limit: Duration, f: impl Future<Output = T>) -> Result<T, String> {
    ldap3::tokio::time::timeout(limit, f)
        .await
        .map_err(|_| format!("no answer within {} s", limit.as_secs()))
}

fn read_password(p: &PasswordSource) -> Result<String, LdapError> {
    let (source_name, value) = match p {
        PasswordSource::File(f) => (
            format!("file {}", f.display()),
            std::fs::read_to_string(f).map_err(|e| e.to_string()),
        ),
        PasswordSource::Env(v) => (
            format!("environment variable {v}"),
            std::env::var(v).map_err(|e| e.to_string()),
        ),
    };
    let err = |reason: &str| LdapError::Password {
        source_name: source_name.clone(),
        reason: reason.to_owned(),
    };
    let value = value.map_err(|e| err(&e))?;
    let first = value.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(err("empty (an empty password would bind anonymously)"));
    }
    if first.len() > MAX_PASSWORD {
        return Err(err("longer than 1024 bytes"));
    }
    Ok(first.to_owned())
}

/// One entry: its DN and attribute values (names as the server sent them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// DN.
    pub dn: String,
    /// Attribute name and values.
    pub attrs: Vec<(String, Vec<Vec<u8>>)>,
}

impl Entry {
    /// The values of `name` (attribute names are case-insensitive, RFC 4512 §2.5).
    fn values(&self, name: &str) -> &[Vec<u8>] {
        self.attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// The first value of `name` as text (lossy: a record check refuses
    /// what is not clean text).
    fn first(&self, name: &str) -> Option<String> {
        self.values(name)
            .first()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

/// A SearchResultEntry (RFC 4511 §4.5.2): `[APPLICATION 4] SEQUENCE {
/// objectName, attributes SEQUENCE OF SEQUENCE { type, vals SET OF value } }`.
/// `None` when it is not that shape.
fn decode_entry(re: ResultEntry) -> Option<Entry> {
    fn primitive(t: StructureTag) -> Option<Vec<u8>> {
        match t.payload {
            PL::P(v) => Some(v),
            PL::C(_) => None,
        }
    }
    fn constructed(t: StructureTag) -> Option<Vec<StructureTag>> {
        match t.payload {
            PL::C(v) => Some(v),
            PL::P(_) => None,
        }
    }
    let mut parts = constructed(re.0.match_id(4)?)?.into_iter();
    let dn = String::from_utf8(primitive(parts.next()?)?).ok()?;
    let mut attrs = Vec::new();
    for pa in constructed(parts.next()?)? {
        let mut p = constructed(pa)?.into_iter();
        let name = String::from_utf8(primitive(p.next()?)?).ok()?;
        let values = constructed(p.next()?)?
            .into_iter()
            .map(primitive)
            .collect::<Option<Vec<_>>>()?;
        attrs.push((name, values));
    }
    Some(Entry { dn, attrs })
}

/// The record an entry says: see the module docs.
pub fn entry_record(e: &Entry, s: &LdapSettings) -> Record {
    let a = &s.attributes;
    let text = |name: &str| e.first(name).unwrap_or_default();
    let external_id = e
        .values(&a.id)
        .first()
        .map(|v| match std::str::from_utf8(v) {
            // entryUUID is text; objectGUID is 16 bytes: hex.
            Ok(t) if !t.chars().any(char::is_control) => t.to_owned(),
            _ => v.iter().map(|b| format!("{b:02x}")).collect(),
        });
    let uac_disabled = e
        .first("userAccountControl")
        .and_then(|v| v.trim().parse::<i64>().ok())
        // A 32-bit flag word, which some servers write as a negative number.
        .is_some_and(|v| (v as u64) & ACCOUNTDISABLE != 0);
    let attr_disabled = s.disabled_attribute.as_deref().is_some_and(|name| {
        let values = e.values(name);
        if s.disabled_values.is_empty() {
            !values.is_empty()
        } else {
            values.iter().any(|v| {
                let v = String::from_utf8_lossy(v);
                s.disabled_values
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(v.trim()))
            })
        }
    });
    let role = s.admin_group.as_deref().map(|group| {
        let member = e
            .values(&a.groups)
            .iter()
            .any(|g| same_dn(&String::from_utf8_lossy(g), group));
        if member { Role::Admin } else { Role::Host }
    });
    Record {
        origin: e.dn.clone(),
        external_id,
        email: text(&a.mail),
        given_name: text(&a.given_name),
        family_name: text(&a.family_name),
        display_name: text(&a.display_name),
        location: e.first(&a.location),
        role,
        enabled: !uac_disabled && !attr_disabled,
        action: Action::Upsert,
    }
}

/// DNs compared as directories do for the usual spellings: case and the
/// blanks around `,` and `=` do not matter.
fn same_dn(a: &str, b: &str) -> bool {
    fn canon(s: &str) -> String {
        s.split(',')
            .map(|rdn| {
                rdn.split('=')
                    .map(|p| p.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join("=")
            })
            .collect::<Vec<_>>()
            .join(",")
    }
    canon(a) == canon(b)
}

#[cfg(test)]
#[path = "ldap_tests.rs"]
mod tests;
