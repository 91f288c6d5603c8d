//! One run of a source against the store: the lease (one run per
//! organization at a time, across processes), the read, the plan, the
//! guard rail, the apply and the history row, the last four in one
//! transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use samlsp_actix::Clock;

use super::ldap::fetch;
use super::plan::Plan;
use super::reconcile::{OrgView, Policy, plan};
use super::record::{Record, SourceKind};
use crate::audit::{self, Category, Event};
use crate::config::OrgConfig;
use crate::store::{NewRun, OrgScope, Outcome, Scoped, Store, StoreError, Trigger};

/// Deactivations written to the audit log one by one in a run (the run's
/// own event counts them all): a run must not flood the per-organization
/// log, whose oldest rows give way to new ones.
const AUDITED_DEACTIVATIONS: usize = 100;

/// How long a lease lasts if its holder dies without giving it back.
const LEASE_SECONDS: i64 = 3600;

/// What to do with the plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Compute and show, write nothing but the history row.
    pub dry_run: bool,
    /// Apply even above the guard rail.
    pub override_limit: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The plan (empty when the source failed).
    pub plan: Plan,
    /// Records read.
    pub records: usize,
    /// Why refused or failed.
    pub message: String,
}

/// Why a run did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// No organization of that slug in the database.
    #[error("no organization {0:?}")]
    UnknownOrg(String),
    /// The organization has no `[org.ldap]`.
    #[error("organization {0:?} has no directory configured ([org.ldap])")]
    NoDirectory(String),
    /// Another run of the organization holds the lease.
    #[error("another sync of {0:?} is under way; try again when it has finished")]
    Busy(String),
    /// The database failed (nothing was written).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs syncs against one store, with an injected clock.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    clock: Clock,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner").finish_non_exhaustive()
    }
}

/// A lease holder name unique across processes sharing the database.
fn holder() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "pid {} run {}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Runner {
    /// A runner over `store`.
    pub fn new(store: Store, clock: Clock) -> Self {
        Runner { store, clock }
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Pulls `org`'s directory and reconciles it.
    pub async fn ldap(
        &self,
        org: &OrgConfig,
        trigger: Trigger,
        options: RunOptions,
    ) -> Result<RunReport, RunError> {
        let settings = org
            .ldap
            .as_ref()
            .ok_or_else(|| RunError::NoDirectory(org.slug.clone()))?;
        // The operator configured this organization's directory.
        #[allow(clippy::disallowed_methods)]
        let scope = self
            .store
            .operator_scope(&org.slug)?
            .ok_or_else(|| RunError::UnknownOrg(org.slug.clone()))?;
        let max = org.sync.max_deactivate_percent;
        self.leased(&scope, &org.slug, async {
            let started = self.now();
            match fetch(settings).await {
                Ok(f) => {
                    self.reconcile(
                        &scope,
                        f.records,
                        Policy::directory(),
                        max,
                        trigger,
                        options,
                        started,
                    )
                    .await
                }
                Err(e) => {
                    let message = e.to_string();
                    tracing::warn!(org = %org.slug, reason = %message, "directory not read");
                    let finished = self.now();
                    let m = message.clone();
                    self.store
                        .scoped(&scope, move |s| {
                            record_run(
                                s,
                                &NewRun {
                                    source: SourceKind::Ldap,
                                    trigger,
                                    outcome: Outcome::Failed,
                                    started_at: started,
                                    finished_at: finished,
                                    records: 0,
                                    plan: &Plan::default(),
                                    message: &m,
                                },
                            )
                        })
                        .await?;
                    Ok(RunReport {
                        outcome: Outcome::Failed,
                        plan: Plan::default(),
                        records: 0,
                        message,
                    })
                }
            }
        })
        .await
    }

    /// Applies a spreadsheet's records (an org admin's upload).
    pub async fn upload(
        &self,
        scope: &OrgScope,
        org_slug: &str,
        records: Vec<Record>,
        max_percent: u8,
        admin: i64,
        override_limit: bool,
    ) -> Result<RunReport, RunError> {
        let started = self.now();
        let options = RunOptions {
            dry_run: false,
            override_limit,
        };
        self.leased(scope, org_slug, async {
            self.reconcile(
                scope,
                records,
                Policy::spreadsheet(),
                max_percent,
                Trigger::Admin(admin),
                options,
                started,
            )
            .await
        })
        .await
    }

    /// Plans `records` and applies the plan, in one transaction.
    #[allow(clippy::too_many_arguments)]
    async fn reconcile(
        &self,
        scope: &OrgScope,
        records: Vec<Record>,
        policy: Policy,
        max_percent: u8,
        trigger: Trigger,
        options: RunOptions,
        started: DateTime<Utc>,
    ) -> Result<RunReport, RunError> {
        let clock = self.clock.clone();
        Ok(self
            .store
            .scoped(scope, move |s| {
                let snap = s.sync_snapshot()?;
                let count = records.len();
                let plan = plan(
                    records,
                    &OrgView {
                        domains: &snap.domains,
                        locations: &snap.locations,
                        users: &snap.users,
                    },
                    &policy,
                );
                let (outcome, message) =
                    match plan.check_guard_rail(max_percent, options.override_limit) {
                        Err(e) => (Outcome::Refused, e.to_string()),
                        Ok(()) if options.dry_run => (Outcome::DryRun, String::new()),
                        Ok(()) => {
                            s.apply_plan(&plan, policy.source, clock())?;
                            (Outcome::Applied, String::new())
                        }
                    };
                record_run(
                    s,
                    &NewRun {
                        source: policy.source,
                        trigger,
                        outcome,
                        started_at: started,
                        finished_at: clock(),
                        records: count,
                        plan: &plan,
                        message: &message,
                    },
                )?;
                Ok(RunReport {
                    outcome,
                    plan,
                    records: count,
                    message,
                })
            })
            .await?)
    }

    /// Runs `work` holding the organization's lease.
    async fn leased<T>(
        &self,
        scope: &OrgScope,
        slug: &str,
        work: impl Future<Output = Result<T, RunError>>,
    ) -> Result<T, RunError> {
        let me = Arc::new(holder());
        let now = self.now().timestamp();
        let h = me.clone();
        let taken = self
            .store
            .scoped(scope, move |s| {
                s.take_sync_lease(&h, now, now + LEASE_SECONDS)
            })
            .await?;
        if !taken {
            return Err(RunError::Busy(slug.to_owned()));
        }
        let out = work.await;
        let h = me.clone();
        let released = self
            .store
            .scoped(scope, move |s| s.release_sync_lease(&h))
            .await;
        if let Err(e) = released {
            tracing::warn!(org = %slug, reason = %e, "sync lease not released (it expires)");
        }
        out
    }
}

/// Keeps the run in the history and the audit log (one event for the run,
/// one per deactivation up to [`AUDITED_DEACTIVATIONS`]), in the run's
/// transaction.
fn record_run(s: &Scoped<'_>, run: &NewRun<'_>) -> Result<i64, StoreError> {
    let id = s.record_sync_run(run)?;
    let actor = match run.trigger {
        Trigger::Schedule => "scheduler".to_owned(),
        Trigger::Command => "command".to_owned(),
        Trigger::Admin(user) => format!("user:{user}"),
    };
    let p = run.plan;
    let ok = matches!(run.outcome, Outcome::Applied | Outcome::DryRun);
    let mut event = Event::new(
        run.finished_at,
        Category::Sync,
        "directory_sync",
        if ok {
            audit::Outcome::Ok
        } else {
            audit::Outcome::Failed
        },
    )
    .actor(&actor)
    .detail("run", id.to_string())
    .detail("source", run.source.as_str())
    .detail("outcome", run.outcome.as_str())
    .detail("records", run.records.to_string())
    .detail("created", p.creates.len().to_string())
    .detail("updated", p.updates.len().to_string())
    .detail("deactivated", p.deactivations.len().to_string())
    .detail("reactivated", p.reactivations.len().to_string())
    .detail("errors", p.errors.len().to_string());
    if !run.message.is_empty() {
        event = event.detail("reason", run.message);
    }
    audit::record(s, &event)?;
    if run.outcome == Outcome::Applied {
        for t in p.deactivations.iter().take(AUDITED_DEACTIVATIONS) {
            audit::record(
                s,
                &Event::new(
                    run.finished_at,
                    Category::Sync,
                    "user_deactivated",
                    audit::Outcome::Ok,
                )
                .actor(&actor)
                .detail("run", id.to_string())
                .detail("source", run.source.as_str())
                .detail("user_id", t.user_id.to_string()),
            )?;
        }
    }
    Ok(id)
}
