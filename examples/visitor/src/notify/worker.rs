//! The outbox worker: delivers the messages that are due, one at a time,
//! and records each outcome. A transient failure is retried after an
//! exponentially growing delay; a permanent one (a malformed address), or
//! the last allowed attempt, gives the message up (`failed`, shown to the
//! people it concerns).

use std::sync::Arc;
use std::time::Duration;

use samlsp_actix::Clock;

use super::{Email, Notifier};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// Retry schedule: `first`, doubled after each failure up to `max`, at
/// most `attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub first: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Attempts before giving up.
    pub attempts: u32,
}

impl Default for Backoff {
    /// 30 s, 1 min, 2 min … capped at an hour, 12 attempts: a mail server
    /// down for half a day still gets every message.
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(30),
            max: Duration::from_secs(3600),
            attempts: 12,
        }
    }
}

impl Backoff {
    /// The delay before the next attempt after `failed` failed attempts,
    /// `None` when no attempt is left.
    pub fn after(&self, failed: u32) -> Option<Duration> {
        if failed >= self.attempts {
            return None;
        }
        let factor = 2u32.saturating_pow(failed.saturating_sub(1));
        Some(self.first.saturating_mul(factor).min(self.max))
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Delivered.
    pub sent: usize,
    /// Failed, to be tried again.
    pub retried: usize,
    /// Failed for good.
    pub given_up: usize,
}

/// Delivers the outbox through a [`Notifier`].
#[derive(Clone)]
pub struct Worker {
    store: Store,
    notifier: Arc<dyn Notifier>,
    clock: Clock,
    backoff: Backoff,
    metrics: Option<Arc<Metrics>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("notifier", &self.notifier)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

/// Messages handled per pass (the next pass takes the rest).
const BATCH: i64 = 50;

/// How long a claimed message is hidden from the other instances' workers
/// while this one delivers it: far longer than one SMTP exchange (each of
/// its steps times out after 10 s), short enough that a message whose
/// worker died goes out soon after.
const CLAIM_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

impl Worker {
    /// A worker on `store`'s outbox, with the default [`Backoff`].
    pub fn new(store: Store, notifier: Arc<dyn Notifier>, clock: Clock) -> Self {
        Worker {
            store,
            notifier,
            clock,
            backoff: Backoff::default(),
            metrics: None,
        }
    }

    /// Counts each delivery attempt (`mail_delivery`, ok or failed).
    pub fn with_metrics(mut self, m: Arc<Metrics>) -> Self {
        self.metrics = Some(m);
        self
    }

    /// Another retry schedule.
    pub fn with_backoff(mut self, b: Backoff) -> Self {
        self.backoff = b;
        self
    }

    /// Delivers what is due now.
    pub async fn run_once(&self) -> Result<RunReport, StoreError> {
        let mut report = RunReport::default();
        for _ in 0..BATCH {
            let now = (self.clock)();
            let Some(m) = self.store.claim_due(now, now + CLAIM_LEASE).await? else {
                break;
            };
            let email = Email {
                to: m.recipient,
                subject: m.subject,
                text: m.text,
                html: m.html,
            };
            let notifier = self.notifier.clone();
            let outcome = actix_web::web::block(move || notifier.send(&email))
                .await
                .map_err(|e| StoreError::Task(e.to_string()))?;
            let now = (self.clock)();
            if let Some(m) = &self.metrics {
                m.operation("mail_delivery", outcome.is_ok());
            }
            match outcome {
                Ok(()) => {
                    self.store.delivered(m.id, now).await?;
                    tracing::info!(message_id = m.id, "message delivered");
                    report.sent += 1;
                }
                Err(e) => {
                    let failed = m.attempts.saturating_add(1);
                    let retry = e
                        .is_transient()
                        .then(|| self.backoff.after(failed))
                        .flatten()
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .map(|d| now + d);
                    let reason: String = e.to_string().chars().take(300).collect();
                    tracing::warn!(
                        message_id = m.id,
                        attempt = failed,
                        retry_at = ?retry.map(crate::store::ts),
                        reason = %reason,
                        "message not delivered"
                    );
                    if retry.is_some() {
                        report.retried += 1;
                    } else {
                        report.given_up += 1;
                    }
                    self.store.attempt_failed(m.id, retry, reason).await?;
                }
            }
        }
        Ok(report)
    }

    /// Runs a pass every `every` on the actix runtime, for good.
    pub fn spawn(self, every: Duration) {
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = self.run_once().await {
                    tracing::error!(reason = %e, "outbox pass failed");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_then_stops() {
        let b = Backoff::default();
        let secs: Vec<_> = (1..=12).map(|n| b.after(n).map(|d| d.as_secs())).collect();
        assert_eq!(
            secs,
            [
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(960),
                Some(1920),
                Some(3600),
                Some(3600),
                Some(3600),
                Some(3600),
                None
            ]
        );
    }
}
