//! The sync history: every run of an organization's directory or
//! spreadsheet sync, with who started it, how it ended, its counts and the
//! first records it could not use.

use super::db::{Row, params};
use super::directory::to_json;
use super::{Scoped, StoreError, ts};
use crate::directory::{Plan, RecordError, SourceKind};
use chrono::{DateTime, Utc};

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

const RUN_COLUMNS: &str = "r.id, r.source, r.trigger, u.display_name, r.outcome, r.started_at, \
     r.records, r.created, r.updated, r.deactivated, r.reactivated, r.locations_created, \
     r.errors, r.message";

fn run_row(r: &Row<'_>) -> Result<SyncRun, StoreError> {
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
        self.conn.query_row(
            "INSERT INTO sync_runs (org_id, source, trigger, triggered_by, outcome, started_at, \
             finished_at, records, created, updated, deactivated, reactivated, \
             locations_created, left_alone, errors, message, error_sample) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
             RETURNING id",
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
            |r| r.get(0),
        )
    }

    /// The latest runs, newest first.
    pub fn sync_runs(&self, limit: usize) -> Result<Vec<SyncRun>, StoreError> {
        self.conn.query_map(
            &format!(
                "SELECT {RUN_COLUMNS} FROM sync_runs r \
                 LEFT JOIN users u ON u.org_id = r.org_id AND u.id = r.triggered_by \
                 WHERE r.org_id = ?1 ORDER BY r.id DESC LIMIT ?2"
            ),
            params![self.org, limit as i64],
            run_row,
        )
    }

    /// One run of the organization, with its error sample.
    pub fn sync_run(&self, id: i64) -> Result<Option<SyncRunDetail>, StoreError> {
        self.conn.query_opt(
            &format!(
                "SELECT {RUN_COLUMNS}, r.error_sample FROM sync_runs r \
                 LEFT JOIN users u ON u.org_id = r.org_id AND u.id = r.triggered_by \
                 WHERE r.org_id = ?1 AND r.id = ?2"
            ),
            params![self.org, id],
            |r| {
                let sample: String = r.get(14)?;
                Ok(SyncRunDetail {
                    run: run_row(r)?,
                    errors: serde_json::from_str(&sample).unwrap_or_default(),
                })
            },
        )
    }

    /// When the last run of `source` that reached the source started
    /// (the scheduler counts its interval from it).
    pub fn last_sync_run(&self, source: SourceKind) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_opt(
                "SELECT max(started_at) FROM sync_runs WHERE org_id = ?1 AND source = ?2",
                params![self.org, source.as_str()],
                |r| r.get(0),
            )?
            .flatten())
    }
}
