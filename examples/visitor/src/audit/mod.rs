//! The audit log of each organization: sign-ins (ok and failed: the
//! failure's code, connection and correlation ID), just-in-time creations
//! and links, admin actions, and whatever later features record
//! (provisioning, directory sync, tokens, connection changes).
//!
//! # Recording
//! One call, inside the transaction of the change it describes, so the
//! change and its record commit together or not at all:
//!
//! ```ignore
//! state.store.scoped(&scope, move |s| {
//!     let id = s.insert_user(&new, now)?;
//!     audit::record(s, &Event::new(now, Category::Provisioning, "user_created", Outcome::Ok)
//!         .actor("scim")
//!         .detail("user_id", id.to_string()))?;
//!     Ok(id)
//! }).await?;
//! ```
//!
//! # What is never in it
//! An [`Event`] has no field for a SAML message, an assertion or an
//! attribute value, and its details are short strings: each is clipped to
//! [`MAX_DETAIL_CHARS`] with control characters replaced, at most
//! [`MAX_DETAILS`] of them, and a detail whose key names a secret (`token`,
//! `password`, `secret`, `key`, `assertion`, `cookie`) is stored as
//! `[redacted]` whatever the caller passed. Pages escape everything; the
//! CSV export neutralises spreadsheet formulas.
//!
//! # Bounds
//! Per organization, the newest `max_events_per_org` rows (enforced by the
//! database at every insert), and nothing older than `retention_days`
//! ([`prune`], run by a background task on the app's clock).
//!
//! An event whose organization was named by something anyone can send (a
//! failure attributed by the Issuer a response claims, by a login link or
//! a pending request anyone can start, by the session of the browser a
//! logout message arrived in: [`Event::unverified`]) is counted apart,
//! against the smaller `max_unverified_events_per_org`: a flood of posts
//! naming an organization's IdP pushes out only earlier such events, never
//! the organization's verified ones (its sign-ins, its admins' actions,
//! failures of verified messages).

mod export;
mod observer;
pub mod pages;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

pub use export::{Format, export};
pub use observer::AuditObserver;

use crate::store::audit::NewAuditRow;
use crate::store::{Scoped, Store, StoreError};

/// Longest detail value, in characters: a remediation (a sentence or two
/// with at most two quoted values of 120 characters) fits whole.
pub const MAX_DETAIL_CHARS: usize = 800;
/// Most details on one event (a sign-in failure has six).
pub const MAX_DETAILS: usize = 16;
/// Longest actor, connection, code or correlation ID, in characters (slugs
/// are at most 64, codes and references shorter).
const MAX_FIELD_CHARS: usize = 128;

/// Parts of a detail key that mark a secret: its value is never stored.
const SECRET_KEYS: [&str; 6] = ["token", "password", "secret", "key", "assertion", "cookie"];

/// What area an event belongs to (the console's filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Sign-ins, ok and failed.
    SignIn,
    /// Accounts created or linked at sign-in (just in time).
    Jit,
    /// Something an admin did in the console.
    Admin,
    /// SCIM provisioning.
    Provisioning,
    /// Directory sync.
    Sync,
    /// API tokens: creation, use, revocation.
    Token,
    /// SSO connection changes.
    Connection,
}

impl Category {
    /// Every category, in the console's order.
    pub const ALL: [Category; 7] = [
        Category::SignIn,
        Category::Jit,
        Category::Admin,
        Category::Provisioning,
        Category::Sync,
        Category::Token,
        Category::Connection,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::SignIn => "sign_in",
            Category::Jit => "jit",
            Category::Admin => "admin",
            Category::Provisioning => "provisioning",
            Category::Sync => "sync",
            Category::Token => "token",
            Category::Connection => "connection",
        }
    }
}

/// Whether it worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did.
    Ok,
    /// It did not (the event's code says why).
    Failed,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
        }
    }
}

/// One thing that happened in an organization. Build with [`Event::new`]
/// and the setters; values are clipped and cleaned as they are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    at: DateTime<Utc>,
    category: Category,
    action: &'static str,
    outcome: Outcome,
    actor: Option<String>,
    connection: Option<String>,
    code: Option<String>,
    correlation_id: Option<String>,
    detail: serde_json::Map<String, serde_json::Value>,
    unverified: bool,
}

/// Clipped to `max` characters, control characters (newlines included)
/// replaced by U+FFFD.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

impl Event {
    /// `action` is a short `snake_case` name (`user_created`).
    pub fn new(
        at: DateTime<Utc>,
        category: Category,
        action: &'static str,
        outcome: Outcome,
    ) -> Self {
        Event {
            at,
            category,
            action,
            outcome,
            actor: None,
            connection: None,
            code: None,
            correlation_id: None,
            detail: serde_json::Map::new(),
            unverified: false,
        }
    }

    /// Marks the event as attributed to the organization on evidence
    /// anyone can forge (see the module doc): kept under its own cap.
    pub fn unverified(mut self) -> Self {
        self.unverified = true;
        self
    }

    /// Whether [`Event::unverified`] marked it.
    pub fn is_unverified(&self) -> bool {
        self.unverified
    }

    /// Who did it (`user:<id>`, `idp:<connection>`, `scim`, ...).
    pub fn actor(mut self, actor: impl AsRef<str>) -> Self {
        self.actor = Some(clean(actor.as_ref(), MAX_FIELD_CHARS));
        self
    }

    /// The SSO connection (IdP slug) concerned.
    pub fn connection(mut self, slug: impl AsRef<str>) -> Self {
        self.connection = Some(clean(slug.as_ref(), MAX_FIELD_CHARS));
        self
    }

    /// A failure's stable code.
    pub fn code(mut self, code: impl AsRef<str>) -> Self {
        self.code = Some(clean(code.as_ref(), MAX_FIELD_CHARS));
        self
    }

    /// The reference the person was shown.
    pub fn correlation_id(mut self, id: impl AsRef<str>) -> Self {
        self.correlation_id = Some(clean(id.as_ref(), MAX_FIELD_CHARS));
        self
    }

    /// A detail; see the module doc for what is clipped and redacted. The
    /// first [`MAX_DETAILS`] are kept.
    pub fn detail(mut self, key: &'static str, value: impl AsRef<str>) -> Self {
        if self.detail.len() >= MAX_DETAILS && !self.detail.contains_key(key) {
            return self;
        }
        let lower = key.to_ascii_lowercase();
        let value = if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
            "[redacted]".to_owned()
        } else {
            clean(value.as_ref(), MAX_DETAIL_CHARS)
        };
        self.detail
            .insert(key.to_owned(), serde_json::Value::String(value));
        self
    }

    /// A failed sign-in as the library reported it: code, reason,
    /// remediation, attribution, correlation ID; never the message.
    pub fn sign_in_failed(f: &samlsp_actix::FailedSignIn) -> Self {
        let mut e = Event::new(f.at(), Category::SignIn, "sign_in_failed", Outcome::Failed)
            .code(f.code())
            .correlation_id(f.correlation_id())
            .detail("route", f.route())
            .detail("reason", f.reason())
            .detail("remediation", f.remediation());
        if let Some((slug, how)) = f.connection() {
            e = e.connection(slug).detail("attribution", how.as_str());
            if how != samlsp_actix::Attribution::Verified {
                e = e.unverified();
            }
        }
        if let Some(d) = f.verification() {
            e = e.detail("verification_ms", d.as_millis().to_string());
        }
        e
    }

    /// A failed step of Single Logout as the library reported it: code,
    /// reason, remediation, attribution, correlation ID, step.
    pub fn sign_out_failed(f: &samlsp_actix::FailedLogout) -> Self {
        let mut e = Event::new(f.at(), Category::SignIn, "sign_out_failed", Outcome::Failed)
            .code(f.code())
            .correlation_id(f.correlation_id())
            .detail("step", f.step().as_str())
            .detail("reason", f.reason())
            .detail("remediation", f.remediation());
        if let Some(u) = f.user_id() {
            e = e.actor(format!("user:{u}"));
        }
        if let Some((slug, how)) = f.connection() {
            e = e.connection(slug).detail("attribution", how.as_str());
            if how != samlsp_actix::Attribution::Verified {
                e = e.unverified();
            }
        }
        e
    }

    /// A successful sign-in.
    pub fn signed_in(s: &samlsp_actix::SucceededSignIn) -> Self {
        Event::new(s.at(), Category::SignIn, "signed_in", Outcome::Ok)
            .actor(format!("user:{}", s.user_id()))
            .connection(s.connection())
            .detail(
                "idp_initiated",
                if s.idp_initiated() { "yes" } else { "no" },
            )
            .detail("verification_ms", s.verification().as_millis().to_string())
    }
}

/// Writes `event` in the organization of `s`, in its transaction.
pub fn record(s: &Scoped<'_>, event: &Event) -> Result<(), StoreError> {
    let detail = serde_json::Value::Object(event.detail.clone()).to_string();
    let row = NewAuditRow {
        at: event.at,
        category: event.category.as_str(),
        action: event.action,
        outcome: event.outcome.as_str(),
        actor: event.actor.as_deref(),
        connection: event.connection.as_deref(),
        code: event.code.as_deref(),
        correlation_id: event.correlation_id.as_deref(),
        detail: &detail,
    };
    if event.unverified {
        s.insert_unverified_audit(&row)
    } else {
        s.insert_audit(&row).map(|_| ())
    }
}

/// `[audit]`: how much of the log is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditPolicy {
    /// Events older than this many days are deleted (default 90).
    pub retention_days: u32,
    /// Per organization, only the newest this many are kept (default 10000).
    pub max_events_per_org: u32,
    /// Per organization, only the newest this many unverified events are
    /// kept, apart from the others (default 1000; see the module doc).
    pub max_unverified_events_per_org: u32,
    /// How often the pruning task runs, in seconds (default 600).
    pub prune_every_seconds: u32,
}

impl Default for AuditPolicy {
    fn default() -> Self {
        AuditPolicy {
            retention_days: 90,
            max_events_per_org: 10_000,
            max_unverified_events_per_org: 1_000,
            prune_every_seconds: 600,
        }
    }
}

/// Deletes what `policy` no longer keeps, as of `now`; returns how many.
pub fn prune(store: &Store, policy: &AuditPolicy, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let keep_since = now - chrono::Duration::days(i64::from(policy.retention_days));
    store.prune_audit(keep_since, policy.max_events_per_org)
}

/// Runs [`prune`] every `policy.prune_every_seconds` on the actix runtime,
/// with the app's clock.
pub fn spawn_pruner(
    store: Store,
    policy: AuditPolicy,
    clock: samlsp_actix::Clock,
) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let period = Duration::from_secs(u64::from(policy.prune_every_seconds.max(1)));
        let mut tick = actix_web::rt::time::interval(period);
        loop {
            tick.tick().await;
            let s = store.clone();
            let now = clock();
            let done = actix_web::web::block(move || prune(&s, &policy, now)).await;
            match done {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(deleted = n, "audit log pruned"),
                Ok(Err(e)) => tracing::warn!(reason = %e, "audit log not pruned"),
                Err(e) => tracing::warn!(reason = %e, "audit log pruning task failed"),
            }
        }
    })
}
