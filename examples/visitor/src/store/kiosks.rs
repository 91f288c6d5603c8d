//! Kiosk tokens as an organization's admins manage them: made at one of
//! its locations (only the SHA-256 is stored, see [`super::reception`]),
//! listed, revoked.

use super::db::params;
use super::{Scoped, StoreError, ts};
use chrono::{DateTime, Utc};

/// A kiosk token as listed to its organization's admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskToken {
    /// Row ID.
    pub id: i64,
    /// Location ID.
    pub location_id: i64,
    /// Location name.
    pub location: String,
    /// What the admin called the device.
    pub label: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, when revoked.
    pub revoked_at: Option<String>,
}

impl Scoped<'_> {
    /// Adds a kiosk token (its SHA-256) at a location of the organization.
    /// `None` when the location is not the organization's.
    pub fn add_kiosk(
        &self,
        location_id: i64,
        label: &str,
        token_hash: [u8; 32],
        created_by: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        if self.location(location_id)?.is_none() {
            return Ok(None);
        }
        self.conn
            .query_row(
                "INSERT INTO kiosk_tokens (org_id, location_id, label, token_hash, created_by, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                params![
                    self.org,
                    location_id,
                    label,
                    token_hash.as_slice(),
                    created_by,
                    ts(now)
                ],
                |r| r.get(0),
            )
            .map(Some)
    }

    /// Revokes a kiosk token of the organization (at once: the next request
    /// of that device finds nothing). False when no such token.
    pub fn revoke_kiosk(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE kiosk_tokens SET revoked_at = coalesce(revoked_at, ?3) \
             WHERE org_id = ?1 AND id = ?2",
            params![self.org, id, ts(now)],
        )?;
        Ok(n == 1)
    }

    /// A kiosk token of the organization.
    pub fn kiosk(&self, id: i64) -> Result<Option<KioskToken>, StoreError> {
        Ok(self.kiosks_where("AND k.id = ?2", id)?.into_iter().next())
    }

    /// The organization's kiosk tokens, by location then label.
    pub fn kiosks(&self) -> Result<Vec<KioskToken>, StoreError> {
        self.kiosks_where("AND ?2 = 0", 0)
    }

    fn kiosks_where(&self, condition: &str, p: i64) -> Result<Vec<KioskToken>, StoreError> {
        self.conn.query_map(
            &format!(
                "SELECT k.id, k.location_id, l.name, k.label, k.created_at, k.revoked_at \
                 FROM kiosk_tokens k JOIN locations l ON l.id = k.location_id \
                 AND l.org_id = k.org_id \
                 WHERE k.org_id = ?1 {condition} ORDER BY l.name, k.label, k.id LIMIT 500"
            ),
            params![self.org, p],
            |r| {
                Ok(KioskToken {
                    id: r.get(0)?,
                    location_id: r.get(1)?,
                    location: r.get(2)?,
                    label: r.get(3)?,
                    created_at: r.get(4)?,
                    revoked_at: r.get(5)?,
                })
            },
        )
    }
}
