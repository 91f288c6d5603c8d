//! Background refresh of IdP metadata fetched from a URL (Keycloak's
//! descriptor, Entra ID's federation metadata, ...).
//!
//! A tokio interval ticks every `period`; on each tick [`Saml::refresh`]
//! fetches the IdPs that are due: per the metadata's `cacheDuration`
//! (clamped by the core's [`samlsp::metadata::MetadataCache`]), at every
//! tick while an IdP has never loaded, and 5 minutes after a failed fetch. A
//! failure keeps the last good copy and is logged. A response whose signature
//! no known key verifies (the symptom of a rotated IdP key) makes the next
//! tick fetch early, at most once per IdP every 5 minutes.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

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
                tick.tick().await;
                let report = saml.refresh(&fetcher).await;
                if !report.updated.is_empty() || !report.failed.is_empty() {
                    tracing::debug!(?report, "metadata refresh pass");
                }
            }
        })
    }
}
