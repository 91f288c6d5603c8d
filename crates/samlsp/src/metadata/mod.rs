//! SAML 2.0 metadata (SAML Metadata 2.0): IdP metadata in ([`idp`]), SP
//! metadata out ([`sp`]), and [`MetadataCache`], the refresh logic for IdP
//! metadata that changes (key rollover).
//!
//! The cache is synchronous and takes `now`: the HTTP fetch and the timer
//! belong to the web layer (the actix crate runs it on tokio), which calls
//! [`MetadataCache::update`] with the bytes it fetched, or
//! [`MetadataCache::refresh_from`] for a file or in-memory source.

pub mod idp;
pub mod sp;

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

pub use crate::binding::{HTTP_POST, HTTP_REDIRECT};
pub use idp::{Endpoint, IdpMetadata, MD_NS};
pub use sp::{ContactPerson, ContactType, MetadataOptions, Organization, SpMetadataBuilder};

use crate::dsig::TrustedKeys;
use crate::error::{Error, MetadataError};

/// Where metadata bytes come from, for sources the core can read itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataSource {
    /// A file, read again at each refresh.
    File(PathBuf),
    /// A fixed document (tests, metadata compiled into the app).
    Bytes(Vec<u8>),
}

impl MetadataSource {
    /// Reads the document, refusing more than `max_bytes`.
    pub fn load(&self, max_bytes: usize) -> Result<Vec<u8>, MetadataError> {
        match self {
            MetadataSource::Bytes(b) => Ok(b.clone()),
            MetadataSource::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| MetadataError::Source {
                    reason: format!("{}: {e}", path.display()),
                })?;
                let mut buf = Vec::new();
                let limit = u64::try_from(max_bytes)
                    .unwrap_or(u64::MAX)
                    .saturating_add(1);
                file.take(limit)
                    .read_to_end(&mut buf)
                    .map_err(|e| MetadataError::Source {
                        reason: format!("{}: {e}", path.display()),
                    })?;
                if buf.len() > max_bytes {
                    return Err(MetadataError::Source {
                        reason: format!("{} is larger than {max_bytes} bytes", path.display()),
                    });
                }
                Ok(buf)
            }
        }
    }
}

/// Parses an `xs:duration` (XML Schema Part 2 §3.2.6) as metadata
/// `cacheDuration` uses it: `P[nY][nM][nD][T[nH][nM][n[.n]S]]`, a year
/// counted as 365 days and a month as 30. Negative or malformed: `None`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    if date.is_empty() && time.is_none() {
        return None;
    }
    let mut total = Duration::zero();
    let mut add = |n: f64, unit_secs: f64| -> Option<()> {
        let secs = n * unit_secs;
        if !secs.is_finite() || secs > 1e12 {
            return None;
        }
        // Whole milliseconds; the cast is in range by the check above.
        #[allow(clippy::cast_possible_truncation)]
        let ms = (secs * 1000.0).round() as i64;
        total = total.checked_add(&Duration::milliseconds(ms))?;
        Some(())
    };
    let parse_part = |part: &str,
                      units: &[(char, f64)],
                      allow_fraction: bool,
                      add: &mut dyn FnMut(f64, f64) -> Option<()>|
     -> Option<()> {
        let mut num = String::new();
        let mut last_unit = 0usize;
        for c in part.chars() {
            if c.is_ascii_digit() || (allow_fraction && c == '.') {
                num.push(c);
                continue;
            }
            let pos = units.iter().position(|(u, _)| *u == c)?;
            // Units in order, each at most once, each with a number.
            if pos < last_unit || num.is_empty() {
                return None;
            }
            last_unit = pos + 1;
            if num.contains('.') && c != 'S' {
                return None;
            }
            let n: f64 = num.parse().ok()?;
            let (_, secs) = units.get(pos)?;
            add(n, *secs)?;
            num.clear();
        }
        if !num.is_empty() {
            return None;
        }
        Some(())
    };
    parse_part(
        date,
        &[
            ('Y', 365.0 * 86_400.0),
            ('M', 30.0 * 86_400.0),
            ('D', 86_400.0),
        ],
        false,
        &mut add,
    )?;
    if let Some(t) = time {
        parse_part(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)], true, &mut add)?;
    }
    Some(total)
}

/// The last good copy of one IdP's metadata, and when to fetch it again.
///
/// - A refresh that fails (unreachable, unparseable, bad signature, expired)
///   keeps the previous copy and schedules a retry; the error is returned for
///   the caller to log.
/// - The refresh interval follows `cacheDuration` (SAML Metadata §2.2.1),
///   clamped to [`MetadataCache::MIN_REFRESH`]..[`MetadataCache::MAX_REFRESH`],
///   never past `validUntil`.
/// - A copy past its `validUntil` is no longer served ([`MetadataCache::current`]
///   returns `None`), so stale keys do not outlive their stated validity.
#[derive(Debug)]
pub struct MetadataCache {
    entity_id: Option<String>,
    pinned: Option<TrustedKeys>,
    max_bytes: usize,
    current: Option<Arc<IdpMetadata>>,
    last_success: Option<DateTime<Utc>>,
    last_error: Option<Error>,
    next_refresh: Option<DateTime<Utc>>,
}

impl MetadataCache {
    /// Shortest refresh interval, whatever cacheDuration says: 5 minutes
    /// keeps a misconfigured `PT1S` from turning into a fetch loop.
    pub const MIN_REFRESH: i64 = 5 * 60;
    /// Longest refresh interval: a day, so a key rollover is picked up within
    /// one (Shibboleth SP's `maxRefreshDelay` default is 4 hours).
    pub const MAX_REFRESH: i64 = 24 * 3600;
    /// Interval when the metadata states no cacheDuration: 4 hours (as
    /// Shibboleth SP).
    pub const DEFAULT_REFRESH: i64 = 4 * 3600;
    /// Delay before retrying after a failed refresh: 5 minutes.
    pub const RETRY_DELAY: i64 = 5 * 60;

    /// A cache for the IdP `entity_id` (or the only IdP in the document).
    /// With `pinned` keys, every copy must be signed by one of them.
    pub fn new(entity_id: Option<&str>, pinned: Option<TrustedKeys>) -> Self {
        MetadataCache {
            entity_id: entity_id.map(str::to_owned),
            pinned,
            max_bytes: crate::xml::Limits::metadata().max_input_bytes,
            current: None,
            last_success: None,
            last_error: None,
            next_refresh: None,
        }
    }

    /// Parses freshly fetched bytes. On success the copy replaces the current
    /// one; on failure the current one stays and the error is returned.
    pub fn update(&mut self, bytes: &[u8], now: DateTime<Utc>) -> Result<Arc<IdpMetadata>, Error> {
        let parsed = match &self.pinned {
            Some(keys) => IdpMetadata::parse_verified(bytes, self.entity_id.as_deref(), now, keys),
            None => IdpMetadata::parse(bytes, self.entity_id.as_deref(), now),
        };
        match parsed {
            Ok(md) => {
                let md = Arc::new(md);
                let mut interval = md
                    .cache_duration
                    .as_deref()
                    .and_then(parse_duration)
                    .unwrap_or(Duration::seconds(Self::DEFAULT_REFRESH))
                    .clamp(
                        Duration::seconds(Self::MIN_REFRESH),
                        Duration::seconds(Self::MAX_REFRESH),
                    );
                if let Some(v) = md.valid_until {
                    // Refresh before the copy expires (halfway there at the
                    // latest), but not sooner than the minimum.
                    let half = (v - now) / 2;
                    interval = interval.min(half.max(Duration::seconds(Self::MIN_REFRESH)));
                }
                self.next_refresh = Some(now + interval);
                self.current = Some(md.clone());
                self.last_success = Some(now);
                self.last_error = None;
                Ok(md)
            }
            Err(e) => {
                self.next_refresh = Some(now + Duration::seconds(Self::RETRY_DELAY));
                self.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Reads `source` and [`MetadataCache::update`]s from it.
    pub fn refresh_from(
        &mut self,
        source: &MetadataSource,
        now: DateTime<Utc>,
    ) -> Result<Arc<IdpMetadata>, Error> {
        match source.load(self.max_bytes) {
            Ok(bytes) => self.update(&bytes, now),
            Err(e) => {
                let e = Error::from(e);
                self.next_refresh = Some(now + Duration::seconds(Self::RETRY_DELAY));
                self.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The current copy, unless it has passed its `validUntil`.
    pub fn current(&self, now: DateTime<Utc>) -> Option<Arc<IdpMetadata>> {
        self.current
            .as_ref()
            .filter(|m| m.valid_until.is_none_or(|v| now < v))
            .cloned()
    }

    /// True when a refresh is due (or nothing was ever loaded).
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        self.next_refresh.is_none_or(|t| now >= t)
    }

    /// When the next refresh is due.
    pub fn next_refresh(&self) -> Option<DateTime<Utc>> {
        self.next_refresh
    }

    /// When a copy was last accepted.
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.last_success
    }

    /// The error of the last refresh, if it failed.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT6H"), Some(Duration::hours(6)));
        assert_eq!(parse_duration("P1D"), Some(Duration::days(1)));
        assert_eq!(
            parse_duration("P1DT1H30M"),
            Some(Duration::minutes(24 * 60 + 90))
        );
        assert_eq!(parse_duration("PT1.5S"), Some(Duration::milliseconds(1500)));
        assert_eq!(parse_duration("P1Y"), Some(Duration::days(365)));
        assert_eq!(parse_duration("P1M"), Some(Duration::days(30)));
        assert_eq!(parse_duration("PT10M"), Some(Duration::minutes(10)));
        for bad in [
            "", "P", "PT", "-PT1H", "PT1H1H", "PH", "P1.5D", "PT1M1H", "1H", "P1DT",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
