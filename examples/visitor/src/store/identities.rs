//! Linked identities: a person at an IdP, keyed by (IdP entity ID, NameID,
//! NameID format) within the organization of the connection, and what
//! their last sign-in said.

use super::db::{Row, params};
use super::{Scoped, StoreError, ts};
use chrono::{DateTime, Utc};

/// The key of a person at an IdP (SAML Core 2.0 §8.3.7: a persistent
/// NameID is unique per IdP and format, not across IdPs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityKey {
    /// The assertion's Issuer.
    pub idp_entity_id: String,
    /// The NameID value.
    pub name_id: String,
    /// The NameID format (`unspecified` when absent).
    pub name_id_format: String,
}

/// A linked identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user.
    pub user_id: i64,
    /// IdP entity ID.
    pub idp_entity_id: String,
    /// NameID value.
    pub name_id: String,
    /// NameID format.
    pub name_id_format: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub last_login_at: Option<String>,
    /// JSON array of the attributes of the last sign-in.
    pub last_attributes: String,
}

fn identity_row(r: &Row<'_>) -> Result<Identity, StoreError> {
    Ok(Identity {
        user_id: r.get(0)?,
        idp_entity_id: r.get(1)?,
        name_id: r.get(2)?,
        name_id_format: r.get(3)?,
        created_at: r.get(4)?,
        last_login_at: r.get(5)?,
        last_attributes: r.get(6)?,
    })
}

const IDENTITY_COLUMNS: &str =
    "user_id, idp_entity_id, name_id, name_id_format, created_at, last_login_at, last_attributes";

impl Scoped<'_> {
    /// The identity with this key in the organization.
    pub fn identity(&self, key: &IdentityKey) -> Result<Option<Identity>, StoreError> {
        self.conn.query_opt(
            &format!(
                "SELECT {IDENTITY_COLUMNS} FROM identities WHERE org_id = ?1 AND \
                 idp_entity_id = ?2 AND name_id = ?3 AND name_id_format = ?4"
            ),
            params![self.org, key.idp_entity_id, key.name_id, key.name_id_format],
            identity_row,
        )
    }

    /// All identities of a user of the organization.
    pub fn identities_of(&self, user_id: i64) -> Result<Vec<Identity>, StoreError> {
        self.conn.query_map(
            &format!(
                "SELECT {IDENTITY_COLUMNS} FROM identities WHERE org_id = ?1 AND user_id = ?2 \
                 ORDER BY created_at, id"
            ),
            params![self.org, user_id],
            identity_row,
        )
    }

    /// Links an identity to a user of the organization.
    pub fn insert_identity(
        &self,
        user_id: i64,
        key: &IdentityKey,
        attributes_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO identities (org_id, user_id, idp_entity_id, name_id, name_id_format, \
             created_at, last_login_at, last_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
            params![
                self.org,
                user_id,
                key.idp_entity_id,
                key.name_id,
                key.name_id_format,
                ts(now),
                attributes_json
            ],
        )?;
        Ok(())
    }

    /// Records a sign-in with an identity: its time and attributes.
    pub fn touch_identity(
        &self,
        key: &IdentityKey,
        attributes_json: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE identities SET last_login_at = ?5, last_attributes = ?6 WHERE org_id = ?1 \
             AND idp_entity_id = ?2 AND name_id = ?3 AND name_id_format = ?4",
            params![
                self.org,
                key.idp_entity_id,
                key.name_id,
                key.name_id_format,
                ts(now),
                attributes_json
            ],
        )?;
        Ok(())
    }

    /// Unlinks the identity with this key.
    pub fn delete_identity(&self, key: &IdentityKey) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM identities WHERE org_id = ?1 AND idp_entity_id = ?2 AND name_id = ?3 \
             AND name_id_format = ?4",
            params![self.org, key.idp_entity_id, key.name_id, key.name_id_format],
        )?;
        Ok(())
    }
}
