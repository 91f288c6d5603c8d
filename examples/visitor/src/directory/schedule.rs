//! The scheduler: each organization with a directory is pulled every
//! `interval_minutes` (default 24 h), counted from its last run (whoever
//! started it), so a restart or an on-demand `visitor sync` does not bring
//! the next run forward. A run of the same organization already under way
//! (the lease) is waited out, never doubled.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::record::SourceKind;
use super::run::{RunError, RunOptions, Runner};
use crate::config::OrgConfig;
use crate::store::{Store, Trigger};

/// Longest single wait: the schedule is looked at again at least this
/// often (an operator's run may have moved it).
const MAX_WAIT: Duration = Duration::from_secs(3600);
/// Wait after a run could not start (busy, database fault).
const RETRY: Duration = Duration::from_secs(60);

/// How long to wait before the next run: zero when none has run yet or
/// the interval has passed since `last`.
pub fn next_run_in(
    last: Option<DateTime<Utc>>,
    interval: Duration,
    now: DateTime<Utc>,
) -> Duration {
    let Some(last) = last else {
        return Duration::ZERO;
    };
    let elapsed = (now - last).to_std().unwrap_or(Duration::ZERO);
    interval.saturating_sub(elapsed)
}

/// Starts one task per organization with `[org.ldap]` on the current
/// actix runtime.
pub fn spawn(runner: Runner, store: Store, orgs: &[OrgConfig], clock: samlsp_actix::Clock) {
    for org in orgs.iter().filter(|o| o.ldap.is_some()).cloned() {
        let runner = runner.clone();
        let store = store.clone();
        let clock = clock.clone();
        actix_web::rt::spawn(async move {
            loop {
                let wait = match due_in(&store, &org, clock()).await {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::warn!(org = %org.slug, reason = %e, "sync schedule not read");
                        RETRY
                    }
                };
                if !wait.is_zero() {
                    actix_web::rt::time::sleep(wait.min(MAX_WAIT)).await;
                    continue;
                }
                match runner
                    .ldap(&org, Trigger::Schedule, RunOptions::default())
                    .await
                {
                    Ok(r) => tracing::info!(
                        org = %org.slug,
                        outcome = r.outcome.as_str(),
                        created = r.plan.creates.len(),
                        updated = r.plan.updates.len(),
                        deactivated = r.plan.deactivations.len(),
                        reactivated = r.plan.reactivations.len(),
                        errors = r.plan.errors.len(),
                        message = %r.message,
                        "scheduled directory sync"
                    ),
                    Err(e) => {
                        tracing::warn!(org = %org.slug, reason = %e, "scheduled directory sync did not run");
                        actix_web::rt::time::sleep(RETRY).await;
                    }
                }
            }
        });
    }
}

async fn due_in(store: &Store, org: &OrgConfig, now: DateTime<Utc>) -> Result<Duration, RunError> {
    let Some(settings) = &org.ldap else {
        return Ok(MAX_WAIT);
    };
    // The operator configured this organization's directory.
    #[allow(clippy::disallowed_methods)]
    let scope = store
        .operator_scope(&org.slug)?
        .ok_or_else(|| RunError::UnknownOrg(org.slug.clone()))?;
    let last = store
        .scoped(&scope, |s| s.last_sync_run(SourceKind::Ldap))
        .await?
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(next_run_in(last, settings.interval, now))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn runs_at_once_then_every_interval() {
        let day = Duration::from_secs(86_400);
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 6, 0, 0).unwrap();
        assert_eq!(next_run_in(None, day, now), Duration::ZERO);
        assert_eq!(
            next_run_in(Some(t0), day, now),
            Duration::from_secs(18 * 3600)
        );
        assert_eq!(
            next_run_in(Some(t0), day, now + chrono::Duration::days(2)),
            Duration::ZERO
        );
        // A last run "in the future" (clock moved back) waits one interval at most.
        assert_eq!(next_run_in(Some(now), day, t0), day);
    }
}
