//! Background refresh of IdP metadata fetched from a URL (Keycloak's
//! descriptor, Entra ID's federation metadata, ...).
//!
//! A tokio interval ticks every `period`; on each tick [`Saml::refresh`]
//! fetches the IdPs that are due: per the metadata's `cacheDuration`
//! (clamped by the core's [`samlsp::MetadataCache`]), at every
//! tick while an IdP has never loaded, and 5 minutes after a failed fetch. A
//! failure keeps the last good copy and is logged.
//!
//! **Early fetches.** A response that names a configured IdP as its Issuer
//! and is signed by a key we do not trust (its KeyInfo names an unknown
//! certificate: the IdP rotated its key, Keycloak even without publishing
//! the new one ahead) wakes the refresher to fetch that IdP's metadata at
//! once, on a backoff schedule ([`EarlyRefresh::SCHEDULE`]: 10 s, 30 s, 1 min,
//! 2 min, then every 5 min while such failures continue). A fetch that
//! brings a new key resets the schedule; one that brings nothing new only
//! moves to the next step, so an IdP that publishes its key a few seconds
//! late is still picked up seconds later. Anyone can post a response with a
//! bogus signature naming a configured Issuer, so the schedule is also the
//! bound: at most one fetch per IdP per step. A signature by a trusted key
//! that does not verify (tampering) never triggers a fetch.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::Saml;

/// The future a [`MetadataFetcher`] returns.
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + 'a>>;

/// Gets metadata bytes from a URL. [`HttpFetcher`] in production; tests use
/// their own.
pub trait MetadataFetcher {
    /// Fetches `url`; the error is a reason for the log.
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a>;
}

/// Fetches over HTTP(S) with awc (OpenSSL for TLS, certificates checked
/// against the system roots), following redirects only within the URL's
/// origin, with a size and a time limit.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    timeout: Duration,
    max_bytes: usize,
}

impl Default for HttpFetcher {
    fn default() -> Self {
        HttpFetcher {
            // IdPs answer metadata requests in well under a second; 20 s
            // covers a slow start without letting one IdP stall the loop.
            timeout: Duration::from_secs(20),
            // An IdP's own metadata is a few KB; 10 MiB allows a small
            // federation aggregate. Larger ones belong in a file.
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

impl HttpFetcher {
    /// With a timeout and a size limit.
    pub fn new(timeout: Duration, max_bytes: usize) -> Self {
        HttpFetcher { timeout, max_bytes }
    }
}

impl HttpFetcher {
    /// GETs metadata from `url`: redirects only within its origin (never
    /// https to http), the body within the size limit, everything within
    /// the time limit (see [`crate::FetchError`]).
    pub async fn fetch_metadata(&self, url: &str) -> Result<Vec<u8>, crate::FetchError> {
        crate::fetch::get(url, self.timeout, self.max_bytes).await
    }
}

impl MetadataFetcher for HttpFetcher {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        Box::pin(async move { self.fetch_metadata(url).await.map_err(|e| e.to_string()) })
    }
}

/// Per-IdP bookkeeping of early metadata fetches (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct EarlyRefresh {
    /// An unknown-key signature asked for a fetch not yet made.
    requested: bool,
    /// Index in [`EarlyRefresh::SCHEDULE`] of the wait after the next fetch.
    step: usize,
    /// No early fetch before this instant.
    not_before: Option<DateTime<Utc>>,
}

/// What an early fetch brought, for the schedule and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EarlyOutcome {
    /// A signing key we did not have: the schedule starts over.
    NewKey,
    /// The same keys (or a copy we refused to use).
    Unchanged,
    /// The fetch or the document failed; the last good copy stays.
    Failed,
}

impl EarlyRefresh {
    /// Seconds to wait after each successive early fetch that brought no new
    /// key. Short first steps because an IdP may publish a new key a moment
    /// after it starts signing with it; five minutes at most, which bounds
    /// what an anonymous sender can make us fetch (12 an hour per IdP).
    pub(crate) const SCHEDULE: [i64; 5] = [10, 30, 60, 120, 300];

    /// After this long without an early fetch the schedule starts over: the
    /// failures that moved it along have stopped.
    const QUIET_RESET_SECONDS: i64 = 600;

    /// Records an unknown-key failure; true when a fetch may happen now (so
    /// the refresher is worth waking).
    pub(crate) fn request(&mut self, now: DateTime<Utc>) -> bool {
        if self
            .not_before
            .is_some_and(|t| now >= t + chrono::Duration::seconds(Self::QUIET_RESET_SECONDS))
        {
            self.step = 0;
            self.not_before = None;
        }
        self.requested = true;
        self.not_before.is_none_or(|t| now >= t)
    }

    /// Whether a requested early fetch is due now; if so it is taken and the
    /// next one is pushed out by the current step of the schedule.
    pub(crate) fn take_due(&mut self, now: DateTime<Utc>) -> bool {
        if !self.requested || self.not_before.is_some_and(|t| now < t) {
            return false;
        }
        self.requested = false;
        let wait = Self::SCHEDULE
            .get(self.step)
            .or(Self::SCHEDULE.last())
            .copied()
            .unwrap_or(300);
        self.not_before = Some(now + chrono::Duration::seconds(wait));
        self.step = (self.step + 1).min(Self::SCHEDULE.len() - 1);
        true
    }

    /// A fetch (early or scheduled) brought a new signing key: start over.
    pub(crate) fn reset(&mut self) {
        self.step = 0;
        self.not_before = None;
        self.requested = false;
    }

    /// When the next early fetch may happen, if one is pending or waiting.
    pub(crate) fn not_before(&self) -> Option<DateTime<Utc>> {
        self.not_before
    }
}

impl Saml {
    /// Spawns the refresher on the current actix/tokio runtime (call it from
    /// inside `#[actix_web::main]`). It checks every `period` (30–60 s is
    /// plenty: what is fetched when is governed by cacheDuration).
    pub fn spawn_refresher(&self, period: Duration) -> actix_web::rt::task::JoinHandle<()> {
        let saml = self.clone();
        actix_web::rt::spawn(async move {
            let fetcher = HttpFetcher::default();
            let mut tick = actix_web::rt::time::interval(period);
            loop {
                // The period, or at once when an unknown-key signature asks
                // for an early fetch (the pass itself applies the schedule).
                let wake = std::pin::pin!(saml.inner.early_wake.notified());
                let tick = std::pin::pin!(tick.tick());
                futures_util::future::select(wake, tick).await;
                let report = saml.refresh(&fetcher).await;
                if !report.updated.is_empty() || !report.failed.is_empty() {
                    tracing::debug!(?report, "metadata refresh pass");
                }
            }
        })
    }
}
