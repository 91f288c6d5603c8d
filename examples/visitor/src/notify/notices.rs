//! Notices to an organization's admins about its SSO connections, through
//! the outbox: an IdP signing certificate that expires within 30 days, and
//! again within 7 (one mail each per certificate), and a metadata refresh
//! that keeps failing (at most one mail a day per connection).
//!
//! Each goes once, whatever restarts and instances there are: before a
//! notice is queued its row in `notices_sent` (connection, certificate
//! fingerprint, threshold) is claimed in the same transaction, by one
//! statement that only one claimant can win. They go to the organization's
//! notification address when one is set on the console, else to each of its
//! admins (admins at its default location).
//!
//! [`upkeep`] runs it on a timer with the app's clock, after the daily
//! refresh of console connections from their URLs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use samlsp_actix::CertificateStatus;
use samlsp_actix::html::escape_into;

use super::compose::one_line;
use crate::app::AppState;
use crate::store::{Notice, NoticeKind, OrgScope, Scoped, StoreError};

/// The certificate thresholds, most urgent first: days left, and the name
/// stored with a notice sent for it.
pub const THRESHOLDS: [(i64, &str); 2] = [(7, "7d"), (30, "30d")];
/// At most one refresh-failure notice per connection this often.
pub const REFRESH_NOTICE_EVERY: chrono::Duration = chrono::Duration::hours(24);
/// Console connections are fetched again from their URL this often.
pub const REFRESH_EVERY: chrono::Duration = chrono::Duration::hours(24);
/// ... and, while failing, retried this often.
pub const RETRY_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// What the notices look at in one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionFacts {
    /// Its slug (`acme`, `conn-7`).
    pub slug: String,
    /// Its name, as the admins know it.
    pub name: String,
    /// Its signing certificates.
    pub certificates: Vec<CertificateStatus>,
    /// Its metadata refresh, when failing: since when, and why.
    pub refresh_failure: Option<(String, String)>,
}

/// What one pass queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Messages queued (one per notice and recipient).
    pub queued: usize,
    /// Console connections fetched again from their URL.
    pub refreshed: usize,
}

fn esc(s: &str) -> String {
    let mut out = String::new();
    escape_into(s, &mut out);
    out
}

fn cert_notice(org: &str, c: &ConnectionFacts, cert: &CertificateStatus, days: i64) -> Notice {
    let name = one_line(&c.name, 100);
    let when = cert.not_after.map_or_else(
        || "–".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    let state = if days < 0 {
        "has expired".to_owned()
    } else {
        format!("expires in {days} day{}", if days == 1 { "" } else { "s" })
    };
    let subject = one_line(
        &format!("SSO connection {name}: its IdP signing certificate {state}"),
        120,
    );
    let what = format!(
        "The signing certificate of the identity provider of the SSO connection \"{name}\" \
         ({slug}) {state} ({when}). Sign-ins through it fail once it has expired, unless the \
         IdP signs with a new certificate and we know it.",
        slug = c.slug
    );
    let todo = "Ask the IdP's administrator for the next certificate, and make sure its \
                metadata lists it (for a connection added by URL, the console fetches it again \
                every day; \"Refresh now\" fetches it at once).";
    Notice {
        kind: NoticeKind::CertExpiry,
        user_id: None,
        recipient: String::new(),
        subject,
        text: format!(
            "{what}\n\nCertificate SHA-256: {fp}\nSubject: {subj}\n\n{todo}\n\n\
             Organization: {org}\n-- Visitors\n",
            fp = cert.sha256,
            subj = one_line(&cert.subject, 200),
        ),
        html: format!(
            "<p>{}</p><p>Certificate SHA-256: <code>{}</code><br>Subject: {}</p><p>{}</p>\
             <p>Organization: {}</p><p>-- Visitors</p>",
            esc(&what),
            esc(&cert.sha256),
            esc(&one_line(&cert.subject, 200)),
            esc(todo),
            esc(org)
        ),
    }
}

fn refresh_notice(org: &str, c: &ConnectionFacts, since: &str, why: &str) -> Notice {
    let name = one_line(&c.name, 100);
    let why = one_line(why, 400);
    let what = format!(
        "The metadata of the SSO connection \"{name}\" ({slug}) could not be refreshed \
         (since {since}): {why}. The last good copy stays in use; if the IdP changed its \
         signing certificate meanwhile, sign-ins through it fail.",
        slug = c.slug
    );
    let todo = "Check the metadata URL on the console (Connection health, or the \
                connection's page) and that the IdP serves it.";
    Notice {
        kind: NoticeKind::MetadataRefresh,
        user_id: None,
        recipient: String::new(),
        subject: one_line(
            &format!("SSO connection {name}: its metadata cannot be refreshed"),
            120,
        ),
        text: format!("{what}\n\n{todo}\n\nOrganization: {org}\n-- Visitors\n"),
        html: format!(
            "<p>{}</p><p>{}</p><p>Organization: {}</p><p>-- Visitors</p>",
            esc(&what),
            esc(todo),
            esc(org)
        ),
    }
}

/// Queues what is due for the organization of `s` about `connections`, at
/// `now`; returns how many messages.
pub fn queue_due(
    s: &Scoped<'_>,
    org_name: &str,
    connections: &[ConnectionFacts],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let recipients: Vec<(Option<i64>, String)> = match s.notice_address()? {
        Some(a) => vec![(None, a)],
        None => s
            .org_admin_emails()?
            .into_iter()
            .map(|(id, email)| (Some(id), email))
            .collect(),
    };
    // Nobody to tell yet: nothing is claimed, so it goes once someone is.
    if recipients.is_empty() {
        return Ok(0);
    }
    let mut due = Vec::new();
    for c in connections {
        for cert in &c.certificates {
            let Some(days) = cert.days_left(now) else {
                continue;
            };
            let Some((at, (_, t))) = THRESHOLDS
                .iter()
                .enumerate()
                .find(|(_, (limit, _))| days <= *limit)
            else {
                continue;
            };
            if s.claim_notice(&c.slug, &cert.sha256, t, now, None)? {
                due.push(cert_notice(org_name, c, cert, days));
            }
            // The less urgent ones are moot: a certificate first seen
            // within 7 days gets the 7-day notice only.
            for (_, later) in THRESHOLDS.iter().skip(at + 1) {
                s.claim_notice(&c.slug, &cert.sha256, later, now, None)?;
            }
        }
        if let Some((since, why)) = &c.refresh_failure {
            let again_before = now - REFRESH_NOTICE_EVERY;
            if s.claim_notice(&c.slug, "", "refresh_failed", now, Some(again_before))? {
                due.push(refresh_notice(org_name, c, since, why));
            }
        }
    }
    let mut queued = 0;
    for n in &due {
        for (user_id, to) in &recipients {
            let mut m = n.clone();
            m.user_id = *user_id;
            m.recipient = to.clone();
            s.queue_notice(&m, now)?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// The facts of every connection of the organization `org` (configured
/// and added in the console), as the SAML layer and the store hold them.
fn facts(state: &AppState, org: &str, failing: &[(i64, String, String)]) -> Vec<ConnectionFacts> {
    state
        .saml
        .idp_status()
        .into_iter()
        .filter(|s| state.org_of(&s.slug).as_deref() == Some(org))
        .map(|s| {
            let console = failing
                .iter()
                .find(|(id, _, _)| crate::connections::registry::slug(*id) == s.slug)
                .map(|(_, at, why)| (at.clone(), why.clone()));
            let configured = (s.failures_in_row > 0)
                .then(|| s.last_failure.clone())
                .flatten()
                .map(|(at, why)| (at.format("%Y-%m-%d %H:%M UTC").to_string(), why));
            ConnectionFacts {
                slug: s.slug.clone(),
                name: s.display_name.clone(),
                certificates: s.certificates.clone(),
                refresh_failure: console.or(configured),
            }
        })
        .collect()
}

/// One pass: refreshes the console connections that are due, then queues
/// the notices that are due, for every organization.
pub async fn sweep(state: &AppState) -> Result<Swept, StoreError> {
    let now = state.now();
    let mut swept = Swept::default();
    let due = state
        .store
        .connections_to_refresh(now - REFRESH_EVERY, now - RETRY_EVERY)?;
    for (org, row) in due {
        let Some(scope) = operator_scope(state, &org)? else {
            continue;
        };
        crate::connections::refresh::refresh(state, &scope, &org, &row, "system").await?;
        swept.refreshed += 1;
    }
    for o in &state.config.orgs {
        let Some(scope) = operator_scope(state, &o.slug)? else {
            continue;
        };
        let failing = state
            .store
            .scoped(&scope, |s| s.failing_connections())
            .await?;
        let connections = facts(state, &o.slug, &failing);
        let name = o.name.clone();
        swept.queued += state
            .store
            .scoped(&scope, move |s| queue_due(s, &name, &connections, now))
            .await?;
    }
    Ok(swept)
}

/// The scope of a configured organization, for the server's own upkeep
/// (not a request: it acts for each organization in turn, as the operator
/// configured them).
fn operator_scope(state: &AppState, slug: &str) -> Result<Option<OrgScope>, StoreError> {
    #[allow(clippy::disallowed_methods)]
    state.store.operator_scope(slug)
}

/// Runs [`sweep`] every `every` on the actix runtime (the first pass at
/// once).
pub fn upkeep(state: AppState, every: Duration) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        loop {
            tick.tick().await;
            match sweep(&state).await {
                Ok(Swept {
                    queued: 0,
                    refreshed: 0,
                }) => {}
                Ok(s) => tracing::info!(
                    queued = s.queued,
                    refreshed = s.refreshed,
                    "connection upkeep: notices queued, metadata refreshed"
                ),
                Err(e) => tracing::warn!(reason = %e, "connection upkeep failed"),
            }
        }
    })
}
