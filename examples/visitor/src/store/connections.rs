//! SSO connections added in the console, per organization: the accepted
//! metadata copy, the preset, and whether it was tested and enabled. Which
//! metadata is acceptable is decided in [`crate::connections`]; this module
//! only stores it, scoped like every other organization table.

use super::db::{Row, params};
use super::{Scoped, Store, StoreError, ts};
use chrono::{DateTime, Utc};

/// One stored connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRow {
    /// Row ID.
    pub id: i64,
    /// Name shown.
    pub name: String,
    /// Preset key.
    pub preset: String,
    /// Where the metadata was fetched from (`None`: uploaded).
    pub metadata_url: Option<String>,
    /// The accepted metadata.
    pub metadata_xml: String,
    /// The IdP's entity ID.
    pub entity_id: String,
    /// When added (RFC 3339).
    pub created_at: String,
    /// Last successful test sign-in.
    pub tested_at: Option<String>,
    /// When enabled for real sign-ins.
    pub enabled_at: Option<String>,
}

/// A connection to add.
#[derive(Debug, Clone)]
pub struct NewConnection {
    /// Name shown.
    pub name: String,
    /// Preset key.
    pub preset: String,
    /// Where the metadata was fetched from.
    pub metadata_url: Option<String>,
    /// The accepted metadata.
    pub metadata_xml: String,
    /// The IdP's entity ID (from the metadata).
    pub entity_id: String,
}

/// What enabling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enabled {
    /// Enabled now (or already).
    Yes,
    /// Refused: no successful test sign-in yet.
    Untested,
    /// No such connection in this organization.
    NotFound,
}

const COLUMNS: &str = "id, name, preset, metadata_url, metadata_xml, entity_id, created_at, \
                       tested_at, enabled_at";

fn row(r: &Row<'_>) -> Result<ConnectionRow, StoreError> {
    Ok(ConnectionRow {
        id: r.get(0)?,
        name: r.get(1)?,
        preset: r.get(2)?,
        metadata_url: r.get(3)?,
        metadata_xml: r.get(4)?,
        entity_id: r.get(5)?,
        created_at: r.get(6)?,
        tested_at: r.get(7)?,
        enabled_at: r.get(8)?,
    })
}

impl Scoped<'_> {
    /// Adds a connection, disabled and untested; `None` when the
    /// organization has one to the same entity ID.
    pub fn add_connection(
        &self,
        c: &NewConnection,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        self.conn.query_opt(
            "INSERT INTO connections (org_id, name, preset, metadata_url, metadata_xml, \
             entity_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (org_id, entity_id) DO NOTHING RETURNING id",
            params![
                self.org,
                c.name,
                c.preset,
                c.metadata_url,
                c.metadata_xml,
                c.entity_id,
                ts(now)
            ],
            |r| r.get(0),
        )
    }

    /// The organization's connections, oldest first.
    pub fn connections(&self) -> Result<Vec<ConnectionRow>, StoreError> {
        self.conn.query_map(
            &format!("SELECT {COLUMNS} FROM connections WHERE org_id = ?1 ORDER BY id"),
            [self.org],
            row,
        )
    }

    /// One connection of the organization.
    pub fn connection(&self, id: i64) -> Result<Option<ConnectionRow>, StoreError> {
        self.conn.query_opt(
            &format!("SELECT {COLUMNS} FROM connections WHERE org_id = ?1 AND id = ?2"),
            params![self.org, id],
            row,
        )
    }

    /// Records a successful test sign-in; `false` when there is no such
    /// connection in the organization.
    pub fn connection_tested(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE connections SET tested_at = ?3 WHERE org_id = ?1 AND id = ?2",
            params![self.org, id, ts(now)],
        )?;
        Ok(n == 1)
    }

    /// Enables a connection for real sign-ins, only when it was tested.
    pub fn enable_connection(&self, id: i64, now: DateTime<Utc>) -> Result<Enabled, StoreError> {
        let Some(c) = self.connection(id)? else {
            return Ok(Enabled::NotFound);
        };
        if c.tested_at.is_none() {
            return Ok(Enabled::Untested);
        }
        if c.enabled_at.is_none() {
            self.conn.execute(
                "UPDATE connections SET enabled_at = ?3 \
                 WHERE org_id = ?1 AND id = ?2 AND tested_at IS NOT NULL",
                params![self.org, id, ts(now)],
            )?;
        }
        Ok(Enabled::Yes)
    }
}

impl Store {
    /// Every organization's connections with the organization's slug, to
    /// load them into the SAML layer at start (operator input, like
    /// [`Store::sync_orgs`]; never for a request).
    pub fn all_connections(&self) -> Result<Vec<(String, ConnectionRow)>, StoreError> {
        let cols = COLUMNS
            .split(", ")
            .map(|c| format!("c.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        self.sync(|d| {
            d.run(|c| {
                c.query_map(
                    &format!(
                        "SELECT o.slug, {cols} FROM connections c \
                     JOIN organizations o ON o.id = c.org_id ORDER BY c.id"
                    ),
                    [],
                    |r| {
                        Ok((
                            r.get::<String>(0)?,
                            ConnectionRow {
                                id: r.get(1)?,
                                name: r.get(2)?,
                                preset: r.get(3)?,
                                metadata_url: r.get(4)?,
                                metadata_xml: r.get(5)?,
                                entity_id: r.get(6)?,
                                created_at: r.get(7)?,
                                tested_at: r.get(8)?,
                                enabled_at: r.get(9)?,
                            },
                        ))
                    },
                )
            })
        })
    }
}
