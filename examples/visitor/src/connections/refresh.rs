//! A connection's metadata fetched again from its URL: by its admin ("Refresh
//! now") and once a day by the server (keys rotate; the copy accepted at
//! set-up would go stale).
//!
//! What a new copy may change, and what that does to the connection:
//! - the signing keys (a rollover: new certificate added, old one removed
//!   later) or endpoints: taken at once, the connection stays as it was
//!   (enabled stays enabled); the change is in the audit log with the
//!   fingerprints added and removed. This is what a refresh is for: taking
//!   the IdP out of service until someone runs a test would turn every
//!   routine rollover into an outage;
//! - the entity ID: refused, the last good copy stays. A URL that suddenly
//!   describes another IdP is a mistake or a takeover, not a rollover; an
//!   admin who means it edits the connection (and it takes test sign-ins
//!   only again, see [`crate::routes`]'s edit).
//!
//! A failed fetch or an unusable copy is recorded on the connection (shown
//! on its page, mailed to the admins at most once a day) and the last good
//! copy stays in use.

use chrono::{DateTime, Utc};

use super::{ConnectionError, Understood};
use crate::app::AppState;
use crate::audit::{self, Category, Event, Outcome};
use crate::store::{ConnectionRow, OrgScope, StoreError};

/// Signing certificates (SHA-256 fingerprints) a new copy adds and removes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyDiff {
    /// In the new copy only.
    pub added: Vec<String>,
    /// In the old copy only.
    pub removed: Vec<String>,
}

impl KeyDiff {
    /// Between two readings of a connection's metadata.
    pub fn between(before: &Understood, after: &Understood) -> Self {
        let fp = |u: &Understood| -> Vec<String> {
            u.certificates.iter().map(|c| c.sha256.clone()).collect()
        };
        let (old, new) = (fp(before), fp(after));
        KeyDiff {
            added: new.iter().filter(|k| !old.contains(k)).cloned().collect(),
            removed: old.iter().filter(|k| !new.contains(k)).cloned().collect(),
        }
    }

    /// No key added or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// The same document as before.
    Unchanged,
    /// A new copy, taken (keys added and removed, maybe none: endpoints or
    /// validity changed).
    Updated(KeyDiff),
    /// Not taken, and why (the last good copy stays).
    Failed(String),
}

/// Fetches `row`'s metadata from its URL (checked against private hosts
/// like at set-up), reads it as at set-up.
async fn fetch(state: &AppState, url: &str) -> Result<Vec<u8>, ConnectionError> {
    if !state.config.server.private_metadata_hosts {
        super::egress::refuse_private_host(url).await?;
    }
    let bytes = state
        .fetcher()
        .fetch(url)
        .await
        .map_err(ConnectionError::Fetch)?;
    if bytes.len() > super::MAX_METADATA_BYTES {
        return Err(ConnectionError::TooLarge);
    }
    Ok(bytes)
}

/// What a new copy means for `row` (see the module doc).
fn judge(
    row: &ConnectionRow,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<(String, KeyDiff)>, String> {
    if bytes == row.metadata_xml.as_bytes() {
        return Ok(None);
    }
    let new = Understood::read(bytes, now).map_err(|e| e.to_string())?;
    if new.entity_id != row.entity_id {
        return Err(format!(
            "the metadata at the URL now describes another IdP ({}); the last good copy stays. \
             Edit the connection if it should change to that IdP.",
            new.entity_id
        ));
    }
    let xml = String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8 text".to_owned())?;
    // The copy in use is readable (it was accepted); if it is not any more
    // (expired), every key of the new one is "added".
    let diff = match Understood::read(row.metadata_xml.as_bytes(), now) {
        Ok(old) => KeyDiff::between(&old, &new),
        Err(_) => KeyDiff {
            added: new.certificates.iter().map(|c| c.sha256.clone()).collect(),
            removed: Vec::new(),
        },
    };
    Ok(Some((xml, diff)))
}

/// Refreshes a console connection of the organization `org` (scope
/// `scope`) from its URL, records the outcome (on the connection, and a
/// taken copy in the audit log as done by `actor`) and loads a taken copy
/// into the SAML layer.
pub async fn refresh(
    state: &AppState,
    scope: &OrgScope,
    org: &str,
    row: &ConnectionRow,
    actor: &str,
) -> Result<Refreshed, StoreError> {
    let now = state.now();
    let id = row.id;
    let outcome = match &row.metadata_url {
        None => Err(
            "this connection's metadata was uploaded: there is no URL to fetch; \
                     edit it to upload a new copy"
                .to_owned(),
        ),
        Some(url) => match fetch(state, url).await {
            Err(e) => Err(e.to_string()),
            Ok(bytes) => judge(row, &bytes, now),
        },
    };
    let actor = actor.to_owned();
    let entity = row.entity_id.clone();
    let done = match outcome {
        Err(why) => {
            let stored = why.clone();
            state
                .store
                .scoped(scope, move |s| {
                    s.connection_refresh_failed(id, &stored, now)
                })
                .await?;
            tracing::warn!(connection_id = id, reason = %why, "connection metadata not refreshed");
            return Ok(Refreshed::Failed(why));
        }
        Ok(None) => {
            state
                .store
                .scoped(scope, move |s| s.connection_refreshed(id, None, now))
                .await?;
            return Ok(Refreshed::Unchanged);
        }
        Ok(Some((xml, diff))) => {
            let d = diff.clone();
            let row = state
                .store
                .scoped(scope, move |s| {
                    if !s.connection_refreshed(id, Some(&xml), now)? {
                        return Ok(None);
                    }
                    audit::record(
                        s,
                        &Event::new(
                            now,
                            Category::Connection,
                            "connection_refreshed",
                            Outcome::Ok,
                        )
                        .actor(&actor)
                        .connection(super::registry::slug(id))
                        .detail("connection_id", id.to_string())
                        .detail("entity_id", &entity)
                        .detail("certificates_added", d.added.join(" "))
                        .detail("certificates_removed", d.removed.join(" ")),
                    )?;
                    s.connection(id)
                })
                .await?;
            (row, diff)
        }
    };
    let (row, diff) = done;
    // Deleted meanwhile: nothing to load.
    if let Some(row) = row {
        state.load_connection(org, &row);
        tracing::info!(
            connection_id = id,
            keys_added = diff.added.len(),
            keys_removed = diff.removed.len(),
            "connection metadata refreshed"
        );
    }
    Ok(Refreshed::Updated(diff))
}
