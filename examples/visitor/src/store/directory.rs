//! Directory sync's writes: applying a plan, staged spreadsheets, and the
//! lease that keeps one run per organization (the history is
//! [`super::sync_history`]).

use std::collections::HashMap;

use super::db::params;
use super::{Scoped, StoreError, ts};
use crate::directory::{Field, Plan, Record, RecordError, SourceKind};
use chrono::{DateTime, Utc};

/// What the engine reads of an organization.
#[derive(Debug, Clone)]
pub struct SyncSnapshot {
    /// Verified domains.
    pub domains: Vec<String>,
    /// Location names.
    pub locations: Vec<String>,
    /// Every user.
    pub users: Vec<super::User>,
}

/// A spreadsheet read and kept until its apply.
#[derive(Debug, Clone)]
pub struct StagedUpload {
    /// Row ID.
    pub id: i64,
    /// The file's name as uploaded.
    pub file_name: String,
    /// Rows read.
    pub records: Vec<Record>,
    /// Rows that could not be read.
    pub read_errors: Vec<RecordError>,
}

impl Scoped<'_> {
    /// What the engine needs: domains, location names, every user.
    pub fn sync_snapshot(&self) -> Result<SyncSnapshot, StoreError> {
        Ok(SyncSnapshot {
            domains: self.org()?.domains,
            locations: self.locations()?.into_iter().map(|l| l.name).collect(),
            users: self.users()?,
        })
    }

    /// Writes `plan` (call inside the scope's transaction: all or nothing).
    /// People the plan creates belong to `source`; deactivation ends their
    /// sessions. Returns the IDs of the people it created (to invite).
    pub fn apply_plan(
        &self,
        plan: &Plan,
        source: SourceKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let at = ts(now);
        for name in &plan.new_locations {
            self.add_location(name, now)?;
        }
        let locations = self.locations()?;
        let by_name: HashMap<&str, i64> =
            locations.iter().map(|l| (l.name.as_str(), l.id)).collect();
        let default_id = self.default_location_id()?;
        let insert_user = "INSERT INTO users (org_id, email, email_normalized, given_name, \
             family_name, display_name, role, active, default_location_id, source, external_id, \
             created_at, updated_at, user_name, user_name_normalized, email_type) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?11, ?2, ?3, 'work') \
             RETURNING id";
        let grant = |user: i64, location: i64, role: &str| {
            self.conn.execute(
                "INSERT INTO user_locations (org_id, user_id, location_id, role) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, location_id) DO NOTHING",
                params![self.org, user, location, role],
            )
        };
        let mut created = Vec::with_capacity(plan.creates.len());
        for c in &plan.creates {
            let home = c
                .location
                .as_deref()
                .and_then(|l| by_name.get(l).copied())
                .or(default_id);
            let id: i64 = self.conn.query_row(
                insert_user,
                params![
                    self.org,
                    c.email,
                    c.normalized,
                    c.given_name,
                    c.family_name,
                    c.display_name,
                    c.role.as_str(),
                    home,
                    source.as_str(),
                    c.external_id,
                    at
                ],
                |r| r.get(0),
            )?;
            created.push(id);
            for l in &locations {
                let role = if Some(l.id) == home {
                    c.role.as_str()
                } else {
                    "host"
                };
                grant(id, l.id, role)?;
            }
        }
        for u in &plan.updates {
            for ch in &u.changes {
                let to = ch.to.as_str();
                match ch.field {
                    Field::Email => {
                        // The sign-in name (SCIM userName) of a person a
                        // sync keeps is their email.
                        let normalized = to.to_ascii_lowercase();
                        self.set_email(u.user_id, to, &normalized)?;
                        self.set_column(u.user_id, "user_name", to)?;
                        self.set_column(u.user_id, "user_name_normalized", &normalized)?;
                    }
                    Field::GivenName => self.set_column(u.user_id, "given_name", to)?,
                    Field::FamilyName => self.set_column(u.user_id, "family_name", to)?,
                    Field::DisplayName => self.set_column(u.user_id, "display_name", to)?,
                    Field::ExternalId => self.set_column(u.user_id, "external_id", to)?,
                    Field::Location => {
                        if let Some(l) = by_name.get(to) {
                            grant(u.user_id, *l, "host")?;
                            self.set_default_location(u.user_id, *l)?;
                            // The role column is the role at the default location.
                            self.conn.execute(
                                "UPDATE users SET role = (SELECT role FROM user_locations \
                                 WHERE user_id = ?2 AND location_id = ?3) \
                                 WHERE org_id = ?1 AND id = ?2",
                                params![self.org, u.user_id, l],
                            )?;
                        }
                    }
                    Field::Role => {}
                }
            }
            // After the location: a role is the role at the (new) default.
            if let Some(r) = u.changes.iter().find(|c| c.field == Field::Role) {
                self.set_role(u.user_id, &r.to)?;
            }
            if u.adopt {
                self.set_column(u.user_id, "source", source.as_str())?;
            }
            self.set_column(u.user_id, "updated_at", &at)?;
        }
        // The one way to deprovision (SCIM and the admin page use it too):
        // inactive, and every session they started until now ends.
        for t in &plan.deactivations {
            self.deactivate_user(t.user_id, now)?;
        }
        for t in &plan.reactivations {
            self.set_active(t.user_id, true, now)?;
        }
        Ok(created)
    }

    /// Sets one text column of a user (`column` is one of this module's
    /// literals, never input).
    fn set_column(
        &self,
        user_id: i64,
        column: &'static str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            &format!("UPDATE users SET {column} = ?3 WHERE org_id = ?1 AND id = ?2"),
            params![self.org, user_id, value],
        )?;
        Ok(())
    }

    /// Keeps a spreadsheet's rows until it is applied.
    pub fn stage_upload(
        &self,
        by: i64,
        file_name: &str,
        records: &[Record],
        read_errors: &[RecordError],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.conn.query_row(
            "INSERT INTO sync_uploads (org_id, uploaded_by, file_name, records, read_errors, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![
                self.org,
                by,
                file_name,
                to_json(records),
                to_json(read_errors),
                ts(now)
            ],
            |r| r.get(0),
        )
    }

    /// A staged spreadsheet of the organization.
    pub fn staged_upload(&self, id: i64) -> Result<Option<StagedUpload>, StoreError> {
        let row: Option<(i64, String, String, String)> = self.conn.query_opt(
            "SELECT id, file_name, records, read_errors FROM sync_uploads \
             WHERE org_id = ?1 AND id = ?2",
            params![self.org, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(row.and_then(|(id, file_name, records, errors)| {
            Some(StagedUpload {
                id,
                file_name,
                records: serde_json::from_str(&records).ok()?,
                read_errors: serde_json::from_str(&errors).ok()?,
            })
        }))
    }

    /// Drops a staged spreadsheet.
    pub fn drop_staged_upload(&self, id: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM sync_uploads WHERE org_id = ?1 AND id = ?2",
            params![self.org, id],
        )?;
        Ok(())
    }

    /// Drops the staged spreadsheets made before `before` (never applied).
    pub fn drop_stale_uploads(&self, before: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM sync_uploads WHERE org_id = ?1 AND created_at < ?2",
            params![self.org, ts(before)],
        )?;
        Ok(())
    }

    /// Takes the organization's sync lease for `holder` until `until`
    /// (Unix seconds); false while another holder's lease runs.
    pub fn take_sync_lease(&self, holder: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT INTO sync_leases (org_id, holder, expires_at) VALUES (?1, ?2, ?4) \
             ON CONFLICT (org_id) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at WHERE sync_leases.expires_at <= ?3",
            params![self.org, holder, now, until],
        )?;
        Ok(n == 1)
    }

    /// Gives the lease back (only `holder`'s).
    pub fn release_sync_lease(&self, holder: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM sync_leases WHERE org_id = ?1 AND holder = ?2",
            params![self.org, holder],
        )?;
        Ok(())
    }
}

/// JSON of plain data (cannot fail; `[]` if it did).
pub(super) fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
