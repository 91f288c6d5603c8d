//! Directory sync's tables: applying a plan, the run history, staged
//! spreadsheets, and the lease that keeps one run per organization.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Scoped, StoreError, ts};
use crate::directory::{Field, Plan, Record, RecordError, SourceKind};

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

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The plan was written.
    Applied,
    /// Only computed (dry run, or a spreadsheet's preview).
    DryRun,
    /// Not written: the guard rail.
    Refused,
    /// The source could not be read.
    Failed,
}

impl Outcome {
    /// Stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::DryRun => "dry_run",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The server's scheduler.
    Schedule,
    /// `visitor sync`.
    Command,
    /// An org admin (user ID).
    Admin(i64),
}

/// One run, to record.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// Source.
    pub source: SourceKind,
    /// Who.
    pub trigger: Trigger,
    /// How it ended.
    pub outcome: Outcome,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// Records read.
    pub records: usize,
    /// The plan (empty when the source failed).
    pub plan: &'a Plan,
    /// Why refused or failed.
    pub message: &'a str,
}

/// A run, as shown in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRun {
    /// Row ID.
    pub id: i64,
    /// `ldap` or `upload`.
    pub source: String,
    /// `schedule`, `command` or `admin`.
    pub trigger: String,
    /// The admin's name, for `admin`.
    pub triggered_by: Option<String>,
    /// `applied`, `dry_run`, `refused`, `failed`.
    pub outcome: String,
    /// RFC 3339.
    pub started_at: String,
    /// Records read.
    pub records: i64,
    /// People created.
    pub created: i64,
    /// People changed.
    pub updated: i64,
    /// People deactivated.
    pub deactivated: i64,
    /// People reactivated.
    pub reactivated: i64,
    /// Locations created.
    pub locations_created: i64,
    /// Records in error.
    pub errors: i64,
    /// Why refused or failed.
    pub message: String,
}

/// A run with the record errors kept with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRunDetail {
    /// The run.
    pub run: SyncRun,
    /// The first record errors (at most 50).
    pub errors: Vec<RecordError>,
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

const RUN_COLUMNS: &str = "r.id, r.source, r.trigger, u.display_name, r.outcome, r.started_at, \
     r.records, r.created, r.updated, r.deactivated, r.reactivated, r.locations_created, \
     r.errors, r.message";

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SyncRun> {
    Ok(SyncRun {
        id: r.get(0)?,
        source: r.get(1)?,
        trigger: r.get(2)?,
        triggered_by: r.get(3)?,
        outcome: r.get(4)?,
        started_at: r.get(5)?,
        records: r.get(6)?,
        created: r.get(7)?,
        updated: r.get(8)?,
        deactivated: r.get(9)?,
        reactivated: r.get(10)?,
        locations_created: r.get(11)?,
        errors: r.get(12)?,
        message: r.get(13)?,
    })
}

/// Record errors kept with a run.
const ERROR_SAMPLE: usize = 50;

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
    /// sessions.
    pub fn apply_plan(
        &self,
        plan: &Plan,
        source: SourceKind,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = ts(now);
        for name in &plan.new_locations {
            self.add_location(name, now)?;
        }
        let locations = self.locations()?;
        let by_name: HashMap<&str, i64> =
            locations.iter().map(|l| (l.name.as_str(), l.id)).collect();
        let default_id = self.default_location_id()?;
        let mut insert_user = self.conn.prepare_cached(
            "INSERT INTO users (org_id, email, email_normalized, given_name, family_name, \
             display_name, role, active, default_location_id, source, external_id, created_at, \
             updated_at, user_name, user_name_normalized, email_type) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?11, ?2, ?3, 'work')",
        )?;
        let mut grant = self.conn.prepare_cached(
            "INSERT INTO user_locations (org_id, user_id, location_id, role) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, location_id) DO NOTHING",
        )?;
        for c in &plan.creates {
            let home = c
                .location
                .as_deref()
                .and_then(|l| by_name.get(l).copied())
                .or(default_id);
            insert_user.execute(params![
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
            ])?;
            let id = self.conn.last_insert_rowid();
            for l in &locations {
                let role = if Some(l.id) == home {
                    c.role.as_str()
                } else {
                    "host"
                };
                grant.execute(params![self.org, id, l.id, role])?;
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
                            grant.execute(params![self.org, u.user_id, l, "host"])?;
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
        Ok(())
    }

    /// Sets one text column of a user (`column` is one of this module's
    /// literals, never input).
    fn set_column(
        &self,
        user_id: i64,
        column: &'static str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(&format!(
                "UPDATE users SET {column} = ?3 WHERE org_id = ?1 AND id = ?2"
            ))?
            .execute(params![self.org, user_id, value])?;
        Ok(())
    }

    /// Adds a run to the history.
    pub fn record_sync_run(&self, r: &NewRun<'_>) -> Result<i64, StoreError> {
        let (trigger, by) = match r.trigger {
            Trigger::Schedule => ("schedule", None),
            Trigger::Command => ("command", None),
            Trigger::Admin(id) => ("admin", Some(id)),
        };
        let p = r.plan;
        let sample: Vec<&RecordError> = p.errors.iter().take(ERROR_SAMPLE).collect();
        let sample = to_json(&sample);
        self.conn.execute(
            "INSERT INTO sync_runs (org_id, source, trigger, triggered_by, outcome, started_at, \
             finished_at, records, created, updated, deactivated, reactivated, \
             locations_created, left_alone, errors, message, error_sample) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                self.org,
                r.source.as_str(),
                trigger,
                by,
                r.outcome.as_str(),
                ts(r.started_at),
                ts(r.finished_at),
                r.records as i64,
                p.creates.len() as i64,
                p.updates.len() as i64,
                p.deactivations.len() as i64,
                p.reactivations.len() as i64,
                p.new_locations.len() as i64,
                p.left_alone.len() as i64,
                p.errors.len() as i64,
                r.message,
                sample
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The latest runs, newest first.
    pub fn sync_runs(&self, limit: usize) -> Result<Vec<SyncRun>, StoreError> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM sync_runs r \
             LEFT JOIN users u ON u.org_id = r.org_id AND u.id = r.triggered_by \
             WHERE r.org_id = ?1 ORDER BY r.id DESC LIMIT ?2"
        ))?;
        let rows = st.query_map(params![self.org, limit as i64], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One run of the organization, with its error sample.
    pub fn sync_run(&self, id: i64) -> Result<Option<SyncRunDetail>, StoreError> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {RUN_COLUMNS}, r.error_sample FROM sync_runs r \
             LEFT JOIN users u ON u.org_id = r.org_id AND u.id = r.triggered_by \
             WHERE r.org_id = ?1 AND r.id = ?2"
        ))?;
        Ok(st
            .query_row(params![self.org, id], |r| {
                let sample: String = r.get(14)?;
                Ok(SyncRunDetail {
                    run: run_row(r)?,
                    errors: serde_json::from_str(&sample).unwrap_or_default(),
                })
            })
            .optional()?)
    }

    /// When the last run of `source` that reached the source started
    /// (the scheduler counts its interval from it).
    pub fn last_sync_run(&self, source: SourceKind) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT max(started_at) FROM sync_runs WHERE org_id = ?1 AND source = ?2",
                params![self.org, source.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
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
        self.conn.execute(
            "INSERT INTO sync_uploads (org_id, uploaded_by, file_name, records, read_errors, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.org,
                by,
                file_name,
                to_json(records),
                to_json(read_errors),
                ts(now)
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// A staged spreadsheet of the organization.
    pub fn staged_upload(&self, id: i64) -> Result<Option<StagedUpload>, StoreError> {
        let row: Option<(i64, String, String, String)> = self
            .conn
            .query_row(
                "SELECT id, file_name, records, read_errors FROM sync_uploads \
                 WHERE org_id = ?1 AND id = ?2",
                params![self.org, id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
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
fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
