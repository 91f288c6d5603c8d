//! The console's audit and health pages (templates under `templates/`).

use askama::Template;

use crate::pages::{Layout, Nav};
use crate::store::AuditRow;

/// Filter values as given (kept in the form and the export link).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuditQuery {
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// `ok` or `failed`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Error code.
    #[serde(default)]
    pub code: Option<String>,
    /// Connection slug.
    #[serde(default)]
    pub connection: Option<String>,
    /// Correlation ID.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Rows older than this ID (paging).
    #[serde(default)]
    pub before: Option<i64>,
    /// Export format (`csv`, `jsonl`).
    #[serde(default)]
    pub format: Option<String>,
}

/// The audit log, filtered.
#[derive(Debug, Template)]
#[template(path = "admin_audit.html")]
pub struct AuditList<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The filter as given.
    pub query: &'a AuditQuery,
    /// The filter as a query string (export and paging links).
    pub query_string: &'a str,
    /// Categories to choose from.
    pub categories: &'a [&'static str],
    /// The rows, newest first.
    pub rows: &'a [AuditRow],
    /// ID for the next page, when there may be one.
    pub next_before: Option<i64>,
}

/// One event: for a failed sign-in, the trace with its remediation.
#[derive(Debug, Template)]
#[template(path = "admin_audit_event.html")]
pub struct AuditEvent<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The event.
    pub row: &'a AuditRow,
    /// Its details, in key order.
    pub details: Vec<(String, String)>,
    /// The code's one-line meaning, when it is a documented code.
    pub code_summary: Option<&'static str>,
}

/// A signing certificate as the health page shows it.
#[derive(Debug)]
pub struct CertLine {
    /// Fingerprint.
    pub sha256: String,
    /// Subject.
    pub subject: String,
    /// `2027-01-01` or `–`.
    pub not_after: String,
    /// `ok`, `warning` (30 days), `critical` (7 days) or `expired`.
    pub level: &'static str,
    /// Words for the level.
    pub note: String,
}

/// One connection's health.
#[derive(Debug)]
pub struct ConnectionHealth {
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Entity ID.
    pub entity_id: String,
    /// Usable now.
    pub loaded: bool,
    /// Metadata source kind.
    pub source: &'static str,
    /// Last successful refresh, or `–`.
    pub last_success: String,
    /// Last failure (time and reason), if any.
    pub last_failure: Option<(String, String)>,
    /// Failures since the last success.
    pub failures_in_row: u32,
    /// Key rollovers seen (times).
    pub rollovers: Vec<String>,
    /// Signing certificates.
    pub certificates: Vec<CertLine>,
}

/// Certificate and metadata health of the organization's connections.
#[derive(Debug, Template)]
#[template(path = "admin_health.html")]
pub struct Health<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The connections.
    pub connections: &'a [ConnectionHealth],
    /// The notification address set on the console.
    pub notice_address: Option<String>,
    /// Where notices go without one: the organization's admins.
    pub admins: Vec<String>,
    /// Why the last change of the address was refused.
    pub error: Option<&'static str>,
    /// A notice that it was saved.
    pub saved: bool,
    /// CSRF token for the form.
    pub csrf: &'a str,
}

/// Days-left of a certificate, as a level and words (warn at 30 and 7 days).
pub fn expiry(days_left: Option<i64>) -> (&'static str, String) {
    match days_left {
        None => ("ok", "no expiry date".to_owned()),
        Some(d) if d < 0 => ("expired", format!("expired {} days ago", -d)),
        Some(d) if d <= 7 => ("critical", format!("expires in {d} days: replace it now")),
        Some(d) if d <= 30 => ("warning", format!("expires in {d} days: plan the rollover")),
        Some(d) => ("ok", format!("{d} days left")),
    }
}

#[cfg(test)]
mod tests {
    use super::expiry;

    #[test]
    fn expiry_levels_at_30_and_7_days() {
        assert_eq!(expiry(Some(31)).0, "ok");
        assert_eq!(expiry(Some(30)).0, "warning");
        assert_eq!(expiry(Some(8)).0, "warning");
        assert_eq!(expiry(Some(7)).0, "critical");
        assert_eq!(expiry(Some(0)).0, "critical");
        assert_eq!(expiry(Some(-1)).0, "expired");
        assert_eq!(expiry(None).0, "ok");
    }
}
