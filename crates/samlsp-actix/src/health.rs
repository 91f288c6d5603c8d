//! Read-only status of every configured IdP, for an admin console: whether
//! its metadata is loaded, the last refresh success and failure, signing-key
//! rollovers seen, and its signing certificates with their expiry.
//!
//! The refresher logs these events as they happen; this keeps the latest
//! of each in memory (a few per IdP, bounded) so a console can show them
//! without reading logs. Nothing here is secret: certificates are public,
//! and failure reasons are the fetcher's and the core's messages.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use samlsp::IdentityProvider;

use crate::Saml;
use crate::config::IdpSource;
use crate::config::MetadataLocation;

/// How many key rollovers are remembered per IdP: IdPs roll keys yearly,
/// so five covers years; a burst of more is itself the news.
const MAX_ROLLOVERS: usize = 5;
/// Longest failure reason kept, in characters (the fetcher's and the
/// core's messages are shorter; a quoted URL is the long part).
const MAX_REASON: usize = 300;

/// Refresh outcomes of one IdP, kept by the refresher.
#[derive(Debug, Default, Clone)]
pub(crate) struct RefreshHistory {
    last_success: Option<DateTime<Utc>>,
    last_failure: Option<(DateTime<Utc>, String)>,
    failures_in_row: u32,
    rollovers: VecDeque<DateTime<Utc>>,
}

impl RefreshHistory {
    pub(crate) fn succeeded(&mut self, now: DateTime<Utc>, new_key: bool) {
        self.last_success = Some(now);
        self.failures_in_row = 0;
        if new_key {
            if self.rollovers.len() == MAX_ROLLOVERS {
                self.rollovers.pop_front();
            }
            self.rollovers.push_back(now);
        }
    }

    pub(crate) fn failed(&mut self, now: DateTime<Utc>, reason: &str) {
        self.last_failure = Some((now, reason.chars().take(MAX_REASON).collect()));
        self.failures_in_row = self.failures_in_row.saturating_add(1);
    }
}

/// One signing certificate an IdP is trusted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateStatus {
    /// SHA-256 of the DER certificate, upper-case hex pairs joined by `:`
    /// (as IdP consoles show it).
    pub sha256: String,
    /// The subject, one line (`CN=acme`).
    pub subject: String,
    /// End of validity.
    pub not_after: Option<DateTime<Utc>>,
}

impl CertificateStatus {
    /// Whole days until `not_after` at `now` (negative once expired).
    pub fn days_left(&self, now: DateTime<Utc>) -> Option<i64> {
        self.not_after.map(|t| (t - now).num_days())
    }
}

/// The status of one configured IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpStatus {
    /// Tenant slug (`None`: default tenant).
    pub tenant: Option<String>,
    /// IdP slug.
    pub slug: String,
    /// Display name.
    pub display_name: String,
    /// Where its metadata comes from: `url`, `file`, `bytes` or `static`.
    pub source: &'static str,
    /// Entity ID, once known.
    pub entity_id: Option<String>,
    /// Usable now.
    pub loaded: bool,
    /// Last successful refresh.
    pub last_success: Option<DateTime<Utc>>,
    /// Last failed refresh and why (the last good copy stays in use).
    pub last_failure: Option<(DateTime<Utc>, String)>,
    /// Failed refreshes since the last success.
    pub failures_in_row: u32,
    /// When a refresh brought a signing key not trusted before (latest
    /// last, at most five).
    pub rollovers: Vec<DateTime<Utc>>,
    /// Signing certificates trusted now.
    pub certificates: Vec<CertificateStatus>,
}

impl Saml {
    /// The status of every configured IdP, for a console.
    pub fn idp_status(&self) -> Vec<IdpStatus> {
        let mut out = Vec::new();
        for t in &self.inner.tenants {
            for i in &t.idps {
                let current = crate::saml::read(&i.current);
                let history = i
                    .cache
                    .as_ref()
                    .map(|c| samlsp::internal::sync::lock(c).history.clone())
                    .unwrap_or_default();
                out.push(IdpStatus {
                    tenant: t.config.slug.clone(),
                    slug: i.config.slug.clone(),
                    display_name: i.config.display_name.clone(),
                    source: match &i.config.source {
                        IdpSource::Static(_) => "static",
                        IdpSource::Metadata { location, .. } => match location {
                            MetadataLocation::Url(_) => "url",
                            MetadataLocation::File(_) => "file",
                            MetadataLocation::Bytes(_) => "bytes",
                        },
                    },
                    entity_id: current.as_ref().map(|c| c.entity_id().to_string()),
                    loaded: current.is_some(),
                    last_success: history.last_success,
                    last_failure: history.last_failure,
                    failures_in_row: history.failures_in_row,
                    rollovers: history.rollovers.into_iter().collect(),
                    certificates: current.as_ref().map(certificates).unwrap_or_default(),
                });
            }
        }
        out
    }
}

/// Days before a signing certificate's end at which loading its metadata
/// logs a warning (the console warns at 30 and 7).
const WARN_DAYS: i64 = 30;

/// Logs a warning for each signing certificate of `idp` that ends within
/// [`WARN_DAYS`] of `now` (called when its metadata is loaded).
pub(crate) fn warn_expiring(label: &str, idp: &IdentityProvider, now: DateTime<Utc>) {
    for (c, days_left) in expiring(idp, now) {
        tracing::warn!(
            idp = %label,
            sha256 = %c.sha256,
            days_left,
            "IdP signing certificate expires soon (or has expired): ask the IdP for its next one"
        );
    }
}

/// The signing certificates of `idp` ending within [`WARN_DAYS`] of `now`,
/// with their days left.
fn expiring(idp: &IdentityProvider, now: DateTime<Utc>) -> Vec<(CertificateStatus, i64)> {
    certificates(idp)
        .into_iter()
        .filter_map(|c| {
            let d = c.days_left(now).filter(|d| *d <= WARN_DAYS)?;
            Some((c, d))
        })
        .collect()
}

fn certificates(idp: &IdentityProvider) -> Vec<CertificateStatus> {
    idp.keys()
        .keys()
        .iter()
        .filter_map(|k| k.certificate_der())
        .filter_map(|der| {
            let cert = openssl::x509::X509::from_der(der).ok()?;
            let digest = openssl::hash::hash(openssl::hash::MessageDigest::sha256(), der).ok()?;
            let sha256 = digest
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":");
            let subject = cert
                .subject_name()
                .entries()
                .filter_map(|e| {
                    let key = e.object().nid().short_name().ok()?;
                    let value: String = e
                        .data()
                        .to_string()
                        .ok()?
                        .chars()
                        .filter(|c| !c.is_control())
                        .collect();
                    Some(format!("{key}={value}"))
                })
                .collect::<Vec<_>>()
                .join(", ");
            Some(CertificateStatus {
                sha256,
                subject,
                not_after: asn1_to_chrono(cert.not_after()),
            })
        })
        .collect()
}

fn asn1_to_chrono(t: &openssl::asn1::Asn1TimeRef) -> Option<DateTime<Utc>> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let d = epoch.diff(t).ok()?;
    DateTime::from_timestamp(i64::from(d.days) * 86_400 + i64::from(d.secs), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed P-256 certificate valid from now for `days`.
    fn idp_with_cert(days: u32) -> IdentityProvider {
        use openssl::{asn1::Asn1Time, ec, hash::MessageDigest, nid::Nid, pkey::PKey, x509};
        let group = ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(ec::EcKey::generate(&group).unwrap()).unwrap();
        let mut name = x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "expiring-idp").unwrap();
        let name = name.build();
        let mut b = x509::X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(days).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        let pem = b.build().to_pem().unwrap();
        IdentityProvider::new(
            samlsp::EntityId::new("https://idp.example.test").unwrap(),
            samlsp::TrustedKeys::from_certificate_pem(&pem).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn certificates_read_and_expiry_warned_within_30_days() {
        let now = Utc::now();
        let soon = idp_with_cert(10);
        let [c] = certificates(&soon).try_into().unwrap();
        assert_eq!(c.subject, "CN=expiring-idp");
        assert_eq!(c.sha256.len(), 95);
        assert!(matches!(c.days_left(now), Some(9 | 10)), "{c:?}");
        assert_eq!(expiring(&soon, now).len(), 1);
        assert!(expiring(&idp_with_cert(60), now).is_empty());
        // Once past its end, it is reported with negative days.
        let later = now + chrono::Duration::days(12);
        assert!(expiring(&soon, later)[0].1 < 0);
    }

    #[test]
    fn history_is_bounded_and_counts_failures() {
        let t0 = DateTime::UNIX_EPOCH;
        let mut h = RefreshHistory::default();
        h.failed(t0, &"x".repeat(1000));
        h.failed(t0, "again");
        assert_eq!(h.failures_in_row, 2);
        assert_eq!(h.last_failure.as_ref().map(|f| f.1.as_str()), Some("again"));
        for _ in 0..10 {
            h.succeeded(t0, true);
        }
        assert_eq!(h.failures_in_row, 0);
        assert_eq!(h.rollovers.len(), MAX_ROLLOVERS);
        h.failed(t0, &"y".repeat(1000));
        assert_eq!(
            h.last_failure.map(|f| f.1.chars().count()),
            Some(MAX_REASON)
        );
    }
}
