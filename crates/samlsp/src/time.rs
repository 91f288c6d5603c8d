//! Time: `xs:dateTime` values and the clock skew every time check allows.
//!
//! Time is always an input (`now`), never read from a global clock inside a
//! check, so that every condition is testable at its edges.

use chrono::{DateTime, Duration, Utc};

/// Tolerance for clocks that disagree between IdP and SP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSkew(Duration);

impl ClockSkew {
    /// 60 s: the common default (Shibboleth SP, python3-saml use 60-180 s); small
    /// enough that a captured assertion is not usable much past its intent.
    pub const DEFAULT_SECONDS: i64 = 60;

    /// A skew of `seconds` (negative values count as zero).
    pub fn seconds(seconds: i64) -> Self {
        ClockSkew(Duration::seconds(seconds.clamp(0, 24 * 3600)))
    }

    /// The skew as a duration.
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl Default for ClockSkew {
    fn default() -> Self {
        Self::seconds(Self::DEFAULT_SECONDS)
    }
}

/// Parses an `xs:dateTime` as SAML uses it (SAML Core 2.0 §1.3.3: UTC, "Z").
/// Offsets other than Z are accepted and converted; a missing zone is not.
pub(crate) fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Formats an instant the way SAML messages carry it.
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
