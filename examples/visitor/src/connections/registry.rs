//! Which organization each console-added connection belongs to, and the
//! attribute names its preset reads: shared by the user mapping, the audit
//! observer and the session extractor, and updated when an admin adds a
//! connection, so a new connection works without a restart.
//!
//! Console connections are named `conn-<id>` in the SAML layer; the
//! configuration may not use that prefix (see [`crate::config`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use samlsp_actix::{IdpConfig, IdpOptions, IdpSource, MetadataLocation};

use super::presets::Preset;
use crate::linking::AttributeNames;
use crate::store::ConnectionRow;

/// The slug prefix of console connections.
pub const PREFIX: &str = "conn-";

/// A console connection's slug in the SAML layer.
pub fn slug(id: i64) -> String {
    format!("{PREFIX}{id}")
}

/// The row ID a console connection's slug was made from ([`slug`]).
pub fn id_of(slug: &str) -> Option<i64> {
    slug.strip_prefix(PREFIX)?.parse().ok()
}

/// What the mapping needs of a console connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The organization's slug.
    pub org: String,
    /// Attribute names, from the preset.
    pub names: AttributeNames,
    /// What the entry was loaded from ([`version`]): another instance's
    /// change to the row shows as a different value.
    pub version: [u8; 32],
}

/// A digest of everything in a connection's row that the running SAML
/// layer and the registry are made from, so that an instance can tell
/// whether its copy is current without comparing the metadata itself.
pub fn version(org: &str, row: &ConnectionRow) -> [u8; 32] {
    let mut h = openssl::sha::Sha256::new();
    for field in [
        org,
        &row.name,
        &row.preset,
        row.metadata_url.as_deref().unwrap_or(""),
        &row.metadata_xml,
        &row.entity_id,
        row.tested_at.as_deref().unwrap_or(""),
        row.enabled_at.as_deref().unwrap_or(""),
    ] {
        // Length-prefixed: no two different rows hash the same fields.
        h.update(&(field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finish()
}

/// The shared table (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Registry(Arc<RwLock<HashMap<String, Entry>>>);

impl Registry {
    /// The entry of a connection slug.
    pub fn get(&self, slug: &str) -> Option<Entry> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(slug)
            .cloned()
    }

    /// Records (or replaces) a connection.
    pub fn insert(&self, slug: String, entry: Entry) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(slug, entry);
    }

    /// The slugs and versions of every loaded connection.
    pub fn versions(&self) -> HashMap<String, [u8; 32]> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(slug, e)| (slug.clone(), e.version))
            .collect()
    }

    /// Forgets a deleted connection: sessions made through it name no
    /// organization any more, and end at their next request.
    pub fn remove(&self, slug: &str) {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(slug);
    }
}

/// The attribute names a preset reads.
pub fn names(p: &Preset) -> AttributeNames {
    AttributeNames {
        email: vec![p.email.clone()],
        given_name: vec![p.given_name.clone()],
        family_name: vec![p.family_name.clone()],
        display_name: Vec::new(),
        groups: p.groups.iter().cloned().collect(),
    }
}

/// The console page of a connection (where its tests land).
pub fn page(id: i64) -> String {
    format!("/admin/connections/{id}")
}

/// The SAML layer's view of a stored connection: its accepted metadata,
/// the preset's NameID format, and test sign-ins only until enabled.
///
/// Until enabled it also takes the IdP's own test button (IdP-initiated),
/// landing on the connection's page: with Keycloak that is the only way to
/// see what a client whose Client ID is not our entity ID sends (an
/// SP-initiated request names our entity ID, so Keycloak never finds that
/// client), and Entra ID's "Test this application" is IdP-initiated too.
/// The library takes such a response as a test only into a browser that
/// is signed in here, and makes no session; the report is shown only on
/// this page, which only the organization's admins can open (for anyone
/// else it is 404). After enabling, IdP-initiated sign-in stays off.
pub fn idp_config(row: &ConnectionRow, preset: &Preset) -> IdpConfig {
    IdpConfig {
        slug: slug(row.id),
        display_name: row.name.clone(),
        source: IdpSource::Metadata {
            location: MetadataLocation::Bytes(row.metadata_xml.clone().into_bytes()),
            entity_id: Some(row.entity_id.clone()),
            pinned: None,
        },
        options: IdpOptions {
            name_id_format: Some(preset.name_id_format.to_owned()),
            test_only: row.enabled_at.is_none(),
            idp_initiated_test_landing: Some(page(row.id)),
            ..IdpOptions::default()
        },
    }
}
